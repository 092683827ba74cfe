#pragma once
// The Loki push API, POST /loki/api/v1/push (grafana.com/docs/loki/latest/reference/loki-http-api
// "Ingest logs"), so promtail, Grafana Alloy and Fluent Bit's Loki output ship logs unchanged.
//
// JSON (Content-Type application/json):
//   {"streams":[{"stream":{"job":"varlogs","host":"a"},
//                "values":[["1700000000000000000","line",{"trace_id":"abc"}], ...]}]}
//   timestamp: a string of Unix epoch nanoseconds; the optional third element is structured
//   metadata (an object of string values).
// Protobuf (Content-Type application/x-protobuf), snappy block-compressed (Loki's push.proto,
// package logproto; field numbers verified against it):
//   PushRequest      { repeated StreamAdapter streams = 1; }
//   StreamAdapter    { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
//   EntryAdapter     { google.protobuf.Timestamp timestamp = 1; string line = 2;
//                      repeated LabelPairAdapter structuredMetadata = 3; }
//   LabelPairAdapter { string name = 1; string value = 2; }
//   google.protobuf.Timestamp { int64 seconds = 1; int32 nanos = 2; }
//   `labels` is the label set in Prometheus text form (loki_labels.h).
//
// Mapping: one log stream per label set, named by its canonical text (labels sorted by name,
// `{a="b", c="d"}`); log group = the service_name label, else job, else "/loki/default"; every
// stream label and structured-metadata pair becomes an attribute (labels first); severity_text
// = the first of the labels / metadata named level, severity, detected_level; timestamp =
// nanoseconds / 1e6 (ms).
//
// Errors: a body that is not JSON / not protobuf, does not have the shape of a PushRequest, holds
// more than limits.max_events_per_request entries, or exceeds limits.max_request_bytes fails the
// request (InvalidArgument, nothing added). A stream whose labels do not parse, are not strings
// or are empty is rejected whole ("streams[2].stream: ..."); an entry with a bad timestamp or
// metadata, or over LogLimits, is rejected alone ("streams[2].values[7]: ..."); the rest is kept.
//
// Thread safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/labels.h"
#include "common/status.h"
#include "ingest/logs/log_batch.h"

namespace opsight::ingest::logs {

Status decode_loki_push_json(std::string_view body, const LogLimits& limits, LogBatch* out);

// `body` as sent: snappy block format, decompressed here within limits.max_request_bytes.
Status decode_loki_push_protobuf(std::string_view snappy_body, const LogLimits& limits,
                                 LogBatch* out);
// The same for an already uncompressed PushRequest.
Status decode_loki_push_protobuf_raw(std::string_view protobuf, const LogLimits& limits,
                                     LogBatch* out);

// The canonical text of a label set used as the log stream name: {a="b", c="d"}, sorted by name,
// values escaped as in the Prometheus text format.
std::string loki_stream_name(const Labels& labels);
// The log group of a label set (service_name, else job, else "/loki/default").
std::string loki_group_name(const Labels& labels);

// Encodes an uncompressed PushRequest, for tests, tools and benchmarks.
struct LokiEntry {
  int64_t timestamp_ns = 0;
  std::string line;
  std::vector<Label> metadata;
};
struct LokiStream {
  std::string labels;  // text form
  std::vector<LokiEntry> entries;
};
std::string encode_loki_push_protobuf(const std::vector<LokiStream>& streams);

}  // namespace opsight::ingest::logs
