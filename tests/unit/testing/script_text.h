#pragma once
// Line helpers of the script-driven tests (tests/unit/promql, tests/unit/metricmath).

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace opsight::testing {

// `s` without leading and trailing blanks, tabs and carriage returns.
inline std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

// The whitespace-separated words of `s`.
inline std::vector<std::string> split_ws(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

}  // namespace opsight::testing
