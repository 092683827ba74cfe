#pragma once
// Self-observability: counters, gauges and histograms that every component registers (its
// "probe"), exposed at /metrics in the Prometheus text format 0.0.4. Thread-safe: metric
// objects are updated lock-free; the registry is locked only to register and to expose.
// Registered metrics live as long as the registry (pointers stay valid).

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/labels.h"

namespace opsight::metrics {

class Counter {
 public:
  void inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void set(double v) { v_.store(v, std::memory_order_relaxed); }
  void add(double d) {
    double cur = v_.load(std::memory_order_relaxed);
    while (!v_.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
    }
  }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative counts per bound, then +Inf; sum.
  void snapshot(std::vector<uint64_t>* cumulative, double* sum, uint64_t* count) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
};

// Default latency buckets in seconds: 0.5 ms .. 10 s.
std::vector<double> latency_buckets();

class Registry {
 public:
  static Registry& global();

  // Returns the same object for the same name and labels.
  Counter* counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge* gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram* histogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                       const Labels& labels = {});
  // A gauge whose value is read by `fn` at exposition time (fn must be thread-safe).
  void gauge_fn(const std::string& name, const std::string& help, const Labels& labels,
                std::function<double()> fn);

  // Prometheus text exposition of everything registered.
  std::string expose() const;

 private:
  enum class Kind { kCounter, kGauge, kHistogram, kGaugeFn };
  struct Entry {
    Kind kind;
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::function<double()> fn;
  };
  struct Family {
    std::string name, help;
    Kind kind;
    std::vector<std::unique_ptr<Entry>> entries;
  };
  Entry* find_or_add(const std::string& name, const std::string& help, Kind kind,
                     const Labels& labels, bool* created);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Family>> families_;  // GUARDED_BY(mu_)
};

}  // namespace opsight::metrics
