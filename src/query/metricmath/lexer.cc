#include "query/metricmath/lexer.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>

namespace opsight::query::metricmath {
namespace {

bool is_ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}
bool is_digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

}  // namespace

Result<std::vector<Token>> tokenize(std::string_view expr) {
  std::vector<Token> out;
  size_t i = 0;
  auto push = [&](Token::Kind kind, std::string text, size_t pos) {
    Token t;
    t.kind = kind;
    t.text = std::move(text);
    t.pos = pos;
    out.push_back(std::move(t));
  };
  while (i < expr.size()) {
    char c = expr[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      i++;
      continue;
    }
    size_t start = i;
    if (is_digit(c) || (c == '.' && i + 1 < expr.size() && is_digit(expr[i + 1]))) {
      while (i < expr.size() && (is_digit(expr[i]) || expr[i] == '.')) i++;
      if (i < expr.size() && (expr[i] == 'e' || expr[i] == 'E')) {
        size_t j = i + 1;
        if (j < expr.size() && (expr[j] == '+' || expr[j] == '-')) j++;
        if (j < expr.size() && is_digit(expr[j])) {
          i = j;
          while (i < expr.size() && is_digit(expr[i])) i++;
        }
      }
      Token t;
      t.kind = Token::Kind::kNumber;
      t.pos = start;
      t.text = std::string(expr.substr(start, i - start));
      auto [ptr, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), t.number);
      if (ec != std::errc() || ptr != t.text.data() + t.text.size() || !std::isfinite(t.number)) {
        return Status::invalid_argument(
            fmt::format("invalid number \"{}\" at position {}", t.text, start));
      }
      if (i < expr.size() && is_ident_start(expr[i])) {
        return Status::invalid_argument(fmt::format("invalid number \"{}\" at position {}",
                                                    expr.substr(start, i - start + 1), start));
      }
      out.push_back(std::move(t));
      continue;
    }
    if (is_ident_start(c)) {
      while (i < expr.size() && is_ident_char(expr[i])) i++;
      std::string word(expr.substr(start, i - start));
      if (word == "AND" || word == "OR") {
        push(Token::Kind::kOp, word, start);
      } else {
        push(Token::Kind::kIdent, word, start);
      }
      continue;
    }
    if (c == '\'' || c == '"') {
      std::string s;
      i++;
      bool closed = false;
      while (i < expr.size()) {
        if (expr[i] == '\\' && i + 1 < expr.size()) {
          s.push_back(expr[i + 1]);
          i += 2;
          continue;
        }
        if (expr[i] == c) {
          closed = true;
          i++;
          break;
        }
        s.push_back(expr[i++]);
      }
      if (!closed) {
        return Status::invalid_argument(
            fmt::format("unterminated string starting at position {}", start));
      }
      push(Token::Kind::kString, std::move(s), start);
      continue;
    }
    auto two = expr.substr(i, 2);
    if (two == "==" || two == "!=" || two == "<=" || two == ">=" || two == "&&" || two == "||") {
      push(Token::Kind::kOp, std::string(two), start);
      i += 2;
      continue;
    }
    i++;
    switch (c) {
      case '+':
      case '-':
      case '*':
      case '/':
      case '^':
      case '<':
      case '>':
        push(Token::Kind::kOp, std::string(1, c), start);
        break;
      case '(':
        push(Token::Kind::kLParen, "(", start);
        break;
      case ')':
        push(Token::Kind::kRParen, ")", start);
        break;
      case '[':
        push(Token::Kind::kLBracket, "[", start);
        break;
      case ']':
        push(Token::Kind::kRBracket, "]", start);
        break;
      case ',':
        push(Token::Kind::kComma, ",", start);
        break;
      default:
        return Status::invalid_argument(
            fmt::format("unexpected character '{}' at position {}", c, start));
    }
  }
  push(Token::Kind::kEnd, "", expr.size());
  return out;
}

}  // namespace opsight::query::metricmath
