// Online correlation into incidents: queue, batch, apply, persist, emit. See incident_service.h
// for the contract and correlator.h for the grouping rules.
#include "aiops/correlate/incident_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "aiops/correlate/incident_store.h"
#include "common/json_writer.h"
#include "events/event.h"

namespace opsight::aiops {
namespace {

constexpr std::string_view kAuthor = "opsight";
constexpr int64_t kPurgeIntervalMs = 3600 * 1000;
constexpr size_t kMaxRecentChanges = 1000;

std::string signal_entry_data(const Signal& s, const std::vector<std::string>& reasons) {
  json::Writer w(256);
  w.begin_object();
  w.kv("key", signal_key(s)).kv("kind", signal_kind_name(s.kind)).kv("source", s.source);
  w.kv("service", s.service).kv("state", s.state).kv("severity", s.severity);
  w.key("dimensions").begin_object();
  for (const auto& [k, v] : s.dimensions) w.kv(k, v);
  w.end_object();
  w.key("reasons").begin_array();
  for (const auto& r : reasons) w.value(r);
  w.end_array();
  w.end_object();
  return w.take();
}

TimelineEntry signal_entry(const Signal& s, const std::vector<std::string>& reasons) {
  TimelineEntry e;
  e.time_ms = s.time_ms;
  e.type = TimelineType::kSignal;
  if (!s.summary.empty()) {
    e.text = s.summary;
  } else {
    e.text = fmt::format("{} {}{}{}", signal_kind_name(s.kind), s.source,
                         s.state.empty() ? "" : " ", s.state);
  }
  e.author = std::string(kAuthor);
  e.data_json = signal_entry_data(s, reasons);
  return e;
}

TimelineEntry state_entry(int64_t now, IncidentState from, IncidentState to,
                          std::string_view author, std::string_view text) {
  TimelineEntry e;
  e.time_ms = now;
  e.type = TimelineType::kState;
  e.text = std::string(text);
  e.author = std::string(author);
  json::Writer w(64);
  w.begin_object()
      .kv("from", incident_state_name(from))
      .kv("to", incident_state_name(to))
      .end_object();
  e.data_json = w.take();
  return e;
}

}  // namespace

struct IncidentService::Impl {
  IncidentServiceOptions opt;
  std::unique_ptr<IncidentStore> store;

  // The queue (submit side).
  mutable std::mutex q_mu;
  std::vector<Signal> queue;  // guarded by q_mu
  uint64_t submitted = 0;     // guarded by q_mu
  uint64_t dropped = 0;       // guarded by q_mu

  // Correlation state. Held during a whole batch (including its commit) and every transition,
  // so the store sees the changes in the order they were made.
  mutable std::mutex mu;
  std::map<std::string, Incident> active;      // id -> open/acknowledged incident
  std::map<std::string, int64_t> received_ms;  // id -> clock time of its last signal
  std::map<storage::Tenant, CooccurrenceIndex> history;
  std::map<storage::Tenant, std::deque<Signal>> recent_changes;  // unattached changes
  IncidentStats stats;  // submitted/dropped/pending/active filled in by stats()
  int64_t last_purge_ms = 0;
  std::mt19937_64 rng;

  // The worker.
  std::mutex w_mu;
  std::condition_variable w_cv;
  bool w_stop = false;  // guarded by w_mu
  std::thread worker;

  int64_t now() const { return opt.clock->now_ms(); }

  std::string new_id() {
    for (;;) {
      std::string id = fmt::format("inc-{:012x}", rng() & 0xffffffffffffULL);
      if (!active.contains(id)) return id;
    }
  }

  // previous: nullopt for a new incident (previousState null).
  events::Event make_event(const Incident& inc, std::optional<IncidentState> previous,
                           std::string_view change) {
    events::Event ev;
    ev.id = events::new_event_id();
    ev.source = std::string(kIncidentEventSource);
    ev.detail_type = std::string(kIncidentEventDetailType);
    ev.time_ms = now();
    ev.tenant = inc.tenant;
    ev.resources.push_back("incident/" + inc.id);
    json::Writer w(256);
    w.begin_object();
    w.kv("incidentId", inc.id);
    w.kv("state", incident_state_name(inc.state));
    w.key("previousState");
    if (previous) {
      w.value(incident_state_name(*previous));
    } else {
      w.null();
    }
    w.kv("title", inc.title);
    w.key("services").begin_array();
    for (const auto& s : inc.services) w.value(s);
    w.end_array();
    w.kv("severity", inc.severity);
    w.kv("signalCount", inc.signal_count);
    w.kv("change", change);
    w.end_object();
    ev.detail_json = w.take();
    return ev;
  }

  // Co-occurrence pairs of a resolving incident into the index and the batch.
  void record_cooccurrence(const Incident& inc, IncidentBatch& batch) {
    std::vector<const IncidentKey*> keys;
    for (const auto& [_, k] : inc.keys) {
      if (k.kind != SignalKind::kChange) keys.push_back(&k);
    }
    std::sort(keys.begin(), keys.end(), [](const IncidentKey* a, const IncidentKey* b) {
      return a->first_ms != b->first_ms ? a->first_ms < b->first_ms : a->key < b->key;
    });
    if (keys.size() > opt.max_cooccurrence_keys) keys.resize(opt.max_cooccurrence_keys);
    CooccurrenceIndex& index = history[inc.tenant];
    for (size_t i = 0; i < keys.size(); i++) {
      for (size_t j = i + 1; j < keys.size(); j++) {
        index.add(keys[i]->key, keys[j]->key);
        batch.cooccurred.push_back({inc.tenant, keys[i]->key, keys[j]->key, inc.resolved_ms});
      }
    }
  }

  Status load() {
    ASSIGN_OR_RETURN(std::vector<Incident> incidents, store->load_active());
    for (auto& inc : incidents) {
      received_ms[inc.id] = inc.updated_ms;
      active.emplace(inc.id, std::move(inc));
    }
    return load_history();
  }

  Status load_history() {
    ASSIGN_OR_RETURN(auto rows, store->load_cooccurrence());
    history.clear();
    for (const auto& r : rows) history[r.tenant].add(r.key_a, r.key_b, r.count);
    return OkStatus();
  }

  void emit(const std::vector<events::Event>& evs) {
    if (!opt.on_event) return;
    for (const auto& ev : evs) opt.on_event(ev);
  }
};

IncidentService::IncidentService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

IncidentService::~IncidentService() {
  stop();
}

Result<std::unique_ptr<IncidentService>> IncidentService::open(IncidentServiceOptions options) {
  if (options.db_path.empty())
    return Status::invalid_argument("incident service: db_path is empty");
  if (options.clock == nullptr) options.clock = Clock::real();
  if (options.correlation.window_ms < 0 || options.correlation.max_hops < 0) {
    return Status::invalid_argument(
        "incident service: correlation window and max_hops must not be negative");
  }
  if (options.quiet_period_ms <= 0 || options.retention_ms <= 0) {
    return Status::invalid_argument(
        "incident service: quiet_period_ms and retention_ms must be positive");
  }
  auto impl = std::make_unique<Impl>();
  impl->opt = std::move(options);
  impl->rng.seed(std::random_device{}() ^ static_cast<uint64_t>(impl->opt.clock->mono_ns()));
  ASSIGN_OR_RETURN(impl->store, IncidentStore::open(impl->opt.db_path));
  RETURN_IF_ERROR(impl->load());
  return std::unique_ptr<IncidentService>(new IncidentService(std::move(impl)));
}

bool IncidentService::submit(Signal signal) {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.q_mu);
  if (m.queue.size() >= m.opt.max_pending) {
    m.dropped++;
    return false;
  }
  m.queue.push_back(std::move(signal));
  m.submitted++;
  return true;
}

size_t IncidentService::process_pending() {
  Impl& m = *impl_;
  std::vector<Signal> batch;
  {
    std::lock_guard<std::mutex> lock(m.q_mu);
    batch.swap(m.queue);
  }
  if (batch.empty()) return 0;

  // The topology of each tenant, asked without the lock.
  std::map<storage::Tenant, Topology> topologies;
  for (const auto& s : batch) {
    if (topologies.contains(s.tenant)) continue;
    topologies.emplace(s.tenant, m.opt.topology ? Topology(m.opt.topology(s.tenant)) : Topology());
  }

  std::vector<events::Event> evs;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    const int64_t now = m.now();
    const CorrelationOptions& copt = m.opt.correlation;
    std::map<storage::Tenant, std::vector<const Incident*>> open;
    for (const auto& [_, inc] : m.active) open[inc.tenant].push_back(&inc);
    // id -> (change, previous state), in first-touch order.
    std::vector<std::pair<std::string, std::string_view>> changes;
    std::set<std::string> touched;
    std::set<std::string> dirty;
    IncidentBatch wb;

    auto note_change = [&](const Incident& inc, std::string_view change) {
      if (touched.insert(inc.id).second) changes.emplace_back(inc.id, change);
    };

    for (Signal& s : batch) {
      m.stats.processed++;
      if (s.time_ms == 0) s.time_ms = now;
      if (s.source.empty()) {
        m.stats.ignored++;
        continue;
      }
      std::vector<const Incident*>& candidates = open[s.tenant];
      const Topology& topo = topologies[s.tenant];
      const CooccurrenceIndex& hist = m.history[s.tenant];
      CorrelationDecision d = correlate(s, candidates, topo, hist, copt);
      switch (d.action) {
        case CorrelationDecision::Action::kIgnore: {
          m.stats.ignored++;
          if (s.kind == SignalKind::kChange) {
            auto& recent = m.recent_changes[s.tenant];
            while (!recent.empty() && (recent.size() >= kMaxRecentChanges ||
                                       recent.front().time_ms < s.time_ms - copt.window_ms)) {
              recent.pop_front();
            }
            recent.push_back(s);
          }
          break;
        }
        case CorrelationDecision::Action::kOpen: {
          Incident fresh;
          fresh.id = m.new_id();
          fresh.tenant = s.tenant;
          fresh.state = IncidentState::kOpen;
          fresh.title = incident_title(s);
          fresh.opened_ms = now;
          fresh.updated_ms = now;
          auto [it, _] = m.active.emplace(fresh.id, std::move(fresh));
          Incident& inc = it->second;
          apply_signal(inc, s);
          wb.entries.emplace_back(inc.id, signal_entry(s, d.reasons));
          // Changes shortly before (or after) that relate to it join it too.
          auto rc = m.recent_changes.find(s.tenant);
          if (rc != m.recent_changes.end()) {
            auto& recent = rc->second;
            for (auto c = recent.begin(); c != recent.end();) {
              std::vector<std::string> why;
              const int64_t gap = std::abs(c->time_ms - s.time_ms);
              if (gap <= copt.window_ms && relation_score(*c, inc, topo, hist, copt, &why) > 0) {
                apply_signal(inc, *c);
                wb.entries.emplace_back(inc.id, signal_entry(*c, why));
                c = recent.erase(c);
              } else {
                ++c;
              }
            }
          }
          m.received_ms[inc.id] = now;
          candidates.push_back(&inc);
          dirty.insert(inc.id);
          note_change(inc, "opened");
          m.stats.opened++;
          break;
        }
        case CorrelationDecision::Action::kJoin: {
          Incident& inc = m.active.at(candidates[d.index]->id);
          const bool entry = apply_signal(inc, s);
          inc.updated_ms = now;
          m.received_ms[inc.id] = now;
          dirty.insert(inc.id);
          m.stats.joined++;
          if (entry) {
            wb.entries.emplace_back(inc.id, signal_entry(s, d.reasons));
            note_change(inc, "signal_added");
          } else {
            m.stats.deduplicated++;
          }
          break;
        }
      }
    }
    for (const auto& id : dirty) wb.incidents.push_back(m.active.at(id));
    if (!wb.empty()) {
      m.stats.batches++;
      if (Status st = m.store->commit(wb); !st.ok()) m.stats.store_errors++;
    }
    for (const auto& [id, change] : changes) {
      const Incident& inc = m.active.at(id);
      evs.push_back(m.make_event(
          inc, change == "opened" ? std::nullopt : std::optional<IncidentState>(inc.state),
          change));
    }
  }
  m.emit(evs);
  return batch.size();
}

Result<std::vector<Incident>> IncidentService::list(const storage::Tenant& tenant,
                                                    const IncidentQuery& query) {
  return impl_->store->list(tenant, query);
}

Result<Incident> IncidentService::get(const storage::Tenant& tenant, const std::string& id) {
  return impl_->store->get(tenant, id);
}

Result<std::vector<TimelineEntry>> IncidentService::timeline(const storage::Tenant& tenant,
                                                             const std::string& id) {
  return impl_->store->timeline(tenant, id);
}

namespace {

std::string with_note(std::string text, const std::string& note) {
  if (!note.empty()) text += ": " + note;
  return text;
}

}  // namespace

Status IncidentService::acknowledge(const storage::Tenant& tenant, const std::string& id,
                                    std::string author, std::string note) {
  Impl& m = *impl_;
  events::Event ev;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    auto it = m.active.find(id);
    if (it == m.active.end() || it->second.tenant != tenant) {
      ASSIGN_OR_RETURN(Incident stored, m.store->get(tenant, id));
      return Status::failed_precondition(
          fmt::format("incident {} is {}; only an open incident can be acknowledged", id,
                      incident_state_name(stored.state)));
    }
    Incident& inc = it->second;
    if (inc.state != IncidentState::kOpen) {
      return Status::failed_precondition(
          fmt::format("incident {} is {}; only an open incident can be acknowledged", id,
                      incident_state_name(inc.state)));
    }
    const Incident before = inc;
    const int64_t now = m.now();
    inc.state = IncidentState::kAcknowledged;
    inc.updated_ms = now;
    IncidentBatch wb;
    wb.incidents.push_back(inc);
    wb.entries.emplace_back(
        id, state_entry(now, IncidentState::kOpen, IncidentState::kAcknowledged, author,
                        with_note(fmt::format("acknowledged by {}", author), note)));
    if (Status st = m.store->commit(wb); !st.ok()) {
      inc = before;
      m.stats.store_errors++;
      return st;
    }
    ev = m.make_event(inc, IncidentState::kOpen, "acknowledged");
  }
  m.emit({ev});
  return OkStatus();
}

Status IncidentService::resolve(const storage::Tenant& tenant, const std::string& id,
                                std::string author, std::string note) {
  Impl& m = *impl_;
  events::Event ev;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    auto it = m.active.find(id);
    if (it == m.active.end() || it->second.tenant != tenant) {
      ASSIGN_OR_RETURN(Incident stored, m.store->get(tenant, id));
      return Status::failed_precondition(
          fmt::format("incident {} is {}; only an open or acknowledged incident can be resolved",
                      id, incident_state_name(stored.state)));
    }
    Incident inc = it->second;
    const IncidentState previous = inc.state;
    const int64_t now = m.now();
    inc.state = IncidentState::kResolved;
    inc.updated_ms = now;
    inc.resolved_ms = now;
    IncidentBatch wb;
    wb.incidents.push_back(inc);
    wb.entries.emplace_back(id,
                            state_entry(now, previous, IncidentState::kResolved, author,
                                        with_note(fmt::format("resolved by {}", author), note)));
    const CooccurrenceIndex saved = m.history[inc.tenant];
    m.record_cooccurrence(inc, wb);
    if (Status st = m.store->commit(wb); !st.ok()) {
      m.history[inc.tenant] = saved;
      m.stats.store_errors++;
      return st;
    }
    m.active.erase(it);
    m.received_ms.erase(id);
    m.stats.resolved++;
    ev = m.make_event(inc, previous, "resolved");
  }
  m.emit({ev});
  return OkStatus();
}

Status IncidentService::annotate(const storage::Tenant& tenant, const std::string& id,
                                 std::string author, std::string text) {
  if (text.empty()) {
    return Status::invalid_argument(fmt::format("annotation of incident {}: text is empty", id));
  }
  Impl& m = *impl_;
  events::Event ev;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    const int64_t now = m.now();
    Incident inc;
    auto it = m.active.find(id);
    if (it != m.active.end() && it->second.tenant == tenant) {
      inc = it->second;
    } else {
      ASSIGN_OR_RETURN(inc, m.store->get(tenant, id));
    }
    inc.updated_ms = now;
    TimelineEntry e;
    e.time_ms = now;
    e.type = TimelineType::kNote;
    e.text = std::move(text);
    e.author = std::move(author);
    IncidentBatch wb;
    wb.incidents.push_back(inc);
    wb.entries.emplace_back(id, std::move(e));
    if (Status st = m.store->commit(wb); !st.ok()) {
      m.stats.store_errors++;
      return st;
    }
    if (it != m.active.end() && it->second.tenant == tenant) it->second.updated_ms = now;
    ev = m.make_event(inc, inc.state, "annotated");
  }
  m.emit({ev});
  return OkStatus();
}

Status IncidentService::add_entry(const storage::Tenant& tenant, const std::string& id,
                                  TimelineEntry entry) {
  Impl& m = *impl_;
  if (entry.data_json.empty()) entry.data_json = "{}";
  if (entry.data_json.front() != '{') {
    return Status::invalid_argument(
        fmt::format("timeline entry of incident {}: data must be a JSON object", id));
  }
  std::lock_guard<std::mutex> lock(m.mu);
  auto it = m.active.find(id);
  if (it == m.active.end() || it->second.tenant != tenant) {
    RETURN_IF_ERROR(m.store->get(tenant, id).status());
  }
  if (entry.time_ms == 0) entry.time_ms = m.now();
  if (entry.author.empty()) entry.author = std::string(kAuthor);
  IncidentBatch wb;
  wb.entries.emplace_back(id, std::move(entry));
  if (Status st = m.store->commit(wb); !st.ok()) {
    m.stats.store_errors++;
    return st;
  }
  return OkStatus();
}

size_t IncidentService::run_maintenance() {
  Impl& m = *impl_;
  std::vector<events::Event> evs;
  size_t done = 0;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    const int64_t now = m.now();
    IncidentBatch wb;
    std::vector<std::pair<std::string, IncidentState>> resolving;
    for (const auto& [id, inc] : m.active) {
      if (inc.active_alarms > 0) continue;
      const int64_t last = std::max(inc.last_signal_ms, m.received_ms[id]);
      if (now - last < m.opt.quiet_period_ms) continue;
      resolving.emplace_back(id, inc.state);
    }
    const auto saved = m.history;
    for (const auto& [id, previous] : resolving) {
      Incident inc = m.active.at(id);
      inc.state = IncidentState::kResolved;
      inc.updated_ms = now;
      inc.resolved_ms = now;
      wb.entries.emplace_back(
          id, state_entry(now, previous, IncidentState::kResolved, kAuthor,
                          fmt::format("resolved automatically: no alarm in ALARM and no signal "
                                      "for {} s",
                                      m.opt.quiet_period_ms / 1000)));
      m.record_cooccurrence(inc, wb);
      wb.incidents.push_back(std::move(inc));
    }
    if (!wb.empty()) {
      if (Status st = m.store->commit(wb); !st.ok()) {
        m.history = saved;
        m.stats.store_errors++;
      } else {
        for (size_t i = 0; i < resolving.size(); i++) {
          evs.push_back(m.make_event(wb.incidents[i], resolving[i].second, "auto_resolved"));
          m.active.erase(resolving[i].first);
          m.received_ms.erase(resolving[i].first);
        }
        m.stats.auto_resolved += resolving.size();
        done += resolving.size();
      }
    }
    if (m.last_purge_ms == 0 || now - m.last_purge_ms >= kPurgeIntervalMs) {
      m.last_purge_ms = now;
      auto purged = m.store->purge(now - m.opt.retention_ms);
      if (!purged.ok()) {
        m.stats.store_errors++;
      } else if (*purged > 0) {
        m.stats.purged += static_cast<uint64_t>(*purged);
        done += static_cast<size_t>(*purged);
        if (!m.load_history().ok()) m.stats.store_errors++;
      }
    }
  }
  m.emit(evs);
  return done;
}

void IncidentService::start() {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.w_mu);
  if (m.worker.joinable()) return;
  m.w_stop = false;
  m.worker = std::thread([this] {
    Impl& w = *impl_;
    std::unique_lock<std::mutex> lk(w.w_mu);
    while (!w.w_stop) {
      lk.unlock();
      process_pending();
      run_maintenance();
      lk.lock();
      w.w_cv.wait_for(lk, std::chrono::milliseconds(w.opt.worker_interval_ms),
                      [&] { return w.w_stop; });
    }
  });
}

void IncidentService::stop() {
  Impl& m = *impl_;
  std::thread t;
  {
    std::lock_guard<std::mutex> lock(m.w_mu);
    m.w_stop = true;
    t = std::move(m.worker);
  }
  m.w_cv.notify_all();
  if (t.joinable()) t.join();
  process_pending();
}

IncidentStats IncidentService::stats() const {
  const Impl& m = *impl_;
  IncidentStats s;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    s = m.stats;
    s.active = m.active.size();
  }
  std::lock_guard<std::mutex> lock(m.q_mu);
  s.submitted = m.submitted;
  s.dropped = m.dropped;
  s.pending = m.queue.size();
  return s;
}

}  // namespace opsight::aiops
