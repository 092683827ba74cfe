#include "alarm/metric_math_source.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <unordered_map>

#include "alarm/alarm_model.h"
#include "query/metricmath/json_codec.h"

namespace opsight::alarm {
namespace {

namespace mm = query::metricmath;

// The history an anomaly band is trained on (CloudWatch trains on up to two weeks).
constexpr int64_t kBandHistoryMs = 14 * 86'400'000LL;

mm::GetMetricDataRequest request_of(const MetricAlarm& alarm, int64_t start_ms, int64_t end_ms) {
  mm::GetMetricDataRequest req;
  req.start_ms = start_ms;
  req.end_ms = end_ms;
  req.scan_by = mm::ScanBy::kTimestampAscending;
  if (!alarm.uses_metrics()) {
    mm::MetricDataQuery q;
    q.id = "m1";
    mm::MetricStat stat;
    stat.metric.namespace_name = alarm.namespace_name;
    stat.metric.metric_name = alarm.metric_name;
    for (const Dimension& d : alarm.dimensions) stat.metric.dimensions.push_back({d.name, d.value});
    stat.period_s = alarm.period_s;
    stat.stat = std::string(alarm.stat_name());
    stat.unit = alarm.unit;
    q.metric_stat = std::move(stat);
    req.queries.push_back(std::move(q));
  }
  return req;
}

// The id of the query whose values the alarm compares.
std::string value_query_id(const MetricAlarm& alarm) {
  if (!alarm.uses_metrics()) return "m1";
  for (const MetricQuery& q : alarm.metrics) {
    if (q.return_data && q.id != alarm.threshold_metric_id) return q.id;
  }
  return {};
}

}  // namespace

AlarmDataSource metric_math_data_source(storage::MetricStore* store,
                                        mm::MetricMathOptions options) {
  return [store, options = std::move(options)](const storage::Tenant& tenant,
                                               const MetricAlarm& alarm, int64_t start_ms,
                                               int64_t end_ms) -> Result<AlarmSeries> {
    // A band needs history to learn from: it is computed over the last kBandHistoryMs and the
    // points before start_ms are dropped afterwards.
    const bool band_alarm = !alarm.threshold_metric_id.empty();
    const int64_t fetch_start = band_alarm ? start_ms - kBandHistoryMs : start_ms;
    mm::GetMetricDataRequest req = request_of(alarm, fetch_start, end_ms);
    if (alarm.uses_metrics()) {
      ASSIGN_OR_RETURN(req.queries, mm::parse_metric_data_queries_json(alarm.metrics_json));
    }
    const std::string value_id = value_query_id(alarm);
    if (value_id.empty()) {
      return Status::invalid_argument(
          fmt::format("alarm \"{}\": no query with ReturnData true besides ThresholdMetricId",
                      alarm.alarm_name));
    }
    ASSIGN_OR_RETURN(auto querier,
                     store->querier(storage::QueryScope{{tenant}}, fetch_start, end_ms));
    const mm::MetricMathOptions tenant_options = mm::for_tenant(options, tenant);
    AlarmSeries out;
    std::vector<const mm::MetricDataResult*> band;
    const mm::MetricDataResult* values = nullptr;
    mm::GetMetricDataResult page;
    // Alarm ranges are a few periods: one page holds them; a next token is followed anyway.
    std::vector<mm::GetMetricDataResult> pages;
    do {
      ASSIGN_OR_RETURN(page, mm::get_metric_data(*querier, req, tenant_options));
      req.next_token = page.next_token;
      pages.push_back(std::move(page));
    } while (!req.next_token.empty() && pages.size() < 100);
    // Concatenate the pages per result (same id and label).
    std::vector<mm::MetricDataResult> merged;
    for (auto& p : pages) {
      for (auto& r : p.results) {
        mm::MetricDataResult* into = nullptr;
        for (auto& m : merged) {
          if (m.id == r.id && m.label == r.label) into = &m;
        }
        if (into == nullptr) {
          merged.push_back(std::move(r));
        } else {
          into->timestamps.insert(into->timestamps.end(), r.timestamps.begin(), r.timestamps.end());
          into->values.insert(into->values.end(), r.values.begin(), r.values.end());
        }
      }
    }
    for (const auto& r : merged) {
      if (r.id == value_id && values == nullptr) values = &r;
      if (!alarm.threshold_metric_id.empty() && r.id == alarm.threshold_metric_id) {
        band.push_back(&r);
      }
    }
    if (values == nullptr) return out;  // no data: every period is missing
    for (size_t i = 0; i < values->timestamps.size(); i++) {
      if (values->timestamps[i] < start_ms) continue;
      out.timestamps_ms.push_back(values->timestamps[i]);
      out.values.push_back(values->values[i]);
    }
    if (!alarm.threshold_metric_id.empty()) {
      if (band.size() != 2) {
        return Status::invalid_argument(fmt::format(
            "alarm \"{}\": ThresholdMetricId \"{}\" gives {} series; an anomaly band gives 2 "
            "(lower, upper)",
            alarm.alarm_name, alarm.threshold_metric_id, band.size()));
      }
      const double nan = std::numeric_limits<double>::quiet_NaN();
      out.lower.emplace(out.values.size(), nan);
      out.upper.emplace(out.values.size(), nan);
      std::unordered_map<int64_t, size_t> at;
      for (size_t i = 0; i < out.timestamps_ms.size(); i++) at[out.timestamps_ms[i]] = i;
      for (int side = 0; side < 2; side++) {
        const mm::MetricDataResult& b = *band[side];
        auto& dst = side == 0 ? *out.lower : *out.upper;
        for (size_t i = 0; i < b.timestamps.size(); i++) {
          if (auto it = at.find(b.timestamps[i]); it != at.end()) dst[it->second] = b.values[i];
        }
      }
    }
    return out;
  };
}

}  // namespace opsight::alarm
