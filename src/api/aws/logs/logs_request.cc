#include "api/aws/logs/logs_request.h"

#include <fmt/format.h>
#include <simdjson.h>

namespace opsight::api::aws {

struct LogsRequest::Impl {
  std::shared_ptr<simdjson::dom::parser> parser;  // shared by nested objects
  simdjson::dom::object root;

  // The member, or nullopt when absent or null.
  std::optional<simdjson::dom::element> get(std::string_view name) const {
    simdjson::dom::element e;
    if (root.at_key(name).get(e) != simdjson::SUCCESS || e.is_null()) return std::nullopt;
    return e;
  }
};

Status invalid_parameter(std::string_view what) {
  return Status::invalid_argument(fmt::format("InvalidParameterException: {}", what));
}

namespace {

Status wrong_type(std::string_view name, std::string_view type) {
  return invalid_parameter(fmt::format("{} must be {}", name, type));
}

}  // namespace

LogsRequest::LogsRequest(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
LogsRequest::LogsRequest(LogsRequest&&) noexcept = default;
LogsRequest& LogsRequest::operator=(LogsRequest&&) noexcept = default;
LogsRequest::~LogsRequest() = default;

Result<LogsRequest> LogsRequest::parse(std::string_view body) {
  auto impl = std::make_shared<Impl>();
  impl->parser = std::make_shared<simdjson::dom::parser>();
  std::string_view text = body;
  while (!text.empty() && (text.front() == ' ' || text.front() == '\n' || text.front() == '\r' ||
                           text.front() == '\t')) {
    text.remove_prefix(1);
  }
  if (text.empty()) text = "{}";
  simdjson::dom::element root;
  if (impl->parser->parse(text.data(), text.size()).get(root) != simdjson::SUCCESS ||
      root.get(impl->root) != simdjson::SUCCESS) {
    return Status::invalid_argument(
        "SerializationException: the request body is not a JSON object");
  }
  return LogsRequest(std::move(impl));
}

bool LogsRequest::has(std::string_view name) const {
  return impl_->get(name).has_value();
}

Result<std::optional<std::string>> LogsRequest::string(std::string_view name) const {
  auto e = impl_->get(name);
  if (!e) return std::optional<std::string>();
  std::string_view v;
  if (e->get(v) != simdjson::SUCCESS) return wrong_type(name, "a string");
  return std::optional<std::string>(std::string(v));
}

Result<std::string> LogsRequest::required_string(std::string_view name) const {
  ASSIGN_OR_RETURN(auto v, string(name));
  if (!v) return invalid_parameter(fmt::format("{} is required", name));
  return std::move(*v);
}

Result<std::optional<int64_t>> LogsRequest::integer(std::string_view name) const {
  auto e = impl_->get(name);
  if (!e) return std::optional<int64_t>();
  int64_t v = 0;
  if (e->get(v) == simdjson::SUCCESS) return std::optional<int64_t>(v);
  double d = 0;
  // Some clients write longs as 1.7e12; accept integral doubles.
  if (e->get(d) == simdjson::SUCCESS && d == static_cast<double>(static_cast<int64_t>(d))) {
    return std::optional<int64_t>(static_cast<int64_t>(d));
  }
  return wrong_type(name, "an integer");
}

Result<std::optional<double>> LogsRequest::number(std::string_view name) const {
  auto e = impl_->get(name);
  if (!e) return std::optional<double>();
  double d = 0;
  if (e->get(d) != simdjson::SUCCESS) return wrong_type(name, "a number");
  return std::optional<double>(d);
}

Result<std::optional<bool>> LogsRequest::boolean(std::string_view name) const {
  auto e = impl_->get(name);
  if (!e) return std::optional<bool>();
  bool b = false;
  if (e->get(b) != simdjson::SUCCESS) return wrong_type(name, "a boolean");
  return std::optional<bool>(b);
}

Result<std::vector<std::string>> LogsRequest::string_list(std::string_view name) const {
  std::vector<std::string> out;
  auto e = impl_->get(name);
  if (!e) return out;
  simdjson::dom::array arr;
  if (e->get(arr) != simdjson::SUCCESS) return wrong_type(name, "a list of strings");
  for (auto item : arr) {
    std::string_view v;
    if (item.get(v) != simdjson::SUCCESS) return wrong_type(name, "a list of strings");
    out.emplace_back(v);
  }
  return out;
}

Result<std::map<std::string, std::string>> LogsRequest::string_map(std::string_view name) const {
  std::map<std::string, std::string> out;
  auto e = impl_->get(name);
  if (!e) return out;
  simdjson::dom::object obj;
  if (e->get(obj) != simdjson::SUCCESS) return wrong_type(name, "a map of strings");
  for (auto field : obj) {
    std::string_view v;
    if (field.value.get(v) != simdjson::SUCCESS) return wrong_type(name, "a map of strings");
    out[std::string(field.key)] = std::string(v);
  }
  return out;
}

Result<std::vector<LogsRequest>> LogsRequest::object_list(std::string_view name) const {
  std::vector<LogsRequest> out;
  auto e = impl_->get(name);
  if (!e) return out;
  simdjson::dom::array arr;
  if (e->get(arr) != simdjson::SUCCESS) return wrong_type(name, "a list of objects");
  for (auto item : arr) {
    auto impl = std::make_shared<Impl>();
    impl->parser = impl_->parser;
    if (item.get(impl->root) != simdjson::SUCCESS) return wrong_type(name, "a list of objects");
    out.push_back(LogsRequest(std::move(impl)));
  }
  return out;
}

}  // namespace opsight::api::aws
