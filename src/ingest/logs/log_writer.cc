#include "ingest/logs/log_writer.h"

#include <fmt/format.h>

#include "ingest/logs/emf.h"

namespace opsight::ingest::logs {

LogWriteOutcome write_log_batch(storage::LogStore& store, const storage::Tenant& tenant,
                                LogBatch batch, const LogWriteOptions& options) {
  LogWriteOutcome out;
  out.errors = std::move(batch.errors);
  auto app = store.appender(tenant);
  MetricBatch emf;
  for (const auto& s : batch.streams) {
    if (s.events.empty()) continue;
    Status st = app->append(s.group, s.stream, s.events, options.create_missing);
    if (st.code() == Code::kNotFound) {
      app->rollback();
      out.status = st;
      return out;
    }
    if (!st.ok()) {
      out.errors.push_back({s.item, st.message()});
      out.rejected_events += s.events.size();
      continue;
    }
    out.accepted_events += s.events.size();
    if (options.metrics == nullptr) continue;
    if (options.metric_filters != nullptr) {
      options.metric_filters->derive(tenant, s.group, s.events, &emf);
    }
    if (!options.extract_emf) continue;
    for (size_t i = 0; i < s.events.size(); i++) {
      const auto& m = s.events[i].message;
      if (!maybe_emf(m)) continue;
      (void)extract_emf_metrics(m, fmt::format("{} event[{}]", s.item, i), &emf);
    }
  }
  out.status = app->commit();
  if (!out.status.ok()) {
    out.rejected_events += out.accepted_events;
    out.accepted_events = 0;
    return out;
  }
  if (!emf.series.empty() || !emf.errors.empty()) {
    // The log events are stored whatever happens to their metrics.
    auto m = write_batch(*options.metrics, tenant, std::move(emf), options.metric_limits);
    out.emf_samples = m.accepted_samples;
    for (auto& e : m.errors) out.errors.push_back(std::move(e));
  }
  return out;
}

}  // namespace opsight::ingest::logs
