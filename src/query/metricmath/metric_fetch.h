#pragma once
// Reads one statistic of one CloudWatch metric from a Querier as a TimeSeries (the MetricStat
// of GetMetricData). A CloudWatch metric is identified by namespace, name and the exact set of
// dimensions: a series whose labels are {__name__, Namespace, dim...} and nothing else (a series
// with an extra label is a different metric).
//
// Thread safety: uses the querier, which is used by one thread at a time.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/labels.h"
#include "common/status.h"
#include "query/metricmath/time_series.h"
#include "storage/metric_store.h"

namespace opsight::query::metricmath {

struct MetricFetch {
  Labels identity;  // __name__, Namespace and one label per dimension
  std::string stat;
  int64_t period_ms = 60'000;
  int64_t start_ms = 0;  // inclusive
  int64_t end_ms = 0;    // exclusive
  std::string unit;      // when set, a metric whose recorded unit differs gives no data
  std::string account;   // when set, only the series of this account
  size_t max_datapoints = 100'800;
};

// The labels of a metric identity: __name__ = name, Namespace = ns, one label per dimension.
Labels metric_identity(std::string_view ns, std::string_view name,
                       const std::vector<std::pair<std::string, std::string>>& dims);

// Periods without data have no point; a metric that does not exist gives an empty series.
// TimeSeries.label is the metric name. Errors (bad statistic, too many datapoints, storage
// errors) are returned as they are.
Result<TimeSeries> fetch_metric(storage::Querier& querier, const MetricFetch& f);

}  // namespace opsight::query::metricmath
