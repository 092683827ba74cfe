#include "query/tracefilter/lexer.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

namespace opsight::query::tracefilter {
namespace {

bool word_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool word_char(char c) {
  return word_start(c) || (c >= '0' && c <= '9') || c == '.';
}

bool digit(char c) {
  return c >= '0' && c <= '9';
}

Status error_at(size_t offset, std::string_view what) {
  return Status::invalid_argument(fmt::format("filter expression: {}: {}", column(offset), what));
}

// Reads a quoted string starting at src[*pos] (the quote); *pos ends after the closing quote.
Result<std::string> read_string(std::string_view src, size_t* pos) {
  const size_t start = *pos;
  const char quote = src[(*pos)++];
  std::string out;
  while (*pos < src.size()) {
    char c = src[(*pos)++];
    if (c == quote) return out;
    if (c == '\\') {
      if (*pos >= src.size()) break;
      char e = src[(*pos)++];
      if (e != '"' && e != '\'' && e != '\\') {
        return error_at(*pos - 2, fmt::format("unknown escape \\{} in a string (only \\\", \\' "
                                              "and \\\\ are allowed)",
                                              e));
      }
      out += e;
      continue;
    }
    out += c;
  }
  return error_at(start, "unterminated string: a closing quote is missing");
}

}  // namespace

std::string column(size_t offset) {
  return fmt::format("column {}", offset + 1);
}

std::string describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::kEnd:
      return "the end of the expression";
    case TokenKind::kString:
      return fmt::format("\"{}\"", t.text.substr(0, 64));
    default:
      return fmt::format("'{}'", t.text.substr(0, 64));
  }
}

Result<Token> Lexer::next() {
  while (pos_ < src_.size() &&
         (src_[pos_] == ' ' || src_[pos_] == '\t' || src_[pos_] == '\n' || src_[pos_] == '\r')) {
    pos_++;
  }
  Token t;
  t.offset = pos_;
  if (pos_ >= src_.size()) return t;
  const char c = src_[pos_];
  if (word_start(c)) {
    size_t end = pos_;
    while (end < src_.size() && word_char(src_[end])) end++;
    t.kind = TokenKind::kWord;
    t.text = std::string(src_.substr(pos_, end - pos_));
    pos_ = end;
    // annotation[key] / annotation["key"]: one token "annotation.key".
    if (pos_ < src_.size() && src_[pos_] == '[' && t.text.size() == 10) {
      std::string lower = t.text;
      for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (lower == "annotation") {
        pos_++;
        std::string key;
        if (pos_ < src_.size() && (src_[pos_] == '"' || src_[pos_] == '\'')) {
          ASSIGN_OR_RETURN(key, read_string(src_, &pos_));
        } else {
          size_t k = pos_;
          while (k < src_.size() && src_[k] != ']') k++;
          key = std::string(src_.substr(pos_, k - pos_));
          pos_ = k;
        }
        if (pos_ >= src_.size() || src_[pos_] != ']') {
          return error_at(t.offset, "annotation[ is missing its closing ']'");
        }
        pos_++;
        if (key.empty()) return error_at(t.offset, "annotation[] needs a key");
        t.text = "annotation." + key;
      }
    }
    return t;
  }
  if (c == '"' || c == '\'') {
    t.kind = TokenKind::kString;
    ASSIGN_OR_RETURN(t.text, read_string(src_, &pos_));
    return t;
  }
  if (digit(c) ||
      (c == '-' && pos_ + 1 < src_.size() && (digit(src_[pos_ + 1]) || src_[pos_ + 1] == '.'))) {
    size_t end = pos_ + 1;
    while (end < src_.size() && (digit(src_[end]) || src_[end] == '.')) end++;
    if (end < src_.size() && (src_[end] == 'e' || src_[end] == 'E')) {
      size_t e = end + 1;
      if (e < src_.size() && (src_[e] == '+' || src_[e] == '-')) e++;
      if (e < src_.size() && digit(src_[e])) {
        end = e;
        while (end < src_.size() && digit(src_[end])) end++;
      }
    }
    t.kind = TokenKind::kNumber;
    t.text = std::string(src_.substr(pos_, end - pos_));
    auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), t.number);
    if (ec != std::errc() || p != t.text.data() + t.text.size()) {
      return error_at(pos_, fmt::format("'{}' is not a number", t.text.substr(0, 64)));
    }
    if (end < src_.size() && word_char(src_[end])) {
      return error_at(pos_, fmt::format("'{}' is not a number (a number cannot be followed "
                                        "directly by a letter)",
                                        src_.substr(pos_, end + 1 - pos_)));
    }
    pos_ = end;
    return t;
  }
  t.kind = TokenKind::kOp;
  const char n = pos_ + 1 < src_.size() ? src_[pos_ + 1] : '\0';
  if ((c == '!' || c == '<' || c == '>') && n == '=') {
    t.text = std::string{c, '='};
    pos_ += 2;
    return t;
  }
  if (c == '&' && n == '&') {  // accepted as AND
    t.text = "&&";
    pos_ += 2;
    return t;
  }
  if (c == '|' && n == '|') {  // accepted as OR
    t.text = "||";
    pos_ += 2;
    return t;
  }
  switch (c) {
    case '(':
    case ')':
    case '{':
    case '}':
    case ',':
    case ':':
    case '=':
    case '<':
    case '>':
    case '!':
      t.text = std::string(1, c);
      pos_++;
      return t;
    default:
      break;
  }
  const unsigned char u = static_cast<unsigned char>(c);
  return error_at(pos_, u >= 0x20 && u < 0x7f
                            ? fmt::format("unexpected character '{}'", c)
                            : fmt::format("unexpected byte 0x{:02x}", static_cast<unsigned>(u)));
}

}  // namespace opsight::query::tracefilter
