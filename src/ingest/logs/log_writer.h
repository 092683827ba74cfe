#pragma once
// The one place a decoded LogBatch is written (the counterpart of ingest::write_batch for
// metrics): one LogAppender per request, one commit (durable on return), and the metrics of
// Embedded Metric Format events and of metric filters (log_metrics_hook.h) written to the
// metrics store, as CloudWatch does.

#include <cstdint>
#include <vector>

#include "ingest/logs/log_batch.h"
#include "ingest/logs/log_metrics_hook.h"
#include "ingest/metric_batch.h"
#include "storage/log_store.h"
#include "storage/metric_store.h"

namespace opsight::ingest::logs {

struct LogWriteOutcome {
  uint64_t accepted_events = 0;
  uint64_t rejected_events = 0;   // decode errors are counted by the caller's protocol
  uint64_t emf_samples = 0;       // metric samples extracted from EMF events
  std::vector<ItemError> errors;  // decode errors + store rejections + EMF errors
  // Non-ok when nothing was stored: NotFound (missing group/stream without create_missing),
  // I/O errors, shutdown.
  Status status;
};

struct LogWriteOptions {
  // OTLP, Loki and syslog create missing groups and streams; PutLogEvents does not.
  bool create_missing = true;
  // Extract EMF metrics into `metrics` (skipped when null).
  storage::MetricStore* metrics = nullptr;
  Limits metric_limits;
  // AWS PutLogEvents extracts EMF only with the header `x-amzn-logs-format: json/emf`.
  bool extract_emf = true;
  // Metric filters (log_metrics_hook.h); their samples go to `metrics` (skipped when null).
  const LogMetricsHook* metric_filters = nullptr;
};

LogWriteOutcome write_log_batch(storage::LogStore& store, const storage::Tenant& tenant,
                                LogBatch batch, const LogWriteOptions& options);

}  // namespace opsight::ingest::logs
