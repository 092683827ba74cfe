#pragma once
// The parsed form of a Logs Insights query: a pipeline of commands, each holding expression
// trees. Immutable once parsed; shared (read-only) by every Execution of the query, so it is
// safe to use from several threads at once.

#include <memory>
#include <string>
#include <vector>

#include "query/insights/value.h"

namespace re2 {
class RE2;
}

namespace opsight::query::insights {

enum class ExprKind {
  kLiteral,  // literal (numbers, strings; durations are numbers of ms with is_duration)
  kField,    // name
  kStar,     // the * of count(*)
  kUnary,    // op: "-" or "not"; args[0]
  kBinary,   // op: + - * / % ^ = != < <= > >= and or; args[0], args[1]
  kCall,     // name (lower case), args; fn resolved at parse time
  kIn,       // args[0] in [args[1..]], negated for `not in`
  kLike,     // args[0] like "text" (literal.str) or /regex/ (regex), negated for `not like`
};

enum class Fn;  // functions.h

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  size_t offset = 0;  // in the query text, for messages
  Value literal;
  bool is_duration = false;
  std::string name;  // field name, or function name as written
  std::string op;
  std::vector<std::unique_ptr<Expr>> args;
  bool negated = false;
  Fn fn{};
  bool aggregate = false;  // a stats aggregation call (count, sum, pct, ...)
  std::shared_ptr<const re2::RE2> regex;
  std::string regex_prefix;  // regex_literal_prefix of regex (text_search.h)

  // Canonical text: the default column name of an unaliased projection ("count(*)",
  // "bin(5m)", "avg(latency * 1000)").
  std::string text() const;
};

struct Projection {
  std::unique_ptr<Expr> expr;
  std::string name;  // alias, or expr->text()
};

struct SortKey {
  std::unique_ptr<Expr> expr;
  bool desc = false;
};

enum class CommandKind {
  kFields,
  kDisplay,
  kFilter,
  kStats,
  kSort,
  kLimit,
  kParse,
  kDedup,
  kPattern,
  kUnmask
};

struct Command {
  CommandKind kind = CommandKind::kFields;
  size_t offset = 0;
  std::vector<Projection> projections;  // fields, display, stats (aggregates), unmask
  std::vector<Projection> by;           // stats ... by
  std::unique_ptr<Expr> expr;           // filter condition; parse / pattern source
  std::vector<SortKey> sort;
  uint64_t limit = 0;
  // parse: a glob ("* [*] *", captures in `names`) or a regex with named groups (`names` are
  // the group names in order).
  std::string glob;
  std::shared_ptr<const re2::RE2> parse_regex;
  std::string parse_prefix;        // regex_literal_prefix of parse_regex
  std::vector<std::string> names;  // parse captures; dedup fields
};

struct QueryAst {
  std::string text;
  std::vector<Command> commands;
};

}  // namespace opsight::query::insights
