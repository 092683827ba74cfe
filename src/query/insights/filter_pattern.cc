#include "query/insights/filter_pattern.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "query/insights/value.h"

namespace opsight::query::insights {
namespace {

// A condition of a JSON or space-delimited pattern.
struct Cond {
  enum class Kind { kAnd, kOr, kCompare, kIsNull, kNotExists, kIsTrue, kIsFalse };
  Kind kind = Kind::kCompare;
  std::vector<Cond> children;
  std::string field;  // flattened JSON name, or a space-delimited field name
  std::string op;     // = != < > <= >=
  std::string value;  // as written (unquoted)
  bool quoted = false;
  std::optional<double> number;  // value as a number, when unquoted and numeric
};

// '*' matches any run of characters; everything else literally; the whole text must match.
bool wildcard_match(std::string_view pat, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pat.size() && pat[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pat.size() && pat[p] == text[t]) {
      p++;
      t++;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p] == '*') p++;
  return p == pat.size();
}

// Field lookup for condition evaluation.
class Fields {
 public:
  virtual ~Fields() = default;
  virtual std::optional<std::string_view> get(std::string_view name) const = 0;
  virtual bool has_prefix(std::string_view) const { return false; }
};

bool eval_cond(const Cond& c, const Fields& f) {
  switch (c.kind) {
    case Cond::Kind::kAnd:
      for (const auto& ch : c.children) {
        if (!eval_cond(ch, f)) return false;
      }
      return true;
    case Cond::Kind::kOr:
      for (const auto& ch : c.children) {
        if (eval_cond(ch, f)) return true;
      }
      return false;
    case Cond::Kind::kNotExists:
      return !f.get(c.field) && !f.has_prefix(c.field);
    default:
      break;
  }
  auto v = f.get(c.field);
  if (!v) return false;
  switch (c.kind) {
    case Cond::Kind::kIsNull:
      return *v == "null";
    case Cond::Kind::kIsTrue:
      return *v == "true";
    case Cond::Kind::kIsFalse:
      return *v == "false";
    default:
      break;
  }
  auto n = parse_number(*v);
  if (c.op == "=" || c.op == "!=") {
    bool eq;
    if (c.number && n) {
      eq = *c.number == *n;
    } else if (c.value == "*" && !c.quoted) {
      eq = true;
    } else {
      eq = wildcard_match(c.value, *v);
    }
    return c.op == "=" ? eq : !eq;
  }
  if (!c.number || !n) return false;
  if (c.op == "<") return *n < *c.number;
  if (c.op == "<=") return *n <= *c.number;
  if (c.op == ">") return *n > *c.number;
  return *n >= *c.number;  // ">="
}

class RecordFields : public Fields {
 public:
  explicit RecordFields(const storage::LogRecord& r) : r_(r) {}
  std::optional<std::string_view> get(std::string_view name) const override {
    for (const auto& f : r_.fields) {
      if (f.name == name) return f.value;
    }
    return std::nullopt;
  }
  bool has_prefix(std::string_view name) const override {
    for (const auto& f : r_.fields) {
      if (f.name.size() > name.size() && f.name.substr(0, name.size()) == name &&
          f.name[name.size()] == '.') {
        return true;
      }
    }
    return false;
  }

 private:
  const storage::LogRecord& r_;
};

struct SpaceEntry {
  bool ellipsis = false;
  std::string name;  // "" for an unnamed field
};

class SpaceFields : public Fields {
 public:
  std::vector<std::pair<std::string_view, std::string_view>> values;
  std::optional<std::string_view> get(std::string_view name) const override {
    for (const auto& [n, v] : values) {
      if (n == name) return v;
    }
    return std::nullopt;
  }
};

// Splits a message on spaces; "quoted" and [bracketed] runs are one field each (without the
// quotes or brackets).
std::vector<std::string_view> split_space_delimited(std::string_view m) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < m.size()) {
    while (i < m.size() && m[i] == ' ') i++;
    if (i >= m.size()) break;
    char close = m[i] == '"' ? '"' : (m[i] == '[' ? ']' : 0);
    if (close) {
      size_t end = m.find(close, i + 1);
      if (end != std::string_view::npos) {
        out.push_back(m.substr(i + 1, end - i - 1));
        i = end + 1;
        continue;
      }
    }
    size_t end = m.find(' ', i);
    if (end == std::string_view::npos) end = m.size();
    out.push_back(m.substr(i, end - i));
    i = end;
  }
  return out;
}

bool term_char(char c) {
  return c != ' ' && c != '\t' && c != '\n' && c != '\r';
}

class PatternParser {
 public:
  explicit PatternParser(std::string_view s) : s_(s) {}

  Status error(const std::string& what) const {
    return Status::invalid_argument("filter pattern column " + std::to_string(pos_ + 1) + ": " +
                                    what);
  }
  void skip() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      pos_++;
    }
  }
  bool eat(std::string_view tok) {
    skip();
    if (s_.substr(pos_, tok.size()) == tok) {
      pos_ += tok.size();
      return true;
    }
    return false;
  }
  bool eat_word(std::string_view w) {
    skip();
    if (s_.size() - pos_ < w.size()) return false;
    for (size_t i = 0; i < w.size(); i++) {
      char c = s_[pos_ + i];
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      if (c != w[i]) return false;
    }
    size_t after = pos_ + w.size();
    if (after < s_.size() && (isalnum(static_cast<unsigned char>(s_[after])) || s_[after] == '_')) {
      return false;
    }
    pos_ = after;
    return true;
  }
  bool at_end() {
    skip();
    return pos_ >= s_.size();
  }
  size_t pos() const { return pos_; }

  // or := and ('||' and)* ; and := atom ('&&' atom)*
  Result<Cond> or_cond(bool json) {
    ASSIGN_OR_RETURN(Cond first, and_cond(json));
    if (!peek_op("||")) return first;
    Cond c;
    c.kind = Cond::Kind::kOr;
    c.children.push_back(std::move(first));
    while (eat("||")) {
      ASSIGN_OR_RETURN(Cond next, and_cond(json));
      c.children.push_back(std::move(next));
    }
    return c;
  }
  Result<Cond> and_cond(bool json) {
    ASSIGN_OR_RETURN(Cond first, atom(json));
    if (!peek_op("&&")) return first;
    Cond c;
    c.kind = Cond::Kind::kAnd;
    c.children.push_back(std::move(first));
    while (eat("&&")) {
      ASSIGN_OR_RETURN(Cond next, atom(json));
      c.children.push_back(std::move(next));
    }
    return c;
  }
  bool peek_op(std::string_view op) {
    skip();
    return s_.substr(pos_, op.size()) == op;
  }

  Result<Cond> atom(bool json) {
    if (eat("(")) {
      ASSIGN_OR_RETURN(Cond inner, or_cond(json));
      if (!eat(")")) return error("expected ')'");
      return inner;
    }
    Cond c;
    if (json) {
      ASSIGN_OR_RETURN(c.field, selector());
    } else {
      ASSIGN_OR_RETURN(c.field, name());
    }
    if (json) {
      if (eat_word("IS")) {
        if (eat_word("NULL")) {
          c.kind = Cond::Kind::kIsNull;
        } else if (eat_word("TRUE")) {
          c.kind = Cond::Kind::kIsTrue;
        } else if (eat_word("FALSE")) {
          c.kind = Cond::Kind::kIsFalse;
        } else {
          return error("expected NULL, TRUE or FALSE after IS");
        }
        return c;
      }
      if (eat_word("NOT")) {
        if (!eat_word("EXISTS")) return error("expected EXISTS after NOT");
        c.kind = Cond::Kind::kNotExists;
        return c;
      }
    }
    static constexpr std::string_view kOps[] = {"!=", "<=", ">=", "=", "<", ">"};
    for (auto op : kOps) {
      if (eat(op)) {
        c.op = std::string(op);
        break;
      }
    }
    if (c.op.empty()) return error("expected a comparison (= != < > <= >=)");
    RETURN_IF_ERROR(value(&c));
    if (c.op != "=" && c.op != "!=" && !c.number) {
      return error("'" + c.op + "' needs a number");
    }
    return c;
  }

  // $.a.b[0].c -> "a.b.0.c"
  Result<std::string> selector() {
    skip();
    if (pos_ >= s_.size() || s_[pos_] != '$') return error("expected a selector such as $.level");
    pos_++;
    std::string out;
    while (pos_ < s_.size()) {
      if (s_[pos_] == '.') {
        pos_++;
        size_t b = pos_;
        while (pos_ < s_.size() &&
               (isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_' ||
                s_[pos_] == '-' || s_[pos_] == '@' || s_[pos_] == '$')) {
          pos_++;
        }
        if (pos_ == b) return error("expected a property name after '.'");
        if (!out.empty()) out += '.';
        out += s_.substr(b, pos_ - b);
      } else if (s_[pos_] == '[') {
        size_t b = ++pos_;
        while (pos_ < s_.size() && isdigit(static_cast<unsigned char>(s_[pos_]))) pos_++;
        if (pos_ == b || pos_ >= s_.size() || s_[pos_] != ']') {
          return error("expected [NUMBER] in the selector");
        }
        if (out.empty()) return error("an array index must follow a property");
        out += '.';
        out += s_.substr(b, pos_ - b);
        pos_++;
      } else {
        break;
      }
    }
    if (out.empty()) return error("expected a selector such as $.level");
    return out;
  }

  Result<std::string> name() {
    skip();
    size_t b = pos_;
    while (pos_ < s_.size() &&
           (isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_' || s_[pos_] == '-' ||
            s_[pos_] == '.' || s_[pos_] == '$' || s_[pos_] == '@')) {
      pos_++;
    }
    if (pos_ == b) return error("expected a field name");
    return std::string(s_.substr(b, pos_ - b));
  }

  Status value(Cond* c) {
    skip();
    if (pos_ < s_.size() && s_[pos_] == '"') {
      size_t end = s_.find('"', pos_ + 1);
      if (end == std::string_view::npos) return error("unterminated string");
      c->value = std::string(s_.substr(pos_ + 1, end - pos_ - 1));
      c->quoted = true;
      pos_ = end + 1;
      return OkStatus();
    }
    size_t b = pos_;
    while (pos_ < s_.size() && term_char(s_[pos_]) && s_[pos_] != ')' && s_[pos_] != '}' &&
           s_[pos_] != ']' && s_[pos_] != ',' && s_.substr(pos_, 2) != "&&" &&
           s_.substr(pos_, 2) != "||") {
      pos_++;
    }
    if (pos_ == b) return error("expected a value");
    c->value = std::string(s_.substr(b, pos_ - b));
    c->number = parse_number(c->value);
    return OkStatus();
  }

  // One entry of a space-delimited pattern: "...", "", "name", or "name <conditions>".
  Result<std::pair<SpaceEntry, std::optional<Cond>>> space_entry() {
    SpaceEntry e;
    skip();
    if (eat("...")) {
      e.ellipsis = true;
      return std::make_pair(e, std::optional<Cond>());
    }
    if (peek_op(",") || peek_op("]")) return std::make_pair(e, std::optional<Cond>());
    size_t save = pos_;
    ASSIGN_OR_RETURN(e.name, name());
    skip();
    if (peek_op(",") || peek_op("]")) return std::make_pair(e, std::optional<Cond>());
    pos_ = save;
    ASSIGN_OR_RETURN(Cond c, or_cond(false));
    return std::make_pair(e, std::optional<Cond>(std::move(c)));
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

struct FilterPattern::Impl {
  enum class Kind { kAll, kTerms, kJson, kSpace };
  Kind kind = Kind::kAll;
  std::vector<std::string> required, optional, excluded;
  Cond cond;
  bool has_cond = false;
  std::vector<SpaceEntry> entries;
  std::vector<Cond> space_conds;
};

bool FilterPattern::matches_all() const {
  return impl_->kind == Impl::Kind::kAll;
}

bool FilterPattern::matches(const storage::LogRecord& r) const {
  return matches(r, nullptr);
}

bool FilterPattern::matches(const storage::LogRecord& r,
                            std::vector<SpaceField>* space_fields) const {
  if (space_fields != nullptr) space_fields->clear();
  const Impl& p = *impl_;
  switch (p.kind) {
    case Impl::Kind::kAll:
      return true;
    case Impl::Kind::kTerms: {
      for (const auto& t : p.required) {
        if (r.message.find(t) == std::string_view::npos) return false;
      }
      for (const auto& t : p.excluded) {
        if (r.message.find(t) != std::string_view::npos) return false;
      }
      if (p.optional.empty()) return true;
      for (const auto& t : p.optional) {
        if (r.message.find(t) != std::string_view::npos) return true;
      }
      return false;
    }
    case Impl::Kind::kJson:
      return eval_cond(p.cond, RecordFields(r));
    case Impl::Kind::kSpace: {
      auto words = split_space_delimited(r.message);
      size_t ell = p.entries.size();
      for (size_t i = 0; i < p.entries.size(); i++) {
        if (p.entries[i].ellipsis) ell = i;
      }
      SpaceFields f;
      if (ell == p.entries.size()) {
        if (words.size() != p.entries.size()) return false;
        for (size_t i = 0; i < words.size(); i++)
          f.values.emplace_back(p.entries[i].name, words[i]);
      } else {
        size_t suffix = p.entries.size() - ell - 1;
        if (words.size() < ell + suffix) return false;
        for (size_t i = 0; i < ell; i++) f.values.emplace_back(p.entries[i].name, words[i]);
        for (size_t i = 0; i < suffix; i++) {
          f.values.emplace_back(p.entries[ell + 1 + i].name, words[words.size() - suffix + i]);
        }
      }
      for (const auto& c : p.space_conds) {
        if (!eval_cond(c, f)) return false;
      }
      if (space_fields != nullptr) {
        for (const auto& v : f.values) {
          if (!v.first.empty()) space_fields->push_back(v);
        }
      }
      return true;
    }
  }
  return false;
}

Result<FilterPattern> parse_filter_pattern(std::string_view text) {
  auto impl = std::make_shared<FilterPattern::Impl>();
  size_t b = 0, e = text.size();
  while (b < e && (text[b] == ' ' || text[b] == '\t' || text[b] == '\n' || text[b] == '\r')) b++;
  while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t' || text[e - 1] == '\n' ||
                   text[e - 1] == '\r')) {
    e--;
  }
  std::string_view t = text.substr(b, e - b);
  FilterPattern out;
  if (t.empty() || t == "\"\"") {
    out.impl_ = impl;
    return out;
  }
  PatternParser p(text);
  if (t.front() == '{') {
    impl->kind = FilterPattern::Impl::Kind::kJson;
    p.eat("{");
    ASSIGN_OR_RETURN(impl->cond, p.or_cond(true));
    if (!p.eat("}")) return p.error("expected '}' or && / ||");
    if (!p.at_end()) return p.error("unexpected text after '}'");
  } else if (t.front() == '[') {
    impl->kind = FilterPattern::Impl::Kind::kSpace;
    p.eat("[");
    int ellipses = 0;
    while (true) {
      ASSIGN_OR_RETURN(auto entry, p.space_entry());
      if (entry.first.ellipsis) ellipses++;
      if (entry.second) {
        // The entry is named by the first field its condition reads.
        const Cond* c = &*entry.second;
        while (c->kind == Cond::Kind::kAnd || c->kind == Cond::Kind::kOr) c = &c->children[0];
        entry.first.name = c->field;
        impl->space_conds.push_back(std::move(*entry.second));
      }
      impl->entries.push_back(std::move(entry.first));
      if (p.eat(",")) continue;
      if (p.eat("]")) break;
      return p.error("expected ',' or ']'");
    }
    if (ellipses > 1) return p.error("a space-delimited pattern may use '...' only once");
    if (!p.at_end()) return p.error("unexpected text after ']'");
    // An empty entry (as in "[..., status=4*,]") is an unnamed field.
  } else {
    impl->kind = FilterPattern::Impl::Kind::kTerms;
    size_t i = b;
    while (i < e) {
      while (i < e && !term_char(text[i])) i++;
      if (i >= e) break;
      std::vector<std::string>* list = &impl->required;
      if (text[i] == '?') {
        list = &impl->optional;
        i++;
      } else if (text[i] == '-' && i + 1 < e) {
        // "-term" and, as the documentation writes it, "ERROR" - "Exiting".
        list = &impl->excluded;
        i++;
        while (i < e && !term_char(text[i])) i++;
      }
      std::string term;
      if (i < e && text[i] == '"') {
        size_t end = text.find('"', i + 1);
        if (end == std::string_view::npos || end >= e) {
          return Status::invalid_argument("filter pattern column " + std::to_string(i + 1) +
                                          ": unterminated quoted term");
        }
        term = std::string(text.substr(i + 1, end - i - 1));
        i = end + 1;
      } else {
        size_t start = i;
        while (i < e && term_char(text[i])) i++;
        term = std::string(text.substr(start, i - start));
      }
      if (!term.empty()) list->push_back(std::move(term));
    }
  }
  out.impl_ = impl;
  return out;
}

}  // namespace opsight::query::insights
