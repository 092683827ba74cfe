#pragma once
// A deterministic node-exporter-like set of series, sample by sample, for the chunk encoding
// benchmark (bench/micro/chunk_bench.cc). bench/e2e/node_exporter_gen.h is the end-to-end
// workload (remote-write bodies); this one is smaller in scope (one block of finished series)
// but richer in value shapes, because sample encodings live or die by them.
//
// Design
// - ~500 series per host, modelled on prometheus/node_exporter and client_golang on Linux, with
//   the number formats those programs really produce:
//     node_cpu_seconds_total          USER_HZ ticks / 100 (2 decimals), 8 CPUs x 8 modes
//     node_network_*_total            integer counters, bursty; errs/drop mostly flat
//     node_disk_io_time_seconds_total milliseconds * 0.001 (a product, not always m / 1000)
//     node_memory_*_bytes             kB * 1024, mean-reverting drift; some constant
//     node_filesystem_*_bytes         multiples of 4096, slowly falling; size constant
//     node_hwmon_temp_celsius         millidegrees / 1000 in 0.125 steps
//     node_load1/5/15                 2 decimals
//     node_scrape_collector_duration_seconds, go_gc_duration_seconds
//                                     nanoseconds / 1e9 (Go's Duration.Seconds())
//     node_time_seconds, go_memstats_gc_cpu_fraction, go_gc_duration_seconds_sum
//                                     full-precision floats
//     *_info, node_scrape_collector_success, guest CPU, MemTotal ... constants
// - Time: one scrape per host every interval_ms at a fixed per-host offset plus a lag of
//   0..4 ms (2% of scrapes: 5..40 ms); all series of a host share the scrape timestamp.
// - Churn and failures: host 7 (if present) fails its scrapes for a minute at the middle of the
//   window: Prometheus then writes a staleness marker into every series of the host, and the
//   host comes back (rebooted) with counters restarted from zero and a new scrape offset. Two
//   veth interfaces per host exist for part of the window and end with a staleness marker.
// - Series come sorted by labels (__name__ first), the order of series in a block.
// - Determinism: one SplitMix64 stream per series seeded from (seed, host, series number).
//
// Thread safety: generate_node_exporter() is a pure function.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "storage/sample.h"

namespace opsight::bench::micro {

struct NodeExporterGenConfig {
  size_t num_hosts = 20;  // ~500 series each
  int64_t start_ms = 1'700'000'000'000;
  int64_t duration_ms = 2 * 3'600'000;
  int64_t interval_ms = 15'000;
  uint64_t seed = 42;
};

struct GenSeries {
  std::vector<std::pair<std::string, std::string>> labels;  // sorted, __name__ first
  std::vector<storage::Sample> samples;                     // ascending t
};

namespace gen_detail {

struct Rng {
  uint64_t s;
  uint64_t next() {  // SplitMix64
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double normal() {  // Irwin-Hall approximation, good enough for noise
    double a = 0;
    for (int i = 0; i < 12; ++i) a += uniform();
    return a - 6;
  }
  uint64_t below(uint64_t n) { return next() % n; }
};

enum class Kind : uint8_t {
  kTicks,        // counter: integer ticks / divisor (cpu seconds: /100)
  kMsProduct,    // counter: integer ms * 0.001
  kIntCounter,   // counter: integer increments, lognormal with bursts
  kRareCounter,  // counter: rarely increments by a small integer
  kIntGauge,     // integer gauge, mean-reverting, multiple of `unit`
  kDecGauge,     // decimal gauge m / 10^decimals, mean-reverting in units of `unit`
  kFalling,      // integer gauge, slowly decreasing in multiples of `unit`
  kDuration,     // nanoseconds / 1e9, lognormal around `level` seconds
  kFullFloat,    // full-precision float gauge around `level`
  kFloatSum,     // counter: running float sum of durations (full precision)
  kWallClock,    // node_time_seconds
  kConst,        // constant `level`
};

struct Spec {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  Kind kind;
  double level = 0;   // counters: mean increment per scrape (in integer units); gauges: mean
  double spread = 0;  // relative noise of increments / absolute walk step for gauges
  double unit = 1;    // int gauges: granularity; ticks: divisor
  int decimals = 0;
};

struct SeriesState {
  double x = 0;  // integer state for counters/gauges (units), or float state
  double mean = 0;
};

inline double next_value(const Spec& sp, SeriesState& st, Rng& r, bool reset, int64_t t_ms) {
  switch (sp.kind) {
    case Kind::kTicks:
    case Kind::kMsProduct:
    case Kind::kIntCounter: {
      if (reset) st.x = std::floor(r.uniform() * sp.level * 3);
      double inc = sp.level * std::max(0.0, 1 + sp.spread * r.normal());
      if (sp.kind == Kind::kIntCounter && r.uniform() < 0.01) inc *= 20;  // burst
      st.x += std::floor(inc + r.uniform());  // stochastic rounding: low rates stay integral
      if (sp.kind == Kind::kTicks) return st.x / sp.unit;
      if (sp.kind == Kind::kMsProduct) return st.x * 0.001;
      return st.x;
    }
    case Kind::kRareCounter:
      if (reset) st.x = 0;
      if (r.uniform() < sp.level) st.x += 1 + static_cast<double>(r.below(3));
      return st.x;
    case Kind::kIntGauge: {
      double step = std::round(sp.spread * r.normal() + (st.mean - st.x) * 0.05);
      st.x = std::max(0.0, st.x + step);
      return st.x * sp.unit;
    }
    case Kind::kDecGauge: {
      double step = std::round(sp.spread * r.normal() + (st.mean - st.x) * 0.1);
      st.x = std::max(0.0, st.x + step);
      double p = std::pow(10.0, sp.decimals);
      return (st.x * sp.unit) / p;  // an integer divided by a power of ten
    }
    case Kind::kFalling:
      if (r.uniform() < 0.5) st.x -= std::floor(r.uniform() * sp.spread);
      if (r.uniform() < 0.002) st.x = st.mean;  // log rotation, cleanup
      return st.x * sp.unit;
    case Kind::kDuration: {
      double ns = std::floor(sp.level * 1e9 * std::exp(0.5 * r.normal()));
      return ns / 1e9;
    }
    case Kind::kFullFloat:
      return sp.level * (1 + sp.spread * r.normal());
    case Kind::kFloatSum: {
      if (reset) st.x = 0;
      double ns = std::floor(sp.level * 1e9 * std::exp(0.5 * r.normal()));
      st.x += ns / 1e9;
      return st.x;
    }
    case Kind::kWallClock: {
      int64_t ns = t_ms * 1'000'000 + static_cast<int64_t>(r.below(1'000'000));
      return static_cast<double>(ns) / 1e9;
    }
    case Kind::kConst:
      return sp.level;
  }
  return 0;
}

inline std::vector<Spec> host_specs(const std::string& instance, Rng& r) {
  std::vector<Spec> v;
  auto add = [&](std::string name, std::vector<std::pair<std::string, std::string>> l, Kind k,
                 double level, double spread = 0, double unit = 1, int decimals = 0) {
    l.emplace_back("instance", instance);
    l.emplace_back("job", "node");
    v.push_back(Spec{std::move(name), std::move(l), k, level, spread, unit, decimals});
  };
  const char* modes[] = {"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"};
  const double mode_rate[] = {0.85, 0.005, 0.0, 0.0, 0.004, 0.0, 0.03, 0.1};
  for (int cpu = 0; cpu < 8; ++cpu) {
    for (int m = 0; m < 8; ++m) {
      double ticks = mode_rate[m] * 15 * 100 * (0.7 + 0.6 * r.uniform());
      if (ticks == 0) {
        add("node_cpu_seconds_total", {{"cpu", std::to_string(cpu)}, {"mode", modes[m]}},
            Kind::kConst, 0);
      } else {
        add("node_cpu_seconds_total", {{"cpu", std::to_string(cpu)}, {"mode", modes[m]}},
            Kind::kTicks, ticks, m == 0 ? 0.08 : 0.6, 100);
      }
    }
    for (const char* g : {"guest", "guest_nice"}) {
      add("node_cpu_guest_seconds_total", {{"cpu", std::to_string(cpu)}, {"mode", g}}, Kind::kConst,
          0);
    }
  }
  const char* devices[] = {"docker0", "eth0", "eth1", "lo"};
  for (int d = 0; d < 4; ++d) {
    for (const char* dir : {"receive", "transmit"}) {
      double bytes = std::exp(10 + 6 * r.uniform());  // 20 KB .. 8 MB per scrape
      std::string p = std::string("node_network_") + dir + "_";
      add(p + "bytes_total", {{"device", devices[d]}}, Kind::kIntCounter, bytes, 0.5);
      add(p + "packets_total", {{"device", devices[d]}}, Kind::kIntCounter, bytes / 900, 0.5);
      add(p + "errs_total", {{"device", devices[d]}}, Kind::kRareCounter, 0.002);
      add(p + "drop_total", {{"device", devices[d]}}, Kind::kRareCounter, 0.01);
    }
    add("node_network_up", {{"device", devices[d]}}, Kind::kConst, 1);
    add("node_network_mtu_bytes", {{"device", devices[d]}}, Kind::kConst, 1500);
    add("node_network_info", {{"device", devices[d]}, {"operstate", "up"}}, Kind::kConst, 1);
  }
  const char* disks[] = {"dm-0", "nvme0n1", "sda", "sdb"};
  for (const char* d : disks) {
    double ops = std::exp(-2 + 7 * r.uniform());  // idle disks: mostly flat
    add("node_disk_reads_completed_total", {{"device", d}}, Kind::kIntCounter, ops, 0.6);
    add("node_disk_writes_completed_total", {{"device", d}}, Kind::kIntCounter, ops * 2, 0.6);
    add("node_disk_read_bytes_total", {{"device", d}}, Kind::kIntCounter, ops * 16384, 0.6);
    add("node_disk_written_bytes_total", {{"device", d}}, Kind::kIntCounter, ops * 32768, 0.6);
    add("node_disk_io_time_seconds_total", {{"device", d}}, Kind::kMsProduct, ops * 3, 0.6);
    add("node_disk_read_time_seconds_total", {{"device", d}}, Kind::kMsProduct, ops, 0.6);
    add("node_disk_write_time_seconds_total", {{"device", d}}, Kind::kMsProduct, ops * 4, 0.6);
    add("node_disk_io_now", {{"device", d}}, Kind::kIntGauge, 1, 1);
  }
  for (int i = 0; i < 45; ++i) {
    std::string name = "node_memory_M" + std::to_string(i) + "_bytes";
    if (i % 2 == 0) {
      add(name, {}, Kind::kConst, std::floor(r.uniform() * 3e7) * 1024);
    } else {
      add(name, {}, Kind::kIntGauge, std::floor(r.uniform() * 3e6), 20 + 1500 * r.uniform(), 1024);
    }
  }
  const char* mounts[] = {"/", "/boot", "/data", "/run", "/var", "/var/lib/docker"};
  for (const char* m : mounts) {
    std::vector<std::pair<std::string, std::string>> l = {
        {"device", "/dev/sda1"}, {"fstype", "ext4"}, {"mountpoint", m}};
    double size = std::floor(std::exp(18 + 6 * r.uniform()));
    add("node_filesystem_avail_bytes", l, Kind::kFalling, size * 0.4, 30, 4096);
    add("node_filesystem_free_bytes", l, Kind::kFalling, size * 0.45, 30, 4096);
    add("node_filesystem_size_bytes", l, Kind::kConst, size * 4096);
    add("node_filesystem_files", l, Kind::kConst, std::floor(size / 4));
    add("node_filesystem_files_free", l, Kind::kFalling, std::floor(size / 5), 3, 1);
    add("node_filesystem_readonly", l, Kind::kConst, 0);
    add("node_filesystem_device_error", l, Kind::kConst, 0);
  }
  for (int s = 0; s < 8; ++s) {
    std::vector<std::pair<std::string, std::string>> l = {{"chip", "platform_coretemp_0"},
                                                          {"sensor", "temp" + std::to_string(s)}};
    add("node_hwmon_temp_celsius", l, Kind::kDecGauge, std::floor(320 + 80 * r.uniform()), 1, 125,
        3);
    add("node_hwmon_temp_crit_celsius", l, Kind::kConst, 100);
  }
  add("node_load1", {}, Kind::kDecGauge, std::floor(50 + 200 * r.uniform()), 8, 1, 2);
  add("node_load15", {}, Kind::kDecGauge, std::floor(50 + 200 * r.uniform()), 1, 1, 2);
  add("node_load5", {}, Kind::kDecGauge, std::floor(50 + 200 * r.uniform()), 3, 1, 2);
  for (int i = 0; i < 10; ++i) {
    add("node_vmstat_v" + std::to_string(i), {}, Kind::kIntCounter, std::exp(8 * r.uniform()), 0.7);
  }
  for (int i = 0; i < 60; ++i) {
    if (i % 3 != 0) {
      add("node_netstat_n" + std::to_string(i), {}, Kind::kRareCounter, 0.02);
    } else {
      add("node_netstat_n" + std::to_string(i), {}, Kind::kIntCounter, std::exp(7 * r.uniform()),
          0.7);
    }
  }
  add("node_context_switches_total", {}, Kind::kIntCounter, 150000, 0.2);
  add("node_intr_total", {}, Kind::kIntCounter, 90000, 0.2);
  add("node_forks_total", {}, Kind::kIntCounter, 300, 0.5);
  for (int i = 0; i < 15; ++i) {
    add("node_sockstat_s" + std::to_string(i), {}, Kind::kIntGauge, std::floor(r.uniform() * 300),
        2);
  }
  add("node_uname_info", {{"release", "6.1.0-18-amd64"}, {"sysname", "Linux"}}, Kind::kConst, 1);
  add("node_os_info", {{"id", "debian"}, {"version_id", "12"}}, Kind::kConst, 1);
  add("node_exporter_build_info", {{"version", "1.7.0"}}, Kind::kConst, 1);
  add("node_boot_time_seconds", {}, Kind::kConst, 1699000000);
  for (int c = 0; c < 8; ++c) {
    add("node_cpu_info", {{"cpu", std::to_string(c)}, {"model", "EPYC"}}, Kind::kConst, 1);
    add("node_cpu_scaling_frequency_hertz", {{"cpu", std::to_string(c)}}, Kind::kIntGauge,
        std::floor(20 + 10 * r.uniform()), 1, 1e8);
  }
  for (int c = 0; c < 40; ++c) {
    std::vector<std::pair<std::string, std::string>> l = {{"collector", "c" + std::to_string(c)}};
    add("node_scrape_collector_success", l, Kind::kConst, 1);
    add("node_scrape_collector_duration_seconds", l, Kind::kDuration,
        std::exp(-9 + 5 * r.uniform()));
  }
  for (const char* q : {"0", "0.25", "0.5", "0.75", "1"}) {
    add("go_gc_duration_seconds", {{"quantile", q}}, Kind::kDuration, 5e-5 * (1 + std::atof(q)));
  }
  add("go_gc_duration_seconds_count", {}, Kind::kIntCounter, 3, 0.5);
  add("go_gc_duration_seconds_sum", {}, Kind::kFloatSum, 2e-4);
  add("go_goroutines", {}, Kind::kIntGauge, 9, 1);
  add("go_threads", {}, Kind::kIntGauge, 12, 0.2);
  add("go_memstats_gc_cpu_fraction", {}, Kind::kFullFloat, 2e-5, 0.1);
  add("go_memstats_last_gc_time_seconds", {}, Kind::kWallClock, 0);
  for (int i = 0; i < 12; ++i) {
    add("go_memstats_g" + std::to_string(i) + "_bytes", {}, Kind::kIntGauge,
        std::floor(r.uniform() * 4e6), 3000 * r.uniform(), 1);
  }
  for (int i = 0; i < 6; ++i) {
    add("go_memstats_c" + std::to_string(i) + "_total", {}, Kind::kIntCounter,
        std::exp(6 + 6 * r.uniform()), 0.3);
  }
  add("process_cpu_seconds_total", {}, Kind::kTicks, 8, 0.5, 100);
  add("process_max_fds", {}, Kind::kConst, 1048576);
  add("process_open_fds", {}, Kind::kIntGauge, 10, 0.3);
  add("process_resident_memory_bytes", {}, Kind::kIntGauge, 4500, 20, 4096);
  add("process_start_time_seconds", {}, Kind::kConst, 1699000012.34);
  add("process_virtual_memory_bytes", {}, Kind::kIntGauge, 180000, 10, 4096);
  add("node_time_seconds", {}, Kind::kWallClock, 0);
  for (int i = 0; i < 10; ++i) {
    add("node_timex_t" + std::to_string(i), {}, Kind::kConst, i % 2 ? 0 : 1);
  }
  add("node_timex_offset_seconds", {}, Kind::kDuration, 1e-5);
  add("node_entropy_available_bits", {}, Kind::kIntGauge, 256, 0.2);
  add("node_procs_running", {}, Kind::kIntGauge, 2, 1);
  add("node_procs_blocked", {}, Kind::kIntGauge, 0, 0.3);
  for (auto& s : v) std::sort(s.labels.begin(), s.labels.end());
  return v;
}

}  // namespace gen_detail

inline std::vector<GenSeries> generate_node_exporter(const NodeExporterGenConfig& cfg) {
  using gen_detail::Kind;
  using gen_detail::Rng;
  using gen_detail::SeriesState;
  const auto steps = static_cast<size_t>(cfg.duration_ms / cfg.interval_ms);
  std::vector<GenSeries> out;
  for (size_t h = 0; h < cfg.num_hosts; ++h) {
    Rng host_rng{cfg.seed * 1'000'003 + h};
    const std::string instance = "host-" + std::to_string(h) + ":9100";
    // Scrape times: offset + lag, shared by all series of the host.
    const bool fails = h == 7;
    const size_t down_at = steps / 2, up_at = steps / 2 + 4;
    int64_t offset = static_cast<int64_t>(host_rng.below(static_cast<uint64_t>(cfg.interval_ms)));
    const int64_t offset_after = static_cast<int64_t>(host_rng.below(cfg.interval_ms));
    std::vector<int64_t> ts(steps);
    for (size_t i = 0; i < steps; ++i) {
      int64_t lag = host_rng.uniform() < 0.02 ? 5 + static_cast<int64_t>(host_rng.below(36))
                                              : static_cast<int64_t>(host_rng.below(5));
      int64_t off = fails && i >= up_at ? offset_after : offset;
      ts[i] = cfg.start_ms + static_cast<int64_t>(i) * cfg.interval_ms + off + lag;
    }
    std::vector<gen_detail::Spec> specs = gen_detail::host_specs(instance, host_rng);
    // Two short-lived veth interfaces.
    for (int k = 0; k < 2; ++k) {
      for (const char* m :
           {"receive_bytes", "transmit_bytes", "receive_packets", "transmit_packets"}) {
        std::vector<std::pair<std::string, std::string>> l = {
            {"device", "veth" + std::to_string(h * 10 + k)},
            {"instance", instance},
            {"job", "node"}};
        double lvl = std::string(m).find("bytes") != std::string::npos ? 20000 : 25;
        specs.push_back(gen_detail::Spec{"node_network_" + std::string(m) + "_total", l,
                                         Kind::kIntCounter, lvl, 0.8});
      }
    }
    const size_t num_regular = specs.size() - 8;
    for (size_t si = 0; si < specs.size(); ++si) {
      const auto& sp = specs[si];
      Rng r{cfg.seed ^ (h * 0x100000001b3ULL + si * 0x9e3779b97f4a7c15ULL)};
      SeriesState st;
      st.mean = sp.level;
      st.x = sp.kind == Kind::kFalling ? sp.level
             : (sp.kind == Kind::kIntGauge || sp.kind == Kind::kDecGauge)
                 ? sp.level
                 : std::floor(sp.level * 1e4 * r.uniform());
      size_t first = 0, last = steps;  // [first, last) present; a stale marker at `last`
      bool churn = si >= num_regular;
      if (churn) {
        first = static_cast<size_t>(host_rng.below(steps / 2));
        last = first + steps / 4 + static_cast<size_t>(host_rng.below(steps / 4));
      }
      GenSeries gs;
      gs.labels = sp.labels;
      gs.labels.insert(gs.labels.begin(), {"__name__", sp.name});
      gs.samples.reserve(steps);
      for (size_t i = first; i < steps && i <= last; ++i) {
        if (i == last || (fails && i == down_at)) {
          gs.samples.push_back(storage::Sample::value(ts[i], storage::stale_nan()));
          if (i == last) break;
          continue;
        }
        if (fails && i > down_at && i < up_at) continue;
        bool reset = fails && i == up_at;
        gs.samples.push_back(
            storage::Sample::value(ts[i], gen_detail::next_value(sp, st, r, reset, ts[i])));
      }
      out.push_back(std::move(gs));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const GenSeries& a, const GenSeries& b) { return a.labels < b.labels; });
  return out;
}

}  // namespace opsight::bench::micro
