#pragma once
// The shape of access keys and account ids (IAM: access key ids are 16..128 characters of
// [A-Z0-9]; AWS account ids are 12 digits). opsight issues key ids of 20 characters starting
// "AKIA" (like IAM's long-term keys) and 40-character secrets over [A-Za-z0-9+/], drawn from the
// system's random source.
//
// Thread safety: pure functions.

#include <string>
#include <string_view>

#include "common/status.h"

namespace opsight::auth {

inline constexpr size_t kAccessKeyIdLength = 20;
inline constexpr size_t kSecretKeyLength = 40;

// InvalidArgument naming the rule unless `account` is 12 ASCII digits.
Status validate_account_id(std::string_view account);
// InvalidArgument unless `key_id` is 16..128 characters of [A-Z0-9].
Status validate_access_key_id(std::string_view key_id);

// `n` bytes from /dev/urandom.
Result<std::string> random_bytes(size_t n);

// A new key id ("AKIA" + 16 of [A-Z2-7]) and secret, from /dev/urandom.
Result<std::string> new_access_key_id();
Result<std::string> new_secret_key();

}  // namespace opsight::auth
