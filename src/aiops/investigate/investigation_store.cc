// Investigation records on SQLite (https://sqlite.org/c3ref/intro.html); see the header.
#include "aiops/investigate/investigation_store.h"

#include <fmt/format.h>

#include <mutex>
#include <random>

#include "storage/meta/sqlite_db.h"

namespace opsight::aiops {
namespace {

constexpr int kSchemaVersion = 1;
constexpr const char* kColumns =
    "id, account, region, request, status, error, result, created_ms, completed_ms";

InvestigationRecord read_row(const storage::meta::SqliteStmt& s) {
  InvestigationRecord r;
  r.id = s.text(0);
  r.tenant = {s.text(1), s.text(2)};
  r.request_json = s.text(3);
  r.status = s.text(4);
  r.error = s.text(5);
  r.result_json = s.text(6);
  r.created_ms = s.integer(7);
  r.completed_ms = s.integer(8);
  return r;
}

}  // namespace

std::string new_investigation_id() {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu);
  return fmt::format("{:016x}", rng());
}

struct InvestigationStore::Impl {
  mutable std::mutex mu;
  std::unique_ptr<storage::meta::SqliteDb> sql;  // guarded by mu
  int64_t retention_ms = kDefaultInvestigationRetentionMs;
};

InvestigationStore::InvestigationStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
InvestigationStore::~InvestigationStore() = default;

Result<std::unique_ptr<InvestigationStore>> InvestigationStore::open(const std::string& path,
                                                                     int64_t retention_ms) {
  if (retention_ms <= 0) {
    return Status::invalid_argument("investigation store: retention must be positive");
  }
  auto impl = std::make_unique<Impl>();
  impl->retention_ms = retention_ms;
  ASSIGN_OR_RETURN(impl->sql, storage::meta::SqliteDb::open(path, "investigation store"));
  RETURN_IF_ERROR(impl->sql->exec(
      "CREATE TABLE IF NOT EXISTS investigations ("
      " id TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, request TEXT NOT NULL,"
      " status TEXT NOT NULL, error TEXT NOT NULL, result TEXT NOT NULL,"
      " created_ms INTEGER NOT NULL, completed_ms INTEGER NOT NULL)"));
  RETURN_IF_ERROR(impl->sql->exec(
      "CREATE INDEX IF NOT EXISTS investigations_time ON investigations (account, region,"
      " created_ms, id)"));
  RETURN_IF_ERROR(impl->sql->check_schema_version(kSchemaVersion));
  return std::unique_ptr<InvestigationStore>(new InvestigationStore(std::move(impl)));
}

Status InvestigationStore::put(const InvestigationRecord& r) {
  if (r.id.empty()) return Status::invalid_argument("investigation: id must not be empty");
  if (r.status != "running" && r.status != "complete" && r.status != "failed") {
    return Status::invalid_argument(fmt::format(
        "investigation {}: status \"{}\" must be running, complete or failed", r.id, r.status));
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  storage::meta::SqliteStmt s(impl_->sql->handle(),
                              fmt::format("INSERT OR REPLACE INTO investigations ({}) VALUES "
                                          "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                                          kColumns)
                                  .c_str());
  if (!s.ok()) return impl_->sql->error("prepare put");
  s.bind(1, r.id);
  s.bind(2, r.tenant.account);
  s.bind(3, r.tenant.region);
  s.bind(4, r.request_json);
  s.bind(5, r.status);
  s.bind(6, r.error);
  s.bind(7, r.result_json);
  s.bind(8, r.created_ms);
  s.bind(9, r.completed_ms);
  if (s.step() != SQLITE_DONE) return impl_->sql->error("put");
  return OkStatus();
}

Result<InvestigationRecord> InvestigationStore::get(const storage::Tenant& tenant,
                                                    std::string_view id) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  storage::meta::SqliteStmt s(
      impl_->sql->handle(),
      fmt::format("SELECT {} FROM investigations WHERE id = ?1 AND account = ?2 AND region = ?3",
                  kColumns)
          .c_str());
  if (!s.ok()) return impl_->sql->error("prepare get");
  s.bind(1, id);
  s.bind(2, tenant.account);
  s.bind(3, tenant.region);
  const int rc = s.step();
  if (rc == SQLITE_ROW) return read_row(s);
  if (rc != SQLITE_DONE) return impl_->sql->error("get");
  return Status::not_found(fmt::format("investigation {} not found", id));
}

Result<std::vector<InvestigationRecord>> InvestigationStore::list(const storage::Tenant& tenant,
                                                                  size_t limit) const {
  if (limit == 0 || limit > kMaxInvestigationList) {
    return Status::invalid_argument(
        fmt::format("limit: must be 1..{}, got {}", kMaxInvestigationList, limit));
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  storage::meta::SqliteStmt s(
      impl_->sql->handle(),
      fmt::format("SELECT {} FROM investigations WHERE account = ?1 AND region = ?2"
                  " ORDER BY created_ms DESC, id DESC LIMIT ?3",
                  kColumns)
          .c_str());
  if (!s.ok()) return impl_->sql->error("prepare list");
  s.bind(1, tenant.account);
  s.bind(2, tenant.region);
  s.bind(3, static_cast<int64_t>(limit));
  std::vector<InvestigationRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_row(s));
  if (rc != SQLITE_DONE) return impl_->sql->error("list");
  return out;
}

Result<size_t> InvestigationStore::purge_expired(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  storage::meta::SqliteStmt s(impl_->sql->handle(),
                              "DELETE FROM investigations WHERE created_ms < ?1");
  if (!s.ok()) return impl_->sql->error("prepare purge");
  s.bind(1, now_ms - impl_->retention_ms);
  if (s.step() != SQLITE_DONE) return impl_->sql->error("purge");
  return static_cast<size_t>(sqlite3_changes(impl_->sql->handle()));
}

}  // namespace opsight::aiops
