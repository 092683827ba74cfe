// The Appender of tsdb::Db: stages samples with per-sample window checks; commit() hands the
// batch to Db::commit (one WAL record, applied to the head, waits for durability).
#include <algorithm>

#include "common/self_metrics.h"
#include "storage/tsdb/db.h"
#include "storage/tsdb/db_internal.h"

namespace opsight::storage::tsdb {

namespace {

class DbAppender final : public Appender {
 public:
  DbAppender(Db* db, Tenant tenant) : db_(db), tenant_(std::move(tenant)) {}

  Status append(const Labels& labels, std::span<const Sample> samples,
                std::vector<SampleError>* errors) override {
    if (tenant_.account.empty() || tenant_.region.empty()) {
      return Status::invalid_argument("tenant account and region must not be empty");
    }
    if (labels.empty()) return Status::invalid_argument("series has no labels");
    for (const auto& l : labels) {
      if (l.name.empty()) {
        return Status::invalid_argument("series " + labels.to_string() +
                                        " has a label with an empty name");
      }
    }
    // The tenant labels are authoritative: they override any the client sent.
    Labels full = LabelsBuilder(labels)
                      .set(kAccountLabel, tenant_.account)
                      .set(kRegionLabel, tenant_.region)
                      .build();
    const Options& o = db_->options();
    const int64_t now = o.clock->now_ms();
    const int64_t oldest = now - o.out_of_order_window_ms;
    const int64_t newest = now + o.future_window_ms;
    Db::StagedSeries staged{std::move(full), {}};
    staged.samples.reserve(samples.size());
    for (size_t i = 0; i < samples.size(); i++) {
      const Sample& s = samples[i];
      if (s.t < oldest) {
        probe().rejected_too_old->inc();
        if (errors != nullptr) {
          errors->push_back(
              {i, Status::invalid_argument("sample is older than the out-of-order window of " +
                                           format_duration(o.out_of_order_window_ms) + " (series " +
                                           labels.to_string() + ", t=" + std::to_string(s.t) +
                                           ", oldest accepted t=" + std::to_string(oldest) + ")")});
        }
        continue;
      }
      if (s.t > newest) {
        probe().rejected_future->inc();
        if (errors != nullptr) {
          errors->push_back({i, Status::invalid_argument(
                                    "sample is more than " + format_duration(o.future_window_ms) +
                                    " in the future (series " + labels.to_string() +
                                    ", t=" + std::to_string(s.t) +
                                    ", newest accepted t=" + std::to_string(newest) + ")")});
        }
        continue;
      }
      staged.samples.push_back(s);
    }
    if (!staged.samples.empty()) staged_.push_back(std::move(staged));
    return OkStatus();
  }

  Status append_metadata(std::string_view metric_name, const MetricMetadata& meta) override {
    if (metric_name.empty()) return Status::invalid_argument("metadata without a metric name");
    metadata_.push_back({std::string(metric_name), meta});
    return OkStatus();
  }

  Status commit() override {
    if (staged_.empty() && metadata_.empty()) return OkStatus();
    Status st = db_->commit(tenant_, &staged_, metadata_);
    rollback();
    return st;
  }

  void rollback() override {
    staged_.clear();
    metadata_.clear();
  }

 private:
  Db* db_;
  Tenant tenant_;
  std::vector<Db::StagedSeries> staged_;
  std::vector<Db::StagedMetadata> metadata_;
};

}  // namespace

std::string format_duration(int64_t ms) {
  if (ms % kDayMs == 0 && ms != 0) return std::to_string(ms / kDayMs) + "d";
  if (ms % kHourMs == 0 && ms != 0) return std::to_string(ms / kHourMs) + "h";
  if (ms % 60000 == 0 && ms != 0) return std::to_string(ms / 60000) + "m";
  if (ms % 1000 == 0 && ms != 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::unique_ptr<Appender> Db::appender(const Tenant& tenant) {
  return std::make_unique<DbAppender>(this, tenant);
}

}  // namespace opsight::storage::tsdb
