#pragma once
// Prometheus HTTP API metadata endpoints over the storage contract:
//   GET|POST /api/v1/series?match[]=...&start=&end=
//   GET|POST /api/v1/labels[?match[]=...]
//   GET      /api/v1/label/<name>/values[?match[]=...]
// with Prometheus's JSON envelope and error types.

#include "api/http/http.h"
#include "common/clock.h"
#include "storage/metric_store.h"

namespace opsight::api {

void register_series_api(Router& router, storage::MetricStore* store, Clock* clock);

}  // namespace opsight::api
