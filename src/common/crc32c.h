#pragma once
// CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected), as used by iSCSI (RFC 3720 B.4)
// and by the WAL and block formats. Slicing-by-8 software implementation.

#include <cstdint>
#include <string_view>

namespace opsight::crc32c {

// Extends `crc` (initially 0) with `data`.
uint32_t extend(uint32_t crc, const char* data, size_t n);
inline uint32_t value(std::string_view data) {
  return extend(0, data.data(), data.size());
}

// A CRC stored next to the data it covers is masked so that a CRC of data that itself
// contains CRCs stays well distributed (the LevelDB convention).
inline uint32_t mask(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}
inline uint32_t unmask(uint32_t m) {
  uint32_t rot = m - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

}  // namespace opsight::crc32c
