#include "auth/access_key.h"

#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <vector>

namespace opsight::auth {

Result<std::string> random_bytes(size_t n) {
  std::string out(n, '\0');
  FILE* f = std::fopen("/dev/urandom", "rb");
  if (f == nullptr) return Status::io_error("cannot open /dev/urandom");
  const size_t got = std::fread(out.data(), 1, n, f);
  std::fclose(f);
  if (got != n) return Status::io_error("short read from /dev/urandom");
  return out;
}

namespace {

// Maps random bytes onto `alphabet` (its size divides 256, so every character is equally likely).
Result<std::string> random_string(size_t n, std::string_view alphabet) {
  ASSIGN_OR_RETURN(auto bytes, random_bytes(n));
  std::string s(n, ' ');
  for (size_t i = 0; i < n; ++i) s[i] = alphabet[static_cast<uint8_t>(bytes[i]) % alphabet.size()];
  return s;
}

}  // namespace

Status validate_account_id(std::string_view account) {
  if (account.size() != 12) {
    return Status::invalid_argument(
        fmt::format("account id \"{}\" must be exactly 12 digits", account));
  }
  for (char c : account) {
    if (c < '0' || c > '9') {
      return Status::invalid_argument(
          fmt::format("account id \"{}\" must be exactly 12 digits", account));
    }
  }
  return Status();
}

Status validate_access_key_id(std::string_view key_id) {
  if (key_id.size() < 16 || key_id.size() > 128) {
    return Status::invalid_argument("access key id must be 16 to 128 characters");
  }
  for (char c : key_id) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
      return Status::invalid_argument("access key id must be upper-case letters and digits");
    }
  }
  return Status();
}

Result<std::string> new_access_key_id() {
  // Base32's alphabet has 32 characters, so bytes map onto it without bias.
  ASSIGN_OR_RETURN(auto tail,
                   random_string(kAccessKeyIdLength - 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"));
  return "AKIA" + tail;
}

Result<std::string> new_secret_key() {
  return random_string(kSecretKeyLength,
                       "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
}

}  // namespace opsight::auth
