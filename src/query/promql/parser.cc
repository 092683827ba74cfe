#include "query/promql/parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "query/promql/function_defs.h"
#include "query/promql/lexer.h"
#include "query/promql/selector.h"

namespace opsight::query::promql {
namespace {

using NodePtr = std::unique_ptr<Node>;

struct AggName {
  std::string_view name;
  AggOp op;
};
constexpr AggName kAggs[] = {
    {"sum", AggOp::kSum},           {"avg", AggOp::kAvg},
    {"count", AggOp::kCount},       {"min", AggOp::kMin},
    {"max", AggOp::kMax},           {"group", AggOp::kGroup},
    {"stddev", AggOp::kStddev},     {"stdvar", AggOp::kStdvar},
    {"topk", AggOp::kTopk},         {"bottomk", AggOp::kBottomk},
    {"quantile", AggOp::kQuantile}, {"count_values", AggOp::kCountValues},
};

// Keywords and aggregation names are case-insensitive in PromQL; function names are not.
std::string lower(std::string_view s) {
  std::string l(s);
  for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l;
}

bool find_agg(std::string_view raw, AggOp* op) {
  std::string name = lower(raw);
  for (const auto& a : kAggs) {
    if (a.name == name) {
      *op = a.op;
      return true;
    }
  }
  return false;
}

bool is_keyword(std::string_view raw) {
  std::string s = lower(raw);
  static constexpr std::string_view kKeywords[] = {
      "and", "or",       "unless",     "atan2",       "by",   "without",
      "on",  "ignoring", "group_left", "group_right", "bool", "offset"};
  for (auto k : kKeywords) {
    if (k == s) return true;
  }
  return false;
}

bool is_inf_or_nan(std::string_view s) {
  if (s.size() != 3) return false;
  std::string l(s);
  for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l == "inf" || l == "nan";
}

class Parser {
 public:
  Parser(std::string_view in, std::vector<Token> toks) : in_(in), toks_(std::move(toks)) {}

  Result<Expr> parse() {
    ASSIGN_OR_RETURN(NodePtr root, parse_binary(0));
    if (peek().type != Tok::kEof) return unexpected(peek());
    Expr e;
    e.root = std::move(root);
    return e;
  }

 private:
  const Token& peek(size_t ahead = 0) const {
    size_t i = std::min(pos_ + ahead, toks_.size() - 1);
    return toks_[i];
  }
  const Token& take() {
    const Token& t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) pos_++;
    return t;
  }
  bool peek_ident(std::string_view word) const {
    return peek().type == Tok::kIdent && lower(peek().text) == word;
  }

  Status error(size_t pos, std::string_view what) const {
    return Status::invalid_argument(
        fmt::format("{}: parse error: {}", position_string(in_, pos), what));
  }
  Status unexpected(const Token& t, std::string_view context = "") const {
    std::string msg = "unexpected " + describe_token(t);
    if (!context.empty()) msg += fmt::format(" {}", context);
    return error(t.pos, msg);
  }
  Status expect(Tok type, std::string_view context) {
    if (peek().type != type) return unexpected(peek(), context);
    take();
    return OkStatus();
  }

  // Binding power of a binary operator token; 0 if the token is not one.
  static int precedence(const Token& t, BinOp* op) {
    switch (t.type) {
      case Tok::kAdd:
        *op = BinOp::kAdd;
        return 4;
      case Tok::kSub:
        *op = BinOp::kSub;
        return 4;
      case Tok::kMul:
        *op = BinOp::kMul;
        return 5;
      case Tok::kDiv:
        *op = BinOp::kDiv;
        return 5;
      case Tok::kMod:
        *op = BinOp::kMod;
        return 5;
      case Tok::kPow:
        *op = BinOp::kPow;
        return 6;
      case Tok::kEql:
        *op = BinOp::kEql;
        return 3;
      case Tok::kNeq:
        *op = BinOp::kNeq;
        return 3;
      case Tok::kGtr:
        *op = BinOp::kGtr;
        return 3;
      case Tok::kLss:
        *op = BinOp::kLss;
        return 3;
      case Tok::kGte:
        *op = BinOp::kGte;
        return 3;
      case Tok::kLte:
        *op = BinOp::kLte;
        return 3;
      case Tok::kIdent: {
        std::string w = lower(t.text);
        if (w == "atan2") {
          *op = BinOp::kAtan2;
          return 5;
        }
        if (w == "and") {
          *op = BinOp::kAnd;
          return 2;
        }
        if (w == "unless") {
          *op = BinOp::kUnless;
          return 2;
        }
        if (w == "or") {
          *op = BinOp::kOr;
          return 1;
        }
        return 0;
      }
      default:
        return 0;
    }
  }

  Result<NodePtr> parse_binary(int min_prec) {
    if (++depth_ > kMaxNesting) return error(peek().pos, "query is nested too deeply");
    ASSIGN_OR_RETURN(NodePtr lhs, parse_unary());
    while (true) {
      BinOp op;
      int prec = precedence(peek(), &op);
      if (prec == 0 || prec < min_prec) break;
      const Token& op_tok = take();
      auto node = std::make_unique<Node>();
      node->kind = NodeKind::kBinary;
      node->pos = op_tok.pos;
      node->op = op;
      if (peek_ident("bool")) {
        if (!is_comparison(op)) {
          return error(peek().pos, "bool modifier can only be used on comparison operators");
        }
        take();
        node->return_bool = true;
      }
      if (peek_ident("on") || peek_ident("ignoring")) {
        node->matching.on = lower(take().text) == "on";
        node->matching.explicit_matching = true;
        ASSIGN_OR_RETURN(node->matching.labels, parse_label_list());
        if (peek_ident("group_left") || peek_ident("group_right")) {
          const Token& g = take();
          if (is_set_operator(op)) {
            return error(g.pos,
                         fmt::format("no grouping allowed for \"{}\" operation", binop_name(op)));
          }
          node->matching.card =
              lower(g.text) == "group_left" ? Cardinality::kManyToOne : Cardinality::kOneToMany;
          if (peek().type == Tok::kLParen) {
            ASSIGN_OR_RETURN(node->matching.include, parse_label_list());
          }
          for (const auto& l : node->matching.include) {
            if (node->matching.on &&
                std::find(node->matching.labels.begin(), node->matching.labels.end(), l) !=
                    node->matching.labels.end()) {
              return error(
                  g.pos,
                  fmt::format("label \"{}\" must not occur in ON and GROUP clause at once", l));
            }
          }
        }
      }
      if (is_set_operator(op)) node->matching.card = Cardinality::kManyToMany;
      int next_min = op == BinOp::kPow ? prec : prec + 1;
      ASSIGN_OR_RETURN(NodePtr rhs, parse_binary(next_min));
      node->args.push_back(std::move(lhs));
      node->args.push_back(std::move(rhs));
      RETURN_IF_ERROR(check_binary(*node));
      lhs = std::move(node);
    }
    depth_--;
    return lhs;
  }

  Status check_binary(const Node& n) const {
    ValueType lt = n.args[0]->type(), rt = n.args[1]->type();
    auto ok_type = [](ValueType t) { return t == ValueType::kScalar || t == ValueType::kVector; };
    if (!ok_type(lt) || !ok_type(rt)) {
      return error(n.pos, "binary expression must contain only scalar and instant vector types");
    }
    bool scalar_side = lt == ValueType::kScalar || rt == ValueType::kScalar;
    if (is_comparison(n.op) && !n.return_bool && lt == ValueType::kScalar &&
        rt == ValueType::kScalar) {
      return error(n.pos, "comparisons between scalars must use BOOL modifier");
    }
    if (is_set_operator(n.op) && scalar_side) {
      return error(n.pos, fmt::format("set operator \"{}\" not allowed in binary scalar expression",
                                      binop_name(n.op)));
    }
    if (scalar_side && (n.matching.explicit_matching || !n.matching.include.empty() ||
                        n.matching.card == Cardinality::kManyToOne ||
                        n.matching.card == Cardinality::kOneToMany)) {
      return error(n.pos, "vector matching only allowed between instant vectors");
    }
    return OkStatus();
  }

  Result<NodePtr> parse_unary() {
    if (peek().type == Tok::kSub || peek().type == Tok::kAdd) {
      const Token& t = take();
      // Unary operators bind like '*': -a^b is -(a^b), -a*b is (-a)*b.
      ASSIGN_OR_RETURN(NodePtr operand, parse_binary(6));
      ValueType ot = operand->type();
      if (ot != ValueType::kScalar && ot != ValueType::kVector) {
        return error(
            t.pos, "unary expression only allowed on expressions of type scalar or instant vector");
      }
      if (operand->kind == NodeKind::kNumber) {
        if (t.type == Tok::kSub) operand->number = -operand->number;
        operand->pos = t.pos;
        return operand;
      }
      auto n = std::make_unique<Node>();
      n->kind = NodeKind::kUnary;
      n->pos = t.pos;
      n->op = t.type == Tok::kSub ? BinOp::kSub : BinOp::kAdd;
      n->args.push_back(std::move(operand));
      return n;
    }
    ASSIGN_OR_RETURN(NodePtr p, parse_primary());
    return parse_postfix(std::move(p));
  }

  Result<NodePtr> parse_postfix(NodePtr n) {
    while (true) {
      const Token& t = peek();
      if (t.type == Tok::kLBracket) {
        ASSIGN_OR_RETURN(n, parse_range(std::move(n)));
      } else if (t.type == Tok::kIdent && lower(t.text) == "offset") {
        RETURN_IF_ERROR(parse_offset(n.get()));
      } else if (t.type == Tok::kAt) {
        RETURN_IF_ERROR(parse_at(n.get()));
      } else {
        return n;
      }
    }
  }

  static bool takes_modifiers(const Node& n) {
    return n.kind == NodeKind::kVectorSelector || n.kind == NodeKind::kMatrixSelector ||
           n.kind == NodeKind::kSubquery;
  }

  Status parse_offset(Node* n) {
    const Token& t = take();
    if (!takes_modifiers(*n)) {
      return error(t.pos,
                   "offset modifier must be preceded by an instant vector selector or range "
                   "vector selector or a subquery");
    }
    if (n->offset_ms != 0) return error(t.pos, "offset may not be set multiple times");
    bool neg = false;
    if (peek().type == Tok::kSub) {
      take();
      neg = true;
    } else if (peek().type == Tok::kAdd) {
      take();
    }
    const Token& d = peek();
    if (d.type != Tok::kDuration) return unexpected(d, "in offset, expected duration");
    take();
    int64_t ms;
    if (!parse_duration(d.text, &ms) || ms > kMaxDurationMs) {
      return error(d.pos, "duration out of range");
    }
    n->offset_ms = neg ? -ms : ms;
    return OkStatus();
  }

  Status parse_at(Node* n) {
    const Token& t = take();
    if (!takes_modifiers(*n)) {
      return error(t.pos,
                   "@ modifier must be preceded by an instant vector selector or range vector "
                   "selector or a subquery");
    }
    if (n->at != AtKind::kNone) return error(t.pos, "@ <timestamp> may not be set multiple times");
    if ((peek_ident("start") || peek_ident("end")) && peek(1).type == Tok::kLParen &&
        peek(2).type == Tok::kRParen) {
      n->at = lower(take().text) == "start" ? AtKind::kStart : AtKind::kEnd;
      take();
      take();
      return OkStatus();
    }
    double sign = 1;
    if (peek().type == Tok::kSub || peek().type == Tok::kAdd) {
      if (take().type == Tok::kSub) sign = -1;
    }
    const Token& v = peek();
    double secs;
    if (!(v.type == Tok::kNumber || (v.type == Tok::kIdent && is_inf_or_nan(v.text))) ||
        !parse_number(v.text, &secs)) {
      return unexpected(v, "in @, expected timestamp");
    }
    take();
    secs *= sign;
    double ms = std::round(secs * 1000);
    if (!std::isfinite(ms) || std::fabs(ms) > static_cast<double>(kMaxTimestampMs)) {
      return error(v.pos, "timestamp out of bounds for @ modifier");
    }
    n->at = AtKind::kTimestamp;
    n->at_ms = static_cast<int64_t>(ms);
    return OkStatus();
  }

  Result<NodePtr> parse_range(NodePtr n) {
    const Token& lb = take();
    const Token& d = peek();
    if (d.type != Tok::kDuration) return unexpected(d, "in range, expected duration");
    take();
    int64_t range;
    if (!parse_duration(d.text, &range) || range > kMaxDurationMs) {
      return error(d.pos, "duration out of range");
    }
    if (peek().type == Tok::kColon) {
      take();
      int64_t step = 0;
      if (peek().type == Tok::kDuration) {
        const Token& s = take();
        if (!parse_duration(s.text, &step) || step > kMaxDurationMs) {
          return error(s.pos, "duration out of range");
        }
        if (step == 0) return error(s.pos, "zero step in subquery");
      }
      RETURN_IF_ERROR(expect(Tok::kRBracket, "in subquery, expected \"]\""));
      if (n->type() != ValueType::kVector) {
        return error(lb.pos, fmt::format("subquery is only allowed on instant vector, got {}",
                                         value_type_name(n->type())));
      }
      if (range == 0) return error(d.pos, "zero range in subquery");
      auto sq = std::make_unique<Node>();
      sq->kind = NodeKind::kSubquery;
      sq->pos = n->pos;
      sq->range_ms = range;
      sq->step_ms = step;
      sq->args.push_back(std::move(n));
      return sq;
    }
    RETURN_IF_ERROR(expect(Tok::kRBracket, "in range, expected \"]\" or \":\""));
    if (n->kind != NodeKind::kVectorSelector) {
      return error(lb.pos, "ranges only allowed for vector selectors");
    }
    if (n->offset_ms != 0 || n->at != AtKind::kNone) {
      return error(lb.pos, "no offset or @ modifiers allowed before range");
    }
    if (range == 0) return error(d.pos, "range cannot be zero");
    n->kind = NodeKind::kMatrixSelector;
    n->range_ms = range;
    return n;
  }

  Result<NodePtr> parse_primary() {
    const Token& t = peek();
    switch (t.type) {
      case Tok::kNumber: {
        take();
        auto n = std::make_unique<Node>();
        n->kind = NodeKind::kNumber;
        n->pos = t.pos;
        if (!parse_number(t.text, &n->number)) return error(t.pos, "bad number");
        return n;
      }
      case Tok::kString: {
        take();
        auto n = std::make_unique<Node>();
        n->kind = NodeKind::kString;
        n->pos = t.pos;
        auto s = unquote_string(t.text);
        if (!s.ok()) return error(t.pos, s.status().message());
        n->str = std::move(*s);
        return n;
      }
      case Tok::kLParen: {
        take();
        ASSIGN_OR_RETURN(NodePtr inner, parse_binary(0));
        RETURN_IF_ERROR(expect(Tok::kRParen, "in parenthesized expression, expected \")\""));
        auto n = std::make_unique<Node>();
        n->kind = NodeKind::kParen;
        n->pos = t.pos;
        n->args.push_back(std::move(inner));
        return n;
      }
      case Tok::kLBrace:
        return parse_selector("", t.pos);
      case Tok::kIdent:
        return parse_ident();
      default:
        return unexpected(t);
    }
  }

  Result<NodePtr> parse_ident() {
    const Token& t = take();
    if (is_inf_or_nan(t.text)) {
      auto n = std::make_unique<Node>();
      n->kind = NodeKind::kNumber;
      n->pos = t.pos;
      (void)parse_number(t.text, &n->number);
      return n;
    }
    AggOp agg;
    if (find_agg(t.text, &agg)) return parse_aggregate(t, agg);
    if (is_keyword(t.text)) return unexpected(t);
    if (peek().type == Tok::kLParen) {
      const FunctionDef* f = find_function(t.text);
      if (f == nullptr) {
        return error(t.pos, fmt::format("unknown function with name \"{}\"", t.text));
      }
      return parse_call(t, f);
    }
    return parse_selector(std::string(t.text), t.pos);
  }

  Result<NodePtr> parse_call(const Token& name, const FunctionDef* f) {
    take();  // (
    auto n = std::make_unique<Node>();
    n->kind = NodeKind::kCall;
    n->pos = name.pos;
    n->func = f;
    if (peek().type != Tok::kRParen) {
      while (true) {
        ASSIGN_OR_RETURN(NodePtr arg, parse_binary(0));
        n->args.push_back(std::move(arg));
        if (peek().type == Tok::kComma) {
          take();
          continue;
        }
        break;
      }
    }
    RETURN_IF_ERROR(expect(Tok::kRParen, "in function call, expected \",\" or \")\""));
    // Argument count and types (Prometheus's checkAST for calls).
    size_t nargs = f->arg_types.size();
    size_t got = n->args.size();
    if (f->variadic == 0) {
      if (got != nargs) {
        return error(name.pos, fmt::format("expected {} argument(s) in call to \"{}\", got {}",
                                           nargs, f->name, got));
      }
    } else {
      size_t min = nargs - 1;
      if (got < min) {
        return error(name.pos, fmt::format("expected at least {} argument(s) in call to \"{}\", "
                                           "got {}",
                                           min, f->name, got));
      }
      if (f->variadic > 0 && got > min + static_cast<size_t>(f->variadic)) {
        return error(name.pos,
                     fmt::format("expected at most {} argument(s) in call to \"{}\", got {}",
                                 min + static_cast<size_t>(f->variadic), f->name, got));
      }
    }
    for (size_t i = 0; i < got; i++) {
      ValueType want = f->arg_types[std::min(i, nargs - 1)];
      ValueType have = n->args[i]->type();
      if (want != have) {
        return error(n->args[i]->pos,
                     fmt::format("expected type {} in call to function \"{}\", got {}",
                                 value_type_name(want), f->name, value_type_name(have)));
      }
    }
    return n;
  }

  Result<std::vector<std::string>> parse_label_list() {
    RETURN_IF_ERROR(expect(Tok::kLParen, "in grouping, expected \"(\""));
    std::vector<std::string> out;
    while (peek().type != Tok::kRParen) {
      const Token& l = peek();
      if (l.type != Tok::kIdent || l.text.find(':') != std::string_view::npos) {
        return unexpected(l, "in grouping, expected label");
      }
      take();
      out.emplace_back(l.text);
      if (peek().type == Tok::kComma) {
        take();
      } else if (peek().type != Tok::kRParen) {
        return unexpected(peek(), "in grouping, expected \",\" or \")\"");
      }
    }
    take();
    return out;
  }

  Result<NodePtr> parse_aggregate(const Token& name, AggOp agg) {
    auto n = std::make_unique<Node>();
    n->kind = NodeKind::kAggregate;
    n->pos = name.pos;
    n->agg = agg;
    bool grouped = false;
    auto grouping = [&]() -> Status {
      if (peek_ident("by") || peek_ident("without")) {
        if (grouped) return unexpected(peek(), "in aggregation");
        n->without = lower(take().text) == "without";
        ASSIGN_OR_RETURN(n->grouping, parse_label_list());
        grouped = true;
      }
      return OkStatus();
    };
    RETURN_IF_ERROR(grouping());
    if (peek().type != Tok::kLParen) {
      return unexpected(peek(), "in aggregation, expected \"(\"");
    }
    const Token& lp = take();
    if (peek().type != Tok::kRParen) {
      while (true) {
        ASSIGN_OR_RETURN(NodePtr arg, parse_binary(0));
        n->args.push_back(std::move(arg));
        if (peek().type == Tok::kComma) {
          take();
          continue;
        }
        break;
      }
    }
    RETURN_IF_ERROR(expect(Tok::kRParen, "in aggregation, expected \",\" or \")\""));
    RETURN_IF_ERROR(grouping());
    size_t want = aggop_has_param(agg) ? 2 : 1;
    if (n->args.size() != want) {
      return error(lp.pos, fmt::format("wrong number of arguments for aggregate expression "
                                       "provided, expected {}, got {}",
                                       want, n->args.size()));
    }
    const Node& expr = *n->args.back();
    if (expr.type() != ValueType::kVector) {
      return error(expr.pos, fmt::format("expected type instant vector in aggregation expression, "
                                         "got {}",
                                         value_type_name(expr.type())));
    }
    if (want == 2) {
      ValueType pt = n->args[0]->type();
      ValueType need = agg == AggOp::kCountValues ? ValueType::kString : ValueType::kScalar;
      if (pt != need) {
        return error(n->args[0]->pos,
                     fmt::format("expected type {} in aggregation parameter, got {}",
                                 value_type_name(need), value_type_name(pt)));
      }
    }
    return n;
  }

  Result<NodePtr> parse_selector(std::string metric, size_t pos) {
    auto n = std::make_unique<Node>();
    n->kind = NodeKind::kVectorSelector;
    n->pos = pos;
    n->metric_name = metric;
    if (!metric.empty()) n->matchers.push_back(storage::Matcher::equal("__name__", metric));
    if (peek().type == Tok::kLBrace) {
      take();
      while (peek().type != Tok::kRBrace) {
        const Token& l = peek();
        if (l.type != Tok::kIdent || l.text.find(':') != std::string_view::npos) {
          return unexpected(l, "in label matching, expected label");
        }
        take();
        const Token& o = peek();
        storage::MatchType mt;
        switch (o.type) {
          case Tok::kAssign:
            mt = storage::MatchType::kEqual;
            break;
          case Tok::kNeq:
            mt = storage::MatchType::kNotEqual;
            break;
          case Tok::kEqRegex:
            mt = storage::MatchType::kRegexMatch;
            break;
          case Tok::kNeqRegex:
            mt = storage::MatchType::kRegexNoMatch;
            break;
          default:
            return unexpected(o, "in label matching, expected label matching operator");
        }
        take();
        const Token& v = peek();
        if (v.type != Tok::kString) return unexpected(v, "in label matching, expected string");
        take();
        auto value = unquote_string(v.text);
        if (!value.ok()) return error(v.pos, value.status().message());
        if (l.text == "__name__" && !metric.empty()) {
          return error(l.pos, fmt::format("metric name must not be set twice: \"{}\" or \"{}\"",
                                          metric, *value));
        }
        auto m = storage::Matcher::make(mt, std::string(l.text), std::move(*value));
        if (!m.ok()) return error(v.pos, m.status().message());
        n->matchers.push_back(std::move(*m));
        if (peek().type == Tok::kComma) {
          take();
        } else if (peek().type != Tok::kRBrace) {
          return unexpected(peek(), "in label matching, expected \",\" or \"}\"");
        }
      }
      take();
    }
    bool any_non_empty = false;
    for (const auto& m : n->matchers) any_non_empty = any_non_empty || !m.matches_empty();
    if (!any_non_empty) {
      return error(pos, "vector selector must contain at least one non-empty matcher");
    }
    return n;
  }

  std::string_view in_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

Result<Expr> parse_expr(std::string_view input) {
  ASSIGN_OR_RETURN(auto toks, lex(input));
  if (toks.size() == 1)
    return Status::invalid_argument("1:1: parse error: no expression found in input");
  return Parser(input, std::move(toks)).parse();
}

}  // namespace opsight::query::promql
