// Anomaly detection (src/anomaly/) cost per series:
//   BM_TrainSeasonalModel   train() on 14 days at 1-minute resolution (20,160 points), daily
//                           season + trend + noise; counters: points, model_bytes (the trained
//                           model's footprint), daily (1 when the season was found: the path ran)
//   BM_AnomalyBand          anomaly_band() over the same series (train + evaluate every point)
//   BM_DetectorThroughput   StreamingDetector::score() over 20 days at 1 minute (28,800 points,
//                           daily retrains of the seasonal model included); items_per_second =
//                           points/s on one core; counter detector_bytes after the run
//
//   build-rel/bench/anomaly_bench
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "anomaly/anomaly_band.h"
#include "anomaly/seasonal_model.h"
#include "anomaly/streaming_detector.h"

namespace {

using namespace opsight::anomaly;

struct Series {
  std::vector<int64_t> ts;
  std::vector<double> vs;
};

Series make(int64_t span_ms) {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 1);
  Series s;
  const int64_t t0 = 1'700'006'400'000;
  for (int64_t t = t0; t < t0 + span_ms; t += kMinuteMs) {
    double days = static_cast<double>(t - t0) / kDayMs;
    s.ts.push_back(t);
    s.vs.push_back(100 + 20 * std::sin(2 * M_PI * days) + 0.5 * days + noise(rng));
  }
  return s;
}

void BM_TrainSeasonalModel(benchmark::State& state) {
  Series s = make(14 * kDayMs);
  SeasonalModel m;
  for (auto _ : state) {
    if (!m.train(s.ts, s.vs).ok()) state.SkipWithError("train failed");
    benchmark::DoNotOptimize(m.sigma());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(s.ts.size()));
  state.counters["points"] = static_cast<double>(s.ts.size());
  state.counters["model_bytes"] = static_cast<double>(m.memory_bytes());
  state.counters["daily"] = m.has_daily() ? 1 : 0;
}
BENCHMARK(BM_TrainSeasonalModel)->Unit(benchmark::kMillisecond);

void BM_AnomalyBand(benchmark::State& state) {
  Series s = make(14 * kDayMs);
  for (auto _ : state) {
    auto band = anomaly_band(s.ts, s.vs, 2, kMinuteMs);
    if (!band.ok() || band->expected.size() != s.ts.size()) state.SkipWithError("band failed");
    benchmark::DoNotOptimize(band->expected.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(s.ts.size()));
}
BENCHMARK(BM_AnomalyBand)->Unit(benchmark::kMillisecond);

void BM_DetectorThroughput(benchmark::State& state) {
  Series s = make(20 * kDayMs);
  size_t bytes = 0;
  double sum = 0;
  for (auto _ : state) {
    StreamingDetector d;
    for (size_t i = 0; i < s.ts.size(); i++) sum += d.score(s.ts[i], s.vs[i]);
    bytes = d.memory_bytes();
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(s.ts.size()));
  state.counters["detector_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_DetectorThroughput)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
