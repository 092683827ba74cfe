#include "query/insights/record_env.h"

namespace opsight::query::insights {

bool RecordEnv::lookup(std::string_view name, Value* out) const {
  const storage::LogRecord& r = *record_;
  if (!name.empty() && name[0] == '@') {
    if (name == "@timestamp") {
      *out = Value::time(r.timestamp_ms);
      return true;
    }
    if (name == "@message") {
      *out = Value::view(r.message);
      return true;
    }
    if (name == "@logStream") {
      *out = Value::view(r.log_stream);
      return true;
    }
    if (name == "@log") {
      if (origin_ != nullptr) {
        std::string log;
        log.reserve(origin_->account.size() + 1 + r.log_group.size());
        log.append(origin_->account).append(":").append(r.log_group);
        *out = Value::string(std::move(log));
      } else {
        *out = Value::view(r.log_group);
      }
      return true;
    }
    if (origin_ != nullptr && name.starts_with("@aws.")) {
      if (name == "@aws.account") {
        *out = Value::view(origin_->account);
        return true;
      }
      if (name == "@aws.region") {
        *out = Value::view(origin_->region);
        return true;
      }
    }
    if (name == "@ingestionTime") {
      *out = Value::time(r.ingestion_time_ms);
      return true;
    }
  }
  for (const auto& f : r.fields) {
    if (f.name == name) {
      *out = Value::view(f.value);
      return true;
    }
  }
  auto optional_field = [&](std::string_view v) {
    if (v.empty()) return false;
    *out = Value::view(v);
    return true;
  };
  if (name == "severityText") return optional_field(r.severity_text);
  if (name == "traceId") return optional_field(r.trace_id);
  if (name == "spanId") return optional_field(r.span_id);
  return false;
}

}  // namespace opsight::query::insights
