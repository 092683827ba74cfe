#pragma once
// Tokens of the Logs Insights language (CloudWatch Logs "Logs Insights QL" query syntax page:
// commands separated by `|`, `#` comments to the end of the line, strings in single or double
// quotes, regular expressions between slashes, field names with `@` and `.`, other field names
// in backquotes, durations such as 5m / 1h in bin() and datefloor()).
//
// A `/` is a division or the start of a regex depending on where the parser is, so the lexer
// is pulled by the parser: next() reads an operator, and regex_at() re-reads from a `/` as a
// regex when the parser expects an operand.

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace opsight::query::insights {

enum class TokenKind {
  kEnd,
  kIdent,     // a bare word or a backquoted name (quoted = true); text is the name
  kNumber,    // number = value
  kDuration,  // 5m, 1h, 30s, 100ms, 1d, 1w: number = milliseconds
  kString,    // text is the unescaped contents
  kRegex,     // text is the pattern between the slashes
  kOp,        // | , ( ) [ ] = != < <= > >= + - * / % ^ =~
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;      // as described above; for kOp the operator
  std::string_view raw;  // the token as written in the query
  double number = 0;
  bool quoted = false;  // backquoted identifier
  size_t offset = 0;    // byte offset of the token in the query
};

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  Result<Token> next();
  // Re-reads the query from `offset` (which holds a '/') as a regex literal.
  Result<Token> regex_at(size_t offset);
  void seek(size_t offset) { pos_ = offset; }

  // "line L, column C" of a byte offset (1-based; columns count bytes).
  std::string where(size_t offset) const;

 private:
  void skip_space_and_comments();
  Status error(size_t offset, std::string_view what) const;

  std::string_view src_;
  size_t pos_ = 0;
};

// A short printable rendering of a token for error messages: 'filter', '|', end of query.
std::string describe(const Token& t);

}  // namespace opsight::query::insights
