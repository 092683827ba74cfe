#pragma once
// A MetricStore that records what is committed, for the collect tests (no tsdb needed).
// Thread-safe.

#include <map>
#include <mutex>
#include <vector>

#include "storage/metric_store.h"
#include "storage/sample.h"

namespace opsight::collect::testing {

struct Written {
  Labels labels;
  storage::Sample sample;
};

class FakeStore final : public storage::MetricStore {
 public:
  class App final : public storage::Appender {
   public:
    explicit App(FakeStore* s) : s_(s) {}
    Status append(const Labels& labels, std::span<const storage::Sample> samples,
                  std::vector<storage::SampleError>*) override {
      for (const auto& x : samples) staged_.push_back({labels, x});
      return OkStatus();
    }
    Status append_views(std::span<const LabelView> labels, std::span<const storage::Sample> samples,
                        std::vector<storage::SampleError>* errors) override {
      std::vector<Label> ls;
      for (const auto& l : labels) ls.push_back({std::string(l.name), std::string(l.value)});
      return append(Labels::from_sorted(std::move(ls)), samples, errors);
    }
    Status append_metadata(std::string_view name, const storage::MetricMetadata& m) override {
      meta_[std::string(name)] = m;
      return OkStatus();
    }
    Status append_exemplar(std::span<const LabelView>, const storage::Exemplar&) override {
      exemplars_++;
      return OkStatus();
    }
    Status commit() override {
      std::lock_guard<std::mutex> l(s_->mu_);
      if (s_->fail_commits_) return Status::io_error("injected commit failure");
      for (auto& w : staged_) s_->written_.push_back(std::move(w));
      for (auto& [k, v] : meta_) s_->metadata_[k] = v;
      s_->exemplars_ += exemplars_;
      s_->commits_++;
      staged_.clear();
      return OkStatus();
    }
    void rollback() override { staged_.clear(); }

   private:
    FakeStore* s_;
    std::vector<Written> staged_;
    std::map<std::string, storage::MetricMetadata> meta_;
    size_t exemplars_ = 0;
  };

  std::unique_ptr<storage::Appender> appender(const storage::Tenant&) override {
    return std::make_unique<App>(this);
  }
  Result<std::unique_ptr<storage::Querier>> querier(const storage::QueryScope&, int64_t,
                                                    int64_t) override {
    return Status::unimplemented("fake store");
  }
  storage::StoreStats stats() override { return {}; }
  Status close() override { return OkStatus(); }

  // Everything committed so far, then cleared.
  std::vector<Written> take() {
    std::lock_guard<std::mutex> l(mu_);
    return std::exchange(written_, {});
  }
  std::map<std::string, storage::MetricMetadata> metadata() {
    std::lock_guard<std::mutex> l(mu_);
    return metadata_;
  }
  size_t exemplars() {
    std::lock_guard<std::mutex> l(mu_);
    return exemplars_;
  }
  void set_fail_commits(bool f) {
    std::lock_guard<std::mutex> l(mu_);
    fail_commits_ = f;
  }

 private:
  std::mutex mu_;
  std::vector<Written> written_;
  std::map<std::string, storage::MetricMetadata> metadata_;
  size_t exemplars_ = 0;
  size_t commits_ = 0;
  bool fail_commits_ = false;
};

// The value written for the series `text` (Labels::to_string() form), or nullptr.
inline const Written* find(const std::vector<Written>& ws, std::string_view text) {
  for (const auto& w : ws) {
    if (w.labels.to_string() == text) return &w;
  }
  return nullptr;
}

}  // namespace opsight::collect::testing
