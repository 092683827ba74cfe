#include "storage/meta/sqlite_db.h"

#include <fmt/format.h>

namespace opsight::storage::meta {

SqliteStmt::SqliteStmt(sqlite3* db, const char* sql) {
  rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
}

SqliteStmt::~SqliteStmt() {
  sqlite3_finalize(stmt_);
}

void SqliteStmt::bind(int i, std::string_view s) {
  // A null data pointer would bind SQL NULL; bind "" instead.
  sqlite3_bind_text(stmt_, i, s.data() == nullptr ? "" : s.data(), static_cast<int>(s.size()),
                    SQLITE_TRANSIENT);
}

void SqliteStmt::bind(int i, int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
}

void SqliteStmt::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string SqliteStmt::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  return p == nullptr ? std::string()
                      : std::string(reinterpret_cast<const char*>(p),
                                    static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::open(const std::string& path, std::string name) {
  std::unique_ptr<SqliteDb> db(new SqliteDb(path, std::move(name)));
  if (sqlite3_open_v2(path.c_str(), &db->db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    return db->error("open");
  }
  sqlite3_busy_timeout(db->db_, 5000);
  RETURN_IF_ERROR(db->exec("PRAGMA journal_mode=WAL"));
  RETURN_IF_ERROR(db->exec("PRAGMA synchronous=FULL"));
  return db;
}

SqliteDb::~SqliteDb() {
  if (db_ != nullptr) sqlite3_close(db_);
}

Status SqliteDb::error(std::string_view what) const {
  return Status::io_error(fmt::format("{} {}: {}: {}", name_, path_, what,
                                      db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory"));
}

Status SqliteDb::exec(const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    Status st = Status::io_error(
        fmt::format("{} {}: {}: {}", name_, path_, sql, msg != nullptr ? msg : "unknown error"));
    sqlite3_free(msg);
    return st;
  }
  return OkStatus();
}

Status SqliteDb::check_schema_version(int supported) {
  {
    SqliteStmt s(db_, "PRAGMA user_version");
    if (!s.ok() || s.step() != SQLITE_ROW) return error("read user_version");
    const int64_t v = s.integer(0);
    if (v > supported) {
      return Status::failed_precondition(fmt::format(
          "{} {}: schema version {} is newer than this binary's {}", name_, path_, v, supported));
    }
  }
  return exec(fmt::format("PRAGMA user_version={}", supported).c_str());
}

}  // namespace opsight::storage::meta
