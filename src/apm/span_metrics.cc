#include "apm/span_metrics.h"

#include <fmt/format.h>

#include <algorithm>
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

SpanTally SpanMetrics::tally(std::span<const storage::Span> spans) {
  SpanTally out;
  for (const storage::Span& span : spans) {
    if (!is_entry_span(span)) continue;
    SpanIncrement& inc =
        out[{non_empty(span.service, "unknown_service"), non_empty(span.name, "unknown")}];
    const SpanClass cls = classify(span);
    const double seconds = static_cast<double>(span.duration_ns()) / 1e9;
    inc.requests++;
    inc.faults += cls.fault ? 1 : 0;
    inc.errors += cls.error ? 1 : 0;
    inc.sum_seconds += seconds;
    size_t b = 0;
    while (b < kResponseTimeBuckets.size() && seconds > kResponseTimeBuckets[b]) b++;
    inc.buckets[b]++;
  }
  return out;
}

void SpanMetrics::add(const storage::Tenant& tenant, const SpanTally& tally) {
  if (tally.empty()) return;
  const int64_t now = clock_->now_ms();
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t overflow = 0;
  for (const auto& [service_operation, inc] : tally) {
    Key key{tenant, service_operation.first, service_operation.second};
    auto it = states_.find(key);
    if (it == states_.end()) {
      if (states_.size() >= opts_.max_series) {
        std::get<2>(key) = std::string(kOverflowOperation);
        overflow += inc.requests;
      }
      auto [created, fresh] = states_.try_emplace(std::move(key));
      if (fresh) created->second.created_t = now;
      it = created;
    }
    SpanIncrement& t = it->second.totals;
    t.requests += inc.requests;
    t.faults += inc.faults;
    t.errors += inc.errors;
    t.sum_seconds += inc.sum_seconds;
    for (size_t b = 0; b < t.buckets.size(); b++) t.buckets[b] += inc.buckets[b];
    if (!it->second.touched) {
      it->second.touched = true;
      touched_.push_back(it);
    }
  }
  if (overflow != 0) overflow_counter()->inc(overflow);
}

Status SpanMetrics::stage(const storage::Tenant& tenant, storage::Appender* appender) {
  std::lock_guard<std::mutex> lock(mu_);
  return stage_locked(tenant, appender);
}

Status SpanMetrics::record_span_metrics(const storage::Tenant& tenant,
                                        std::span<const storage::Span> spans,
                                        storage::Appender* appender) {
  add(tenant, tally(spans));
  return stage(tenant, appender);
}

Status SpanMetrics::write(storage::MetricStore* store) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<storage::Tenant> tenants;
  for (auto it : touched_) {
    const storage::Tenant& t = std::get<0>(it->first);
    if (std::find(tenants.begin(), tenants.end(), t) == tenants.end()) tenants.push_back(t);
  }
  Status status;
  for (const storage::Tenant& tenant : tenants) {
    auto app = store->appender(tenant);
    // What was staged is committed even when a series was refused; that error is returned after.
    Status st = stage_locked(tenant, app.get());
    Status c = app->commit();
    if (!c.ok()) {
      app->rollback();
      st = c;
    }
    if (status.ok() && !st.ok()) status = st;
  }
  return status;
}

Status SpanMetrics::stage_locked(const storage::Tenant& tenant, storage::Appender* appender) {
  static const std::vector<std::string> kLe = [] {
    std::vector<std::string> out;
    for (double b : kResponseTimeBuckets) out.push_back(fmt::format("{}", b));
    out.push_back("+Inf");
    return out;
  }();
  auto mine = std::stable_partition(touched_.begin(), touched_.end(), [&](const auto& it) {
    return std::get<0>(it->first) != tenant;
  });
  if (mine == touched_.end()) return OkStatus();

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
  for (auto i = mine; i != touched_.end(); ++i) {
    State& st = (*i)->second;
    st.touched = false;
    const auto& [t, service, operation] = (*i)->first;
    Status series_status;
    auto stage_values = [&](int64_t ts, const SpanIncrement& v) {
      auto add = [&](std::string_view name, const std::string* le, double x) {
        if (series_status.ok()) {
          series_status = append_one(appender, name, service, operation, le, ts, x);
        }
      };
      add(kSpanRequestsMetric, nullptr, static_cast<double>(v.requests));
      add(kSpanFaultsMetric, nullptr, static_cast<double>(v.faults));
      add(kSpanErrorsMetric, nullptr, static_cast<double>(v.errors));
      uint64_t cumulative = 0;
      for (size_t b = 0; b < v.buckets.size(); b++) {
        cumulative += v.buckets[b];
        add(bucket_name, &kLe[b], static_cast<double>(cumulative));
      }
      add(sum_name, nullptr, v.sum_seconds);
      add(count_name, nullptr, static_cast<double>(v.requests));
    };
    if (st.last_t == 0) {
      stage_values(st.created_t, SpanIncrement{});
      st.last_t = st.created_t;
    }
    const int64_t ts = std::max(now, st.last_t + 1);
    st.last_t = ts;
    stage_values(ts, st.totals);
    if (status.ok() && !series_status.ok()) {
      status =
          series_status.with_prefix(fmt::format("span metrics of service \"{}\" operation "
                                                "\"{}\"",
                                                service, operation));
    }
  }
  touched_.erase(mine, touched_.end());
  return status;
}

}  // namespace opsight::apm
