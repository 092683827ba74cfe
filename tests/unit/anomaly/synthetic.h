#pragma once
// Synthetic series for the anomaly tests: fixed seeds, uniform noise (bounded, so "the band
// contains the data" is exact, not a 95% statement).

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "anomaly/seasonal_model.h"

namespace opsight::anomaly::testing {

struct Series {
  std::vector<int64_t> ts;
  std::vector<double> vs;
};

inline constexpr int64_t kT0 = 1'700'006'400'000;  // 2023-11-15 00:00:00 UTC, a Wednesday

// level + amp * sin(2 pi t / day) + slope_per_day * days + U(-noise, noise), every step_ms.
inline Series make_series(int64_t span_ms, int64_t step_ms, double level, double amp, double noise,
                          double slope_per_day = 0, uint32_t seed = 42) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-noise, noise);
  Series s;
  for (int64_t t = kT0; t < kT0 + span_ms; t += step_ms) {
    double days = static_cast<double>(t - kT0) / static_cast<double>(kDayMs);
    s.ts.push_back(t);
    s.vs.push_back(level + amp * std::sin(2 * M_PI * days) + slope_per_day * days + u(rng));
  }
  return s;
}

}  // namespace opsight::anomaly::testing
