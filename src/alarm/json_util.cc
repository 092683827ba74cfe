#include "alarm/json_util.h"

#include <fmt/format.h>

#include <cmath>

#include "common/time_util.h"

namespace opsight::alarm::jsonu {

Result<dom::object> parse_object(dom::parser& parser, simdjson::padded_string& padded,
                                 std::string_view json, std::string_view what) {
  padded = simdjson::padded_string(json);
  dom::element doc;
  if (auto err = parser.parse(padded).get(doc); err) {
    return aws_error(kInvalidFormat, fmt::format("{}: the body is not valid JSON: {}", what,
                                                 simdjson::error_message(err)));
  }
  dom::object obj;
  if (doc.get_object().get(obj)) {
    return aws_error(kInvalidFormat, fmt::format("{}: the body must be a JSON object", what));
  }
  return obj;
}

bool member(dom::object obj, std::string_view key, dom::element* out) {
  return !obj.at_key(key).get(*out) && !out->is_null();
}

Status missing(std::string_view key) {
  return aws_error(kMissingParameter, fmt::format("The parameter {} is required.", key));
}

Status invalid(std::string_view key, std::string_view rule) {
  return aws_error(kInvalidParameterValue, fmt::format("The parameter {} {}", key, rule));
}

Status get_string(dom::object obj, std::string_view key, std::optional<std::string>* out) {
  dom::element e;
  if (!member(obj, key, &e)) return OkStatus();
  std::string_view s;
  if (e.get_string().get(s)) return invalid(key, "must be a string.");
  *out = std::string(s);
  return OkStatus();
}

Status get_int(dom::object obj, std::string_view key, std::optional<int64_t>* out) {
  dom::element e;
  if (!member(obj, key, &e)) return OkStatus();
  int64_t v = 0;
  double d = 0;
  std::string_view s;
  if (!e.get_int64().get(v)) {
    *out = v;
  } else if (!e.get_double().get(d) && std::floor(d) == d && std::fabs(d) < 9e15) {
    *out = static_cast<int64_t>(d);
  } else if (!e.get_string().get(s) && !s.empty() && s.size() < 19 &&
             s.find_first_not_of("-0123456789") == std::string_view::npos) {
    // The query protocol carries numbers as strings; accept them here too.
    *out = std::stoll(std::string(s));
  } else {
    return invalid(key, "must be an integer.");
  }
  return OkStatus();
}

Status get_double(dom::object obj, std::string_view key, std::optional<double>* out) {
  dom::element e;
  if (!member(obj, key, &e)) return OkStatus();
  double d = 0;
  std::string_view s;
  if (!e.get_double().get(d)) {
    *out = d;
  } else if (!e.get_string().get(s)) {
    char* end = nullptr;
    std::string copy(s);
    d = std::strtod(copy.c_str(), &end);
    if (copy.empty() || end != copy.c_str() + copy.size()) return invalid(key, "must be a number.");
    *out = d;
  } else {
    return invalid(key, "must be a number.");
  }
  if (!std::isfinite(**out)) return invalid(key, "must be a finite number.");
  return OkStatus();
}

Status get_bool(dom::object obj, std::string_view key, std::optional<bool>* out) {
  dom::element e;
  if (!member(obj, key, &e)) return OkStatus();
  bool b = false;
  std::string_view s;
  if (!e.get_bool().get(b)) {
    *out = b;
  } else if (!e.get_string().get(s) && (s == "true" || s == "false")) {
    *out = s == "true";
  } else {
    return invalid(key, "must be a boolean.");
  }
  return OkStatus();
}

Status get_string_list(dom::object obj, std::string_view key,
                       std::optional<std::vector<std::string>>* out) {
  dom::element e;
  if (!member(obj, key, &e)) return OkStatus();
  dom::array a;
  if (e.get_array().get(a)) return invalid(key, "must be a list of strings.");
  std::vector<std::string> v;
  for (dom::element item : a) {
    std::string_view s;
    if (item.get_string().get(s)) return invalid(key, "must be a list of strings.");
    v.emplace_back(s);
  }
  *out = std::move(v);
  return OkStatus();
}

Status get_time(dom::object obj, std::string_view key, std::optional<int64_t>* out) {
  dom::element e;
  if (!member(obj, key, &e)) return OkStatus();
  double d = 0;
  std::string_view s;
  if (!e.get_double().get(d)) {
    if (!std::isfinite(d)) return invalid(key, "must be a time.");
    *out = static_cast<int64_t>(std::llround(d * 1000.0));
    return OkStatus();
  }
  if (!e.get_string().get(s)) {
    auto t = parse_time_ms(s);
    if (!t.ok()) {
      return invalid(
          key, fmt::format("must be an ISO 8601 time or epoch seconds: {}", t.status().message()));
    }
    *out = *t;
    return OkStatus();
  }
  return invalid(key, "must be a time.");
}

Status check_length(std::string_view key, std::string_view v, size_t min, size_t max) {
  if (v.size() < min || v.size() > max) {
    return invalid(key,
                   fmt::format("must be {} to {} characters long (got {}).", min, max, v.size()));
  }
  return OkStatus();
}

Status read_dimensions(dom::element e, std::string_view key, std::vector<Dimension>* out) {
  dom::array a;
  if (e.get_array().get(a)) return invalid(key, "must be a list of {Name, Value} objects.");
  for (dom::element item : a) {
    dom::object o;
    if (item.get_object().get(o)) return invalid(key, "must be a list of {Name, Value} objects.");
    std::optional<std::string> name, value;
    RETURN_IF_ERROR(jsonu::get_string(o, "Name", &name));
    RETURN_IF_ERROR(jsonu::get_string(o, "Value", &value));
    if (!name) return missing(fmt::format("{}.member.Name", key));
    if (!value) return missing(fmt::format("{}.member.Value", key));
    RETURN_IF_ERROR(check_length(fmt::format("{}.member.Name", key), *name, 1, 255));
    RETURN_IF_ERROR(check_length(fmt::format("{}.member.Value", key), *value, 1, 1024));
    out->push_back({std::move(*name), std::move(*value)});
  }
  if (out->size() > kMaxDimensions) {
    return invalid(key, fmt::format("can have at most {} dimensions.", kMaxDimensions));
  }
  return OkStatus();
}

}  // namespace opsight::alarm::jsonu
