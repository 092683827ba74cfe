#include "api/aws/cloudwatch/cw_request.h"

#include <fmt/format.h>

#include <cmath>

namespace opsight::api::aws {

namespace dom = simdjson::dom;

Status cw_missing(std::string_view key) {
  return Status::invalid_argument(
      fmt::format("MissingParameter: The parameter {} is required.", key));
}

Status cw_invalid(std::string_view key, std::string_view rule) {
  return Status::invalid_argument(
      fmt::format("InvalidParameterValue: The parameter {} {}", key, rule));
}

Result<CwRequest> CwRequest::parse(std::string_view json, std::string_view operation) {
  CwRequest r;
  r.parser_ = std::make_unique<dom::parser>();
  r.padded_ =
      std::make_unique<simdjson::padded_string>(json.empty() ? std::string_view("{}") : json);
  dom::element root;
  if (auto err = r.parser_->parse(*r.padded_).get(root); err) {
    return Status::invalid_argument(fmt::format("InvalidFormat: {}: the body is not valid JSON: {}",
                                                operation, simdjson::error_message(err)));
  }
  if (root.get_object().get(r.obj_)) {
    return Status::invalid_argument(
        fmt::format("InvalidFormat: {}: the body must be a JSON object", operation));
  }
  return r;
}

bool CwRequest::member(std::string_view key, dom::element* out) const {
  return !obj_.at_key(key).get(*out) && !out->is_null();
}

Result<std::optional<std::string>> CwRequest::string(std::string_view key, bool required) const {
  dom::element e;
  if (!member(key, &e)) {
    if (required) return cw_missing(key);
    return std::optional<std::string>();
  }
  std::string_view s;
  if (e.get_string().get(s)) return cw_invalid(key, "must be a string.");
  return std::optional<std::string>(std::string(s));
}

Result<std::optional<int64_t>> CwRequest::integer(std::string_view key) const {
  dom::element e;
  if (!member(key, &e)) return std::optional<int64_t>();
  int64_t v = 0;
  double d = 0;
  std::string_view s;
  if (!e.get_int64().get(v)) return std::optional<int64_t>(v);
  if (!e.get_double().get(d) && std::floor(d) == d && std::fabs(d) < 9e15) {
    return std::optional<int64_t>(static_cast<int64_t>(d));
  }
  // awsQuery values arrive as strings when the shape table does not type them.
  if (!e.get_string().get(s)) {
    std::string_view digits = s.starts_with('-') ? s.substr(1) : s;
    if (!digits.empty() && digits.size() < 19 &&
        digits.find_first_not_of("0123456789") == std::string_view::npos) {
      return std::optional<int64_t>(std::stoll(std::string(s)));
    }
  }
  return cw_invalid(key, "must be an integer.");
}

Result<std::optional<std::vector<std::string>>> CwRequest::strings(std::string_view key,
                                                                   bool required) const {
  dom::element e;
  if (!member(key, &e)) {
    if (required) return cw_missing(key);
    return std::optional<std::vector<std::string>>();
  }
  dom::array a;
  if (e.get_array().get(a)) return cw_invalid(key, "must be a list of strings.");
  std::vector<std::string> out;
  for (dom::element item : a) {
    std::string_view s;
    if (item.get_string().get(s)) return cw_invalid(key, "must be a list of strings.");
    out.emplace_back(s);
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<std::optional<std::vector<std::pair<std::string, std::string>>>> CwRequest::pairs(
    std::string_view key, std::string_view k, std::string_view v, bool value_optional) const {
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  dom::element e;
  if (!member(key, &e)) return std::optional<Pairs>();
  const std::string rule = fmt::format("must be a list of {{{}, {}}} objects.", k, v);
  dom::array a;
  if (e.get_array().get(a)) return cw_invalid(key, rule);
  Pairs out;
  for (dom::element item : a) {
    dom::object o;
    if (item.get_object().get(o)) return cw_invalid(key, rule);
    std::string_view ks, vs;
    dom::element ke, ve;
    if (o.at_key(k).get(ke) || ke.is_null()) return cw_missing(fmt::format("{}.member.{}", key, k));
    if (ke.get_string().get(ks))
      return cw_invalid(fmt::format("{}.member.{}", key, k), "must be a string.");
    if (o.at_key(v).get(ve) || ve.is_null()) {
      if (!value_optional) return cw_missing(fmt::format("{}.member.{}", key, v));
    } else if (ve.get_string().get(vs)) {
      return cw_invalid(fmt::format("{}.member.{}", key, v), "must be a string.");
    }
    out.emplace_back(std::string(ks), std::string(vs));
  }
  return std::optional<Pairs>(std::move(out));
}

}  // namespace opsight::api::aws
