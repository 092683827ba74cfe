#pragma once
// BackgroundWorker: the maintenance-thread lifecycle every store repeats (flush, compaction,
// retention): one thread that runs `work` every `interval`, or at once after kick(), until
// stop(). `work` never runs concurrently with itself; stop() waits for a running `work` to
// return, so `work` may use its owner until then.
//
// Thread safety: kick() and stop() may be called from any thread; stop() is idempotent and is
// called by the destructor.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace opsight {

class BackgroundWorker {
 public:
  BackgroundWorker(std::chrono::milliseconds interval, std::function<void()> work);
  ~BackgroundWorker();
  BackgroundWorker(const BackgroundWorker&) = delete;
  BackgroundWorker& operator=(const BackgroundWorker&) = delete;

  // Runs `work` as soon as the thread is free (kicks while it runs coalesce into one more run).
  void kick();
  void stop();

 private:
  void loop();

  const std::chrono::milliseconds interval_;
  const std::function<void()> work_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // GUARDED_BY(mu_)
  bool kick_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace opsight
