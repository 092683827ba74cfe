#pragma once
// Internal to src/alarm: reading request documents with simdjson's DOM. Every error names the
// parameter with CloudWatch's error codes (alarm_types.h). Include only from .cc files.

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alarm/alarm_model.h"  // Dimension, kMaxDimensions
#include "common/status.h"

namespace opsight::alarm::jsonu {

namespace dom = simdjson::dom;

// Parses `json` as an object; `parser` and `padded` must outlive the returned object.
Result<dom::object> parse_object(dom::parser& parser, simdjson::padded_string& padded,
                                 std::string_view json, std::string_view what);

// A present, non-null member.
bool member(dom::object obj, std::string_view key, dom::element* out);

Status get_string(dom::object obj, std::string_view key, std::optional<std::string>* out);
Status get_int(dom::object obj, std::string_view key, std::optional<int64_t>* out);
Status get_double(dom::object obj, std::string_view key, std::optional<double>* out);
Status get_bool(dom::object obj, std::string_view key, std::optional<bool>* out);
Status get_string_list(dom::object obj, std::string_view key,
                       std::optional<std::vector<std::string>>* out);
// An epoch-seconds number or an ISO-8601 / RFC 3339 string -> Unix ms.
Status get_time(dom::object obj, std::string_view key, std::optional<int64_t>* out);

Status missing(std::string_view key);
Status invalid(std::string_view key, std::string_view rule);
// InvalidParameterValue unless `v` has min..max bytes.
Status check_length(std::string_view key, std::string_view v, size_t min, size_t max);
// A Dimensions list [{Name, Value}, ...] (Name 1..255, Value 1..1024, at most kMaxDimensions),
// appended to `out` in the given order.
Status read_dimensions(dom::element e, std::string_view key, std::vector<Dimension>* out);

}  // namespace opsight::alarm::jsonu
