#pragma once
// CloudWatch-style statistics per period over raw samples (GetMetricStatistics semantics):
// SampleCount, Sum, Average, Minimum, Maximum and percentiles pNN / pNN.N. Statistic-set samples
// contribute their count/sum/min/max exactly; percentiles use float samples only (a statistic set
// carries no distribution). Periods are aligned to multiples of the period since the epoch;
// only periods with data produce a datapoint. Staleness markers and NaN are skipped.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/metric_store.h"

namespace opsight::query {

struct StatisticsRequest {
  std::vector<storage::Matcher> matchers;
  int64_t start_ms = 0;  // inclusive
  int64_t end_ms = 0;    // exclusive
  int64_t period_ms = 60'000;
  std::vector<std::string> statistics;  // validated by parse_statistic
  size_t max_series = 10'000;
  size_t max_datapoints = 100'800;  // CloudWatch's per-request limit is 1,440; opsight allows more
};

struct Datapoint {
  int64_t timestamp_ms;
  std::vector<double> values;  // one per requested statistic, in request order
};

struct SeriesStatistics {
  Labels labels;
  storage::Tenant tenant;
  std::string unit;
  std::vector<Datapoint> datapoints;
};

// Checks a statistic name ("Average", "p99", "p99.9", ...). InvalidArgument names it.
Status validate_statistic(std::string_view name);

Result<std::vector<SeriesStatistics>> compute_statistics(storage::Querier& querier,
                                                         const StatisticsRequest& req);

// Percentile by the nearest-rank method over sorted values (p in (0, 100]).
double percentile_nearest_rank(std::span<const double> sorted, double p);

}  // namespace opsight::query
