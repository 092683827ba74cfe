#pragma once
// Interns token texts as dense ids (open addressing, linear probing, power-of-two capacity).
// Texts are string_views into the caller's input: the input must outlive the interner.
// Id 0 is reserved (the miner uses it for "variable"); interned ids start at 1.
//
// Thread safety: none; one interner per mining call.

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace opsight::query::patterns {

// A fast 64-bit hash for short tokens (8-byte words, multiply-xorshift mixing as in
// SplitMix64's finalizer). Not for persistence: pattern ids use xxHash64.
inline uint64_t token_hash(std::string_view s) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ s.size();
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    h = (h ^ v) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t v = 0;
    std::memcpy(&v, p, n);
    h = (h ^ v) * 0x94d049bb133111ebULL;
  }
  h ^= h >> 31;
  return h * 0xbf58476d1ce4e5b9ULL ^ (h >> 32);
}

class TokenInterner {
 public:
  TokenInterner();

  // Returns the id of `text`, adding it if new. The interner keeps the view: `text` must
  // outlive the interner.
  uint32_t intern(std::string_view text);

  std::string_view text(uint32_t id) const { return texts_[id]; }
  // Number of ids handed out plus one (ids are in [1, id_limit())).
  uint32_t id_limit() const { return static_cast<uint32_t>(texts_.size()); }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t id = 0;  // 0: empty
  };
  void grow();

  std::vector<Slot> slots_;
  std::vector<std::string_view> texts_;  // by id; texts_[0] is unused
  uint64_t mask_;
};

}  // namespace opsight::query::patterns
