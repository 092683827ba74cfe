#include "query/stats/statistics.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace opsight::query {
namespace {

enum class Stat { kSampleCount, kSum, kAverage, kMinimum, kMaximum, kPercentile };

struct StatSpec {
  Stat kind;
  double p = 0;
};

Result<StatSpec> parse_stat(std::string_view name) {
  if (name == "SampleCount") return StatSpec{Stat::kSampleCount};
  if (name == "Sum") return StatSpec{Stat::kSum};
  if (name == "Average") return StatSpec{Stat::kAverage};
  if (name == "Minimum") return StatSpec{Stat::kMinimum};
  if (name == "Maximum") return StatSpec{Stat::kMaximum};
  if (name.size() >= 2 && (name[0] == 'p' || name[0] == 'P')) {
    double p;
    auto [ptr, ec] = std::from_chars(name.data() + 1, name.data() + name.size(), p);
    if (ec == std::errc() && ptr == name.data() + name.size() && p > 0 && p <= 100) {
      return StatSpec{Stat::kPercentile, p};
    }
  }
  return Status::invalid_argument(fmt::format(
      "unknown statistic \"{}\": use SampleCount, Sum, Average, Minimum, Maximum or pNN (0 < NN "
      "<= 100, e.g. p99 or p99.9)",
      name));
}

struct Bucket {
  double count = 0, sum = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  std::vector<double> values;  // float samples, for percentiles
};

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

}  // namespace

Status validate_statistic(std::string_view name) {
  return parse_stat(name).status();
}

double percentile_nearest_rank(std::span<const double> sorted, double p) {
  if (sorted.empty()) return std::nan("");
  double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()));
  size_t idx = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return sorted[std::min(idx, sorted.size() - 1)];
}

Result<std::vector<SeriesStatistics>> compute_statistics(storage::Querier& querier,
                                                         const StatisticsRequest& req) {
  if (req.period_ms <= 0) return Status::invalid_argument("period must be positive");
  if (req.end_ms <= req.start_ms) {
    return Status::invalid_argument("end must be after start");
  }
  if ((req.end_ms - req.start_ms) / req.period_ms > static_cast<int64_t>(req.max_datapoints)) {
    return Status::invalid_argument(fmt::format(
        "the time range and period give {} datapoints per series > limit {}; use a longer period",
        (req.end_ms - req.start_ms) / req.period_ms, req.max_datapoints));
  }
  std::vector<StatSpec> specs;
  bool need_values = false;
  for (const auto& s : req.statistics) {
    ASSIGN_OR_RETURN(auto spec, parse_stat(s));
    need_values = need_values || spec.kind == Stat::kPercentile;
    specs.push_back(spec);
  }
  if (specs.empty()) return Status::invalid_argument("no statistics requested");

  storage::SelectHints hints{req.start_ms, req.end_ms - 1, req.period_ms, req.max_series};
  auto set = querier.select(true, hints, req.matchers);
  std::vector<SeriesStatistics> out;
  while (set->next()) {
    if (out.size() >= req.max_series) {
      return Status::resource_exhausted(fmt::format(
          "the selector matches more than {} series (limit); narrow it", req.max_series));
    }
    const auto& series = set->at();
    SeriesStatistics st;
    st.labels = series.labels();
    st.tenant = series.tenant();
    if (auto meta = querier.metadata(series.labels().metric_name())) st.unit = meta->unit;
    auto it = series.iterator();
    int64_t cur_bucket = std::numeric_limits<int64_t>::min();
    Bucket b;
    auto emit = [&] {
      if (cur_bucket == std::numeric_limits<int64_t>::min() || b.count == 0) return;
      Datapoint dp{cur_bucket * req.period_ms, {}};
      std::sort(b.values.begin(), b.values.end());
      for (const auto& spec : specs) {
        double v = 0;
        switch (spec.kind) {
          case Stat::kSampleCount:
            v = b.count;
            break;
          case Stat::kSum:
            v = b.sum;
            break;
          case Stat::kAverage:
            v = b.sum / b.count;
            break;
          case Stat::kMinimum:
            v = b.min;
            break;
          case Stat::kMaximum:
            v = b.max;
            break;
          case Stat::kPercentile:
            v = percentile_nearest_rank(b.values, spec.p);
            break;
        }
        dp.values.push_back(v);
      }
      st.datapoints.push_back(std::move(dp));
    };
    bool more = it->seek(req.start_ms);
    while (more) {
      const auto& s = it->at();
      if (s.t >= req.end_ms) break;
      int64_t bucket = floor_div(s.t, req.period_ms);
      if (bucket != cur_bucket) {
        emit();
        cur_bucket = bucket;
        b = Bucket{};
      }
      if (s.is_stats) {
        b.count += s.stats.count;
        b.sum += s.stats.sum;
        b.min = std::min(b.min, s.stats.min);
        b.max = std::max(b.max, s.stats.max);
      } else if (!std::isnan(s.v)) {
        b.count += 1;
        b.sum += s.v;
        b.min = std::min(b.min, s.v);
        b.max = std::max(b.max, s.v);
        if (need_values) b.values.push_back(s.v);
      }
      more = it->next();
    }
    RETURN_IF_ERROR(it->err());
    emit();
    if (!st.datapoints.empty()) out.push_back(std::move(st));
  }
  RETURN_IF_ERROR(set->err());
  return out;
}

}  // namespace opsight::query
