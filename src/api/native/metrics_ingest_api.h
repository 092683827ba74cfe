#pragma once
// Metrics ingest endpoints (all acknowledge only after the WAL made the data durable):
//   POST /api/v1/write          Prometheus remote write 1.0 (snappy + protobuf)
//   POST /v1/metrics            OTLP/HTTP metrics (protobuf or JSON, gzip)
//   POST /api/v1/metrics/put    CloudWatch PutMetricData (JSON)
//   POST /api/v1/import         VictoriaMetrics JSON lines
// Bad items are rejected by name and rule; the valid rest of the request is stored.

#include "api/http/http.h"
#include "common/clock.h"
#include "ingest/metric_batch.h"
#include "storage/metric_store.h"

namespace opsight::api {

struct IngestDeps {
  storage::MetricStore* store;
  ingest::Limits limits;
  Clock* clock;
};

void register_metrics_ingest_api(Router& router, const IngestDeps& deps);

}  // namespace opsight::api
