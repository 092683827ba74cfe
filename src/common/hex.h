#pragma once
// Hex text of bytes (trace and span ids, hashes): lower-case out, either case in.
//
// Thread safety: pure functions.

#include <string>
#include <string_view>

namespace opsight {

std::string hex_encode(std::string_view bytes);
// False on an odd length or a non-hex character (*out is then unspecified).
bool hex_decode(std::string_view text, std::string* out);

}  // namespace opsight
