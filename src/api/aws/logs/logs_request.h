#pragma once
// The members of an AWS JSON 1.1 request document of CloudWatch Logs, read with the types the
// API reference gives them. A member of the wrong type is InvalidArgument with the CloudWatch
// Logs code ("InvalidParameterException: logGroupName must be a string"); a missing required
// member likewise; a body that is not a JSON object is "SerializationException: ...".
//
// Thread safety: one request per thread; the parsed document lives as long as the object.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace opsight::api::aws {

class LogsRequest {
 public:
  // "" (an empty body) reads as {}.
  static Result<LogsRequest> parse(std::string_view body);
  LogsRequest(LogsRequest&&) noexcept;
  LogsRequest& operator=(LogsRequest&&) noexcept;
  ~LogsRequest();

  bool has(std::string_view name) const;
  // Absent or null members read as nullopt / empty.
  Result<std::optional<std::string>> string(std::string_view name) const;
  Result<std::string> required_string(std::string_view name) const;
  Result<std::optional<int64_t>> integer(std::string_view name) const;
  Result<std::optional<double>> number(std::string_view name) const;
  Result<std::optional<bool>> boolean(std::string_view name) const;
  Result<std::vector<std::string>> string_list(std::string_view name) const;
  Result<std::map<std::string, std::string>> string_map(std::string_view name) const;
  // The members of an array of objects, each as its own LogsRequest (metricTransformations).
  Result<std::vector<LogsRequest>> object_list(std::string_view name) const;

  struct Impl;

 private:
  explicit LogsRequest(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

// InvalidArgument "InvalidParameterException: <what>".
Status invalid_parameter(std::string_view what);

}  // namespace opsight::api::aws
