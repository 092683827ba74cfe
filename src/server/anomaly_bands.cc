// Anomaly bands with anomaly-detector exclusions, and the detectors' training probe (see
// anomaly_bands.h).
#include "server/anomaly_bands.h"

#include <cmath>

#include "anomaly/anomaly_band.h"
#include "query/metricmath/json_codec.h"

namespace opsight::server {
namespace {

namespace mm = query::metricmath;

constexpr int64_t kProbePeriodS = 300;

// The band of `in`, trained without `excluded`.
Result<mm::Band> band_of(const mm::TimeSeries& in, double k, int64_t period_ms,
                         const std::vector<anomaly::TimeRange>& excluded) {
  ASSIGN_OR_RETURN(anomaly::Band b,
                   anomaly::anomaly_band(in.timestamps, in.values, k, period_ms, excluded));
  return mm::Band{std::move(b.lower), std::move(b.upper), std::move(b.expected)};
}

}  // namespace

mm::MetricMathOptions metric_math_options(alarm::AnomalyDetectorService* detectors) {
  mm::MetricMathOptions o;
  o.anomaly_band = [](const mm::TimeSeries& in, double k, int64_t period_ms) {
    return band_of(in, k, period_ms, {});
  };
  if (detectors == nullptr) return o;
  o.tenant_anomaly_band = [detectors](const storage::Tenant& tenant) -> mm::AnomalyBandFn {
    return [detectors, tenant](const mm::TimeSeries& in, double k,
                               int64_t period_ms) -> Result<mm::Band> {
      std::vector<anomaly::TimeRange> excluded;
      if (!in.labels.empty()) {  // a stored metric, not a computed series
        ASSIGN_OR_RETURN(auto ranges, detectors->excluded_ranges(tenant, in.labels, in.stat));
        for (const auto& r : ranges) excluded.push_back({r.start_ms, r.end_ms});
      }
      return band_of(in, k, period_ms, excluded);
    };
  };
  return o;
}

alarm::TrainingProbe training_probe(storage::MetricStore* store, Clock* clock) {
  return [store, clock](const storage::Tenant& tenant,
                        const alarm::AnomalyDetector& d) -> Result<size_t> {
    const int64_t end = clock->now_ms();
    mm::GetMetricDataRequest req;
    req.start_ms = end - alarm::kTrainingHistoryMs;
    req.end_ms = end;
    if (d.type == alarm::AnomalyDetectorType::kSingleMetric) {
      mm::MetricDataQuery q;
      q.id = "m1";
      mm::MetricStat stat;
      stat.metric.namespace_name = d.namespace_name;
      stat.metric.metric_name = d.metric_name;
      for (const auto& dim : d.dimensions) stat.metric.dimensions.push_back({dim.name, dim.value});
      stat.period_s = kProbePeriodS;
      stat.stat = d.stat;
      q.metric_stat = std::move(stat);
      req.queries.push_back(std::move(q));
    } else {
      ASSIGN_OR_RETURN(req.queries, mm::parse_metric_data_queries_json(d.metric_data_queries_json));
    }
    ASSIGN_OR_RETURN(auto querier,
                     store->querier(storage::QueryScope{{tenant}}, req.start_ms, req.end_ms));
    ASSIGN_OR_RETURN(auto page, mm::get_metric_data(*querier, req, mm::MetricMathOptions{}));
    size_t n = 0;
    for (const auto& r : page.results) {
      for (double v : r.values) n += std::isfinite(v) ? 1 : 0;
    }
    return n;
  };
}

}  // namespace opsight::server
