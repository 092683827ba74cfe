#include "query/promql/lexer.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>

namespace opsight::query::promql {
namespace {

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
  return is_alpha(c) || is_digit(c);
}

// Length of a duration starting at s[i] ((\d+(ms|s|m|h|d|w|y))+), 0 if none.
size_t scan_duration(std::string_view s, size_t i) {
  size_t start = i;
  bool any = false;
  while (i < s.size() && is_digit(s[i])) {
    while (i < s.size() && is_digit(s[i])) i++;
    if (i >= s.size()) return 0;
    if (s.substr(i, 2) == "ms") {
      i += 2;
    } else if (std::string_view("smhdwy").find(s[i]) != std::string_view::npos) {
      i++;
    } else {
      return 0;
    }
    any = true;
  }
  if (!any) return 0;
  if (i < s.size() && (is_alnum(s[i]) || s[i] == '.')) return 0;
  return i - start;
}

// Length of a number starting at s[i], 0 if none.
size_t scan_number(std::string_view s, size_t i) {
  size_t start = i;
  if (s.substr(i, 2) == "0x" || s.substr(i, 2) == "0X") {
    i += 2;
    size_t d = i;
    while (i < s.size() && std::isxdigit(static_cast<unsigned char>(s[i]))) i++;
    return i == d ? 0 : i - start;
  }
  size_t digits = 0;
  while (i < s.size() && is_digit(s[i])) i++, digits++;
  if (i < s.size() && s[i] == '.') {
    i++;
    while (i < s.size() && is_digit(s[i])) i++, digits++;
  }
  if (digits == 0) return 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) j++;
    size_t e = j;
    while (j < s.size() && is_digit(s[j])) j++;
    if (j > e) i = j;
  }
  return i - start;
}

}  // namespace

std::string position_string(std::string_view input, size_t pos) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < pos && i < input.size(); i++) {
    if (input[i] == '\n') {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  return fmt::format("{}:{}", line, col);
}

std::string describe_token(const Token& t) {
  switch (t.type) {
    case Tok::kEof:
      return "end of input";
    case Tok::kIdent:
      return fmt::format("identifier \"{}\"", t.text);
    case Tok::kNumber:
      return fmt::format("number \"{}\"", t.text);
    case Tok::kDuration:
      return fmt::format("duration \"{}\"", t.text);
    case Tok::kString:
      return fmt::format("string {}", t.text);
    default:
      return fmt::format("\"{}\"", t.text);
  }
}

bool parse_duration(std::string_view s, int64_t* ms) {
  if (s.empty() || scan_duration(s, 0) != s.size()) return false;
  int64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    int64_t n = 0;
    while (i < s.size() && is_digit(s[i])) {
      if (n > std::numeric_limits<int64_t>::max() / 10) return false;
      n = n * 10 + (s[i++] - '0');
    }
    int64_t unit;
    if (s.substr(i, 2) == "ms") {
      unit = 1;
      i += 2;
    } else {
      switch (s[i++]) {
        case 's':
          unit = 1000;
          break;
        case 'm':
          unit = 60'000;
          break;
        case 'h':
          unit = 3'600'000;
          break;
        case 'd':
          unit = 86'400'000;
          break;
        case 'w':
          unit = 7 * 86'400'000LL;
          break;
        default:
          unit = 365 * 86'400'000LL;
          break;
      }
    }
    if (n > std::numeric_limits<int64_t>::max() / unit) return false;
    if (total > std::numeric_limits<int64_t>::max() - n * unit) return false;
    total += n * unit;
  }
  *ms = total;
  return true;
}

bool parse_number(std::string_view s, double* v) {
  double sign = 1;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    if (s[0] == '-') sign = -1;
    s.remove_prefix(1);
  }
  auto lower = [](std::string_view x) {
    std::string o(x);
    for (auto& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return o;
  };
  std::string l = lower(s);
  if (l == "inf") {
    *v = sign * std::numeric_limits<double>::infinity();
    return true;
  }
  if (l == "nan") {
    *v = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (s.empty() || scan_number(s, 0) != s.size()) return false;
  if (l.size() > 2 && l[0] == '0' && l[1] == 'x') {
    double r = 0;
    for (size_t i = 2; i < l.size(); i++) {
      char c = l[i];
      r = r * 16 + (is_digit(c) ? c - '0' : c - 'a' + 10);
    }
    *v = sign * r;
    return true;
  }
  double r = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), r);
  if (ec == std::errc::result_out_of_range) {
    // from_chars leaves r unset; fall back to strtod's saturation to +-Inf or 0.
    r = std::strtod(std::string(s).c_str(), nullptr);
  } else if (ec != std::errc() || p != s.data() + s.size()) {
    return false;
  }
  *v = sign * r;
  return true;
}

Result<std::vector<Token>> lex(std::string_view in) {
  std::vector<Token> out;
  auto error = [&](size_t pos, std::string_view what) {
    return Status::invalid_argument(
        fmt::format("{}: parse error: {}", position_string(in, pos), what));
  };
  size_t i = 0;
  int brackets = 0;  // inside [...], ':' separates a subquery's range and step
  while (true) {
    while (i < in.size()) {
      char c = in[i];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        i++;
      } else if (c == '#') {
        while (i < in.size() && in[i] != '\n') i++;
      } else {
        break;
      }
    }
    if (i >= in.size()) break;
    size_t start = i;
    char c = in[i];
    Tok type;
    if (c == ':' && brackets > 0) {
      i++;
      type = Tok::kColon;
    } else if (is_alpha(c) || c == ':') {
      while (i < in.size() && (is_alnum(in[i]) || in[i] == ':')) i++;
      type = Tok::kIdent;
    } else if (is_digit(c) || (c == '.' && i + 1 < in.size() && is_digit(in[i + 1]))) {
      size_t n = scan_duration(in, i);
      if (n > 0) {
        type = Tok::kDuration;
      } else {
        n = scan_number(in, i);
        if (n == 0) return error(start, fmt::format("bad number or duration syntax"));
        type = Tok::kNumber;
      }
      i += n;
      if (i < in.size() && (is_alpha(in[i]) || in[i] == '.')) {
        return error(start, fmt::format("bad number or duration syntax: \"{}\"",
                                        in.substr(start, i + 1 - start)));
      }
    } else if (c == '"' || c == '\'' || c == '`') {
      i++;
      while (i < in.size() && in[i] != c) {
        if (in[i] == '\\' && c != '`') i++;
        if (c != '`' && i < in.size() && in[i] == '\n') {
          return error(start, "unterminated quoted string");
        }
        i++;
      }
      if (i >= in.size()) {
        return error(start, c == '`' ? "unterminated raw string" : "unterminated quoted string");
      }
      i++;
      type = Tok::kString;
    } else {
      auto two = in.substr(i, 2);
      i++;
      if (two == "!~") {
        type = Tok::kNeqRegex;
        i++;
      } else if (two == "=~") {
        type = Tok::kEqRegex;
        i++;
      } else if (two == "==") {
        type = Tok::kEql;
        i++;
      } else if (two == "!=") {
        type = Tok::kNeq;
        i++;
      } else if (two == "<=") {
        type = Tok::kLte;
        i++;
      } else if (two == ">=") {
        type = Tok::kGte;
        i++;
      } else {
        switch (c) {
          case '{':
            type = Tok::kLBrace;
            break;
          case '}':
            type = Tok::kRBrace;
            break;
          case '(':
            type = Tok::kLParen;
            break;
          case ')':
            type = Tok::kRParen;
            break;
          case '[':
            type = Tok::kLBracket;
            brackets++;
            break;
          case ']':
            type = Tok::kRBracket;
            brackets--;
            break;
          case ',':
            type = Tok::kComma;
            break;
          case '@':
            type = Tok::kAt;
            break;
          case '=':
            type = Tok::kAssign;
            break;
          case '<':
            type = Tok::kLss;
            break;
          case '>':
            type = Tok::kGtr;
            break;
          case '+':
            type = Tok::kAdd;
            break;
          case '-':
            type = Tok::kSub;
            break;
          case '*':
            type = Tok::kMul;
            break;
          case '/':
            type = Tok::kDiv;
            break;
          case '%':
            type = Tok::kMod;
            break;
          case '^':
            type = Tok::kPow;
            break;
          default:
            if (c == '!') return error(start, "unexpected character after '!'");
            return error(start, fmt::format("unexpected character: '{}'", c));
        }
      }
    }
    out.push_back(Token{type, start, in.substr(start, i - start)});
  }
  out.push_back(Token{Tok::kEof, in.size(), {}});
  return out;
}

}  // namespace opsight::query::promql
