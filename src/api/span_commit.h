#pragma once
// The last step of every span ingest path (OTLP/HTTP, OTLP/gRPC through it, X-Ray UDP and REST):
// hand the decoded spans to the trace store, commit, and only then count them in the
// span-derived metrics (apm/span_metrics.h), so a request the store refused (and the client
// retries) is not counted twice.
//
// Thread safety: as the store and SpanMetrics (both thread-safe).

#include <vector>

#include "apm/span_metrics.h"
#include "common/status.h"
#include "storage/trace_store.h"

namespace opsight::api {

// Appends `spans` (taken over) for `tenant` and commits; on success adds them to
// `span_metrics` (when not null). On error nothing was stored (the appender was rolled back).
Status commit_spans(storage::TraceStore* store, apm::SpanMetrics* span_metrics,
                    const storage::Tenant& tenant, std::vector<storage::Span> spans);

}  // namespace opsight::api
