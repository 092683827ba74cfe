// CloudWatch alarm and anomaly-detector operations (see alarm_ops.h).
#include "api/aws/cloudwatch/alarm_ops.h"

#include <fmt/format.h>

#include <algorithm>

#include "alarm/alarm_json.h"
#include "alarm/alarm_model.h"
#include "api/aws/cloudwatch/cw_request.h"
#include "common/json_writer.h"

namespace opsight::api::aws {
namespace {

using alarm::AlarmType;
using alarm::Dimension;
constexpr alarm::TimeFormat kTime = alarm::TimeFormat::kEpochSeconds;
constexpr std::string_view kEmpty = "{}";

bool alarm_exists(const CwAlarmOpsDeps& d, const storage::Tenant& tenant, const std::string& name) {
  alarm::DescribeAlarmsRequest r;
  r.alarm_names = {name};
  r.alarm_types = {AlarmType::kMetric, AlarmType::kComposite};
  r.max_records = 1;
  auto found = d.alarms->describe_alarms(tenant, r);
  return found.ok() && (!found->metric_alarms.empty() || !found->composite_alarms.empty());
}

Result<std::string> put_alarm(const CwAlarmOpsDeps& d, const CwContext& ctx,
                              alarm::AlarmDefinition def) {
  const alarm::AlarmCommon& common = alarm::common_of(def);
  resources::Tags tags;
  for (const auto& t : common.tags) {
    RETURN_IF_ERROR(resources::validate_tag(t.key, t.value));
    tags[t.key] = t.value;
  }
  const std::string name = common.alarm_name;
  const bool created = !alarm_exists(d, ctx.tenant, name);
  RETURN_IF_ERROR(d.alarms->put_alarm(ctx.tenant, std::move(def)));
  if (created && !tags.empty()) {
    RETURN_IF_ERROR(d.tags->tag(ctx.tenant, alarm::alarm_arn(ctx.tenant, name), tags));
  }
  return std::string(kEmpty);
}

// --- DescribeAlarmsForMetric ------------------------------------------------------------------

struct MetricFilter {
  std::string namespace_name, metric_name, statistic, extended_statistic, unit;
  std::optional<std::vector<Dimension>> dimensions;  // sorted by name
  std::optional<int64_t> period;
};

std::vector<Dimension> sorted(std::vector<Dimension> dims) {
  std::sort(dims.begin(), dims.end(),
            [](const Dimension& a, const Dimension& b) { return a.name < b.name; });
  return dims;
}

Result<MetricFilter> parse_for_metric(std::string_view json) {
  ASSIGN_OR_RETURN(CwRequest r, CwRequest::parse(json, "DescribeAlarmsForMetric"));
  MetricFilter f;
  ASSIGN_OR_RETURN(auto ns, r.string("Namespace", true));
  ASSIGN_OR_RETURN(auto name, r.string("MetricName", true));
  ASSIGN_OR_RETURN(auto stat, r.string("Statistic"));
  ASSIGN_OR_RETURN(auto ext, r.string("ExtendedStatistic"));
  ASSIGN_OR_RETURN(auto unit, r.string("Unit"));
  ASSIGN_OR_RETURN(f.period, r.integer("Period"));
  ASSIGN_OR_RETURN(auto dims, r.pairs("Dimensions", "Name", "Value", false));
  f.namespace_name = *ns;
  f.metric_name = *name;
  f.statistic = stat.value_or("");
  f.extended_statistic = ext.value_or("");
  f.unit = unit.value_or("");
  if (!f.statistic.empty() && !f.extended_statistic.empty()) {
    return Status::invalid_argument(
        "InvalidParameterCombination: Statistic and ExtendedStatistic cannot be used together.");
  }
  if (dims) {
    std::vector<Dimension> v;
    for (auto& [k, val] : *dims) v.push_back({std::move(k), std::move(val)});
    f.dimensions = sorted(std::move(v));
  }
  return f;
}

bool matches(const MetricFilter& f, std::string_view ns, std::string_view name,
             std::string_view stat, const std::vector<Dimension>& dims, int64_t period_s,
             std::string_view unit) {
  if (ns != f.namespace_name || name != f.metric_name) return false;
  if (!f.statistic.empty() && stat != f.statistic) return false;
  if (!f.extended_statistic.empty() && stat != f.extended_statistic) return false;
  if (f.period && period_s != *f.period) return false;
  if (!f.unit.empty() && unit != f.unit) return false;
  return !f.dimensions || sorted(dims) == *f.dimensions;
}

bool alarm_on_metric(const MetricFilter& f, const alarm::MetricAlarm& m) {
  if (!m.uses_metrics()) {
    return matches(f, m.namespace_name, m.metric_name, m.stat_name(), m.dimensions, m.period_s,
                   m.unit);
  }
  return std::any_of(m.metrics.begin(), m.metrics.end(), [&](const alarm::MetricQuery& q) {
    return q.expression.empty() &&
           matches(f, q.namespace_name, q.metric_name, q.stat, q.dimensions, q.period_s, q.unit);
  });
}

Result<std::string> describe_for_metric(const CwAlarmOpsDeps& d, const CwContext& ctx,
                                        std::string_view json) {
  ASSIGN_OR_RETURN(MetricFilter f, parse_for_metric(json));
  alarm::DescribeAlarmsResult out;
  alarm::DescribeAlarmsRequest r;
  r.alarm_types = {AlarmType::kMetric};
  r.max_records = 100;
  do {
    ASSIGN_OR_RETURN(auto page, d.alarms->describe_alarms(ctx.tenant, r));
    for (auto& v : page.metric_alarms) {
      if (alarm_on_metric(f, std::get<alarm::MetricAlarm>(v.def))) {
        out.metric_alarms.push_back(std::move(v));
      }
    }
    r.next_token = page.next_token;
  } while (!r.next_token.empty());
  // DescribeAlarmsForMetric answers MetricAlarms only.
  json::Writer w(256 + out.metric_alarms.size() * 1024);
  w.begin_object().key("MetricAlarms").begin_array();
  for (const auto& v : out.metric_alarms) w.raw(alarm::alarm_view_json(ctx.tenant, v, kTime));
  w.end_array().end_object();
  return w.take();
}

// --- the rest ---------------------------------------------------------------------------------

Result<std::string> delete_alarms(const CwAlarmOpsDeps& d, const CwContext& ctx,
                                  std::string_view json) {
  ASSIGN_OR_RETURN(auto names, alarm::parse_alarm_names_request(json));
  RETURN_IF_ERROR(d.alarms->delete_alarms(ctx.tenant, names));
  for (const auto& name : names) {
    RETURN_IF_ERROR(d.tags->remove_all(ctx.tenant, alarm::alarm_arn(ctx.tenant, name)));
  }
  return std::string(kEmpty);
}

}  // namespace

void add_cloudwatch_alarm_ops(CwOperationTable& table, const CwAlarmOpsDeps& deps) {
  const CwAlarmOpsDeps d = deps;
  table["PutMetricAlarm"] = [d](const CwContext& ctx,
                                std::string_view json) -> Result<std::string> {
    ASSIGN_OR_RETURN(alarm::MetricAlarm m, alarm::parse_put_metric_alarm(json));
    return put_alarm(d, ctx, alarm::AlarmDefinition(std::move(m)));
  };
  table["PutCompositeAlarm"] = [d](const CwContext& ctx,
                                   std::string_view json) -> Result<std::string> {
    ASSIGN_OR_RETURN(alarm::CompositeAlarm c, alarm::parse_put_composite_alarm(json));
    return put_alarm(d, ctx, alarm::AlarmDefinition(std::move(c)));
  };
  table["DescribeAlarms"] = [d](const CwContext& ctx,
                                std::string_view json) -> Result<std::string> {
    ASSIGN_OR_RETURN(auto req, alarm::parse_describe_alarms_request(json));
    ASSIGN_OR_RETURN(auto result, d.alarms->describe_alarms(ctx.tenant, req));
    return alarm::describe_alarms_response(ctx.tenant, result, kTime);
  };
  table["DescribeAlarmsForMetric"] = [d](const CwContext& ctx, std::string_view json) {
    return describe_for_metric(d, ctx, json);
  };
  table["DescribeAlarmHistory"] = [d](const CwContext& ctx,
                                      std::string_view json) -> Result<std::string> {
    ASSIGN_OR_RETURN(auto query, alarm::parse_describe_alarm_history_request(json));
    ASSIGN_OR_RETURN(auto page, d.alarms->describe_alarm_history(ctx.tenant, query));
    return alarm::describe_alarm_history_response(page, kTime);
  };
  table["SetAlarmState"] = [d](const CwContext& ctx, std::string_view json) -> Result<std::string> {
    ASSIGN_OR_RETURN(auto req, alarm::parse_set_alarm_state_request(json));
    RETURN_IF_ERROR(d.alarms->set_alarm_state(ctx.tenant, req));
    return std::string(kEmpty);
  };
  for (const bool enable : {true, false}) {
    table[enable ? "EnableAlarmActions" : "DisableAlarmActions"] =
        [d, enable](const CwContext& ctx, std::string_view json) -> Result<std::string> {
      ASSIGN_OR_RETURN(auto names, alarm::parse_alarm_names_request(json));
      RETURN_IF_ERROR(d.alarms->set_actions_enabled(ctx.tenant, names, enable));
      return std::string(kEmpty);
    };
  }
  table["DeleteAlarms"] = [d](const CwContext& ctx, std::string_view json) {
    return delete_alarms(d, ctx, json);
  };
  table["PutAnomalyDetector"] = [d](const CwContext& ctx,
                                    std::string_view json) -> Result<std::string> {
    ASSIGN_OR_RETURN(auto detector, alarm::parse_anomaly_detector_request(json));
    RETURN_IF_ERROR(d.anomaly_detectors->put(ctx.tenant, detector));
    return std::string(kEmpty);
  };
  table["DeleteAnomalyDetector"] = [d](const CwContext& ctx,
                                       std::string_view json) -> Result<std::string> {
    ASSIGN_OR_RETURN(auto detector, alarm::parse_anomaly_detector_request(json));
    RETURN_IF_ERROR(d.anomaly_detectors->remove(ctx.tenant, detector));
    return std::string(kEmpty);
  };
  table["DescribeAnomalyDetectors"] = [d](const CwContext& ctx,
                                          std::string_view json) -> Result<std::string> {
    ASSIGN_OR_RETURN(auto req, alarm::parse_describe_anomaly_detectors_request(json));
    ASSIGN_OR_RETURN(auto result, d.anomaly_detectors->describe(ctx.tenant, req));
    return alarm::describe_anomaly_detectors_response(result, kTime);
  };
}

}  // namespace opsight::api::aws
