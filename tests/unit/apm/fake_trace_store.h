#pragma once
// An in-memory storage::TraceStore for the APM and trace-search tests: scans apply the SpanScan
// filters span by span (as the real store's row filters do) and every scan is recorded, so a
// test can check what was pushed down.

#include <algorithm>
#include <memory>
#include <vector>

#include "storage/trace_store.h"

namespace opsight::testing {

class FakeTraceStore final : public storage::TraceStore {
 public:
  std::vector<storage::Span> spans;
  std::vector<storage::SpanScan> scans;  // every scan() request, in order

  std::unique_ptr<storage::TraceAppender> appender(const storage::Tenant&) override {
    return nullptr;
  }
  Result<std::vector<storage::Span>> get_trace(const storage::Tenant&,
                                               std::string_view trace_id) override {
    std::vector<storage::Span> out;
    for (const auto& s : spans) {
      if (s.trace_id == trace_id) out.push_back(s);
    }
    return out;
  }
  Result<std::unique_ptr<storage::TraceScanner>> scan(const storage::SpanScan& scan) override {
    scans.push_back(scan);
    auto sc = std::make_unique<Scanner>();
    for (const auto& s : spans) {
      sc->stats_.spans_scanned++;
      if (matches(scan, s)) sc->out_.push_back(s);
      if (scan.limit != 0 && sc->out_.size() >= scan.limit) break;
    }
    sc->stats_.spans_matched = sc->out_.size();
    return std::unique_ptr<storage::TraceScanner>(std::move(sc));
  }
  Status put_retention(const storage::Tenant&, int) override { return OkStatus(); }
  int retention_days(const storage::Tenant&) const override { return 30; }
  storage::TraceStoreStats stats() const override { return {}; }
  Status close() override { return OkStatus(); }

 private:
  static bool has_attr(const std::vector<storage::SpanAttribute>& attrs,
                       const storage::AttributeFilter& f) {
    return std::any_of(attrs.begin(), attrs.end(), [&](const storage::SpanAttribute& a) {
      return a.indexed && a.key == f.key && a.value == f.value;
    });
  }
  static bool matches(const storage::SpanScan& sc, const storage::Span& s) {
    if (s.start_ns < sc.start_ns || s.start_ns >= sc.end_ns) return false;
    if (s.duration_ns() < sc.min_duration_ns || s.duration_ns() > sc.max_duration_ns) return false;
    if (!sc.services.empty() &&
        std::find(sc.services.begin(), sc.services.end(), s.service) == sc.services.end()) {
      return false;
    }
    if (!sc.statuses.empty() &&
        std::find(sc.statuses.begin(), sc.statuses.end(), s.status_code) == sc.statuses.end()) {
      return false;
    }
    for (const auto& f : sc.attributes) {
      if (!has_attr(s.attributes, f) && !has_attr(s.resource_attributes, f)) return false;
    }
    return true;
  }

  class Scanner final : public storage::TraceScanner {
   public:
    Result<bool> next(storage::Span* span) override {
      if (pos_ >= out_.size()) return false;
      *span = out_[pos_++];
      return true;
    }
    storage::TraceScanStats stats() const override { return stats_; }
    std::vector<storage::Span> out_;
    size_t pos_ = 0;
    storage::TraceScanStats stats_;
  };
};

}  // namespace opsight::testing
