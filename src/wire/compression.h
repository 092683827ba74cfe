#pragma once
// Body decompression with an output-size limit, so a small compressed body can never expand
// into unbounded memory (a "zip bomb" is refused with ResourceExhausted).

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace opsight::wire {

// Snappy block format (github.com/google/snappy format_description.txt), as used by
// Prometheus remote write and the Loki push API (not the framing format).
Result<std::string> snappy_decompress(std::string_view in, uint64_t max_out);
std::string snappy_compress(std::string_view in);

// gzip (RFC 1952) or zlib/deflate (RFC 1950/1951) stream, detected from the header.
Result<std::string> gzip_decompress(std::string_view in, uint64_t max_out);
std::string gzip_compress(std::string_view in);

// Decodes a body by its Content-Encoding ("", "identity", "gzip", "deflate", "snappy",
// "zstd"). InvalidArgument names an unsupported encoding.
Result<std::string> decode_content(std::string_view encoding, std::string_view in,
                                   uint64_t max_out);

}  // namespace opsight::wire
