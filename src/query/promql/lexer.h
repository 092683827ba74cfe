#pragma once
// The PromQL lexer: turns a query into tokens (Prometheus 2.x lexical rules: identifiers with
// ':' for metric names, numbers incl. hex/Inf/NaN, durations like 1h30m, strings quoted with
// " ' or `, # comments). Keywords are lexed as identifiers and told apart by the parser, since
// most of them are valid label names.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace opsight::query::promql {

enum class Tok {
  kEof,
  kIdent,     // [a-zA-Z_:][a-zA-Z0-9_:]*
  kNumber,    // 1, 1.5e3, 0x1f, .5 (Inf/NaN come as kIdent)
  kDuration,  // 5m, 1h30m, 100ms
  kString,    // "..." '...' `...`, text includes the quotes
  kLBrace,
  kRBrace,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kColon,
  kAt,
  kAssign,    // =
  kNeqRegex,  // !~
  kEqRegex,   // =~
  kEql,       // ==
  kNeq,       // !=
  kLss,
  kGtr,
  kLte,
  kGte,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
};

struct Token {
  Tok type = Tok::kEof;
  size_t pos = 0;  // byte offset
  std::string_view text;
};

// Describes a token for error messages: `identifier "foo"`, `"("`, `end of input`.
std::string describe_token(const Token& t);

// "line:col" (1-based) of a byte offset.
std::string position_string(std::string_view input, size_t pos);

// All tokens of `input`, ending with kEof. Errors: "1:5: parse error: unterminated quoted
// string", "unexpected character", ...
Result<std::vector<Token>> lex(std::string_view input);

// Parses a duration token ("1h30m", "100ms"); false when malformed.
bool parse_duration(std::string_view text, int64_t* ms);
// Parses a number token or Inf/NaN (any case, with optional sign); false when malformed.
bool parse_number(std::string_view text, double* v);

}  // namespace opsight::query::promql
