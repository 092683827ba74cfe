// The configuration-object store on SQLite (https://sqlite.org/c3ref/intro.html; WAL mode per
// https://sqlite.org/wal.html). See meta_store.h for the contract.
#include "storage/meta/meta_store.h"

#include "storage/meta/sqlite_db.h"

#include <fmt/format.h>

#include <mutex>

namespace opsight::storage::meta {
namespace {

constexpr int kSchemaVersion = 1;

Status check_key(std::string_view kind, std::string_view name) {
  if (kind.empty() || name.empty()) {
    return Status::invalid_argument("meta store: kind and name must not be empty");
  }
  if (kind.size() > kMaxMetaKeyBytes || name.size() > kMaxMetaKeyBytes) {
    return Status::invalid_argument(
        fmt::format("meta store: kind and name are at most {} bytes", kMaxMetaKeyBytes));
  }
  return OkStatus();
}

}  // namespace

struct MetaStore::Impl {
  std::mutex mu;
  std::unique_ptr<SqliteDb> sql;  // guarded by mu
  Clock* clock = nullptr;

  // Reads one object (mu held); NotFound when absent.
  Result<MetaObject> read_locked(const Tenant& t, std::string_view kind, std::string_view name) {
    SqliteStmt s(sql->handle(),
                 "SELECT doc, version, created_ms, updated_ms FROM objects "
                 "WHERE account = ?1 AND region = ?2 AND kind = ?3 AND name = ?4");
    if (!s.ok()) return sql->error("prepare select");
    s.bind(1, t.account);
    s.bind(2, t.region);
    s.bind(3, kind);
    s.bind(4, name);
    const int rc = s.step();
    if (rc == SQLITE_DONE) {
      return Status::not_found(fmt::format("{} \"{}\" does not exist", kind, name));
    }
    if (rc != SQLITE_ROW) return sql->error("select");
    return MetaObject{t,           std::string(kind), std::string(name),
                      s.text(0),   s.integer(1),      s.integer(2),
                      s.integer(3)};
  }
};

MetaStore::MetaStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MetaStore::~MetaStore() = default;

Result<std::unique_ptr<MetaStore>> MetaStore::open(const std::string& path, Clock* clock) {
  auto impl = std::make_unique<Impl>();
  impl->clock = clock;
  ASSIGN_OR_RETURN(impl->sql, SqliteDb::open(path, "meta store"));
  RETURN_IF_ERROR(impl->sql->exec(
      "CREATE TABLE IF NOT EXISTS objects ("
      " account TEXT NOT NULL, region TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,"
      " doc TEXT NOT NULL, version INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
      " updated_ms INTEGER NOT NULL, PRIMARY KEY (account, region, kind, name)) WITHOUT ROWID"));
  RETURN_IF_ERROR(impl->sql->check_schema_version(kSchemaVersion));
  return std::unique_ptr<MetaStore>(new MetaStore(std::move(impl)));
}

Result<MetaObject> MetaStore::put(const Tenant& tenant, std::string_view kind,
                                  std::string_view name, std::string_view doc,
                                  std::optional<int64_t> expected_version) {
  RETURN_IF_ERROR(check_key(kind, name));
  if (doc.size() > kMaxMetaDocBytes) {
    return Status::invalid_argument(fmt::format("meta store: {} \"{}\" is {} bytes: at most {}",
                                                kind, name, doc.size(), kMaxMetaDocBytes));
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->sql->transaction([&]() -> Result<MetaObject> {
    auto cur = impl_->read_locked(tenant, kind, name);
    if (!cur.ok() && cur.status().code() != Code::kNotFound) return cur.status();
    const bool exists = cur.ok();
    if (expected_version) {
      if (*expected_version == 0 && exists) {
        return Status::already_exists(fmt::format("{} \"{}\" already exists", kind, name));
      }
      if (*expected_version > 0 && !exists) return cur.status();
      if (*expected_version > 0 && cur->version != *expected_version) {
        return Status::failed_precondition(
            fmt::format("{} \"{}\" is at version {}, not the expected {}", kind, name, cur->version,
                        *expected_version));
      }
    }
    const int64_t now = impl_->clock->now_ms();
    MetaObject o{tenant,
                 std::string(kind),
                 std::string(name),
                 std::string(doc),
                 exists ? cur->version + 1 : 1,
                 exists ? cur->created_ms : now,
                 now};
    SqliteStmt s(impl_->sql->handle(),
                 "INSERT OR REPLACE INTO objects (account, region, kind, name, doc, version,"
                 " created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!s.ok()) return impl_->sql->error("prepare insert");
    s.bind(1, tenant.account);
    s.bind(2, tenant.region);
    s.bind(3, kind);
    s.bind(4, name);
    s.bind(5, doc);
    s.bind(6, o.version);
    s.bind(7, o.created_ms);
    s.bind(8, o.updated_ms);
    if (s.step() != SQLITE_DONE) return impl_->sql->error("insert");
    return o;
  });
}

Result<MetaObject> MetaStore::get(const Tenant& tenant, std::string_view kind,
                                  std::string_view name) {
  RETURN_IF_ERROR(check_key(kind, name));
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->read_locked(tenant, kind, name);
}

Result<std::vector<MetaObject>> MetaStore::list(const Tenant& tenant, std::string_view kind) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  SqliteStmt s(impl_->sql->handle(),
               "SELECT name, doc, version, created_ms, updated_ms FROM objects "
               "WHERE account = ?1 AND region = ?2 AND kind = ?3 ORDER BY name");
  if (!s.ok()) return impl_->sql->error("prepare list");
  s.bind(1, tenant.account);
  s.bind(2, tenant.region);
  s.bind(3, kind);
  std::vector<MetaObject> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    out.push_back(MetaObject{tenant, std::string(kind), s.text(0), s.text(1), s.integer(2),
                             s.integer(3), s.integer(4)});
  }
  if (rc != SQLITE_DONE) return impl_->sql->error("list");
  return out;
}

Result<MetaObject> MetaStore::remove(const Tenant& tenant, std::string_view kind,
                                     std::string_view name,
                                     std::optional<int64_t> expected_version) {
  RETURN_IF_ERROR(check_key(kind, name));
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->sql->transaction([&]() -> Result<MetaObject> {
    ASSIGN_OR_RETURN(MetaObject cur, impl_->read_locked(tenant, kind, name));
    if (expected_version && cur.version != *expected_version) {
      return Status::failed_precondition(
          fmt::format("{} \"{}\" is at version {}, not the expected {}", kind, name, cur.version,
                      *expected_version));
    }
    SqliteStmt s(
        impl_->sql->handle(),
        "DELETE FROM objects WHERE account = ?1 AND region = ?2 AND kind = ?3 AND name = ?4");
    if (!s.ok()) return impl_->sql->error("prepare delete");
    s.bind(1, tenant.account);
    s.bind(2, tenant.region);
    s.bind(3, kind);
    s.bind(4, name);
    if (s.step() != SQLITE_DONE) return impl_->sql->error("delete");
    return cur;
  });
}

}  // namespace opsight::storage::meta
