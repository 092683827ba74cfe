#include "common/bloom_filter.h"

#include <algorithm>

#include "common/coding.h"

namespace opsight {
namespace {

constexpr int kMaxHashes = 16;
constexpr uint64_t kMaxFilterBits = 1ull << 32;

// SplitMix64's finaliser (Steele, Lea, Flood, "Fast Splittable Pseudorandom Number Generators",
// OOPSLA 2014), so weak caller hashes still spread over the bits.
inline uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

std::string BloomFilterBuilder::build(int bits_per_key) {
  if (hashes_.empty() || bits_per_key <= 0) return {};
  std::sort(hashes_.begin(), hashes_.end());
  hashes_.erase(std::unique(hashes_.begin(), hashes_.end()), hashes_.end());
  uint64_t num_bits = std::max<uint64_t>(64, hashes_.size() * static_cast<uint64_t>(bits_per_key));
  num_bits = std::min(kMaxFilterBits, (num_bits + 63) / 64 * 64);
  // k = ln 2 * bits per key, the optimum for a Bloom filter.
  const int k = std::clamp(static_cast<int>(bits_per_key * 0.69), 1, kMaxHashes);
  std::string out;
  put_varint64(out, num_bits);
  out.push_back(static_cast<char>(k));
  const size_t header = out.size();
  out.resize(header + num_bits / 8, '\0');
  auto* bits = reinterpret_cast<uint8_t*>(out.data() + header);
  for (uint64_t key : hashes_) {
    const uint64_t h = mix(key);
    const uint64_t h1 = h & 0xffffffff, h2 = (h >> 32) | 1;
    for (int i = 0; i < k; i++) {
      const uint64_t b = (h1 + static_cast<uint64_t>(i) * h2) % num_bits;
      bits[b >> 3] |= static_cast<uint8_t>(1u << (b & 7));
    }
  }
  return out;
}

Result<BloomFilter> BloomFilter::parse(std::string_view data) {
  BloomFilter f;
  if (data.empty()) return f;
  const char* p = data.data();
  const char* end = p + data.size();
  uint64_t num_bits;
  p = get_varint64(p, end, &num_bits);
  if (p == nullptr || p == end) return Status::corruption("bloom filter: truncated header");
  const int k = static_cast<uint8_t>(*p++);
  if (num_bits == 0 || num_bits % 64 != 0 || num_bits > kMaxFilterBits || k < 1 || k > kMaxHashes) {
    return Status::corruption("bloom filter: bad parameters (bits " + std::to_string(num_bits) +
                              ", hashes " + std::to_string(k) + ")");
  }
  if (static_cast<uint64_t>(end - p) != num_bits / 8) {
    return Status::corruption("bloom filter: " + std::to_string(end - p) +
                              " bytes of bits, header says " + std::to_string(num_bits / 8));
  }
  f.bits_.assign(p, end);
  f.num_bits_ = num_bits;
  f.k_ = k;
  return f;
}

bool BloomFilter::may_contain(uint64_t key) const {
  if (num_bits_ == 0) return true;
  const uint64_t h = mix(key);
  const uint64_t h1 = h & 0xffffffff, h2 = (h >> 32) | 1;
  const auto* bits = reinterpret_cast<const uint8_t*>(bits_.data());
  for (int i = 0; i < k_; i++) {
    const uint64_t b = (h1 + static_cast<uint64_t>(i) * h2) % num_bits_;
    if ((bits[b >> 3] & (1u << (b & 7))) == 0) return false;
  }
  return true;
}

}  // namespace opsight
