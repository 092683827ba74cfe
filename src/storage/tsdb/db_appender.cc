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
    // The tenant labels are authoritative: any the client sent are dropped.
    const Labels& owned = staged_.owned.emplace_back(labels);
    std::vector<LabelView>& views = scratch_views_;
    views.clear();
    for (const auto& l : owned) {
      if (l.name != kAccountLabel && l.name != kRegionLabel) views.push_back({l.name, l.value});
    }
    Status st = append_views(views, samples, errors);
    if (!st.ok()) staged_.owned.pop_back();
    return st;
  }

  Status append_views(std::span<const LabelView> labels, std::span<const Sample> samples,
                      std::vector<SampleError>* errors) override {
    if (tenant_.account.empty() || tenant_.region.empty()) {
      return Status::invalid_argument("tenant account and region must not be empty");
    }
    if (labels.empty()) return Status::invalid_argument("series has no labels");
    for (const auto& l : labels) {
      if (l.name.empty()) {
        return Status::invalid_argument("series " + labels_to_string(labels) +
                                        " has a label with an empty name");
      }
    }
    const Options& o = db_->options();
    if (now_ == INT64_MIN) now_ = o.clock->now_ms();  // one clock read per request
    const int64_t oldest = now_ - o.out_of_order_window_ms;
    const int64_t newest = now_ + o.future_window_ms;
    const size_t first = staged_.samples.size();
    for (size_t i = 0; i < samples.size(); i++) {
      const Sample& s = samples[i];
      if (s.t >= oldest && s.t <= newest) [[likely]] {
        staged_.samples.push_back(s);
        continue;
      }
      const bool old = s.t < oldest;
      (old ? probe().rejected_too_old : probe().rejected_future)->inc();
      if (errors == nullptr) continue;
      std::string what =
          old ? "sample is older than the out-of-order window of " +
                    format_duration(o.out_of_order_window_ms)
              : "sample is more than " + format_duration(o.future_window_ms) + " in the future";
      errors->push_back({i, Status::invalid_argument(
                                what + " (series " + labels_to_string(labels) +
                                ", t=" + std::to_string(s.t) + (old ? ", oldest" : ", newest") +
                                " accepted t=" + std::to_string(old ? oldest : newest) + ")")});
    }
    const size_t n = staged_.samples.size() - first;
    if (n == 0) return OkStatus();
    sort_unique(first);
    Db::StagedBatch::Series entry;
    entry.hash = series_key_hash(labels, tenant_.account, tenant_.region);
    entry.label_off = static_cast<uint32_t>(staged_.labels.size());
    entry.label_n = static_cast<uint32_t>(labels.size());
    entry.sample_off = static_cast<uint32_t>(first);
    entry.sample_n = static_cast<uint32_t>(staged_.samples.size() - first);
    staged_.labels.insert(staged_.labels.end(), labels.begin(), labels.end());
    staged_.series.push_back(entry);
    return OkStatus();
  }

  Status append_metadata(std::string_view metric_name, const MetricMetadata& meta) override {
    if (metric_name.empty()) return Status::invalid_argument("metadata without a metric name");
    staged_.metadata.push_back({std::string(metric_name), meta});
    return OkStatus();
  }

  Status append_exemplar(std::span<const LabelView> labels, const Exemplar& exemplar) override {
    if (labels.empty()) return Status::invalid_argument("exemplar of a series without labels");
    std::vector<Label> owned;
    owned.reserve(labels.size());
    for (const auto& l : labels) {
      if (l.name == kAccountLabel || l.name == kRegionLabel) continue;
      owned.push_back({std::string(l.name), std::string(l.value)});
    }
    staged_.exemplars.push_back({Labels::from_sorted(std::move(owned)), exemplar});
    return OkStatus();
  }

  Status commit() override {
    if (staged_.empty()) return OkStatus();
    Status st = db_->commit(tenant_, staged_);
    rollback();
    return st;
  }

  void rollback() override {
    staged_.clear();
    now_ = INT64_MIN;
  }

 private:
  // Sorts the samples staged from `first` on by time, keeping the last staged of a timestamp.
  void sort_unique(size_t first) {
    auto begin = staged_.samples.begin() + static_cast<ptrdiff_t>(first);
    auto end = staged_.samples.end();
    auto by_time = [](const Sample& a, const Sample& b) { return a.t < b.t; };
    bool strictly_ascending = true;
    for (auto it = begin; it + 1 < end; ++it) {
      if (it->t >= (it + 1)->t) {
        strictly_ascending = false;
        break;
      }
    }
    if (strictly_ascending) return;
    std::stable_sort(begin, end, by_time);
    auto out = begin;
    for (auto it = begin; it != end; ++it) {
      if (out != begin && (out - 1)->t == it->t) {
        *(out - 1) = *it;
      } else {
        *out++ = *it;
      }
    }
    staged_.samples.erase(out, end);
  }

  Db* db_;
  Tenant tenant_;
  Db::StagedBatch staged_;
  std::vector<LabelView> scratch_views_;
  int64_t now_ = INT64_MIN;  // the time window's "now", read at the first append
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
