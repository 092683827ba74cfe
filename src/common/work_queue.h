#pragma once
// A fixed pool of worker threads fed by a bounded queue. try_submit() refuses work when the
// queue is full instead of growing memory (the caller answers 429/503). Thread-safe.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace opsight {

class WorkQueue {
 public:
  WorkQueue(size_t threads, size_t max_queued);
  ~WorkQueue();  // drains queued work, then joins
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // False when max_queued tasks are already waiting (or after shutdown()).
  bool try_submit(std::function<void()> task);
  // Runs everything queued, then stops the threads. Idempotent.
  void shutdown();
  size_t queued() const;
  size_t busy() const;

 private:
  void run();
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // GUARDED_BY(mu_)
  size_t busy_ = 0;                          // GUARDED_BY(mu_)
  bool stopping_ = false;                    // GUARDED_BY(mu_)
  size_t max_queued_;
  std::vector<std::thread> threads_;
};

}  // namespace opsight
