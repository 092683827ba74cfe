#pragma once
// The configuration-object store (DESIGN.md "Configuration objects live in SQLite"): sampling
// rules, and later alarms, dashboards, SLOs, canaries and keys. An object is a JSON document
// keyed by (account, region, kind, name) with a version (1 on create, +1 on every replace) and
// created/updated times (Unix ms from the injected clock).
//
// Storage: one SQLite database (<data>/meta.db) in WAL mode with synchronous=FULL, so a put
// that returned ok survives a crash. Schema (user_version 1):
//   objects(account, region, kind, name, doc, version, created_ms, updated_ms,
//           PRIMARY KEY (account, region, kind, name)) WITHOUT ROWID
// The store does not interpret `doc`; callers validate their documents before put.
//
// Concurrency: MetaStore is thread-safe. One connection serialised by a mutex: configuration
// writes are rare and small, so there is no connection pool. Each put/remove is one
// transaction, so an expected-version check and its write are atomic.
//
// Limitations: kind and name are at most kMaxMetaKeyBytes, a document at most kMaxMetaDocBytes.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "storage/metric_store.h"  // Tenant

namespace opsight::storage::meta {

inline constexpr size_t kMaxMetaKeyBytes = 512;
inline constexpr size_t kMaxMetaDocBytes = 1 << 20;

struct MetaObject {
  Tenant tenant;
  std::string kind;
  std::string name;
  std::string doc;  // JSON text as given to put
  int64_t version = 0;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  bool operator==(const MetaObject&) const = default;
};

class MetaStore {
 public:
  // Opens (creating when absent) the database at `path`. `clock` must outlive the store.
  static Result<std::unique_ptr<MetaStore>> open(const std::string& path, Clock* clock);
  ~MetaStore();
  MetaStore(const MetaStore&) = delete;
  MetaStore& operator=(const MetaStore&) = delete;

  // Creates or replaces an object. `expected_version`: absent = unconditional; 0 = the object
  // must not exist (AlreadyExists otherwise); n > 0 = its current version must be n
  // (FailedPrecondition naming both versions otherwise; NotFound when it does not exist).
  // Returns the stored object (new version and times).
  Result<MetaObject> put(const Tenant& tenant, std::string_view kind, std::string_view name,
                         std::string_view doc, std::optional<int64_t> expected_version = {});
  // NotFound when absent.
  Result<MetaObject> get(const Tenant& tenant, std::string_view kind, std::string_view name);
  // Every object of a kind for the tenant, by name.
  Result<std::vector<MetaObject>> list(const Tenant& tenant, std::string_view kind);
  // Deletes and returns the object; NotFound when absent; FailedPrecondition when
  // expected_version is given and differs.
  Result<MetaObject> remove(const Tenant& tenant, std::string_view kind, std::string_view name,
                            std::optional<int64_t> expected_version = {});

 private:
  struct Impl;
  explicit MetaStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace opsight::storage::meta
