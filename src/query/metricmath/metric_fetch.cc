#include "query/metricmath/metric_fetch.h"

#include <cmath>

#include "query/stats/statistics.h"

namespace opsight::query::metricmath {

Labels metric_identity(std::string_view ns, std::string_view name,
                       const std::vector<std::pair<std::string, std::string>>& dims) {
  std::vector<Label> l;
  l.push_back({std::string(kMetricName), std::string(name)});
  l.push_back({"Namespace", std::string(ns)});
  for (const auto& [k, v] : dims) l.push_back({k, v});
  return Labels(std::move(l));
}

Result<TimeSeries> fetch_metric(storage::Querier& querier, const MetricFetch& f) {
  TimeSeries out;
  out.label = std::string(f.identity.metric_name());
  out.labels = f.identity;
  out.stat = f.stat;
  out.period_ms = f.period_ms;
  StatisticsRequest req;
  for (const auto& l : f.identity) req.matchers.push_back(storage::Matcher::equal(l.name, l.value));
  req.start_ms = f.start_ms;
  req.end_ms = f.end_ms;
  req.period_ms = f.period_ms;
  req.statistics = {f.stat};
  req.max_datapoints = f.max_datapoints;
  req.max_series = 100'000;
  ASSIGN_OR_RETURN(auto all, compute_statistics(querier, req));
  for (const auto& s : all) {
    if (!(s.labels == f.identity)) continue;
    if (!f.account.empty() && s.tenant.account != f.account) continue;
    if (!f.unit.empty() && !s.unit.empty() && s.unit != f.unit) continue;
    for (const auto& dp : s.datapoints) {
      double v = dp.values[0];
      if (std::isfinite(v)) out.push(dp.timestamp_ms, v);
    }
    break;
  }
  return out;
}

}  // namespace opsight::query::metricmath
