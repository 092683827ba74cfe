#pragma once
// Parser of X-Ray filter expressions (AWS X-Ray developer guide, "Using filter expressions").
//
// Grammar (keywords and AND / OR / NOT / CONTAINS / BEGINSWITH / ENDSWITH are case-insensitive):
//   expr      := and_expr { ("or" | "||") and_expr }
//   and_expr  := unary { ["and" | "&&"] unary }          juxtaposition is AND: `ok !partial`
//   unary     := ("!" | "not") unary | "(" expr ")" | predicate
//   predicate := boolkw [("=" | "!=") ("true" | "false")]
//              | numkw ("=" | "!=" | "<" | "<=" | ">" | ">=") number
//              | strkw ("=" | "!=" | "contains" | "beginswith" | "endswith") string
//              | "annotation." key [op value]          also annotation[key]; value: string,
//                                                      number or true/false; no op = present
//              | "service" "(" [node] ")" ["{" expr "}"]
//              | "edge" "(" node "," node ")" ["{" expr "}"]
//              | "id" "(" idargs ")"                    shorthand for service(id(...))
//   node      := string | "id" "(" idargs ")"
//   idargs    := "name" ":" string ["," "type" ":" string]   (either order; type alone is allowed)
//   boolkw    := ok | error | throttle | fault | partial
//   numkw     := responsetime | duration | http.status            (seconds for the first two)
//   strkw     := http.url | http.method | http.useragent | http.clientip | user | name
// Precedence: NOT binds tightest, then AND, then OR.
//
// Not supported (an error names them): the root-cause keywords (rootcause.*), group.name /
// group.arn, json(), and the keywords inferred, first, last, index, coverage.
//
// Errors are InvalidArgument "filter expression: column N: <what was expected, what was found>".
// Nesting is limited to kMaxDepth levels so a hostile expression cannot exhaust the stack.

#include <string_view>

#include "common/status.h"
#include "query/tracefilter/ast.h"

namespace opsight::query::tracefilter {

inline constexpr int kMaxDepth = 64;

// Parses `text` (empty or blank: a filter that matches every trace).
Result<Filter> parse_filter(std::string_view text);

}  // namespace opsight::query::tracefilter
