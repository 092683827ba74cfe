#pragma once
// Native metrics read endpoints:
//   GET|POST /api/v1/metrics/statistics  CloudWatch statistics per period for a selector
//   GET      /api/v1/export              raw samples as VictoriaMetrics JSON lines
//   POST     /api/v1/admin/compact       persist the head and compact now (operators, benchmarks)

#include <functional>
#include <string>

#include "api/http/http.h"
#include "common/clock.h"
#include "storage/metric_store.h"

namespace opsight::api {

struct QueryDeps {
  storage::MetricStore* store;
  Clock* clock;
  // Flushes and compacts the store; returns a JSON object describing the result.
  std::function<Result<std::string>()> compact;
  uint64_t max_export_samples = 50'000'000;
};

void register_metrics_query_api(Router& router, const QueryDeps& deps);

}  // namespace opsight::api
