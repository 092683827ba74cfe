#include "storage/wal/segment_format.h"

#include <cstring>

#include "common/coding.h"
#include "common/crc32c.h"

namespace opsight::storage::wal {

std::string segment_file_name(uint64_t segment) {
  std::string digits = std::to_string(segment);
  if (digits.size() < 8) digits.insert(0, 8 - digits.size(), '0');
  return digits + ".wal";
}

std::optional<uint64_t> parse_segment_file_name(std::string_view name) {
  constexpr std::string_view kSuffix = ".wal";
  if (name.size() < 8 + kSuffix.size() || !name.ends_with(kSuffix)) return std::nullopt;
  std::string_view digits = name.substr(0, name.size() - kSuffix.size());
  if (digits.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;  // overflow
    v = v * 10 + d;
  }
  if (segment_file_name(v) != name) return std::nullopt;  // non-canonical padding
  return v;
}

std::string encode_segment_header(const SegmentHeader& header) {
  std::string out;
  out.reserve(kSegmentHeaderSize);
  out.append(kSegmentMagic);
  char version[2] = {static_cast<char>(kFormatVersion & 0xff),
                     static_cast<char>(kFormatVersion >> 8)};
  out.append(version, 2);
  put_fixed64(out, header.segment);
  put_fixed64(out, header.first_lsn);
  put_fixed32(out, 0);  // flags
  put_fixed32(out, crc32c::mask(crc32c::value(out)));
  return out;
}

HeaderCheck decode_segment_header(std::string_view data, SegmentHeader* out, std::string* detail) {
  if (data.size() < kSegmentHeaderSize) {
    *detail = "segment header is " + std::to_string(data.size()) + " bytes, needs " +
              std::to_string(kSegmentHeaderSize);
    return HeaderCheck::kTorn;
  }
  uint32_t stored = crc32c::unmask(decode_fixed32(data.data() + 28));
  if (crc32c::extend(0, data.data(), 28) != stored) {
    *detail = "segment header checksum mismatch";
    return HeaderCheck::kTorn;
  }
  if (data.substr(0, kSegmentMagic.size()) != kSegmentMagic) {
    *detail = "not a WAL segment (bad magic)";
    return HeaderCheck::kUnsupported;
  }
  uint16_t version = static_cast<uint16_t>(static_cast<unsigned char>(data[6]) |
                                           (static_cast<unsigned char>(data[7]) << 8));
  if (version != kFormatVersion) {
    *detail = "unsupported WAL format version " + std::to_string(version);
    return HeaderCheck::kUnsupported;
  }
  uint32_t flags = decode_fixed32(data.data() + 24);
  if (flags != 0) {
    *detail = "unsupported segment flags " + std::to_string(flags);
    return HeaderCheck::kUnsupported;
  }
  out->segment = decode_fixed64(data.data() + 8);
  out->first_lsn = decode_fixed64(data.data() + 16);
  return HeaderCheck::kOk;
}

void encode_record_header(std::string_view payload, char* out) {
  uint32_t len = static_cast<uint32_t>(payload.size());
  std::memcpy(out + 4, &len, 4);  // little-endian hosts only (as common/coding.h)
  out[8] = static_cast<char>(kRecordFull);
  uint32_t crc = crc32c::extend(0, out + 4, 5);
  crc = crc32c::extend(crc, payload.data(), payload.size());
  uint32_t masked = crc32c::mask(crc);
  std::memcpy(out, &masked, 4);
}

}  // namespace opsight::storage::wal
