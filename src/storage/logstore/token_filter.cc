#include "storage/logstore/token_filter.h"

#include <algorithm>

#include "common/coding.h"

namespace opsight::storage::logstore {
namespace {

constexpr uint64_t kTrigramSpace = 1ull << 24;
constexpr int kMaxHashes = 16;
constexpr uint64_t kMaxFilterBits = 1ull << 32;

constexpr uint8_t fold(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c;
}

// fold() as a table, for the per-byte loop of add_text.
struct FoldTable {
  uint8_t t[256];
  constexpr FoldTable() : t() {
    for (int c = 0; c < 256; c++) t[c] = fold(static_cast<uint8_t>(c));
  }
};
constexpr FoldTable kFold;

// SplitMix64's finaliser (Steele, Lea, Flood, "Fast Splittable Pseudorandom Number Generators",
// OOPSLA 2014): a cheap, well-mixed 64-bit hash of the 24-bit trigram.
inline uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

void TrigramSet::add_text(std::string_view text) {
  if (text.size() < 3) return;
  if (bits_.empty()) bits_.assign(kTrigramSpace / 64, 0);
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  uint64_t* bits = bits_.data();
  uint32_t t = (static_cast<uint32_t>(kFold.t[p[0]]) << 8) | kFold.t[p[1]];
  // Branch-free: set the bit; distinct() counts the set bits when asked.
  for (size_t i = 2; i < text.size(); i++) {
    t = ((t << 8) | kFold.t[p[i]]) & 0xffffff;
    bits[t >> 6] |= 1ull << (t & 63);
  }
  counted_ = false;
}

uint64_t TrigramSet::distinct() const {
  if (!counted_) {
    uint64_t n = 0;
    for (uint64_t w : bits_) n += static_cast<uint64_t>(__builtin_popcountll(w));
    distinct_ = n;
    counted_ = true;
  }
  return distinct_;
}

std::string TrigramSet::build_filter(int bits_per_trigram) const {
  const uint64_t distinct_trigrams = distinct();
  if (distinct_trigrams == 0 || bits_per_trigram <= 0) return {};
  uint64_t num_bits =
      std::max<uint64_t>(64, distinct_trigrams * static_cast<uint64_t>(bits_per_trigram));
  num_bits = std::min(kMaxFilterBits, (num_bits + 63) / 64 * 64);
  // k = ln 2 * bits per key, the optimum for a Bloom filter.
  int k = std::clamp(static_cast<int>(bits_per_trigram * 0.69), 1, kMaxHashes);
  std::string out;
  put_varint64(out, num_bits);
  out.push_back(static_cast<char>(k));
  const size_t header = out.size();
  out.resize(header + num_bits / 8, '\0');
  auto* bits = reinterpret_cast<uint8_t*>(out.data() + header);
  for (uint64_t w = 0; w < bits_.size(); w++) {
    uint64_t word = bits_[w];
    while (word != 0) {
      const uint64_t t = w * 64 + static_cast<uint64_t>(__builtin_ctzll(word));
      word &= word - 1;
      const uint64_t h = mix(t);
      const uint64_t h1 = h & 0xffffffff, h2 = (h >> 32) | 1;
      for (int i = 0; i < k; i++) {
        const uint64_t b = (h1 + static_cast<uint64_t>(i) * h2) % num_bits;
        bits[b >> 3] |= static_cast<uint8_t>(1u << (b & 7));
      }
    }
  }
  return out;
}

Result<TrigramFilter> TrigramFilter::parse(std::string_view data) {
  TrigramFilter f;
  if (data.empty()) return f;
  const char* p = data.data();
  const char* end = p + data.size();
  uint64_t num_bits;
  p = get_varint64(p, end, &num_bits);
  if (p == nullptr || p == end) return Status::corruption("token filter: truncated header");
  const int k = static_cast<uint8_t>(*p++);
  if (num_bits == 0 || num_bits % 64 != 0 || num_bits > kMaxFilterBits || k < 1 || k > kMaxHashes) {
    return Status::corruption("token filter: bad parameters (bits " + std::to_string(num_bits) +
                              ", hashes " + std::to_string(k) + ")");
  }
  if (static_cast<uint64_t>(end - p) != num_bits / 8) {
    return Status::corruption("token filter: " + std::to_string(end - p) +
                              " bytes of bits, header says " + std::to_string(num_bits / 8));
  }
  f.bits_.assign(p, end);
  f.num_bits_ = num_bits;
  f.k_ = k;
  return f;
}

bool TrigramFilter::test(uint32_t t) const {
  const uint64_t h = mix(t);
  const uint64_t h1 = h & 0xffffffff, h2 = (h >> 32) | 1;
  const auto* bits = reinterpret_cast<const uint8_t*>(bits_.data());
  for (int i = 0; i < k_; i++) {
    const uint64_t b = (h1 + static_cast<uint64_t>(i) * h2) % num_bits_;
    if ((bits[b >> 3] & (1u << (b & 7))) == 0) return false;
  }
  return true;
}

bool TrigramFilter::may_contain(std::span<const std::string> substrings) const {
  if (num_bits_ == 0) return true;
  for (const std::string& s : substrings) {
    const auto* p = reinterpret_cast<const uint8_t*>(s.data());
    for (size_t i = 2; i < s.size(); i++) {
      if (p[i - 2] >= 0x80 || p[i - 1] >= 0x80 || p[i] >= 0x80) continue;
      const uint32_t t = (static_cast<uint32_t>(fold(p[i - 2])) << 16) |
                         (static_cast<uint32_t>(fold(p[i - 1])) << 8) | fold(p[i]);
      if (!test(t)) return false;
    }
  }
  return true;
}

}  // namespace opsight::storage::logstore
