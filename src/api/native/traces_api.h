#pragma once
// Traces endpoints of the native API (docs/traces.md has an example for each):
//   POST /v1/traces                   OTLP/HTTP traces (protobuf or JSON, gzip); acknowledged
//                                     only once durable; partial_success names rejected spans
//   GET  /api/v1/traces/:id           one trace as a tree (32 hex digits, or an X-Ray id
//                                     "1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx"); 404 when unknown
//   POST /api/v1/traces/admin/flush   flush the trace head into blocks
// OTLP errors are google.rpc.Status bodies (protobuf or JSON, like the request) with HTTP 400
// (bad payload), 413/429 (limits), 503 (overload, with Retry-After); the other endpoints answer
// {"code": "...", "message": "..."}.

#include <functional>
#include <span>

#include "api/http/http.h"
#include "apm/span_metrics.h"
#include "common/clock.h"
#include "ingest/traces/otlp_traces_model.h"
#include "storage/trace_store.h"

namespace opsight::api {

struct TracesDeps {
  storage::TraceStore* traces;
  ingest::traces::TraceLimits limits;
  Clock* clock;
  // Flushes the store's head (the admin endpoint); absent = 501.
  std::function<Status()> flush;
  // Span-derived metrics (apm/span_metrics.h) counting each committed request; null = off.
  apm::SpanMetrics* span_metrics = nullptr;
};

void register_traces_api(Router& router, const TracesDeps& deps);

// The JSON document GET /api/v1/traces/:id answers for `spans` (one trace, any order): summary
// fields and the spans as a tree (children nested under their parent; spans whose parent is not
// in the trace are roots). Exposed for tests and other front ends.
std::string trace_tree_json(std::string_view trace_id, const std::vector<storage::Span>& spans);

// Parses a trace id given as 32 hex digits or in X-Ray form into its 16 bytes.
Result<std::string> parse_trace_id_text(std::string_view text);

}  // namespace opsight::api
