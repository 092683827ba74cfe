#include "query/patterns/line_tokenizer.h"

#include <array>

namespace opsight::query::patterns {
namespace {

// Byte classes for the tokenizer (bit flags): separator, digit, hex letter, other letter.
constexpr uint8_t kSep = 1, kDigit = 2, kHexLetter = 4, kLetter = 8;
constexpr std::array<uint8_t, 256> make_classes() {
  std::array<uint8_t, 256> c{};
  c[' '] = c['\t'] = c['\r'] = c['\n'] = c['\v'] = c['\f'] = kSep;
  for (int d = '0'; d <= '9'; d++) c[d] = kDigit;
  for (int l = 'a'; l <= 'z'; l++) c[l] = kLetter;
  for (int l = 'A'; l <= 'Z'; l++) c[l] = kLetter;
  for (int l = 'a'; l <= 'f'; l++) c[l] = kHexLetter;
  for (int l = 'A'; l <= 'F'; l++) c[l] = kHexLetter;
  return c;
}
constexpr std::array<uint8_t, 256> kClass = make_classes();

bool is_level(std::string_view t) {
  // Upper-case severity names of syslog (RFC 5424 section 6.2.1), log4j/logback, java.util.logging.
  static constexpr std::string_view kLevels[] = {
      "TRACE",  "DEBUG", "INFO",     "NOTICE", "WARN",  "WARNING", "ERROR", "ERR",    "FATAL",
      "SEVERE", "CRIT",  "CRITICAL", "ALERT",  "EMERG", "FINE",    "FINER", "FINEST", "CONFIG"};
  if (t.size() < 3 || t.size() > 8) return false;
  for (auto l : kLevels) {
    if (t == l) return true;
  }
  return false;
}

bool is_month_or_day(std::string_view t) {
  static constexpr std::string_view kNames[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
                                                "Aug", "Sep", "Oct", "Nov", "Dec", "Mon", "Tue",
                                                "Wed", "Thu", "Fri", "Sat", "Sun"};
  if (t.size() != 3) return false;
  for (auto n : kNames) {
    if (t == n) return true;
  }
  return false;
}

bool is_empty_value(std::string_view t) {
  return t == "()" || t == "[]" || t == "{}" || t == "''" || t == "\"\"" || t == "<>";
}

// An absolute path or a URL, possibly wrapped: "/var/log/x", "(/tmp/a)", "http://h/p".
bool is_path(std::string_view t) {
  size_t i = 0;
  while (i < t.size() && (t[i] == '(' || t[i] == '[' || t[i] == '"' || t[i] == '\'')) i++;
  if (i + 1 < t.size() && t[i] == '/' && t[i + 1] != '/') return true;
  return t.find("://") != std::string_view::npos;
}

// A DNS name ("ns1.example.com", "[mail.example.org]", "rhost=h.example.edu"): dot-separated
// labels of letters, digits and '-', the last one a common top-level domain, optionally after
// a "key=" prefix and inside brackets or quotes.
bool is_hostname(std::string_view t) {
  if (size_t eq = t.rfind('='); eq != std::string_view::npos) t.remove_prefix(eq + 1);
  auto wrap = [](char c) {
    return c == '(' || c == ')' || c == '[' || c == ']' || c == '"' || c == '\'' || c == ',' ||
           c == ':' || c == ';';
  };
  while (!t.empty() && wrap(t.front())) t.remove_prefix(1);
  while (!t.empty() && (wrap(t.back()) || t.back() == '.')) t.remove_suffix(1);
  const size_t dot = t.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  for (char c : t) {
    if ((kClass[static_cast<unsigned char>(c)] & (kDigit | kHexLetter | kLetter)) == 0 &&
        c != '.' && c != '-') {
      return false;
    }
  }
  static constexpr std::string_view kTlds[] = {
      "com", "net", "org", "edu", "gov",  "mil", "int",   "io",  "co",       "uk",         "de",
      "fr",  "jp",  "cn",  "ru",  "br",   "in",  "au",    "ca",  "nl",       "es",         "it",
      "se",  "ch",  "us",  "eu",  "info", "biz", "local", "lan", "internal", "localdomain"};
  const std::string_view tld = t.substr(dot + 1);
  for (auto d : kTlds) {
    if (tld == d) return true;
  }
  return false;
}

bool has_letter(std::string_view t) {
  for (char c : t) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  }
  return false;
}

// "sshd[42]:", "org.apache.Client:", "kernel:" — a token ending in ':' with a letter in it.
bool is_tag(std::string_view t) {
  return t.size() >= 2 && t.back() == ':' && has_letter(t);
}

// If tokens[i] opens a '[' group that closes within the window, returns the index of the
// token that closes it; otherwise returns SIZE_MAX.
size_t bracket_end(const std::vector<Token>& tokens, size_t i, size_t n) {
  if (tokens[i].text.empty() || tokens[i].text.front() != '[') return SIZE_MAX;
  int depth = 0;
  for (size_t j = i; j < n; j++) {
    for (char c : tokens[j].text) {
      if (c == '[') depth++;
      if (c == ']') depth--;
    }
    if (depth <= 0) return tokens[j].text.back() == ']' ? j : SIZE_MAX;
  }
  return SIZE_MAX;
}

bool can_start_header(const std::vector<Token>& tokens) {
  auto starts = [](const Token& t) {
    return t.has_digit || t.text == "-" || t.text.front() == '[' || is_month_or_day(t.text);
  };
  if (starts(tokens[0])) return true;
  return tokens.size() > 1 && tokens[1].has_digit;  // an alert label before the timestamp
}

}  // namespace

void tokenize(std::string_view line, std::vector<Token>* out) {
  out->clear();
  const auto* p = reinterpret_cast<const unsigned char*>(line.data());
  const size_t n = line.size();
  size_t i = 0;
  while (i < n) {
    while (i < n && kClass[p[i]] == 1) i++;
    if (i == n) break;
    size_t start = i;
    uint8_t seen = 0;
    while (i < n) {
      uint8_t c = kClass[p[i]];
      if (c == kSep) break;
      seen |= c;
      i++;
    }
    std::string_view text = line.substr(start, i - start);
    const bool digit = (seen & kDigit) != 0;
    const bool variable = digit || is_path(text) || is_month_or_day(text) || is_empty_value(text) ||
                          is_hostname(text);
    out->push_back(Token{text, variable, digit});
  }
}

size_t header_length(const std::vector<Token>& tokens) {
  if (tokens.empty() || !can_start_header(tokens)) return 0;
  const size_t n = tokens.size() < kHeaderWindow ? tokens.size() : kHeaderWindow;
  size_t confirmed = 0;  // the header is tokens[0, confirmed)
  size_t words = 0;      // plain words seen (not yet confirmed by a tag or level)
  size_t i = 0;
  while (i < n) {
    const Token& t = tokens[i];
    size_t close = bracket_end(tokens, i, n);
    if (close != SIZE_MAX) {
      i = close + 1;
      if (words == 0) confirmed = i;
      continue;
    }
    if (is_level(t.text)) {
      // The level is followed by at most: a [thread] group, '-' separators, one logger tag.
      confirmed = ++i;
      for (int k = 0; k < 4 && i < n; k++) {
        size_t c = bracket_end(tokens, i, n);
        if (c != SIZE_MAX) {
          confirmed = i = c + 1;
        } else if (tokens[i].text == "-") {
          confirmed = ++i;
        } else if (is_tag(tokens[i].text)) {
          confirmed = ++i;
          break;
        } else {
          break;
        }
      }
      return confirmed;
    }
    if (is_tag(t.text)) return i + 1;
    if (t.has_digit || t.text == "-" || is_month_or_day(t.text)) {
      i++;
      if (words == 0) confirmed = i;
      continue;
    }
    if (++words > kMaxHeaderWords) return confirmed;
    i++;
  }
  return confirmed;
}

}  // namespace opsight::query::patterns
