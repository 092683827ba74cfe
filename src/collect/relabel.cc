#include "collect/relabel.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>

#include "collect/md5.h"

namespace opsight::collect {

struct Relabeler::Rule {
  RelabelConfig cfg;
  std::unique_ptr<RE2> re;  // ^(?:regex)$
};

namespace {

constexpr std::pair<std::string_view, RelabelAction> kActions[] = {
    {"replace", RelabelAction::kReplace},     {"keep", RelabelAction::kKeep},
    {"drop", RelabelAction::kDrop},           {"keepequal", RelabelAction::kKeepEqual},
    {"dropequal", RelabelAction::kDropEqual}, {"hashmod", RelabelAction::kHashMod},
    {"lowercase", RelabelAction::kLowercase}, {"uppercase", RelabelAction::kUppercase},
    {"labelmap", RelabelAction::kLabelMap},   {"labeldrop", RelabelAction::kLabelDrop},
    {"labelkeep", RelabelAction::kLabelKeep},
};

bool valid_label_name(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); i++) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool is_word(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c >= 0x80;
}

// Prometheus's relabelTarget: ^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$ -- a label name that
// may contain $1 / ${name} references.
bool valid_target_template(std::string_view s) {
  static const RE2 re(R"(^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$)");
  return RE2::FullMatch(s, re);
}

// Go's regexp.Expand: appends `tmpl` to *out with $n / ${n} / $name / ${name} replaced by the
// submatches of `groups` ($$ is a literal $; a malformed reference keeps the $).
void expand(std::string_view tmpl, const RE2& re, const std::vector<re2::StringPiece>& groups,
            std::string* out) {
  while (!tmpl.empty()) {
    size_t d = tmpl.find('$');
    if (d == std::string_view::npos) break;
    out->append(tmpl.substr(0, d));
    tmpl.remove_prefix(d + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      *out += '$';
      tmpl.remove_prefix(1);
      continue;
    }
    std::string_view s = tmpl;
    bool brace = !s.empty() && s[0] == '{';
    if (brace) s.remove_prefix(1);
    size_t i = 0;
    while (i < s.size() && is_word(static_cast<unsigned char>(s[i]))) i++;
    if (i == 0 || (brace && (i >= s.size() || s[i] != '}'))) {
      *out += '$';
      continue;
    }
    std::string_view name = s.substr(0, i);
    tmpl = s.substr(i + (brace ? 1 : 0));
    int num = 0;
    for (char c : name) {
      if (c < '0' || c > '9' || num >= 100'000'000) {
        num = -1;
        break;
      }
      num = num * 10 + (c - '0');
    }
    if (name.size() > 1 && name[0] == '0') num = -1;
    if (num < 0) {
      auto it = re.NamedCapturingGroups().find(std::string(name));
      if (it != re.NamedCapturingGroups().end()) num = it->second;
    }
    if (num >= 0 && static_cast<size_t>(num) < groups.size() && groups[num].data() != nullptr) {
      out->append(groups[num].data(), groups[num].size());
    }
  }
  out->append(tmpl);
}

// Label-set edits on a vector sorted by name.
std::vector<Label>::iterator find(std::vector<Label>* ls, std::string_view name) {
  return std::lower_bound(ls->begin(), ls->end(), name,
                          [](const Label& l, std::string_view n) { return l.name < n; });
}
std::string_view get(const std::vector<Label>& ls, std::string_view name) {
  auto it = std::lower_bound(ls.begin(), ls.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  return it != ls.end() && it->name == name ? std::string_view(it->value) : std::string_view();
}
void set(std::vector<Label>* ls, std::string_view name, std::string_view value) {
  auto it = find(ls, name);
  bool present = it != ls->end() && it->name == name;
  if (value.empty()) {
    if (present) ls->erase(it);
  } else if (present) {
    it->value = std::string(value);
  } else {
    ls->insert(it, Label{std::string(name), std::string(value)});
  }
}

bool matches(const RE2& re, std::string_view s) {
  return RE2::FullMatch(re2::StringPiece(s.data(), s.size()), re);
}

bool apply_rule(const Relabeler::Rule& r, std::vector<Label>* ls) {
  const RelabelConfig& c = r.cfg;
  std::string val;
  for (size_t i = 0; i < c.source_labels.size(); i++) {
    if (i > 0) val += c.separator;
    val += get(*ls, c.source_labels[i]);
  }
  switch (c.action) {
    case RelabelAction::kDrop:
      return !matches(*r.re, val);
    case RelabelAction::kKeep:
      return matches(*r.re, val);
    case RelabelAction::kDropEqual:
      return get(*ls, c.target_label) != val;
    case RelabelAction::kKeepEqual:
      return get(*ls, c.target_label) == val;
    case RelabelAction::kReplace: {
      std::vector<re2::StringPiece> groups(1 + r.re->NumberOfCapturingGroups());
      if (!r.re->Match(val, 0, val.size(), RE2::ANCHOR_BOTH, groups.data(),
                       static_cast<int>(groups.size()))) {
        return true;
      }
      std::string target, res;
      expand(c.target_label, *r.re, groups, &target);
      if (!valid_label_name(target)) return true;
      expand(c.replacement, *r.re, groups, &res);
      set(ls, target, res);
      return true;
    }
    case RelabelAction::kLowercase:
    case RelabelAction::kUppercase: {
      for (char& ch : val) {
        if (c.action == RelabelAction::kLowercase && ch >= 'A' && ch <= 'Z') ch += 'a' - 'A';
        if (c.action == RelabelAction::kUppercase && ch >= 'a' && ch <= 'z') ch -= 'a' - 'A';
      }
      set(ls, c.target_label, val);
      return true;
    }
    case RelabelAction::kHashMod: {
      auto sum = md5(val);
      uint64_t h = 0;
      for (int i = 8; i < 16; i++) h = (h << 8) | sum[i];
      set(ls, c.target_label, std::to_string(h % c.modulus));
      return true;
    }
    case RelabelAction::kLabelMap: {
      std::vector<Label> snapshot = *ls;
      std::vector<re2::StringPiece> groups(1 + r.re->NumberOfCapturingGroups());
      for (const auto& l : snapshot) {
        if (!r.re->Match(l.name, 0, l.name.size(), RE2::ANCHOR_BOTH, groups.data(),
                         static_cast<int>(groups.size()))) {
          continue;
        }
        std::string name;
        expand(c.replacement, *r.re, groups, &name);
        set(ls, name, l.value);
      }
      return true;
    }
    case RelabelAction::kLabelDrop:
    case RelabelAction::kLabelKeep: {
      bool drop_matching = c.action == RelabelAction::kLabelDrop;
      std::erase_if(*ls, [&](const Label& l) { return matches(*r.re, l.name) == drop_matching; });
      return true;
    }
  }
  return true;
}

Status validate(const RelabelConfig& c, const std::string& where) {
  auto err = [&](std::string msg) { return Status::invalid_argument(where + ": " + msg); };
  std::string_view action = relabel_action_name(c.action);
  for (const auto& s : c.source_labels) {
    if (!valid_label_name(s)) return err(fmt::format("\"{}\" is not a valid label name", s));
  }
  bool needs_target =
      c.action == RelabelAction::kReplace || c.action == RelabelAction::kHashMod ||
      c.action == RelabelAction::kLowercase || c.action == RelabelAction::kUppercase ||
      c.action == RelabelAction::kKeepEqual || c.action == RelabelAction::kDropEqual;
  if (needs_target && c.target_label.empty()) {
    return err(
        fmt::format("relabel configuration for {} action requires 'target_label' value", action));
  }
  if (c.action == RelabelAction::kHashMod && c.modulus == 0) {
    return err("relabel configuration for hashmod requires non-zero modulus");
  }
  if (c.action == RelabelAction::kReplace && !valid_target_template(c.target_label)) {
    return err(
        fmt::format("\"{}\" is invalid 'target_label' for {} action", c.target_label, action));
  }
  bool plain_target =
      c.action == RelabelAction::kHashMod || c.action == RelabelAction::kLowercase ||
      c.action == RelabelAction::kUppercase || c.action == RelabelAction::kKeepEqual ||
      c.action == RelabelAction::kDropEqual;
  if (plain_target && !valid_label_name(c.target_label)) {
    return err(
        fmt::format("\"{}\" is invalid 'target_label' for {} action", c.target_label, action));
  }
  if (c.action == RelabelAction::kLabelMap && !valid_target_template(c.replacement)) {
    return err(fmt::format("\"{}\" is invalid 'replacement' for {} action", c.replacement, action));
  }
  RelabelConfig d;
  if ((c.action == RelabelAction::kLabelDrop || c.action == RelabelAction::kLabelKeep) &&
      (!c.source_labels.empty() || !c.target_label.empty() || c.modulus != 0 ||
       c.separator != d.separator || c.replacement != d.replacement)) {
    return err(fmt::format("{} action requires only 'regex', and no other fields", action));
  }
  if ((c.action == RelabelAction::kKeepEqual || c.action == RelabelAction::kDropEqual) &&
      (c.regex != d.regex || c.modulus != 0 || c.separator != d.separator ||
       c.replacement != d.replacement)) {
    return err(
        fmt::format("{} action requires only 'source_labels' and 'target_label', and no "
                    "other fields",
                    action));
  }
  return OkStatus();
}

}  // namespace

Result<RelabelAction> parse_relabel_action(std::string_view s) {
  std::string lower(s);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& [name, a] : kActions) {
    if (lower == name) return a;
  }
  return Status::invalid_argument(fmt::format(
      "unknown relabel action \"{}\" (expected replace, keep, drop, keepequal, dropequal, "
      "hashmod, lowercase, uppercase, labelmap, labeldrop or labelkeep)",
      s));
}

std::string_view relabel_action_name(RelabelAction a) {
  for (const auto& [name, x] : kActions) {
    if (x == a) return name;
  }
  return "replace";
}

Result<Relabeler> Relabeler::compile(const std::vector<RelabelConfig>& configs,
                                     std::string_view where) {
  Relabeler out;
  for (size_t i = 0; i < configs.size(); i++) {
    std::string w = fmt::format("{}[{}]", where, i);
    RETURN_IF_ERROR(validate(configs[i], w));
    auto rule = std::make_shared<Rule>();
    rule->cfg = configs[i];
    RE2::Options o;
    o.set_log_errors(false);
    rule->re = std::make_unique<RE2>("^(?:" + configs[i].regex + ")$", o);
    if (!rule->re->ok()) {
      return Status::invalid_argument(
          fmt::format("{}: invalid regex \"{}\": {}", w, configs[i].regex, rule->re->error()));
    }
    out.rules_.push_back(std::move(rule));
  }
  return out;
}

bool Relabeler::apply(std::vector<Label>* labels) const {
  for (const auto& r : rules_) {
    if (!apply_rule(*r, labels)) return false;
  }
  std::erase_if(*labels, [](const Label& l) { return l.value.empty(); });
  return true;
}

std::optional<Labels> Relabeler::apply(const Labels& labels) const {
  if (rules_.empty()) return labels;
  std::vector<Label> v = labels.vec();
  if (!apply(&v)) return std::nullopt;
  return Labels::from_sorted(std::move(v));
}

}  // namespace opsight::collect
