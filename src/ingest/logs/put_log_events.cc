// PutLogEvents, from the CloudWatch Logs API reference: API_PutLogEvents (batch constraints),
// API_InputLogEvent (timestamp, message >= 1 character), API_RejectedLogEventsInfo (index
// semantics: tooNew start inclusive, tooOld / expired end exclusive). JSON: simdjson DOM.
#include "ingest/logs/put_log_events.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <iterator>

#include "common/json_writer.h"

namespace opsight::ingest::logs {
namespace {

namespace dom = simdjson::dom;

Status bad(std::string message) {
  return Status::invalid_argument(std::move(message));
}

bool present(dom::object o, std::string_view key, dom::element* e) {
  return !o[key].get(*e) && !e->is_null();
}

std::string range_item(int64_t first, int64_t last) {
  if (first == last) return fmt::format("logEvents[{}]", first);
  return fmt::format("logEvents[{}..{}]", first, last);
}

}  // namespace

Status parse_put_log_events(std::string_view json, PutLogEventsRequest* out) {
  simdjson::padded_string padded(json);
  dom::parser parser;
  dom::element doc;
  if (auto err = parser.parse(padded).get(doc); err) {
    return bad(fmt::format("request body is not valid JSON: {}", simdjson::error_message(err)));
  }
  dom::object root;
  if (doc.get_object().get(root)) return bad("request body must be a JSON object");

  dom::element e;
  std::string_view s;
  if (!present(root, "logGroupName", &e)) return bad("missing required parameter logGroupName");
  if (e.get_string().get(s)) return bad("logGroupName must be a string");
  if (std::string r = check_log_group_name(s); !r.empty()) return bad("logGroupName: " + r);
  out->group = std::string(s);
  if (!present(root, "logStreamName", &e)) return bad("missing required parameter logStreamName");
  if (e.get_string().get(s)) return bad("logStreamName must be a string");
  if (std::string r = check_log_stream_name(s); !r.empty()) return bad("logStreamName: " + r);
  out->stream = std::string(s);

  dom::array events;
  if (!present(root, "logEvents", &e)) return bad("missing required parameter logEvents");
  if (e.get_array().get(events)) return bad("logEvents must be an array");
  if (events.size() == 0 || events.size() > kPutLogEventsMaxEvents) {
    return bad(fmt::format("logEvents must have 1..{} items (got {})", kPutLogEventsMaxEvents,
                           events.size()));
  }
  out->events.clear();
  out->events.reserve(events.size());
  uint64_t batch_bytes = 0;
  int64_t prev = INT64_MIN;
  size_t i = 0;
  for (dom::element item : events) {
    std::string at = fmt::format("logEvents[{}]", i++);
    dom::object ev;
    if (item.get_object().get(ev)) return bad(at + " must be an object (an InputLogEvent)");
    storage::LogEvent le;
    if (!present(ev, "timestamp", &e)) return bad(at + ".timestamp is required");
    if (e.type() == dom::element_type::INT64) {
      le.timestamp_ms = e.get_int64().value_unsafe();
    } else if (e.type() == dom::element_type::UINT64) {
      return bad(at + ".timestamp is out of range");
    } else {
      return bad(at + ".timestamp must be an integer number of milliseconds since the epoch");
    }
    if (le.timestamp_ms < 0) return bad(at + ".timestamp must be >= 0");
    if (!present(ev, "message", &e)) return bad(at + ".message is required");
    if (e.get_string().get(s)) return bad(at + ".message must be a string");
    if (s.empty()) return bad(at + ".message must have at least 1 character");
    batch_bytes += s.size() + kPutLogEventsEventOverhead;
    if (batch_bytes > kPutLogEventsMaxBatchBytes) {
      return bad(fmt::format(
          "Upload too large: the batch (message bytes + 26 per event) exceeds {} bytes at {}",
          kPutLogEventsMaxBatchBytes, at));
    }
    if (le.timestamp_ms < prev) {
      return bad(fmt::format(
          "Log events in a single PutLogEvents request must be in chronological order: {} "
          "({}) is older than the event before it ({})",
          at, le.timestamp_ms, prev));
    }
    prev = le.timestamp_ms;
    le.message = std::string(s);
    out->events.push_back(std::move(le));
  }
  return OkStatus();
}

Status apply_put_log_events(PutLogEventsRequest request, int64_t now_ms, int retention_days,
                            LogBatch* out, RejectedLogEventsInfo* rejected) {
  *rejected = RejectedLogEventsInfo{};
  const auto& ev = request.events;
  const int64_t n = static_cast<int64_t>(ev.size());
  const int64_t too_old_before = now_ms - kPutLogEventsMaxAgeMs;
  const int64_t expired_before =
      retention_days > 0 ? now_ms - int64_t{retention_days} * kMsPerDay : INT64_MIN;
  const int64_t too_new_after = now_ms + kPutLogEventsMaxFutureMs;
  // Chronological order (checked by the parser) makes each class a prefix or a suffix.
  int64_t too_old_end = 0, expired_end = 0, too_new_start = n;
  while (too_old_end < n && ev[too_old_end].timestamp_ms < too_old_before) too_old_end++;
  while (expired_end < n && ev[expired_end].timestamp_ms < expired_before) expired_end++;
  while (too_new_start > 0 && ev[too_new_start - 1].timestamp_ms > too_new_after) too_new_start--;
  const int64_t first = std::max(too_old_end, expired_end);
  const int64_t last = too_new_start;  // exclusive
  if (last - first >= 2 &&
      ev[last - 1].timestamp_ms - ev[first].timestamp_ms > kPutLogEventsMaxSpanMs) {
    return Status::invalid_argument(
        fmt::format("The batch of log events in a single PutLogEvents request cannot span more "
                    "than 24 hours: logEvents[{}] and logEvents[{}] are {} ms apart",
                    first, last - 1, ev[last - 1].timestamp_ms - ev[first].timestamp_ms));
  }
  if (too_new_start < n) {
    rejected->too_new_start = too_new_start;
    out->errors.push_back(
        {range_item(too_new_start, n - 1),
         fmt::format("{} event(s) more than 2 hours in the future (tooNewLogEventStartIndex)",
                     n - too_new_start)});
  }
  if (too_old_end > 0) {
    rejected->too_old_end = too_old_end;
    out->errors.push_back(
        {range_item(0, too_old_end - 1),
         fmt::format("{} event(s) older than 14 days (tooOldLogEventEndIndex)", too_old_end)});
  }
  if (expired_end > 0) {
    rejected->expired_end = expired_end;
    out->errors.push_back(
        {range_item(0, expired_end - 1),
         fmt::format("{} event(s) older than the log group's retention of {} days "
                     "(expiredLogEventEndIndex)",
                     expired_end, retention_days)});
  }
  if (first < last) {
    LogStreamEvents s;
    s.group = std::move(request.group);
    s.stream = std::move(request.stream);
    s.item = "logEvents";
    s.events.assign(std::make_move_iterator(request.events.begin() + first),
                    std::make_move_iterator(request.events.begin() + last));
    out->streams.push_back(std::move(s));
  }
  return OkStatus();
}

std::string encode_put_log_events_response(std::string_view next_sequence_token,
                                           const RejectedLogEventsInfo& rejected) {
  json::Writer w;
  w.begin_object();
  if (!next_sequence_token.empty()) w.kv("nextSequenceToken", next_sequence_token);
  if (!rejected.empty()) {
    w.key("rejectedLogEventsInfo").begin_object();
    if (rejected.too_new_start) w.kv("tooNewLogEventStartIndex", *rejected.too_new_start);
    if (rejected.too_old_end) w.kv("tooOldLogEventEndIndex", *rejected.too_old_end);
    if (rejected.expired_end) w.kv("expiredLogEventEndIndex", *rejected.expired_end);
    w.end_object();
  }
  w.end_object();
  return w.take();
}

}  // namespace opsight::ingest::logs
