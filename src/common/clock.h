#pragma once
// Clock: every read of wall or monotonic time goes through this, so tests can move time.
// Thread-safe.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace opsight {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t now_ms() const = 0;
  // Monotonic nanoseconds, for durations only.
  virtual int64_t mono_ns() const = 0;

  // The process-wide real clock.
  static Clock* real();
};

// A clock that only moves when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_ms) : now_ms_(now_ms) {}
  int64_t now_ms() const override { return now_ms_.load(); }
  int64_t mono_ns() const override { return now_ms_.load() * 1'000'000; }
  void set_ms(int64_t ms) { now_ms_.store(ms); }
  void advance_ms(int64_t ms) { now_ms_.fetch_add(ms); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace opsight
