#include "common/background_worker.h"

namespace opsight {

BackgroundWorker::BackgroundWorker(std::chrono::milliseconds interval, std::function<void()> work)
    : interval_(interval), work_(std::move(work)) {
  thread_ = std::thread([this] { loop(); });
}

BackgroundWorker::~BackgroundWorker() {
  stop();
}

void BackgroundWorker::kick() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    kick_ = true;
  }
  cv_.notify_one();
}

void BackgroundWorker::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void BackgroundWorker::loop() {
  std::unique_lock<std::mutex> lk(mu_);
  while (!stop_) {
    cv_.wait_for(lk, interval_, [this] { return stop_ || kick_; });
    if (stop_) break;
    kick_ = false;
    lk.unlock();
    work_();
    lk.lock();
  }
}

}  // namespace opsight
