// Alarm state, history, checkpoints and outbox on SQLite (https://sqlite.org/c3ref/intro.html).
// See alarm_store.h for the schema and the contract.
#include "alarm/alarm_store.h"

#include "storage/meta/sqlite_db.h"

#include <fmt/format.h>

#include <charconv>
#include <limits>
#include <mutex>

namespace opsight::alarm {
namespace {

constexpr int kSchemaVersion = 1;

bool parse_i64(std::string_view s, int64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

struct AlarmStore::Impl {
  std::mutex mu;
  std::unique_ptr<storage::meta::SqliteDb> sql;  // guarded by mu
};

AlarmStore::AlarmStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AlarmStore::~AlarmStore() = default;

Result<std::unique_ptr<AlarmStore>> AlarmStore::open(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  ASSIGN_OR_RETURN(impl->sql, storage::meta::SqliteDb::open(path, "alarm store"));
  RETURN_IF_ERROR(impl->sql->exec(
      "CREATE TABLE IF NOT EXISTS alarm_state ("
      " account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, state TEXT NOT NULL,"
      " reason TEXT NOT NULL, reason_data TEXT NOT NULL, updated_ms INTEGER NOT NULL,"
      " transitioned_ms INTEGER NOT NULL, forced INTEGER NOT NULL, left_alarm_ms INTEGER NOT "
      "NULL,"
      " supp_by INTEGER NOT NULL, supp_state TEXT NOT NULL, supp_since_ms INTEGER NOT NULL,"
      " supp_deadline_ms INTEGER NOT NULL, PRIMARY KEY (account, region, name)) WITHOUT ROWID"));
  RETURN_IF_ERROR(impl->sql->exec(
      "CREATE TABLE IF NOT EXISTS alarm_history ("
      " id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, region TEXT NOT NULL,"
      " name TEXT NOT NULL, alarm_type TEXT NOT NULL, item_type TEXT NOT NULL,"
      " ts_ms INTEGER NOT NULL, summary TEXT NOT NULL, data TEXT NOT NULL)"));
  RETURN_IF_ERROR(impl->sql->exec(
      "CREATE INDEX IF NOT EXISTS alarm_history_time ON alarm_history (account, region, ts_ms, "
      "id)"));
  RETURN_IF_ERROR(impl->sql->exec(
      "CREATE INDEX IF NOT EXISTS alarm_history_name ON alarm_history (account, region, name, "
      "ts_ms, id)"));
  RETURN_IF_ERROR(impl->sql->exec(
      "CREATE TABLE IF NOT EXISTS checkpoint (period_ms INTEGER PRIMARY KEY, tick_ms INTEGER NOT "
      "NULL)"));
  RETURN_IF_ERROR(impl->sql->exec(
      "CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT,"
      " account TEXT NOT NULL, region TEXT NOT NULL, alarm_name TEXT NOT NULL, doc TEXT NOT NULL,"
      " attempts INTEGER NOT NULL, next_attempt_ms INTEGER NOT NULL)"));
  RETURN_IF_ERROR(impl->sql->check_schema_version(kSchemaVersion));
  return std::unique_ptr<AlarmStore>(new AlarmStore(std::move(impl)));
}

Status AlarmStore::commit(std::span<const AlarmStateRecord> states, std::span<HistoryItem> history,
                          const std::map<int64_t, int64_t>& checkpoints) {
  if (states.empty() && history.empty() && checkpoints.empty()) return OkStatus();
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->sql->transaction([&]() -> Status {
    if (!states.empty()) {
      storage::meta::SqliteStmt s(
          impl_->sql->handle(),
          "INSERT OR REPLACE INTO alarm_state (account, region, name, state, reason, "
          "reason_data, updated_ms, transitioned_ms, forced, left_alarm_ms, supp_by, "
          "supp_state, supp_since_ms, supp_deadline_ms) VALUES "
          "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
      if (!s.ok()) return impl_->sql->error("prepare state upsert");
      for (const auto& r : states) {
        s.reset();
        s.bind(1, r.tenant.account);
        s.bind(2, r.tenant.region);
        s.bind(3, r.name);
        s.bind(4, state_name(r.state));
        s.bind(5, r.reason);
        s.bind(6, r.reason_data);
        s.bind(7, r.updated_ms);
        s.bind(8, r.transitioned_ms);
        s.bind(9, static_cast<int64_t>(r.forced));
        s.bind(10, r.left_alarm_ms);
        s.bind(11, static_cast<int64_t>(r.suppression.by));
        s.bind(12, state_name(r.suppression.held_state));
        s.bind(13, r.suppression.held_since_ms);
        s.bind(14, r.suppression.deadline_ms);
        if (s.step() != SQLITE_DONE) return impl_->sql->error("state upsert");
      }
    }
    if (!history.empty()) {
      storage::meta::SqliteStmt s(
          impl_->sql->handle(),
          "INSERT INTO alarm_history (account, region, name, alarm_type, item_type, ts_ms, "
          "summary, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
      if (!s.ok()) return impl_->sql->error("prepare history insert");
      for (auto& h : history) {
        s.reset();
        s.bind(1, h.tenant.account);
        s.bind(2, h.tenant.region);
        s.bind(3, h.alarm_name);
        s.bind(4, alarm_type_name(h.alarm_type));
        s.bind(5, history_type_name(h.item_type));
        s.bind(6, h.ts_ms);
        s.bind(7, h.summary);
        s.bind(8, h.data);
        if (s.step() != SQLITE_DONE) return impl_->sql->error("history insert");
        h.id = sqlite3_last_insert_rowid(impl_->sql->handle());
      }
    }
    if (!checkpoints.empty()) {
      storage::meta::SqliteStmt s(
          impl_->sql->handle(),
          "INSERT OR REPLACE INTO checkpoint (period_ms, tick_ms) VALUES (?1, ?2)");
      if (!s.ok()) return impl_->sql->error("prepare checkpoint");
      for (const auto& [period, tick] : checkpoints) {
        s.reset();
        s.bind(1, period);
        s.bind(2, tick);
        if (s.step() != SQLITE_DONE) return impl_->sql->error("checkpoint");
      }
    }
    return OkStatus();
  });
}

Status AlarmStore::delete_state(const storage::Tenant& tenant, std::string_view name) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  storage::meta::SqliteStmt s(
      impl_->sql->handle(),
      "DELETE FROM alarm_state WHERE account = ?1 AND region = ?2 AND name = ?3");
  if (!s.ok()) return impl_->sql->error("prepare state delete");
  s.bind(1, tenant.account);
  s.bind(2, tenant.region);
  s.bind(3, name);
  if (s.step() != SQLITE_DONE) return impl_->sql->error("state delete");
  return OkStatus();
}

Result<std::vector<AlarmStateRecord>> AlarmStore::load_states() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  storage::meta::SqliteStmt s(
      impl_->sql->handle(),
      "SELECT account, region, name, state, reason, reason_data, updated_ms, transitioned_ms, "
      "forced, left_alarm_ms, supp_by, supp_state, supp_since_ms, supp_deadline_ms FROM "
      "alarm_state");
  if (!s.ok()) return impl_->sql->error("prepare state load");
  std::vector<AlarmStateRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    AlarmStateRecord r;
    r.tenant = {s.text(0), s.text(1)};
    r.name = s.text(2);
    auto st = parse_state(s.text(3));
    if (!st) return Status::corruption(fmt::format("alarm store: bad state \"{}\"", s.text(3)));
    r.state = *st;
    r.reason = s.text(4);
    r.reason_data = s.text(5);
    r.updated_ms = s.integer(6);
    r.transitioned_ms = s.integer(7);
    r.forced = s.integer(8) != 0;
    r.left_alarm_ms = s.integer(9);
    const int64_t by = s.integer(10);
    if (by < 0 || by > static_cast<int64_t>(SuppressedBy::kAlarm)) {
      return Status::corruption("alarm store: bad suppression kind");
    }
    r.suppression.by = static_cast<SuppressedBy>(by);
    r.suppression.held_state = parse_state(s.text(11)).value_or(StateValue::kOk);
    r.suppression.held_since_ms = s.integer(12);
    r.suppression.deadline_ms = s.integer(13);
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return impl_->sql->error("state load");
  return out;
}

Result<std::map<int64_t, int64_t>> AlarmStore::load_checkpoints() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  storage::meta::SqliteStmt s(impl_->sql->handle(), "SELECT period_ms, tick_ms FROM checkpoint");
  if (!s.ok()) return impl_->sql->error("prepare checkpoint load");
  std::map<int64_t, int64_t> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out[s.integer(0)] = s.integer(1);
  if (rc != SQLITE_DONE) return impl_->sql->error("checkpoint load");
  return out;
}

Result<HistoryPage> AlarmStore::query_history(const storage::Tenant& tenant,
                                              const HistoryQuery& q) {
  int64_t cursor_ts = 0, cursor_id = 0;
  const bool has_cursor = !q.next_token.empty();
  if (has_cursor) {
    std::string_view t = q.next_token;
    const size_t colon = t.find(':');
    if (!t.starts_with("h") || colon == std::string_view::npos ||
        !parse_i64(t.substr(1, colon - 1), &cursor_ts) ||
        !parse_i64(t.substr(colon + 1), &cursor_id)) {
      return aws_error(kInvalidNextToken, "The NextToken is not valid.");
    }
  }
  int64_t type_mask = 0;
  for (AlarmType t : q.alarm_types) type_mask |= t == AlarmType::kMetric ? 1 : 2;
  if (type_mask == 0) type_mask = 3;
  const size_t limit = q.max_records == 0 ? 100 : q.max_records;

  std::string sql =
      "SELECT id, name, alarm_type, item_type, ts_ms, summary, data FROM alarm_history "
      "WHERE account = ?1 AND region = ?2 AND (?3 = '' OR name = ?3) AND (?4 = '' OR "
      "item_type = ?4) AND ts_ms >= ?5 AND ts_ms <= ?6 AND (?7 & (CASE alarm_type WHEN "
      "'MetricAlarm' THEN 1 ELSE 2 END)) != 0 ";
  if (has_cursor) {
    sql += q.ascending ? "AND (ts_ms > ?8 OR (ts_ms = ?8 AND id > ?9)) "
                       : "AND (ts_ms < ?8 OR (ts_ms = ?8 AND id < ?9)) ";
  }
  sql += q.ascending ? "ORDER BY ts_ms ASC, id ASC " : "ORDER BY ts_ms DESC, id DESC ";
  sql += "LIMIT ?10";

  std::lock_guard<std::mutex> lock(impl_->mu);
  storage::meta::SqliteStmt s(impl_->sql->handle(), sql.c_str());
  if (!s.ok()) return impl_->sql->error("prepare history query");
  s.bind(1, tenant.account);
  s.bind(2, tenant.region);
  s.bind(3, q.alarm_name);
  s.bind(4, q.item_type ? history_type_name(*q.item_type) : std::string_view());
  s.bind(5, q.start_ms.value_or(std::numeric_limits<int64_t>::min()));
  s.bind(6, q.end_ms.value_or(std::numeric_limits<int64_t>::max()));
  s.bind(7, type_mask);
  if (has_cursor) {
    s.bind(8, cursor_ts);
    s.bind(9, cursor_id);
  }
  s.bind(10, static_cast<int64_t>(limit + 1));
  HistoryPage page;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    if (page.items.size() == limit) {
      const HistoryItem& last = page.items.back();
      page.next_token = fmt::format("h{}:{}", last.ts_ms, last.id);
      break;
    }
    HistoryItem h;
    h.id = s.integer(0);
    h.tenant = tenant;
    h.alarm_name = s.text(1);
    h.alarm_type = parse_alarm_type(s.text(2)).value_or(AlarmType::kMetric);
    h.item_type = parse_history_type(s.text(3)).value_or(HistoryItemType::kStateUpdate);
    h.ts_ms = s.integer(4);
    h.summary = s.text(5);
    h.data = s.text(6);
    page.items.push_back(std::move(h));
  }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return impl_->sql->error("history query");
  return page;
}

Result<int64_t> AlarmStore::purge_history(int64_t cutoff_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  storage::meta::SqliteStmt s(impl_->sql->handle(), "DELETE FROM alarm_history WHERE ts_ms < ?1");
  if (!s.ok()) return impl_->sql->error("prepare purge");
  s.bind(1, cutoff_ms);
  if (s.step() != SQLITE_DONE) return impl_->sql->error("purge");
  return static_cast<int64_t>(sqlite3_changes(impl_->sql->handle()));
}

Result<int64_t> AlarmStore::add_outbox(const OutboxEntry& e) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  storage::meta::SqliteStmt s(
      impl_->sql->handle(),
      "INSERT INTO outbox (account, region, alarm_name, doc, attempts, next_attempt_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!s.ok()) return impl_->sql->error("prepare outbox insert");
  s.bind(1, e.tenant.account);
  s.bind(2, e.tenant.region);
  s.bind(3, e.alarm_name);
  s.bind(4, e.doc);
  s.bind(5, e.attempts);
  s.bind(6, e.next_attempt_ms);
  if (s.step() != SQLITE_DONE) return impl_->sql->error("outbox insert");
  return static_cast<int64_t>(sqlite3_last_insert_rowid(impl_->sql->handle()));
}

Status AlarmStore::update_outbox(int64_t id, int64_t attempts, int64_t next_attempt_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  storage::meta::SqliteStmt s(
      impl_->sql->handle(), "UPDATE outbox SET attempts = ?2, next_attempt_ms = ?3 WHERE id = ?1");
  if (!s.ok()) return impl_->sql->error("prepare outbox update");
  s.bind(1, id);
  s.bind(2, attempts);
  s.bind(3, next_attempt_ms);
  if (s.step() != SQLITE_DONE) return impl_->sql->error("outbox update");
  return OkStatus();
}

Status AlarmStore::remove_outbox(int64_t id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  storage::meta::SqliteStmt s(impl_->sql->handle(), "DELETE FROM outbox WHERE id = ?1");
  if (!s.ok()) return impl_->sql->error("prepare outbox delete");
  s.bind(1, id);
  if (s.step() != SQLITE_DONE) return impl_->sql->error("outbox delete");
  return OkStatus();
}

Result<std::vector<OutboxEntry>> AlarmStore::load_outbox() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  storage::meta::SqliteStmt s(
      impl_->sql->handle(),
      "SELECT id, account, region, alarm_name, doc, attempts, next_attempt_ms FROM outbox "
      "ORDER BY id");
  if (!s.ok()) return impl_->sql->error("prepare outbox load");
  std::vector<OutboxEntry> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    OutboxEntry e;
    e.id = s.integer(0);
    e.tenant = {s.text(1), s.text(2)};
    e.alarm_name = s.text(3);
    e.doc = s.text(4);
    e.attempts = s.integer(5);
    e.next_attempt_ms = s.integer(6);
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return impl_->sql->error("outbox load");
  return out;
}

}  // namespace opsight::alarm
