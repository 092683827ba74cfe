#pragma once
// The X-Ray trace reads (AWS X-Ray API reference, REST-JSON; docs/xray.md has examples), over
// the same services as the native API: trace search (query/tracefilter/search.h), the trace
// store's get_trace, and the service map (apm/service_graph.h).
//
//   POST /TraceSummaries  (also /GetTraceSummaries)  GetTraceSummaries
//     {StartTime, EndTime (epoch seconds), TimeRangeType (TraceId | Event | Service),
//      Sampling, SamplingStrategy (accepted, every matching trace is returned),
//      FilterExpression, NextToken}
//     -> {TraceSummaries, ApproximateTime, TracesProcessedCount, NextToken}
//     TimeRangeType TraceId (and absent): traces that start in [StartTime, EndTime); Event and
//     Service: traces with a span starting in the range. Newest first, kTraceSummaryPage per
//     page; NextToken is an offset bound to the query, and paging ends after
//     query::tracefilter::kMaxSearchLimit traces.
//   POST /Traces  (also /BatchGetTraces)  BatchGetTraces
//     {TraceIds: 1..kMaxBatchTraceIds ids, X-Ray form 1-xxxxxxxx-<24 hex> or 32 hex digits}
//     -> {Traces: [{Id, Duration, LimitExceeded, Segments: [{Id, Document}]}],
//         UnprocessedTraceIds (unknown ids)}; documents from xray_documents.h.
//   POST /ServiceGraph  (also /GetServiceGraph)  GetServiceGraph
//     {StartTime, EndTime, GroupName | GroupARN (accepted; one group holds everything)}
//     -> {Services: [{ReferenceId, Name, Names, Type, Root, State, StartTime, EndTime, Edges,
//         SummaryStatistics, DurationHistogram, ResponseTimeHistogram}], StartTime, EndTime,
//         ContainsOldGroupVersions}
//
// Bad input (a missing or unparsable time, an end before the start, a bad filter naming its
// column, a malformed trace id, a foreign NextToken) is InvalidRequestException naming the
// field; an overloaded store is ThrottledException.
//
// Thread safety: the handlers may run on several threads at once.

#include <cstddef>

#include "api/aws/xray_api.h"
#include "api/http/http.h"

namespace opsight::api {

inline constexpr size_t kTraceSummaryPage = 100;
inline constexpr size_t kMaxBatchTraceIds = 5;

void register_xray_trace_api(Router& router, const XrayApiDeps& deps);

}  // namespace opsight::api
