#pragma once
// Gorilla value and timestamp coding on a bit stream (Pelkonen et al., "Gorilla: A Fast,
// Scalable, In-Memory Time Series Database", VLDB 2015, section 4.1), shared by the head chunk
// (chunk.cc) and the XOR value column of the block series encoding (chunk_values.cc).
//
// Values (4.1.2): each value is XORed with the previous one's bits.
//   '0'                                  XOR == 0 (same value)
//   '10' + meaningful bits               XOR fits the previous window (leading >= previous
//                                        leading, trailing >= previous trailing)
//   '11' + 5 bits leading zeros (capped at 31) + 6 bits meaningful length (64 written as 0)
//        + meaningful bits               a new window
// Timestamps (4.1.1) with millisecond buckets (Gorilla used seconds; like Prometheus we widen):
//   '0' dod == 0 | '10' + 7 bits | '110' + 14 bits | '1110' + 20 bits | '1111' + 64 bits,
//   two's complement; all arithmetic wraps modulo 2^64 so any int64 sequence round-trips.

#include <bit>
#include <cstdint>

#include "storage/tsdb/bit_stream.h"

namespace opsight::storage::tsdb {

struct XorState {
  uint64_t prev = 0;
  uint8_t leading = 0xff;  // 0xff: no window yet
  uint8_t trailing = 0;
};

inline void xor_write(BitWriter& w, XorState& s, uint64_t bits) {
  uint64_t x = bits ^ s.prev;
  s.prev = bits;
  if (x == 0) {
    w.write_bit(false);
    return;
  }
  int lz = std::countl_zero(x);
  int tz = std::countr_zero(x);
  if (lz > 31) lz = 31;
  if (s.leading != 0xff && lz >= s.leading && tz >= s.trailing) {
    w.write_bits(0b10, 2);
    w.write_bits(x >> s.trailing, 64 - s.leading - s.trailing);
    return;
  }
  int sig = 64 - lz - tz;
  w.write_bits(0b11, 2);
  w.write_bits(static_cast<uint64_t>(lz), 5);
  w.write_bits(static_cast<uint64_t>(sig & 63), 6);
  w.write_bits(x >> tz, sig);
  s.leading = static_cast<uint8_t>(lz);
  s.trailing = static_cast<uint8_t>(tz);
}

// False on truncated or malformed input.
inline bool xor_read(BitReader& r, XorState& s, uint64_t* bits) {
  bool b;
  if (!r.read_bit(&b)) return false;
  if (!b) {
    *bits = s.prev;
    return true;
  }
  if (!r.read_bit(&b)) return false;
  uint64_t v;
  if (!b) {
    if (s.leading == 0xff) return false;  // window reuse before any window
    int sig = 64 - s.leading - s.trailing;
    if (!r.read_bits(sig, &v)) return false;
    s.prev ^= v << s.trailing;
  } else {
    uint64_t lz, sig;
    if (!r.read_bits(5, &lz) || !r.read_bits(6, &sig)) return false;
    if (sig == 0) sig = 64;
    if (lz + sig > 64) return false;
    uint64_t tz = 64 - lz - sig;
    if (!r.read_bits(static_cast<int>(sig), &v)) return false;
    s.prev ^= tz == 64 ? 0 : v << tz;
    s.leading = static_cast<uint8_t>(lz);
    s.trailing = static_cast<uint8_t>(tz);
  }
  *bits = s.prev;
  return true;
}

namespace dod_detail {
inline bool fits(int64_t v, int nbits) {
  int64_t lim = int64_t{1} << (nbits - 1);
  return v >= -lim && v < lim;
}
inline int64_t sign_extend(uint64_t v, int nbits) {
  uint64_t m = uint64_t{1} << (nbits - 1);
  return static_cast<int64_t>((v ^ m) - m);
}
}  // namespace dod_detail

inline void dod_write(BitWriter& w, uint64_t dod_bits) {
  auto dod = static_cast<int64_t>(dod_bits);
  if (dod == 0) {
    w.write_bit(false);
  } else if (dod_detail::fits(dod, 7)) {
    w.write_bits(0b10, 2);
    w.write_bits(dod_bits, 7);
  } else if (dod_detail::fits(dod, 14)) {
    w.write_bits(0b110, 3);
    w.write_bits(dod_bits, 14);
  } else if (dod_detail::fits(dod, 20)) {
    w.write_bits(0b1110, 4);
    w.write_bits(dod_bits, 20);
  } else {
    w.write_bits(0b1111, 4);
    w.write_bits(dod_bits, 64);
  }
}

inline bool dod_read(BitReader& r, uint64_t* dod_bits) {
  int ones = 0;
  bool b = true;
  while (ones < 4) {
    if (!r.read_bit(&b)) return false;
    if (!b) break;
    ++ones;
  }
  static constexpr int kWidth[] = {0, 7, 14, 20, 64};
  int nbits = kWidth[ones];
  if (nbits == 0) {
    *dod_bits = 0;
    return true;
  }
  uint64_t v;
  if (!r.read_bits(nbits, &v)) return false;
  *dod_bits = nbits == 64 ? v : static_cast<uint64_t>(dod_detail::sign_extend(v, nbits));
  return true;
}

}  // namespace opsight::storage::tsdb
