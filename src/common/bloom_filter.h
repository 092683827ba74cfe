#pragma once
// A Bloom filter over 64-bit key hashes (Bloom, "Space/Time Trade-offs in Hash Coding with
// Allowable Errors", CACM 1970), probing k bits by double hashing (Kirsch & Mitzenmacher, "Less
// Hashing, Same Performance: Building a Better Bloom Filter", 2006). Callers hash their keys
// (e.g. xxhash64); the filter remixes the hash, so any well-distributed 64-bit hash works.
//
// Serialised form: varint64 num_bits (a multiple of 64), one byte k (1..16), num_bits / 8 bytes
// of bits (bit b is byte b / 8, mask 1 << b % 8). An empty string is "no filter" (every key may
// be present). Used by the trace store's block filters (docs/format/tracestore.md).
//
// Thread safety: a builder is used by one thread; a parsed BloomFilter is immutable and safe to
// query concurrently.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace opsight {

class BloomFilterBuilder {
 public:
  void add(uint64_t hash) { hashes_.push_back(hash); }
  size_t size() const { return hashes_.size(); }
  // About `bits_per_key` bits per distinct key (false-positive rate ~1% at 10); "" when no key
  // was added or bits_per_key <= 0.
  std::string build(int bits_per_key);

 private:
  std::vector<uint64_t> hashes_;
};

class BloomFilter {
 public:
  // Corruption on a malformed filter; an empty input is "no filter".
  static Result<BloomFilter> parse(std::string_view data);
  // False only when the key with this hash was never added.
  bool may_contain(uint64_t hash) const;
  bool empty() const { return num_bits_ == 0; }
  size_t memory_bytes() const { return bits_.size(); }

 private:
  std::string bits_;
  uint64_t num_bits_ = 0;
  int k_ = 0;
};

}  // namespace opsight
