// Sample encodings (storage/tsdb/chunk.h) on a node-exporter-like block: encode and decode
// throughput (items_per_second = samples/s) and bytes per sample, raw and after zstd level 3
// over ~64 KiB pages of concatenated encoded series (how the tsdb stores blocks), for the
// block series encoding (and variants with codecs disabled) and for Gorilla head chunks.
//
//   build-rel/bench/chunk_bench --benchmark_counters_tabular=true
//
// Counters: B_per_sample (encoded), zstd_B_per_sample (after zstd), samples (per iteration).
#include <benchmark/benchmark.h>
#include <zstd.h>

#include <string>
#include <vector>

#include "micro/node_exporter_gen.h"
#include "storage/tsdb/chunk.h"
#include "storage/tsdb/chunk_block.h"

namespace {

using opsight::bench::micro::GenSeries;
using opsight::storage::Sample;
namespace tsdb = opsight::storage::tsdb;

constexpr size_t kPageBytes = 64 * 1024;
constexpr int kZstdLevel = 3;
constexpr uint32_t kHeadChunkSamples = 120;  // Prometheus cuts head chunks at 120 samples

struct Workload {
  std::vector<GenSeries> series;
  size_t samples = 0;
};

const Workload& workload() {
  static const Workload* w = [] {
    auto* w = new Workload;
    w->series = opsight::bench::micro::generate_node_exporter({});
    for (const auto& s : w->series) w->samples += s.samples.size();
    return w;
  }();
  return *w;
}

// zstd over pages of ~kPageBytes, each page a run of whole encoded series.
size_t zstd_size(const std::vector<std::string>& encoded) {
  size_t total = 0;
  std::string page, dst;
  auto flush = [&] {
    if (page.empty()) return;
    dst.resize(ZSTD_compressBound(page.size()));
    total += ZSTD_compress(dst.data(), dst.size(), page.data(), page.size(), kZstdLevel);
    page.clear();
  };
  for (const auto& e : encoded) {
    page += e;
    if (page.size() >= kPageBytes) flush();
  }
  flush();
  return total;
}

void report_sizes(benchmark::State& state, const std::vector<std::string>& encoded) {
  size_t raw = 0;
  for (const auto& e : encoded) raw += e.size();
  const double n = static_cast<double>(workload().samples);
  state.counters["B_per_sample"] = static_cast<double>(raw) / n;
  state.counters["zstd_B_per_sample"] = static_cast<double>(zstd_size(encoded)) / n;
  state.counters["samples"] = n;
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(workload().samples));
}

std::vector<std::string> encode_block(const tsdb::internal::BlockEncodeOptions& opts,
                                      bool zero_values = false) {
  std::vector<std::string> out;
  std::vector<Sample> tmp;
  for (const auto& s : workload().series) {
    out.emplace_back();
    if (zero_values) {
      tmp = s.samples;
      for (auto& x : tmp) x.v = 0;
      tsdb::internal::encode_block_series_with(opts, tmp, &out.back());
    } else {
      tsdb::internal::encode_block_series_with(opts, s.samples, &out.back());
    }
  }
  return out;
}

// Arg: 0 all codecs, 1 no grid timestamps, 2 no decimal values, 3 neither.
void BM_BlockEncode(benchmark::State& state) {
  tsdb::internal::BlockEncodeOptions opts;
  opts.grid_timestamps = (state.range(0) & 1) == 0;
  opts.decimal_values = (state.range(0) & 2) == 0;
  std::vector<std::string> encoded;
  for (auto _ : state) {
    encoded = encode_block(opts);
    benchmark::DoNotOptimize(encoded.data());
  }
  report_sizes(state, encoded);
}
BENCHMARK(BM_BlockEncode)->Arg(0)->Arg(1)->Arg(2)->Arg(3)->Unit(benchmark::kMillisecond);

// What the timestamps alone cost: every value replaced by 0 (a kConst column).
void BM_BlockTimestampsOnly(benchmark::State& state) {
  std::vector<std::string> encoded;
  for (auto _ : state) encoded = encode_block({}, /*zero_values=*/true);
  report_sizes(state, encoded);
}
BENCHMARK(BM_BlockTimestampsOnly)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_BlockDecode(benchmark::State& state) {
  const std::vector<std::string> encoded = encode_block({});
  std::vector<Sample> out;
  out.reserve(1024);
  size_t decoded = 0;
  for (auto _ : state) {
    decoded = 0;
    for (const auto& e : encoded) {
      out.clear();
      if (!tsdb::decode_block_series(e, &out).ok()) {
        state.SkipWithError("decode failed");
        return;
      }
      decoded += out.size();
    }
    benchmark::DoNotOptimize(out.data());
  }
  if (decoded != workload().samples) state.SkipWithError("decoded sample count mismatch");
  report_sizes(state, encoded);
}
BENCHMARK(BM_BlockDecode)->Unit(benchmark::kMillisecond);

struct HeadChunks {
  std::vector<std::string> bytes;
  std::vector<uint32_t> counts;
};

HeadChunks encode_head() {
  HeadChunks out;
  for (const auto& s : workload().series) {
    for (size_t i = 0; i < s.samples.size(); i += kHeadChunkSamples) {
      tsdb::HeadChunk c(tsdb::ChunkEncoding::kXor);
      for (size_t j = i; j < s.samples.size() && j < i + kHeadChunkSamples; ++j) {
        c.append(s.samples[j]);
      }
      out.bytes.emplace_back(c.data());
      out.counts.push_back(c.num_samples());
    }
  }
  return out;
}

void BM_HeadChunkEncode(benchmark::State& state) {
  HeadChunks chunks;
  for (auto _ : state) {
    chunks = encode_head();
    benchmark::DoNotOptimize(chunks.bytes.data());
  }
  report_sizes(state, chunks.bytes);
}
BENCHMARK(BM_HeadChunkEncode)->Unit(benchmark::kMillisecond);

void BM_HeadChunkDecode(benchmark::State& state) {
  const HeadChunks chunks = encode_head();
  size_t decoded = 0;
  double sum = 0;
  for (auto _ : state) {
    decoded = 0;
    for (size_t i = 0; i < chunks.bytes.size(); ++i) {
      tsdb::ChunkIterator it(tsdb::ChunkEncoding::kXor, chunks.bytes[i], chunks.counts[i]);
      while (it.next()) {
        sum += it.at().v;
        ++decoded;
      }
      if (!it.err().ok()) {
        state.SkipWithError("decode failed");
        return;
      }
    }
    benchmark::DoNotOptimize(sum);
  }
  if (decoded != workload().samples) state.SkipWithError("decoded sample count mismatch");
  report_sizes(state, chunks.bytes);
}
BENCHMARK(BM_HeadChunkDecode)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
