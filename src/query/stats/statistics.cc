#include "query/stats/statistics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace opsight::query {
namespace {

using Kind = StatisticSpec::Kind;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// A plain decimal number ("90", "99.9", "-0.5"), the whole of s.
bool parse_number(std::string_view s, double* out) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+')) {
      return false;
    }
  }
  if (s.front() == '+') s.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(*out);
}

Status bad_stat(std::string_view name, std::string_view rule) {
  return Status::invalid_argument(fmt::format("statistic \"{}\": {}", name, rule));
}

// "N%" or "N" (may be empty: unbounded).
Result<StatisticSpec::Bound> parse_bound(std::string_view name, std::string_view s) {
  StatisticSpec::Bound b;
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.empty()) return b;
  b.set = true;
  if (s.back() == '%') {
    b.percent = true;
    s.remove_suffix(1);
  }
  if (!parse_number(s, &b.value)) {
    return bad_stat(name,
                    fmt::format("bound \"{}\" must be a number or a percentage (\"90%\")", s));
  }
  if (b.percent && (b.value < 0 || b.value > 100)) {
    return bad_stat(name, "a percentage bound must be between 0% and 100%");
  }
  return b;
}

Result<StatisticSpec> parse_range(std::string_view name, Kind kind, std::string_view rest) {
  StatisticSpec spec;
  spec.kind = kind;
  if (!rest.empty() && rest.front() == '(') {
    if (rest.back() != ')') return bad_stat(name, "missing closing parenthesis");
    std::string_view inner = rest.substr(1, rest.size() - 2);
    auto colon = inner.find(':');
    if (colon == std::string_view::npos) {
      return bad_stat(name,
                      "give the bounds as (lower:upper), either may be empty, e.g. (10%:90%)");
    }
    ASSIGN_OR_RETURN(spec.lower, parse_bound(name, inner.substr(0, colon)));
    ASSIGN_OR_RETURN(spec.upper, parse_bound(name, inner.substr(colon + 1)));
    if (!spec.lower.set && !spec.upper.set) return bad_stat(name, "give at least one bound");
    if (spec.lower.set && spec.upper.set && spec.lower.percent == spec.upper.percent &&
        spec.lower.value >= spec.upper.value) {
      return bad_stat(name, "the lower bound must be below the upper bound");
    }
    if (kind == Kind::kPercentileRank && (spec.lower.percent || spec.upper.percent)) {
      return bad_stat(name, "PR takes absolute bounds (e.g. PR(:300)), not percentages");
    }
    return spec;
  }
  if (kind == Kind::kPercentileRank) {
    return bad_stat(name, "PR needs bounds in parentheses, e.g. PR(:300) or PR(100:2000)");
  }
  double v;
  if (!parse_number(rest, &v) || v <= 0 || v > 100) {
    return bad_stat(name, "the short form takes a percentage 0 < NN <= 100 (e.g. tm99)");
  }
  spec.upper = {true, true, v};
  return spec;
}

StatisticSpec simple(Kind kind) {
  StatisticSpec spec;
  spec.kind = kind;
  return spec;
}

struct Range {
  size_t lo, hi;  // [lo, hi) of the sorted values inside the bounds
};

Range inside_range(const StatisticSpec& spec, std::span<const double> sorted) {
  const size_t n = sorted.size();
  // A percentage bound trims whole values: floor(a% * n) from the bottom, floor((100-b)% * n)
  // from the top (the epsilon keeps 10% of 10 at exactly 1).
  auto trimmed = [n](double percent) {
    return static_cast<size_t>(std::floor(percent * static_cast<double>(n) / 100.0 + 1e-9));
  };
  const size_t low_cut = spec.lower.set && spec.lower.percent ? trimmed(spec.lower.value) : 0;
  const size_t high_cut =
      spec.upper.set && spec.upper.percent ? trimmed(100.0 - spec.upper.value) : 0;
  auto above_lower = [&](size_t i) {
    const auto& b = spec.lower;
    if (!b.set) return true;
    if (b.percent) return i >= low_cut;
    return sorted[i] > b.value;
  };
  auto below_upper = [&](size_t i) {
    const auto& b = spec.upper;
    if (!b.set) return true;
    if (b.percent) return i + high_cut < n;
    return sorted[i] <= b.value;
  };
  size_t lo = 0;
  while (lo < sorted.size() && !above_lower(lo)) lo++;
  size_t hi = lo;
  while (hi < sorted.size() && below_upper(hi)) hi++;
  return {lo, hi};
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

Result<StatisticSpec> parse_statistic(std::string_view name) {
  StatisticSpec spec;
  if (name == "SampleCount") return simple(Kind::kSampleCount);
  if (name == "Sum") return simple(Kind::kSum);
  if (name == "Average") return simple(Kind::kAverage);
  if (name == "Minimum") return simple(Kind::kMinimum);
  if (name == "Maximum") return simple(Kind::kMaximum);
  if (iequals(name, "IQM")) {
    spec.kind = Kind::kTrimmedMean;
    spec.lower = {true, true, 25};
    spec.upper = {true, true, 75};
    return spec;
  }
  if (name.size() >= 2 && (name[0] == 'p' || name[0] == 'P') &&
      std::isdigit(static_cast<unsigned char>(name[1]))) {
    double p;
    if (parse_number(name.substr(1), &p) && p > 0 && p <= 100) {
      spec.kind = Kind::kPercentile;
      spec.p = p;
      return spec;
    }
    return bad_stat(name, "a percentile is pNN with 0 < NN <= 100 (e.g. p99 or p99.9)");
  }
  if (name.size() >= 3) {
    static constexpr std::pair<std::string_view, Kind> kRanges[] = {
        {"tm", Kind::kTrimmedMean}, {"wm", Kind::kWinsorizedMean}, {"tc", Kind::kTrimmedCount},
        {"ts", Kind::kTrimmedSum},  {"pr", Kind::kPercentileRank},
    };
    for (const auto& [prefix, kind] : kRanges) {
      if (iequals(name.substr(0, 2), prefix)) return parse_range(name, kind, name.substr(2));
    }
  }
  return Status::invalid_argument(fmt::format(
      "unknown statistic \"{}\": use SampleCount, Sum, Average, Minimum, Maximum, pNN (0 < NN "
      "<= 100, e.g. p99 or p99.9), tmNN, wmNN, tcNN, tsNN, TM(a:b), WM(a:b), TC(a:b), TS(a:b), "
      "PR(a:b) or IQM",
      name));
}

Status validate_statistic(std::string_view name) {
  return parse_statistic(name).status();
}

double value_statistic(const StatisticSpec& spec, std::span<const double> sorted) {
  if (sorted.empty()) return std::nan("");
  if (spec.kind == Kind::kPercentile) return percentile_nearest_rank(sorted, spec.p);
  Range r = inside_range(spec, sorted);
  const size_t n = sorted.size();
  const size_t count = r.hi - r.lo;
  double sum = 0;
  for (size_t i = r.lo; i < r.hi; i++) sum += sorted[i];
  switch (spec.kind) {
    case Kind::kTrimmedMean:
      return count == 0 ? std::nan("") : sum / static_cast<double>(count);
    case Kind::kWinsorizedMean: {
      if (count == 0) return std::nan("");
      double total = sum + static_cast<double>(r.lo) * sorted[r.lo] +
                     static_cast<double>(n - r.hi) * sorted[r.hi - 1];
      return total / static_cast<double>(n);
    }
    case Kind::kTrimmedCount:
      return static_cast<double>(count);
    case Kind::kTrimmedSum:
      return sum;
    case Kind::kPercentileRank:
      return 100.0 * static_cast<double>(count) / static_cast<double>(n);
    default:
      return std::nan("");
  }
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
  std::vector<StatisticSpec> specs;
  bool need_values = false;
  for (const auto& s : req.statistics) {
    ASSIGN_OR_RETURN(auto spec, parse_statistic(s));
    need_values = need_values || spec.needs_values();
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
          case Kind::kSampleCount:
            v = b.count;
            break;
          case Kind::kSum:
            v = b.sum;
            break;
          case Kind::kAverage:
            v = b.sum / b.count;
            break;
          case Kind::kMinimum:
            v = b.min;
            break;
          case Kind::kMaximum:
            v = b.max;
            break;
          default:
            v = value_statistic(spec, b.values);
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
