// CloudWatch dashboard and tag operations (see resource_ops.h).
#include "api/aws/cloudwatch/resource_ops.h"

#include <fmt/format.h>

#include "alarm/alarm_json.h"
#include "alarm/alarm_model.h"
#include "api/aws/cloudwatch/cw_request.h"
#include "common/json_writer.h"

namespace opsight::api::aws {
namespace {

constexpr std::string_view kEmpty = "{}";

Status resource_not_found(std::string_view arn) {
  return Status::not_found(fmt::format("ResourceNotFoundException: The resource {} does not exist.",
                                       arn.substr(0, 1600)));
}

// OK when `arn` names an existing alarm or dashboard of the caller.
Status check_resource(const CwResourceOpsDeps& d, const storage::Tenant& tenant,
                      std::string_view arn) {
  if (auto dashboard = resources::dashboard_name_from_arn(tenant, arn)) {
    ASSIGN_OR_RETURN(bool found, d.dashboards->exists(tenant, *dashboard));
    return found ? OkStatus() : resource_not_found(arn);
  }
  if (!arn.starts_with("arn:")) return resource_not_found(arn);
  auto name = alarm::alarm_name_from_ref(tenant, arn);
  if (!name || name->empty() || alarm::alarm_arn(tenant, *name) != arn) {
    return resource_not_found(arn);
  }
  alarm::DescribeAlarmsRequest r;
  r.alarm_names = {*name};
  r.alarm_types = {alarm::AlarmType::kMetric, alarm::AlarmType::kComposite};
  r.max_records = 1;
  ASSIGN_OR_RETURN(auto found, d.alarms->describe_alarms(tenant, r));
  if (found.metric_alarms.empty() && found.composite_alarms.empty()) {
    return resource_not_found(arn);
  }
  return OkStatus();
}

Result<std::string> resource_arn(const CwRequest& r, const CwResourceOpsDeps& d,
                                 const storage::Tenant& tenant) {
  ASSIGN_OR_RETURN(auto arn, r.string("ResourceARN", true));
  if (arn->empty() || arn->size() > 1024) {
    return cw_invalid("ResourceARN", "must be 1 to 1024 characters long.");
  }
  RETURN_IF_ERROR(check_resource(d, tenant, *arn));
  return std::move(*arn);
}

Result<std::string> put_dashboard(const CwResourceOpsDeps& d, const CwContext& ctx,
                                  std::string_view json) {
  ASSIGN_OR_RETURN(CwRequest r, CwRequest::parse(json, "PutDashboard"));
  ASSIGN_OR_RETURN(auto name, r.string("DashboardName", true));
  ASSIGN_OR_RETURN(auto body, r.string("DashboardBody", true));
  ASSIGN_OR_RETURN(auto warnings, d.dashboards->put(ctx.tenant, *name, *body));
  json::Writer w;
  w.begin_object().key("DashboardValidationMessages").begin_array();
  for (const auto& m : warnings) {
    w.begin_object().kv("DataPath", m.data_path).kv("Message", m.message).end_object();
  }
  w.end_array().end_object();
  return w.take();
}

Result<std::string> get_dashboard(const CwResourceOpsDeps& d, const CwContext& ctx,
                                  std::string_view json) {
  ASSIGN_OR_RETURN(CwRequest r, CwRequest::parse(json, "GetDashboard"));
  ASSIGN_OR_RETURN(auto name, r.string("DashboardName", true));
  ASSIGN_OR_RETURN(auto dash, d.dashboards->get(ctx.tenant, *name));
  json::Writer w(dash.body.size() + 256);
  w.begin_object()
      .kv("DashboardArn", dash.arn)
      .kv("DashboardBody", dash.body)
      .kv("DashboardName", dash.name)
      .end_object();
  return w.take();
}

Result<std::string> list_dashboards(const CwResourceOpsDeps& d, const CwContext& ctx,
                                    std::string_view json) {
  ASSIGN_OR_RETURN(CwRequest r, CwRequest::parse(json, "ListDashboards"));
  ASSIGN_OR_RETURN(auto prefix, r.string("DashboardNamePrefix"));
  ASSIGN_OR_RETURN(auto token, r.string("NextToken"));
  ASSIGN_OR_RETURN(auto page,
                   d.dashboards->list(ctx.tenant, prefix.value_or(""), token.value_or("")));
  json::Writer w(256 + page.entries.size() * 200);
  w.begin_object().key("DashboardEntries").begin_array();
  for (const auto& e : page.entries) {
    w.begin_object()
        .kv("DashboardName", e.name)
        .kv("DashboardArn", e.arn)
        .kv("LastModified", static_cast<double>(e.last_modified_ms) / 1000.0)
        .kv("Size", static_cast<int64_t>(e.size))
        .end_object();
  }
  w.end_array();
  if (!page.next_token.empty()) w.kv("NextToken", page.next_token);
  w.end_object();
  return w.take();
}

Result<std::string> delete_dashboards(const CwResourceOpsDeps& d, const CwContext& ctx,
                                      std::string_view json) {
  ASSIGN_OR_RETURN(CwRequest r, CwRequest::parse(json, "DeleteDashboards"));
  ASSIGN_OR_RETURN(auto names, r.strings("DashboardNames", true));
  RETURN_IF_ERROR(d.dashboards->remove(ctx.tenant, *names));
  for (const auto& name : *names) {
    RETURN_IF_ERROR(d.tags->remove_all(ctx.tenant, resources::dashboard_arn(ctx.tenant, name)));
  }
  return std::string(kEmpty);
}

Result<std::string> tag_resource(const CwResourceOpsDeps& d, const CwContext& ctx,
                                 std::string_view json) {
  ASSIGN_OR_RETURN(CwRequest r, CwRequest::parse(json, "TagResource"));
  ASSIGN_OR_RETURN(auto tags, r.pairs("Tags", "Key", "Value", false));
  if (!tags) return cw_missing("Tags");
  ASSIGN_OR_RETURN(std::string arn, resource_arn(r, d, ctx.tenant));
  resources::Tags add;
  for (auto& [k, v] : *tags) add[std::move(k)] = std::move(v);
  RETURN_IF_ERROR(d.tags->tag(ctx.tenant, arn, add));
  return std::string(kEmpty);
}

Result<std::string> untag_resource(const CwResourceOpsDeps& d, const CwContext& ctx,
                                   std::string_view json) {
  ASSIGN_OR_RETURN(CwRequest r, CwRequest::parse(json, "UntagResource"));
  ASSIGN_OR_RETURN(auto keys, r.strings("TagKeys", true));
  ASSIGN_OR_RETURN(std::string arn, resource_arn(r, d, ctx.tenant));
  RETURN_IF_ERROR(d.tags->untag(ctx.tenant, arn, *keys));
  return std::string(kEmpty);
}

Result<std::string> list_tags(const CwResourceOpsDeps& d, const CwContext& ctx,
                              std::string_view json) {
  ASSIGN_OR_RETURN(CwRequest r, CwRequest::parse(json, "ListTagsForResource"));
  ASSIGN_OR_RETURN(std::string arn, resource_arn(r, d, ctx.tenant));
  ASSIGN_OR_RETURN(auto tags, d.tags->list(ctx.tenant, arn));
  json::Writer w;
  w.begin_object().key("Tags").begin_array();
  for (const auto& [k, v] : tags) w.begin_object().kv("Key", k).kv("Value", v).end_object();
  w.end_array().end_object();
  return w.take();
}

}  // namespace

void add_cloudwatch_resource_ops(CwOperationTable& table, const CwResourceOpsDeps& deps) {
  const CwResourceOpsDeps d = deps;
  auto bind = [d](Result<std::string> (*fn)(const CwResourceOpsDeps&, const CwContext&,
                                            std::string_view)) -> CwOperation {
    return [d, fn](const CwContext& ctx, std::string_view json) { return fn(d, ctx, json); };
  };
  table["PutDashboard"] = bind(put_dashboard);
  table["GetDashboard"] = bind(get_dashboard);
  table["ListDashboards"] = bind(list_dashboards);
  table["DeleteDashboards"] = bind(delete_dashboards);
  table["TagResource"] = bind(tag_resource);
  table["UntagResource"] = bind(untag_resource);
  table["ListTagsForResource"] = bind(list_tags);
}

}  // namespace opsight::api::aws
