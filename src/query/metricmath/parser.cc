#include "query/metricmath/parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "query/metricmath/lexer.h"

namespace opsight::query::metricmath {
namespace {

constexpr int kMaxDepth = 100;

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : toks_(std::move(toks)) {}

  Result<std::unique_ptr<Node>> parse() {
    ASSIGN_OR_RETURN(auto n, expr());
    if (peek().kind != Token::Kind::kEnd) return error("unexpected \"" + peek().text + "\"");
    return n;
  }

 private:
  const Token& peek() const { return toks_[i_]; }
  const Token& take() { return toks_[i_++]; }
  bool is_op(std::string_view a, std::string_view b = {}) const {
    const auto& t = peek();
    return t.kind == Token::Kind::kOp && (t.text == a || (!b.empty() && t.text == b));
  }

  Status error(std::string what) const {
    const auto& t = peek();
    std::string at = t.kind == Token::Kind::kEnd ? "end of expression" : fmt::format("{}", t.pos);
    if (t.kind == Token::Kind::kEnd) {
      return Status::invalid_argument(fmt::format("syntax error at end of expression: {}", what));
    }
    return Status::invalid_argument(fmt::format("syntax error at position {}: {}", at, what));
  }

  static std::unique_ptr<Node> binary(BinaryOp op, size_t pos, std::unique_ptr<Node> l,
                                      std::unique_ptr<Node> r) {
    auto n = std::make_unique<Node>();
    n->kind = Node::Kind::kBinary;
    n->op = op;
    n->pos = pos;
    n->args.push_back(std::move(l));
    n->args.push_back(std::move(r));
    return n;
  }

  Result<std::unique_ptr<Node>> expr() {
    if (++depth_ > kMaxDepth) return error("expression nested too deeply");
    auto r = or_expr();
    depth_--;
    return r;
  }

  Result<std::unique_ptr<Node>> or_expr() {
    ASSIGN_OR_RETURN(auto l, and_expr());
    while (is_op("OR", "||")) {
      size_t pos = take().pos;
      ASSIGN_OR_RETURN(auto r, and_expr());
      l = binary(BinaryOp::kOr, pos, std::move(l), std::move(r));
    }
    return l;
  }

  Result<std::unique_ptr<Node>> and_expr() {
    ASSIGN_OR_RETURN(auto l, cmp_expr());
    while (is_op("AND", "&&")) {
      size_t pos = take().pos;
      ASSIGN_OR_RETURN(auto r, cmp_expr());
      l = binary(BinaryOp::kAnd, pos, std::move(l), std::move(r));
    }
    return l;
  }

  Result<std::unique_ptr<Node>> cmp_expr() {
    ASSIGN_OR_RETURN(auto l, add_expr());
    static constexpr std::pair<std::string_view, BinaryOp> kOps[] = {
        {"==", BinaryOp::kEq}, {"!=", BinaryOp::kNe}, {"<", BinaryOp::kLt},
        {"<=", BinaryOp::kLe}, {">", BinaryOp::kGt},  {">=", BinaryOp::kGe}};
    for (;;) {
      auto it = std::find_if(std::begin(kOps), std::end(kOps),
                             [&](const auto& o) { return is_op(o.first); });
      if (it == std::end(kOps)) return l;
      size_t pos = take().pos;
      ASSIGN_OR_RETURN(auto r, add_expr());
      l = binary(it->second, pos, std::move(l), std::move(r));
    }
  }

  Result<std::unique_ptr<Node>> add_expr() {
    ASSIGN_OR_RETURN(auto l, mul_expr());
    while (is_op("+", "-")) {
      BinaryOp op = peek().text == "+" ? BinaryOp::kAdd : BinaryOp::kSub;
      size_t pos = take().pos;
      ASSIGN_OR_RETURN(auto r, mul_expr());
      l = binary(op, pos, std::move(l), std::move(r));
    }
    return l;
  }

  Result<std::unique_ptr<Node>> mul_expr() {
    ASSIGN_OR_RETURN(auto l, unary());
    while (is_op("*", "/")) {
      BinaryOp op = peek().text == "*" ? BinaryOp::kMul : BinaryOp::kDiv;
      size_t pos = take().pos;
      ASSIGN_OR_RETURN(auto r, unary());
      l = binary(op, pos, std::move(l), std::move(r));
    }
    return l;
  }

  Result<std::unique_ptr<Node>> unary() {
    if (is_op("-", "+")) {
      if (++depth_ > kMaxDepth) return error("expression nested too deeply");
      bool neg = peek().text == "-";
      size_t pos = take().pos;
      ASSIGN_OR_RETURN(auto operand, unary());
      depth_--;
      if (!neg) return operand;
      auto n = std::make_unique<Node>();
      n->kind = Node::Kind::kNegate;
      n->pos = pos;
      n->args.push_back(std::move(operand));
      return n;
    }
    ASSIGN_OR_RETURN(auto base, primary());
    if (is_op("^")) {
      size_t pos = take().pos;
      ASSIGN_OR_RETURN(auto exp, unary());
      return binary(BinaryOp::kPow, pos, std::move(base), std::move(exp));
    }
    return base;
  }

  // Comma-separated expressions up to `close` (consumed).
  Status list(Token::Kind close, std::string_view close_text, bool allow_empty,
              std::vector<std::unique_ptr<Node>>* out) {
    if (allow_empty && peek().kind == close) {
      take();
      return OkStatus();
    }
    for (;;) {
      ASSIGN_OR_RETURN(auto e, expr());
      out->push_back(std::move(e));
      if (peek().kind == Token::Kind::kComma) {
        take();
        continue;
      }
      if (peek().kind == close) {
        take();
        return OkStatus();
      }
      return error(fmt::format("expected \",\" or \"{}\"", close_text));
    }
  }

  Result<std::unique_ptr<Node>> primary() {
    const Token& t = peek();
    auto n = std::make_unique<Node>();
    n->pos = t.pos;
    switch (t.kind) {
      case Token::Kind::kNumber:
        n->kind = Node::Kind::kNumber;
        n->number = take().number;
        return n;
      case Token::Kind::kString:
        n->kind = Node::Kind::kString;
        n->text = take().text;
        return n;
      case Token::Kind::kIdent: {
        n->text = take().text;
        if (peek().kind != Token::Kind::kLParen) {
          n->kind = Node::Kind::kIdent;
          return n;
        }
        take();
        n->kind = Node::Kind::kCall;
        std::transform(n->text.begin(), n->text.end(), n->text.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        if (++depth_ > kMaxDepth) return error("expression nested too deeply");
        RETURN_IF_ERROR(list(Token::Kind::kRParen, ")", true, &n->args));
        depth_--;
        return n;
      }
      case Token::Kind::kLParen: {
        take();
        ASSIGN_OR_RETURN(auto inner, expr());
        if (peek().kind != Token::Kind::kRParen) return error("expected \")\"");
        take();
        return inner;
      }
      case Token::Kind::kLBracket:
        take();
        n->kind = Node::Kind::kArray;
        if (++depth_ > kMaxDepth) return error("expression nested too deeply");
        RETURN_IF_ERROR(list(Token::Kind::kRBracket, "]", false, &n->args));
        depth_--;
        return n;
      case Token::Kind::kEnd:
        return error("expected a value");
      default:
        return error("unexpected \"" + t.text + "\"");
    }
  }

  std::vector<Token> toks_;
  size_t i_ = 0;
  int depth_ = 0;
};

void collect_ids(const Node& n, std::vector<std::string>* out) {
  if (n.kind == Node::Kind::kIdent && !n.text.empty() &&
      std::islower(static_cast<unsigned char>(n.text[0])) &&
      std::find(out->begin(), out->end(), n.text) == out->end()) {
    out->push_back(n.text);
  }
  for (const auto& a : n.args) collect_ids(*a, out);
}

}  // namespace

const char* op_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kPow:
      return "^";
    case BinaryOp::kEq:
      return "==";
    case BinaryOp::kNe:
      return "!=";
    case BinaryOp::kLt:
      return "<";
    case BinaryOp::kLe:
      return "<=";
    case BinaryOp::kGt:
      return ">";
    case BinaryOp::kGe:
      return ">=";
    case BinaryOp::kAnd:
      return "AND";
    case BinaryOp::kOr:
      return "OR";
  }
  return "?";
}

Result<std::unique_ptr<Node>> parse_expression(std::string_view expr) {
  auto toks = tokenize(expr);
  if (!toks.ok()) return toks.status().with_prefix("syntax error");
  Parser p(std::move(*toks));
  return p.parse();
}

std::vector<std::string> referenced_ids(const Node& root) {
  std::vector<std::string> out;
  collect_ids(root, &out);
  return out;
}

}  // namespace opsight::query::metricmath
