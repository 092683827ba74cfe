#pragma once
// Tokens of the Metric Math expression language. Pure; thread-safe.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace opsight::query::metricmath {

struct Token {
  enum class Kind {
    kNumber,
    kString,
    kIdent,
    kOp,  // + - * / ^ == != < <= > >= && || AND OR
    kLParen,
    kRParen,
    kLBracket,
    kRBracket,
    kComma,
    kEnd,
  };
  Kind kind = Kind::kEnd;
  std::string text;  // identifier, operator, unquoted string
  double number = 0;
  size_t pos = 0;
};

// Splits `expr` into tokens ending with a kEnd token. Numbers: 12, 1.5, .5, 1e3. Strings:
// '...' or "..." (a backslash escapes the next character). AND and OR (upper case) are
// operators; every other word is an identifier. InvalidArgument names the position.
Result<std::vector<Token>> tokenize(std::string_view expr);

}  // namespace opsight::query::metricmath
