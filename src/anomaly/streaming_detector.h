#pragma once
// StreamingDetector: an anomaly score in [0, 1] per point of one series, strictly causal (the
// score of a point depends only on the points before it and itself), one parameter set for all
// series. It runs `opsight anomaly score` and is benchmarked on NAB (docs/anomaly-detection.md).
//
// Design
// 1. Features, each a non-negative surprise, at several time scales w (points):
//    - change: |mean of the last w values - median of the 4w values before them| (spikes at
//      w = 1, level shifts and drifts at larger w);
//    - seasonal: the same on the residual of a SeasonalModel (seasonal_model.h) retrained daily
//      on up to 14 days of the points before and updated with every point, used only while the
//      model finds a daily or weekly seasonality. A missing or displaced daily swing is large here
//      and invisible to the change features.
//    - novelty: the distance of the last few values to the most similar stretch of the history
//      (a left discord, cf. Yeh et al., "Matrix Profile I", ICDM 2016): a shape or a range of
//      values never seen before is far from everything; a pattern seen before is not.
//    - spread: the median absolute first difference of the last w values against that of the
//      preceding 4w (bursts of noise, spike trains).
// 2. Each feature is calibrated by its own history with a TailCalibrator (peaks over threshold):
//    surprise = -log10 P(feature >= x). Features of any unit become comparable, so one threshold
//    works across series. The point's surprise is the largest, less log10(#features) (Bonferroni).
// 3. Context novelty (context_novelty.h, after CAD OSE): the share of the contexts of the last
//    1..4 quantised values never seen in the whole history, times `context_weight`, is added to
//    the surprise: evidence that this behaviour is new. It is what tells a first-ever burst from
//    the tenth burst of the same kind, which the calibrated features alone rate alike, and it
//    lets a moderate change in a new context alarm early. Below `alarm_surprise`, so novelty
//    alone (noise wandering into a new combination) never alarms.
// 4. Only the first detection of an anomaly counts and repeats are noise for an operator: once
//    the surprise reaches `alarm_surprise`, surprises in the next `suppress_points` points are
//    scaled by `suppress_factor`, unless one reaches `escalation` times the alarm's surprise (a
//    larger event right after a small one is still reported).
// 5. score = 1 - exp(-surprise / score_scale); 0 during the first `warmup_points` points.
//
// Thread safety: none; one detector per series.

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "anomaly/context_novelty.h"
#include "anomaly/seasonal_model.h"
#include "anomaly/tail_calibrator.h"

namespace opsight::anomaly {

struct DetectorOptions {
  size_t warmup_points = 100;
  // Feature scales in points; each compares the last w points with the reference_factor * w
  // (at least min_reference) before them.
  std::vector<size_t> scales = {1, 4, 16, 64};
  size_t reference_factor = 4;
  size_t min_reference = 16;
  // Calibration: history kept per feature, refit interval, tail quantile.
  size_t calibration_points = 3000;
  size_t calibration_refresh = 32;
  size_t calibration_min = 128;
  double tail_quantile = 0.99;
  // A feature's surprise is scaled by n / (n + calibration_prior) after n calibration values:
  // a tail estimated from a short history is not trusted fully.
  double calibration_prior = 600;
  // Seasonal features from a SeasonalModel retrained every retrain_ms on model_history_ms.
  bool seasonal = true;
  bool spread = true;
  // Novelty: the distance of the last novelty_length values to their nearest neighbour among
  // the subsequences of the previous novelty_history values (a left discord; 0 disables).
  size_t novelty_length = 32;
  size_t novelty_history = 2000;
  int64_t retrain_ms = kDayMs;
  int64_t model_history_ms = 14 * kDayMs;
  size_t model_max_points = 20160;
  // Context novelty (context_novelty.h): the share of the contexts of the last 1..context_length
  // quantised values (context_resolution buckets per robust scale unit, the quantiser fixed after
  // warmup_points values) never seen before in the whole history adds context_weight to the
  // surprise. context_weight < alarm_surprise: novelty alone never alarms, it makes a moderate
  // feature surprise in a never-seen context an alarm. 0 disables.
  size_t context_length = 4;
  double context_resolution = 3;
  size_t context_capacity = 1 << 16;
  double context_weight = 2.75;
  // Repeat suppression and the score mapping.
  double alarm_surprise = 3.5;
  size_t suppress_points = 150;
  double suppress_factor = 0;
  // Within suppress_points, a surprise of escalation times the last alarm's is a new alarm (a
  // much larger event right after a small one is still reported); 0 = never. NAB counts only the
  // first detection, so it costs there (0 scores 69.4 instead of 67.9), but an operator wants the
  // larger event.
  double escalation = 4.0;
  double score_scale = 8.0;
};

// What the detector saw at the last point (for explanations and debugging).
struct DetectorVerdict {
  double score = 0;
  double surprise = 0;       // -log10 p after the Bonferroni correction and suppression
  std::string_view feature;  // "change", "seasonal", "novelty", "spread"; "" = none/warming up
  size_t scale = 0;          // the feature's w
  double context = 0;        // share of never-seen contexts, 0..1 (-1: not fitted yet or disabled)
  bool suppressed = false;   // within suppress_points of the previous alarm
  bool has_model = false;    // the seasonal model was in use
  Explanation model;         // its verdict at k = 3 (valid when has_model)
};

class StreamingDetector {
 public:
  explicit StreamingDetector(DetectorOptions options = {});
  ~StreamingDetector();
  StreamingDetector(StreamingDetector&&) noexcept;
  StreamingDetector& operator=(StreamingDetector&&) noexcept;

  // Scores the point and learns it. Timestamps should not go backwards (an older point is
  // scored against the current state). A non-finite value scores 0 and is not learnt.
  double score(int64_t t_ms, double value);
  const DetectorVerdict& last() const { return last_; }
  size_t memory_bytes() const;

 private:
  struct Feature;
  double change_feature(size_t w) const;
  double spread_feature(size_t w) const;
  double novelty_feature() const;
  void maybe_retrain(int64_t t_ms);

  DetectorOptions options_;
  std::vector<double> values_;  // recent values, oldest first (trimmed in chunks)
  std::vector<double> diffs_;   // |first differences| aligned with values_
  std::vector<double> resid_;   // seasonal residuals (0 when no model)
  std::vector<int64_t> model_ts_;
  std::vector<double> model_vs_;
  std::vector<Feature> features_;
  std::unique_ptr<ContextNovelty> context_;  // null when context_weight == 0
  std::unique_ptr<SeasonalModel> model_;
  bool model_seasonal_ = false;
  int64_t last_train_ms_ = INT64_MIN;
  size_t points_ = 0;
  size_t since_alarm_ = SIZE_MAX;
  double alarm_level_ = 0;
  DetectorVerdict last_;
};

}  // namespace opsight::anomaly
