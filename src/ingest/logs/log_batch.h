#pragma once
// The neutral form every log protocol decodes into (PutLogEvents, OTLP logs, Loki push, NDJSON
// import, syslog), the counterpart of metric_batch.h. Decoders only turn bytes into a LogBatch;
// they never touch storage. The writer (wired by the server) appends each LogStreamEvents with
// storage::LogAppender::append() and reports batch.errors next to the storage outcome.
//
// Invariants of a decoded batch:
//   - every event passed the decoder's checks against LogLimits (message size, attribute count),
//   - within one batch a (group, stream) pair appears in at most one LogStreamEvents,
//   - every rejected item is one ItemError naming the item ("logEvents[3]", "line 7",
//     "streams[0].values[2]") and the rule it broke; the valid rest is kept.
//
// Thread safety: plain values; LogBatchBuilder is used by one thread at a time.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ingest/metric_batch.h"  // ItemError
#include "storage/log_store.h"

namespace opsight::ingest {

struct LogStreamEvents {
  std::string group;
  std::string stream;
  std::vector<storage::LogEvent> events;
  // Which request item the stream came from, for messages ("streams[2]", "resource_logs[0]").
  std::string item;
};

struct LogBatch {
  std::vector<LogStreamEvents> streams;
  std::vector<ItemError> errors;  // found while decoding; the valid rest is still written

  size_t event_count() const;
};

// Request limits for log ingest (config `limits:`). PutLogEvents additionally applies
// CloudWatch's fixed quotas (put_log_events.h).
struct LogLimits {
  size_t max_events_per_request = 100'000;
  size_t max_message_bytes = storage::kMaxLogMessageBytes;  // 1 MiB
  size_t max_attributes_per_event = 128;
  size_t max_attribute_bytes = 16 * 1024;    // key + value of one attribute
  uint64_t max_request_bytes = 64ull << 20;  // decoded (decompressed) body
};

// Groups events by (group, stream) into a LogBatch as they are decoded.
class LogBatchBuilder {
 public:
  explicit LogBatchBuilder(LogBatch* out);
  // Appends `event` to the stream's entry (created on first use with `item`).
  void add(std::string_view group, std::string_view stream, std::string_view item,
           storage::LogEvent event);
  void error(std::string item, std::string message);
  // Events added so far through this builder.
  size_t added() const { return added_; }

 private:
  LogBatch* out_;
  std::unordered_map<std::string, size_t> index_;  // group '\0' stream -> streams[i]
  size_t added_ = 0;
};

// "" when `event` is within `limits` (message bytes, attribute count and sizes); else the rule,
// e.g. "message is 1048577 bytes: at most 1048576 are allowed (limits.max_message_bytes)".
std::string check_event_limits(const storage::LogEvent& event, const LogLimits& limits);

// CloudWatch Logs name rules (API_CreateLogGroup, API_CreateLogStream): a group name is
// 1..512 characters of [.\-_/#A-Za-z0-9]; a stream name is 1..512 characters without ':' or '*'.
// "" when valid; else the rule.
std::string check_log_group_name(std::string_view name);
std::string check_log_stream_name(std::string_view name);

// Text of a severity number of the OpenTelemetry log data model (1..24): "TRACE", "TRACE2", ...,
// "FATAL4"; "" for 0 or out of range.
std::string_view severity_name(int32_t severity_number);

inline constexpr int64_t kMsPerHour = 3'600'000;
inline constexpr int64_t kMsPerDay = 24 * kMsPerHour;

}  // namespace opsight::ingest
