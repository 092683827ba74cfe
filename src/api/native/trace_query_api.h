#pragma once
// Trace query endpoints of the native API (docs/traces.md has examples):
//   POST /api/v1/traces/search   JSON {"start", "end", "filter", "limit"}: trace summaries of the
//   GET  /api/v1/traces/search   traces in [start, end) matching an X-Ray filter expression
//                                (query/tracefilter); GET takes the same as query parameters.
//                                start/end: Unix seconds (a JSON number), RFC 3339, ms (13+
//                                digits) or "now-1h"; default the last hour. limit 1..1000,
//                                default 100.
//   GET  /api/v1/servicemap      ?start=&end= : the service map (apm/service_graph.h)
// Errors answer {"code": "...", "message": "..."} (400 for a bad filter naming its column).
// Register before register_traces_api: GET /api/v1/traces/:id would otherwise take "search".

#include "api/http/http.h"
#include "apm/service_graph.h"
#include "common/clock.h"
#include "query/tracefilter/search.h"
#include "storage/trace_store.h"

namespace opsight::api {

struct TraceQueryDeps {
  storage::TraceStore* traces;
  Clock* clock;
  query::tracefilter::SearchOptions search;
  apm::ServiceGraphOptions service_map;
};

void register_trace_query_api(Router& router, const TraceQueryDeps& deps);

// The JSON bodies of the two endpoints (exposed for tests and other front ends).
std::string search_result_json(const query::tracefilter::SearchResult& r);
std::string service_graph_json(const apm::ServiceGraph& g, int64_t start_ms, int64_t end_ms);

}  // namespace opsight::api
