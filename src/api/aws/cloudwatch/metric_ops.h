#pragma once
// The CloudWatch metric operations (Amazon CloudWatch API reference, 2010-08-01):
// PutMetricData, GetMetricData, GetMetricStatistics and ListMetrics, as CwOperations
// (cloudwatch_ops.h: AWS JSON 1.0 request text in, response text out).
//
// Each operation calls the same functions as the native API:
//   PutMetricData       ingest::aws::decode_put_metric_data + ingest::write_batch (durable on
//                       return). Unlike the native endpoint, CloudWatch rejects the whole request
//                       when any item is invalid: InvalidParameterValue naming the first item.
//   GetMetricData       query::metricmath (json_codec.h, get_metric_data.h).
//   GetMetricStatistics query::compute_statistics over the metric with exactly the given
//                       dimensions; Datapoints with Timestamp, Unit and the asked statistics
//                       (ExtendedStatistics in "ExtendedStatistics": {"p99": v}).
//   ListMetrics         the series of the tenant matching Namespace / MetricName / Dimensions
//                       (Name with optional Value); RecentlyActive=PT3H keeps series with a
//                       sample in the last 3 hours; 500 metrics per page with NextToken.
//
// Thread safety: the operations are thread-safe (one querier per call).

#include "api/aws/cloudwatch/cloudwatch_ops.h"
#include "ingest/metric_batch.h"
#include "query/metricmath/get_metric_data.h"
#include "storage/metric_store.h"

namespace opsight::api::aws {

struct MetricOpsDeps {
  storage::MetricStore* store;
  ingest::Limits limits;
  // Metric Math limits and the anomaly model (ANOMALY_DETECTION_BAND).
  query::metricmath::MetricMathOptions math;
};

// Adds the four operations to `table` (replacing entries of the same name).
void add_cloudwatch_metric_ops(CwOperationTable& table, const MetricOpsDeps& deps);

}  // namespace opsight::api::aws
