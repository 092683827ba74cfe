#pragma once
// Native CloudWatch GetMetricData endpoint (Metric Math; docs/metric-math.md):
//   POST /api/v1/metrics/data   body: a GetMetricData request in CloudWatch's JSON shape
//                               (query/metricmath/json_codec.h); response: the result in the
//                               same shape. ?timestamps=iso returns RFC 3339 strings instead
//                               of epoch seconds. Errors: {"error": "...", "code": "..."} with
//                               400 (bad request, naming the query and rule), 429 (limits).
// Requests act for request_tenant(req). The handler is thread-safe (one querier per request).

#include "api/http/http.h"
#include "api/native/metrics_query_api.h"
#include "query/metricmath/get_metric_data.h"

namespace opsight::api {

// `options` carries the limits and the anomaly model (ANOMALY_DETECTION_BAND); the default has
// no model, so that function answers with a clear error.
void register_metrics_data_api(Router& router, const QueryDeps& deps,
                               query::metricmath::MetricMathOptions options = {});

}  // namespace opsight::api
