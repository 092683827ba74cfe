#include "common/work_queue.h"

namespace opsight {

WorkQueue::WorkQueue(size_t threads, size_t max_queued) : max_queued_(max_queued) {
  for (size_t i = 0; i < threads; i++) threads_.emplace_back([this] { run(); });
}

WorkQueue::~WorkQueue() {
  shutdown();
}

bool WorkQueue::try_submit(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || tasks_.size() >= max_queued_) return false;
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

void WorkQueue::shutdown() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

size_t WorkQueue::queued() const {
  std::lock_guard lock(mu_);
  return tasks_.size();
}

size_t WorkQueue::busy() const {
  std::lock_guard lock(mu_);
  return busy_;
}

void WorkQueue::run() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping and drained
      task = std::move(tasks_.front());
      tasks_.pop_front();
      busy_++;
    }
    task();
    std::lock_guard lock(mu_);
    busy_--;
  }
}

}  // namespace opsight
