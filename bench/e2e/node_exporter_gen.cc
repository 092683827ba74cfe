#include "node_exporter_gen.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <utility>

#include "wire/protobuf.h"

namespace opsight::bench {
namespace {

// SplitMix64 (Steele, Lea, Flood: "Fast splittable pseudorandom number generators", 2014).
uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Uniform in [0, 1) with 53 random bits.
double uniform(uint64_t& state) {
  return static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;
}

uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t s = a ^ (b * 0xd6e8feb86659fd93ULL);
  return splitmix64(s);
}

constexpr const char* kCpuModes[] = {"idle",    "iowait", "irq",    "nice",
                                     "softirq", "steal",  "system", "user"};
// Mean share of one CPU second spent in each mode (same order as kCpuModes).
constexpr double kCpuModeShare[] = {0.80, 0.01, 0.0005, 0.001, 0.005, 0.002, 0.05, 0.13};

}  // namespace

Result<NodeExporterWorkload> NodeExporterWorkload::create(const NodeExporterConfig& config) {
  if (config.num_series == 0 || config.num_series > 10'000'000) {
    return Status::invalid_argument("num_series must be in [1, 10000000]");
  }
  if (config.interval_ms <= 0) return Status::invalid_argument("interval_ms must be > 0");
  if (config.duration_ms < config.interval_ms) {
    return Status::invalid_argument("duration_ms must be >= interval_ms");
  }
  if (config.end_ms <= config.duration_ms) {
    return Status::invalid_argument("end_ms must be > duration_ms");
  }
  if (config.max_jitter_ms < 0 || config.max_jitter_ms * 4 >= config.interval_ms) {
    return Status::invalid_argument("max_jitter_ms must be in [0, interval_ms / 4)");
  }
  NodeExporterWorkload w(config);
  w.start_ms_ = config.end_ms - config.duration_ms;
  w.num_steps_ = static_cast<size_t>(config.duration_ms / config.interval_ms);
  const size_t hosts = (config.num_series + kSeriesPerHost - 1) / kSeriesPerHost;
  w.series_.reserve(config.num_series);
  for (size_t h = 0; h < hosts; ++h) {
    const size_t count = std::min(kSeriesPerHost, config.num_series - h * kSeriesPerHost);
    w.add_host(static_cast<uint32_t>(h), count);
  }
  w.host_order_.resize(hosts);
  for (uint32_t h = 0; h < hosts; ++h) w.host_order_[h] = h;
  std::stable_sort(w.host_order_.begin(), w.host_order_.end(), [&](uint32_t a, uint32_t b) {
    return w.host_offset_ms_[a] < w.host_offset_ms_[b];
  });
  return w;
}

void NodeExporterWorkload::add_series(uint32_t host, Labels labels, Kind kind, double rate,
                                      double scale, double initial) {
  Series s;
  s.labels = std::move(labels);
  s.kind = kind;
  s.host = host;
  s.rate = rate;
  s.scale = scale;
  s.value = initial;
  s.rng = mix(config_.seed, series_.size() + 1);
  series_.push_back(std::move(s));
}

void NodeExporterWorkload::add_host(uint32_t host, size_t count) {
  uint64_t rng = mix(config_.seed ^ 0x686f7374ULL, host);  // per-host parameters
  const int64_t j = config_.max_jitter_ms;
  const int64_t span = config_.interval_ms - 2 * j;
  host_offset_ms_.push_back(j + static_cast<int64_t>(splitmix64(rng) % uint64_t(span)));
  host_first_.push_back(static_cast<uint32_t>(series_.size()));
  host_count_.push_back(static_cast<uint32_t>(count));

  char inst[32];
  std::snprintf(inst, sizeof inst, "host-%04u:9100", host);
  const std::string instance = inst;
  auto lbl = [&](std::string_view name, std::vector<Label> extra) {
    extra.push_back({std::string(kMetricName), std::string(name)});
    extra.push_back({"instance", instance});
    extra.push_back({"job", "node"});
    return Labels(std::move(extra));
  };
  const double uptime_s = 86'400.0 * (1 + 29 * uniform(rng));
  const double busy = 0.5 + uniform(rng);  // how loaded this host is, relative
  const double mem_total_kb = std::round(16'384'000 * (1 + 3 * uniform(rng)));

  const size_t first = series_.size();
  auto full = [&] { return series_.size() - first >= count; };

  // 32: node_cpu_seconds_total{cpu, mode}, counters of 1/100 s ticks.
  for (int cpu = 0; cpu < 4 && !full(); ++cpu) {
    for (size_t m = 0; m < std::size(kCpuModes) && !full(); ++m) {
      double share = kCpuModeShare[m] * (m == 0 ? 1.0 : busy);
      if (m == 0) share = 1.0 - (1.0 - kCpuModeShare[0]) * busy;
      add_series(
          host,
          lbl("node_cpu_seconds_total", {{"cpu", std::to_string(cpu)}, {"mode", kCpuModes[m]}}),
          Kind::kCpuCounter, share, 100, std::round(uptime_s * share * 100));
    }
  }
  // 3: load averages.
  const double load = 0.3 + 2.0 * busy * uniform(rng);
  for (const char* name : {"node_load1", "node_load5", "node_load15"}) {
    if (full()) break;
    add_series(host, lbl(name, {}), Kind::kLoadGauge, load, 0.1, load);
  }
  // 12: /proc/meminfo gauges in bytes.
  struct Mem {
    const char* name;
    double share;  // of MemTotal
    double drift;  // kB per step, amplitude
    bool constant;
  };
  const Mem mems[] = {
      {"node_memory_MemTotal_bytes", 1.0, 0, true},
      {"node_memory_MemFree_bytes", 0.2, 20'000, false},
      {"node_memory_MemAvailable_bytes", 0.6, 20'000, false},
      {"node_memory_Buffers_bytes", 0.02, 500, false},
      {"node_memory_Cached_bytes", 0.35, 10'000, false},
      {"node_memory_SwapTotal_bytes", 0.25, 0, true},
      {"node_memory_SwapFree_bytes", 0.24, 100, false},
      {"node_memory_Active_bytes", 0.4, 8'000, false},
      {"node_memory_Inactive_bytes", 0.3, 8'000, false},
      {"node_memory_Dirty_bytes", 0.0005, 200, false},
      {"node_memory_Slab_bytes", 0.03, 300, false},
      {"node_memory_Shmem_bytes", 0.01, 50, false},
  };
  for (const Mem& m : mems) {
    if (full()) break;
    const double kb = std::round(mem_total_kb * m.share);
    add_series(host, lbl(m.name, {}), m.constant ? Kind::kConstant : Kind::kMemoryGauge, kb,
               m.drift, m.constant ? kb * 1024 : kb);
  }
  // 16: node_network_{receive,transmit}_{bytes,packets,errs,drop}_total{device}.
  for (const char* dev : {"eth0", "lo"}) {
    const double dev_rate = (dev[0] == 'e' ? 200'000.0 : 20'000.0) * busy;
    for (const char* dir : {"receive", "transmit"}) {
      for (const char* what : {"bytes", "packets", "errs", "drop"}) {
        if (full()) break;
        double rate = dev_rate;
        if (what[0] == 'p') rate = dev_rate / 800;
        if (what[0] == 'e') rate = 0.0002;
        if (what[0] == 'd') rate = 0.002;
        std::string name = "node_network_";
        name.append(dir).append("_").append(what).append("_total");
        add_series(host, lbl(name, {{"device", dev}}), Kind::kIntCounter, rate, 0,
                   std::round(uptime_s * rate));
      }
    }
  }
  // 14: node_disk_*{device}: integer operation and byte counters, float time counters (ms).
  for (const char* dev : {"sda", "sdb"}) {
    struct Disk {
      const char* name;
      double rate;
      bool seconds;
    };
    const Disk disks[] = {
        {"node_disk_reads_completed_total", 20 * busy, false},
        {"node_disk_writes_completed_total", 60 * busy, false},
        {"node_disk_read_bytes_total", 400'000 * busy, false},
        {"node_disk_written_bytes_total", 1'200'000 * busy, false},
        {"node_disk_io_time_seconds_total", 0.05 * busy, true},
        {"node_disk_read_time_seconds_total", 0.01 * busy, true},
        {"node_disk_write_time_seconds_total", 0.08 * busy, true},
    };
    for (const Disk& d : disks) {
      if (full()) break;
      if (d.seconds) {
        add_series(host, lbl(d.name, {{"device", dev}}), Kind::kCpuCounter, d.rate, 1000,
                   std::round(uptime_s * d.rate * 1000));
      } else {
        add_series(host, lbl(d.name, {{"device", dev}}), Kind::kIntCounter, d.rate, 0,
                   std::round(uptime_s * d.rate));
      }
    }
  }
  // 15: node_filesystem_*{device, fstype, mountpoint}.
  struct Fs {
    const char* device;
    const char* fstype;
    const char* mount;
    double size_gb;
  };
  const Fs filesystems[] = {{"/dev/vda1", "ext4", "/", 100},
                            {"/dev/vda15", "vfat", "/boot", 0.5},
                            {"/dev/vdb1", "xfs", "/var", 500}};
  for (const Fs& fs : filesystems) {
    const std::vector<Label> fl = {
        {"device", fs.device}, {"fstype", fs.fstype}, {"mountpoint", fs.mount}};
    const double size = std::round(fs.size_gb * 262'144) * 4096;  // whole 4 KiB blocks
    const double free_bytes = std::round(size * (0.2 + 0.6 * uniform(rng)) / 4096) * 4096;
    const double files = std::round(fs.size_gb * 65'536);
    const double files_free = std::round(files * 0.9);
    if (!full())
      add_series(host, lbl("node_filesystem_size_bytes", fl), Kind::kConstant, 0, 0, size);
    if (!full()) {
      add_series(host, lbl("node_filesystem_free_bytes", fl), Kind::kFallingGauge, 20'000 * busy,
                 4096, free_bytes);
    }
    if (!full()) {
      add_series(host, lbl("node_filesystem_avail_bytes", fl), Kind::kFallingGauge, 20'000 * busy,
                 4096, std::round(free_bytes * 0.95 / 4096) * 4096);
    }
    if (!full()) add_series(host, lbl("node_filesystem_files", fl), Kind::kConstant, 0, 0, files);
    if (!full()) {
      add_series(host, lbl("node_filesystem_files_free", fl), Kind::kFallingGauge, 0.05, 1,
                 files_free);
    }
  }
  // 8: the rest of a node's basics.
  const double boot = std::floor(static_cast<double>(config_.end_ms) / 1000 - uptime_s);
  if (!full()) add_series(host, lbl("node_boot_time_seconds", {}), Kind::kConstant, 0, 0, boot);
  if (!full()) add_series(host, lbl("node_time_seconds", {}), Kind::kWallClock, 0, 0, 0);
  for (auto [name, rate] :
       {std::pair{"node_context_switches_total", 3'000.0 * busy},
        std::pair{"node_intr_total", 1'500.0 * busy}, std::pair{"node_forks_total", 2.0 * busy}}) {
    if (full()) break;
    add_series(host, lbl(name, {}), Kind::kIntCounter, rate, 0, std::round(uptime_s * rate));
  }
  if (!full()) add_series(host, lbl("node_procs_running", {}), Kind::kSmallIntGauge, 2, 2, 2);
  if (!full()) add_series(host, lbl("node_procs_blocked", {}), Kind::kSmallIntGauge, 0.2, 1, 0);
  if (!full()) {
    add_series(host, lbl("node_entropy_available_bits", {}), Kind::kSmallIntGauge, 3'500, 300,
               3'500);
  }
  // The table above has exactly kSeriesPerHost series; pad if it ever shrinks.
  for (int i = 0; !full(); ++i) {
    add_series(host,
               lbl("node_scrape_collector_success",
                   {{"collector", std::string("c").append(std::to_string(i))}}),
               Kind::kConstant, 0, 0, 1);
  }
}

int64_t NodeExporterWorkload::scrape_time(uint32_t host, size_t step) const {
  const int64_t j = config_.max_jitter_ms;
  const uint64_t h = mix(config_.seed ^ 0x6a6974746572ULL, (uint64_t{host} << 32) ^ step);
  const int64_t jitter = static_cast<int64_t>(h % uint64_t(2 * j + 1)) - j;
  return start_ms_ + host_offset_ms_[host] + static_cast<int64_t>(step) * config_.interval_ms +
         jitter;
}

double NodeExporterWorkload::advance(Series& s, int64_t t) {
  const double dt = static_cast<double>(config_.interval_ms) / 1000;
  const bool first = step_ == 0;
  switch (s.kind) {
    case Kind::kCpuCounter: {
      // value counts ticks of 1/scale s; emitted as ticks / scale, like node_exporter.
      if (!first) s.value += std::round(s.rate * dt * s.scale * (0.5 + uniform(s.rng)));
      return s.value / s.scale;
    }
    case Kind::kIntCounter: {
      if (!first) {
        const double u = uniform(s.rng);
        const double burst = u < 0.1 ? 6 * uniform(s.rng) : 0.5 + uniform(s.rng);
        s.value += std::round(s.rate * dt * burst);
      }
      return s.value;
    }
    case Kind::kMemoryGauge: {
      if (!first) {
        s.value += (s.rate - s.value) * 0.01 + s.scale * (uniform(s.rng) - 0.5);
        s.value = std::max(0.0, std::round(s.value));
      }
      return s.value * 1024;
    }
    case Kind::kFallingGauge: {
      if (!first) {
        s.value -= std::round(s.rate * dt * uniform(s.rng) / s.scale) * s.scale;
        if (uniform(s.rng) < 0.001) s.value += std::round(s.rate * dt * 200 / s.scale) * s.scale;
        s.value = std::max(0.0, s.value);
      }
      return s.value;
    }
    case Kind::kLoadGauge: {
      if (!first) {
        s.value += (s.rate - s.value) * 0.02 + s.scale * (uniform(s.rng) - 0.5);
        s.value = std::max(0.0, s.value);
      }
      return std::round(s.value * 100) / 100;
    }
    case Kind::kSmallIntGauge:
      return std::max(0.0, std::round(s.rate + s.scale * 2 * (uniform(s.rng) - 0.5)));
    case Kind::kConstant:
      return s.value;
    case Kind::kWallClock:
      // The exporter reads the clock a little after the scrape started.
      return static_cast<double>(t) / 1000 + 0.0005 + 0.002 * uniform(s.rng);
  }
  return 0;
}

bool NodeExporterWorkload::next_step(std::vector<GenSample>* out) {
  if (step_ >= num_steps_) return false;
  for (uint32_t host : host_order_) {
    const int64_t t = scrape_time(host, step_);
    const uint32_t first = host_first_[host];
    for (uint32_t i = first; i < first + host_count_[host]; ++i) {
      out->push_back(GenSample{i, t, advance(series_[i], t)});
    }
  }
  ++step_;
  return true;
}

std::string encode_labels(const Labels& labels) {
  wire::pb::Writer ts;
  for (const Label& l : labels) {
    wire::pb::Writer lw;
    lw.bytes(1, l.name);
    lw.bytes(2, l.value);
    ts.message(1, lw.str());
  }
  return ts.take();
}

std::string encode_write_request(std::span<const std::string> encoded_labels,
                                 std::span<const GenSample> samples) {
  wire::pb::Writer req;
  std::string ts;
  wire::pb::Writer sw;
  for (const GenSample& s : samples) {
    // prompb.Sample {double value = 1; int64 timestamp = 2;}; proto3 omits zero scalars, as
    // Prometheus's gogo-generated marshaller does.
    sw.clear();
    if (s.v != 0 || std::signbit(s.v)) sw.dbl(1, s.v);
    if (s.t != 0) sw.varint(2, static_cast<uint64_t>(s.t));
    ts = encoded_labels[s.series];
    ts.push_back(static_cast<char>((2 << 3) | wire::pb::kLengthDelimited));
    put_varint64(ts, sw.str().size());
    ts.append(sw.str());
    req.message(1, ts);
  }
  return req.take();
}

Result<std::vector<DecodedSeries>> decode_write_request(std::string_view body) {
  std::vector<DecodedSeries> out;
  wire::pb::Reader req(body);
  while (req.next()) {
    if (req.field() != 1) continue;  // metadata (3) and unknown fields are skipped
    wire::pb::Reader ts(req.bytes());
    std::vector<Label> labels;
    DecodedSeries d;
    while (ts.next()) {
      if (ts.field() == 1) {
        wire::pb::Reader lr(ts.bytes());
        Label l;
        while (lr.next()) {
          if (lr.field() == 1) l.name = std::string(lr.bytes());
          if (lr.field() == 2) l.value = std::string(lr.bytes());
        }
        if (!lr.ok()) return Status::invalid_argument(std::string("label: ") + lr.error());
        labels.push_back(std::move(l));
      } else if (ts.field() == 2) {
        wire::pb::Reader sr(ts.bytes());
        GenSample s;
        while (sr.next()) {
          if (sr.field() == 1) s.v = sr.dbl();
          if (sr.field() == 2) s.t = sr.int64();
        }
        if (!sr.ok()) return Status::invalid_argument(std::string("sample: ") + sr.error());
        d.samples.push_back(s);
      }
    }
    if (!ts.ok()) return Status::invalid_argument(std::string("timeseries: ") + ts.error());
    d.labels = Labels(std::move(labels));
    out.push_back(std::move(d));
  }
  if (!req.ok()) return Status::invalid_argument(std::string("WriteRequest: ") + req.error());
  return out;
}

uint32_t shard_of(const Labels& labels, uint32_t num_shards) {
  return static_cast<uint32_t>(labels.hash() % num_shards);
}

}  // namespace opsight::bench
