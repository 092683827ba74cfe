#pragma once
// Value columns of the block series encoding (docs/format/tsdb-chunks.md): one column holds n
// float64 values, stored bit-exactly by the cheapest of these codecs (one tag byte each):
//   kConst         every value has the same bits: 8 raw bytes
//   kDecimalDelta  every value (but a few "exceptions") is m / 10^k (or m * 1e-k) exactly for
//                  an integer |m| < 2^53 and a small k: the mantissas m as zigzag varint deltas
//   kDecimalDod    same, as zigzag varint delta-of-deltas (steadily growing counters)
//   kGorilla       Gorilla XOR bit stream (VLDB 2015, 4.1.2), for values with no short decimal
// Internal to the tsdb; the block series framing is in chunk_block.cc.
//
// Thread safety: stateless functions.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace opsight::storage::tsdb::internal {

enum class ValueCodec : uint8_t { kConst = 1, kDecimalDelta = 2, kDecimalDod = 3, kGorilla = 4 };

// Largest decimal exponent k tried by the encoder; the format allows up to kMaxFormatScale.
inline constexpr int kMaxScale = 15;
inline constexpr int kMaxFormatScale = 18;

// Appends the column (tag byte + payload) for `bits` (raw IEEE-754 bits of the values).
// With allow_decimal false only kConst and kGorilla are considered.
void encode_value_column(std::span<const uint64_t> bits, std::string* out,
                         bool allow_decimal = true);

// As encode_value_column, but only with `codec` (for benchmarks and tests). A decimal codec
// falls back to kGorilla when no value is a short decimal; kConst requires identical values.
void encode_value_column_as(ValueCodec codec, std::span<const uint64_t> bits, std::string* out);

// Decodes a column of bits.size() values starting at p. Returns the position after the column,
// or nullptr when the bytes are truncated or malformed.
const char* decode_value_column(const char* p, const char* end, std::span<uint64_t> bits);

// Decodes only the first bits.size() values of a column of n values starting at p (a reader
// that needs a prefix, e.g. up to a query's end time). False when bits.size() > n or the bytes
// read are truncated or malformed; bytes past the prefix are not checked.
bool decode_value_column_prefix(const char* p, const char* end, size_t n, std::span<uint64_t> bits);

}  // namespace opsight::storage::tsdb::internal
