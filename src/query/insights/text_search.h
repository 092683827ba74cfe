#pragma once
// Text search on the per-record paths of Logs Insights: `like "text"`, strcontains, `like /re/`
// and `parse ... /re/`.
//
// Substrings: the "generic SIMD" algorithm of Wojciech Muła, "SIMD-friendly algorithms for
// substring searching" (2016): compare the needle's first and last bytes against 16 positions at
// once (SSE2) and check the middle only where both agree. Falls back to memmem elsewhere.
//
// Regexes: every match of a regex that starts with a literal (`user_[0-9]+`, `" (?<s>\d+)`) starts
// where that literal occurs, so the search finds the literal first and runs RE2 anchored there
// (the text before it stays context for \b and ^). After a few occurrences that do not match it
// hands the rest of the text to one unanchored RE2 search, so a frequent literal never costs more
// than a few extra RE2 calls. The answer is always RE2's unanchored leftmost match.
//
// Thread safety: pure functions.

#include <re2/stringpiece.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace opsight::query::insights {

// Offset of the first occurrence of `needle` in `hay` at or after `from`; npos when none. An
// empty needle is found at `from` (when from <= hay.size()).
size_t find_text(std::string_view hay, std::string_view needle, size_t from = 0);
inline bool contains_text(std::string_view hay, std::string_view needle) {
  return find_text(hay, needle) != std::string_view::npos;
}

// The literal text every match of `pattern` (RE2 syntax, case-sensitive, no alternation) starts
// with; "" when none is known. Conservative: stops at the first metacharacter, escape class,
// group or non-ASCII byte, and drops the last literal when a ?, * or {m,n} follows it.
std::string regex_literal_prefix(std::string_view pattern);

// RE2's unanchored leftmost search of `rx` in `text`, with the positions of `nsub` groups in
// `sub` (as RE2::Match; sub may be null when nsub is 0). `prefix` is regex_literal_prefix of
// rx's pattern (or "" for a plain RE2 search).
bool regex_search(const re2::RE2& rx, std::string_view prefix, std::string_view text,
                  re2::StringPiece* sub, int nsub);

}  // namespace opsight::query::insights
