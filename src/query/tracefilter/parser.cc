// Recursive-descent parser for the grammar in parser.h, with one token of lookahead.
#include "query/tracefilter/parser.h"

#include <fmt/format.h>

#include <cctype>

#include "query/tracefilter/lexer.h"

namespace opsight::query::tracefilter {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct Keyword {
  std::string_view word;
  NodeKind kind;
  int key;
};

constexpr Keyword kKeywords[] = {
    {"ok", NodeKind::kBool, static_cast<int>(BoolKey::kOk)},
    {"error", NodeKind::kBool, static_cast<int>(BoolKey::kError)},
    {"throttle", NodeKind::kBool, static_cast<int>(BoolKey::kThrottle)},
    {"fault", NodeKind::kBool, static_cast<int>(BoolKey::kFault)},
    {"partial", NodeKind::kBool, static_cast<int>(BoolKey::kPartial)},
    {"responsetime", NodeKind::kNumber, static_cast<int>(NumKey::kResponseTime)},
    {"duration", NodeKind::kNumber, static_cast<int>(NumKey::kDuration)},
    {"http.status", NodeKind::kNumber, static_cast<int>(NumKey::kHttpStatus)},
    {"http.url", NodeKind::kString, static_cast<int>(StrKey::kHttpUrl)},
    {"http.method", NodeKind::kString, static_cast<int>(StrKey::kHttpMethod)},
    {"http.useragent", NodeKind::kString, static_cast<int>(StrKey::kHttpUserAgent)},
    {"http.clientip", NodeKind::kString, static_cast<int>(StrKey::kHttpClientIp)},
    {"user", NodeKind::kString, static_cast<int>(StrKey::kUser)},
    {"name", NodeKind::kString, static_cast<int>(StrKey::kName)},
};

constexpr std::string_view kUnsupported[] = {"inferred", "first",    "last",       "index",
                                             "coverage", "json",     "group.name", "group.arn",
                                             "type",     "rootcause"};

constexpr std::string_view kKnownList =
    "ok, error, throttle, fault, partial, responsetime, duration, http.status, http.url, "
    "http.method, http.useragent, http.clientip, user, name, annotation.<key>, service(), "
    "edge(), id()";

class Parser {
 public:
  explicit Parser(std::string_view src) : lex_(src) {}

  Result<Filter> parse() {
    RETURN_IF_ERROR(advance());
    Filter f;
    if (tok_.kind == TokenKind::kEnd) return f;
    ASSIGN_OR_RETURN(f.root, expr(0));
    if (tok_.kind != TokenKind::kEnd) {
      return error(tok_.offset, fmt::format("expected AND, OR or the end of the expression, "
                                            "found {}",
                                            describe(tok_)));
    }
    return f;
  }

 private:
  Status advance() {
    ASSIGN_OR_RETURN(tok_, lex_.next());
    return OkStatus();
  }

  static Status error(size_t offset, std::string_view what) {
    return Status::invalid_argument(fmt::format("filter expression: {}: {}", column(offset), what));
  }

  bool is_word(std::string_view w) const {
    return tok_.kind == TokenKind::kWord && lower(tok_.text) == w;
  }
  bool is_op(std::string_view op) const { return tok_.kind == TokenKind::kOp && tok_.text == op; }

  Status expect_op(std::string_view op, std::string_view context) {
    if (!is_op(op)) {
      return error(tok_.offset,
                   fmt::format("expected '{}' {}, found {}", op, context, describe(tok_)));
    }
    return advance();
  }

  static std::unique_ptr<Node> binary(NodeKind kind, std::unique_ptr<Node> l,
                                      std::unique_ptr<Node> r) {
    auto n = std::make_unique<Node>();
    n->kind = kind;
    n->offset = l->offset;
    n->children.push_back(std::move(l));
    n->children.push_back(std::move(r));
    return n;
  }

  Result<std::unique_ptr<Node>> expr(int depth) {
    if (depth > kMaxDepth) {
      return error(tok_.offset,
                   fmt::format("the expression nests deeper than {} levels", kMaxDepth));
    }
    ASSIGN_OR_RETURN(auto left, and_expr(depth));
    while (is_word("or") || is_op("||")) {
      RETURN_IF_ERROR(advance());
      ASSIGN_OR_RETURN(auto right, and_expr(depth));
      left = binary(NodeKind::kOr, std::move(left), std::move(right));
    }
    return left;
  }

  // True when the current token can start a unary (juxtaposition means AND).
  bool starts_unary() const {
    if (tok_.kind == TokenKind::kWord) return !is_word("or") && !is_word("and");
    return is_op("!") || is_op("(");
  }

  Result<std::unique_ptr<Node>> and_expr(int depth) {
    ASSIGN_OR_RETURN(auto left, unary(depth));
    while (true) {
      if (is_word("and") || is_op("&&")) {
        RETURN_IF_ERROR(advance());
      } else if (!starts_unary()) {
        break;
      }
      ASSIGN_OR_RETURN(auto right, unary(depth));
      left = binary(NodeKind::kAnd, std::move(left), std::move(right));
    }
    return left;
  }

  Result<std::unique_ptr<Node>> unary(int depth) {
    if (depth > kMaxDepth) {
      return error(tok_.offset,
                   fmt::format("the expression nests deeper than {} levels", kMaxDepth));
    }
    const size_t at = tok_.offset;
    if (is_op("!") || is_word("not")) {
      RETURN_IF_ERROR(advance());
      ASSIGN_OR_RETURN(auto inner, unary(depth + 1));
      auto n = std::make_unique<Node>();
      n->kind = NodeKind::kNot;
      n->offset = at;
      n->children.push_back(std::move(inner));
      return n;
    }
    if (is_op("(")) {
      RETURN_IF_ERROR(advance());
      ASSIGN_OR_RETURN(auto inner, expr(depth + 1));
      RETURN_IF_ERROR(expect_op(")", fmt::format("to close the '(' at {}", column(at))));
      return inner;
    }
    return predicate(depth);
  }

  Result<std::unique_ptr<Node>> predicate(int depth) {
    if (tok_.kind != TokenKind::kWord || is_word("and") || is_word("or")) {
      return error(tok_.offset, fmt::format("expected a keyword (e.g. responsetime, fault, "
                                            "service(\"name\")), found {}",
                                            describe(tok_)));
    }
    auto n = std::make_unique<Node>();
    n->offset = tok_.offset;
    const std::string word = lower(tok_.text);
    if (word.starts_with("annotation.") && word.size() > 11) {
      n->kind = NodeKind::kAnnotation;
      n->annotation_key = tok_.text.substr(11);  // keys keep their case
      RETURN_IF_ERROR(advance());
      RETURN_IF_ERROR(annotation_value(n.get()));
      return n;
    }
    if (word == "service") {
      RETURN_IF_ERROR(advance());
      n->kind = NodeKind::kService;
      RETURN_IF_ERROR(expect_op("(", "after service"));
      if (!is_op(")")) RETURN_IF_ERROR(node_ref(&n->a));
      RETURN_IF_ERROR(expect_op(")", "to close service("));
      RETURN_IF_ERROR(sub_filter(n.get(), depth));
      return n;
    }
    if (word == "edge") {
      RETURN_IF_ERROR(advance());
      n->kind = NodeKind::kEdge;
      RETURN_IF_ERROR(expect_op("(", "after edge"));
      RETURN_IF_ERROR(node_ref(&n->a));
      RETURN_IF_ERROR(expect_op(",", "between the two services of edge()"));
      RETURN_IF_ERROR(node_ref(&n->b));
      RETURN_IF_ERROR(expect_op(")", "to close edge("));
      RETURN_IF_ERROR(sub_filter(n.get(), depth));
      return n;
    }
    if (word == "id") {
      n->kind = NodeKind::kService;
      RETURN_IF_ERROR(node_ref(&n->a));
      RETURN_IF_ERROR(sub_filter(n.get(), depth));
      return n;
    }
    for (const Keyword& k : kKeywords) {
      if (k.word != word) continue;
      n->kind = k.kind;
      RETURN_IF_ERROR(advance());
      switch (k.kind) {
        case NodeKind::kBool:
          n->bool_key = static_cast<BoolKey>(k.key);
          RETURN_IF_ERROR(bool_value(n.get(), word));
          return n;
        case NodeKind::kNumber:
          n->num_key = static_cast<NumKey>(k.key);
          RETURN_IF_ERROR(number_value(n.get(), word));
          return n;
        default:
          n->str_key = static_cast<StrKey>(k.key);
          RETURN_IF_ERROR(string_value(n.get(), word));
          return n;
      }
    }
    for (std::string_view u : kUnsupported) {
      if (word == u || (word.starts_with(u) && word.size() > u.size() && word[u.size()] == '.')) {
        return error(n->offset, fmt::format("the keyword '{}' is not supported by opsight "
                                            "(supported: {})",
                                            tok_.text, kKnownList));
      }
    }
    return error(n->offset, fmt::format("unknown keyword '{}' (known: {})", tok_.text.substr(0, 64),
                                        kKnownList));
  }

  // Optional "{ expr }" after service() / edge() / id().
  Status sub_filter(Node* n, int depth) {
    if (!is_op("{")) return OkStatus();
    const size_t at = tok_.offset;
    RETURN_IF_ERROR(advance());
    if (is_op("}")) return error(tok_.offset, "expected a filter between '{' and '}'");
    ASSIGN_OR_RETURN(auto inner, expr(depth + 1));
    n->children.push_back(std::move(inner));
    return expect_op("}", fmt::format("to close the '{{' at {}", column(at)));
  }

  // string | id(name: "...", type: "...")
  Status node_ref(NodeRef* ref) {
    if (tok_.kind == TokenKind::kString) {
      ref->name = tok_.text;
      return advance();
    }
    if (!is_word("id")) {
      return error(tok_.offset,
                   fmt::format("expected a service name in quotes or id(name: \"...\", type: "
                               "\"...\"), found {}",
                               describe(tok_)));
    }
    const size_t at = tok_.offset;
    RETURN_IF_ERROR(advance());
    RETURN_IF_ERROR(expect_op("(", "after id"));
    bool any = false;
    while (!is_op(")")) {
      if (any) RETURN_IF_ERROR(expect_op(",", "between the arguments of id()"));
      std::string arg = tok_.kind == TokenKind::kWord ? lower(tok_.text) : "";
      if (arg != "name" && arg != "type") {
        return error(tok_.offset,
                     fmt::format("id() takes name: and type:, found {}", describe(tok_)));
      }
      RETURN_IF_ERROR(advance());
      RETURN_IF_ERROR(expect_op(":", fmt::format("after {}", arg)));
      if (tok_.kind != TokenKind::kString) {
        return error(tok_.offset, fmt::format("expected a string in quotes for {}:, found {}", arg,
                                              describe(tok_)));
      }
      (arg == "name" ? ref->name : ref->type) = tok_.text;
      RETURN_IF_ERROR(advance());
      any = true;
    }
    if (!any) return error(at, "id() needs name: or type:");
    return advance();
  }

  Status bool_value(Node* n, std::string_view kw) {
    if (!is_op("=") && !is_op("!=")) return OkStatus();  // bare keyword: true
    const bool negate = is_op("!=");
    RETURN_IF_ERROR(advance());
    if (!is_word("true") && !is_word("false")) {
      return error(tok_.offset, fmt::format("'{}' is a boolean keyword: compare it with true or "
                                            "false, found {}",
                                            kw, describe(tok_)));
    }
    n->flag = is_word("true") != negate;
    return advance();
  }

  // Reads a comparison operator into n->op; `strings` selects the operator set.
  Status comparison(Node* n, std::string_view kw, bool strings) {
    static constexpr std::pair<std::string_view, CmpOp> kNumOps[] = {
        {"=", CmpOp::kEq},  {"!=", CmpOp::kNe}, {"<", CmpOp::kLt},
        {"<=", CmpOp::kLe}, {">", CmpOp::kGt},  {">=", CmpOp::kGe}};
    if (tok_.kind == TokenKind::kOp) {
      for (const auto& [text, op] : kNumOps) {
        if (tok_.text != text) continue;
        if (strings && op != CmpOp::kEq && op != CmpOp::kNe) break;
        n->op = op;
        return advance();
      }
    }
    if (strings && tok_.kind == TokenKind::kWord) {
      const std::string w = lower(tok_.text);
      if (w == "contains" || w == "beginswith" || w == "endswith") {
        n->op = w == "contains"     ? CmpOp::kContains
                : w == "beginswith" ? CmpOp::kBeginsWith
                                    : CmpOp::kEndsWith;
        return advance();
      }
    }
    return error(tok_.offset,
                 strings ? fmt::format("'{}' is a string keyword: expected =, !=, CONTAINS, "
                                       "BEGINSWITH or ENDSWITH, found {}",
                                       kw, describe(tok_))
                         : fmt::format("'{}' is a number keyword: expected =, !=, <, <=, > or "
                                       ">=, found {}",
                                       kw, describe(tok_)));
  }

  Status number_value(Node* n, std::string_view kw) {
    RETURN_IF_ERROR(comparison(n, kw, false));
    if (tok_.kind != TokenKind::kNumber) {
      return error(tok_.offset, fmt::format("'{}' is a number keyword: expected a number, "
                                            "found {}",
                                            kw, describe(tok_)));
    }
    n->value_type = ValueType::kNumber;
    n->number = tok_.number;
    n->text = tok_.text;
    return advance();
  }

  Status string_value(Node* n, std::string_view kw) {
    RETURN_IF_ERROR(comparison(n, kw, true));
    if (tok_.kind != TokenKind::kString) {
      return error(tok_.offset, fmt::format("'{}' is a string keyword: expected a string in "
                                            "quotes, found {}",
                                            kw, describe(tok_)));
    }
    n->value_type = ValueType::kString;
    n->text = tok_.text;
    return advance();
  }

  // annotation.key [op value]: the operator set follows the value's type.
  Status annotation_value(Node* n) {
    const bool has_op = (tok_.kind == TokenKind::kOp &&
                         (tok_.text == "=" || tok_.text == "!=" || tok_.text == "<" ||
                          tok_.text == "<=" || tok_.text == ">" || tok_.text == ">=")) ||
                        is_word("contains") || is_word("beginswith") || is_word("endswith");
    if (!has_op) {
      n->op = CmpOp::kExists;
      return OkStatus();
    }
    const std::string kw = "annotation." + n->annotation_key;
    const size_t op_at = tok_.offset;
    const bool string_op = tok_.kind == TokenKind::kWord;
    if (string_op) {
      RETURN_IF_ERROR(comparison(n, kw, true));
    } else {
      RETURN_IF_ERROR(comparison(n, kw, false));
    }
    if (tok_.kind == TokenKind::kString) {
      n->value_type = ValueType::kString;
    } else if (tok_.kind == TokenKind::kNumber && !string_op) {
      n->value_type = ValueType::kNumber;
      n->number = tok_.number;
    } else if ((is_word("true") || is_word("false")) && !string_op) {
      n->value_type = ValueType::kBool;
      n->flag = is_word("true");
      if (n->op != CmpOp::kEq && n->op != CmpOp::kNe) {
        return error(op_at, fmt::format("{} compares a boolean: only = and != apply", kw));
      }
    } else {
      return error(tok_.offset,
                   fmt::format("expected a value for {} (a string in quotes{}), found {}", kw,
                               string_op ? "" : ", a number, true or false", describe(tok_)));
    }
    if (n->value_type == ValueType::kString && !string_op && n->op != CmpOp::kEq &&
        n->op != CmpOp::kNe) {
      return error(op_at, fmt::format("{} compared with a string: use =, !=, CONTAINS, "
                                      "BEGINSWITH or ENDSWITH",
                                      kw));
    }
    n->text = n->value_type == ValueType::kBool ? (n->flag ? "true" : "false") : tok_.text;
    return advance();
  }

  Lexer lex_;
  Token tok_;
};

}  // namespace

Result<Filter> parse_filter(std::string_view text) {
  if (text.size() > kMaxFilterBytes) {
    return Status::invalid_argument(fmt::format(
        "filter expression is {} bytes: at most {} are allowed", text.size(), kMaxFilterBytes));
  }
  Parser p(text);
  ASSIGN_OR_RETURN(Filter f, p.parse());
  f.text = std::string(text);
  return f;
}

}  // namespace opsight::query::tracefilter
