#pragma once
// The ChaCha20 stream cipher as specified in RFC 8439 ("ChaCha20 and Poly1305 for IETF
// Protocols", section 2.4): 256-bit key, 96-bit nonce, 32-bit block counter. Used only to
// encrypt access-key secrets at rest (auth/key_store.h), where it is paired with HMAC-SHA256
// (encrypt-then-MAC) for integrity; ChaCha20 alone does not authenticate.
//
// Thread safety: pure function.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace opsight::auth {

inline constexpr size_t kChaCha20KeyBytes = 32;
inline constexpr size_t kChaCha20NonceBytes = 12;

// XORs `data` with the keystream starting at block `counter` (RFC 8439 section 2.4.1); the
// same call decrypts. `key` must be 32 bytes and `nonce` 12 bytes (checked by the caller).
std::string chacha20_xor(std::string_view key, std::string_view nonce, uint32_t counter,
                         std::string_view data);

// One 64-byte keystream block (RFC 8439 section 2.3), for tests.
std::array<uint8_t, 64> chacha20_block(std::string_view key, std::string_view nonce,
                                       uint32_t counter);

}  // namespace opsight::auth
