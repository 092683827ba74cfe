#pragma once
// anomaly_band(): the batch form of the seasonal band model, what Metric Math's
// ANOMALY_DETECTION_BAND(m, k) and band alarms call.
//
// Semantics (like CloudWatch, which trains on the metric's history and draws the band over it):
// one SeasonalModel is trained on the input (the points of the last ModelOptions::history_ms,
// 14 days, before the newest point; excluded ranges and NaN skipped), and the band is then
// evaluated at every input timestamp. So the band at a point may use points after it: this is
// the "trained on the whole history, then evaluated" mode, not a causal one. For a causal verdict
// per point use SeasonalModel::band()/update() in time order or StreamingDetector.

#include <cstdint>
#include <span>
#include <vector>

#include "anomaly/seasonal_model.h"
#include "common/status.h"

namespace opsight::anomaly {

// Arrays aligned to the input: expected[i], lower[i], upper[i] belong to ts_ms[i].
struct Band {
  std::vector<double> expected;
  std::vector<double> lower;
  std::vector<double> upper;
};

// ts_ms: non-decreasing timestamps; values: the series (NaN = missing, still gets a band);
// k: band width in sigmas (> 0, finite); period_ms: the series' period (its sampling step; 0 to
// derive it from the timestamps). With fewer than SeasonalModel::kMinTrainPoints usable points
// every entry is NaN (no band yet, as CloudWatch draws none). Errors: InvalidArgument (sizes
// differ, k not positive, period negative, timestamps out of order).
Result<Band> anomaly_band(std::span<const int64_t> ts_ms, std::span<const double> values, double k,
                          int64_t period_ms, std::span<const TimeRange> excluded = {});

}  // namespace opsight::anomaly
