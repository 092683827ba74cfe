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
#include "query/metricmath/json_codec.h"

namespace opsight::api {

// Parses, validates and runs one GetMetricData request (CloudWatch's JSON shape) for `tenant`
// and returns the response document. Shared by the native endpoint and the AWS front end
// (api/aws/cloudwatch/metric_ops.h). Errors as get_metric_data() and the JSON codec report them.
Result<std::string> get_metric_data_json(storage::MetricStore& store, const storage::Tenant& tenant,
                                         std::string_view json, int64_t now_ms,
                                         const query::metricmath::MetricMathOptions& options,
                                         query::metricmath::TimestampFormat format);

// `options` carries the limits and the anomaly model (ANOMALY_DETECTION_BAND); the default has
// no model, so that function answers with a clear error.
// The same over the tenants a request may read (api_util.h request_tenants(): the caller's
// tenant first, then its linked source accounts). A MetricStat query reads the caller's account,
// or its AccountId when that is one of `tenants` (InvalidParameterValue naming the query
// otherwise); a SEARCH expression without AccountId spans every tenant, with one its account.
Result<std::string> get_metric_data_json(storage::MetricStore& store,
                                         const std::vector<storage::Tenant>& tenants,
                                         std::string_view json, int64_t now_ms,
                                         const query::metricmath::MetricMathOptions& options,
                                         query::metricmath::TimestampFormat format);

void register_metrics_data_api(Router& router, const QueryDeps& deps,
                               query::metricmath::MetricMathOptions options = {});

}  // namespace opsight::api
