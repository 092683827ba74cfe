#pragma once
// SHA-256 (FIPS 180-4, "Secure Hash Standard", section 6.2) with an incremental interface, and
// HMAC-SHA256 (RFC 2104, "HMAC: Keyed-Hashing for Message Authentication", with B = 64 and
// L = 32). Used by SigV4 verification and the access-key store; not a general crypto library.
//
// Thread safety: a Sha256 object is not thread-safe; the free functions are pure.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace opsight {

inline constexpr size_t kSha256DigestBytes = 32;
inline constexpr size_t kSha256BlockBytes = 64;
using Sha256Digest = std::array<uint8_t, kSha256DigestBytes>;

class Sha256 {
 public:
  Sha256();
  // Adds bytes to the message. May be called any number of times before finish().
  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Pads, returns the digest and resets the object to the empty message.
  Sha256Digest finish();

 private:
  void compress(const uint8_t* block);
  void reset();

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, kSha256BlockBytes> buffer_;
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

Sha256Digest sha256(std::string_view data);
// Lower-case hex of SHA-256(data) (SigV4's "HexEncode(Hash(...))").
std::string sha256_hex(std::string_view data);

// HMAC-SHA256(key, message) per RFC 2104; keys longer than the block size are hashed first.
Sha256Digest hmac_sha256(std::string_view key, std::string_view message);

// The digest's bytes as a string (for chaining HMAC keys, e.g. the SigV4 signing key).
inline std::string digest_bytes(const Sha256Digest& d) {
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

// True when a and b are equal, in time that depends only on their lengths (not on where they
// first differ): for comparing signatures and MACs.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace opsight
