#pragma once
// Parser of Metric Math expressions (CloudWatch user guide, "Metric math syntax and functions").
//
// Grammar, lowest precedence first (binary operators are left-associative except ^):
//   expr    := or
//   or      := and   { ("OR" | "||") and }
//   and     := cmp   { ("AND" | "&&") cmp }
//   cmp     := add   { ("==" | "!=" | "<" | "<=" | ">" | ">=") add }
//   add     := mul   { ("+" | "-") mul }
//   mul     := unary { ("*" | "/") unary }
//   unary   := "-" unary | "+" unary | pow
//   pow     := primary [ "^" unary ]
//   primary := number | string | ident | ident "(" [ expr { "," expr } ] ")"
//            | "(" expr ")" | "[" expr { "," expr } "]"
// CloudWatch does not publish operator precedence; this is the conventional one (-2^2 = -4).
// Function names are case-insensitive and stored upper-cased; identifiers are kept verbatim.
//
// Limits: nesting depth 100 (deeper input is InvalidArgument, not a stack overflow).
// Pure; thread-safe.

#include <memory>
#include <string_view>

#include "common/status.h"
#include "query/metricmath/ast.h"

namespace opsight::query::metricmath {

// Errors read "syntax error at position N: ...".
Result<std::unique_ptr<Node>> parse_expression(std::string_view expr);

// The ids (identifiers outside of function-name position, starting with a lower-case letter)
// that the expression references, in order of first appearance.
std::vector<std::string> referenced_ids(const Node& root);

}  // namespace opsight::query::metricmath
