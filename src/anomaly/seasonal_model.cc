#include "anomaly/seasonal_model.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "anomaly/robust.h"

namespace opsight::anomaly {
namespace {

constexpr size_t kMaxDailyBins = 288;  // 5-minute bins
constexpr size_t kWeeklyBins = 168;    // hourly bins
// A seasonality needs this many cycles of data before it is fitted.
constexpr double kMinCycles = 1.75;

int64_t mod_floor(int64_t a, int64_t m) {
  int64_t r = a % m;
  return r < 0 ? r + m : r;
}

size_t bin_of(int64_t t, int64_t period, size_t bins) {
  return static_cast<size_t>(mod_floor(t, period) * static_cast<int64_t>(bins) / period);
}

// The profile at time t, interpolated linearly (circularly) between the bins' anchors: a bin's
// value belongs to the point `offset` (a fraction of a bin) into it, where its data sits (the
// bin start for data on a grid aligned with the bins, the middle for denser data).
double profile_at(const std::vector<double>& p, double offset, int64_t period, int64_t t) {
  const auto n = static_cast<int64_t>(p.size());
  double pos = static_cast<double>(mod_floor(t, period)) / static_cast<double>(period) *
                   static_cast<double>(n) -
               offset;
  double f = std::floor(pos);
  auto i0 = static_cast<int64_t>(f);
  double frac = pos - f;
  return p[static_cast<size_t>(mod_floor(i0, n))] * (1 - frac) +
         p[static_cast<size_t>(mod_floor(i0 + 1, n))] * frac;
}

// Where the data sits inside its bins, as a fraction of a bin (median over the points).
double bin_offset(std::span<const int64_t> ts, int64_t period, size_t bins) {
  std::vector<double> frac;
  frac.reserve(ts.size());
  for (int64_t t : ts) {
    double pos = static_cast<double>(mod_floor(t, period)) / static_cast<double>(period) *
                 static_cast<double>(bins);
    frac.push_back(pos - std::floor(pos));
  }
  return median_inplace(frac);
}

// Per-bin medians of x over one period; empty bins take the nearest filled bin (circularly);
// centred so the median bin is 0. Empty result when under half the bins have data.
std::vector<double> fit_profile(std::span<const int64_t> ts, std::span<const double> x,
                                int64_t period, size_t bins) {
  std::vector<std::vector<double>> by_bin(bins);
  for (size_t i = 0; i < ts.size(); i++) by_bin[bin_of(ts[i], period, bins)].push_back(x[i]);
  std::vector<double> prof(bins, 0);
  std::vector<bool> have(bins, false);
  size_t filled = 0;
  for (size_t b = 0; b < bins; b++) {
    if (by_bin[b].empty()) continue;
    prof[b] = median_inplace(by_bin[b]);
    have[b] = true;
    filled++;
  }
  if (filled * 2 < bins) return {};
  if (filled < bins) {
    std::vector<double> out = prof;
    for (size_t b = 0; b < bins; b++) {
      if (have[b]) continue;
      for (size_t d = 1; d < bins; d++) {
        size_t l = (b + bins - d) % bins, r = (b + d) % bins;
        if (have[l] || have[r]) {
          out[b] = have[l] && have[r] ? 0.5 * (prof[l] + prof[r]) : (have[l] ? prof[l] : prof[r]);
          break;
        }
      }
    }
    prof = std::move(out);
  }
  double mid = median_of(prof);
  for (double& v : prof) v -= mid;
  return prof;
}

// Mean absolute deviation from the median: robust to a few wild points, yet (unlike the MAD) it
// sees a component that moves under half of the points, such as weekends.
double mean_abs_dev(std::span<const double> x) {
  if (x.empty()) return 0;
  double med = median_of(x), sum = 0;
  for (double v : x) sum += std::fabs(v - med);
  return sum / static_cast<double>(x.size());
}

// Share of the spread of x that subtracting `fitted` removes, less what a profile of `bins`
// medians fitted to n points of pure noise would remove anyway (about 2 bins / n).
double strength(std::span<const double> x, std::span<const double> fitted, size_t bins) {
  std::vector<double> rest(x.size());
  for (size_t i = 0; i < x.size(); i++) rest[i] = x[i] - fitted[i];
  double before = mean_abs_dev(x);
  double after = mean_abs_dev(rest);
  if (before <= 0) return 0;
  return 1 - (after * after) / (before * before) -
         2.0 * static_cast<double>(bins) / static_cast<double>(x.size());
}

// The best explanation of a run of residuals v (oldest first, the newest last) as zero up to a
// split point s and then either a constant (step) or a line (ramp) from s on.
struct RunFit {
  Component component = Component::kNoise;
  size_t start = 0;  // first index of the changed segment
  double mu = 0;     // step height
  double a = 0;      // ramp value at `start`
  double b = 0;      // ramp slope per point
};

RunFit fit_run(std::span<const double> v, double sigma) {
  const size_t n = v.size();
  RunFit best;
  if (n == 0) return best;
  // prefix sums of squares of the zero part
  std::vector<double> sq(n + 1, 0);
  for (size_t i = 0; i < n; i++) sq[i + 1] = sq[i] + v[i] * v[i];
  double best_step = INFINITY, best_line = INFINITY;
  RunFit step, line;
  for (size_t s = 0; s < n; s++) {
    size_t m = n - s;
    double sum = 0, sx = 0, sxx = 0, sxy = 0;
    for (size_t i = s; i < n; i++) {
      double x = static_cast<double>(i - s);
      sum += v[i];
      sx += x;
      sxx += x * x;
      sxy += x * v[i];
    }
    double mu = sum / static_cast<double>(m);
    double sse_step = sq[s];
    for (size_t i = s; i < n; i++) sse_step += (v[i] - mu) * (v[i] - mu);
    if (sse_step < best_step) {
      best_step = sse_step;
      step = {Component::kShift, s, mu, 0, 0};
    }
    if (m >= 3) {
      double md = static_cast<double>(m);
      double den = md * sxx - sx * sx;
      double b = den != 0 ? (md * sxy - sx * sum) / den : 0;
      double a = (sum - b * sx) / md;
      double sse_line = sq[s];
      for (size_t i = s; i < n; i++) {
        double e = v[i] - (a + b * static_cast<double>(i - s));
        sse_line += e * e;
      }
      if (sse_line < best_line) {
        best_line = sse_line;
        line = {Component::kTrend, s, 0, a, b};
      }
    }
  }
  // A ramp has one more parameter than a step: it must earn it clearly.
  if (best_line < best_step &&
      best_step - best_line > std::max(4 * sigma * sigma, 0.25 * best_step)) {
    best = line;
  } else {
    best = step;
    if (step.start + 1 == n) best.component = Component::kNoise;  // only the newest point moved
  }
  return best;
}

}  // namespace

std::string_view component_name(Component c) {
  switch (c) {
    case Component::kNone:
      return "none";
    case Component::kNoise:
      return "noise";
    case Component::kSeason:
      return "season";
    case Component::kTrend:
      return "trend";
    case Component::kShift:
      return "shift";
  }
  return "none";
}

SeasonalModel::SeasonalModel(ModelOptions options) : options_(options) {}

Status SeasonalModel::train(std::span<const int64_t> ts_ms, std::span<const double> values,
                            std::span<const TimeRange> excluded) {
  if (ts_ms.size() != values.size()) {
    return Status::invalid_argument("anomaly model: " + std::to_string(ts_ms.size()) +
                                    " timestamps for " + std::to_string(values.size()) +
                                    " values; they must pair up");
  }
  for (size_t i = 1; i < ts_ms.size(); i++) {
    if (ts_ms[i] < ts_ms[i - 1]) {
      return Status::invalid_argument("anomaly model: timestamp " + std::to_string(i) +
                                      " is older than the one before it; points must be in "
                                      "time order");
    }
  }
  const int64_t newest = ts_ms.empty() ? 0 : ts_ms.back();
  std::vector<int64_t> ts;
  std::vector<double> vs;
  ts.reserve(ts_ms.size());
  vs.reserve(ts_ms.size());
  for (size_t i = 0; i < ts_ms.size(); i++) {
    if (!std::isfinite(values[i]) || ts_ms[i] < newest - options_.history_ms) continue;
    bool skip = false;
    for (const TimeRange& r : excluded) skip = skip || r.contains(ts_ms[i]);
    if (skip) continue;
    ts.push_back(ts_ms[i]);
    vs.push_back(values[i]);
  }
  if (ts.size() < kMinTrainPoints) {
    return Status::failed_precondition(
        "anomaly model: " + std::to_string(ts.size()) +
        " usable points (finite, not excluded, within the history); at least " +
        std::to_string(kMinTrainPoints) + " are needed to train");
  }
  fit(ts, vs);
  return OkStatus();
}

namespace {

// Theil-Sen slope over block medians of (t - t_ref, z): daily blocks when the span allows (they
// are neutral to the daily season), else eighths of the span. 0 with under three blocks.
double block_slope(std::span<const int64_t> ts, std::span<const double> z, int64_t t_ref,
                   int64_t step_ms) {
  const size_t n = ts.size();
  const int64_t span = ts.back() - ts.front();
  int64_t block = span >= 2 * kDayMs ? kDayMs : std::max<int64_t>(step_ms, span / 8);
  if (block <= 0 || span < 3 * block) return 0;
  std::vector<double> bt, bv, cur_t, cur_v;
  int64_t block_start = ts.front();
  for (size_t i = 0; i <= n; i++) {
    if (i == n || ts[i] >= block_start + block) {
      if (cur_v.size() >= 3) {
        bt.push_back(median_inplace(cur_t));
        bv.push_back(median_inplace(cur_v));
      }
      cur_t.clear();
      cur_v.clear();
      if (i == n) break;
      block_start += block * ((ts[i] - block_start) / block);
    }
    cur_t.push_back(static_cast<double>(ts[i] - t_ref));
    cur_v.push_back(z[i]);
  }
  return bt.size() >= 3 ? theil_sen_slope(bt, bv) : 0;
}

// The level/trend/shift part of a fit, and its sum of absolute residuals.
struct Structure {
  double level = 0, slope = 0, shift = 0;
  size_t split = SIZE_MAX;  // first index of the shifted segment; SIZE_MAX = no shift
  double sae = INFINITY;
};

Structure fit_structure(std::span<const int64_t> ts, std::span<const double> d, int64_t t_ref,
                        int64_t step_ms, bool with_trend, size_t split) {
  const size_t n = ts.size();
  Structure st;
  st.split = split;
  std::vector<double> z(d.begin(), d.end());
  auto sh = [&](size_t i) { return split != SIZE_MAX && i >= split; };
  if (split != SIZE_MAX) {
    // The step on the raw values first; the trend (if any) on what the step leaves.
    st.shift = median_of(d.subspan(split)) - median_of(d.first(split));
    for (size_t i = split; i < n; i++) z[i] -= st.shift;
  }
  if (with_trend) st.slope = block_slope(ts, z, t_ref, step_ms);
  std::vector<double> w(n);
  for (size_t i = 0; i < n; i++) w[i] = d[i] - st.slope * static_cast<double>(ts[i] - t_ref);
  if (split != SIZE_MAX) {
    st.level = median_of(std::span<const double>(w).first(split));
    st.shift = median_of(std::span<const double>(w).subspan(split)) - st.level;
  } else {
    st.level = median_of(w);
  }
  st.sae = 0;
  for (size_t i = 0; i < n; i++) st.sae += std::fabs(w[i] - st.level - (sh(i) ? st.shift : 0));
  return st;
}

}  // namespace

void SeasonalModel::fit(std::span<const int64_t> ts, std::span<const double> y) {
  const size_t n = ts.size();
  if (options_.step_ms > 0) {
    step_ms_ = options_.step_ms;
  } else {
    std::vector<double> gaps;
    for (size_t i = 1; i < n; i++) {
      if (ts[i] > ts[i - 1]) gaps.push_back(static_cast<double>(ts[i] - ts[i - 1]));
    }
    step_ms_ = gaps.empty() ? kMinuteMs : std::max<int64_t>(1, std::llround(median_inplace(gaps)));
  }
  t_first_ms_ = ts.front();
  t_ref_ms_ = t_last_ms_ = ts.back();
  const int64_t span = ts.back() - ts.front();
  shift_ = 0;
  shift_start_ms_ = INT64_MAX;
  daily_.clear();
  weekly_.clear();
  recent_.clear();
  run_ = 0;

  const size_t min_seg = std::max<size_t>(static_cast<size_t>(options_.run_points), 8);
  std::vector<double> season(n, 0), d(n), x(n), r(n);
  for (int iter = 0; iter < 3; iter++) {
    // 1. Structure of the deseasonalised values: trend only, or a level shift (the split with
    //    the largest significant change of segment medians), or both; the simpler wins unless
    //    the richer one fits clearly (10%) better in absolute residuals.
    for (size_t i = 0; i < n; i++) d[i] = y[i] - season[i];
    Structure best = fit_structure(ts, d, t_ref_ms_, step_ms_, true, SIZE_MAX);
    // Noise scale from first differences: blind to the structure being looked for.
    double sig = 0;
    {
      std::vector<double> diff(n - 1);
      for (size_t i = 1; i < n; i++) diff[i - 1] = d[i] - d[i - 1];
      sig = mad_sigma(diff, 0) / std::sqrt(2.0);
      if (sig <= 0) sig = mean_abs_dev(diff) / std::sqrt(2.0);
    }
    if (iter > 0 && n >= 2 * min_seg) {  // after a first seasonal fit
      size_t stride = std::max<size_t>(1, n / 64);
      double best_stat = 0;
      size_t split = SIZE_MAX;
      for (size_t c = min_seg; c + min_seg <= n; c += stride) {
        double delta = median_of(std::span<const double>(d).subspan(c)) -
                       median_of(std::span<const double>(d).first(c));
        double stat = std::fabs(delta) * std::sqrt(static_cast<double>(std::min(c, n - c)));
        if (std::fabs(delta) > 0 && std::fabs(delta) >= options_.shift_z * sig &&
            stat > best_stat) {
          best_stat = stat;
          split = c;
        }
      }
      if (split != SIZE_MAX) {
        Structure step = fit_structure(ts, d, t_ref_ms_, step_ms_, false, split);
        Structure both = fit_structure(ts, d, t_ref_ms_, step_ms_, true, split);
        if (step.sae < best.sae) best = step;
        if (both.sae < 0.9 * best.sae) best = both;
      }
    }
    level_ = best.level;
    slope_per_ms_ = best.slope;
    shift_ = best.split == SIZE_MAX ? 0 : best.shift;
    shift_start_ms_ = best.split == SIZE_MAX ? INT64_MAX : ts[best.split];

    // 2. Seasonality on what the structure leaves.
    for (size_t i = 0; i < n; i++) {
      Parts p = parts(ts[i]);
      x[i] = y[i] - p.level - p.trend - p.shift;
    }
    std::fill(season.begin(), season.end(), 0.0);
    daily_.clear();
    weekly_.clear();
    if (static_cast<double>(span) >= kMinCycles * kDayMs) {
      size_t bins = static_cast<size_t>(std::clamp<int64_t>(kDayMs / step_ms_, 1, kMaxDailyBins));
      std::vector<double> prof = fit_profile(ts, x, kDayMs, bins);
      if (!prof.empty()) {
        std::vector<double> fitted(n);
        double offset = bin_offset(ts, kDayMs, bins);
        for (size_t i = 0; i < n; i++) fitted[i] = profile_at(prof, offset, kDayMs, ts[i]);
        if (strength(x, fitted, bins) >= options_.min_season_strength) {
          daily_ = std::move(prof);
          daily_offset_ = offset;
          season = std::move(fitted);
        }
      }
    }
    if (static_cast<double>(span) >= kMinCycles * kWeekMs && step_ms_ <= kHourMs) {
      std::vector<double> rest(n);
      for (size_t i = 0; i < n; i++) rest[i] = x[i] - season[i];
      std::vector<double> prof = fit_profile(ts, rest, kWeekMs, kWeeklyBins);
      if (!prof.empty()) {
        // Judged against the spread before any seasonality, like the daily profile.
        std::vector<double> both(n);
        for (size_t i = 0; i < n; i++) {
          both[i] = season[i] + prof[bin_of(ts[i], kWeekMs, kWeeklyBins)];
        }
        if (strength(x, both, kWeeklyBins + daily_.size()) - strength(x, season, daily_.size()) >=
            options_.min_season_strength / 2) {
          weekly_ = std::move(prof);
          season = std::move(both);
        }
      }
    }
  }
  for (size_t i = 0; i < n; i++) {
    Parts p = parts(ts[i]);
    r[i] = y[i] - (p.level + p.trend + p.season + p.shift);
  }
  double med = median_of(r);
  sigma_ = mad_sigma(r, med);
  if (sigma_ <= 0) {
    double mean_abs = 0;
    for (double v : r) mean_abs += std::fabs(v - med);
    sigma_ = 1.2533 * mean_abs / static_cast<double>(n);
  }
  sigma_ = std::max(sigma_, 1e-9 * (1 + std::fabs(level_)));
  size_t keep = std::min(kRecent, n);
  recent_.assign(r.end() - static_cast<std::ptrdiff_t>(keep), r.end());
  trained_ = true;
}

double SeasonalModel::season_at(int64_t t_ms) const {
  double s = 0;
  if (!daily_.empty()) s += profile_at(daily_, daily_offset_, kDayMs, t_ms);
  // Weekly bins are hours: a step lookup keeps a weekend's edge sharp.
  if (!weekly_.empty()) s += weekly_[bin_of(t_ms, kWeekMs, weekly_.size())];
  return s;
}

SeasonalModel::Parts SeasonalModel::parts(int64_t t_ms) const {
  // No backwards extrapolation of the trend before the training data.
  int64_t tt = std::max(t_ms, t_first_ms_);
  return Parts{level_, slope_per_ms_ * static_cast<double>(tt - t_ref_ms_), season_at(t_ms),
               t_ms >= shift_start_ms_ ? shift_ : 0.0};
}

BandPoint SeasonalModel::band(int64_t t_ms, double k) const {
  Parts p = parts(t_ms);
  double e = p.level + p.trend + p.season + p.shift;
  return BandPoint{e, e - k * sigma_, e + k * sigma_};
}

Status SeasonalModel::update(int64_t t_ms, double value) {
  if (!trained_) return Status::failed_precondition("anomaly model: update() before train()");
  if (!std::isfinite(value)) {
    return Status::invalid_argument("anomaly model: value at " + std::to_string(t_ms) +
                                    " is not a finite number");
  }
  if (t_ms < t_last_ms_) return OkStatus();
  const int64_t dt = t_ms - t_last_ms_;
  t_last_ms_ = t_ms;
  Parts p = parts(t_ms);
  const double r = value - (p.level + p.trend + p.season + p.shift);
  recent_.push_back(r);
  if (recent_.size() > kRecent) recent_.erase(recent_.begin());

  const double z = r / sigma_;
  if (std::fabs(z) > options_.shift_z) {
    run_ = (z > 0) == (run_ > 0) && run_ != 0 ? run_ + (z > 0 ? 1 : -1) : (z > 0 ? 1 : -1);
  } else {
    run_ = 0;
  }
  if (std::abs(run_) >= options_.run_points) {
    // A structural change: absorb it as a new shift or a new trend slope.
    size_t len = std::min(recent_.size(), 2 * static_cast<size_t>(options_.run_points));
    std::span<const double> run(recent_.data() + recent_.size() - len, len);
    RunFit f = fit_run(run, sigma_);
    const auto tail = static_cast<int64_t>(len - 1 - f.start);
    level_ += slope_per_ms_ * static_cast<double>(t_ms - t_ref_ms_);
    t_ref_ms_ = t_ms;
    if (f.component == Component::kTrend) {
      level_ += f.a + f.b * static_cast<double>(tail);
      slope_per_ms_ += f.b / static_cast<double>(step_ms_);
    } else {
      if (t_ms >= shift_start_ms_) level_ += shift_;
      shift_ = f.mu;
      shift_start_ms_ = t_ms - tail * step_ms_;
    }
    recent_.clear();
    run_ = 0;
    return OkStatus();
  }
  // Holt-Winters step with a Huber-clipped error.
  const double rc = clip(r, options_.huber_c * sigma_);
  const double alpha =
      1 - std::exp(-static_cast<double>(dt) / static_cast<double>(options_.level_tau_ms));
  level_ += alpha * rc;
  const double rest = (1 - alpha) * rc * options_.season_gain;
  if (!daily_.empty()) daily_[bin_of(t_ms, kDayMs, daily_.size())] += rest;
  if (!weekly_.empty() && daily_.empty()) weekly_[bin_of(t_ms, kWeekMs, kWeeklyBins)] += rest;
  // Scale: EWMA of the clipped squared error; 0.9206 = E[min(z^2, 4)] for Gaussian z (c = 2).
  const double c2 = options_.huber_c * options_.huber_c * sigma_ * sigma_;
  const double var = (1 - alpha) * sigma_ * sigma_ + alpha * std::min(r * r, c2) / 0.9206;
  sigma_ = std::max(std::sqrt(var), 1e-9 * (1 + std::fabs(level_)));
  return OkStatus();
}

Explanation SeasonalModel::explain(int64_t t_ms, double observed, double k) const {
  Explanation e;
  Parts p = parts(t_ms);
  e.t_ms = t_ms;
  e.observed = observed;
  e.level = p.level;
  e.trend = p.trend;
  e.season = p.season;
  e.shift = p.shift;
  e.expected = p.level + p.trend + p.season + p.shift;
  e.sigma = sigma_;
  e.lower = e.expected - k * sigma_;
  e.upper = e.expected + k * sigma_;
  const double r = observed - e.expected;
  e.deviation = r / sigma_;
  e.anomalous = std::fabs(r) > k * sigma_;
  if (!e.anomalous) return e;
  const double width = k * sigma_;
  if (has_daily() || has_weekly()) {
    // The swing did not happen: the value is what it would be without the season ...
    if (std::fabs(p.season) > width && std::fabs(r + p.season) <= width) {
      e.component = Component::kSeason;
      return e;
    }
    // ... or the swing came early or late: the value fits within two hours of the time of day.
    if (has_daily()) {
      const int64_t bin = kDayMs / static_cast<int64_t>(daily_.size());
      for (int64_t off = bin; off <= 2 * kHourMs; off += bin) {
        for (int64_t t2 : {t_ms - off, t_ms + off}) {
          double s2 = season_at(t2);
          if (std::fabs(s2 - p.season) > width && std::fabs(r + p.season - s2) <= width / 2) {
            e.component = Component::kSeason;
            return e;
          }
        }
      }
    }
  }
  e.component = classify_recent(r, k);
  return e;
}

Component SeasonalModel::classify_recent(double current, double k) const {
  size_t len = std::min(recent_.size(), 2 * static_cast<size_t>(options_.run_points));
  std::vector<double> v(recent_.end() - static_cast<std::ptrdiff_t>(len), recent_.end());
  v.push_back(current);
  if (v.size() < 3) return Component::kNoise;
  (void)k;
  return fit_run(v, sigma_).component;
}

size_t SeasonalModel::memory_bytes() const {
  return sizeof(*this) +
         (daily_.capacity() + weekly_.capacity() + recent_.capacity()) * sizeof(double);
}

}  // namespace opsight::anomaly
