#pragma once
// CloudWatch-style statistics per period over raw samples (GetMetricStatistics semantics):
// SampleCount, Sum, Average, Minimum, Maximum, percentiles pNN / pNN.N, and the extended
// statistics of the CloudWatch user guide, "CloudWatch statistics definitions"
// (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html):
//   tmNN | TM(a:b)  trimmed mean: mean of the values inside the bounds
//   wmNN | WM(a:b)  winsorized mean: values outside the bounds are clamped to the edge values
//   tcNN | TC(a:b)  trimmed count: number of values inside the bounds
//   tsNN | TS(a:b)  trimmed sum: sum of the values inside the bounds (= TM * TC)
//   IQM             interquartile mean, TM(25%:75%)
//   PR(a:b)         percentile rank: percentage of values inside the bounds (absolute bounds)
// Bounds: either may be omitted (not both); "N%" is a percentage 0..100, "N" an absolute value.
// The short forms xxNN mean (:NN%). As CloudWatch documents, the lower bound is exclusive and
// the upper bound inclusive: an absolute bound keeps values v with a < v <= b. Percentage
// bounds trim whole values as the usual trimmed mean does: a lower bound a% drops the
// floor(a% * n) lowest of the n values, an upper bound b% the floor((100 - b)% * n) highest
// (TM(10%:90%) of 10 values drops the lowest and the highest; tm99 of fewer than 100 values
// drops nothing, so one sample per period still has a value). Names are case-insensitive for
// the extended forms (tm99, TM99, tm(10%:90%)).
//
// Statistic-set samples contribute their count/sum/min/max exactly; percentiles and the
// extended statistics use float samples only (a statistic set carries no distribution); a
// period whose samples are all statistic sets gives NaN for them. Periods are aligned to
// multiples of the period since the epoch; only periods with data produce a datapoint.
// Staleness markers and NaN are skipped.

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

// A parsed statistic name.
struct StatisticSpec {
  enum class Kind {
    kSampleCount,
    kSum,
    kAverage,
    kMinimum,
    kMaximum,
    kPercentile,
    kTrimmedMean,
    kWinsorizedMean,
    kTrimmedCount,
    kTrimmedSum,
    kPercentileRank,
  };
  // One bound of a range statistic. Unset = unbounded on that side.
  struct Bound {
    bool set = false;
    bool percent = false;  // value is a percentage 0..100, else an absolute value
    double value = 0;
  };
  Kind kind = Kind::kSampleCount;
  double p = 0;  // kPercentile: (0, 100]
  Bound lower, upper;
  // True for the statistics that need the individual float values of a period.
  bool needs_values() const { return kind >= Kind::kPercentile; }
};

// Parses a statistic name ("Average", "p99", "p99.9", "tm90", "TM(10%:90%)", "TC(:0.5)",
// "PR(:300)", "IQM", ...). InvalidArgument names the statistic and the rule.
Result<StatisticSpec> parse_statistic(std::string_view name);

// Checks a statistic name. InvalidArgument names it.
Status validate_statistic(std::string_view name);

// The value of a percentile or range statistic (needs_values()) over the float values of one
// period, sorted ascending. NaN when there are no values or for a mean (TM, WM, IQM) of an empty
// range; TC and TS of an empty range are 0.
double value_statistic(const StatisticSpec& spec, std::span<const double> sorted);

Result<std::vector<SeriesStatistics>> compute_statistics(storage::Querier& querier,
                                                         const StatisticsRequest& req);

// Percentile by the nearest-rank method over sorted values (p in (0, 100]).
double percentile_nearest_rank(std::span<const double> sorted, double p);

}  // namespace opsight::query
