#include "query/metricmath/search_expression.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace opsight::query::metricmath {

struct SearchExpression::Term {
  enum class Kind { kMatch, kAnd, kOr, kNot };
  Kind kind = Kind::kMatch;
  std::string property;  // empty: any property
  std::string value;
  bool exact = false;
  std::vector<std::string> tokens;  // partial: tokens of value
  std::vector<std::shared_ptr<const Term>> children;
};

namespace {

using Term = SearchExpression::Term;

bool is_upper(char c) {
  return std::isupper(static_cast<unsigned char>(c)) != 0;
}
bool is_lower(char c) {
  return std::islower(static_cast<unsigned char>(c)) != 0;
}
bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

struct Tok {
  enum class Kind { kWord, kQuoted, kLBrace, kRBrace, kLParen, kRParen, kComma, kEq, kEnd };
  Kind kind;
  std::string text;
  size_t pos;
};

Status err(size_t pos, std::string_view what) {
  return Status::invalid_argument(fmt::format("search expression: {} at position {}", what, pos));
}

Result<std::vector<Tok>> lex(std::string_view s) {
  std::vector<Tok> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      i++;
      continue;
    }
    size_t start = i;
    Tok::Kind single = Tok::Kind::kEnd;
    switch (c) {
      case '{':
        single = Tok::Kind::kLBrace;
        break;
      case '}':
        single = Tok::Kind::kRBrace;
        break;
      case '(':
        single = Tok::Kind::kLParen;
        break;
      case ')':
        single = Tok::Kind::kRParen;
        break;
      case ',':
        single = Tok::Kind::kComma;
        break;
      case '=':
        single = Tok::Kind::kEq;
        break;
      default:
        break;
    }
    if (single != Tok::Kind::kEnd) {
      out.push_back({single, std::string(1, c), start});
      i++;
      continue;
    }
    if (c == '"') {
      std::string v;
      i++;
      bool closed = false;
      while (i < s.size()) {
        if (s[i] == '\\' && i + 1 < s.size()) {
          v.push_back(s[i + 1]);
          i += 2;
          continue;
        }
        if (s[i] == '"') {
          closed = true;
          i++;
          break;
        }
        v.push_back(s[i++]);
      }
      if (!closed) return err(start, "unterminated quoted string");
      out.push_back({Tok::Kind::kQuoted, std::move(v), start});
      continue;
    }
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i])) &&
           std::string_view("{}(),=\"").find(s[i]) == std::string_view::npos) {
      i++;
    }
    out.push_back({Tok::Kind::kWord, std::string(s.substr(start, i - start)), start});
  }
  out.push_back({Tok::Kind::kEnd, "", s.size()});
  return out;
}

class Parser {
 public:
  explicit Parser(std::vector<Tok> t) : t_(std::move(t)) {}
  const Tok& peek() const { return t_[i_]; }
  const Tok& take() { return t_[i_++]; }
  bool is_word(std::string_view w) const {
    return peek().kind == Tok::Kind::kWord && peek().text == w;
  }

  Result<std::shared_ptr<const Term>> or_expr() {
    ASSIGN_OR_RETURN(auto l, and_expr());
    if (!is_word("OR")) return l;
    auto n = std::make_shared<Term>();
    n->kind = Term::Kind::kOr;
    n->children.push_back(std::move(l));
    while (is_word("OR")) {
      take();
      ASSIGN_OR_RETURN(auto r, and_expr());
      n->children.push_back(std::move(r));
    }
    return std::shared_ptr<const Term>(n);
  }

  bool starts_operand() const {
    auto k = peek().kind;
    if (k == Tok::Kind::kWord) return peek().text != "OR" && peek().text != "AND";
    return k == Tok::Kind::kQuoted || k == Tok::Kind::kLParen;
  }

  Result<std::shared_ptr<const Term>> and_expr() {
    ASSIGN_OR_RETURN(auto l, not_expr());
    auto n = std::make_shared<Term>();
    n->kind = Term::Kind::kAnd;
    n->children.push_back(std::move(l));
    for (;;) {
      if (is_word("AND")) {
        take();
      } else if (!starts_operand()) {
        break;
      }
      ASSIGN_OR_RETURN(auto r, not_expr());
      n->children.push_back(std::move(r));
    }
    if (n->children.size() == 1) return n->children[0];
    return std::shared_ptr<const Term>(n);
  }

  Result<std::shared_ptr<const Term>> not_expr() {
    if (++depth_ > 50) return err(peek().pos, "expression nested too deeply");
    Result<std::shared_ptr<const Term>> r = Status::internal("unset");
    if (is_word("NOT")) {
      take();
      auto n = std::make_shared<Term>();
      n->kind = Term::Kind::kNot;
      ASSIGN_OR_RETURN(auto c, not_expr());
      n->children.push_back(std::move(c));
      r = std::shared_ptr<const Term>(n);
    } else if (peek().kind == Tok::Kind::kLParen) {
      take();
      ASSIGN_OR_RETURN(auto inner, or_expr());
      if (peek().kind != Tok::Kind::kRParen) return err(peek().pos, "expected \")\"");
      take();
      r = inner;
    } else {
      r = term();
    }
    depth_--;
    return r;
  }

  Result<std::shared_ptr<const Term>> term() {
    const Tok& t = peek();
    if (t.kind != Tok::Kind::kWord && t.kind != Tok::Kind::kQuoted) {
      return err(t.pos, t.kind == Tok::Kind::kEnd ? "expected a search term"
                                                  : "unexpected \"" + t.text + "\"");
    }
    auto n = std::make_shared<Term>();
    Tok first = take();
    if (peek().kind == Tok::Kind::kEq) {
      take();
      const Tok& v = peek();
      if (v.kind != Tok::Kind::kWord && v.kind != Tok::Kind::kQuoted) {
        return err(v.pos, "expected a value after \"" + first.text + "=\"");
      }
      n->property = first.text;
      n->exact = v.kind == Tok::Kind::kQuoted;
      n->value = take().text;
    } else {
      n->exact = first.kind == Tok::Kind::kQuoted;
      n->value = first.text;
    }
    if (!n->exact) {
      n->tokens = search_tokens(n->value);
      if (n->tokens.empty())
        return err(first.pos, "search term \"" + n->value + "\" has no letters or digits");
    }
    return std::shared_ptr<const Term>(n);
  }

  std::vector<Tok> t_;
  size_t i_ = 0;
  int depth_ = 0;
};

bool token_match(const std::vector<std::string>& needle, std::string_view hay) {
  auto toks = search_tokens(hay);
  if (needle.size() > toks.size()) return false;
  for (size_t i = 0; i + needle.size() <= toks.size(); i++) {
    if (std::equal(needle.begin(), needle.end(), toks.begin() + static_cast<ptrdiff_t>(i))) {
      return true;
    }
  }
  return false;
}

bool value_match(const Term& t, std::string_view v) {
  return t.exact ? v == t.value : token_match(t.tokens, v);
}

bool eval(const Term& t, const Labels& labels) {
  switch (t.kind) {
    case Term::Kind::kAnd:
      return std::all_of(t.children.begin(), t.children.end(),
                         [&](const auto& c) { return eval(*c, labels); });
    case Term::Kind::kOr:
      return std::any_of(t.children.begin(), t.children.end(),
                         [&](const auto& c) { return eval(*c, labels); });
    case Term::Kind::kNot:
      return !eval(*t.children[0], labels);
    case Term::Kind::kMatch:
      break;
  }
  if (!t.property.empty()) {
    std::string_view name = t.property == "MetricName" ? kMetricName : t.property;
    if (!labels.has(name)) return false;
    return value_match(t, labels.get(name));
  }
  for (const auto& l : labels) {
    if (value_match(t, l.value)) return true;
    if (l.name != kMetricName && l.name != "Namespace" && value_match(t, l.name)) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> search_tokens(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(std::move(cur));
    cur.clear();
  };
  for (size_t i = 0; i < s.size(); i++) {
    char c = s[i];
    if (!is_alnum(c)) {
      flush();
      continue;
    }
    if (is_upper(c) && !cur.empty()) {
      char prev = s[i - 1];
      bool next_lower = i + 1 < s.size() && is_lower(s[i + 1]);
      if (is_lower(prev) || (is_upper(prev) && next_lower)) flush();
    }
    cur.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  flush();
  return out;
}

Result<SearchExpression> SearchExpression::parse(std::string_view text) {
  ASSIGN_OR_RETURN(auto toks, lex(text));
  SearchExpression out;
  Parser p(std::move(toks));
  if (p.peek().kind == Tok::Kind::kLBrace) {
    size_t pos = p.take().pos;
    std::vector<std::string> names;
    for (;;) {
      const Tok& t = p.peek();
      if (t.kind != Tok::Kind::kWord && t.kind != Tok::Kind::kQuoted) {
        return err(t.pos, "expected a namespace or dimension name in the schema {...}");
      }
      names.push_back(p.take().text);
      if (p.peek().kind == Tok::Kind::kComma) {
        p.take();
        continue;
      }
      if (p.peek().kind == Tok::Kind::kRBrace) {
        p.take();
        break;
      }
      return err(p.peek().pos, "expected \",\" or \"}\" in the schema");
    }
    if (names[0].empty()) return err(pos, "the schema's namespace is empty");
    out.has_schema_ = true;
    out.schema_namespace_ = names[0];
    out.schema_dims_.assign(names.begin() + 1, names.end());
  }
  if (p.peek().kind != Tok::Kind::kEnd) {
    ASSIGN_OR_RETURN(out.root_, p.or_expr());
    if (p.peek().kind != Tok::Kind::kEnd) {
      return err(p.peek().pos, "unexpected \"" + p.peek().text + "\"");
    }
  }
  if (!out.has_schema_ && !out.root_) return err(0, "the search expression is empty");
  return out;
}

std::vector<storage::Matcher> SearchExpression::matchers() const {
  std::vector<storage::Matcher> out;
  bool has_ns = false;
  if (has_schema_) {
    out.push_back(storage::Matcher::equal("Namespace", schema_namespace_));
    has_ns = true;
    for (const auto& d : schema_dims_) {
      auto m = storage::Matcher::make(storage::MatchType::kRegexMatch, d, ".+");
      if (m.ok()) out.push_back(std::move(*m));
    }
  }
  // Exact property terms of a top-level conjunction narrow the selection in the index.
  std::vector<const Term*> conj;
  if (root_) {
    if (root_->kind == Term::Kind::kAnd) {
      for (const auto& c : root_->children) conj.push_back(c.get());
    } else {
      conj.push_back(root_.get());
    }
  }
  for (const Term* t : conj) {
    if (t->kind != Term::Kind::kMatch || !t->exact || t->property.empty()) continue;
    std::string name = t->property == "MetricName" ? std::string(kMetricName) : t->property;
    if (name == "Namespace") {
      if (has_ns) continue;
      has_ns = true;
    }
    out.push_back(storage::Matcher::equal(name, t->value));
  }
  if (!has_ns) {
    auto m = storage::Matcher::make(storage::MatchType::kRegexMatch, "Namespace", ".+");
    if (m.ok()) out.push_back(std::move(*m));
  }
  return out;
}

bool SearchExpression::matches(const Labels& labels) const {
  if (has_schema_) {
    if (labels.get("Namespace") != schema_namespace_) return false;
    size_t dims = 0;
    for (const auto& l : labels) {
      if (l.name == kMetricName || l.name == "Namespace") continue;
      if (std::find(schema_dims_.begin(), schema_dims_.end(), l.name) == schema_dims_.end()) {
        return false;
      }
      dims++;
    }
    if (dims != schema_dims_.size()) return false;
  }
  return !root_ || eval(*root_, labels);
}

}  // namespace opsight::query::metricmath
