#pragma once
// Reading the members of a CloudWatch AWS JSON 1.0 request document (cloudwatch_ops.h) for the
// operations whose parsers do not live in a service library (dashboards, tags,
// DescribeAlarmsForMetric). Errors name the member with CloudWatch's codes:
// "MissingParameter: The parameter X is required." / "InvalidParameterValue: The parameter X
// must be ...".
//
// Thread safety: a CwRequest belongs to one call.

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace opsight::api::aws {

class CwRequest {
 public:
  // An empty document counts as {}. `operation` names the request in errors.
  static Result<CwRequest> parse(std::string_view json, std::string_view operation);

  // Absent or null members give nullopt (or `required` fails with MissingParameter).
  Result<std::optional<std::string>> string(std::string_view key, bool required = false) const;
  Result<std::optional<int64_t>> integer(std::string_view key) const;
  Result<std::optional<std::vector<std::string>>> strings(std::string_view key,
                                                          bool required = false) const;
  // A list of {<k>: string, <v>: string} objects (Tags: Key/Value; Dimensions: Name/Value).
  // A missing <v> is "" when `value_optional`, else MissingParameter.
  Result<std::optional<std::vector<std::pair<std::string, std::string>>>> pairs(
      std::string_view key, std::string_view k, std::string_view v, bool value_optional) const;

 private:
  CwRequest() = default;
  bool member(std::string_view key, simdjson::dom::element* out) const;

  std::unique_ptr<simdjson::dom::parser> parser_;
  std::unique_ptr<simdjson::padded_string> padded_;
  simdjson::dom::object obj_;
};

Status cw_missing(std::string_view key);
Status cw_invalid(std::string_view key, std::string_view rule);

}  // namespace opsight::api::aws
