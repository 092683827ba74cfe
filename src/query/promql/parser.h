#pragma once
// The PromQL parser: query text -> Expr (ast.h), with Prometheus's static checks (operand and
// argument types, vector-matching rules, selector rules). Grammar and precedence follow
// Prometheus 2.x (promql/parser/generated_parser.y, documented in querying/operators): `or` <
// `and`,`unless` < comparisons < `+`,`-` < `*`,`/`,`%`,`atan2` < `^` (right-associative);
// unary minus binds like `*` (so -2^2 == -4). Errors are InvalidArgument with Prometheus's
// shape: "1:14: parse error: unexpected ...". Thread-safe (no shared state).

#include <string_view>

#include "common/status.h"
#include "query/promql/ast.h"

namespace opsight::query::promql {

// Parses a whole query; fails on trailing input. Input size is bounded by the caller (the
// parser recurses on nesting, so queries are also limited to kMaxNesting levels).
Result<Expr> parse_expr(std::string_view input);

inline constexpr int kMaxNesting = 200;
// Durations (ranges, steps, offsets) and @ timestamps are bounded like Go's time.Duration
// (about 292 years) so that time arithmetic in the engine cannot overflow.
inline constexpr int64_t kMaxDurationMs = 9'223'372'036'854;
inline constexpr int64_t kMaxTimestampMs = 9'223'372'036'854'000;

}  // namespace opsight::query::promql
