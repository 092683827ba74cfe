#pragma once
// The AIOps half of the server (issue 8; docs/incidents.md, docs/investigations.md,
// docs/events.md, docs/respond.md), kept out of server.cc:
//
//   alarm state changes ──► events.db (as events) ──┐
//   change events (API) ──► events.db ──────────────┤
//   RED watcher, log watcher (every interval) ──────┴─► IncidentService (correlation, incidents.db)
//   IncidentService changes ──► events.db, IncidentNotifier (alarm dispatcher) ──► timeline
//   POST /api/v1/investigations ──► investigate() over traces, metrics, logs, changes
//                                   ──► investigations.db (+ incident timeline)
//
// Order of use: open() -> alarm_event_sink() given to the AlarmService -> attach_dispatcher()
// before the alarm service starts its dispatcher -> register_routes() -> start(); stop() before
// the stores close.
//
// Thread safety: the sinks and routes may be called from any thread once open() returned;
// open/attach/start/stop are called by the server's start and shutdown thread only.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "alarm/alarm_service.h"
#include "api/http/http.h"
#include "common/clock.h"
#include "common/status.h"
#include "server/aiops_config.h"
#include "storage/log_store.h"
#include "storage/metric_store.h"
#include "storage/trace_store.h"

namespace opsight::server {

struct AiopsStores {
  storage::MetricStore* metrics = nullptr;
  storage::LogStore* logs = nullptr;
  storage::TraceStore* traces = nullptr;
  Clock* clock = Clock::real();
  std::string data_dir;
  std::string external_url;
  // The tenants the watchers look at (the default account and the accounts with keys).
  std::function<std::vector<storage::Tenant>()> tenants;
};

class AiopsServices {
 public:
  static Result<std::unique_ptr<AiopsServices>> open(const AiopsConfig& config, AiopsStores stores);
  ~AiopsServices();
  AiopsServices(const AiopsServices&) = delete;
  AiopsServices& operator=(const AiopsServices&) = delete;

  // For AlarmServiceOptions::event_sink: keeps the event and turns it into a signal.
  alarm::EventSink alarm_event_sink();
  // Incident notifications go through the alarm actions' dispatcher (retries, outbox).
  void attach_dispatcher(alarm::ActionDispatcher* dispatcher);
  void register_routes(api::Router& router);
  void start();
  void stop();  // idempotent

 private:
  struct Impl;
  explicit AiopsServices(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace opsight::server
