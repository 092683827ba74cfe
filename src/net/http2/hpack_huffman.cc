#include "net/http2/hpack_huffman.h"

#include <algorithm>
#include <array>

namespace opsight::http2 {
namespace {

constexpr int kSymbols = 257;  // 256 octets + EOS
constexpr int kMaxLen = 30;

// Code length of every symbol, transcribed from RFC 7541 Appendix B ("len" column).
constexpr std::array<uint8_t, kSymbols> kLengths = {
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,  // 0-15
    28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,  // 16-31
    6,  10, 10, 12, 13, 6,  8,  11, 10, 10, 8,  11, 8,  6,  6,  6,   // 32-47
    5,  5,  5,  6,  6,  6,  6,  6,  6,  6,  7,  8,  15, 6,  12, 10,  // 48-63
    13, 6,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,   // 64-79
    7,  7,  7,  7,  7,  7,  7,  7,  8,  7,  8,  13, 19, 13, 14, 6,   // 80-95
    15, 5,  6,  5,  6,  5,  6,  6,  6,  5,  7,  7,  6,  6,  6,  5,   // 96-111
    6,  7,  6,  5,  5,  6,  7,  7,  7,  7,  7,  15, 11, 14, 13, 28,  // 112-127
    20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,  // 128-143
    24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,  // 144-159
    22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,  // 160-175
    21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,  // 176-191
    26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,  // 192-207
    19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,  // 208-223
    20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,  // 224-239
    26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,  // 240-255
    30,                                                              // EOS
};

// Canonical code tables: codes[s]; and per length the first code, the count and the offset of
// its first symbol in `sorted` (symbols ordered by (length, symbol)).
struct Tables {
  std::array<uint32_t, kSymbols> codes{};
  std::array<uint32_t, kMaxLen + 1> first{};
  std::array<uint32_t, kMaxLen + 1> count{};
  std::array<uint32_t, kMaxLen + 1> offset{};
  std::array<uint16_t, kSymbols> sorted{};

  Tables() {
    for (int s = 0; s < kSymbols; s++) count[kLengths[s]]++;
    uint32_t code = 0;
    uint32_t pos = 0;
    for (int len = 1; len <= kMaxLen; len++) {
      code <<= 1;
      first[len] = code;
      offset[len] = pos;
      uint32_t next = code;
      for (int s = 0; s < kSymbols; s++) {
        if (kLengths[s] != len) continue;
        codes[s] = next++;
        sorted[pos++] = static_cast<uint16_t>(s);
      }
      code = next;
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

int huffman_code_length(int symbol) {
  return kLengths[static_cast<size_t>(symbol)];
}
uint32_t huffman_code(int symbol) {
  return tables().codes[static_cast<size_t>(symbol)];
}

size_t huffman_encoded_size(std::string_view s) {
  uint64_t bits = 0;
  for (unsigned char c : s) bits += kLengths[c];
  return static_cast<size_t>((bits + 7) / 8);
}

void huffman_encode(std::string_view s, std::string* out) {
  const Tables& t = tables();
  uint64_t acc = 0;  // pending bits, right-aligned
  int n = 0;         // number of pending bits (< 8 between symbols)
  for (unsigned char c : s) {
    acc = (acc << kLengths[c]) | t.codes[c];
    n += kLengths[c];
    while (n >= 8) {
      n -= 8;
      out->push_back(static_cast<char>((acc >> n) & 0xff));
    }
  }
  if (n > 0) {
    // Pad with the high bits of EOS (all ones).
    acc = (acc << (8 - n)) | ((1u << (8 - n)) - 1);
    out->push_back(static_cast<char>(acc & 0xff));
  }
}

Status huffman_decode(std::string_view in, std::string* out) {
  const Tables& t = tables();
  uint32_t code = 0;
  int len = 0;
  bool all_ones = true;  // the bits of the current partial code are all ones
  for (unsigned char byte : in) {
    for (int b = 7; b >= 0; b--) {
      const uint32_t bit = (byte >> b) & 1u;
      code = (code << 1) | bit;
      len++;
      all_ones = all_ones && bit == 1;
      if (len > kMaxLen) return Status::invalid_argument("hpack: invalid Huffman code");
      if (t.count[len] != 0 && code - t.first[len] < t.count[len]) {
        const int sym = t.sorted[t.offset[len] + (code - t.first[len])];
        if (sym == 256) return Status::invalid_argument("hpack: EOS inside a Huffman string");
        out->push_back(static_cast<char>(sym));
        code = 0;
        len = 0;
        all_ones = true;
      }
    }
  }
  // RFC 7541 §5.2: padding is at most 7 bits, all ones (a prefix of EOS).
  if (len > 7) return Status::invalid_argument("hpack: Huffman padding longer than 7 bits");
  if (!all_ones) return Status::invalid_argument("hpack: Huffman padding is not EOS");
  return OkStatus();
}

}  // namespace opsight::http2
