// ChaCha20 from RFC 8439 sections 2.1 (quarter round), 2.3 (block function) and 2.4
// (encryption).
#include "auth/chacha20.h"

#include <cassert>

namespace opsight::auth {
namespace {

inline uint32_t rotl(uint32_t x, int n) {
  return (x << n) | (x >> (32 - n));
}

inline void quarter_round(uint32_t* s, int a, int b, int c, int d) {
  s[a] += s[b];
  s[d] ^= s[a];
  s[d] = rotl(s[d], 16);
  s[c] += s[d];
  s[b] ^= s[c];
  s[b] = rotl(s[b], 12);
  s[a] += s[b];
  s[d] ^= s[a];
  s[d] = rotl(s[d], 8);
  s[c] += s[d];
  s[b] ^= s[c];
  s[b] = rotl(s[b], 7);
}

inline uint32_t load_le32(const char* p) {
  const auto* u = reinterpret_cast<const uint8_t*>(p);
  return uint32_t{u[0]} | (uint32_t{u[1]} << 8) | (uint32_t{u[2]} << 16) | (uint32_t{u[3]} << 24);
}

}  // namespace

std::array<uint8_t, 64> chacha20_block(std::string_view key, std::string_view nonce,
                                       uint32_t counter) {
  assert(key.size() == kChaCha20KeyBytes && nonce.size() == kChaCha20NonceBytes);
  // Section 2.3: constants "expand 32-byte k", the key, the counter, the nonce.
  uint32_t state[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
  for (int i = 0; i < 8; ++i) state[4 + i] = load_le32(key.data() + 4 * i);
  state[12] = counter;
  for (int i = 0; i < 3; ++i) state[13 + i] = load_le32(nonce.data() + 4 * i);
  uint32_t w[16];
  for (int i = 0; i < 16; ++i) w[i] = state[i];
  for (int round = 0; round < 10; ++round) {  // 20 rounds: 10 column + 10 diagonal
    quarter_round(w, 0, 4, 8, 12);
    quarter_round(w, 1, 5, 9, 13);
    quarter_round(w, 2, 6, 10, 14);
    quarter_round(w, 3, 7, 11, 15);
    quarter_round(w, 0, 5, 10, 15);
    quarter_round(w, 1, 6, 11, 12);
    quarter_round(w, 2, 7, 8, 13);
    quarter_round(w, 3, 4, 9, 14);
  }
  std::array<uint8_t, 64> out;
  for (int i = 0; i < 16; ++i) {
    const uint32_t v = w[i] + state[i];
    out[4 * i] = static_cast<uint8_t>(v);
    out[4 * i + 1] = static_cast<uint8_t>(v >> 8);
    out[4 * i + 2] = static_cast<uint8_t>(v >> 16);
    out[4 * i + 3] = static_cast<uint8_t>(v >> 24);
  }
  return out;
}

std::string chacha20_xor(std::string_view key, std::string_view nonce, uint32_t counter,
                         std::string_view data) {
  std::string out(data);
  for (size_t off = 0; off < out.size(); off += 64, ++counter) {
    const std::array<uint8_t, 64> ks = chacha20_block(key, nonce, counter);
    for (size_t i = 0; i < 64 && off + i < out.size(); ++i) {
      out[off + i] = static_cast<char>(static_cast<uint8_t>(out[off + i]) ^ ks[i]);
    }
  }
  return out;
}

}  // namespace opsight::auth
