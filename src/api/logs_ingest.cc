#include "api/logs_ingest.h"

#include <fmt/format.h>

#include <atomic>

#include "common/self_metrics.h"

namespace opsight::api {
namespace {

struct Probe {
  metrics::Counter* events_accepted;
  metrics::Counter* events_rejected;
  explicit Probe(const std::string& protocol) {
    auto& r = metrics::Registry::global();
    Labels l{{"protocol", protocol}};
    events_accepted =
        r.counter("opsight_ingest_log_events_accepted_total", "Log events stored, by protocol", l);
    events_rejected = r.counter("opsight_ingest_log_events_rejected_total",
                                "Log events rejected (bad item or limit), by protocol", l);
  }
};

Probe& probe(std::string_view protocol) {
  static Probe put("put_log_events"), otlp("otlp"), loki("loki"), import("import"),
      aws_put("aws_put_log_events");
  if (protocol == "put_log_events") return put;
  if (protocol == "otlp") return otlp;
  if (protocol == "loki") return loki;
  if (protocol == "aws_put_log_events") return aws_put;
  return import;
}

}  // namespace

ingest::logs::LogWriteOutcome write_logs(const LogsIngestDeps& deps, const storage::Tenant& tenant,
                                         ingest::LogBatch batch, bool create_missing,
                                         std::string_view protocol, bool extract_emf) {
  ingest::logs::LogWriteOptions o;
  o.create_missing = create_missing;
  o.metrics = deps.metrics;
  o.metric_limits = deps.metric_limits;
  o.extract_emf = extract_emf;
  o.metric_filters = deps.metric_filters;
  const size_t decode_errors = batch.errors.size();
  auto out = ingest::logs::write_log_batch(*deps.logs, tenant, std::move(batch), o);
  probe(protocol).events_accepted->inc(out.accepted_events);
  probe(protocol).events_rejected->inc(out.rejected_events + decode_errors);
  return out;
}

Result<int> log_group_retention(storage::LogStore& logs, const storage::Tenant& tenant,
                                std::string_view group) {
  ASSIGN_OR_RETURN(auto groups, logs.describe_groups(tenant, group));
  for (const auto& g : groups) {
    if (g.name == group) return g.retention_days;
  }
  return Status::not_found(fmt::format("log group \"{}\" does not exist", group));
}

Result<PutLogEventsOutcome> put_log_events(const LogsIngestDeps& deps,
                                           const storage::Tenant& tenant, std::string_view body,
                                           int64_t now_ms, std::string_view protocol,
                                           bool extract_emf) {
  ingest::logs::PutLogEventsRequest parsed;
  RETURN_IF_ERROR(ingest::logs::parse_put_log_events(body, &parsed));
  ASSIGN_OR_RETURN(int retention, log_group_retention(*deps.logs, tenant, parsed.group));
  ingest::LogBatch batch;
  PutLogEventsOutcome out;
  RETURN_IF_ERROR(ingest::logs::apply_put_log_events(std::move(parsed), now_ms, retention, &batch,
                                                     &out.rejected));
  auto written =
      write_logs(deps, tenant, std::move(batch), /*create_missing=*/false, protocol, extract_emf);
  RETURN_IF_ERROR(written.status);
  // CloudWatch no longer checks sequence tokens but still returns one; it is opaque.
  static std::atomic<uint64_t> sequence{0};
  out.next_sequence_token = fmt::format("{}{:08d}", now_ms, sequence.fetch_add(1) % 100'000'000);
  return out;
}

}  // namespace opsight::api
