#pragma once
// X-Ray segment documents -> storage::Span (AWS X-Ray developer guide, "AWS X-Ray segment
// documents"; the daemon's UDP framing from the X-Ray SDKs' emitters: a header line
// `{"format": "json", "version": 1}` then a newline, then one document).
//
// Mapping (docs/xray.md has the full table):
//   segment                -> a SERVER span; service = the segment's `name`, span name = `name`
//   subsegment             -> a child span of its enclosing (sub)segment; service inherited;
//                             namespace "aws" or "remote" -> CLIENT, else INTERNAL
//   independent subsegment -> (`"type": "subsegment"` with trace_id and parent_id) a child span
//                             of parent_id; service "unknown_service" (the document does not say)
//   trace_id "1-5759e988-bd862e3fe1be46a994272793" -> 16 bytes (8 hex digits of epoch seconds +
//                             24 hex digits); id / parent_id: 16 hex digits -> 8 bytes
//   start_time / end_time  -> ns (float seconds, rounded to the microsecond); a document that is
//                             `in_progress` without end_time gets end = start and the attribute
//                             xray.in_progress = true; the completed document replaces it
//                             (TraceStore::get_trace keeps the last appended version of a span id)
//   fault                  -> status ERROR (+ xray.fault = true); error / throttle ->
//                             xray.error / xray.throttle = true, status left unset
//   http.request/response  -> OTel semantic-convention attributes (http.request.method, url.full,
//                             user_agent.original, client.address, http.response.status_code,
//                             http.response.body.size)
//   cause                  -> one span event "exception" per exception (exception.type,
//                             exception.message, exception.stacktrace, exception.id, ...); a cause
//                             given as an exception id -> attribute xray.cause.id
//   annotations            -> INDEXED attributes "annotation.<key>" (string / int / double / bool),
//                             so the filter `annotation.key = "v"` is an attribute equality
//   metadata               -> NOT indexed attributes "metadata.<namespace>" holding the
//                             namespace's object as JSON text
//   aws, sql, user, origin, namespace, precursor_ids, service.version
//                          -> aws.<key> (scalars indexed, objects as JSON text not indexed),
//                             db.system / db.query.text / db.user / db.connection_string /
//                             sql.<key>, enduser.id, xray.origin, xray.namespace,
//                             xray.precursor_ids (JSON), resource service.version
// Every span has origin kXray, resource attribute service.name, and the scope name/version of
// aws.xray.sdk / aws.xray.sdk_version when given.
//
// Bad input: the whole document is rejected with InvalidArgument naming the field path and the
// rule ("subsegments[1].http.response.status must be an integer"), and no span of it is kept.
// Limits: the document size (kMaxXrayDocumentBytes), nesting depth (kMaxXraySubsegmentDepth),
// and traces::TraceLimits for span count, attributes, events and name lengths.
//
// Thread safety: pure functions.

#include <cstddef>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ingest/traces/otlp_traces_model.h"  // TraceLimits
#include "storage/trace_store.h"

namespace opsight::ingest::aws {

// The daemon accepts datagrams of at most 64 KiB (header included).
inline constexpr size_t kMaxXrayDocumentBytes = 64 * 1024;
inline constexpr int kMaxXraySubsegmentDepth = 32;

// Splits a daemon datagram into its header and document and checks the header (a JSON object
// with "format": "json" and "version": 1). InvalidArgument naming the rule otherwise.
Result<std::string_view> xray_datagram_document(std::string_view datagram);

// Parses one segment or independent subsegment document and appends its spans (the segment
// first, then its subsegments depth-first) to *out. On error nothing is appended.
Status decode_xray_segment(std::string_view document, const traces::TraceLimits& limits,
                           std::vector<storage::Span>* out);

// "1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx" -> 16 bytes; InvalidArgument otherwise.
Result<std::string> parse_xray_trace_id(std::string_view text);
// 16 bytes -> "1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx".
std::string format_xray_trace_id(std::string_view trace_id);

}  // namespace opsight::ingest::aws
