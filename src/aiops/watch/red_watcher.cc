#include "aiops/watch/red_watcher.h"

#include <fmt/format.h>

#include <utility>
#include <vector>

#include "apm/span_metrics.h"
#include "common/labels.h"

namespace opsight::aiops::watch {
namespace {

enum Field { kRequests, kFaults, kDurationSum, kDurationCount };

double& field_of(RedCounts& c, Field f) {
  switch (f) {
    case kRequests:
      return c.requests;
    case kFaults:
      return c.faults;
    case kDurationSum:
      return c.duration_sum_s;
    case kDurationCount:
      return c.duration_count;
  }
  return c.requests;
}

}  // namespace

RedWatcher::RedWatcher(storage::MetricStore* store, SignalSink sink, RedWatcherOptions options)
    : store_(store), sink_(std::move(sink)), opts_(std::move(options)), detector_(opts_.rules) {}

Result<std::map<ServiceOperation, RedObservation>> RedWatcher::read_observations(
    storage::MetricStore* store, const storage::Tenant& tenant, int64_t now_ms,
    const RedRules& rules, int64_t anchor_lookback_ms, size_t max_operations, uint64_t* series_read,
    uint64_t* skipped) {
  const int64_t window_start = now_ms - rules.window_ms;
  const int64_t baseline_start = window_start - rules.baseline_ms;
  const int64_t mint = baseline_start - anchor_lookback_ms;
  ASSIGN_OR_RETURN(auto querier, store->querier(storage::QueryScope{{tenant}}, mint, now_ms));
  const std::string sum_name = std::string(apm::kSpanDurationMetric) + "_sum";
  const std::string count_name = std::string(apm::kSpanDurationMetric) + "_count";
  const std::pair<std::string, Field> metrics[] = {
      {std::string(apm::kSpanRequestsMetric), kRequests},
      {std::string(apm::kSpanFaultsMetric), kFaults},
      {sum_name, kDurationSum},
      {count_name, kDurationCount},
  };
  std::map<ServiceOperation, RedObservation> out;
  std::vector<storage::ValuePoint> points;
  storage::SelectHints hints{mint, now_ms, 0, 0};
  for (const auto& [name, field] : metrics) {
    storage::Matcher m = storage::Matcher::equal(std::string(kMetricName), name);
    auto set = querier->select(/*sorted=*/false, hints, std::span<const storage::Matcher>(&m, 1));
    while (set->next()) {
      const storage::Series& series = set->at();
      std::string_view service = series.labels().get("service");
      if (service.empty()) continue;
      ServiceOperation key{std::string(service), std::string(series.labels().get("operation"))};
      auto it = out.find(key);
      if (it == out.end()) {
        if (out.size() >= max_operations) {
          if (skipped != nullptr) ++*skipped;
          continue;
        }
        it = out.emplace(std::move(key), RedObservation{}).first;
        it->second.window.interval_ms = rules.window_ms;
        it->second.baseline.interval_ms = rules.baseline_ms;
      }
      points.clear();
      if (Status st = series.append_values(&points); !st.ok()) {
        return st.with_prefix(fmt::format("reading {}", series.labels().to_string()));
      }
      if (series_read != nullptr) ++*series_read;
      IncreasePair inc = counter_increase(points, baseline_start, window_start, now_ms);
      field_of(it->second.baseline, field) += inc.first;
      field_of(it->second.window, field) += inc.second;
    }
    RETURN_IF_ERROR(set->err().with_prefix(fmt::format("selecting {}", name)));
  }
  return out;
}

Status RedWatcher::run_once(int64_t now_ms) {
  Status first_error;
  uint64_t series_read = 0, skipped = 0, evaluated = 0, alarms = 0, recoveries = 0, rejected = 0,
           read_errors = 0;
  std::string last_error;
  for (const storage::Tenant& tenant : opts_.tenants()) {
    auto obs = read_observations(store_, tenant, now_ms, opts_.rules, opts_.anchor_lookback_ms,
                                 opts_.max_operations, &series_read, &skipped);
    if (!obs.ok()) {
      read_errors++;
      Status st = obs.status().with_prefix(
          fmt::format("RED watcher, tenant {}/{}", tenant.account, tenant.region));
      last_error = st.to_string();
      if (first_error.ok()) first_error = st;
      continue;
    }
    RedDetector::PassCounts c = detector_.observe(tenant, *obs, now_ms, sink_);
    evaluated += c.evaluated;
    alarms += c.alarms;
    recoveries += c.recoveries;
    rejected += c.rejected;
  }
  std::lock_guard<std::mutex> lock(stats_mu_);
  stats_.passes++;
  stats_.series_read += series_read;
  stats_.operations_evaluated += evaluated;
  stats_.operations_skipped += skipped;
  stats_.alarms += alarms;
  stats_.recoveries += recoveries;
  stats_.sink_rejected += rejected;
  stats_.read_errors += read_errors;
  stats_.alarming = detector_.num_alarming();
  if (!last_error.empty()) stats_.last_error = std::move(last_error);
  return first_error;
}

RedWatcherStats RedWatcher::stats() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  return stats_;
}

}  // namespace opsight::aiops::watch
