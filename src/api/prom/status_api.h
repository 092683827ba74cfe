#pragma once
// Prometheus's status, metadata and lifecycle endpoints:
//   GET      /api/v1/status/buildinfo   version (the Prometheus API version served), opsight's own
//   GET      /api/v1/status/tsdb        cardinality: series, top metrics and labels by series
//                                       count (?limit=, default 10)
//   GET      /api/v1/status/runtimeinfo start time, storage retention
//   GET      /api/v1/metadata           metric metadata (?metric=, ?limit=, ?limit_per_metric=)
//   GET|HEAD /-/healthy, /-/ready       Prometheus's probe answers (503 until ready)

#include <functional>

#include "api/http/http.h"
#include "common/clock.h"
#include "storage/metric_store.h"

namespace opsight::api {

struct PromStatusDeps {
  storage::MetricStore* store;
  Clock* clock;
  std::function<bool()> ready;
  int64_t start_time_ms = 0;
  int64_t retention_ms = 0;
};

void register_status_api(Router& router, const PromStatusDeps& deps);

}  // namespace opsight::api
