#pragma once
// CloudWatch GetMetricData over a storage::Querier: MetricStat queries, Metric Math expressions,
// labels, ScanBy and pagination, following the API reference (docs.aws.amazon.com/
// AmazonCloudWatch/latest/APIReference/API_GetMetricData.html, API_MetricDataQuery.html,
// API_MetricStat.html, API_MetricDataResult.html, API_LabelOptions.html) and the user guide
// ("Use metric math", "Use dynamic labels").
//
// Design:
// - Validation first (every rule names the query: `query "e1": ...`): 1..max_queries queries;
//   Id matches ^[a-z][a-zA-Z0-9_]*$ (<= 255 chars) and is unique; exactly one of MetricStat and
//   Expression; MetricStat has Namespace, MetricName, <= 30 dimensions with unique non-empty
//   names, a valid Stat (query/stats) and Period 1, 5, 10, 30 or a multiple of 60 seconds;
//   Expression <= 2048 characters, parses, references only ids of the request, and the
//   references form no cycle; StartTime < EndTime; MaxDatapoints >= 1 when given; Timezone
//   "+HHMM" / "-HHMM".
// - Evaluation in dependency order: a MetricStat reads the metric whose labels are exactly
//   {__name__=MetricName, Namespace, dimensions} (metric_fetch.h) into per-period points over
//   [StartTime, EndTime) (periods aligned to multiples of Period since the epoch); an expression
//   is evaluated by evaluator.h. A scalar result becomes a constant series over the period grid.
//   The grid period of an expression is its Period, else the smallest MetricStat Period of the
//   request, else 60 s.
// - Results (ReturnData true, request order): one MetricDataResult per series; an array gives
//   several results with the same Id (an empty array gives one empty result). Labels: the
//   query's Label, else the metric name for a MetricStat and the Id for an expression; an array
//   element has its own label (SEARCH: dimension values), prefixed by the query's Label when
//   there is one. Labels with ${...} are dynamic labels (dynamic_label.h).
// - Timestamps newest first (TimestampDescending, the default) or oldest first.
// - Pagination: the datapoints of all results, in result order, are cut into pages of
//   MaxDatapoints (default 100,800). A result with points on a later page has StatusCode
//   PartialData; NextToken resumes (it is bound to the request: another request's token is
//   InvalidArgument). Pages are recomputed per call, not a snapshot.
//
// Thread safety: get_metric_data uses the querier from the calling thread only; the options'
// anomaly_band callback is called on that thread.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "query/metricmath/evaluator.h"
#include "query/metricmath/time_series.h"
#include "storage/metric_store.h"

namespace opsight::query::metricmath {

struct Dimension {
  std::string name;
  std::string value;
};

struct MetricId {
  std::string namespace_name;
  std::string metric_name;
  std::vector<Dimension> dimensions;
};

struct MetricStat {
  MetricId metric;
  int64_t period_s = 0;
  std::string stat;
  std::string unit;  // optional: only data recorded with this unit
};

struct MetricDataQuery {
  std::string id;
  std::optional<MetricStat> metric_stat;
  std::string expression;  // set iff !metric_stat
  std::string label;
  bool return_data = true;
  int64_t period_s = 0;    // expressions: grid period; 0 = unset
  std::string account_id;  // optional: only series of this account
};

enum class ScanBy { kTimestampDescending, kTimestampAscending };

struct GetMetricDataRequest {
  std::vector<MetricDataQuery> queries;
  int64_t start_ms = 0;  // inclusive
  int64_t end_ms = 0;    // exclusive
  std::string next_token;
  ScanBy scan_by = ScanBy::kTimestampDescending;
  int64_t max_datapoints = 0;  // 0 = the default (100,800)
  std::string timezone;        // LabelOptions.Timezone, "+HHMM" or "-HHMM"; "" = +0000
};

struct MessageData {
  std::string code;
  std::string value;
};

enum class StatusCode { kComplete, kPartialData };
const char* status_code_name(StatusCode c);  // "Complete", "PartialData"

struct MetricDataResult {
  std::string id;
  std::string label;
  std::vector<int64_t> timestamps;  // ms, in ScanBy order
  std::vector<double> values;
  StatusCode status = StatusCode::kComplete;
  std::vector<MessageData> messages;
};

struct GetMetricDataResult {
  std::vector<MetricDataResult> results;
  std::string next_token;  // empty: last page
  std::vector<MessageData> messages;
};

struct MetricMathOptions {
  // The anomaly model for ANOMALY_DETECTION_BAND; empty: the function fails with a clear error.
  AnomalyBandFn anomaly_band;
  // Optional: the anomaly model of one tenant (it honours that tenant's anomaly detector
  // settings, alarm/anomaly_detectors.h). Callers that know the caller's tenant apply it with
  // for_tenant(); when empty, anomaly_band is used as it is.
  std::function<AnomalyBandFn(const storage::Tenant&)> tenant_anomaly_band;
  size_t max_queries = 500;
  size_t max_expression_length = 2048;
  size_t max_search_series = 500;
  size_t max_datapoints_per_series = 100'800;
  // All points computed for one request (before pagination); more is ResourceExhausted.
  size_t max_total_datapoints = 10'000'000;
  int64_t default_max_datapoints = 100'800;
};

// `opts` with anomaly_band = tenant_anomaly_band(tenant) when that is set.
MetricMathOptions for_tenant(MetricMathOptions opts, const storage::Tenant& tenant);

// Checks the rules listed above without reading data. InvalidArgument names the query.
Status validate_get_metric_data(const GetMetricDataRequest& req, const MetricMathOptions& opts);

// The query rules alone (ids, references, cycles, MetricStat and Expression rules), for a list
// of queries stored without a time range (an alarm's Metrics).
Status validate_metric_data_queries(const std::vector<MetricDataQuery>& queries,
                                    const MetricMathOptions& opts);

// Validates, evaluates and returns one page. Errors: InvalidArgument (bad request, evaluation
// error such as a function applied to the wrong kind of value), ResourceExhausted (limits), and
// storage errors as they are.
Result<GetMetricDataResult> get_metric_data(storage::Querier& querier,
                                            const GetMetricDataRequest& req,
                                            const MetricMathOptions& opts);

}  // namespace opsight::query::metricmath
