#include "aiops/respond/text_util.h"

#include <algorithm>
#include <cstdint>

namespace opsight::aiops::respond {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence at in[i], or 0 when it is invalid (RFC 3629 section 4,
// "Syntax of UTF-8 Byte Sequences").
size_t valid_sequence(std::string_view in, size_t i) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(in[i + k]); };
  const uint8_t c = b(0);
  if (c < 0x80) return 1;
  size_t n = 0;
  uint8_t lo = 0x80, hi = 0xBF;  // range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // no overlong forms
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // no overlong forms
    if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > in.size()) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (size_t k = 2; k < n; k++) {
    if (b(k) < 0x80 || b(k) > 0xBF) return 0;
  }
  return n;
}

}  // namespace

std::string utf8_capped(std::string_view in, size_t max_bytes, bool* truncated) {
  std::string out;
  out.reserve(std::min(in.size(), max_bytes));
  bool cut = false;
  for (size_t i = 0; i < in.size();) {
    const size_t n = valid_sequence(in, i);
    const std::string_view piece = n == 0 ? kReplacement : in.substr(i, n);
    if (out.size() + piece.size() > max_bytes) {
      cut = true;
      break;
    }
    out += piece;
    i += n == 0 ? 1 : n;
  }
  if (truncated != nullptr) *truncated = cut;
  return out;
}

std::string utf8_ellipsized(std::string_view in, size_t max_bytes) {
  bool cut = false;
  std::string out = utf8_capped(in, max_bytes, &cut);
  if (!cut || max_bytes < 3) return out;
  out = utf8_capped(in, max_bytes - 3);
  out += "...";
  return out;
}

}  // namespace opsight::aiops::respond
