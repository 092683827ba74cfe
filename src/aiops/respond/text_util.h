#pragma once
// Small text helpers of aiops/respond: UTF-8 safe capping of captured output and of fields that
// receivers limit (Slack section text 3000, PagerDuty summary 1024, Jira summary 255 characters).
//
// Thread safety: pure functions.

#include <cstddef>
#include <string>
#include <string_view>

namespace opsight::aiops::respond {

// `in` as valid UTF-8 of at most `max_bytes` bytes: invalid sequences (RFC 3629, section 4:
// overlong forms, surrogates, code points above U+10FFFF, truncated sequences) become U+FFFD,
// and the text is cut at a character boundary. `*truncated` (may be null) is set when the
// input did not fit.
std::string utf8_capped(std::string_view in, size_t max_bytes, bool* truncated = nullptr);

// Like utf8_capped, but a cut text ends with "..." (within max_bytes; max_bytes >= 3).
std::string utf8_ellipsized(std::string_view in, size_t max_bytes);

}  // namespace opsight::aiops::respond
