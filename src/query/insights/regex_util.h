#pragma once
// Regex helpers shared by the Logs Insights parser and filter patterns. All regexes are RE2
// (linear time).

#include <string>
#include <string_view>

namespace opsight::query::insights {

// CloudWatch writes named groups as (?<name>...) (Java/PCRE style); older RE2 releases only
// accept (?P<name>...). Rewrites the former into the latter, leaving everything else as is.
std::string to_re2_syntax(std::string_view pattern);

// The regex of a `parse` glob: literal text matched exactly, each '*' a lazy capture (.*?) and a
// trailing '*' a greedy one, unanchored, '.' matching newlines. "[*] *" -> "\[(.*?)\] (.*)".
std::string glob_to_regex(std::string_view glob);

}  // namespace opsight::query::insights
