#pragma once
// On-disk layout of a WAL segment file; the byte-by-byte specification is docs/format/wal.md.
//
//   segment = segment_header record*
//   segment_header (32 bytes) = magic "OPSWAL" | version u16 | segment u64 | first_lsn u64 |
//                               flags u32 | masked crc32c(bytes 0..27) u32
//   record = masked crc32c(length | type | payload) u32 | length u32 | type u8 | payload
//
// All integers are little-endian. The CRC is CRC-32C (RFC 3720 B.4) masked as in LevelDB's log
// format (common/crc32c.h). A zero-length file is a valid, empty segment.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace opsight::storage::wal {

inline constexpr std::string_view kSegmentMagic = "OPSWAL";
inline constexpr uint16_t kFormatVersion = 1;
inline constexpr size_t kSegmentHeaderSize = 32;
inline constexpr size_t kRecordHeaderSize = 9;
// Record types (byte 8 of a record). Every other value is invalid.
inline constexpr uint8_t kRecordFull = 1;
// The length field is 32 bits.
inline constexpr uint64_t kMaxRecordPayload = 0xffffffffull;

struct SegmentHeader {
  uint64_t segment = 0;
  uint64_t first_lsn = 0;  // LSN of the first record of the segment
};

// "00000042.wal": the number zero-padded to at least 8 decimal digits.
std::string segment_file_name(uint64_t segment);
// The number of a canonical segment file name, or nullopt for any other name (including
// non-canonical padding such as "000000042.wal", which could alias another segment).
std::optional<uint64_t> parse_segment_file_name(std::string_view name);

std::string encode_segment_header(const SegmentHeader& header);

enum class HeaderCheck {
  kOk,
  kTorn,         // too short or bad CRC: a torn/corrupt write (truncatable in the last segment)
  kUnsupported,  // CRC is good but magic/version/flags are not ours: never truncated
};
// Checks the 32 bytes at `data` (data.size() may be shorter: kTorn). On kTorn/kUnsupported,
// *detail says why.
HeaderCheck decode_segment_header(std::string_view data, SegmentHeader* out, std::string* detail);

// Writes the 9-byte record header for `payload` into out[0..8].
// Precondition: payload.size() <= kMaxRecordPayload.
void encode_record_header(std::string_view payload, char* out);

}  // namespace opsight::storage::wal
