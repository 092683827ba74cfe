#pragma once
// The AIOps part of the server configuration (server/config.h): `events:`, `incidents:`,
// `investigations:`, `watchers:`, `runbooks:` and `summarizer:` (docs/incidents.md,
// docs/respond.md).

#include <cstdint>

#include "aiops/correlate/correlator.h"
#include "aiops/respond/respond_settings.h"

namespace opsight::server {

// Config `events:`, `incidents:`, `investigations:`, `watchers:` (docs/incidents.md).
struct AiopsConfig {
  int64_t events_retention_ms = 90LL * 24 * 3600 * 1000;
  aiops::CorrelationOptions correlation;
  int64_t incident_quiet_period_ms = 10 * 60 * 1000;
  int64_t incident_retention_ms = 90LL * 24 * 3600 * 1000;
  int64_t investigation_retention_ms = 30LL * 24 * 3600 * 1000;
  int64_t investigation_deadline_ms = 10'000;
  int64_t investigation_max_spans = 3'000'000;
  bool watch_red = true;
  bool watch_logs = true;
  int64_t watch_interval_ms = 30'000;
  aiops::respond::RespondConfig respond;
};

}  // namespace opsight::server
