#pragma once
// How the server joins Metric Math, the anomaly model and the anomaly detectors:
// - metric_math_options(): ANOMALY_DETECTION_BAND is anomaly::anomaly_band() (the seasonal
//   band model). Per tenant (MetricMathOptions::tenant_anomaly_band), a band over a metric that
//   has a single-metric anomaly detector for the same statistic is trained without the points in
//   the detector's ExcludedTimeRanges (CloudWatch: "the model excludes these time ranges when it
//   trains"). GetMetricData and band alarms both read bands through these options.
// - training_probe(): the anomaly detectors' StateValue source: the number of points of the
//   detector's metric (single metric: at 5-minute periods; metric math: its ReturnData query)
//   in the last 14 days.
//
// Thread safety: the returned functions may be called from any thread; `detectors` and `store`
// must outlive them.

#include "alarm/anomaly_detectors.h"
#include "common/clock.h"
#include "query/metricmath/get_metric_data.h"
#include "storage/metric_store.h"

namespace opsight::server {

// `detectors` may be null (then no exclusions apply).
query::metricmath::MetricMathOptions metric_math_options(alarm::AnomalyDetectorService* detectors);

alarm::TrainingProbe training_probe(storage::MetricStore* store, Clock* clock);

}  // namespace opsight::server
