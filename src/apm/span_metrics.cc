#include "apm/span_metrics.h"

#include <fmt/format.h>

#include <vector>

#include "apm/span_facts.h"
#include "common/self_metrics.h"

namespace opsight::apm {
namespace {

metrics::Counter* overflow_counter() {
  static metrics::Counter* c = metrics::Registry::global().counter(
      "opsight_span_metrics_overflow_total",
      "Entry spans counted under operation=\"other\" because the span metrics series limit was "
      "reached",
      {});
  return c;
}

std::string non_empty(const std::string& s, std::string_view fallback) {
  return s.empty() ? std::string(fallback) : s;
}

Status append_one(storage::Appender* app, std::string_view name, const std::string& service,
                  const std::string& operation, const std::string* le, int64_t t, double v) {
  std::vector<Label> l = {
      {"__name__", std::string(name)}, {"operation", operation}, {"service", service}};
  if (le != nullptr) l.push_back({"le", *le});
  const storage::Sample s = storage::Sample::value(t, v);
  std::vector<storage::SampleError> errors;
  RETURN_IF_ERROR(app->append(Labels(std::move(l)), std::span(&s, 1), &errors));
  if (!errors.empty()) return errors.front().status;
  return OkStatus();
}

}  // namespace

SpanMetrics::SpanMetrics(SpanMetricsOptions opts, Clock* clock) : opts_(opts), clock_(clock) {
  overflow_counter();
}

size_t SpanMetrics::num_series() const {
  std::lock_guard<std::mutex> lock(mu_);
  return states_.size();
}

Status SpanMetrics::record_span_metrics(const storage::Tenant& tenant,
                                        std::span<const storage::Span> spans,
                                        storage::Appender* appender) {
  static const std::vector<std::string> kLe = [] {
    std::vector<std::string> out;
    for (double b : kResponseTimeBuckets) out.push_back(fmt::format("{}", b));
    out.push_back("+Inf");
    return out;
  }();
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::map<Key, State>::iterator> touched;
  uint64_t overflow = 0;
  for (const storage::Span& span : spans) {
    if (!is_entry_span(span)) continue;
    Key key{tenant, non_empty(span.service, "unknown_service"), non_empty(span.name, "unknown")};
    auto it = states_.find(key);
    if (it == states_.end()) {
      if (states_.size() >= opts_.max_series) {
        std::get<2>(key) = std::string(kOverflowOperation);
        overflow++;
      }
      it = states_.try_emplace(std::move(key)).first;
    }
    State& st = it->second;
    const SpanClass cls = classify(span);
    const double seconds = static_cast<double>(span.duration_ns()) / 1e9;
    st.requests++;
    st.faults += cls.fault ? 1 : 0;
    st.errors += cls.error ? 1 : 0;
    st.sum_seconds += seconds;
    size_t b = 0;
    while (b < kResponseTimeBuckets.size() && seconds > kResponseTimeBuckets[b]) b++;
    st.buckets[b]++;
    if (!st.touched) {
      st.touched = true;
      touched.push_back(it);
    }
  }
  if (overflow != 0) overflow_counter()->inc(overflow);
  if (touched.empty()) return OkStatus();

  Status status;
  bool& meta = metadata_written_[tenant];
  if (!meta) {
    const std::pair<std::string_view, storage::MetricMetadata> md[] = {
        {kSpanRequestsMetric, {"counter", "Entry spans (requests) per service and operation", ""}},
        {kSpanFaultsMetric, {"counter", "Entry spans that are faults (5xx or status ERROR)", ""}},
        {kSpanErrorsMetric, {"counter", "Entry spans that are errors (4xx)", ""}},
        {kSpanDurationMetric, {"histogram", "Duration of entry spans", "seconds"}},
    };
    for (const auto& [name, m] : md) {
      if (status.ok()) status = appender->append_metadata(name, m);
    }
    meta = status.ok();
  }
  const int64_t now = clock_->now_ms();
  const std::string bucket_name = std::string(kSpanDurationMetric) + "_bucket";
  const std::string sum_name = std::string(kSpanDurationMetric) + "_sum";
  const std::string count_name = std::string(kSpanDurationMetric) + "_count";
  // A series the store refuses (e.g. a label value that is not UTF-8) does not stop the others;
  // the first error is returned.
  for (auto it : touched) {
    State& st = it->second;
    st.touched = false;
    const auto& [t, service, operation] = it->first;
    const int64_t ts = std::max(now, st.last_t + 1);
    st.last_t = ts;
    Status series_status;
    auto add = [&](std::string_view name, const std::string* le, double v) {
      if (series_status.ok()) {
        series_status = append_one(appender, name, service, operation, le, ts, v);
      }
    };
    add(kSpanRequestsMetric, nullptr, static_cast<double>(st.requests));
    add(kSpanFaultsMetric, nullptr, static_cast<double>(st.faults));
    add(kSpanErrorsMetric, nullptr, static_cast<double>(st.errors));
    uint64_t cumulative = 0;
    for (size_t b = 0; b < st.buckets.size(); b++) {
      cumulative += st.buckets[b];
      add(bucket_name, &kLe[b], static_cast<double>(cumulative));
    }
    add(sum_name, nullptr, st.sum_seconds);
    add(count_name, nullptr, static_cast<double>(st.requests));
    if (status.ok() && !series_status.ok()) {
      status =
          series_status.with_prefix(fmt::format("span metrics of service \"{}\" operation "
                                                "\"{}\"",
                                                service, operation));
    }
  }
  return status;
}

Status SpanMetrics::record(storage::MetricStore* store, const storage::Tenant& tenant,
                           std::span<const storage::Span> spans) {
  auto app = store->appender(tenant);
  // What was staged is committed even when a series was refused; that error is returned after.
  Status st = record_span_metrics(tenant, spans, app.get());
  Status c = app->commit();
  if (!c.ok()) {
    app->rollback();
    return c;
  }
  return st;
}

}  // namespace opsight::apm
