#pragma once
// The token filter of a log block: a Bloom filter (Bloom, "Space/Time Trade-offs in Hash Coding
// with Allowable Errors", CACM 1970; double hashing after Kirsch & Mitzenmacher, "Less Hashing,
// Same Performance", 2006) over the lowercase character trigrams of the block's messages. A scan
// for a case-insensitive substring of >= 3 bytes skips a block when one of the substring's
// trigrams is absent.
//
// Case folding is ASCII only (A-Z -> a-z). A query trigram that contains a byte >= 0x80 is not
// tested (it could match a differently-cased non-ASCII spelling), so the filter never skips a
// block that contains a match under any case folding that leaves ASCII bytes of UTF-8 alone.
// Byte layout: docs/format/logstore.md ("Token filter").
//
// Thread safety: TrigramSet is used by one thread; a parsed TrigramFilter is immutable and
// safe to query concurrently.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace opsight::storage::logstore {

// The distinct trigrams of a block's messages (a 2^24-bit set: 2 MiB, allocated on first use).
class TrigramSet {
 public:
  void add_text(std::string_view text);
  uint64_t distinct() const;
  // Serialises a Bloom filter of the set with about `bits_per_trigram` bits per distinct trigram
  // (false-positive rate ~1% at 10).
  std::string build_filter(int bits_per_trigram) const;

 private:
  std::vector<uint64_t> bits_;
  mutable uint64_t distinct_ = 0;  // valid when counted_
  mutable bool counted_ = true;
};

class TrigramFilter {
 public:
  // Corruption on a malformed filter. An empty input is "no filter" (may_contain is always true).
  static Result<TrigramFilter> parse(std::string_view data);
  // False only when some substring cannot occur in any message of the block. `substrings` are
  // matched case-insensitively; those shorter than 3 bytes are ignored.
  bool may_contain(std::span<const std::string> substrings) const;
  size_t memory_bytes() const { return bits_.size(); }

 private:
  bool test(uint32_t trigram) const;
  std::string bits_;  // num_bits / 8 bytes; empty = no filter
  uint64_t num_bits_ = 0;
  int k_ = 0;
};

}  // namespace opsight::storage::logstore
