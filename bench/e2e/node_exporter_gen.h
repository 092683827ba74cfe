#pragma once
// A deterministic node-exporter-like metrics workload for the end-to-end benchmark
// (bench/e2e/run_vs_prometheus.py), and the Prometheus remote-write request bodies built from it.
//
// Design
// - Hosts of 100 series each, modelled on what prometheus/node_exporter exposes on Linux:
//   node_cpu_seconds_total{cpu,mode} (float counters in 1/100 s, as USER_HZ ticks become),
//   node_memory_*_bytes (integer gauges in whole kB * 1024 with slow mean-reverting drift),
//   node_network_*_total and node_disk_*_total (integer counters), node_filesystem_* (slowly
//   falling integer gauges), node_load1/5/15 (float gauges), node_time_seconds and a few others.
//   A workload of N series uses ceil(N/100) hosts; the last host is cut short.
// - Time: one scrape every `interval_ms` per host, at a fixed per-host offset inside the
//   interval (Prometheus spreads targets the same way) plus a few ms of jitter per scrape; all
//   series of a host share a scrape's timestamp, as in a real scrape. Every timestamp lies in
//   [end_ms - duration_ms, end_ms).
// - Determinism: each series owns a SplitMix64 stream seeded from (seed, series index); jitter is
//   a hash of (seed, host, step). The same config always yields the same bytes, independent of
//   how the samples are later sharded or batched.
// - Remote write: WriteRequest per prometheus/prompb/remote.proto and types.proto (remote write
//   1.0, prometheus.io/docs/concepts/remote_write_spec/): one TimeSeries per sample, the way
//   Prometheus's queue manager (storage/remote/queue_manager.go) builds its requests. Series are
//   sharded by label hash like the queue manager's shards, so each shard's stream is in time
//   order per series.
//
// Thread safety: none; a NodeExporterWorkload is used by one thread.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/labels.h"
#include "common/status.h"

namespace opsight::bench {

inline constexpr size_t kSeriesPerHost = 100;

struct NodeExporterConfig {
  size_t num_series = 10'000;
  int64_t end_ms = 0;  // exclusive upper bound of every timestamp; must be > duration_ms
  int64_t duration_ms = 4 * 3'600'000;
  int64_t interval_ms = 15'000;
  int64_t max_jitter_ms = 3;  // |jitter| bound per scrape; must be < interval_ms / 4
  uint64_t seed = 1;
};

struct GenSample {
  uint32_t series = 0;  // index into NodeExporterWorkload::labels()
  int64_t t = 0;        // ms since the Unix epoch
  double v = 0;
};

class NodeExporterWorkload {
 public:
  // InvalidArgument names the offending field when the config is out of range.
  static Result<NodeExporterWorkload> create(const NodeExporterConfig& config);

  size_t num_series() const { return series_.size(); }
  size_t num_steps() const { return num_steps_; }
  size_t num_hosts() const { return host_offset_ms_.size(); }
  int64_t start_ms() const { return start_ms_; }
  int64_t end_ms() const { return config_.end_ms; }
  const NodeExporterConfig& config() const { return config_; }
  const Labels& labels(size_t series) const { return series_[series].labels; }

  // Appends the next scrape step of every series to *out (hosts in order of their offset, so
  // timestamps are ascending but for jitter). Returns false, appending nothing, once all
  // num_steps() steps have been produced.
  bool next_step(std::vector<GenSample>* out);

 private:
  enum class Kind : uint8_t {
    kCpuCounter,     // float counter, 0.01 resolution
    kIntCounter,     // integer counter, bursty increments
    kMemoryGauge,    // integer bytes (kB * 1024), mean-reverting drift
    kFallingGauge,   // integer bytes (multiple of 4096), slowly decreasing, rare jumps back
    kLoadGauge,      // float gauge, 2 decimals, mean-reverting
    kSmallIntGauge,  // small integer gauge (procs running, connections)
    kConstant,       // never changes (MemTotal, filesystem size, boot time)
    kWallClock,      // node_time_seconds: the scrape time in seconds with a fraction
  };
  struct Series {
    Labels labels;
    Kind kind = Kind::kConstant;
    uint32_t host = 0;
    double rate = 0;   // counters: mean increase per second; gauges: mean level
    double scale = 0;  // gauges: drift amplitude
    double value = 0;  // current value
    uint64_t rng = 0;  // SplitMix64 state
  };

  explicit NodeExporterWorkload(const NodeExporterConfig& config) : config_(config) {}
  void add_host(uint32_t host, size_t count);
  void add_series(uint32_t host, Labels labels, Kind kind, double rate, double scale,
                  double initial);
  int64_t scrape_time(uint32_t host, size_t step) const;
  double advance(Series& s, int64_t t);

  NodeExporterConfig config_;
  int64_t start_ms_ = 0;
  size_t num_steps_ = 0;
  size_t step_ = 0;
  std::vector<Series> series_;
  std::vector<int64_t> host_offset_ms_;
  std::vector<uint32_t> host_order_;  // hosts sorted by offset
  std::vector<uint32_t> host_first_;  // first series index of each host
  std::vector<uint32_t> host_count_;  // number of series of each host
};

// Encodes a remote-write 1.0 WriteRequest (uncompressed protobuf) with one TimeSeries per
// sample. `encoded_labels[s]` must be encode_labels(workload.labels(s)).
std::string encode_write_request(std::span<const std::string> encoded_labels,
                                 std::span<const GenSample> samples);
// The repeated `labels` fields (field 1) of a prompb.TimeSeries for `labels`.
std::string encode_labels(const Labels& labels);

// One decoded TimeSeries, for checks: its labels and samples.
struct DecodedSeries {
  Labels labels;
  std::vector<GenSample> samples;  // series index unset (0)
};
// Decodes a WriteRequest produced by encode_write_request (labels and samples only; metadata
// ignored). InvalidArgument on malformed protobuf.
Result<std::vector<DecodedSeries>> decode_write_request(std::string_view body);

// Queue-manager-like shard of a series: label hash modulo num_shards.
uint32_t shard_of(const Labels& labels, uint32_t num_shards);

}  // namespace opsight::bench
