#pragma once
// Tokens of X-Ray filter expressions (AWS X-Ray developer guide, "Using filter expressions"):
// keywords such as `responsetime` or `http.url` (letters, digits, `_` and `.`), strings in double
// or single quotes (backslash escapes \" \' \\), numbers (`5`, `2.5`, `-1`), and the operators
// ( ) { } , : = != < <= > >= !. `annotation[key]` (the bracket form of `annotation.key`, where
// the key may also be quoted) is read as one keyword token "annotation.<key>".
//
// Bounds: an expression is at most kMaxFilterBytes; the lexer never reads past its input.

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace opsight::query::tracefilter {

inline constexpr size_t kMaxFilterBytes = 8192;

enum class TokenKind { kEnd, kWord, kString, kNumber, kOp };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;   // the word, the unescaped string, the operator, the number as written
  double number = 0;  // kNumber
  size_t offset = 0;  // byte offset in the expression (0-based)
};

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}
  // The next token; InvalidArgument naming the position for a bad character, an unterminated
  // string or a malformed number.
  Result<Token> next();

 private:
  std::string_view src_;
  size_t pos_ = 0;
};

// "column N" (1-based) of a byte offset, for error messages.
std::string column(size_t offset);
// A printable rendering of a token for error messages: 'and', "text", end of expression.
std::string describe(const Token& t);

}  // namespace opsight::query::tracefilter
