#include "server/aiops_services.h"

#include <map>
#include <mutex>

#include "aiops/correlate/alarm_signal.h"
#include "aiops/correlate/incident_service.h"
#include "aiops/investigate/investigation_store.h"
#include "aiops/investigate/investigator.h"
#include "aiops/respond/incident_notifier.h"
#include "aiops/respond/runbooks.h"
#include "aiops/respond/summarizer.h"
#include "aiops/watch/log_watcher.h"
#include "aiops/watch/red_watcher.h"
#include "api/native/events_api.h"
#include "api/native/incidents_api.h"
#include "api/native/investigations_api.h"
#include "apm/service_graph.h"
#include "common/background_worker.h"
#include "common/env.h"
#include "common/logging.h"
#include "events/event.h"
#include "events/event_store.h"

namespace opsight::server {

namespace {

constexpr int64_t kTopologyRefreshMs = 60'000;
constexpr int64_t kTopologyRangeMs = 3'600'000;

// The undirected service map of the last hour per tenant, rebuilt at most once a minute.
class TopologyCache {
 public:
  TopologyCache(storage::TraceStore* traces, Clock* clock) : traces_(traces), clock_(clock) {}

  std::vector<std::pair<std::string, std::string>> edges(const storage::Tenant& tenant) {
    const int64_t now = clock_->now_ms();
    std::lock_guard lock(mu_);
    Entry& e = cache_[tenant];
    if (e.built_ms != 0 && now - e.built_ms < kTopologyRefreshMs) return e.edges;
    e.built_ms = now;
    e.edges.clear();
    if (!traces_) return e.edges;
    apm::ServiceGraphOptions o;
    o.max_spans = 200'000;
    o.deadline_ms = 2'000;
    auto graph = apm::build_service_graph(traces_, tenant, (now - kTopologyRangeMs) * 1'000'000,
                                          now * 1'000'000, o, clock_);
    if (!graph.ok()) {
      log::warn("incident topology: {}", graph.status().message());
      return e.edges;
    }
    for (const apm::GraphEdge& edge : graph->edges) e.edges.emplace_back(edge.source, edge.target);
    return e.edges;
  }

 private:
  struct Entry {
    int64_t built_ms = 0;
    std::vector<std::pair<std::string, std::string>> edges;
  };
  storage::TraceStore* traces_;
  Clock* clock_;
  std::mutex mu_;
  std::map<storage::Tenant, Entry> cache_;
};

}  // namespace

struct AiopsServices::Impl {
  AiopsConfig config;
  AiopsStores stores;
  std::unique_ptr<events::EventStore> events;
  std::unique_ptr<TopologyCache> topology;
  std::unique_ptr<aiops::IncidentService> incidents;
  std::unique_ptr<aiops::InvestigationStore> investigations;
  std::unique_ptr<aiops::respond::RunbookRunner> runbooks;
  std::unique_ptr<aiops::respond::Summarizer> summarizer;
  std::unique_ptr<aiops::respond::IncidentNotifier> notifier;  // after attach_dispatcher
  std::unique_ptr<aiops::watch::RedWatcher> red;
  std::unique_ptr<aiops::watch::LogWatcher> log_watch;
  std::unique_ptr<BackgroundWorker> watch_worker;  // watchers' passes
  std::unique_ptr<BackgroundWorker> purge_worker;  // event and investigation retention
  bool stopped = false;

  // Every event opsight makes is kept; a failure is logged (the change itself already happened).
  void keep_event(const events::Event& e) {
    if (Status st = events->put(e); !st.ok()) log::warn("event store: {}", st.message());
  }

  void on_incident_event(const events::Event& e) {
    keep_event(e);
    if (notifier) notifier->on_event(e);
  }

  void watch_pass() {
    const int64_t now = stores.clock->now_ms();
    if (red) {
      if (Status st = red->run_once(now); !st.ok()) log::warn("RED watcher: {}", st.message());
    }
    if (log_watch) {
      if (Status st = log_watch->run_once(now); !st.ok()) {
        log::warn("log watcher: {}", st.message());
      }
    }
  }

  void purge() {
    const int64_t now = stores.clock->now_ms();
    if (auto n = events->purge_expired(now); !n.ok()) log::warn("events: {}", n.status().message());
    if (auto n = investigations->purge_expired(now); !n.ok()) {
      log::warn("investigations: {}", n.status().message());
    }
  }
};

AiopsServices::AiopsServices(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AiopsServices::~AiopsServices() {
  stop();
}

Result<std::unique_ptr<AiopsServices>> AiopsServices::open(const AiopsConfig& config,
                                                           AiopsStores stores) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->stores = std::move(stores);
  Impl* self = impl.get();
  const std::string& dir = impl->stores.data_dir;

  events::EventStoreOptions eo;
  eo.path = join_path(dir, "events.db");
  eo.retention_ms = config.events_retention_ms;
  ASSIGN_OR_RETURN(impl->events, events::EventStore::open(eo));

  impl->topology = std::make_unique<TopologyCache>(impl->stores.traces, impl->stores.clock);
  aiops::IncidentServiceOptions io;
  io.db_path = join_path(dir, "incidents.db");
  io.clock = impl->stores.clock;
  io.correlation = config.correlation;
  io.quiet_period_ms = config.incident_quiet_period_ms;
  io.retention_ms = config.incident_retention_ms;
  io.topology = [self](const storage::Tenant& t) { return self->topology->edges(t); };
  io.on_event = [self](const events::Event& e) { self->on_incident_event(e); };
  ASSIGN_OR_RETURN(impl->incidents, aiops::IncidentService::open(std::move(io)));

  ASSIGN_OR_RETURN(impl->investigations,
                   aiops::InvestigationStore::open(join_path(dir, "investigations.db"),
                                                   config.investigation_retention_ms));

  aiops::respond::RunbookRunnerOptions ro;
  ro.clock = impl->stores.clock;
  ro.audit = [self](const events::Event& e) { self->keep_event(e); };
  impl->runbooks =
      std::make_unique<aiops::respond::RunbookRunner>(config.respond.runbooks, std::move(ro));
  impl->summarizer = std::make_unique<aiops::respond::Summarizer>(config.respond.summarizer);

  aiops::watch::SignalSink sink = [self](aiops::Signal s) {
    return self->incidents->submit(std::move(s));
  };
  if (config.watch_red && impl->stores.metrics) {
    aiops::watch::RedWatcherOptions o;
    if (impl->stores.tenants) o.tenants = impl->stores.tenants;
    impl->red = std::make_unique<aiops::watch::RedWatcher>(impl->stores.metrics, sink, o);
  }
  if (config.watch_logs && impl->stores.logs) {
    aiops::watch::LogWatcherOptions o;
    if (impl->stores.tenants) o.tenants = impl->stores.tenants;
    impl->log_watch = std::make_unique<aiops::watch::LogWatcher>(impl->stores.logs, sink, o);
  }
  return std::unique_ptr<AiopsServices>(new AiopsServices(std::move(impl)));
}

alarm::EventSink AiopsServices::alarm_event_sink() {
  Impl* self = impl_.get();
  return [self](const storage::Tenant& tenant, const std::string& event_json) {
    auto event = events::parse_event_json(event_json);
    if (event.ok()) {
      event->tenant = tenant;
      self->keep_event(*event);
    }
    auto signal = aiops::signal_from_alarm_event(tenant, event_json);
    if (!signal.ok()) {
      log::warn("alarm event -> signal: {}", signal.status().message());
      return;
    }
    if (!self->incidents->submit(std::move(*signal))) {
      log::warn("incidents: the signal queue is full; an alarm change was not correlated");
    }
  };
}

void AiopsServices::attach_dispatcher(alarm::ActionDispatcher* dispatcher) {
  if (impl_->config.respond.notify.empty()) return;
  Impl* self = impl_.get();
  aiops::respond::NotifierOptions o;
  o.targets = impl_->config.respond.notify;
  o.external_url = impl_->stores.external_url;
  o.on_delivery = [self](const aiops::respond::DeliveryReport& r) {
    aiops::TimelineEntry e;
    e.time_ms = r.time_ms;
    e.type = aiops::TimelineType::kAction;
    e.author = "opsight";
    e.text = r.timeline_text();
    e.data_json = r.data_json();
    if (Status st = self->incidents->add_entry(r.tenant, r.incident_id, std::move(e)); !st.ok()) {
      log::warn("incident {}: {}", r.incident_id, st.message());
    }
  };
  impl_->notifier = std::make_unique<aiops::respond::IncidentNotifier>(dispatcher, std::move(o));
}

void AiopsServices::register_routes(api::Router& router) {
  Impl* self = impl_.get();
  api::register_events_api(router, api::EventsDeps{self->events.get(), self->stores.clock});
  api::register_incidents_api(
      router, api::IncidentsDeps{self->incidents.get(), self->runbooks.get(), self->stores.clock});
  api::InvestigationsDeps d;
  d.sources = aiops::InvestigatorSources{self->stores.traces, self->stores.logs,
                                         self->stores.metrics, self->events.get()};
  d.options.deadline_ms = self->config.investigation_deadline_ms;
  d.options.max_spans = static_cast<size_t>(self->config.investigation_max_spans);
  d.store = self->investigations.get();
  d.incidents = self->incidents.get();
  d.summarizer = self->summarizer.get();
  d.clock = self->stores.clock;
  api::register_investigations_api(router, d);
}

void AiopsServices::start() {
  Impl* self = impl_.get();
  self->incidents->start();
  if (self->red || self->log_watch) {
    self->watch_worker = std::make_unique<BackgroundWorker>(
        std::chrono::milliseconds(std::max<int64_t>(1'000, self->config.watch_interval_ms)),
        [self] { self->watch_pass(); });
  }
  self->purge_worker =
      std::make_unique<BackgroundWorker>(std::chrono::minutes(10), [self] { self->purge(); });
}

void AiopsServices::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->watch_worker.reset();
  impl_->purge_worker.reset();
  impl_->incidents->stop();
}

}  // namespace opsight::server
