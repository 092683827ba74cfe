// Incidents, timelines and co-occurrence counts on SQLite (https://sqlite.org/c3ref/intro.html).
// See incident_store.h for the schema and the contract.
#include "aiops/correlate/incident_store.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <limits>
#include <mutex>

#include "common/json_writer.h"
#include "storage/meta/sqlite_db.h"

namespace opsight::aiops {
namespace {

namespace dom = simdjson::dom;
using storage::meta::SqliteStmt;

constexpr int kSchemaVersion = 1;
constexpr size_t kMaxListLimit = 10'000;

constexpr const char* kIncidentColumns =
    "id, account, region, state, title, opened_ms, updated_ms, resolved_ms, first_signal_ms, "
    "last_signal_ms, signal_count, alarm_count, active_alarms, doc";

std::optional<SignalKind> parse_kind(std::string_view s) {
  for (SignalKind k : {SignalKind::kAlarm, SignalKind::kAnomaly, SignalKind::kLogAnomaly,
                       SignalKind::kRed, SignalKind::kChange}) {
    if (signal_kind_name(k) == s) return k;
  }
  return std::nullopt;
}

void write_strings(json::Writer& w, std::string_view key, const std::vector<std::string>& v) {
  w.key(key).begin_array();
  for (const auto& s : v) w.value(s);
  w.end_array();
}

std::string incident_doc(const Incident& inc) {
  json::Writer w(256 + inc.keys.size() * 128);
  w.begin_object();
  w.kv("severity", inc.severity);
  write_strings(w, "services", inc.services);
  w.key("dimensions").begin_object();
  for (const auto& [name, values] : inc.dimensions) write_strings(w, name, values);
  w.end_object();
  write_strings(w, "unowned", inc.unowned_metrics);
  w.key("keys").begin_array();
  for (const auto& [_, k] : inc.keys) {
    w.begin_object();
    w.kv("key", k.key).kv("kind", signal_kind_name(k.kind)).kv("source", k.source);
    w.kv("service", k.service).kv("state", k.state).kv("count", k.count);
    w.kv("first", k.first_ms).kv("last", k.last_ms);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.take();
}

bool read_strings(dom::element e, std::vector<std::string>* out) {
  dom::array arr;
  if (e.get_array().get(arr)) return false;
  for (dom::element x : arr) {
    std::string_view s;
    if (x.get_string().get(s)) return false;
    out->emplace_back(s);
  }
  return true;
}

Status parse_doc(std::string_view text, Incident* inc) {
  auto bad = [&] {
    return Status::corruption(fmt::format("incident store: bad document of incident {}", inc->id));
  };
  dom::parser parser;
  const simdjson::padded_string padded(text);
  dom::element doc;
  if (parser.parse(padded).get(doc) || !doc.is_object()) return bad();
  double sev = 0;
  if (!doc.at_key("severity").get_double().get(sev)) inc->severity = sev;
  dom::element e;
  if (!doc.at_key("services").get(e) && !read_strings(e, &inc->services)) return bad();
  if (!doc.at_key("unowned").get(e) && !read_strings(e, &inc->unowned_metrics)) return bad();
  dom::object dims;
  if (!doc.at_key("dimensions").get_object().get(dims)) {
    for (auto field : dims) {
      if (!read_strings(field.value, &inc->dimensions[std::string(field.key)])) return bad();
    }
  }
  dom::array keys;
  if (!doc.at_key("keys").get_array().get(keys)) {
    for (dom::element k : keys) {
      IncidentKey key;
      std::string_view s;
      if (k.at_key("key").get_string().get(s)) return bad();
      key.key = std::string(s);
      if (k.at_key("kind").get_string().get(s)) return bad();
      auto kind = parse_kind(s);
      if (!kind) return bad();
      key.kind = *kind;
      if (!k.at_key("source").get_string().get(s)) key.source = std::string(s);
      if (!k.at_key("service").get_string().get(s)) key.service = std::string(s);
      if (!k.at_key("state").get_string().get(s)) key.state = std::string(s);
      if (k.at_key("count").get_int64().get(key.count)) return bad();
      if (k.at_key("first").get_int64().get(key.first_ms)) return bad();
      if (k.at_key("last").get_int64().get(key.last_ms)) return bad();
      inc->keys.emplace(key.key, std::move(key));
    }
  }
  return OkStatus();
}

Result<Incident> read_incident(const SqliteStmt& s) {
  Incident inc;
  inc.id = s.text(0);
  inc.tenant = {s.text(1), s.text(2)};
  auto state = parse_incident_state(s.text(3));
  if (!state) {
    return Status::corruption(
        fmt::format("incident store: bad state \"{}\" of incident {}", s.text(3), inc.id));
  }
  inc.state = *state;
  inc.title = s.text(4);
  inc.opened_ms = s.integer(5);
  inc.updated_ms = s.integer(6);
  inc.resolved_ms = s.integer(7);
  inc.first_signal_ms = s.integer(8);
  inc.last_signal_ms = s.integer(9);
  inc.signal_count = s.integer(10);
  inc.alarm_count = s.integer(11);
  inc.active_alarms = s.integer(12);
  RETURN_IF_ERROR(parse_doc(s.text(13), &inc));
  return inc;
}

}  // namespace

struct IncidentStore::Impl {
  std::mutex mu;
  std::unique_ptr<storage::meta::SqliteDb> sql;  // guarded by mu

  Result<Incident> get_locked(const storage::Tenant& tenant, const std::string& id) {
    const std::string q =
        fmt::format("SELECT {} FROM incidents WHERE id = ?1 AND account = ?2 AND region = ?3",
                    kIncidentColumns);
    SqliteStmt s(sql->handle(), q.c_str());
    if (!s.ok()) return sql->error("prepare incident get");
    s.bind(1, id);
    s.bind(2, tenant.account);
    s.bind(3, tenant.region);
    const int rc = s.step();
    if (rc == SQLITE_DONE) return Status::not_found(fmt::format("incident {} not found", id));
    if (rc != SQLITE_ROW) return sql->error("incident get");
    return read_incident(s);
  }
};

IncidentStore::IncidentStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
IncidentStore::~IncidentStore() = default;

Result<std::unique_ptr<IncidentStore>> IncidentStore::open(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  ASSIGN_OR_RETURN(impl->sql, storage::meta::SqliteDb::open(path, "incident store"));
  RETURN_IF_ERROR(impl->sql->exec(
      "CREATE TABLE IF NOT EXISTS incidents ("
      " id TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, state TEXT NOT NULL,"
      " title TEXT NOT NULL, opened_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
      " resolved_ms INTEGER NOT NULL, first_signal_ms INTEGER NOT NULL,"
      " last_signal_ms INTEGER NOT NULL, signal_count INTEGER NOT NULL,"
      " alarm_count INTEGER NOT NULL, active_alarms INTEGER NOT NULL, doc TEXT NOT NULL)"
      " WITHOUT ROWID"));
  RETURN_IF_ERROR(impl->sql->exec(
      "CREATE INDEX IF NOT EXISTS incidents_opened ON incidents (account, region, opened_ms)"));
  RETURN_IF_ERROR(
      impl->sql->exec("CREATE INDEX IF NOT EXISTS incidents_state ON incidents (state)"));
  RETURN_IF_ERROR(
      impl->sql->exec("CREATE TABLE IF NOT EXISTS timeline ("
                      " seq INTEGER PRIMARY KEY AUTOINCREMENT, incident_id TEXT NOT NULL,"
                      " time_ms INTEGER NOT NULL, type TEXT NOT NULL, text TEXT NOT NULL,"
                      " author TEXT NOT NULL, data TEXT NOT NULL)"));
  RETURN_IF_ERROR(impl->sql->exec(
      "CREATE INDEX IF NOT EXISTS timeline_incident ON timeline (incident_id, time_ms, seq)"));
  RETURN_IF_ERROR(impl->sql->exec(
      "CREATE TABLE IF NOT EXISTS cooccurrence ("
      " account TEXT NOT NULL, region TEXT NOT NULL, key_a TEXT NOT NULL, key_b TEXT NOT NULL,"
      " count INTEGER NOT NULL, last_ms INTEGER NOT NULL,"
      " PRIMARY KEY (account, region, key_a, key_b)) WITHOUT ROWID"));
  RETURN_IF_ERROR(impl->sql->check_schema_version(kSchemaVersion));
  return std::unique_ptr<IncidentStore>(new IncidentStore(std::move(impl)));
}

Status IncidentStore::commit(const IncidentBatch& batch) {
  if (batch.empty()) return OkStatus();
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto& sql = *impl_->sql;
  return sql.transaction([&]() -> Status {
    if (!batch.incidents.empty()) {
      const std::string q = fmt::format(
          "INSERT OR REPLACE INTO incidents ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
          "?11, ?12, ?13, ?14)",
          kIncidentColumns);
      SqliteStmt s(sql.handle(), q.c_str());
      if (!s.ok()) return sql.error("prepare incident upsert");
      for (const auto& inc : batch.incidents) {
        s.reset();
        s.bind(1, inc.id);
        s.bind(2, inc.tenant.account);
        s.bind(3, inc.tenant.region);
        s.bind(4, incident_state_name(inc.state));
        s.bind(5, inc.title);
        s.bind(6, inc.opened_ms);
        s.bind(7, inc.updated_ms);
        s.bind(8, inc.resolved_ms);
        s.bind(9, inc.first_signal_ms);
        s.bind(10, inc.last_signal_ms);
        s.bind(11, inc.signal_count);
        s.bind(12, inc.alarm_count);
        s.bind(13, inc.active_alarms);
        const std::string doc = incident_doc(inc);
        s.bind(14, doc);
        if (s.step() != SQLITE_DONE) return sql.error("incident upsert");
      }
    }
    if (!batch.entries.empty()) {
      SqliteStmt s(sql.handle(),
                   "INSERT INTO timeline (incident_id, time_ms, type, text, author, data) VALUES "
                   "(?1, ?2, ?3, ?4, ?5, ?6)");
      if (!s.ok()) return sql.error("prepare timeline insert");
      for (const auto& [id, e] : batch.entries) {
        s.reset();
        s.bind(1, id);
        s.bind(2, e.time_ms);
        s.bind(3, timeline_type_name(e.type));
        s.bind(4, e.text);
        s.bind(5, e.author);
        s.bind(6, e.data_json.empty() ? std::string_view("{}") : std::string_view(e.data_json));
        if (s.step() != SQLITE_DONE) return sql.error("timeline insert");
      }
    }
    if (!batch.cooccurred.empty()) {
      SqliteStmt s(sql.handle(),
                   "INSERT INTO cooccurrence (account, region, key_a, key_b, count, last_ms) "
                   "VALUES (?1, ?2, ?3, ?4, 1, ?5) ON CONFLICT (account, region, key_a, key_b) "
                   "DO UPDATE SET count = count + 1, last_ms = max(last_ms, excluded.last_ms)");
      if (!s.ok()) return sql.error("prepare co-occurrence upsert");
      for (const auto& p : batch.cooccurred) {
        const bool ordered = p.key_a < p.key_b;
        s.reset();
        s.bind(1, p.tenant.account);
        s.bind(2, p.tenant.region);
        s.bind(3, ordered ? p.key_a : p.key_b);
        s.bind(4, ordered ? p.key_b : p.key_a);
        s.bind(5, p.time_ms);
        if (s.step() != SQLITE_DONE) return sql.error("co-occurrence upsert");
      }
    }
    return OkStatus();
  });
}

Result<std::vector<Incident>> IncidentStore::load_active() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const std::string q =
      fmt::format("SELECT {} FROM incidents WHERE state != 'resolved' ORDER BY opened_ms, id",
                  kIncidentColumns);
  SqliteStmt s(impl_->sql->handle(), q.c_str());
  if (!s.ok()) return impl_->sql->error("prepare active load");
  std::vector<Incident> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    ASSIGN_OR_RETURN(Incident inc, read_incident(s));
    out.push_back(std::move(inc));
  }
  if (rc != SQLITE_DONE) return impl_->sql->error("active load");
  return out;
}

Result<std::vector<IncidentStore::CooccurrenceRow>> IncidentStore::load_cooccurrence() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  SqliteStmt s(impl_->sql->handle(),
               "SELECT account, region, key_a, key_b, count FROM cooccurrence");
  if (!s.ok()) return impl_->sql->error("prepare co-occurrence load");
  std::vector<CooccurrenceRow> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    out.push_back({{s.text(0), s.text(1)}, s.text(2), s.text(3), s.integer(4)});
  }
  if (rc != SQLITE_DONE) return impl_->sql->error("co-occurrence load");
  return out;
}

Result<std::vector<Incident>> IncidentStore::list(const storage::Tenant& tenant,
                                                  const IncidentQuery& query) {
  const size_t limit = query.limit == 0 ? 100 : std::min(query.limit, kMaxListLimit);
  const std::string q = fmt::format(
      "SELECT {} FROM incidents WHERE account = ?1 AND region = ?2 AND (?3 = '' OR state = ?3) "
      "AND (resolved_ms = 0 OR resolved_ms >= ?4) AND first_signal_ms <= ?5 "
      "ORDER BY opened_ms DESC, id DESC",
      kIncidentColumns);
  std::lock_guard<std::mutex> lock(impl_->mu);
  SqliteStmt s(impl_->sql->handle(), q.c_str());
  if (!s.ok()) return impl_->sql->error("prepare incident list");
  s.bind(1, tenant.account);
  s.bind(2, tenant.region);
  s.bind(3, query.state ? incident_state_name(*query.state) : std::string_view());
  s.bind(4, query.start_ms.value_or(std::numeric_limits<int64_t>::min()));
  s.bind(5, query.end_ms.value_or(std::numeric_limits<int64_t>::max()));
  std::vector<Incident> out;
  int rc = SQLITE_DONE;
  while (out.size() < limit && (rc = s.step()) == SQLITE_ROW) {
    ASSIGN_OR_RETURN(Incident inc, read_incident(s));
    if (!query.service.empty() &&
        !std::binary_search(inc.services.begin(), inc.services.end(), query.service)) {
      continue;
    }
    out.push_back(std::move(inc));
  }
  if (out.size() < limit && rc != SQLITE_DONE) return impl_->sql->error("incident list");
  return out;
}

Result<Incident> IncidentStore::get(const storage::Tenant& tenant, const std::string& id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->get_locked(tenant, id);
}

Result<std::vector<TimelineEntry>> IncidentStore::timeline(const storage::Tenant& tenant,
                                                           const std::string& id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  {
    SqliteStmt s(impl_->sql->handle(),
                 "SELECT 1 FROM incidents WHERE id = ?1 AND account = ?2 AND region = ?3");
    if (!s.ok()) return impl_->sql->error("prepare incident lookup");
    s.bind(1, id);
    s.bind(2, tenant.account);
    s.bind(3, tenant.region);
    const int rc = s.step();
    if (rc == SQLITE_DONE) return Status::not_found(fmt::format("incident {} not found", id));
    if (rc != SQLITE_ROW) return impl_->sql->error("incident lookup");
  }
  SqliteStmt s(impl_->sql->handle(),
               "SELECT seq, time_ms, type, text, author, data FROM timeline WHERE incident_id = "
               "?1 ORDER BY time_ms, seq");
  if (!s.ok()) return impl_->sql->error("prepare timeline query");
  s.bind(1, id);
  std::vector<TimelineEntry> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    TimelineEntry e;
    e.seq = s.integer(0);
    e.time_ms = s.integer(1);
    e.type = parse_timeline_type(s.text(2)).value_or(TimelineType::kNote);
    e.text = s.text(3);
    e.author = s.text(4);
    e.data_json = s.text(5);
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return impl_->sql->error("timeline query");
  return out;
}

Result<int64_t> IncidentStore::purge(int64_t cutoff_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto& sql = *impl_->sql;
  return sql.transaction([&]() -> Result<int64_t> {
    {
      SqliteStmt s(sql.handle(),
                   "DELETE FROM timeline WHERE incident_id IN (SELECT id FROM incidents WHERE "
                   "state = 'resolved' AND resolved_ms < ?1)");
      if (!s.ok()) return sql.error("prepare timeline purge");
      s.bind(1, cutoff_ms);
      if (s.step() != SQLITE_DONE) return sql.error("timeline purge");
    }
    int64_t deleted = 0;
    {
      SqliteStmt s(sql.handle(),
                   "DELETE FROM incidents WHERE state = 'resolved' AND resolved_ms < ?1");
      if (!s.ok()) return sql.error("prepare incident purge");
      s.bind(1, cutoff_ms);
      if (s.step() != SQLITE_DONE) return sql.error("incident purge");
      deleted = sqlite3_changes(sql.handle());
    }
    {
      SqliteStmt s(sql.handle(), "DELETE FROM cooccurrence WHERE last_ms < ?1");
      if (!s.ok()) return sql.error("prepare co-occurrence purge");
      s.bind(1, cutoff_ms);
      if (s.step() != SQLITE_DONE) return sql.error("co-occurrence purge");
    }
    return deleted;
  });
}

}  // namespace opsight::aiops
