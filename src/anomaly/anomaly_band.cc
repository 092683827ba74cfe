#include "anomaly/anomaly_band.h"

#include <cmath>
#include <string>

namespace opsight::anomaly {

Result<Band> anomaly_band(std::span<const int64_t> ts_ms, std::span<const double> values, double k,
                          int64_t period_ms, std::span<const TimeRange> excluded) {
  if (ts_ms.size() != values.size()) {
    return Status::invalid_argument("ANOMALY_DETECTION_BAND: " + std::to_string(ts_ms.size()) +
                                    " timestamps for " + std::to_string(values.size()) + " values");
  }
  if (!std::isfinite(k) || k <= 0) {
    return Status::invalid_argument(
        "ANOMALY_DETECTION_BAND: the band width k must be a positive number, got " +
        std::to_string(k));
  }
  if (period_ms < 0) {
    return Status::invalid_argument("ANOMALY_DETECTION_BAND: period must not be negative");
  }
  Band band;
  const size_t n = ts_ms.size();
  band.expected.assign(n, NAN);
  band.lower.assign(n, NAN);
  band.upper.assign(n, NAN);
  ModelOptions options;
  options.step_ms = period_ms;
  SeasonalModel model(options);
  Status st = model.train(ts_ms, values, excluded);
  if (st.code() == Code::kFailedPrecondition) return band;  // too little data: no band
  RETURN_IF_ERROR(st);
  for (size_t i = 0; i < n; i++) {
    BandPoint p = model.band(ts_ms[i], k);
    band.expected[i] = p.expected;
    band.lower[i] = p.lower;
    band.upper[i] = p.upper;
  }
  return band;
}

}  // namespace opsight::anomaly
