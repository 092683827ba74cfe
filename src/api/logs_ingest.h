#pragma once
// The log ingest steps shared by the native logs API (api/native/logs_api.h) and the CloudWatch
// Logs front end (api/aws/logs/logs_aws_api.h): write a decoded batch (counting accepted and
// rejected events per protocol in opsight_ingest_log_events_{accepted,rejected}_total), and the
// whole PutLogEvents flow (parse, the group's retention, time rules, write, sequence token).
//
// Thread safety: stateless; safe from any worker.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "ingest/logs/log_batch.h"
#include "ingest/logs/log_writer.h"
#include "ingest/logs/put_log_events.h"
#include "storage/log_store.h"
#include "storage/metric_store.h"

namespace opsight::api {

struct LogsIngestDeps {
  storage::LogStore* logs = nullptr;
  storage::MetricStore* metrics = nullptr;  // EMF and metric filter samples (null = none)
  ingest::Limits metric_limits;
  const ingest::logs::LogMetricsHook* metric_filters = nullptr;  // may be null
};

// Writes `batch` for `tenant` and counts it under `protocol` ("put_log_events", "otlp", "loki",
// "import", "aws_put_log_events").
ingest::logs::LogWriteOutcome write_logs(const LogsIngestDeps& deps, const storage::Tenant& tenant,
                                         ingest::LogBatch batch, bool create_missing,
                                         std::string_view protocol, bool extract_emf = true);

// The retention of a group in days (0 = never expire); NotFound naming the group when absent.
Result<int> log_group_retention(storage::LogStore& logs, const storage::Tenant& tenant,
                                std::string_view group);

struct PutLogEventsOutcome {
  std::string next_sequence_token;
  ingest::logs::RejectedLogEventsInfo rejected;
};

// PutLogEvents of a JSON body (ingest/logs/put_log_events.h): InvalidArgument for a bad body,
// NotFound for a missing group or stream; otherwise the events kept are durable on return.
Result<PutLogEventsOutcome> put_log_events(const LogsIngestDeps& deps,
                                           const storage::Tenant& tenant, std::string_view body,
                                           int64_t now_ms, std::string_view protocol,
                                           bool extract_emf);

}  // namespace opsight::api
