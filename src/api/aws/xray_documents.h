#pragma once
// The spans of one trace -> X-Ray segment documents, as BatchGetTraces returns them (AWS X-Ray
// API reference, BatchGetTraces / Segment; the document format from the X-Ray developer guide,
// "AWS X-Ray segment documents"). The inverse of ingest/aws/xray_segment.h.
//
// Grouping. A span opens a segment (a top-level document) when it is an entry span (server or
// consumer), has no parent in the trace, or its parent belongs to another service (and it is
// not an X-Ray independent subsegment, service "unknown_service"). Every other span is a
// subsegment nested in its parent's document, children by start time. A top-level document
// that is not an entry span is written as an independent subsegment ("type": "subsegment",
// with trace_id and parent_id). Nesting deeper than kMaxXraySubsegmentDepth, or a parent cycle,
// continues in a new independent subsegment, so every span is written exactly once.
//
// Spans ingested from segment documents (origin xray) come back with the fields the ingest path
// keeps: name, id, trace_id, parent_id, start_time, end_time (or in_progress), namespace,
// origin, user, service.version, http, aws, sql, annotations (typed), metadata, precursor_ids,
// error / throttle / fault, cause (exceptions with their stacks, working_directory, or an
// exception id). Lossy by design of the ingest: sql.database_type is lower-cased, stack frames
// without a label read "<anonymous>", times are microseconds.
//
// OTLP spans are mapped the way the AWS X-Ray exporter of the OpenTelemetry Collector maps them
// (docs/xray.md has the table): a segment is named after the service, a client or producer
// subsegment after the peer it calls (apm::infer_peer), with namespace "aws" for rpc.system
// aws-api and "remote" otherwise; http from the HTTP semantic conventions; fault / error /
// throttle from apm::classify; exception events -> cause.exceptions (a status ERROR message
// when there are none); origin from cloud.platform; attributes "annotation.<k>" -> annotations;
// the other span attributes -> metadata.default.<key>, resource attributes ->
// metadata.default."otel.resource.<key>".
//
// Thread safety: pure functions.

#include <span>
#include <string>
#include <vector>

#include "storage/trace_store.h"

namespace opsight::api {

struct XraySegment {
  std::string id;        // the segment's span id, 16 hex digits
  std::string document;  // the segment document, JSON text
};

// The segment documents of one trace (spans of one trace id, any order; a span id that appears
// twice counts once: the version that ends last), ordered by start time then id.
std::vector<XraySegment> xray_segment_documents(std::span<const storage::Span> spans);

}  // namespace opsight::api
