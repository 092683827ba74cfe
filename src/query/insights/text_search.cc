#include "query/insights/text_search.h"

#include <re2/re2.h>

#include <cctype>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace opsight::query::insights {

namespace {

// How common a byte is in log text (higher = more common), for choosing which two bytes of the
// needle to test first: spaces, lower-case letters in English frequency order, digits, common
// punctuation; everything else 0.
struct Commonness {
  unsigned char rank[256] = {};
  constexpr Commonness() {
    constexpr std::string_view kCommon = " etaoinsrhldcumfpgwybvk0123456789-_./:\"=,";
    for (size_t i = 0; i < kCommon.size(); i++) {
      rank[static_cast<unsigned char>(kCommon[i])] = static_cast<unsigned char>(kCommon.size() - i);
    }
  }
};
constexpr Commonness kCommonness;

int commonness(char c) {
  return kCommonness.rank[static_cast<unsigned char>(c)];
}

}  // namespace

size_t find_text(std::string_view hay, std::string_view needle, size_t from) {
  if (from > hay.size()) return std::string_view::npos;
  const size_t n = hay.size() - from, k = needle.size();
  const char* h = hay.data() + from;
  if (k == 0) return from;
  if (k > n) return std::string_view::npos;
  if (k == 1) {
    const void* p = std::memchr(h, needle[0], n);
    return p ? static_cast<size_t>(static_cast<const char*>(p) - hay.data())
             : std::string_view::npos;
  }
  size_t i = 0;
#if defined(__SSE2__)
  // Muła's generic SIMD search, with the two probe bytes chosen as the needle's rarest (the
  // paper uses the first and last; "timeout" would then probe 't' twice): candidates are the
  // positions i where h[i + a] == needle[a] and h[i + b] == needle[b]; only those are compared
  // in full.
  size_t a = 0, b = k - 1;
  for (size_t j = 0; j < k; j++) {
    if (commonness(needle[j]) < commonness(needle[a])) {
      a = j;
    }
  }
  b = a == k - 1 ? 0 : k - 1;
  for (size_t j = 0; j < k; j++) {
    if (j != a && needle[j] != needle[a] && commonness(needle[j]) < commonness(needle[b])) {
      b = j;
    }
  }
  const __m128i probe_a = _mm_set1_epi8(needle[a]);
  const __m128i probe_b = _mm_set1_epi8(needle[b]);
  for (; i + k + 15 <= n; i += 16) {
    const __m128i block_a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i + a));
    const __m128i block_b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i + b));
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(
        _mm_and_si128(_mm_cmpeq_epi8(probe_a, block_a), _mm_cmpeq_epi8(probe_b, block_b))));
    while (mask != 0) {
      const unsigned bit = static_cast<unsigned>(__builtin_ctz(mask));
      if (std::memcmp(h + i + bit, needle.data(), k) == 0) return from + i + bit;
      mask &= mask - 1;
    }
  }
#endif
  // The tail (shorter than a block plus the needle): first byte with memchr, then compare.
  const char first = needle[0];
  while (i + k <= n) {
    const void* p = std::memchr(h + i, first, n - k + 1 - i);
    if (p == nullptr) break;
    i = static_cast<size_t>(static_cast<const char*>(p) - h);
    if (std::memcmp(h + i, needle.data(), k) == 0) return from + i;
    i++;
  }
  return std::string_view::npos;
}

std::string regex_literal_prefix(std::string_view p) {
  // A leading (?s) (the glob regexes of `parse`) changes what '.' matches, not literals.
  if (p.substr(0, 4) == "(?s)") p.remove_prefix(4);
  // Alternation anywhere (even inside a class or escaped: conservative) means no single prefix.
  if (p.find('|') != std::string_view::npos) return "";
  std::string out;
  size_t i = 0;
  for (; i < p.size(); i++) {
    const unsigned char c = static_cast<unsigned char>(p[i]);
    if (c >= 0x80) break;  // a quantifier would apply to the whole UTF-8 sequence
    if (c == '\\') {
      if (i + 1 >= p.size()) break;
      const unsigned char e = static_cast<unsigned char>(p[i + 1]);
      // \. \" \/ ... are the literal; \d \w \b \x41 \Q ... are not simple literals.
      if (e >= 0x80 || std::isalnum(e)) break;
      out += static_cast<char>(e);
      i++;
      continue;
    }
    if (std::strchr(".^$*+?()[]{}", c) != nullptr || c == '\0') break;
    out += static_cast<char>(c);
  }
  // x? x* x{0,n}: the last literal is optional. (x+ and x{1,} still start with x; dropping it
  // anyway keeps the rule simple.)
  if (i < p.size() && !out.empty() && std::strchr("?*{+", p[i]) != nullptr) out.pop_back();
  return out;
}

namespace {

// Occurrences of the prefix tried with an anchored match before one unanchored search.
constexpr int kAnchoredTries = 4;
// Shorter prefixes are too frequent to be worth it.
constexpr size_t kMinPrefix = 2;

}  // namespace

bool regex_search(const re2::RE2& rx, std::string_view prefix, std::string_view text,
                  re2::StringPiece* sub, int nsub) {
  const re2::StringPiece whole(text.data(), text.size());
  if (prefix.size() < kMinPrefix) {
    return rx.Match(whole, 0, text.size(), RE2::UNANCHORED, sub, nsub);
  }
  size_t pos = 0;
  for (int tries = 0; tries < kAnchoredTries; tries++) {
    pos = find_text(text, prefix, pos);
    if (pos == std::string_view::npos) return false;  // every match starts with the prefix
    if (rx.Match(whole, pos, text.size(), RE2::ANCHOR_START, sub, nsub)) return true;
    pos++;
  }
  pos = find_text(text, prefix, pos);
  if (pos == std::string_view::npos) return false;
  return rx.Match(whole, pos, text.size(), RE2::UNANCHORED, sub, nsub);
}

}  // namespace opsight::query::insights
