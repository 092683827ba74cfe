// NDJSON log import (format: ndjson / JSON Lines, one RFC 8259 JSON text per line). simdjson
// DOM, one parser reused for every line.
#include "ingest/logs/ndjson_import.h"

#include <fmt/format.h>
#include <simdjson.h>

namespace opsight::ingest::logs {
namespace {

namespace dom = simdjson::dom;

bool present(dom::object o, std::string_view key, dom::element* e) {
  return !o[key].get(*e) && !e->is_null();
}

// Scalar attribute value as text; false for objects, arrays and null.
bool scalar_text(dom::element e, std::string* out) {
  switch (e.type()) {
    case dom::element_type::STRING:
      *out = std::string(e.get_string().value_unsafe());
      return true;
    case dom::element_type::BOOL:
      *out = e.get_bool().value_unsafe() ? "true" : "false";
      return true;
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE:
      *out = simdjson::minify(e);  // the number as the shortest JSON text
      return true;
    default:
      return false;
  }
}

// One line -> *ev; "" or the rule.
std::string decode_line(dom::parser& parser, std::string_view line, int64_t now_ms,
                        int retention_days, storage::LogEvent* ev) {
  dom::element doc;
  if (auto err = parser.parse(line.data(), line.size()).get(doc); err) {
    return fmt::format("not valid JSON: {}", simdjson::error_message(err));
  }
  dom::object obj;
  if (doc.get_object().get(obj)) return "must be a JSON object";
  dom::element e;
  if (!present(obj, "timestamp", &e)) return "\"timestamp\" is required (epoch milliseconds)";
  if (e.type() != dom::element_type::INT64 || e.get_int64().value_unsafe() < 0) {
    return "\"timestamp\" must be an integer number of epoch milliseconds >= 0";
  }
  ev->timestamp_ms = e.get_int64().value_unsafe();
  if (ev->timestamp_ms > now_ms + kImportMaxFutureMs) {
    return fmt::format("timestamp {} is more than 2 hours in the future", ev->timestamp_ms);
  }
  if (retention_days > 0 && ev->timestamp_ms < now_ms - int64_t{retention_days} * kMsPerDay) {
    return fmt::format("timestamp {} is older than the log group's retention of {} days",
                       ev->timestamp_ms, retention_days);
  }
  std::string_view s;
  if (!present(obj, "message", &e)) return "\"message\" is required";
  if (e.get_string().get(s)) return "\"message\" must be a string";
  ev->message = std::string(s);
  if (present(obj, "severity", &e)) {
    if (e.get_string().get(s)) return "\"severity\" must be a string";
    ev->severity_text = std::string(s);
  }
  if (present(obj, "attributes", &e)) {
    dom::object attrs;
    if (e.get_object().get(attrs)) return "\"attributes\" must be an object";
    for (auto f : attrs) {
      std::string v;
      if (!scalar_text(f.value, &v)) {
        return fmt::format("attribute \"{}\" must be a string, number or boolean",
                           f.key.substr(0, 64));
      }
      ev->attributes.push_back({std::string(f.key), std::move(v)});
    }
  }
  return {};
}

}  // namespace

Status decode_ndjson_import(std::string_view body, std::string_view group, std::string_view stream,
                            int64_t now_ms, int retention_days, const LogLimits& limits,
                            LogBatch* out) {
  if (std::string r = check_log_group_name(group); !r.empty()) {
    return Status::invalid_argument("group: " + r);
  }
  if (std::string r = check_log_stream_name(stream); !r.empty()) {
    return Status::invalid_argument("stream: " + r);
  }
  if (body.size() > limits.max_request_bytes) {
    return Status::invalid_argument(
        fmt::format("request body is {} bytes: at most {} are allowed (limits.max_request_bytes)",
                    body.size(), limits.max_request_bytes));
  }
  // Split first, so that a request over the event limit adds nothing.
  std::vector<std::pair<size_t, std::string_view>> lines;  // (line number, text)
  size_t number = 0;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find('\n', pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    number++;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (lines.size() == limits.max_events_per_request) {
      return Status::invalid_argument(
          fmt::format("more than {} events in one import (limits.max_events_per_request); split "
                      "the file",
                      limits.max_events_per_request));
    }
    lines.emplace_back(number, line);
  }
  LogBatchBuilder b(out);
  dom::parser parser;
  for (const auto& [n, line] : lines) {
    storage::LogEvent ev;
    std::string rule = decode_line(parser, line, now_ms, retention_days, &ev);
    if (rule.empty()) rule = check_event_limits(ev, limits);
    if (!rule.empty()) {
      b.error(fmt::format("line {}", n), std::move(rule));
      continue;
    }
    b.add(group, stream, "import", std::move(ev));
  }
  return OkStatus();
}

}  // namespace opsight::ingest::logs
