// Loki push API decoder: JSON per the Loki HTTP API reference ("Ingest logs"), protobuf per
// Loki's pkg/push/push.proto (PushRequest); snappy block format via wire/compression.h.
#include "ingest/logs/loki_push.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <charconv>

#include "ingest/logs/loki_labels.h"
#include "wire/compression.h"
#include "wire/protobuf.h"

namespace opsight::ingest::logs {
namespace {

namespace dom = simdjson::dom;
using wire::pb::Reader;

Status too_large(uint64_t bytes, uint64_t max) {
  return Status::invalid_argument(fmt::format(
      "request body is {} bytes: at most {} are allowed (limits.max_request_bytes)", bytes, max));
}

Status too_many(size_t max) {
  return Status::invalid_argument(fmt::format(
      "more than {} log entries in one request (limits.max_events_per_request); split the "
      "request",
      max));
}

// Fills the fields of `ev` that come from the stream labels.
void apply_labels(const Labels& labels, storage::LogEvent* ev) {
  for (const auto& l : labels) ev->attributes.push_back({l.name, l.value});
}

bool is_severity_key(std::string_view k) {
  return k == "level" || k == "severity" || k == "detected_level";
}

void set_severity(storage::LogEvent* ev) {
  for (const auto& a : ev->attributes) {
    if (is_severity_key(a.key)) {
      ev->severity_text = a.value;
      return;
    }
  }
}

// Appends `local` to `out`, merging streams that `out` already has.
void merge(LogBatch&& local, LogBatch* out) {
  if (out->streams.empty() && out->errors.empty()) {
    *out = std::move(local);
    return;
  }
  LogBatchBuilder b(out);
  for (auto& s : local.streams) {
    for (auto& e : s.events) b.add(s.group, s.stream, s.item, std::move(e));
  }
  for (auto& e : local.errors) out->errors.push_back(std::move(e));
}

// --- JSON ---

Status json_shape(const std::string& path, std::string_view what) {
  return Status::invalid_argument(fmt::format("malformed Loki push JSON at {}: {}", path, what));
}

// "" or the rule; parses a nanosecond timestamp string.
std::string parse_ns(std::string_view s, int64_t* ns) {
  auto res = std::from_chars(s.data(), s.data() + s.size(), *ns, 10);
  if (s.empty() || res.ec != std::errc() || res.ptr != s.data() + s.size() || *ns < 0) {
    return fmt::format("timestamp \"{}\" is not a non-negative integer of Unix epoch nanoseconds",
                       s.substr(0, 32));
  }
  return {};
}

// One JSON value entry -> *ev; "" or the rule.
std::string json_entry(dom::element e, storage::LogEvent* ev) {
  dom::array arr;
  if (e.get_array().get(arr)) return "an entry must be an array [timestamp, line, metadata?]";
  size_t n = arr.size();
  if (n < 2 || n > 3) return fmt::format("an entry must have 2 or 3 elements (got {})", n);
  std::string_view ts, line;
  if (arr.at(0).get_string().get(ts)) {
    return "timestamp must be a string of Unix epoch nanoseconds";
  }
  int64_t ns = 0;
  if (std::string r = parse_ns(ts, &ns); !r.empty()) return r;
  if (arr.at(1).get_string().get(line)) return "log line must be a string";
  ev->timestamp_ms = ns / 1'000'000;
  ev->message = std::string(line);
  if (n == 3) {
    dom::element m = arr.at(2).value_unsafe();
    if (!m.is_null()) {
      dom::object obj;
      if (m.get_object().get(obj)) return "structured metadata must be an object";
      for (auto f : obj) {
        std::string_view v;
        if (f.value.get_string().get(v)) {
          return fmt::format("structured metadata \"{}\" must be a string", f.key.substr(0, 64));
        }
        ev->attributes.push_back({std::string(f.key), std::string(v)});
      }
    }
  }
  return {};
}

// The labels of a JSON "stream" object; "" or the rule.
std::string json_labels(dom::element e, Labels* out) {
  dom::object obj;
  if (e.get_object().get(obj)) return "must be an object of label names to string values";
  std::vector<Label> labels;
  for (auto f : obj) {
    std::string_view v;
    if (f.value.get_string().get(v)) {
      return fmt::format("label \"{}\" must have a string value", f.key.substr(0, 64));
    }
    if (!valid_label_name(f.key)) {
      return fmt::format("\"{}\" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)",
                         f.key.substr(0, 64));
    }
    for (const auto& l : labels) {
      if (l.name == f.key) return fmt::format("duplicate label name \"{}\"", f.key);
    }
    labels.push_back({std::string(f.key), std::string(v)});
  }
  *out = Labels(std::move(labels));
  if (out->empty()) return "a stream needs at least one label with a non-empty value";
  return {};
}

// --- protobuf ---

Status pb_shape(const std::string& path, std::string_view what) {
  return Status::invalid_argument(
      fmt::format("malformed Loki push protobuf at {}: {}", path, what));
}

// One EntryAdapter -> *ev. A wire error is a request error (returned); a rule violation of the
// entry is returned in *rule.
Status pb_entry(std::string_view data, const std::string& path, storage::LogEvent* ev,
                std::string* rule) {
  Reader r(data);
  int64_t seconds = 0;
  int64_t nanos = 0;
  while (r.next()) {
    switch (r.field()) {
      case 1: {
        Reader t(r.bytes());
        while (t.next()) {
          if (t.field() == 1) seconds = t.int64();
          if (t.field() == 2) nanos = t.int32();
        }
        if (!t.ok()) return pb_shape(path + ".timestamp", t.error());
        break;
      }
      case 2:
        ev->message = std::string(r.bytes());
        break;
      case 3: {
        Reader p(r.bytes());
        std::string name, value;
        while (p.next()) {
          if (p.field() == 1) name = std::string(p.bytes());
          if (p.field() == 2) value = std::string(p.bytes());
        }
        if (!p.ok()) return pb_shape(path + ".structuredMetadata", p.error());
        if (name.empty()) {
          if (rule->empty()) *rule = "structured metadata with an empty name";
        } else {
          ev->attributes.push_back({std::move(name), std::move(value)});
        }
        break;
      }
      default:
        break;
    }
  }
  if (!r.ok()) return pb_shape(path, r.error());
  // google.protobuf.Timestamp: seconds in [0001-01-01, 9999-12-31], nanos in [0, 1e9).
  if (seconds < 0 || seconds > 253'402'300'799 || nanos < 0 || nanos >= 1'000'000'000) {
    if (rule->empty()) {
      *rule =
          fmt::format("timestamp {}s {}ns is not a valid non-negative Timestamp", seconds, nanos);
    }
  }
  ev->timestamp_ms = seconds * 1000 + nanos / 1'000'000;
  return OkStatus();
}

}  // namespace

std::string loki_stream_name(const Labels& labels) {
  std::string out = "{";
  bool first = true;
  for (const auto& l : labels) {
    if (!first) out += ", ";
    first = false;
    out += l.name;
    out += '=';
    append_quoted(out, l.value);
  }
  out += '}';
  return out;
}

std::string loki_group_name(const Labels& labels) {
  for (std::string_view key : {"service_name", "job"}) {
    std::string_view v = labels.get(key);
    if (!v.empty()) return std::string(v);
  }
  return "/loki/default";
}

Status decode_loki_push_json(std::string_view body, const LogLimits& limits, LogBatch* out) {
  if (body.size() > limits.max_request_bytes)
    return too_large(body.size(), limits.max_request_bytes);
  simdjson::padded_string padded(body);
  dom::parser parser;
  dom::element doc;
  if (auto err = parser.parse(padded).get(doc); err) {
    return Status::invalid_argument(
        fmt::format("malformed Loki push JSON: {}", simdjson::error_message(err)));
  }
  dom::object root;
  if (doc.get_object().get(root)) return json_shape("body", "expected an object");
  dom::element se;
  dom::array streams;
  if (root["streams"].get(se) || se.get_array().get(streams)) {
    return json_shape("streams", "expected an array of streams");
  }
  // Shape and count first, so that nothing is kept from a request that fails.
  size_t entries = 0;
  for (dom::element s : streams) {
    dom::object so;
    dom::element ve;
    dom::array values;
    if (s.get_object().get(so)) return json_shape("streams[]", "expected an object");
    if (so["values"].get(ve) || ve.is_null()) continue;
    if (ve.get_array().get(values)) return json_shape("streams[].values", "expected an array");
    entries += values.size();
  }
  if (entries > limits.max_events_per_request) return too_many(limits.max_events_per_request);

  LogBatch local;
  LogBatchBuilder b(&local);
  size_t i = 0;
  for (dom::element s : streams) {
    std::string sitem = fmt::format("streams[{}]", i++);
    dom::object so = s.get_object().value_unsafe();
    dom::element le;
    Labels labels;
    if (so["stream"].get(le)) {
      b.error(sitem + ".stream", "is required (the stream's labels)");
      continue;
    }
    if (std::string r = json_labels(le, &labels); !r.empty()) {
      b.error(sitem + ".stream", std::move(r));
      continue;
    }
    std::string group = loki_group_name(labels);
    std::string stream = loki_stream_name(labels);
    dom::element ve;
    if (so["values"].get(ve) || ve.is_null()) continue;
    size_t j = 0;
    dom::array values = ve.get_array().value_unsafe();
    for (dom::element e : values) {
      storage::LogEvent ev;
      apply_labels(labels, &ev);
      std::string rule = json_entry(e, &ev);
      if (rule.empty()) rule = check_event_limits(ev, limits);
      if (!rule.empty()) {
        b.error(fmt::format("{}.values[{}]", sitem, j++), std::move(rule));
        continue;
      }
      j++;
      set_severity(&ev);
      b.add(group, stream, sitem, std::move(ev));
    }
  }
  merge(std::move(local), out);
  return OkStatus();
}

Status decode_loki_push_protobuf(std::string_view snappy_body, const LogLimits& limits,
                                 LogBatch* out) {
  if (snappy_body.size() > limits.max_request_bytes) {
    return too_large(snappy_body.size(), limits.max_request_bytes);
  }
  auto raw = wire::snappy_decompress(snappy_body, limits.max_request_bytes);
  if (!raw.ok()) {
    return Status(raw.status().code(),
                  "Loki push protobuf body is not valid snappy: " + raw.status().message());
  }
  return decode_loki_push_protobuf_raw(*raw, limits, out);
}

Status decode_loki_push_protobuf_raw(std::string_view protobuf, const LogLimits& limits,
                                     LogBatch* out) {
  if (protobuf.size() > limits.max_request_bytes) {
    return too_large(protobuf.size(), limits.max_request_bytes);
  }
  LogBatch local;
  LogBatchBuilder b(&local);
  size_t entries = 0;
  size_t i = 0;
  Reader r(protobuf);
  while (r.next()) {
    if (r.field() != 1) continue;
    std::string sitem = fmt::format("streams[{}]", i++);
    std::string_view label_text;
    std::vector<std::string_view> entry_msgs;
    Reader s(r.bytes());
    while (s.next()) {
      if (s.field() == 1) {
        label_text = s.bytes();
      } else if (s.field() == 2) {
        if (++entries > limits.max_events_per_request) {
          return too_many(limits.max_events_per_request);
        }
        entry_msgs.push_back(s.bytes());
      }
    }
    if (!s.ok()) return pb_shape(sitem, s.error());
    auto labels = parse_label_set(label_text);
    std::string label_rule;
    if (!labels.ok()) {
      label_rule = labels.status().message();
    } else if (labels->empty()) {
      label_rule = "a stream needs at least one label with a non-empty value";
    }
    std::string group, stream;
    if (label_rule.empty()) {
      group = loki_group_name(*labels);
      stream = loki_stream_name(*labels);
    }
    for (size_t j = 0; j < entry_msgs.size(); j++) {
      std::string eitem = fmt::format("{}.entries[{}]", sitem, j);
      storage::LogEvent ev;
      std::string rule;
      RETURN_IF_ERROR(pb_entry(entry_msgs[j], eitem, &ev, &rule));
      if (!label_rule.empty()) continue;  // wire-checked, then dropped with its stream
      std::vector<storage::LogAttribute> metadata = std::move(ev.attributes);
      ev.attributes.clear();
      apply_labels(*labels, &ev);
      for (auto& m : metadata) ev.attributes.push_back(std::move(m));
      if (rule.empty()) rule = check_event_limits(ev, limits);
      if (!rule.empty()) {
        b.error(std::move(eitem), std::move(rule));
        continue;
      }
      set_severity(&ev);
      b.add(group, stream, sitem, std::move(ev));
    }
    if (!label_rule.empty()) b.error(sitem + ".labels", std::move(label_rule));
  }
  if (!r.ok()) return pb_shape("PushRequest", r.error());
  merge(std::move(local), out);
  return OkStatus();
}

std::string encode_loki_push_protobuf(const std::vector<LokiStream>& streams) {
  wire::pb::Writer req;
  for (const auto& s : streams) {
    wire::pb::Writer sw;
    sw.bytes(1, s.labels);
    for (const auto& e : s.entries) {
      wire::pb::Writer ts;
      int64_t sec = e.timestamp_ns / 1'000'000'000;
      int64_t nanos = e.timestamp_ns % 1'000'000'000;
      if (sec != 0) ts.varint(1, static_cast<uint64_t>(sec));
      if (nanos != 0) ts.varint(2, static_cast<uint64_t>(nanos));
      wire::pb::Writer ew;
      ew.message(1, ts.str());
      ew.bytes(2, e.line);
      for (const auto& m : e.metadata) {
        wire::pb::Writer mw;
        mw.bytes(1, m.name);
        mw.bytes(2, m.value);
        ew.message(3, mw.str());
      }
      sw.message(2, ew.str());
    }
    req.message(1, sw.str());
  }
  return req.take();
}

}  // namespace opsight::ingest::logs
