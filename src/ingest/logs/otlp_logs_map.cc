// OTLP LogRecord -> storage::LogEvent mapping (see otlp_logs_model.h and docs/ingest-logs.md).
// Group and stream attributes: OpenTelemetry semantic conventions, aws.log.group.names /
// aws.log.stream.names (cloud-provider/aws/logs), service.name, host.name, service.instance.id.
#include <fmt/format.h>

#include "ingest/logs/otlp_logs_model.h"

namespace opsight::ingest::logs {
namespace {

constexpr size_t kMaxSummarisedErrors = 3;

// The first name of an aws.log.*.names attribute: a string ("a&b" -> "a") or a string array.
std::string first_name(const otlp::AnyValue* v) {
  if (v == nullptr) return {};
  if (v->type == otlp::AnyValue::Type::kString) {
    std::string_view s = v->str;
    return std::string(s.substr(0, s.find('&')));
  }
  if (v->type == otlp::AnyValue::Type::kArray) {
    for (const auto& e : v->array) {
      if (e.type == otlp::AnyValue::Type::kString && !e.str.empty()) return e.str;
    }
  }
  return {};
}

std::string string_attr(const otlp::Resource& r, std::string_view key) {
  const otlp::AnyValue* v = otlp::find_attribute(r.attributes, key);
  if (v == nullptr || v->type == otlp::AnyValue::Type::kEmpty) return {};
  return otlp::any_value_to_string(*v);
}

bool all_zero(std::string_view bytes) {
  for (char c : bytes) {
    if (c != 0) return false;
  }
  return true;
}

// Fills *ev from `rec`; "" or the rule it broke.
std::string map_record(const OtlpLogRecord& rec, int64_t now_ms, const LogLimits& limits,
                       storage::LogEvent* ev) {
  if (!rec.decode_error.empty()) return rec.decode_error;
  if (!rec.trace_id.empty() && rec.trace_id.size() != 16) {
    return fmt::format("trace_id must be 16 bytes (got {})", rec.trace_id.size());
  }
  if (!rec.span_id.empty() && rec.span_id.size() != 8) {
    return fmt::format("span_id must be 8 bytes (got {})", rec.span_id.size());
  }
  if (rec.severity_number < 0 || rec.severity_number > 24) {
    return fmt::format("severity_number {} is outside 0..24", rec.severity_number);
  }
  uint64_t ns = rec.time_unix_nano != 0 ? rec.time_unix_nano : rec.observed_time_unix_nano;
  ev->timestamp_ms = ns != 0 ? static_cast<int64_t>(ns / 1'000'000) : now_ms;
  ev->message = rec.body.type == otlp::AnyValue::Type::kString
                    ? rec.body.str
                    : otlp::any_value_to_string(rec.body);
  ev->severity_number = rec.severity_number;
  ev->severity_text = !rec.severity_text.empty() ? rec.severity_text
                                                 : std::string(severity_name(rec.severity_number));
  if (!all_zero(rec.trace_id)) ev->trace_id = otlp::hex_encode(rec.trace_id);
  if (!all_zero(rec.span_id)) ev->span_id = otlp::hex_encode(rec.span_id);
  ev->attributes.reserve(rec.attributes.size() + (rec.event_name.empty() ? 0 : 1));
  for (const auto& kv : rec.attributes) {
    ev->attributes.push_back({kv.key, otlp::any_value_to_string(kv.value)});
  }
  if (!rec.event_name.empty()) ev->attributes.push_back({"event.name", rec.event_name});
  return check_event_limits(*ev, limits);
}

}  // namespace

std::string otlp_log_group(const otlp::Resource& resource) {
  std::string g = first_name(otlp::find_attribute(resource.attributes, "aws.log.group.names"));
  if (!g.empty()) return g;
  std::string service = string_attr(resource, "service.name");
  return "/otel/" + (service.empty() ? std::string("unknown_service") : service);
}

std::string otlp_log_stream(const otlp::Resource& resource) {
  std::string s = first_name(otlp::find_attribute(resource.attributes, "aws.log.stream.names"));
  if (!s.empty()) return s;
  for (std::string_view key : {"host.name", "service.instance.id"}) {
    s = string_attr(resource, key);
    if (!s.empty()) return s;
  }
  return "default";
}

void map_logs_to_batch(const ExportLogsRequest& req, int64_t now_ms, const LogLimits& limits,
                       LogBatch* out, OtlpLogsResult* result) {
  LogBatchBuilder builder(out);
  std::vector<std::string> summary;
  auto reject = [&](std::string item, std::string rule) {
    result->rejected_log_records++;
    if (summary.size() < kMaxSummarisedErrors) summary.push_back(item + ": " + rule);
    builder.error(std::move(item), std::move(rule));
  };
  for (size_t i = 0; i < req.resource_logs.size(); i++) {
    const auto& rl = req.resource_logs[i];
    std::string group = otlp_log_group(rl.resource);
    std::string stream = otlp_log_stream(rl.resource);
    std::string ritem = fmt::format("resource_logs[{}]", i);
    for (size_t j = 0; j < rl.scope_logs.size(); j++) {
      const auto& sl = rl.scope_logs[j];
      for (size_t k = 0; k < sl.log_records.size(); k++) {
        auto item = [&] { return fmt::format("{}.scope_logs[{}].log_records[{}]", ritem, j, k); };
        if (builder.added() >= limits.max_events_per_request) {
          reject(item(), fmt::format("more than {} log records in one request "
                                     "(limits.max_events_per_request)",
                                     limits.max_events_per_request));
          continue;
        }
        storage::LogEvent ev;
        if (std::string rule = map_record(sl.log_records[k], now_ms, limits, &ev); !rule.empty()) {
          reject(item(), std::move(rule));
          continue;
        }
        builder.add(group, stream, ritem, std::move(ev));
      }
    }
  }
  if (result->rejected_log_records > 0) {
    std::string msg = fmt::format("{} log record(s) rejected", result->rejected_log_records);
    for (size_t i = 0; i < summary.size(); i++) msg += (i == 0 ? ": " : "; ") + summary[i];
    result->error_message = std::move(msg);
  }
}

}  // namespace opsight::ingest::logs
