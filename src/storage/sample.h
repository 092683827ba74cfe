#pragma once
// The unit of metric data: a timestamped float value or a CloudWatch statistic set.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

namespace opsight::storage {

// CloudWatch StatisticValues: stored exactly, never expanded into fake raw values.
struct StatSet {
  double count = 0;
  double sum = 0;
  double min = 0;
  double max = 0;
  bool operator==(const StatSet&) const = default;
};

struct Sample {
  int64_t t = 0;  // milliseconds since the Unix epoch
  double v = 0;   // the value (unused when is_stats)
  bool is_stats = false;
  StatSet stats;  // valid when is_stats

  static Sample value(int64_t t, double v) { return Sample{t, v, false, {}}; }
  static Sample stat_set(int64_t t, StatSet s) { return Sample{t, 0, true, s}; }
  // Bit-exact equality (NaN == NaN with the same payload, e.g. staleness markers).
  bool same_as(const Sample& o) const;
};

// Prometheus staleness marker: a NaN with this exact bit pattern.
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
inline double stale_nan() {
  double d;
  std::memcpy(&d, &kStaleNaNBits, 8);
  return d;
}
inline bool is_stale_nan(double v) {
  uint64_t b;
  std::memcpy(&b, &v, 8);
  return b == kStaleNaNBits;
}

inline bool bits_equal(double a, double b) {
  return std::memcmp(&a, &b, 8) == 0;
}

inline bool Sample::same_as(const Sample& o) const {
  if (t != o.t || is_stats != o.is_stats) return false;
  if (is_stats) {
    return bits_equal(stats.count, o.stats.count) && bits_equal(stats.sum, o.stats.sum) &&
           bits_equal(stats.min, o.stats.min) && bits_equal(stats.max, o.stats.max);
  }
  return bits_equal(v, o.v);
}

}  // namespace opsight::storage
