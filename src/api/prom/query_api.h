#pragma once
// The Prometheus query endpoints over the PromQL engine (query/promql), as Prometheus 2.42
// answers them (prometheus.io/docs/prometheus/latest/querying/api/):
//   GET|POST /api/v1/query        query, time (default now), timeout
//   GET|POST /api/v1/query_range  query, start, end, step, timeout
//   GET|POST /api/v1/query_exemplars  query, start, end: exemplars of the series its selectors
//                                     select (remote write and OTLP exemplars)
// POST takes the parameters form-encoded, as Grafana sends them. Results use Prometheus's JSON
// envelope (resultType vector|matrix|scalar|string, values as strings, timestamps as float
// seconds); errors carry its errorType: bad_data (400) for bad parameters and parse errors,
// execution (422) for evaluation errors and limits, timeout (503), canceled (499).
//
// At most `max_concurrent` queries run at once; beyond that a query is answered 503
// "unavailable" with Retry-After instead of queueing without bound.

#include <cstddef>

#include "api/http/http.h"
#include "common/clock.h"
#include "query/promql/engine.h"
#include "storage/metric_store.h"

namespace opsight::api {

struct PromQueryDeps {
  storage::MetricStore* store;
  Clock* clock;
  query::promql::EngineOptions engine;
  size_t max_concurrent = 20;
  // Prometheus refuses range queries of more than this many steps.
  size_t max_points_per_series = 11'000;
  // Longest accepted query text.
  size_t max_query_bytes = 64 * 1024;
};

void register_query_api(Router& router, const PromQueryDeps& deps);

}  // namespace opsight::api
