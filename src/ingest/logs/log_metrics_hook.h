#pragma once
// Metrics derived from log events at ingest by a component outside ingest (CloudWatch Logs
// metric filters, api/aws/logs/metric_filter_engine.h): write_log_batch() hands it every stream
// of a batch that the store accepted, and writes the samples it appends together with the EMF
// metrics, after the log events are durable — so every ingest path that goes through
// write_log_batch (PutLogEvents native and AWS, OTLP, Loki, NDJSON import, syslog) feeds it.
//
// Contract: derive() must be cheap for a group without metric filters (it is called once per
// stream of every batch), must not fail the write (bad samples become ItemErrors of the metric
// batch at most) and must be thread-safe (ingest runs on many workers at once).

#include <span>
#include <string_view>

#include "ingest/metric_batch.h"
#include "storage/log_store.h"

namespace opsight::ingest::logs {

class LogMetricsHook {
 public:
  virtual ~LogMetricsHook() = default;
  // Appends the samples `events` (just stored in `group` of `tenant`) produce to *out.
  virtual void derive(const storage::Tenant& tenant, std::string_view group,
                      std::span<const storage::LogEvent> events, MetricBatch* out) const = 0;
};

}  // namespace opsight::ingest::logs
