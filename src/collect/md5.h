#pragma once
// MD5 (RFC 1321), written from the RFC. Used only where a peer's behaviour is defined by it
// (Prometheus's hashmod relabel action); never for security.

#include <array>
#include <cstdint>
#include <string_view>

namespace opsight::collect {

// The 16-byte MD5 digest of `data`.
std::array<uint8_t, 16> md5(std::string_view data);

}  // namespace opsight::collect
