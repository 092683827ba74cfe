// The event store on SQLite (https://sqlite.org/c3ref/intro.html), with the habits of
// alarm/alarm_store.cc: one connection behind a mutex, WAL mode, synchronous=FULL, a schema
// version in PRAGMA user_version.
//
// Schema (user_version 1; docs/events.md "Storage"):
//   events(account, region, id, time_ms, source, detail_type, json,
//          PRIMARY KEY (account, region, id)) WITHOUT ROWID
//   index events_time (account, region, time_ms, id)    -- queries
//   index events_purge (time_ms)                         -- retention across tenants
// `json` is the envelope as event_json writes it; time_ms is authoritative (the envelope's
// "time" has second precision).
//
// Paging: a page is ordered by (time_ms, id); next_token is the hex of "1:<time_ms>:<id>" of
// the last event returned, and the next page starts strictly after that key, so events put
// while paging never shift a page.
#include "events/event_store.h"

#include <fmt/format.h>

#include <charconv>
#include <mutex>

#include "common/hex.h"
#include "storage/meta/sqlite_db.h"

namespace opsight::events {
namespace {

constexpr int kSchemaVersion = 1;
constexpr size_t kMaxLimit = 10000;

struct Cursor {
  int64_t time_ms = 0;
  std::string id;
};

std::string encode_cursor(int64_t time_ms, std::string_view id) {
  return hex_encode(fmt::format("1:{}:{}", time_ms, id));
}

Result<Cursor> decode_cursor(std::string_view token) {
  const Status bad = Status::invalid_argument("next_token: not a token this store returned");
  std::string raw;
  if (!hex_decode(token, &raw) || raw.size() < 4 || raw.compare(0, 2, "1:") != 0) return bad;
  const size_t colon = raw.find(':', 2);
  if (colon == std::string::npos || colon + 1 >= raw.size()) return bad;
  Cursor c;
  auto [p, ec] = std::from_chars(raw.data() + 2, raw.data() + colon, c.time_ms);
  if (ec != std::errc() || p != raw.data() + colon) return bad;
  c.id = raw.substr(colon + 1);
  return c;
}

}  // namespace

struct EventStore::Impl {
  EventStoreOptions options;
  mutable std::mutex mu;
  std::unique_ptr<storage::meta::SqliteDb> sql;  // guarded by mu
};

EventStore::EventStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EventStore::~EventStore() = default;

Result<std::unique_ptr<EventStore>> EventStore::open(EventStoreOptions options) {
  if (options.path.empty()) return Status::invalid_argument("event store: path is required");
  if (options.retention_ms <= 0) {
    return Status::invalid_argument("event store: retention must be positive");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  ASSIGN_OR_RETURN(impl->sql, storage::meta::SqliteDb::open(impl->options.path, "event store"));
  RETURN_IF_ERROR(impl->sql->exec(
      "CREATE TABLE IF NOT EXISTS events ("
      " account TEXT NOT NULL, region TEXT NOT NULL, id TEXT NOT NULL, time_ms INTEGER NOT NULL,"
      " source TEXT NOT NULL, detail_type TEXT NOT NULL, json TEXT NOT NULL,"
      " PRIMARY KEY (account, region, id)) WITHOUT ROWID"));
  RETURN_IF_ERROR(impl->sql->exec(
      "CREATE INDEX IF NOT EXISTS events_time ON events (account, region, time_ms, id)"));
  RETURN_IF_ERROR(impl->sql->exec("CREATE INDEX IF NOT EXISTS events_purge ON events (time_ms)"));
  RETURN_IF_ERROR(impl->sql->check_schema_version(kSchemaVersion));
  return std::unique_ptr<EventStore>(new EventStore(std::move(impl)));
}

Status EventStore::put(std::span<const Event> events) {
  if (events.empty()) return OkStatus();
  for (size_t i = 0; i < events.size(); i++) {
    const Event& e = events[i];
    std::string_view missing = e.id.empty()            ? "id"
                               : e.source.empty()      ? "source"
                               : e.detail_type.empty() ? "detail-type"
                                                       : "";
    if (!missing.empty()) {
      return Status::invalid_argument(fmt::format("events[{}]: {} must not be empty", i, missing));
    }
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->sql->transaction([&]() -> Status {
    storage::meta::SqliteStmt s(
        impl_->sql->handle(),
        "INSERT OR REPLACE INTO events (account, region, id, time_ms, source, detail_type, json)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!s.ok()) return impl_->sql->error("prepare event insert");
    for (const Event& e : events) {
      s.reset();
      s.bind(1, e.tenant.account);
      s.bind(2, e.tenant.region);
      s.bind(3, e.id);
      s.bind(4, e.time_ms);
      s.bind(5, e.source);
      s.bind(6, e.detail_type);
      s.bind(7, event_json(e));
      if (s.step() != SQLITE_DONE) return impl_->sql->error("event insert");
    }
    return OkStatus();
  });
}

Result<EventPage> EventStore::query(const storage::Tenant& tenant, const EventQuery& q) const {
  if (q.limit < 1 || q.limit > kMaxLimit) {
    return Status::invalid_argument(fmt::format("limit: {} is not in 1..{}", q.limit, kMaxLimit));
  }
  Cursor cursor;
  const bool has_cursor = !q.next_token.empty();
  if (has_cursor) {
    ASSIGN_OR_RETURN(cursor, decode_cursor(q.next_token));
  }
  EventPage page;
  if (q.start_ms >= q.end_ms) return page;
  const int64_t start = has_cursor ? std::max(q.start_ms, cursor.time_ms) : q.start_ms;

  std::lock_guard<std::mutex> lock(impl_->mu);
  storage::meta::SqliteStmt s(
      impl_->sql->handle(),
      "SELECT id, time_ms, json FROM events"
      " WHERE account = ?1 AND region = ?2 AND time_ms >= ?3 AND time_ms < ?4"
      " AND (?5 = '' OR source = ?5) AND (?6 = '' OR detail_type = ?6)"
      " AND (?7 = 0 OR time_ms > ?8 OR (time_ms = ?8 AND id > ?9))"
      " ORDER BY time_ms, id LIMIT ?10");
  if (!s.ok()) return impl_->sql->error("prepare event query");
  s.bind(1, tenant.account);
  s.bind(2, tenant.region);
  s.bind(3, start);
  s.bind(4, q.end_ms);
  s.bind(5, q.source);
  s.bind(6, q.detail_type);
  s.bind(7, static_cast<int64_t>(has_cursor));
  s.bind(8, cursor.time_ms);
  s.bind(9, cursor.id);
  s.bind(10, static_cast<int64_t>(q.limit) + 1);  // one more tells whether a next page exists
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    if (page.events.size() == q.limit) {
      const Event& last = page.events.back();
      page.next_token = encode_cursor(last.time_ms, last.id);
      break;
    }
    auto ev = parse_event_json(s.text(2));
    if (!ev.ok()) {
      return Status::corruption(
          fmt::format("event store: event {}: {}", s.text(0), ev.status().message()));
    }
    ev->time_ms = s.integer(1);  // the envelope's time has second precision
    page.events.push_back(std::move(*ev));
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return impl_->sql->error("event query");
  return page;
}

Result<size_t> EventStore::purge_expired(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  storage::meta::SqliteStmt s(impl_->sql->handle(), "DELETE FROM events WHERE time_ms < ?1");
  if (!s.ok()) return impl_->sql->error("prepare event purge");
  s.bind(1, now_ms - impl_->options.retention_ms);
  if (s.step() != SQLITE_DONE) return impl_->sql->error("event purge");
  return static_cast<size_t>(sqlite3_changes(impl_->sql->handle()));
}

}  // namespace opsight::events
