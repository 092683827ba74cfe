#pragma once
// The SQLite plumbing shared by the stores that keep small durable state in SQLite (the meta
// store's configuration objects, the alarm store's state and history): one connection opened in
// WAL mode with synchronous=FULL (a committed transaction survives a crash; sqlite.org/wal.html),
// a prepared-statement wrapper, exec, transactions and the schema version check
// (PRAGMA user_version).
//
// Thread safety: none. A SqliteDb is one connection (opened SQLITE_OPEN_NOMUTEX); its owner
// serialises every use, e.g. with a mutex around the whole store.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace opsight::storage::meta {

// A prepared statement, finalized on scope exit.
class SqliteStmt {
 public:
  SqliteStmt(sqlite3* db, const char* sql);
  ~SqliteStmt();
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  void bind(int i, std::string_view s);
  void bind(int i, int64_t v);
  int step() { return sqlite3_step(stmt_); }
  // Ready to run again with new bindings.
  void reset();
  std::string text(int col) const;
  int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

class SqliteDb {
 public:
  // Opens (creating when absent) `path`; `name` ("meta store") prefixes every error message.
  static Result<std::unique_ptr<SqliteDb>> open(const std::string& path, std::string name);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  sqlite3* handle() const { return db_; }
  // IOError "<name> <path>: <what>: <sqlite's message>".
  Status error(std::string_view what) const;
  Status exec(const char* sql);

  // Reads user_version; FailedPrecondition when it is newer than `supported` (a newer binary
  // wrote the file); otherwise sets it to `supported`. Call after creating the schema.
  Status check_schema_version(int supported);

  // Runs fn (returning Status or Result<T>) inside BEGIN IMMEDIATE / COMMIT; ROLLBACK when fn
  // or the commit fails.
  template <typename Fn>
  auto transaction(Fn fn) -> decltype(fn()) {
    RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
    auto r = fn();
    if (!r.ok()) {
      (void)exec("ROLLBACK");
      return r;
    }
    if (Status st = exec("COMMIT"); !st.ok()) {
      (void)exec("ROLLBACK");
      return st;
    }
    return r;
  }

 private:
  SqliteDb(std::string path, std::string name) : path_(std::move(path)), name_(std::move(name)) {}

  sqlite3* db_ = nullptr;
  const std::string path_;
  const std::string name_;
};

}  // namespace opsight::storage::meta
