#pragma once
// Monitoring-account links (CloudWatch cross-account observability: the Observability Access
// Manager's sink/link model, OAM API reference "CreateLink"/"CreateSink", reduced to pairs). A
// link (monitoring M, source S) lets requests acting for M read S's telemetry; S never sees M's,
// and an unlinked account sees only itself.
//
// Storage: one meta-store object per link under the reserved system tenant kLinkTenant
// {"_system","_system"} (the one auth/key_store.h uses; not a valid account, so no request can
// act for it), kind "account-link", name "<monitoring>/<source>", document
// {"monitoring":"M","source":"S"}. The server and `opsight accounts` (a separate process opening
// the same <data>/meta.db) share the links through SQLite.
//
// Cache: sources() keeps each monitoring account's list for `cache_ttl_ms` (kLinkCacheTtlMs by
// default). link/unlink through this object drop the entry at once; a change made by another
// process (the CLI against a running server) shows within cache_ttl_ms.
//
// Thread safety: thread-safe (the MetaStore is; the cache has its own mutex).

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "storage/meta/meta_store.h"

namespace opsight::resources {

inline constexpr std::string_view kAccountLinkKind = "account-link";
inline const storage::Tenant kLinkTenant{"_system", "_system"};
inline constexpr int64_t kLinkCacheTtlMs = 5'000;

// True for an AWS account id: exactly 12 ASCII digits.
bool is_account_id(std::string_view s);

class AccountLinks {
 public:
  // `meta` (and `clock`, when given) must outlive this object. cache_ttl_ms 0 disables the cache.
  explicit AccountLinks(storage::meta::MetaStore* meta, Clock* clock = nullptr,
                        int64_t cache_ttl_ms = kLinkCacheTtlMs);

  // Links `source` to `monitoring`. Both must be 12-digit account ids and differ
  // (InvalidArgument naming the item otherwise); AlreadyExists if already linked.
  Status link(std::string_view monitoring, std::string_view source);
  // NotFound if not linked; InvalidArgument for a malformed account id.
  Status unlink(std::string_view monitoring, std::string_view source);
  // The source accounts linked to `monitoring`, sorted; empty for an account that is not a
  // monitoring account (or a malformed id).
  Result<std::vector<std::string>> sources(std::string_view monitoring);
  // Every link as (monitoring, source), sorted.
  Result<std::vector<std::pair<std::string, std::string>>> list();

 private:
  void forget(std::string_view monitoring);

  storage::meta::MetaStore* const meta_;
  Clock* const clock_;
  const int64_t cache_ttl_ms_;

  struct CacheEntry {
    std::vector<std::string> sources;
    int64_t expires_ms = 0;
  };
  std::mutex mu_;
  std::unordered_map<std::string, CacheEntry> cache_;  // guarded by mu_
};

}  // namespace opsight::resources
