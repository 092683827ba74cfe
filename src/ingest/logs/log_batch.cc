#include "ingest/logs/log_batch.h"

#include <fmt/format.h>

namespace opsight::ingest {

size_t LogBatch::event_count() const {
  size_t n = 0;
  for (const auto& s : streams) n += s.events.size();
  return n;
}

LogBatchBuilder::LogBatchBuilder(LogBatch* out) : out_(out) {
  for (size_t i = 0; i < out_->streams.size(); i++) {
    const auto& s = out_->streams[i];
    std::string key = s.group;
    key += '\0';
    key += s.stream;
    index_.emplace(std::move(key), i);
  }
}

void LogBatchBuilder::add(std::string_view group, std::string_view stream, std::string_view item,
                          storage::LogEvent event) {
  std::string key(group);
  key += '\0';
  key += stream;
  auto [it, inserted] = index_.emplace(std::move(key), out_->streams.size());
  if (inserted) {
    LogStreamEvents s;
    s.group = std::string(group);
    s.stream = std::string(stream);
    s.item = std::string(item);
    out_->streams.push_back(std::move(s));
  }
  out_->streams[it->second].events.push_back(std::move(event));
  added_++;
}

void LogBatchBuilder::error(std::string item, std::string message) {
  out_->errors.push_back(ItemError{std::move(item), std::move(message)});
}

std::string check_event_limits(const storage::LogEvent& event, const LogLimits& limits) {
  if (event.message.size() > limits.max_message_bytes) {
    return fmt::format("message is {} bytes: at most {} are allowed (limits.max_message_bytes)",
                       event.message.size(), limits.max_message_bytes);
  }
  if (event.attributes.size() > limits.max_attributes_per_event) {
    return fmt::format("{} attributes: at most {} are allowed (limits.max_attributes_per_event)",
                       event.attributes.size(), limits.max_attributes_per_event);
  }
  for (const auto& a : event.attributes) {
    if (a.key.empty()) return "attribute with an empty key";
    if (a.key.size() + a.value.size() > limits.max_attribute_bytes) {
      return fmt::format(
          "attribute \"{}\" is {} bytes (key + value): at most {} are allowed "
          "(limits.max_attribute_bytes)",
          a.key.substr(0, 64), a.key.size() + a.value.size(), limits.max_attribute_bytes);
    }
  }
  return {};
}

std::string check_log_group_name(std::string_view name) {
  if (name.empty() || name.size() > 512) {
    return fmt::format("log group name must be 1..512 characters (got {})", name.size());
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_' || c == '/' || c == '#';
    if (!ok) {
      return "log group name may contain only a-z, A-Z, 0-9, '.', '-', '_', '/' and '#'";
    }
  }
  return {};
}

std::string check_log_stream_name(std::string_view name) {
  if (name.empty() || name.size() > 512) {
    return fmt::format("log stream name must be 1..512 characters (got {})", name.size());
  }
  if (name.find_first_of(":*") != std::string_view::npos) {
    return "log stream name must not contain ':' or '*'";
  }
  return {};
}

std::string_view severity_name(int32_t n) {
  static constexpr std::string_view kNames[] = {
      "",       "TRACE",  "TRACE2", "TRACE3", "TRACE4", "DEBUG",  "DEBUG2", "DEBUG3", "DEBUG4",
      "INFO",   "INFO2",  "INFO3",  "INFO4",  "WARN",   "WARN2",  "WARN3",  "WARN4",  "ERROR",
      "ERROR2", "ERROR3", "ERROR4", "FATAL",  "FATAL2", "FATAL3", "FATAL4"};
  if (n < 0 || n > 24) return {};
  return kNames[n];
}

}  // namespace opsight::ingest
