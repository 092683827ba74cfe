#include "rules/rule_file.h"

#include <glob.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "common/time_util.h"
#include "query/promql/parser.h"

namespace opsight::rules {

bool is_valid_metric_name(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); i++) {
    char c = s[i];
    bool ok = std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
              (i > 0 && std::isdigit(static_cast<unsigned char>(c)));
    if (!ok) return false;
  }
  return true;
}

bool is_valid_label_name(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); i++) {
    char c = s[i];
    bool ok = std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
              (i > 0 && std::isdigit(static_cast<unsigned char>(c)));
    if (!ok) return false;
  }
  return true;
}

namespace {

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; k++) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

// Collects the problems of one file.
class Checker {
 public:
  explicit Checker(std::string file) : file_(std::move(file)) {}

  void add(const YAML::Node& at, const std::string& where, const std::string& msg) {
    std::string pos;
    if (at.IsDefined()) {
      YAML::Mark m = at.Mark();
      if (m.line >= 0) pos = std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": ";
    }
    // promtool's layout: "<file>: <line>:<col>: group \"g\", rule N, \"name\": <problem>".
    errors_.push_back(file_ + ": " + pos + (where.empty() ? "" : where + ": ") + msg);
  }
  bool ok() const { return errors_.empty(); }
  Status status() const {
    std::string all;
    for (const auto& e : errors_) all += (all.empty() ? "" : "\n") + e;
    return Status::invalid_argument(all);
  }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<std::string> errors_;
};

bool check_keys(Checker& c, const YAML::Node& map, const std::string& where,
                const std::set<std::string>& allowed, const char* what) {
  if (!map.IsMap()) {
    c.add(map, where, std::string(what) + " must be a mapping");
    return false;
  }
  bool ok = true;
  for (const auto& kv : map) {
    std::string k = kv.first.Scalar();
    if (!allowed.contains(k)) {
      c.add(kv.first, where, "unknown key \"" + k + "\" in " + what);
      ok = false;
    }
  }
  return ok;
}

bool scalar(Checker& c, const YAML::Node& n, const std::string& where, const char* key,
            std::string* out) {
  if (!n.IsDefined() || n.IsNull()) return true;
  if (!n.IsScalar()) {
    c.add(n, where, std::string("\"") + key + "\" must be a string");
    return false;
  }
  *out = n.Scalar();
  return true;
}

void duration(Checker& c, const YAML::Node& n, const std::string& where, const char* key,
              int64_t* out) {
  std::string s;
  if (!scalar(c, n, where, key, &s) || s.empty()) return;
  auto d = parse_duration_ms(s);
  if (!d.ok() || *d < 0) {
    c.add(n, where, std::string("invalid \"") + key + "\" duration \"" + s + "\"");
    return;
  }
  *out = *d;
}

// A mapping of string to string (labels, annotations).
std::vector<std::pair<std::string, std::string>> string_map(Checker& c, const YAML::Node& n,
                                                            const std::string& where,
                                                            const char* key) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!n.IsDefined() || n.IsNull()) return out;
  if (!n.IsMap()) {
    c.add(n, where, std::string("\"") + key + "\" must be a mapping");
    return out;
  }
  for (const auto& kv : n) {
    if (!kv.second.IsScalar() && !kv.second.IsNull()) {
      c.add(kv.second, where, std::string(key) + " " + kv.first.Scalar() + " must be a string");
      continue;
    }
    out.emplace_back(kv.first.Scalar(), kv.second.IsNull() ? "" : kv.second.Scalar());
  }
  return out;
}

void parse_rule(Checker& c, const YAML::Node& n, const std::string& group, size_t index,
                GroupSpec* g) {
  std::string where = "group \"" + group + "\", rule " + std::to_string(index + 1);
  if (!check_keys(c, n, where,
                  {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"},
                  "rule")) {
    return;
  }
  auto spec = std::make_shared<RuleSpec>();
  std::string record, alert, expr;
  scalar(c, n["record"], where, "record", &record);
  scalar(c, n["alert"], where, "alert", &alert);
  scalar(c, n["expr"], where, "expr", &expr);
  const std::string& name = record.empty() ? alert : record;
  if (!name.empty()) where += ", \"" + name + "\"";
  if (!record.empty() && !alert.empty()) {
    c.add(n, where, "only one of 'record' and 'alert' must be set");
  } else if (record.empty() && alert.empty()) {
    c.add(n, where, "one of 'record' or 'alert' must be set");
  }
  spec->type = record.empty() ? RuleType::kAlerting : RuleType::kRecording;
  spec->name = name;
  if (expr.empty()) {
    c.add(n, where, "field 'expr' must be set in rule");
  } else {
    auto e = query::promql::parse_expr(expr);
    if (!e.ok()) {
      c.add(n["expr"], where, "could not parse expression: " + e.status().message());
    } else {
      spec->query = e->to_string();
      spec->expr = std::make_shared<const query::promql::Expr>(std::move(*e));
    }
  }
  duration(c, n["for"], where, "for", &spec->for_ms);
  duration(c, n["keep_firing_for"], where, "keep_firing_for", &spec->keep_firing_for_ms);
  auto labels = string_map(c, n["labels"], where, "labels");
  auto annotations = string_map(c, n["annotations"], where, "annotations");
  if (!record.empty()) {
    if (!annotations.empty())
      c.add(n["annotations"], where, "invalid field 'annotations' in recording rule");
    if (spec->for_ms != 0) c.add(n["for"], where, "invalid field 'for' in recording rule");
    if (spec->keep_firing_for_ms != 0)
      c.add(n["keep_firing_for"], where, "invalid field 'keep_firing_for' in recording rule");
    if (!is_valid_metric_name(record))
      c.add(n["record"], where, "invalid recording rule name: " + record);
  }
  std::vector<Label> ls, as;
  for (auto& [k, v] : labels) {
    if (!is_valid_label_name(k) || k == kMetricName)
      c.add(n["labels"], where, "invalid label name: " + k);
    if (!valid_utf8(v)) c.add(n["labels"], where, "invalid label value: " + v);
    ls.push_back({k, v});
  }
  for (auto& [k, v] : annotations) {
    if (!is_valid_label_name(k)) c.add(n["annotations"], where, "invalid annotation name: " + k);
    as.push_back({k, v});
  }
  spec->labels = Labels(ls);
  spec->annotations = Labels(as);
  if (spec->type == RuleType::kAlerting && !alert.empty()) {
    for (const auto& l : spec->labels) {
      auto t = Template::parse(l.value, "label " + l.name);
      if (!t.ok()) {
        c.add(n["labels"], where, t.status().message());
      } else {
        spec->label_templates.emplace_back(l.name, std::move(*t));
      }
    }
    for (const auto& a : spec->annotations) {
      auto t = Template::parse(a.value, "annotation " + a.name);
      if (!t.ok()) {
        c.add(n["annotations"], where, t.status().message());
      } else {
        spec->annotation_templates.emplace_back(a.name, std::move(*t));
      }
    }
  }
  g->rules.push_back(std::move(spec));
}

}  // namespace

Result<std::vector<GroupSpec>> parse_rule_file(std::string_view yaml, const std::string& file) {
  Checker c(file);
  std::vector<GroupSpec> out;
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    if (root.IsNull()) return out;
    if (!check_keys(c, root, "", {"groups"}, "rule file")) return c.status();
    YAML::Node groups = root["groups"];
    if (!groups.IsDefined() || groups.IsNull()) return out;
    if (!groups.IsSequence()) {
      c.add(groups, "", "\"groups\" must be a list");
      return c.status();
    }
    std::set<std::string> names;
    for (const auto& gn : groups) {
      if (!check_keys(c, gn, "", {"name", "interval", "limit", "rules"}, "group")) continue;
      GroupSpec g;
      g.file = file;
      scalar(c, gn["name"], "", "name", &g.name);
      std::string where = "group \"" + g.name + "\"";
      if (g.name.empty()) c.add(gn, "", "Groupname must not be empty");
      if (!g.name.empty() && !names.insert(g.name).second)
        c.add(gn["name"], "", "groupname: \"" + g.name + "\" is repeated in the same file");
      duration(c, gn["interval"], where, "interval", &g.interval_ms);
      if (gn["interval"].IsDefined() && !gn["interval"].IsNull() && g.interval_ms == 0)
        c.add(gn["interval"], where, "interval must be greater than 0");
      if (gn["limit"].IsDefined() && !gn["limit"].IsNull()) {
        try {
          g.limit = gn["limit"].as<int64_t>();
          if (g.limit < 0) c.add(gn["limit"], where, "limit must not be negative");
        } catch (const YAML::Exception&) {
          c.add(gn["limit"], where, "limit must be a whole number");
        }
      }
      YAML::Node rules = gn["rules"];
      if (rules.IsDefined() && !rules.IsNull()) {
        if (!rules.IsSequence()) {
          c.add(rules, where, "\"rules\" must be a list");
        } else {
          for (size_t i = 0; i < rules.size(); i++) parse_rule(c, rules[i], g.name, i, &g);
        }
      }
      out.push_back(std::move(g));
    }
  } catch (const YAML::Exception& e) {
    return Status::invalid_argument(file + ": invalid YAML: " + e.what());
  }
  if (!c.ok()) return c.status();
  return out;
}

Result<std::vector<GroupSpec>> load_rule_files(const std::vector<std::string>& patterns,
                                               const std::string& base_dir) {
  std::vector<GroupSpec> out;
  std::string errors;
  std::set<std::string> seen;
  for (const auto& pat : patterns) {
    std::string full = pat.starts_with("/") || base_dir.empty() ? pat : base_dir + "/" + pat;
    glob_t g{};
    int rc = ::glob(full.c_str(), 0, nullptr, &g);
    std::vector<std::string> files;
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; i++) files.emplace_back(g.gl_pathv[i]);
    }
    globfree(&g);
    if (rc != 0 && rc != GLOB_NOMATCH) {
      errors +=
          (errors.empty() ? "" : "\n") + std::string("rule_files: cannot expand \"") + pat + "\"";
      continue;
    }
    for (const auto& f : files) {
      if (!seen.insert(f).second) continue;
      std::ifstream in(f);
      if (!in) {
        errors += (errors.empty() ? "" : "\n") + f + ": cannot read rule file";
        continue;
      }
      std::stringstream ss;
      ss << in.rdbuf();
      auto groups = parse_rule_file(ss.str(), f);
      if (!groups.ok()) {
        errors += (errors.empty() ? "" : "\n") + groups.status().message();
        continue;
      }
      for (auto& gs : *groups) out.push_back(std::move(gs));
    }
  }
  if (!errors.empty()) return Status::invalid_argument(errors);
  return out;
}

}  // namespace opsight::rules
