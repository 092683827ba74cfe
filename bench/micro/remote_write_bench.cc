// Remote write 1.0 decode throughput (ingest::prometheus::decode_remote_write) on requests
// shaped like Prometheus' own: many series with node_exporter-like labels, 1 or 10 samples each.
// The benchmark checks that every sample was decoded (a decoder that skipped work would fail).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "ingest/prometheus/remote_write.h"

namespace opsight::ingest::prometheus {
namespace {

std::string make_request(int n_series, int samples_per_series) {
  std::vector<SeriesSamples> series;
  static const char* kModes[] = {"idle", "user", "system", "iowait", "irq", "softirq", "steal"};
  for (int i = 0; i < n_series; i++) {
    Labels labels{{"__name__", "node_cpu_seconds_total"},
                  {"cluster", "prod-eu-west-1"},
                  {"cpu", std::to_string(i % 64)},
                  {"instance", "ip-10-0-" + std::to_string(i % 250) + "-17.ec2.internal:9100"},
                  {"job", "node-exporter"},
                  {"mode", kModes[i % 7]},
                  {"namespace", "monitoring"},
                  {"pod", "node-exporter-" + std::to_string(1000 + i / 7)}};
    std::vector<storage::Sample> samples;
    for (int k = 0; k < samples_per_series; k++) {
      samples.push_back(storage::Sample::value(1700000000000 + k * 15000, 12345.67 + i + k));
    }
    series.push_back({std::move(labels), std::move(samples), ""});
  }
  return encode_remote_write(series, {});
}

void BM_DecodeRemoteWrite(benchmark::State& state) {
  const int n_series = static_cast<int>(state.range(0));
  const int per_series = static_cast<int>(state.range(1));
  std::string body = make_request(n_series, per_series);
  const size_t want = static_cast<size_t>(n_series) * per_series;
  for (auto _ : state) {
    MetricBatch batch;
    Status st = decode_remote_write(body, &batch);
    size_t got = 0;
    for (const auto& s : batch.series) got += s.samples.size();
    if (!st.ok() || got != want) {
      state.SkipWithError("decode did not return every sample");
      break;
    }
    benchmark::DoNotOptimize(batch);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * want));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_DecodeRemoteWrite)->Args({2000, 1})->Args({500, 10});

}  // namespace
}  // namespace opsight::ingest::prometheus

BENCHMARK_MAIN();
