#pragma once
// NDJSON bulk import of log events, POST /api/v1/logs/import?group=<g>&stream=<s>, for backfill
// and migration. One JSON object per line:
//
//   {"timestamp": 1700000000000, "message": "GET / 200"}
//   {"timestamp": 1700000000001, "message": "boom", "severity": "ERROR",
//    "attributes": {"user": "u1", "latency_ms": 12, "cached": false}}
//
// Line rules (a bad line is one ItemError "line N", 1-based, naming the rule; the other lines are
// kept): a JSON object; "timestamp" an integer number of epoch milliseconds >= 0; "message" a
// string; optional "severity" a string; optional "attributes" an object whose values are
// strings, numbers or booleans (numbers as their shortest JSON text); other members ignored;
// LogLimits per event. Unlike PutLogEvents there is no 14-day window: an event is accepted when the
// group's retention keeps it (retention_days 0 = never expire keeps all) and it is at most 2 hours
// in the future. Events need not be in order. Blank lines and a trailing "\r" are ignored. Request
// errors (InvalidArgument, nothing added): invalid group or stream name, a body over
// limits.max_request_bytes, more than limits.max_events_per_request non-blank lines.
//
// Thread safety: pure function.

#include <cstdint>
#include <string_view>

#include "common/status.h"
#include "ingest/logs/log_batch.h"

namespace opsight::ingest::logs {

inline constexpr int64_t kImportMaxFutureMs = 2 * kMsPerHour;

Status decode_ndjson_import(std::string_view body, std::string_view group, std::string_view stream,
                            int64_t now_ms, int retention_days, const LogLimits& limits,
                            LogBatch* out);

}  // namespace opsight::ingest::logs
