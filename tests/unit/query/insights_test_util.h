#pragma once
// Test helpers for Logs Insights: log events as the store would hand them to a query (JSON
// messages flattened into fields with '.', array elements as .0, .1, like Logs Insights field
// discovery), and a runner that feeds them the way a LogScanner would (scan_hints order and
// required substrings, no message / no fields when the hints say the query needs none, stopping
// at done_early). Each record's bytes live only until the next record, as with a real scanner:
// they are overwritten and freed after add(), so an executor that keeps a view instead of a copy
// gets wrong answers (and an ASan report).

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "query/insights/insights.h"
#include "storage/log_store.h"

namespace opsight::query::insights::testing {

struct TestEvent {
  int64_t timestamp_ms = 0;
  std::string stream;
  std::string message;
  std::vector<std::pair<std::string, std::string>> fields;  // flattened JSON keys
};

inline void flatten_json(simdjson::ondemand::value v, const std::string& prefix,
                         std::vector<std::pair<std::string, std::string>>* out) {
  auto type = v.type();
  if (type.error()) return;
  switch (type.value_unsafe()) {
    case simdjson::ondemand::json_type::object:
      for (auto field : v.get_object()) {
        std::string_view key;
        if (field.unescaped_key().get(key)) return;
        std::string name = prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
        flatten_json(field.value(), name, out);
      }
      break;
    case simdjson::ondemand::json_type::array: {
      size_t i = 0;
      for (auto el : v.get_array()) {
        flatten_json(el.value(), prefix + "." + std::to_string(i++), out);
      }
      break;
    }
    case simdjson::ondemand::json_type::string: {
      std::string_view s;
      if (!v.get_string().get(s)) out->emplace_back(prefix, std::string(s));
      break;
    }
    case simdjson::ondemand::json_type::number: {
      std::string_view raw = v.raw_json_token();
      while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back()))) {
        raw.remove_suffix(1);
      }
      out->emplace_back(prefix, std::string(raw));
      break;
    }
    case simdjson::ondemand::json_type::boolean: {
      bool b = false;
      if (!v.get_bool().get(b)) out->emplace_back(prefix, b ? "true" : "false");
      break;
    }
    case simdjson::ondemand::json_type::null:
      out->emplace_back(prefix, "null");
      break;
  }
}

inline TestEvent make_event(int64_t ts, std::string stream, std::string message) {
  TestEvent e{ts, std::move(stream), std::move(message), {}};
  if (!e.message.empty() && e.message[0] == '{') {
    simdjson::ondemand::parser parser;
    simdjson::padded_string padded(e.message);
    simdjson::ondemand::document doc;
    if (!parser.iterate(padded).get(doc)) {
      simdjson::ondemand::value root;
      if (!doc.get_value().get(root)) flatten_json(root, "", &e.fields);
    }
  }
  return e;
}

inline std::string lower_ascii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Runs `query` over `events` as a store scan would. Returns the result or the first error.
inline Result<ResultTable> run_query(const Query& query, std::vector<TestEvent> events,
                                     ExecOptions options = {}) {
  ScanHints hints = scan_hints(query);
  std::stable_sort(events.begin(), events.end(), [&](const TestEvent& a, const TestEvent& b) {
    return hints.newest_first ? a.timestamp_ms > b.timestamp_ms : a.timestamp_ms < b.timestamp_ms;
  });
  Execution exec(query, options);
  for (const auto& e : events) {
    // The store's block filter: skip what cannot contain a required substring (case-insensitive).
    bool skip = false;
    for (const auto& s : hints.required_substrings) {
      if (lower_ascii(e.message).find(lower_ascii(s)) == std::string::npos) skip = true;
    }
    if (skip) continue;
    // One buffer per record: stream, message, then each field's name and value.
    size_t bytes = e.stream.size() + e.message.size();
    for (const auto& [k, v] : e.fields) bytes += k.size() + v.size();
    auto buf = std::make_unique<char[]>(bytes + 1);
    char* p = buf.get();
    auto put = [&](const std::string& s) {
      std::copy(s.begin(), s.end(), p);
      std::string_view out(p, s.size());
      p += s.size();
      return out;
    };
    std::vector<storage::LogField> fields;
    storage::LogRecord r;
    r.log_group = "/test/group";
    r.log_stream = put(e.stream);
    r.timestamp_ms = e.timestamp_ms;
    r.ingestion_time_ms = e.timestamp_ms + 500;
    if (hints.needs_message) r.message = put(e.message);
    if (hints.needs_fields) {
      for (const auto& [k, v] : e.fields) fields.push_back({put(k), put(v)});
    }
    r.fields = fields;
    Status st = exec.add(r);
    std::fill(buf.get(), buf.get() + bytes + 1, '#');
    buf.reset();
    RETURN_IF_ERROR(st);
    if (exec.done_early()) break;
  }
  ResultTable t = exec.finish();
  RETURN_IF_ERROR(exec.status());
  return t;
}

}  // namespace opsight::query::insights::testing
