// Metric filters (CloudWatch Logs API reference: API_PutMetricFilter, API_DescribeMetricFilters,
// API_DeleteMetricFilter). Definitions live in resources/metric_filters.h; the engine that
// applies them at ingest is metric_filter_engine.h.
#include <fmt/format.h>

#include "api/aws/logs/logs_ops.h"
#include "common/json_writer.h"
#include "query/insights/filter_pattern.h"

namespace opsight::api::aws::logs_ops {
namespace {

Result<resources::MetricTransformation> transformation_of(const LogsRequest& r) {
  resources::MetricTransformation t;
  ASSIGN_OR_RETURN(t.metric_name, r.required_string("metricName"));
  ASSIGN_OR_RETURN(t.metric_namespace, r.required_string("metricNamespace"));
  ASSIGN_OR_RETURN(t.metric_value, r.required_string("metricValue"));
  ASSIGN_OR_RETURN(t.default_value, r.number("defaultValue"));
  ASSIGN_OR_RETURN(t.dimensions, r.string_map("dimensions"));
  ASSIGN_OR_RETURN(auto unit, r.string("unit"));
  t.unit = unit.value_or("");
  return t;
}

void write_filter(json::Writer& w, std::string_view group, const resources::MetricFilter& f) {
  w.begin_object()
      .kv("filterName", f.filter_name)
      .kv("filterPattern", f.filter_pattern)
      .kv("creationTime", f.creation_time_ms)
      .kv("logGroupName", group);
  resources::write_metric_transformations(w, f.transformations);
  w.end_object();
}

}  // namespace

Result<std::string> put_metric_filter(const Call& c) {
  ASSIGN_OR_RETURN(auto group, c.args.required_string("logGroupName"));
  resources::MetricFilter f;
  ASSIGN_OR_RETURN(f.filter_name, c.args.required_string("filterName"));
  ASSIGN_OR_RETURN(auto pattern, c.args.string("filterPattern"));
  if (!pattern) return invalid_parameter("filterPattern is required");
  f.filter_pattern = std::move(*pattern);
  ASSIGN_OR_RETURN(auto ts, c.args.object_list("metricTransformations"));
  for (const auto& t : ts) {
    ASSIGN_OR_RETURN(auto mt, transformation_of(t));
    f.transformations.push_back(std::move(mt));
  }
  RETURN_IF_ERROR(resources::validate_metric_filter(f));
  if (auto p = query::insights::parse_filter_pattern(f.filter_pattern); !p.ok()) {
    return invalid_parameter(
        fmt::format("Invalid metric filter pattern: {}", p.status().message()));
  }
  RETURN_IF_ERROR(require_group(c, group));
  RETURN_IF_ERROR(c.deps.metric_filters->put(c.tenant, group, std::move(f)));
  return std::string("{}");
}

Result<std::string> describe_metric_filters(const Call& c) {
  ASSIGN_OR_RETURN(auto group, c.args.string("logGroupName"));
  ASSIGN_OR_RETURN(auto prefix, c.args.string("filterNamePrefix"));
  ASSIGN_OR_RETURN(auto metric_name, c.args.string("metricName"));
  ASSIGN_OR_RETURN(auto metric_namespace, c.args.string("metricNamespace"));
  if (prefix && !group) return invalid_parameter("filterNamePrefix requires logGroupName");
  if (metric_name.has_value() != metric_namespace.has_value()) {
    return invalid_parameter("metricName and metricNamespace must be given together");
  }
  std::vector<std::pair<std::string, resources::MetricFilter>> all;
  if (group) {
    RETURN_IF_ERROR(require_group(c, *group));
    ASSIGN_OR_RETURN(auto fs, c.deps.metric_filters->list(c.tenant, *group));
    for (auto& f : fs) all.emplace_back(*group, std::move(f));
  } else {
    ASSIGN_OR_RETURN(auto groups, c.deps.metric_filters->list_all(c.tenant));
    for (auto& [g, fs] : groups) {
      for (auto& f : fs) all.emplace_back(g, std::move(f));
    }
  }
  std::erase_if(all, [&](const auto& gf) {
    const auto& f = gf.second;
    if (prefix && !f.filter_name.starts_with(*prefix)) return true;
    if (metric_name) {
      for (const auto& t : f.transformations) {
        if (t.metric_name == *metric_name && t.metric_namespace == *metric_namespace) return false;
      }
      return true;
    }
    return false;
  });
  size_t begin = 0, end = 0;
  std::string next;
  RETURN_IF_ERROR(page(c, "limit", all.size(), 50, 50, &begin, &end, &next));
  json::Writer w;
  w.begin_object().key("metricFilters").begin_array();
  for (size_t i = begin; i < end; i++) write_filter(w, all[i].first, all[i].second);
  w.end_array();
  if (!next.empty()) w.kv("nextToken", next);
  w.end_object();
  return w.take();
}

Result<std::string> delete_metric_filter(const Call& c) {
  ASSIGN_OR_RETURN(auto group, c.args.required_string("logGroupName"));
  ASSIGN_OR_RETURN(auto name, c.args.required_string("filterName"));
  RETURN_IF_ERROR(require_group(c, group));
  RETURN_IF_ERROR(c.deps.metric_filters->remove(c.tenant, group, name));
  return std::string("{}");
}

}  // namespace opsight::api::aws::logs_ops
