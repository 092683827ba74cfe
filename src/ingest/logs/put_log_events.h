#pragma once
// CloudWatch Logs PutLogEvents (AWS JSON 1.1, X-Amz-Target Logs_20140328.PutLogEvents) and the
// native POST /api/v1/logs/put, which takes the same body:
//
//   {"logGroupName":"/app/web","logStreamName":"i-0abc","logEvents":[
//     {"timestamp":1700000000000,"message":"GET /health 200"}, ...]}
//
// Rules from the CloudWatch Logs API reference (API_PutLogEvents.html, API_InputLogEvent.html,
// API_RejectedLogEventsInfo.html). Whole-request failures (InvalidArgument; CloudWatch's
// InvalidParameterException, or SerializationException when the body is not JSON) — nothing of
// the request is kept:
//   - body a JSON object; logGroupName / logStreamName present and valid names
//     (check_log_group_name / check_log_stream_name); sequenceToken and entity are ignored;
//   - logEvents an array of 1..10,000 InputLogEvents, each {"timestamp": integer ms >= 0,
//     "message": string of >= 1 character};
//   - batch size (sum of UTF-8 message bytes + 26 per event) <= 1,048,576;
//   - events in chronological order (non-decreasing timestamps);
//   - the events that are kept (see below) span at most 24 hours.
// Per-event rejections, decided against now_ms and the group's retention, reported in
// RejectedLogEventsInfo while the rest are kept (chronological order makes each a range):
//   - timestamp > now + 2 h: too new; tooNewLogEventStartIndex = index of the first (inclusive);
//   - timestamp < now - 14 days: too old; tooOldLogEventEndIndex = index after the last one
//     (exclusive, so it is also their count);
//   - retention_days > 0 and timestamp < now - retention_days: expired;
//     expiredLogEventEndIndex = index after the last one (exclusive).
//   An event both too old and expired counts in both ranges. Each non-empty range also becomes
//   one ItemError ("logEvents[0..2]") in the batch.
//
// Thread safety: pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ingest/logs/log_batch.h"

namespace opsight::ingest::logs {

inline constexpr size_t kPutLogEventsMaxEvents = 10'000;
inline constexpr uint64_t kPutLogEventsMaxBatchBytes = 1'048'576;
inline constexpr uint64_t kPutLogEventsEventOverhead = 26;
inline constexpr int64_t kPutLogEventsMaxFutureMs = 2 * kMsPerHour;
inline constexpr int64_t kPutLogEventsMaxAgeMs = 14 * kMsPerDay;
inline constexpr int64_t kPutLogEventsMaxSpanMs = 24 * kMsPerHour;

struct PutLogEventsRequest {
  std::string group;
  std::string stream;
  std::vector<storage::LogEvent> events;  // timestamp_ms and message set, in request order
};

struct RejectedLogEventsInfo {
  std::optional<int64_t> too_new_start;  // inclusive
  std::optional<int64_t> too_old_end;    // exclusive
  std::optional<int64_t> expired_end;    // exclusive
  bool empty() const { return !too_new_start && !too_old_end && !expired_end; }
};

// Parses the body and checks every rule that does not depend on time or retention.
Status parse_put_log_events(std::string_view json, PutLogEventsRequest* out);

// Applies the time rules to a parsed request (the caller looks up the group's retention,
// 0 = never expire). On success the kept events are one LogStreamEvents of *out (item
// "logEvents"; absent when none is kept) and *rejected says which were not. Fails (nothing
// added) when the kept events span more than 24 hours.
Status apply_put_log_events(PutLogEventsRequest request, int64_t now_ms, int retention_days,
                            LogBatch* out, RejectedLogEventsInfo* rejected);

// The response body: {"nextSequenceToken":"<token>","rejectedLogEventsInfo":{...}}; the token
// is omitted when empty, rejectedLogEventsInfo when nothing was rejected.
std::string encode_put_log_events_response(std::string_view next_sequence_token,
                                           const RejectedLogEventsInfo& rejected);

}  // namespace opsight::ingest::logs
