#include "api/span_commit.h"

namespace opsight::api {

Status commit_spans(storage::TraceStore* store, apm::SpanMetrics* span_metrics,
                    const storage::Tenant& tenant, std::vector<storage::Span> spans) {
  if (spans.empty()) return OkStatus();
  // Tallied before the spans move into the store; added only once they are committed.
  apm::SpanTally tally;
  if (span_metrics != nullptr) tally = apm::SpanMetrics::tally(spans);
  auto app = store->appender(tenant);
  Status st = app->append(std::move(spans));
  if (st.ok()) st = app->commit();
  if (!st.ok()) {
    app->rollback();
    return st;
  }
  if (span_metrics != nullptr) span_metrics->add(tenant, tally);
  return OkStatus();
}

}  // namespace opsight::api
