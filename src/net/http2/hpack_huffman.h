#pragma once
// The HPACK static Huffman code (RFC 7541 §5.2 and Appendix B). The code is canonical: codes of
// each length are consecutive and ordered by symbol, so the table is stored as code lengths only
// and the codes are derived from them (checked against Appendix B in the unit test).
// Stateless functions; thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace opsight::http2 {

// Bits in the code of `symbol` (0..256, 256 is EOS) and the code itself, right-aligned.
int huffman_code_length(int symbol);
uint32_t huffman_code(int symbol);

// Bytes that huffman_encode(s) produces.
size_t huffman_encoded_size(std::string_view s);
// Appends the Huffman encoding of `s`, padded with the most significant bits of EOS (ones).
void huffman_encode(std::string_view s, std::string* out);
// Appends the decoded string. Errors (COMPRESSION_ERROR at the HTTP/2 level): EOS inside the
// string, padding longer than 7 bits, padding that is not all ones.
Status huffman_decode(std::string_view in, std::string* out);

}  // namespace opsight::http2
