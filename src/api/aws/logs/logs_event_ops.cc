// Log events (CloudWatch Logs API reference: API_PutLogEvents, API_GetLogEvents,
// API_FilterLogEvents).
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "api/aws/logs/logs_ops.h"
#include "api/logs_ingest.h"
#include "common/json_writer.h"
#include "query/insights/filter_events.h"

namespace opsight::api::aws::logs_ops {
namespace {

constexpr int64_t kMaxGetLogEventsLimit = 10'000;

// GetLogEvents tokens: "f/<timestamp>:<n>" resumes forward after the first n events at
// <timestamp> (ascending); "b/<timestamp>:<n>" resumes backward before the last n events at
// <timestamp> (descending). Like AWS's, they are opaque to clients.
struct EventsToken {
  bool forward = true;
  int64_t timestamp_ms = 0;
  int64_t skip = 0;
};

Result<EventsToken> parse_events_token(std::string_view tok) {
  EventsToken t;
  const size_t colon = tok.find(':');
  if (tok.size() > 2 && (tok[0] == 'f' || tok[0] == 'b') && tok[1] == '/' &&
      colon != std::string_view::npos) {
    t.forward = tok[0] == 'f';
    auto a = std::from_chars(tok.data() + 2, tok.data() + colon, t.timestamp_ms);
    auto b = std::from_chars(tok.data() + colon + 1, tok.data() + tok.size(), t.skip);
    if (a.ec == std::errc() && a.ptr == tok.data() + colon && b.ec == std::errc() &&
        b.ptr == tok.data() + tok.size() && t.skip >= 0) {
      return t;
    }
  }
  return invalid_parameter(fmt::format("The specified nextToken \"{}\" is not valid", tok));
}

std::string format_token(const EventsToken& t) {
  return fmt::format("{}/{}:{}", t.forward ? 'f' : 'b', t.timestamp_ms, t.skip);
}

struct Event {
  int64_t timestamp_ms;
  int64_t ingestion_time_ms;
  std::string message;
};

Result<std::pair<int64_t, int64_t>> time_window(const Call& c) {
  ASSIGN_OR_RETURN(auto start, c.args.integer("startTime"));
  ASSIGN_OR_RETURN(auto end, c.args.integer("endTime"));
  if ((start && *start < 0) || (end && *end < 0)) {
    return invalid_parameter("startTime and endTime must be >= 0");
  }
  const int64_t s = start.value_or(0);
  const int64_t e = end.value_or(INT64_MAX);
  if (e < s) return invalid_parameter(fmt::format("endTime {} is before startTime {}", e, s));
  return std::make_pair(s, e);
}

}  // namespace

Result<std::string> put_log_events(const Call& c) {
  // x-amzn-logs-format: json/emf asks CloudWatch to extract Embedded Metric Format metrics.
  const auto format = c.http.header("x-amzn-logs-format");
  const bool emf = format && *format == "json/emf";
  LogsIngestDeps d{c.deps.logs.logs, c.deps.logs.metrics, c.deps.logs.metric_limits,
                   c.deps.logs.metric_filters};
  auto out = api::put_log_events(d, c.tenant, c.body, c.now_ms, "aws_put_log_events", emf);
  if (!out.ok()) {
    // The request parser's messages name the member and rule; give them the Logs code.
    if (out.status().code() == Code::kInvalidArgument &&
        !out.status().message().starts_with("InvalidParameterException")) {
      return invalid_parameter(out.status().message());
    }
    if (out.status().code() == Code::kNotFound) {
      return Status::not_found(
          fmt::format("ResourceNotFoundException: {}", out.status().message()));
    }
    return out.status();
  }
  return ingest::logs::encode_put_log_events_response(out->next_sequence_token, out->rejected);
}

Result<std::string> get_log_events(const Call& c) {
  ASSIGN_OR_RETURN(auto group, group_of(c));
  ASSIGN_OR_RETURN(auto stream, c.args.required_string("logStreamName"));
  ASSIGN_OR_RETURN(auto window, time_window(c));
  ASSIGN_OR_RETURN(auto limit_opt, c.args.integer("limit"));
  const int64_t limit = limit_opt.value_or(kMaxGetLogEventsLimit);
  if (limit < 1 || limit > kMaxGetLogEventsLimit) {
    return invalid_parameter(
        fmt::format("limit {} must be within 1..{}", limit, kMaxGetLogEventsLimit));
  }
  ASSIGN_OR_RETURN(auto from_head, c.args.boolean("startFromHead"));
  ASSIGN_OR_RETURN(auto token_text, c.args.string("nextToken"));
  EventsToken token;
  token.forward = from_head.value_or(false);
  bool have_token = false;
  if (token_text) {
    ASSIGN_OR_RETURN(token, parse_events_token(*token_text));
    have_token = true;
  }
  storage::LogScan scan;
  scan.groups = {group};
  scan.streams = {stream};
  scan.start_ms = window.first;
  scan.end_ms = window.second == INT64_MAX ? INT64_MAX : window.second + 1;
  scan.need_fields = false;
  scan.newest_first = !token.forward;
  if (have_token) {
    if (token.forward) {
      scan.start_ms = std::max(scan.start_ms, token.timestamp_ms);
    } else {
      const int64_t end = token.timestamp_ms == INT64_MAX ? INT64_MAX : token.timestamp_ms + 1;
      scan.end_ms = std::min(scan.end_ms, end);
    }
  }
  // The stream must exist (the store's scan checks only the group).
  ASSIGN_OR_RETURN(auto streams, c.deps.logs.logs->describe_streams(c.tenant, group, stream));
  if (std::none_of(streams.begin(), streams.end(),
                   [&](const auto& s) { return s.name == stream; })) {
    return Status::not_found(fmt::format(
        "ResourceNotFoundException: The specified log stream does not exist: {}", stream));
  }
  std::vector<Event> events;
  int64_t skip = have_token ? token.skip : 0;
  if (scan.start_ms < scan.end_ms) {
    ASSIGN_OR_RETURN(auto scanner, c.deps.logs.logs->scan(c.tenant, scan));
    storage::LogRecord rec;
    while (static_cast<int64_t>(events.size()) < limit) {
      ASSIGN_OR_RETURN(bool has, scanner->next(&rec));
      if (!has) break;
      if (have_token && rec.timestamp_ms == token.timestamp_ms && skip > 0) {
        skip--;
        continue;
      }
      events.push_back({rec.timestamp_ms, rec.ingestion_time_ms, std::string(rec.message)});
    }
  }
  if (!token.forward) std::reverse(events.begin(), events.end());
  // Tokens around the page: forward after its last event, backward before its first. An empty
  // page answers the token it was given (as AWS does at the end of a stream).
  EventsToken fwd{true, window.first, 0}, bwd{false, window.second, 0};
  if (have_token) (token.forward ? fwd : bwd) = token;
  if (!events.empty()) {
    const int64_t last = events.back().timestamp_ms, first = events.front().timestamp_ms;
    fwd = {true, last, 0};
    bwd = {false, first, 0};
    for (const auto& e : events) {
      fwd.skip += e.timestamp_ms == last;
      bwd.skip += e.timestamp_ms == first;
    }
    // Events at the boundary that an earlier page in the same direction returned count too.
    if (have_token && token.forward && token.timestamp_ms == last) fwd.skip += token.skip;
    if (have_token && !token.forward && token.timestamp_ms == first) bwd.skip += token.skip;
  }
  json::Writer w;
  w.begin_object().key("events").begin_array();
  for (const auto& e : events) {
    w.begin_object()
        .kv("timestamp", e.timestamp_ms)
        .kv("message", e.message)
        .kv("ingestionTime", e.ingestion_time_ms)
        .end_object();
  }
  w.end_array();
  w.kv("nextForwardToken", format_token(fwd)).kv("nextBackwardToken", format_token(bwd));
  w.end_object();
  return w.take();
}

Result<std::string> filter_log_events(const Call& c) {
  ASSIGN_OR_RETURN(auto group, group_of(c));
  ASSIGN_OR_RETURN(auto names, c.args.string_list("logStreamNames"));
  ASSIGN_OR_RETURN(auto prefix, c.args.string("logStreamNamePrefix"));
  if (!names.empty() && prefix) {
    return invalid_parameter("specify logStreamNames or logStreamNamePrefix, not both");
  }
  if (names.size() > 100) {
    return invalid_parameter(
        fmt::format("logStreamNames has {} members; at most 100 are allowed", names.size()));
  }
  ASSIGN_OR_RETURN(auto pattern_text, c.args.string("filterPattern"));
  auto pattern = query::insights::parse_filter_pattern(pattern_text.value_or(""));
  if (!pattern.ok()) return invalid_parameter(pattern.status().message());
  ASSIGN_OR_RETURN(auto window, time_window(c));
  ASSIGN_OR_RETURN(auto limit, c.args.integer("limit"));
  ASSIGN_OR_RETURN(auto token, c.args.string("nextToken"));

  query::insights::FilterEventsRequest f;
  f.tenant = c.tenant;
  f.group = group;
  f.start_ms = window.first;
  f.end_ms = window.second;
  f.limit = limit.value_or(query::insights::kFilterEventsMaxLimit);
  f.next_token = token.value_or("");
  // The streams searched: those named, those with the prefix, or all of the group.
  std::vector<std::string> searched = names;
  if (names.empty()) {
    ASSIGN_OR_RETURN(auto streams,
                     c.deps.logs.logs->describe_streams(c.tenant, group, prefix.value_or("")));
    for (auto& s : streams) searched.push_back(std::move(s.name));
    if (prefix) f.streams = searched;
  } else {
    f.streams = names;
  }
  query::insights::FilterEventsResult result;
  if (!prefix || !searched.empty()) {
    auto r = query::insights::filter_log_events(*c.deps.logs.logs, f, *pattern);
    if (!r.ok()) {
      if (r.status().code() == Code::kInvalidArgument) {
        return invalid_parameter(r.status().message());
      }
      return r.status();
    }
    result = std::move(*r);
  }
  json::Writer w;
  w.begin_object().key("events").begin_array();
  for (const auto& e : result.events) {
    w.begin_object()
        .kv("logStreamName", e.stream)
        .kv("timestamp", e.timestamp_ms)
        .kv("message", e.message)
        .kv("ingestionTime", e.ingestion_time_ms)
        .kv("eventId", e.event_id)
        .end_object();
  }
  w.end_array().key("searchedLogStreams").begin_array();
  for (const auto& s : searched) {
    w.begin_object()
        .kv("logStreamName", s)
        .kv("searchedCompletely", result.next_token.empty())
        .end_object();
  }
  w.end_array();
  if (!result.next_token.empty()) w.kv("nextToken", result.next_token);
  w.end_object();
  return w.take();
}

}  // namespace opsight::api::aws::logs_ops
