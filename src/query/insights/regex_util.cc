#include "query/insights/regex_util.h"

namespace opsight::query::insights {

std::string to_re2_syntax(std::string_view p) {
  std::string out;
  out.reserve(p.size() + 8);
  for (size_t i = 0; i < p.size(); i++) {
    if (p[i] == '\\' && i + 1 < p.size()) {
      out += p[i];
      out += p[++i];
      continue;
    }
    if (p.compare(i, 3, "(?<") == 0 && i + 3 < p.size() && p[i + 3] != '=' && p[i + 3] != '!') {
      out += "(?P<";
      i += 2;
      continue;
    }
    out += p[i];
  }
  return out;
}

std::string glob_to_regex(std::string_view glob) {
  std::string out = "(?s)";
  for (size_t i = 0; i < glob.size(); i++) {
    char c = glob[i];
    if (c == '*') {
      out += i + 1 == glob.size() ? "(.*)" : "(.*?)";
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || static_cast<unsigned char>(c) >= 0x80) {
      out += c;
    } else {
      out += '\\';
      out += c;
    }
  }
  return out;
}

}  // namespace opsight::query::insights
