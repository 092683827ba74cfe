#include "query/promql/selector.h"

#include <fmt/format.h>

namespace opsight::query::promql {
namespace {

bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_ident_char(char c) {
  return is_ident_start(c) || (c >= '0' && c <= '9');
}

class SelectorParser {
 public:
  explicit SelectorParser(std::string_view in) : in_(in) {}

  Result<std::vector<storage::Matcher>> parse() {
    std::vector<storage::Matcher> out;
    skip_ws();
    if (pos_ < in_.size() && (is_ident_start(in_[pos_]) || in_[pos_] == ':')) {
      size_t start = pos_;
      while (pos_ < in_.size() && (is_ident_char(in_[pos_]) || in_[pos_] == ':')) pos_++;
      out.push_back(
          storage::Matcher::equal("__name__", std::string(in_.substr(start, pos_ - start))));
      skip_ws();
    }
    if (pos_ < in_.size() && in_[pos_] == '{') {
      pos_++;
      while (true) {
        skip_ws();
        if (pos_ < in_.size() && in_[pos_] == '}') {
          pos_++;
          break;
        }
        size_t start = pos_;
        std::string name;
        if (pos_ < in_.size() && (in_[pos_] == '"' || in_[pos_] == '\'')) {
          ASSIGN_OR_RETURN(name, read_string());
        } else {
          if (pos_ >= in_.size() || !is_ident_start(in_[pos_])) {
            return error(start, "expected a label name");
          }
          while (pos_ < in_.size() && is_ident_char(in_[pos_])) pos_++;
          name = std::string(in_.substr(start, pos_ - start));
        }
        skip_ws();
        storage::MatchType type;
        if (in_.substr(pos_, 2) == "=~") {
          type = storage::MatchType::kRegexMatch;
          pos_ += 2;
        } else if (in_.substr(pos_, 2) == "!~") {
          type = storage::MatchType::kRegexNoMatch;
          pos_ += 2;
        } else if (in_.substr(pos_, 2) == "!=") {
          type = storage::MatchType::kNotEqual;
          pos_ += 2;
        } else if (in_.substr(pos_, 1) == "=") {
          type = storage::MatchType::kEqual;
          pos_ += 1;
        } else {
          return error(pos_, "expected one of =, !=, =~, !~ after label name \"" + name + "\"");
        }
        skip_ws();
        ASSIGN_OR_RETURN(std::string value, read_string());
        ASSIGN_OR_RETURN(auto m, storage::Matcher::make(type, std::move(name), std::move(value)));
        out.push_back(std::move(m));
        skip_ws();
        if (pos_ < in_.size() && in_[pos_] == ',') {
          pos_++;
          continue;
        }
        if (pos_ < in_.size() && in_[pos_] == '}') {
          pos_++;
          break;
        }
        return error(pos_, "expected , or } in label matchers");
      }
    }
    skip_ws();
    if (pos_ != in_.size()) return error(pos_, "unexpected input after the selector");
    if (out.empty()) return error(0, "empty selector: give a metric name or {label matchers}");
    bool all_empty = true;
    for (const auto& m : out) all_empty = all_empty && m.matches_empty();
    if (all_empty) {
      return Status::invalid_argument(fmt::format(
          "selector \"{}\" must contain at least one matcher that does not match the empty string",
          in_));
    }
    return out;
  }

 private:
  void skip_ws() {
    while (pos_ < in_.size() &&
           (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r')) {
      pos_++;
    }
  }

  Result<std::string> read_string() {
    if (pos_ >= in_.size() || (in_[pos_] != '"' && in_[pos_] != '\'' && in_[pos_] != '`')) {
      return error(pos_, "expected a quoted string");
    }
    char q = in_[pos_];
    size_t start = pos_++;
    while (pos_ < in_.size() && in_[pos_] != q) {
      if (in_[pos_] == '\\' && q != '`') pos_++;
      pos_++;
    }
    if (pos_ >= in_.size()) return error(start, "unterminated string");
    pos_++;
    return unquote_string(in_.substr(start, pos_ - start));
  }

  Status error(size_t pos, const std::string& what) const {
    return Status::invalid_argument(
        fmt::format("parse error at position {} of selector \"{}\": {}", pos + 1, in_, what));
  }

  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::string> unquote_string(std::string_view q) {
  if (q.size() < 2 || q.front() != q.back()) {
    return Status::invalid_argument("invalid string literal");
  }
  std::string_view body = q.substr(1, q.size() - 2);
  if (q.front() == '`') return std::string(body);
  std::string out;
  for (size_t i = 0; i < body.size(); i++) {
    char c = body[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= body.size()) return Status::invalid_argument("invalid escape at end of string");
    char e = body[i];
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
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      case '\'':
        out += '\'';
        break;
      case 'x':
      case 'u':
      case 'U': {
        size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (i + n >= body.size()) {
          return Status::invalid_argument("invalid escape in string");
        }
        uint32_t cp = 0;
        for (size_t k = 1; k <= n; k++) {
          char h = body[i + k];
          int d = (h >= '0' && h <= '9')   ? h - '0'
                  : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                  : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                           : -1;
          if (d < 0) return Status::invalid_argument("invalid hex escape in string");
          cp = cp * 16 + static_cast<uint32_t>(d);
        }
        i += n;
        if (e == 'x') {
          out += static_cast<char>(cp);
        } else if (cp < 0x80) {
          out += static_cast<char>(cp);
        } else if (cp < 0x800) {
          out += static_cast<char>(0xc0 | (cp >> 6));
          out += static_cast<char>(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
          out += static_cast<char>(0xe0 | (cp >> 12));
          out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
          out += static_cast<char>(0x80 | (cp & 0x3f));
        } else {
          out += static_cast<char>(0xf0 | (cp >> 18));
          out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
          out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
          out += static_cast<char>(0x80 | (cp & 0x3f));
        }
        break;
      }
      default:
        return Status::invalid_argument(std::string("unknown escape \\") + e + " in string");
    }
  }
  return out;
}

Result<std::vector<storage::Matcher>> parse_series_selector(std::string_view input) {
  return SelectorParser(input).parse();
}

}  // namespace opsight::query::promql
