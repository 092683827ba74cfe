#include "query/insights/lexer.h"

#include <charconv>

#include "query/insights/value.h"

namespace opsight::query::insights {
namespace {

bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '@' || c == '$';
}
bool is_ident_char(char c) {
  return is_ident_start(c) || (c >= '0' && c <= '9') || c == '.';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Duration units accepted after a number (CloudWatch: "a number and then m or h", plus the
// usual s, ms, d, w).
int64_t unit_ms(std::string_view u) {
  if (u == "ms") return 1;
  if (u == "s" || u == "sec" || u == "second" || u == "seconds") return 1000;
  if (u == "m" || u == "min" || u == "minute" || u == "minutes") return 60'000;
  if (u == "h" || u == "hr" || u == "hour" || u == "hours") return 3'600'000;
  if (u == "d" || u == "day" || u == "days") return 86'400'000;
  if (u == "w" || u == "week" || u == "weeks") return 7 * 86'400'000LL;
  return 0;
}

}  // namespace

std::string Lexer::where(size_t offset) const {
  int line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset && i < src_.size(); i++) {
    if (src_[i] == '\n') {
      line++;
      line_start = i + 1;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(offset - line_start + 1);
}

Status Lexer::error(size_t offset, std::string_view what) const {
  return Status::invalid_argument(where(offset) + ": " + std::string(what));
}

void Lexer::skip_space_and_comments() {
  while (pos_ < src_.size()) {
    char c = src_[pos_];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      pos_++;
    } else if (c == '#') {
      while (pos_ < src_.size() && src_[pos_] != '\n') pos_++;
    } else {
      break;
    }
  }
}

Result<Token> Lexer::next() {
  skip_space_and_comments();
  Token t;
  t.offset = pos_;
  if (pos_ >= src_.size()) {
    t.kind = TokenKind::kEnd;
    return t;
  }
  char c = src_[pos_];
  size_t start = pos_;
  if (c == '`') {
    size_t end = src_.find('`', pos_ + 1);
    if (end == std::string_view::npos) return error(start, "unterminated backquoted field name");
    t.kind = TokenKind::kIdent;
    t.quoted = true;
    t.text = std::string(src_.substr(pos_ + 1, end - pos_ - 1));
    if (t.text.empty()) return error(start, "empty backquoted field name");
    pos_ = end + 1;
  } else if (is_ident_start(c)) {
    while (pos_ < src_.size() && is_ident_char(src_[pos_])) pos_++;
    t.kind = TokenKind::kIdent;
    t.text = std::string(src_.substr(start, pos_ - start));
  } else if (is_digit(c) || (c == '.' && pos_ + 1 < src_.size() && is_digit(src_[pos_ + 1]))) {
    while (pos_ < src_.size() && (is_digit(src_[pos_]) || src_[pos_] == '.')) pos_++;
    // Exponent: 1e3, 1.5E-2.
    if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
      size_t q = pos_ + 1;
      if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) q++;
      if (q < src_.size() && is_digit(src_[q])) {
        pos_ = q;
        while (pos_ < src_.size() && is_digit(src_[pos_])) pos_++;
      }
    }
    std::string_view num = src_.substr(start, pos_ - start);
    auto v = parse_number(num);
    if (!v) return error(start, "invalid number '" + std::string(num) + "'");
    size_t ustart = pos_;
    while (pos_ < src_.size() &&
           ((src_[pos_] >= 'a' && src_[pos_] <= 'z') || (src_[pos_] >= 'A' && src_[pos_] <= 'Z'))) {
      pos_++;
    }
    if (pos_ > ustart) {
      std::string_view unit = src_.substr(ustart, pos_ - ustart);
      int64_t u = unit_ms(unit);
      if (u == 0 || (pos_ < src_.size() && is_ident_char(src_[pos_]))) {
        return error(start, "invalid number or duration '" +
                                std::string(src_.substr(start, pos_ - start)) + "'");
      }
      t.kind = TokenKind::kDuration;
      t.number = *v * static_cast<double>(u);
    } else {
      t.kind = TokenKind::kNumber;
      t.number = *v;
    }
    t.text = std::string(src_.substr(start, pos_ - start));
  } else if (c == '"' || c == '\'') {
    pos_++;
    std::string out;
    bool closed = false;
    while (pos_ < src_.size()) {
      char d = src_[pos_++];
      if (d == c) {
        closed = true;
        break;
      }
      if (d == '\\' && pos_ < src_.size()) {
        char e = src_[pos_++];
        switch (e) {
          case 'n':
            out += '\n';
            break;
          case 't':
            out += '\t';
            break;
          case 'r':
            out += '\r';
            break;
          default:
            out += e;
        }
        continue;
      }
      out += d;
    }
    if (!closed) return error(start, "unterminated string");
    t.kind = TokenKind::kString;
    t.text = std::move(out);
  } else {
    static constexpr std::string_view kTwo[] = {"!=", "<=", ">=", "=~", "==", "&&", "||"};
    t.kind = TokenKind::kOp;
    for (auto op : kTwo) {
      if (src_.substr(pos_, 2) == op) {
        t.text = std::string(op);
        pos_ += 2;
        break;
      }
    }
    if (t.text.empty()) {
      static constexpr std::string_view kOne = "|,()[]=<>+-*/%^!";
      if (kOne.find(c) == std::string_view::npos) {
        return error(start, "unexpected character '" + std::string(1, c) + "'");
      }
      t.text = std::string(1, c);
      pos_++;
    }
  }
  t.raw = src_.substr(start, pos_ - start);
  return t;
}

Result<Token> Lexer::regex_at(size_t offset) {
  pos_ = offset + 1;
  std::string out;
  bool closed = false;
  while (pos_ < src_.size()) {
    char d = src_[pos_++];
    if (d == '/') {
      closed = true;
      break;
    }
    if (d == '\\' && pos_ < src_.size()) {
      // "\/" is a slash inside the regex; other escapes pass through to RE2 unchanged.
      if (src_[pos_] == '/') {
        out += '/';
      } else {
        out += '\\';
        out += src_[pos_];
      }
      pos_++;
      continue;
    }
    out += d;
  }
  if (!closed) return error(offset, "unterminated regular expression");
  Token t;
  t.kind = TokenKind::kRegex;
  t.text = std::move(out);
  t.offset = offset;
  t.raw = src_.substr(offset, pos_ - offset);
  return t;
}

std::string describe(const Token& t) {
  if (t.kind == TokenKind::kEnd) return "end of query";
  std::string raw(t.raw.substr(0, 40));
  return "'" + raw + "'";
}

}  // namespace opsight::query::insights
