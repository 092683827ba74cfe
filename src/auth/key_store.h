#pragma once
// Access keys: each key id belongs to an account (12 digits), has a status (Active/Inactive), a
// created time, an optional description and a secret. Keys are not per tenant: they live in the
// meta store (storage/meta/meta_store.h) under the reserved tenant kKeyTenant, kind
// "access-key", name = key id, so the server and `opsight keys` (a separate process opening the
// same <data>/meta.db; SQLite WAL lets both share it) see the same keys.
//
// Secrets at rest: encrypt-then-MAC. Two 32-byte keys are derived from the master key
// (<data>/auth.key, 32 random bytes, mode 0600) with HMAC-SHA256 under distinct labels. The
// secret is encrypted with ChaCha20 (RFC 8439) under a fresh random 96-bit nonce, and
// HMAC-SHA256 (RFC 2104) covers a version tag, the key id, the account, the nonce and the
// ciphertext, so a record whose ciphertext, nonce or account was altered, or that was copied
// under another key id, is refused (Corruption) instead of being decrypted. The stored document
// is {"v":1,"account","status","description","created_ms","nonce","ciphertext","mac"} (hex).
// Secrets are returned only by create() (once, to show the user) and lookup() (to verify a
// signature); they are never listed or logged.
//
// Cache: lookup() keeps an active key's (account, secret) for kKeyCacheTtlMs (5 s). A key
// revoked through this KeyStore stops working at once; a key revoked by another process (the
// `opsight keys revoke` CLI against a running server) keeps working for at most kKeyCacheTtlMs.
// Unknown and inactive keys are not cached, so a new key works at once.
//
// Thread safety: KeyStore is thread-safe (the MetaStore is; the cache has its own mutex).

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/sigv4.h"
#include "common/clock.h"
#include "common/status.h"
#include "storage/meta/meta_store.h"

namespace opsight::auth {

inline constexpr std::string_view kAccessKeyKind = "access-key";
// The reserved tenant of access keys: not a valid account id, so no request can act for it.
inline const storage::Tenant kKeyTenant{"_system", "_system"};
inline constexpr int64_t kKeyCacheTtlMs = 5'000;
inline constexpr size_t kMaxKeyCacheEntries = 10'000;
inline constexpr size_t kMaxKeyDescriptionBytes = 256;
inline constexpr size_t kMasterKeyBytes = 32;
inline constexpr std::string_view kMasterKeyFileName = "auth.key";

enum class KeyStatus { kActive, kInactive };
std::string_view key_status_name(KeyStatus s);  // "Active" / "Inactive"

// What list() shows: never the secret.
struct AccessKeyInfo {
  std::string key_id;
  std::string account;
  KeyStatus status = KeyStatus::kActive;
  int64_t created_ms = 0;
  std::string description;
};

struct CreatedKey {
  AccessKeyInfo info;
  std::string secret;  // shown to the user once
};

// Reads <path> (exactly kMasterKeyBytes) or, when it does not exist, creates it with mode 0600
// from /dev/urandom. Concurrent creators (server and CLI) agree on one file: it is written to a
// temporary name and linked into place. Refuses a key file of the wrong size.
Result<std::string> load_or_create_master_key(const std::string& path);

class KeyStore {
 public:
  // `meta` and `clock` must outlive the store; `master_key` is kMasterKeyBytes bytes.
  static Result<std::unique_ptr<KeyStore>> open(storage::meta::MetaStore* meta,
                                                std::string_view master_key, Clock* clock,
                                                int64_t cache_ttl_ms = kKeyCacheTtlMs);

  // A new Active key for `account` (12 digits); description at most kMaxKeyDescriptionBytes.
  Result<CreatedKey> create(std::string_view account, std::string_view description);
  // Every key, or those of `account`, by key id. No secrets.
  Result<std::vector<AccessKeyInfo>> list(std::optional<std::string_view> account = {});
  // Sets a key Inactive (revoke) or Active again; NotFound naming the key when absent.
  Status set_status(std::string_view key_id, KeyStatus status);
  // Deletes a key for good; NotFound when absent.
  Status remove(std::string_view key_id);

  // (account, secret) of an Active key; NotFound for an unknown or Inactive key (the message
  // does not say which); Corruption when the stored record fails its integrity check.
  Result<ResolvedKey> lookup(std::string_view key_id);
  // lookup() as a KeyResolver for verify_sigv4().
  KeyResolver resolver();

 private:
  KeyStore(storage::meta::MetaStore* meta, std::string enc_key, std::string mac_key, Clock* clock,
           int64_t cache_ttl_ms);
  void forget(std::string_view key_id);

  storage::meta::MetaStore* const meta_;
  const std::string enc_key_;
  const std::string mac_key_;
  Clock* const clock_;
  const int64_t cache_ttl_ms_;

  struct CacheEntry {
    ResolvedKey key;
    int64_t expires_ms = 0;
  };
  std::mutex mu_;
  std::unordered_map<std::string, CacheEntry> cache_;  // guarded by mu_
};

}  // namespace opsight::auth
