// Recursive-descent parser of Logs Insights QL (see insights.h for the sources). Precedence,
// lowest first: or, and, not, comparison (= != < <= > >= like =~ in), + -, * / %, ^ (right
// associative), unary minus.
#include <re2/re2.h>

#include <algorithm>
#include <cmath>

#include "query/insights/ast.h"
#include "query/insights/functions.h"
#include "query/insights/insights.h"
#include "query/insights/lexer.h"
#include "query/insights/regex_util.h"
#include "query/insights/text_search.h"

namespace opsight::query::insights {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text), lex_(text) {}

  Result<QueryAst> parse() {
    QueryAst q;
    q.text = std::string(text_);
    RETURN_IF_ERROR(advance());
    if (tok_.kind == TokenKind::kEnd) {
      return Status::invalid_argument("the query is empty");
    }
    while (true) {
      ASSIGN_OR_RETURN(Command c, command());
      q.commands.push_back(std::move(c));
      if (tok_.kind == TokenKind::kEnd) break;
      if (!is_op("|")) return unexpected();
      RETURN_IF_ERROR(advance());
    }
    return q;
  }

 private:
  Status advance() {
    if (tok_.kind != TokenKind::kEnd || !tok_.raw.empty()) prev_ = std::string(tok_.raw);
    ASSIGN_OR_RETURN(tok_, lex_.next());
    return OkStatus();
  }

  Status unexpected() const {
    std::string msg = lex_.where(tok_.offset) + ": unexpected " + describe(tok_);
    if (!prev_.empty()) msg += " after \"" + prev_ + "\"";
    return Status::invalid_argument(msg);
  }
  Status error_at(size_t offset, const std::string& what) const {
    return Status::invalid_argument(lex_.where(offset) + ": " + what);
  }

  bool is_op(std::string_view op) const { return tok_.kind == TokenKind::kOp && tok_.text == op; }
  bool is_kw(std::string_view kw) const {
    return tok_.kind == TokenKind::kIdent && !tok_.quoted && lower(tok_.text) == kw;
  }
  Status expect_op(std::string_view op) {
    if (!is_op(op)) return unexpected();
    return advance();
  }

  Result<Command> command() {
    if (tok_.kind != TokenKind::kIdent || tok_.quoted) return unexpected();
    Command c;
    c.offset = tok_.offset;
    std::string kw = lower(tok_.text);
    if (kw == "fields" || kw == "display" || kw == "unmask") {
      c.kind = kw == "fields" ? CommandKind::kFields
                              : (kw == "display" ? CommandKind::kDisplay : CommandKind::kUnmask);
      RETURN_IF_ERROR(advance());
      ASSIGN_OR_RETURN(c.projections, projections());
    } else if (kw == "filter") {
      c.kind = CommandKind::kFilter;
      RETURN_IF_ERROR(advance());
      ASSIGN_OR_RETURN(c.expr, or_expr());
    } else if (kw == "stats") {
      c.kind = CommandKind::kStats;
      RETURN_IF_ERROR(advance());
      in_stats_ = true;
      auto p = projections();
      in_stats_ = false;
      if (!p.ok()) return p.status();
      c.projections = std::move(*p);
      bool any_aggregate = false;
      for (const auto& pr : c.projections) any_aggregate |= contains_aggregate(*pr.expr);
      if (!any_aggregate) {
        return error_at(c.offset, "stats needs an aggregation function such as count(*)");
      }
      if (is_kw("by")) {
        RETURN_IF_ERROR(advance());
        ASSIGN_OR_RETURN(c.by, projections());
        for (const auto& pr : c.by) {
          if (contains_aggregate(*pr.expr)) {
            return error_at(pr.expr->offset, "an aggregation cannot be a stats group (by)");
          }
        }
      }
    } else if (kw == "sort") {
      c.kind = CommandKind::kSort;
      RETURN_IF_ERROR(advance());
      while (true) {
        SortKey k;
        ASSIGN_OR_RETURN(k.expr, or_expr());
        if (is_kw("asc") || is_kw("desc")) {
          k.desc = is_kw("desc");
          RETURN_IF_ERROR(advance());
        }
        c.sort.push_back(std::move(k));
        if (!is_op(",")) break;
        RETURN_IF_ERROR(advance());
      }
    } else if (kw == "limit") {
      c.kind = CommandKind::kLimit;
      RETURN_IF_ERROR(advance());
      if (tok_.kind != TokenKind::kNumber || tok_.number < 1 ||
          tok_.number != std::floor(tok_.number) || tok_.number > 1e12) {
        if (tok_.kind == TokenKind::kNumber) {
          return error_at(tok_.offset,
                          "limit needs a positive whole number, got " + describe(tok_));
        }
        return unexpected();
      }
      c.limit = static_cast<uint64_t>(tok_.number);
      RETURN_IF_ERROR(advance());
    } else if (kw == "parse") {
      c.kind = CommandKind::kParse;
      RETURN_IF_ERROR(advance());
      RETURN_IF_ERROR(parse_command(&c));
    } else if (kw == "dedup") {
      c.kind = CommandKind::kDedup;
      RETURN_IF_ERROR(advance());
      while (true) {
        if (tok_.kind != TokenKind::kIdent) return unexpected();
        c.names.push_back(tok_.text);
        RETURN_IF_ERROR(advance());
        if (!is_op(",")) break;
        RETURN_IF_ERROR(advance());
      }
    } else if (kw == "pattern") {
      c.kind = CommandKind::kPattern;
      RETURN_IF_ERROR(advance());
      if (tok_.kind == TokenKind::kEnd || is_op("|")) {
        c.expr = std::make_unique<Expr>();
        c.expr->kind = ExprKind::kField;
        c.expr->name = "@message";
      } else {
        ASSIGN_OR_RETURN(c.expr, add_expr());
      }
    } else {
      return error_at(tok_.offset, "unknown command " + describe(tok_) +
                                       " (commands: fields, display, filter, stats, sort, "
                                       "limit, parse, dedup, pattern, unmask)");
    }
    return c;
  }

  Status parse_command(Command* c) {
    ASSIGN_OR_RETURN(c->expr, primary());
    if (tok_.kind == TokenKind::kString) {
      c->glob = tok_.text;
      size_t stars = static_cast<size_t>(std::count(c->glob.begin(), c->glob.end(), '*'));
      size_t at = tok_.offset;
      if (stars == 0) return error_at(at, "a parse glob needs at least one '*'");
      RETURN_IF_ERROR(advance());
      if (!is_kw("as")) return unexpected();
      RETURN_IF_ERROR(advance());
      while (true) {
        if (tok_.kind != TokenKind::kIdent) return unexpected();
        c->names.push_back(tok_.text);
        RETURN_IF_ERROR(advance());
        if (!is_op(",")) break;
        RETURN_IF_ERROR(advance());
      }
      if (c->names.size() != stars) {
        return error_at(at, "the parse glob has " + std::to_string(stars) + " '*' but " +
                                std::to_string(c->names.size()) + " names follow 'as'");
      }
      ASSIGN_OR_RETURN(c->parse_regex, compile_regex(glob_to_regex(c->glob), at));
      c->parse_prefix = regex_literal_prefix(c->parse_regex->pattern());
      return OkStatus();
    }
    if (is_op("/")) {
      size_t at = tok_.offset;
      ASSIGN_OR_RETURN(Token rx, lex_.regex_at(at));
      tok_ = rx;
      ASSIGN_OR_RETURN(c->parse_regex, compile_regex(rx.text, at));
      c->parse_prefix = regex_literal_prefix(c->parse_regex->pattern());
      RETURN_IF_ERROR(advance());
      const auto& groups = c->parse_regex->CapturingGroupNames();
      for (const auto& [index, name] : groups) c->names.push_back(name);
      if (c->names.empty()) {
        return error_at(at, "a parse regex needs named capture groups such as (?<name>\\S+)");
      }
      return OkStatus();
    }
    return unexpected();
  }

  Result<std::shared_ptr<const re2::RE2>> compile_regex(const std::string& pattern, size_t at) {
    RE2::Options opt;
    opt.set_log_errors(false);
    auto rx = std::make_shared<const re2::RE2>(to_re2_syntax(pattern), opt);
    if (!rx->ok()) {
      return error_at(at, "invalid regular expression /" + pattern + "/: " + rx->error());
    }
    return rx;
  }

  Result<std::vector<Projection>> projections() {
    std::vector<Projection> out;
    while (true) {
      Projection p;
      ASSIGN_OR_RETURN(p.expr, or_expr());
      if (is_kw("as")) {
        RETURN_IF_ERROR(advance());
        if (tok_.kind != TokenKind::kIdent) return unexpected();
        p.name = tok_.text;
        RETURN_IF_ERROR(advance());
      } else {
        p.name = p.expr->text();
      }
      out.push_back(std::move(p));
      if (!is_op(",")) break;
      RETURN_IF_ERROR(advance());
    }
    return out;
  }

  static bool contains_aggregate(const Expr& e) {
    if (e.aggregate) return true;
    for (const auto& a : e.args) {
      if (contains_aggregate(*a)) return true;
    }
    return false;
  }

  std::unique_ptr<Expr> node(ExprKind k, size_t offset) {
    auto e = std::make_unique<Expr>();
    e->kind = k;
    e->offset = offset;
    return e;
  }

  std::unique_ptr<Expr> binary(std::string op, std::unique_ptr<Expr> l, std::unique_ptr<Expr> r) {
    auto e = node(ExprKind::kBinary, l->offset);
    e->op = std::move(op);
    e->args.push_back(std::move(l));
    e->args.push_back(std::move(r));
    return e;
  }

  Result<std::unique_ptr<Expr>> or_expr() {
    ASSIGN_OR_RETURN(auto l, and_expr());
    while (is_kw("or") || is_op("||")) {
      RETURN_IF_ERROR(advance());
      ASSIGN_OR_RETURN(auto r, and_expr());
      l = binary("or", std::move(l), std::move(r));
    }
    return l;
  }

  Result<std::unique_ptr<Expr>> and_expr() {
    ASSIGN_OR_RETURN(auto l, not_expr());
    while (is_kw("and") || is_op("&&")) {
      RETURN_IF_ERROR(advance());
      ASSIGN_OR_RETURN(auto r, not_expr());
      l = binary("and", std::move(l), std::move(r));
    }
    return l;
  }

  Result<std::unique_ptr<Expr>> not_expr() {
    if (is_kw("not") || is_op("!")) {
      size_t at = tok_.offset;
      RETURN_IF_ERROR(advance());
      ASSIGN_OR_RETURN(auto inner, not_expr());
      auto e = node(ExprKind::kUnary, at);
      e->op = "not";
      e->args.push_back(std::move(inner));
      return e;
    }
    return cmp_expr();
  }

  Result<std::unique_ptr<Expr>> cmp_expr() {
    ASSIGN_OR_RETURN(auto l, add_expr());
    static constexpr std::string_view kCmp[] = {"=", "!=", "<", "<=", ">", ">="};
    for (auto op : kCmp) {
      if (is_op(op)) {
        RETURN_IF_ERROR(advance());
        ASSIGN_OR_RETURN(auto r, add_expr());
        return binary(std::string(op), std::move(l), std::move(r));
      }
    }
    bool negated = false;
    if (is_kw("not")) {
      negated = true;
      RETURN_IF_ERROR(advance());
      if (!is_kw("like") && !is_kw("in")) return unexpected();
    }
    if (is_kw("like") || is_op("=~")) return like(std::move(l), negated);
    if (is_kw("in")) return in_list(std::move(l), negated);
    return l;
  }

  Result<std::unique_ptr<Expr>> like(std::unique_ptr<Expr> l, bool negated) {
    RETURN_IF_ERROR(advance());
    auto e = node(ExprKind::kLike, l->offset);
    e->negated = negated;
    e->args.push_back(std::move(l));
    if (tok_.kind == TokenKind::kString) {
      e->literal = Value::string(tok_.text);
    } else if (is_op("/")) {
      size_t at = tok_.offset;
      ASSIGN_OR_RETURN(Token rx, lex_.regex_at(at));
      tok_ = rx;
      ASSIGN_OR_RETURN(e->regex, compile_regex(rx.text, at));
      e->regex_prefix = regex_literal_prefix(e->regex->pattern());
      e->literal = Value::string(rx.text);
    } else {
      return unexpected();
    }
    RETURN_IF_ERROR(advance());
    return e;
  }

  Result<std::unique_ptr<Expr>> in_list(std::unique_ptr<Expr> l, bool negated) {
    RETURN_IF_ERROR(advance());
    auto e = node(ExprKind::kIn, l->offset);
    e->negated = negated;
    e->args.push_back(std::move(l));
    RETURN_IF_ERROR(expect_op("["));
    if (!is_op("]")) {
      while (true) {
        ASSIGN_OR_RETURN(auto item, add_expr());
        e->args.push_back(std::move(item));
        if (!is_op(",")) break;
        RETURN_IF_ERROR(advance());
      }
    }
    RETURN_IF_ERROR(expect_op("]"));
    return e;
  }

  Result<std::unique_ptr<Expr>> add_expr() {
    ASSIGN_OR_RETURN(auto l, mul_expr());
    while (is_op("+") || is_op("-")) {
      std::string op = tok_.text;
      RETURN_IF_ERROR(advance());
      ASSIGN_OR_RETURN(auto r, mul_expr());
      l = binary(op, std::move(l), std::move(r));
    }
    return l;
  }

  Result<std::unique_ptr<Expr>> mul_expr() {
    ASSIGN_OR_RETURN(auto l, pow_expr());
    while (is_op("*") || is_op("/") || is_op("%")) {
      std::string op = tok_.text;
      RETURN_IF_ERROR(advance());
      ASSIGN_OR_RETURN(auto r, pow_expr());
      l = binary(op, std::move(l), std::move(r));
    }
    return l;
  }

  Result<std::unique_ptr<Expr>> pow_expr() {
    ASSIGN_OR_RETURN(auto l, unary());
    if (is_op("^")) {
      RETURN_IF_ERROR(advance());
      ASSIGN_OR_RETURN(auto r, pow_expr());
      l = binary("^", std::move(l), std::move(r));
    }
    return l;
  }

  Result<std::unique_ptr<Expr>> unary() {
    if (is_op("-")) {
      size_t at = tok_.offset;
      RETURN_IF_ERROR(advance());
      ASSIGN_OR_RETURN(auto inner, unary());
      if (inner->kind == ExprKind::kLiteral && inner->literal.kind == Value::Kind::kNumber &&
          !inner->is_duration) {
        inner->literal.num = -inner->literal.num;
        inner->offset = at;
        return inner;
      }
      auto e = node(ExprKind::kUnary, at);
      e->op = "-";
      e->args.push_back(std::move(inner));
      return e;
    }
    return primary();
  }

  Result<std::unique_ptr<Expr>> primary() {
    size_t at = tok_.offset;
    switch (tok_.kind) {
      case TokenKind::kNumber: {
        auto e = node(ExprKind::kLiteral, at);
        e->literal = Value::number(tok_.number);
        RETURN_IF_ERROR(advance());
        return e;
      }
      case TokenKind::kDuration: {
        auto e = node(ExprKind::kLiteral, at);
        e->literal = Value::number(tok_.number);
        e->is_duration = true;
        e->name = tok_.text;
        RETURN_IF_ERROR(advance());
        return e;
      }
      case TokenKind::kString: {
        auto e = node(ExprKind::kLiteral, at);
        e->literal = Value::string(tok_.text);
        RETURN_IF_ERROR(advance());
        return e;
      }
      case TokenKind::kIdent: {
        std::string name = tok_.text;
        bool quoted = tok_.quoted;
        RETURN_IF_ERROR(advance());
        if (!quoted && is_op("(")) return call(name, at);
        auto e = node(ExprKind::kField, at);
        e->name = std::move(name);
        return e;
      }
      case TokenKind::kOp:
        if (is_op("(")) {
          RETURN_IF_ERROR(advance());
          ASSIGN_OR_RETURN(auto inner, or_expr());
          RETURN_IF_ERROR(expect_op(")"));
          return inner;
        }
        if (is_op("/")) {
          return error_at(at, "a regular expression is only allowed after like, =~ or parse");
        }
        return unexpected();
      default:
        return unexpected();
    }
  }

  Result<std::unique_ptr<Expr>> call(const std::string& name, size_t at) {
    const FnInfo* info = find_function(name);
    if (!info) return error_at(at, "unknown function '" + name + "'");
    if (info->aggregate && !in_stats_) {
      return error_at(at, "the aggregation function '" + name + "' is only allowed in stats");
    }
    if (info->aggregate && agg_depth_ > 0) {
      return error_at(at, "aggregation functions cannot be nested ('" + name + "')");
    }
    auto e = node(ExprKind::kCall, at);
    e->name = name;
    e->fn = info->fn;
    e->aggregate = info->aggregate;
    RETURN_IF_ERROR(advance());  // (
    if (info->aggregate) agg_depth_++;
    Status st = call_args(e.get(), info);
    if (info->aggregate) agg_depth_--;
    RETURN_IF_ERROR(st);
    int n = static_cast<int>(e->args.size());
    if (n < info->min_args || (info->max_args >= 0 && n > info->max_args)) {
      std::string want = info->min_args == info->max_args
                             ? std::to_string(info->min_args)
                             : (info->max_args < 0 ? "at least " + std::to_string(info->min_args)
                                                   : std::to_string(info->min_args) + " to " +
                                                         std::to_string(info->max_args));
      return error_at(
          at, "function '" + name + "' takes " + want + " argument(s), got " + std::to_string(n));
    }
    if (info->fn == Fn::kBin && !e->args[0]->is_duration) {
      return error_at(e->args[0]->offset, "bin() needs a period such as 5m or 1h");
    }
    if ((info->fn == Fn::kDatefloor || info->fn == Fn::kDateceil) && !e->args[1]->is_duration) {
      return error_at(e->args[1]->offset, "'" + name + "' needs a period such as 5m or 1h");
    }
    if (info->fn == Fn::kPct) {
      const Expr& p = *e->args[1];
      if (p.kind != ExprKind::kLiteral || p.literal.kind != Value::Kind::kNumber ||
          p.literal.num < 0 || p.literal.num > 100) {
        return error_at(p.offset, "pct() needs a percentile between 0 and 100");
      }
    }
    return e;
  }

  Status call_args(Expr* e, const FnInfo* info) {
    if (is_op(")")) return advance();
    while (true) {
      if (is_op("*") && info->fn == Fn::kCount) {
        e->args.push_back(node(ExprKind::kStar, tok_.offset));
        RETURN_IF_ERROR(advance());
      } else {
        ASSIGN_OR_RETURN(auto a, or_expr());
        e->args.push_back(std::move(a));
      }
      if (!is_op(",")) break;
      RETURN_IF_ERROR(advance());
    }
    return expect_op(")");
  }

  std::string_view text_;
  Lexer lex_;
  Token tok_;
  std::string prev_;
  bool in_stats_ = false;
  int agg_depth_ = 0;
};

}  // namespace

const std::string& Query::text() const {
  return ast_->text;
}

Result<Query> parse_query(std::string_view text) {
  Parser p(text);
  ASSIGN_OR_RETURN(QueryAst ast, p.parse());
  Query q;
  q.ast_ = std::make_shared<const QueryAst>(std::move(ast));
  return q;
}

}  // namespace opsight::query::insights
