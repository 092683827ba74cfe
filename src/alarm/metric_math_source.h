#pragma once
// The alarm service's AlarmDataSource over the metrics store: an alarm's metric (single-metric
// form) or its Metrics array (Metric Math, with ThresholdMetricId for anomaly bands) is read with
// GetMetricData semantics (query/metricmath), so an alarm sees exactly what GetMetricData and
// the console show for the same queries.
//
// Single-metric form: one MetricStat (Namespace, MetricName, Dimensions, Period, Statistic or
// ExtendedStatistic, Unit). Metrics form: the array as stored; the evaluated series is the one
// query with ReturnData true that is not ThresholdMetricId; for the band operators the
// ThresholdMetricId query must give two series (ANOMALY_DETECTION_BAND: lower, then upper),
// matched to the values by timestamp; the band is computed over the 14 days before the range
// (its training history), then cut to the range.
//
// Thread safety: the returned function may be called from any thread (it opens its own querier
// per call); `store` must outlive it.

#include "alarm/alarm_types.h"
#include "query/metricmath/get_metric_data.h"
#include "storage/metric_store.h"

namespace opsight::alarm {

AlarmDataSource metric_math_data_source(storage::MetricStore* store,
                                        query::metricmath::MetricMathOptions options);

}  // namespace opsight::alarm
