#pragma once
// Logs endpoints of the native API (docs/logs.md has an example for each):
//   ingest (acknowledged only once durable)
//     POST /api/v1/logs/put             PutLogEvents JSON (CloudWatch rules, rejectedLogEventsInfo)
//     POST /v1/logs                     OTLP/HTTP logs (protobuf or JSON, gzip)
//     POST /loki/api/v1/push            Loki push (snappy protobuf or JSON)
//     POST /api/v1/logs/import          NDJSON backfill (?group=&stream=)
//   management
//     GET|POST|DELETE /api/v1/logs/groups          (?prefix= | ?name=&retention= | ?name=)
//     PUT  /api/v1/logs/groups/retention           (?name=&days=, days=0 removes the policy)
//     GET|POST|DELETE /api/v1/logs/streams         (?group=&prefix= | ?group=&name=)
//   query
//     POST /api/v1/logs/query           Logs Insights (?query=&group=...&start=&end=&limit=)
//     GET  /api/v1/logs/query/:id       status, statistics, results (partial while running)
//     DELETE /api/v1/logs/query/:id     cancel
//     GET  /api/v1/logs/queries         this tenant's recent queries
//     GET|POST /api/v1/logs/filter      FilterLogEvents (?group=&pattern=&start=&end=&limit=)
//     GET  /api/v1/logs/patterns        log templates of a group and time range
// Errors: {"code": "<CloudWatch-style code>", "message": "..."} with the matching HTTP status.

#include "api/http/http.h"
#include "common/clock.h"
#include "ingest/logs/log_batch.h"
#include "ingest/logs/log_metrics_hook.h"
#include "ingest/metric_batch.h"
#include "query/insights/query_service.h"
#include "storage/log_store.h"
#include "storage/metric_store.h"

namespace opsight::api {

struct LogsDeps {
  storage::LogStore* logs;
  storage::MetricStore* metrics;  // EMF metrics go here
  query::insights::LogQueryService* queries;
  ingest::LogLimits log_limits;
  ingest::Limits metric_limits;
  Clock* clock;
  size_t max_pattern_lines = 200'000;
  // Metric filters applied to every log event written (null = none; log_metrics_hook.h).
  const ingest::logs::LogMetricsHook* metric_filters = nullptr;
};

void register_logs_api(Router& router, const LogsDeps& deps);

}  // namespace opsight::api
