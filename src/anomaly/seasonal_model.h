#pragma once
// SeasonalModel: the expected-value band of one metric series (one metric + stat), the model
// behind ANOMALY_DETECTION_BAND(m, k) and anomaly alarms.
//
// Design
//   value(t) = level + trend(t) + daily(t) + weekly(t) + shift(t) + noise
// - train() fits the decomposition robustly on up to `history_ms` (14 days) of points, skipping
//   excluded time ranges (deploys, known incidents) and non-finite values. Robust STL-style
//   backfitting (Cleveland et al., "STL: A Seasonal-Trend Decomposition Procedure Based on
//   Loess", J. Official Statistics 1990) with medians in place of loess: the trend is a
//   Theil-Sen slope over block medians (Sen 1968), the daily profile is the median of the
//   detrended values per time-of-day bin (<= 288 bins), the weekly profile the median of what is
//   left per hour of the week (168 bins). Each seasonality is kept only when the data shows it:
//   it must remove at least `min_season_strength` of the robust variance, and its cycle must be
//   covered at least ~twice. The most recent level shift in the history is found by a
//   change-point scan over segment medians and fitted as its own component.
// - sigma is 1.4826 * MAD of the residuals (robust to the outliers in the history); the band is
//   expected +- k * sigma.
// - update() follows the data as it arrives, Holt-Winters style (Winters 1960) but with
//   Huber-clipped errors so a single outlier cannot drag the model: the level moves with time
//   constant `level_tau_ms`, the seasonal bin with gain `season_gain` per cycle. A run of
//   `run_points` residuals beyond `shift_z` sigmas is a structural change: a step becomes a new
//   shift, a ramp a new trend slope (whichever fits the run better), so a level shift is alarmed
//   on once and then becomes the new normal.
// - explain() attributes an out-of-band observation to one component: season (the value is what
//   it would be without the seasonal swing, or at a nearby time of day), shift (the recent
//   residuals are a step), trend (they are a ramp) or noise (an isolated point).
//
// Thread safety: none; one model per series, owned by one thread. const methods may run
// concurrently with each other.
// Memory: O(bins), about 4 KiB, independent of the history length (see memory_bytes()).

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace opsight::anomaly {

inline constexpr int64_t kMinuteMs = 60'000;
inline constexpr int64_t kHourMs = 60 * kMinuteMs;
inline constexpr int64_t kDayMs = 24 * kHourMs;
inline constexpr int64_t kWeekMs = 7 * kDayMs;

// A half-open time range [start_ms, end_ms) whose points the model must not learn from.
struct TimeRange {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  bool contains(int64_t t) const { return t >= start_ms && t < end_ms; }
};

// The component an anomaly is attributed to.
enum class Component {
  kNone,    // within the band: nothing to explain
  kNoise,   // an isolated point outside the band (spike or dip)
  kSeason,  // the seasonal pattern did not happen (missing or displaced daily/weekly swing)
  kTrend,   // the recent residuals are a ramp: the trend changed
  kShift,   // the recent residuals are a step: the level shifted
};
// "none", "noise", "season", "trend", "shift".
std::string_view component_name(Component c);

struct BandPoint {
  double expected = 0;
  double lower = 0;
  double upper = 0;
};

// Why an observation is (or is not) anomalous. expected == level + trend + season + shift.
struct Explanation {
  int64_t t_ms = 0;
  double observed = 0;
  double expected = 0;
  double lower = 0;
  double upper = 0;
  double sigma = 0;      // the band's unit: upper - expected == k * sigma
  double deviation = 0;  // (observed - expected) / sigma
  bool anomalous = false;
  Component component = Component::kNone;
  // The decomposition of `expected`.
  double level = 0;
  double trend = 0;
  double season = 0;  // daily + weekly
  double shift = 0;
};

struct ModelOptions {
  // Training uses the points of the last history_ms before the newest point.
  int64_t history_ms = 14 * kDayMs;
  // A seasonality is kept when it removes at least this fraction of the robust variance.
  double min_season_strength = 0.2;
  // Points in a structural-change run are beyond shift_z sigmas, run_points of them in a row.
  double shift_z = 4.0;
  int run_points = 6;
  // update(): time constant of the level, per-cycle gain of a seasonal bin, Huber clip (sigmas).
  int64_t level_tau_ms = kDayMs;
  double season_gain = 0.1;
  double huber_c = 2.0;
  // The sampling interval; 0 derives it from the timestamps (median spacing).
  int64_t step_ms = 0;
};

class SeasonalModel {
 public:
  // Fewer finite, non-excluded points than this and train() fails.
  static constexpr size_t kMinTrainPoints = 5;

  explicit SeasonalModel(ModelOptions options = {});

  // Fits the model on (ts_ms[i], values[i]); replaces any previous state. Timestamps must be
  // non-decreasing. Points inside `excluded` and non-finite values are skipped. Errors:
  // InvalidArgument (size mismatch, unsorted timestamps), FailedPrecondition (fewer than
  // kMinTrainPoints usable points).
  Status train(std::span<const int64_t> ts_ms, std::span<const double> values,
               std::span<const TimeRange> excluded = {});

  // Learns one new point (call band()/explain() for it first if you want its verdict). Points
  // older than the newest seen are ignored; a non-finite value is InvalidArgument.
  // Do not call update() for points inside excluded ranges. Requires trained().
  Status update(int64_t t_ms, double value);

  // Expected value and the band at width k (k sigmas each side). Requires trained().
  BandPoint band(int64_t t_ms, double k) const;
  // The verdict on an observation at t_ms against the band at width k. Requires trained().
  Explanation explain(int64_t t_ms, double observed, double k) const;

  bool trained() const { return trained_; }
  bool has_daily() const { return !daily_.empty(); }
  bool has_weekly() const { return !weekly_.empty(); }
  double sigma() const { return sigma_; }
  int64_t step_ms() const { return step_ms_; }
  // Heap + object bytes held by the model.
  size_t memory_bytes() const;

 private:
  struct Parts {
    double level, trend, season, shift;
  };
  Parts parts(int64_t t_ms) const;
  double season_at(int64_t t_ms) const;
  // Classifies the residual run ending at `current` (appended to recent_): step, ramp or spike.
  Component classify_recent(double current, double k) const;
  void fit(std::span<const int64_t> ts, std::span<const double> vs);

  ModelOptions options_;
  bool trained_ = false;
  int64_t step_ms_ = kMinuteMs;
  int64_t t_ref_ms_ = 0;     // trend anchor (newest point at training, moved by ramps)
  int64_t t_first_ms_ = 0;   // oldest training point: the trend is not extrapolated before it
  int64_t t_last_ms_ = 0;    // newest point seen
  double level_ = 0;         // value at t_ref_ms_ without season and shift
  double slope_per_ms_ = 0;  // trend
  double shift_ = 0;         // applies to t >= shift_start_ms_
  int64_t shift_start_ms_ = INT64_MAX;
  double sigma_ = 0;
  std::vector<double> daily_;   // bins over one day, empty when no daily seasonality
  std::vector<double> weekly_;  // 168 hourly bins over one week, empty when none
  double daily_offset_ = 0.5;   // where in its bin a profile value belongs (fraction of a bin)
  // The latest residuals (observed - expected before learning the point), oldest first, at most
  // kRecent; used for run detection and by explain().
  static constexpr size_t kRecent = 24;
  std::vector<double> recent_;
  int run_ = 0;  // consecutive residuals beyond shift_z with the same sign (signed)
};

}  // namespace opsight::anomaly
