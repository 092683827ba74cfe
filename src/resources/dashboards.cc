// Dashboards (see dashboards.h). Body rules from the CloudWatch user guide, "Dashboard Body
// Structure and Syntax" (widgets array, widget type/x/y/width/height/properties).
#include "resources/dashboards.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>

#include "common/hex.h"

namespace opsight::resources {
namespace {

namespace dom = simdjson::dom;

constexpr std::string_view kKind = "dashboard";
constexpr std::array<std::string_view, 6> kWidgetTypes = {"metric", "text",     "log",
                                                          "alarm",  "explorer", "custom"};

struct Checker {
  std::vector<DashboardValidationMessage> errors;
  std::vector<DashboardValidationMessage>* warnings;

  void error(std::string path, std::string message) {
    errors.push_back({std::move(path), std::move(message)});
  }
  void warn(std::string path, std::string message) {
    warnings->push_back({std::move(path), std::move(message)});
  }

  // An optional integer field in [lo, hi]; returns its value (or `def`).
  int64_t int_field(dom::object w, const std::string& base, std::string_view key, int64_t lo,
                    int64_t hi, int64_t def) {
    dom::element e;
    if (w.at_key(key).get(e)) return def;
    int64_t v = 0;
    double d = 0;
    if (e.get_int64().get(v)) {
      if (e.get_double().get(d) || d != static_cast<double>(static_cast<int64_t>(d))) {
        error(base + "/" + std::string(key), "Should be an integer");
        return def;
      }
      v = static_cast<int64_t>(d);
    }
    if (v < lo || v > hi) {
      error(base + "/" + std::string(key),
            hi == INT64_MAX ? fmt::format("Should be at least {}", lo)
                            : fmt::format("Should be between {} and {}", lo, hi));
      return def;
    }
    return v;
  }

  void widget(dom::element el, size_t i) {
    const std::string base = fmt::format("/widgets/{}", i);
    dom::object w;
    if (el.get_object().get(w)) {
      error(base, "Should be an object");
      return;
    }
    std::string_view type;
    dom::element te;
    if (w.at_key("type").get(te)) {
      error(base, "Should have required property 'type'");
    } else if (te.get_string().get(type) ||
               std::find(kWidgetTypes.begin(), kWidgetTypes.end(), type) == kWidgetTypes.end()) {
      error(base + "/type", "Should be one of metric, text, log, alarm, explorer, custom");
      type = {};
    }
    dom::element pe;
    dom::object props;
    const bool has_props = !w.at_key("properties").get(pe);
    if (!has_props) {
      error(base, "Should have required property 'properties'");
    } else if (pe.get_object().get(props)) {
      error(base + "/properties", "Should be an object");
    }
    const int64_t x = int_field(w, base, "x", 0, 23, 0);
    int_field(w, base, "y", 0, INT64_MAX, 0);
    const int64_t width = int_field(w, base, "width", 1, 24, 6);
    int_field(w, base, "height", 1, 1000, 6);
    if (x + width > 24) {
      warn(base, fmt::format("The widget reaches past column 24 (x {} + width {})", x, width));
    }
    if (!has_props || type.empty() || pe.get_object().get(props)) return;
    dom::element m;
    std::string_view s;
    if (type == "metric") {
      if (props.at_key("metrics").get(m) || !m.is_array()) {
        warn(base + "/properties", "A metric widget should have a 'metrics' array");
      }
    } else if (type == "text") {
      if (props.at_key("markdown").get(m) || m.get_string().get(s)) {
        warn(base + "/properties", "A text widget should have a 'markdown' string");
      }
    } else if (type == "alarm") {
      if (props.at_key("alarms").get(m) || !m.is_array()) {
        warn(base + "/properties", "An alarm widget should have an 'alarms' array");
      }
    } else if (type == "log") {
      if (props.at_key("query").get(m) || m.get_string().get(s)) {
        warn(base + "/properties", "A log widget should have a 'query' string");
      }
    }
  }
};

Status invalid_input(const std::vector<DashboardValidationMessage>& errors) {
  std::string text = "The input for PutDashboard is not valid:";
  for (const auto& e : errors) {
    text += fmt::format(" [{}] {}.", e.data_path.empty() ? "/" : e.data_path, e.message);
  }
  return Status::invalid_argument("InvalidParameterInput: " + text);
}

Status not_found(std::string_view name) {
  return Status::not_found(fmt::format("ResourceNotFound: Dashboard {} does not exist", name));
}

}  // namespace

std::string dashboard_arn(const storage::Tenant& tenant, std::string_view name) {
  return fmt::format("arn:aws:cloudwatch::{}:dashboard/{}", tenant.account, name);
}

std::optional<std::string> dashboard_name_from_arn(const storage::Tenant& tenant,
                                                   std::string_view arn) {
  const std::string prefix = fmt::format("arn:aws:cloudwatch::{}:dashboard/", tenant.account);
  if (!arn.starts_with(prefix) || arn.size() == prefix.size()) return std::nullopt;
  return std::string(arn.substr(prefix.size()));
}

Status validate_dashboard_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxDashboardNameBytes) {
    return Status::invalid_argument(
        fmt::format("InvalidParameterValue: The parameter DashboardName must be 1 to {} "
                    "characters.",
                    kMaxDashboardNameBytes));
  }
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) {
      return Status::invalid_argument(
          fmt::format("InvalidParameterValue: The parameter DashboardName \"{}\" may only contain "
                      "alphanumerics, dash (-) and underscore (_).",
                      name.substr(0, 64)));
    }
  }
  return OkStatus();
}

Status validate_dashboard_body(std::string_view body,
                               std::vector<DashboardValidationMessage>* warnings) {
  Checker c{{}, warnings};
  dom::parser parser;
  simdjson::padded_string padded(body);
  dom::element root;
  if (parser.parse(padded).get(root)) {
    c.error("", "The field DashboardBody must be valid JSON");
    return invalid_input(c.errors);
  }
  dom::object obj;
  if (root.get_object().get(obj)) {
    c.error("", "The field DashboardBody must be a JSON object");
    return invalid_input(c.errors);
  }
  dom::element we;
  dom::array widgets;
  if (obj.at_key("widgets").get(we)) {
    c.error("", "Should have required property 'widgets'");
  } else if (we.get_array().get(widgets)) {
    c.error("/widgets", "Should be an array");
  } else if (widgets.size() > kMaxDashboardWidgets) {
    c.error("/widgets", fmt::format("Should have at most {} items", kMaxDashboardWidgets));
  } else {
    size_t i = 0;
    for (dom::element w : widgets) c.widget(w, i++);
  }
  if (!c.errors.empty()) return invalid_input(c.errors);
  return OkStatus();
}

Result<std::vector<DashboardValidationMessage>> DashboardService::put(const storage::Tenant& tenant,
                                                                      std::string_view name,
                                                                      std::string_view body) {
  RETURN_IF_ERROR(validate_dashboard_name(name));
  if (body.size() > storage::meta::kMaxMetaDocBytes) {
    return Status::invalid_argument(
        fmt::format("InvalidParameterInput: The DashboardBody is {} bytes; at most {} are "
                    "allowed.",
                    body.size(), storage::meta::kMaxMetaDocBytes));
  }
  std::vector<DashboardValidationMessage> warnings;
  RETURN_IF_ERROR(validate_dashboard_body(body, &warnings));
  RETURN_IF_ERROR(meta_->put(tenant, kKind, name, body).status());
  return warnings;
}

Result<Dashboard> DashboardService::get(const storage::Tenant& tenant, std::string_view name) {
  RETURN_IF_ERROR(validate_dashboard_name(name));
  auto obj = meta_->get(tenant, kKind, name);
  if (!obj.ok()) {
    if (obj.status().code() == Code::kNotFound) return not_found(name);
    return obj.status();
  }
  Dashboard d;
  d.name = obj->name;
  d.arn = dashboard_arn(tenant, obj->name);
  d.size = obj->doc.size();
  d.body = std::move(obj->doc);
  d.last_modified_ms = obj->updated_ms;
  return d;
}

Result<DashboardPage> DashboardService::list(const storage::Tenant& tenant, std::string_view prefix,
                                             std::string_view next_token, size_t limit) {
  if (!prefix.empty()) RETURN_IF_ERROR(validate_dashboard_name(prefix));
  std::string after;
  if (!next_token.empty() &&
      (!hex_decode(next_token, &after) || !validate_dashboard_name(after).ok())) {
    return Status::invalid_argument(
        "InvalidParameterValue: The parameter NextToken is not a token of ListDashboards.");
  }
  ASSIGN_OR_RETURN(auto objects, meta_->list(tenant, kKind));
  DashboardPage page;
  for (auto& o : objects) {  // by name
    if (!o.name.starts_with(prefix)) continue;
    if (!after.empty() && o.name <= after) continue;
    if (page.entries.size() == limit) {
      page.next_token = hex_encode(page.entries.back().name);
      break;
    }
    Dashboard d;
    d.arn = dashboard_arn(tenant, o.name);
    d.size = o.doc.size();
    d.last_modified_ms = o.updated_ms;
    d.name = std::move(o.name);
    page.entries.push_back(std::move(d));
  }
  return page;
}

Status DashboardService::remove(const storage::Tenant& tenant,
                                const std::vector<std::string>& names) {
  if (names.empty()) {
    return Status::invalid_argument("MissingParameter: The parameter DashboardNames is required.");
  }
  std::vector<std::pair<std::string, int64_t>> found;
  for (const auto& name : names) {
    RETURN_IF_ERROR(validate_dashboard_name(name));
    auto obj = meta_->get(tenant, kKind, name);
    if (!obj.ok()) {
      if (obj.status().code() == Code::kNotFound) return not_found(name);
      return obj.status();
    }
    found.emplace_back(name, obj->version);
  }
  for (const auto& [name, version] : found) {
    auto st = meta_->remove(tenant, kKind, name, version).status();
    if (st.code() == Code::kNotFound) continue;  // a duplicate name in the request
    RETURN_IF_ERROR(st);
  }
  return OkStatus();
}

Result<bool> DashboardService::exists(const storage::Tenant& tenant, std::string_view name) {
  if (!validate_dashboard_name(name).ok()) return false;
  auto obj = meta_->get(tenant, kKind, name);
  if (obj.ok()) return true;
  if (obj.status().code() == Code::kNotFound) return false;
  return obj.status();
}

}  // namespace opsight::resources
