#include "ingest/prometheus/text_format.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <unordered_set>

namespace opsight::ingest::prometheus {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}
bool is_label_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_label_char(char c) {
  return is_label_start(c) || (c >= '0' && c <= '9');
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// RFC 3629 well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; k++) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

size_t utf8_chars(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Go's strconv.ParseFloat as the formats use it: decimal with optional exponent, or
// [+-]Inf/Infinity/NaN in any case.
bool parse_float(std::string_view s, double* out) {
  if (s.empty()) return false;
  bool neg = false;
  std::string_view t = s;
  if (t[0] == '+' || t[0] == '-') {
    neg = t[0] == '-';
    t.remove_prefix(1);
  }
  if (iequals(t, "inf") || iequals(t, "infinity")) {
    *out = neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  if (iequals(t, "nan")) {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (t.empty() || !((t[0] >= '0' && t[0] <= '9') || t[0] == '.')) return false;
  double v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v, std::chars_format::general);
  if (ec != std::errc() || p != t.data() + t.size()) return false;
  *out = neg ? -v : v;
  return true;
}

constexpr std::string_view kAllSuffixes[] = {"_total", "_created", "_bucket", "_count",
                                             "_sum",   "_gcount",  "_gsum",   "_info"};

// Suffixes a sample name may add to its OpenMetrics family name, per type ("" = bare name).
std::vector<std::string_view> om_suffixes(std::string_view type) {
  if (type == "counter") return {"_total", "_created"};
  if (type == "histogram") return {"_bucket", "_count", "_sum", "_created"};
  if (type == "gaugehistogram") return {"_bucket", "_gcount", "_gsum"};
  if (type == "summary") return {"", "_count", "_sum", "_created"};
  if (type == "info") return {"_info"};
  return {""};  // gauge, stateset, unknown
}

bool valid_type(std::string_view t, bool om) {
  static const std::unordered_set<std::string_view> k004 = {"counter", "gauge", "histogram",
                                                            "summary", "untyped"};
  static const std::unordered_set<std::string_view> kOm = {
      "counter", "gauge", "histogram", "gaugehistogram", "stateset", "info", "summary", "unknown"};
  return om ? kOm.contains(t) : k004.contains(t);
}

// One parsed sample line.
struct SampleLine {
  std::string_view name;
  std::vector<Label> labels;
  double value = 0;
  bool has_ts = false;
  int64_t t_ms = 0;
  bool has_exemplar = false;
  bool exemplar_has_ts = false;
  storage::Exemplar exemplar;
};

class Parser {
  struct OmFamily {
    std::string name;
    std::string type = "unknown";
    bool typed = false, helped = false, united = false, sampled = false;
  };

 public:
  Parser(const TextParseOptions& o, TextParseResult* out)
      : om_(o.format == TextFormat::kOpenMetrics), opts_(o), out_(out) {}

  void run(std::string_view body) {
    size_t n = 0, pos = 0;
    while (pos < body.size()) {
      size_t end = body.find('\n', pos);
      if (end == std::string_view::npos) end = body.size();
      std::string_view l = body.substr(pos, end - pos);
      pos = end + 1;
      n++;
      out_->lines++;
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      if (eof_) {
        error(n, "content after # EOF (an OpenMetrics exposition ends with # EOF)");
        continue;
      }
      line(l, n);
    }
    if (om_ && !eof_) {
      error(n + 1, "missing # EOF (an OpenMetrics exposition must end with the line \"# EOF\")");
    }
  }

 private:
  void error(size_t n, std::string msg) {
    out_->batch.errors.push_back({fmt::format("line {}", n), std::move(msg)});
  }

  void line(std::string_view l, size_t n) {
    if (l.empty() || (!om_ && l.find_first_not_of(" \t") == std::string_view::npos)) {
      if (om_) error(n, "empty line (OpenMetrics does not allow blank lines)");
      return;
    }
    if (!om_) {
      size_t i = l.find_first_not_of(" \t");
      l.remove_prefix(i);
    }
    if (l[0] == '#') {
      comment(l, n);
      return;
    }
    sample(l, n);
  }

  // ---- metadata ----------------------------------------------------------------------------

  void comment(std::string_view l, size_t n) {
    // "# KEYWORD name [text]"
    std::string_view rest = l.substr(1);
    std::string_view keyword;
    if (om_) {
      if (rest == " EOF") {
        eof_ = true;
        return;
      }
      if (!rest.starts_with(" HELP ") && !rest.starts_with(" TYPE ") &&
          !rest.starts_with(" UNIT ")) {
        error(n,
              "unknown comment (OpenMetrics allows only \"# HELP\", \"# TYPE\", \"# UNIT\" and "
              "\"# EOF\")");
        return;
      }
      keyword = rest.substr(1, 4);
      rest.remove_prefix(6);
    } else {
      size_t i = rest.find_first_not_of(" \t");
      if (i == std::string_view::npos || i == 0) return;  // "#" or "#foo": a comment
      rest.remove_prefix(i);
      if (!rest.starts_with("HELP") && !rest.starts_with("TYPE")) return;
      keyword = rest.substr(0, 4);
      rest.remove_prefix(4);
      if (!rest.empty() && !is_blank(rest[0])) return;  // "# HELPER ...": a comment
      i = rest.find_first_not_of(" \t");
      rest.remove_prefix(i == std::string_view::npos ? rest.size() : i);
    }
    // The metric name.
    size_t e = 0;
    while (e < rest.size() && is_name_char(rest[e])) e++;
    std::string_view name = rest.substr(0, e);
    if (name.empty() || !is_name_start(name[0])) {
      error(n, fmt::format("# {} line without a valid metric name", keyword));
      return;
    }
    rest.remove_prefix(e);
    std::string_view text;
    if (!rest.empty()) {
      if (!is_blank(rest[0]) || (om_ && rest[0] != ' ')) {
        error(n, fmt::format("invalid metric name in # {} line", keyword));
        return;
      }
      text = rest.substr(1);
      if (!om_) {
        size_t i = text.find_first_not_of(" \t");
        text.remove_prefix(i == std::string_view::npos ? text.size() : i);
      }
    }
    if (keyword == "HELP") {
      help(name, text, n);
    } else if (keyword == "TYPE") {
      type(name, text, n);
    } else {
      unit(name, text, n);
    }
  }

  // Index of the metadata entry of `family`, created on first use.
  storage::MetricMetadata& meta_of(std::string_view family) {
    auto it = meta_index_.find(std::string(family));
    if (it != meta_index_.end()) return out_->batch.metadata[it->second].meta;
    meta_index_.emplace(std::string(family), out_->batch.metadata.size());
    out_->batch.metadata.push_back({std::string(family), {}});
    return out_->batch.metadata.back().meta;
  }

  // OpenMetrics: makes `name` the current family; false (after an error) when it was closed.
  bool om_enter(std::string_view name, size_t n) {
    if (have_cur_ && cur_.name == name) return true;
    if (closed_.contains(std::string(name))) {
      error(n, fmt::format("metric family {} appears again after other families (a family's "
                           "lines must be contiguous in OpenMetrics)",
                           name));
      return false;
    }
    if (have_cur_) closed_.emplace(cur_.name, cur_.typed ? cur_.type : "");
    cur_ = OmFamily{};
    cur_.name = std::string(name);
    have_cur_ = true;
    return true;
  }

  // OpenMetrics: metadata must precede the family's samples and appear once.
  bool om_descriptor(std::string_view name, std::string_view what, bool OmFamily::*seen, size_t n) {
    if (!om_enter(name, n)) return false;
    if (cur_.sampled) {
      error(n, fmt::format("# {} for {} after its samples (metadata comes first)", what, name));
      return false;
    }
    if (cur_.*seen) {
      error(n, fmt::format("second # {} line for {}", what, name));
      return false;
    }
    cur_.*seen = true;
    return true;
  }

  void help(std::string_view name, std::string_view text, size_t n) {
    std::string h;
    for (size_t i = 0; i < text.size(); i++) {
      char c = text[i];
      if (c == '\\' && i + 1 < text.size()) {
        char d = text[i + 1];
        if (d == '\\' || d == 'n' || (om_ && d == '"')) {
          h += d == 'n' ? '\n' : d;
          i++;
          continue;
        }
        if (om_) {
          error(n, fmt::format("invalid escape \\{} in # HELP (only \\\\, \\\" and \\n)", d));
          return;
        }
      }
      h += c;
    }
    if (!valid_utf8(h)) {
      error(n, "# HELP text is not valid UTF-8");
      return;
    }
    if (om_) {
      if (!om_descriptor(name, "HELP", &OmFamily::helped, n)) return;
    } else {
      if (!help_seen_.insert(std::string(name)).second) {
        error(n, fmt::format("second # HELP line for {}", name));
        return;
      }
    }
    meta_of(name).help = std::move(h);
  }

  void type(std::string_view name, std::string_view t, size_t n) {
    if (!valid_type(t, om_)) {
      error(n, fmt::format("unknown metric type \"{}\" for {} (expected {})", t, name,
                           om_ ? "counter, gauge, histogram, gaugehistogram, stateset, info, "
                                 "summary or unknown"
                               : "counter, gauge, histogram, summary or untyped"));
      return;
    }
    if (om_) {
      if (!om_descriptor(name, "TYPE", &OmFamily::typed, n)) return;
      cur_.type = std::string(t);
    } else {
      std::string key(name);
      if (types_.contains(key)) {
        error(n, fmt::format("second # TYPE line for {}", name));
        return;
      }
      if (sampled_.contains(key)) {
        error(n, fmt::format("# TYPE line for {} after its samples (it must come first)", name));
        return;
      }
      types_.emplace(key, std::string(t));
    }
    meta_of(name).type = t == "untyped" ? "unknown" : std::string(t);
  }

  void unit(std::string_view name, std::string_view u, size_t n) {
    if (!u.empty() && !(name.size() > u.size() + 1 && name.ends_with(u) &&
                        name[name.size() - u.size() - 1] == '_')) {
      error(n, fmt::format("# UNIT {} does not match the family name {} (it must end in _{})", u,
                           name, u));
      return;
    }
    if (!om_descriptor(name, "UNIT", &OmFamily::united, n)) return;
    meta_of(name).unit = std::string(u);
  }

  // ---- samples -----------------------------------------------------------------------------

  // Parses the label list at l[*pos] == '{'; returns an error message or "".
  std::string labels(std::string_view l, size_t* pos, std::vector<Label>* out) {
    size_t i = *pos + 1;
    auto skip = [&] {
      if (!om_) {
        while (i < l.size() && is_blank(l[i])) i++;
      }
    };
    bool first = true;
    while (true) {
      skip();
      if (i >= l.size()) return "unterminated label list (missing })";
      if (l[i] == '}') {
        if (!first && om_) return "trailing comma in the label list";
        i++;
        break;
      }
      size_t s = i;
      while (i < l.size() && is_label_char(l[i])) i++;
      std::string_view name = l.substr(s, i - s);
      if (name.empty() || !is_label_start(name[0])) {
        return fmt::format("invalid label name at column {}", s + 1);
      }
      skip();
      if (i >= l.size() || l[i] != '=') {
        return fmt::format("expected = after label name {} at column {}", name, i + 1);
      }
      i++;
      skip();
      if (i >= l.size() || l[i] != '"') {
        return fmt::format("expected \" to open the value of label {} at column {}", name, i + 1);
      }
      i++;
      std::string value;
      bool closed = false;
      while (i < l.size()) {
        char c = l[i];
        if (c == '"') {
          closed = true;
          i++;
          break;
        }
        if (c == '\\') {
          if (i + 1 >= l.size()) break;
          char d = l[i + 1];
          if (d == '\\' || d == '"') {
            value += d;
          } else if (d == 'n') {
            value += '\n';
          } else if (om_) {
            return fmt::format(
                "invalid escape \\{} in the value of label {} (only \\\\, \\\" "
                "and \\n)",
                d, name);
          } else {
            value += c;
            value += d;
          }
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      if (!closed) return fmt::format("unterminated value of label {}", name);
      if (!valid_utf8(value)) return fmt::format("value of label {} is not valid UTF-8", name);
      if (name == kMetricName) {
        return "label name __name__ is reserved (the metric name goes before the braces)";
      }
      for (const auto& prev : *out) {
        if (prev.name == name) return fmt::format("duplicate label name {}", name);
      }
      out->push_back({std::string(name), std::move(value)});
      skip();
      if (i < l.size() && l[i] == ',') {
        i++;
        first = false;
        continue;
      }
      first = true;
      skip();
      if (i >= l.size() || l[i] != '}') {
        return fmt::format("expected , or }} after the value of label {} at column {}", name,
                           i + 1);
      }
    }
    *pos = i;
    return "";
  }

  std::string timestamp(std::string_view tok, int64_t* t_ms) {
    if (om_) {
      double sec;
      if (!parse_float(tok, &sec) || !std::isfinite(sec) || std::fabs(sec) > 9.0e15) {
        return fmt::format("invalid timestamp \"{}\" (OpenMetrics: seconds, e.g. 1700000000.5)",
                           tok);
      }
      *t_ms = std::llround(sec * 1000.0);
      return "";
    }
    auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), *t_ms);
    if (ec != std::errc() || p != tok.data() + tok.size()) {
      return fmt::format("invalid timestamp \"{}\" (text format 0.0.4: integer milliseconds)", tok);
    }
    return "";
  }

  // Parses `l` into *s; returns an error message or "".
  std::string parse_sample(std::string_view l, SampleLine* s) {
    size_t i = 0;
    while (i < l.size() && is_name_char(l[i])) i++;
    s->name = l.substr(0, i);
    if (s->name.empty() || !is_name_start(s->name[0])) {
      return "invalid metric name (expected [a-zA-Z_:][a-zA-Z0-9_:]*)";
    }
    if (i < l.size() && l[i] == '{') {
      std::string err = labels(l, &i, &s->labels);
      if (!err.empty()) return err;
    } else if (i < l.size() && !is_blank(l[i])) {
      return fmt::format("invalid character '{}' in metric name at column {}", l[i], i + 1);
    }
    std::string_view rest = l.substr(i);
    // Tokens: value [timestamp] [# exemplar]
    std::vector<std::string_view> toks;
    std::string_view exemplar;
    if (om_) {
      if (rest.empty() || rest[0] != ' ') return "expected one space before the value";
      rest.remove_prefix(1);
      size_t hash = rest.find(" # ");
      if (hash != std::string_view::npos) {
        exemplar = rest.substr(hash + 3);
        rest = rest.substr(0, hash);
      }
      size_t sp = rest.find(' ');
      toks.push_back(rest.substr(0, sp));
      if (sp != std::string_view::npos) toks.push_back(rest.substr(sp + 1));
      for (auto t : toks) {
        if (t.empty() || t.find(' ') != std::string_view::npos) {
          return "tokens must be separated by exactly one space";
        }
      }
    } else {
      size_t k = 0;
      while (k < rest.size()) {
        while (k < rest.size() && is_blank(rest[k])) k++;
        size_t b = k;
        while (k < rest.size() && !is_blank(rest[k])) k++;
        if (k > b) toks.push_back(rest.substr(b, k - b));
      }
    }
    if (toks.empty()) return "missing value";
    if (toks.size() > 2) {
      return fmt::format("unexpected text \"{}\" after the timestamp", toks[2]);
    }
    if (!parse_float(toks[0], &s->value)) {
      return fmt::format("invalid value \"{}\" (expected a float, NaN, +Inf or -Inf)", toks[0]);
    }
    if (toks.size() == 2) {
      std::string err = timestamp(toks[1], &s->t_ms);
      if (!err.empty()) return err;
      s->has_ts = true;
    }
    if (!exemplar.empty()) return parse_exemplar(exemplar, s);
    return "";
  }

  std::string parse_exemplar(std::string_view e, SampleLine* s) {
    storage::Exemplar* ex = &s->exemplar;
    if (e.empty() || e[0] != '{') return "exemplar must start with a label set: # {...} value";
    size_t i = 0;
    std::vector<Label> ls;
    std::string err = labels(e, &i, &ls);
    if (!err.empty()) return "exemplar: " + err;
    size_t chars = 0;
    for (const auto& l : ls) chars += utf8_chars(l.name) + utf8_chars(l.value);
    if (chars > kMaxExemplarLabelChars) {
      return fmt::format("exemplar label set has {} characters > {} (OpenMetrics limit)", chars,
                         kMaxExemplarLabelChars);
    }
    std::string_view rest = e.substr(i);
    if (rest.empty() || rest[0] != ' ') return "exemplar: expected one space before its value";
    rest.remove_prefix(1);
    size_t sp = rest.find(' ');
    std::string_view v = rest.substr(0, sp);
    if (!parse_float(v, &ex->value)) return fmt::format("exemplar: invalid value \"{}\"", v);
    if (sp != std::string_view::npos) {
      std::string_view ts = rest.substr(sp + 1);
      double sec;
      if (!parse_float(ts, &sec) || !std::isfinite(sec) || std::fabs(sec) > 9.0e15) {
        return fmt::format("exemplar: invalid timestamp \"{}\"", ts);
      }
      s->exemplar_has_ts = true;
      ex->t = std::llround(sec * 1000.0);
    }
    ex->labels = Labels(std::move(ls));
    s->has_exemplar = true;
    return "";
  }

  // OpenMetrics: checks the sample against its family; false after an error.
  bool om_sample(const SampleLine& s, size_t n) {
    std::string_view name = s.name;
    // Does the sample belong to the current family? (A family without a declared type holds
    // only samples of its own name.)
    if (have_cur_ && name.starts_with(cur_.name)) {
      std::string_view suffix = name.substr(cur_.name.size());
      bool known = suffix.empty();
      if (cur_.typed) {
        for (auto k : kAllSuffixes) known = known || suffix == k;
      }
      if (known) {
        auto allowed = om_suffixes(cur_.type);
        bool ok = false;
        for (auto a : allowed) ok = ok || suffix == a;
        if (!ok) {
          std::string list;
          for (auto a : allowed) list += fmt::format("{}\"{}\"", list.empty() ? "" : ", ", a);
          error(n, fmt::format("sample {} is not allowed in {} family {} (allowed suffixes: {})",
                               name, cur_.type, cur_.name, list));
          return false;
        }
        return om_family_rules(s, suffix, n);
      }
    }
    // A new family named after the sample (type unknown); it must not belong to a typed family
    // that was already left.
    for (auto k : kAllSuffixes) {
      if (!name.ends_with(k)) continue;
      auto it = closed_.find(std::string(name.substr(0, name.size() - k.size())));
      bool member = false;
      if (it != closed_.end() && !it->second.empty()) {
        for (auto a : om_suffixes(it->second)) member = member || a == k;
      }
      if (member) {
        error(n, fmt::format("sample {} appears after other families (a family's lines must be "
                             "contiguous in OpenMetrics)",
                             name));
        return false;
      }
    }
    if (!om_enter(name, n)) return false;
    return om_family_rules(s, "", n);
  }

  bool om_family_rules(const SampleLine& s, std::string_view suffix, size_t n) {
    const std::string& t = cur_.type;
    auto has_label = [&](std::string_view ln) {
      for (const auto& l : s.labels) {
        if (l.name == ln) return true;
      }
      return false;
    };
    if (suffix == "_bucket" && !has_label("le")) {
      error(n, fmt::format("bucket sample {} has no le label", s.name));
      return false;
    }
    if (t == "summary" && suffix.empty() && !has_label("quantile")) {
      error(n, fmt::format("summary sample {} has no quantile label", s.name));
      return false;
    }
    if (s.has_exemplar && !((t == "counter" && suffix == "_total") || suffix == "_bucket")) {
      error(n, fmt::format("exemplar on {}: only counter _total and histogram _bucket samples "
                           "may carry exemplars",
                           s.name));
      return false;
    }
    cur_.sampled = true;
    return true;
  }

  void sample(std::string_view l, size_t n) {
    SampleLine s;
    std::string err = parse_sample(l, &s);
    if (!err.empty()) {
      error(n, std::move(err));
      return;
    }
    if (s.has_ts && opts_.reject_timestamps) {
      error(n, "pushed samples must not carry a timestamp");
      return;
    }
    if (om_) {
      if (!om_sample(s, n)) return;
    } else {
      // The family a 0.0.4 sample belongs to: a histogram/summary named without the suffix,
      // else its own name.
      std::string family(s.name);
      for (std::string_view suf : {"_bucket", "_count", "_sum"}) {
        if (!s.name.ends_with(suf)) continue;
        auto it = types_.find(std::string(s.name.substr(0, s.name.size() - suf.size())));
        if (it != types_.end() && (it->second == "histogram" || it->second == "summary")) {
          family = it->first;
        }
      }
      sampled_.insert(std::move(family));
    }
    std::vector<Label> ls;
    ls.reserve(s.labels.size() + 1);
    ls.push_back({std::string(kMetricName), std::string(s.name)});
    for (auto& x : s.labels) ls.push_back(std::move(x));
    Labels labels(std::move(ls));
    int64_t t = s.has_ts ? s.t_ms : opts_.default_t_ms;
    // Duplicate series at the same timestamp.
    uint64_t key = labels.hash() ^ (s.has_ts ? static_cast<uint64_t>(s.t_ms) * 0x9E3779B97F4A7C15ull
                                             : 0x5bd1e995ull);
    auto range = seen_.equal_range(key);
    for (auto it = range.first; it != range.second; ++it) {
      const auto& prev = out_->batch.series[it->second.first];
      if (prev.labels == labels && prev.samples[0].t == t &&
          out_->has_timestamp[it->second.first] == s.has_ts) {
        error(n, fmt::format("duplicate sample for series {} (first on line {})",
                             labels.to_string(), it->second.second));
        return;
      }
    }
    size_t idx = out_->batch.series.size();
    seen_.emplace(key, std::make_pair(idx, n));
    SeriesSamples ss;
    ss.labels = std::move(labels);
    ss.samples.push_back(storage::Sample::value(t, s.value));
    ss.item = fmt::format("line {}", n);
    if (s.has_exemplar) {
      if (!s.exemplar_has_ts) s.exemplar.t = t;
      ss.exemplars.push_back(std::move(s.exemplar));
    }
    out_->batch.series.push_back(std::move(ss));
    out_->has_timestamp.push_back(s.has_ts);
  }

  const bool om_;
  const TextParseOptions opts_;
  TextParseResult* out_;
  bool eof_ = false;
  std::unordered_map<std::string, size_t> meta_index_;
  // 0.0.4
  std::unordered_map<std::string, std::string> types_;
  std::unordered_set<std::string> help_seen_;
  std::unordered_set<std::string> sampled_;
  // OpenMetrics
  OmFamily cur_;
  bool have_cur_ = false;
  // Families already left, with their declared type ("" when none was declared).
  std::unordered_map<std::string, std::string> closed_;
  // (labels hash ^ timestamp) -> (series index, line)
  std::unordered_multimap<uint64_t, std::pair<size_t, size_t>> seen_;
};

}  // namespace

TextFormat text_format_for_content_type(std::string_view ct) {
  while (!ct.empty() && is_blank(ct.front())) ct.remove_prefix(1);
  return ct.starts_with("application/openmetrics-text") ? TextFormat::kOpenMetrics
                                                        : TextFormat::kText004;
}

bool is_protobuf_exposition(std::string_view ct) {
  while (!ct.empty() && is_blank(ct.front())) ct.remove_prefix(1);
  return ct.starts_with("application/vnd.google.protobuf");
}

void parse_text(std::string_view body, const TextParseOptions& opts, TextParseResult* out) {
  Parser p(opts, out);
  p.run(body);
}

void append_text_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, p);
  }
}

std::string encode_text(const std::vector<SeriesSamples>& series,
                        const std::vector<MetadataEntry>& metadata, bool with_timestamps) {
  std::unordered_map<std::string_view, const storage::MetricMetadata*> meta;
  for (const auto& m : metadata) meta.emplace(m.metric, &m.meta);
  std::unordered_set<std::string_view> written;
  std::string out;
  auto header = [&](std::string_view family) {
    if (!written.insert(family).second) return;
    auto it = meta.find(family);
    if (it == meta.end()) return;
    const auto& m = *it->second;
    if (!m.help.empty()) {
      out += "# HELP ";
      out += family;
      out += ' ';
      for (char c : m.help) {
        if (c == '\\') {
          out += "\\\\";
        } else if (c == '\n') {
          out += "\\n";
        } else {
          out += c;
        }
      }
      out += '\n';
    }
    if (!m.type.empty()) {
      std::string_view t = m.type;
      if (!valid_type(t, false) || t == "untyped") t = "untyped";
      out += "# TYPE ";
      out += family;
      out += ' ';
      out += t;
      out += '\n';
    }
  };
  for (const auto& s : series) {
    std::string_view name = s.labels.metric_name();
    if (name.empty()) continue;
    std::string_view family = name;
    for (std::string_view suf : {"_bucket", "_count", "_sum"}) {
      if (!name.ends_with(suf)) continue;
      auto it = meta.find(name.substr(0, name.size() - suf.size()));
      if (it != meta.end() && (it->second->type == "histogram" || it->second->type == "summary")) {
        family = it->first;
      }
    }
    header(family);
    if (family != name) written.insert(name);
    for (const auto& smp : s.samples) {
      if (smp.is_stats) continue;
      out += name;
      bool any = false;
      for (const auto& l : s.labels) {
        if (l.name == kMetricName) continue;
        out += any ? ',' : '{';
        any = true;
        out += l.name;
        out += '=';
        append_quoted(out, l.value);
      }
      if (any) out += '}';
      out += ' ';
      append_text_value(out, smp.v);
      if (with_timestamps) {
        out += ' ';
        out += std::to_string(smp.t);
      }
      out += '\n';
    }
  }
  for (const auto& m : metadata) header(m.metric);
  return out;
}

}  // namespace opsight::ingest::prometheus
