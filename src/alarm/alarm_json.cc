// Alarm API request parsers and response encoders (see alarm_json.h).
#include "alarm/alarm_json.h"

#include <fmt/format.h>

#include "alarm/json_util.h"
#include "common/json_writer.h"
#include "common/time_util.h"

namespace opsight::alarm {
namespace {

namespace dom = simdjson::dom;
using jsonu::invalid;
using jsonu::missing;

void write_time(json::Writer& w, std::string_view key, int64_t ms, TimeFormat f) {
  if (f == TimeFormat::kEpochSeconds) {
    w.kv(key, static_cast<double>(ms) / 1000.0);
  } else {
    w.kv(key, format_rfc3339_ms(ms));
  }
}

Status read_alarm_types(dom::object obj, std::vector<AlarmType>* out) {
  std::optional<std::vector<std::string>> types;
  RETURN_IF_ERROR(jsonu::get_string_list(obj, "AlarmTypes", &types));
  if (!types) return OkStatus();
  for (const auto& t : *types) {
    auto v = parse_alarm_type(t);
    if (!v) {
      return invalid("AlarmTypes", fmt::format("member \"{}\" must be MetricAlarm or "
                                               "CompositeAlarm.",
                                               t.substr(0, 64)));
    }
    out->push_back(*v);
  }
  return OkStatus();
}

Status read_max_records(dom::object obj, size_t def, size_t* out) {
  std::optional<int64_t> max;
  RETURN_IF_ERROR(jsonu::get_int(obj, "MaxRecords", &max));
  if (max && (*max < 1 || *max > 100)) return invalid("MaxRecords", "must be between 1 and 100.");
  *out = max ? static_cast<size_t>(*max) : def;
  return OkStatus();
}

}  // namespace

Result<DescribeAlarmsRequest> parse_describe_alarms_request(std::string_view json) {
  DescribeAlarmsRequest r;
  if (json.empty()) return r;
  dom::parser parser;
  simdjson::padded_string padded;
  ASSIGN_OR_RETURN(dom::object obj, jsonu::parse_object(parser, padded, json, "DescribeAlarms"));
  std::optional<std::vector<std::string>> names;
  std::optional<std::string> prefix, state, action_prefix, children, parents, token;
  RETURN_IF_ERROR(jsonu::get_string_list(obj, "AlarmNames", &names));
  RETURN_IF_ERROR(jsonu::get_string(obj, "AlarmNamePrefix", &prefix));
  RETURN_IF_ERROR(jsonu::get_string(obj, "StateValue", &state));
  RETURN_IF_ERROR(jsonu::get_string(obj, "ActionPrefix", &action_prefix));
  RETURN_IF_ERROR(jsonu::get_string(obj, "ChildrenOfAlarmName", &children));
  RETURN_IF_ERROR(jsonu::get_string(obj, "ParentsOfAlarmName", &parents));
  RETURN_IF_ERROR(jsonu::get_string(obj, "NextToken", &token));
  RETURN_IF_ERROR(read_alarm_types(obj, &r.alarm_types));
  RETURN_IF_ERROR(read_max_records(obj, 50, &r.max_records));
  r.alarm_names = names.value_or(std::vector<std::string>{});
  if (r.alarm_names.size() > 100) return invalid("AlarmNames", "can have at most 100 names.");
  r.alarm_name_prefix = prefix.value_or("");
  r.action_prefix = action_prefix.value_or("");
  r.children_of_alarm_name = children.value_or("");
  r.parents_of_alarm_name = parents.value_or("");
  r.next_token = token.value_or("");
  if (state) {
    r.state_value = parse_state(*state);
    if (!r.state_value) {
      return invalid("StateValue", "must be one of OK, ALARM, INSUFFICIENT_DATA.");
    }
  }
  if (!r.alarm_names.empty() && !r.alarm_name_prefix.empty()) {
    return aws_error(kInvalidParameterCombination,
                     "AlarmNames and AlarmNamePrefix cannot be used together.");
  }
  const bool relation = !r.children_of_alarm_name.empty() || !r.parents_of_alarm_name.empty();
  if (relation && (!r.alarm_names.empty() || !r.alarm_name_prefix.empty() ||
                   !r.alarm_types.empty() || r.state_value || !r.action_prefix.empty() ||
                   (!r.children_of_alarm_name.empty() && !r.parents_of_alarm_name.empty()))) {
    return aws_error(kInvalidParameterCombination,
                     "ChildrenOfAlarmName and ParentsOfAlarmName can only be used with "
                     "MaxRecords and NextToken.");
  }
  return r;
}

Result<HistoryQuery> parse_describe_alarm_history_request(std::string_view json) {
  HistoryQuery q;
  if (json.empty()) return q;
  dom::parser parser;
  simdjson::padded_string padded;
  ASSIGN_OR_RETURN(dom::object obj,
                   jsonu::parse_object(parser, padded, json, "DescribeAlarmHistory"));
  std::optional<std::string> name, type, token, scan;
  RETURN_IF_ERROR(jsonu::get_string(obj, "AlarmName", &name));
  RETURN_IF_ERROR(jsonu::get_string(obj, "HistoryItemType", &type));
  RETURN_IF_ERROR(jsonu::get_string(obj, "NextToken", &token));
  RETURN_IF_ERROR(jsonu::get_string(obj, "ScanBy", &scan));
  RETURN_IF_ERROR(jsonu::get_time(obj, "StartDate", &q.start_ms));
  RETURN_IF_ERROR(jsonu::get_time(obj, "EndDate", &q.end_ms));
  RETURN_IF_ERROR(read_alarm_types(obj, &q.alarm_types));
  RETURN_IF_ERROR(read_max_records(obj, 100, &q.max_records));
  q.alarm_name = name.value_or("");
  q.next_token = token.value_or("");
  if (type) {
    q.item_type = parse_history_type(*type);
    if (!q.item_type) {
      return invalid("HistoryItemType", "must be one of ConfigurationUpdate, StateUpdate, Action.");
    }
  }
  if (scan) {
    if (*scan != "TimestampDescending" && *scan != "TimestampAscending") {
      return invalid("ScanBy", "must be TimestampDescending or TimestampAscending.");
    }
    q.ascending = *scan == "TimestampAscending";
  }
  if (q.start_ms && q.end_ms && *q.start_ms > *q.end_ms) {
    return invalid("StartDate", "must not be after EndDate.");
  }
  return q;
}

Result<SetAlarmStateRequest> parse_set_alarm_state_request(std::string_view json) {
  dom::parser parser;
  simdjson::padded_string padded;
  ASSIGN_OR_RETURN(dom::object obj, jsonu::parse_object(parser, padded, json, "SetAlarmState"));
  std::optional<std::string> name, state, reason, data;
  RETURN_IF_ERROR(jsonu::get_string(obj, "AlarmName", &name));
  RETURN_IF_ERROR(jsonu::get_string(obj, "StateValue", &state));
  RETURN_IF_ERROR(jsonu::get_string(obj, "StateReason", &reason));
  RETURN_IF_ERROR(jsonu::get_string(obj, "StateReasonData", &data));
  if (!name || name->empty()) return missing("AlarmName");
  if (!state) return missing("StateValue");
  if (!reason) return missing("StateReason");
  SetAlarmStateRequest r;
  r.alarm_name = *name;
  auto s = parse_state(*state);
  if (!s) return invalid("StateValue", "must be one of OK, ALARM, INSUFFICIENT_DATA.");
  r.state = *s;
  if (reason->size() > 1023) return invalid("StateReason", "must be at most 1023 characters.");
  r.reason = *reason;
  r.reason_data = data.value_or("");
  if (r.reason_data.size() > 4000) {
    return invalid("StateReasonData", "must be at most 4000 characters.");
  }
  if (!r.reason_data.empty()) {
    dom::parser p2;
    simdjson::padded_string pd(r.reason_data);
    dom::element e;
    if (p2.parse(pd).get(e)) {
      return aws_error(kInvalidFormat, "The parameter StateReasonData must be valid JSON.");
    }
  }
  return r;
}

Result<std::vector<std::string>> parse_alarm_names_request(std::string_view json) {
  dom::parser parser;
  simdjson::padded_string padded;
  ASSIGN_OR_RETURN(dom::object obj, jsonu::parse_object(parser, padded, json, "AlarmNames"));
  std::optional<std::vector<std::string>> names;
  RETURN_IF_ERROR(jsonu::get_string_list(obj, "AlarmNames", &names));
  if (!names) return missing("AlarmNames");
  if (names->size() > 100) return invalid("AlarmNames", "can have at most 100 names.");
  return std::move(*names);
}

std::string alarm_view_json(const storage::Tenant& tenant, const AlarmView& v, TimeFormat f) {
  json::Writer w(1024);
  const AlarmCommon& c = common_of(v.def);
  w.begin_object();
  w.kv("AlarmName", c.alarm_name);
  w.kv("AlarmArn", alarm_arn(tenant, c.alarm_name));
  w.kv("AlarmDescription", c.description);
  write_time(w, "AlarmConfigurationUpdatedTimestamp", v.config_updated_ms, f);
  w.kv("ActionsEnabled", c.actions_enabled);
  write_string_array(w, "OKActions", c.ok_actions);
  write_string_array(w, "AlarmActions", c.alarm_actions);
  write_string_array(w, "InsufficientDataActions", c.insufficient_data_actions);
  w.kv("StateValue", state_name(v.state.state));
  w.kv("StateReason", v.state.reason);
  if (!v.state.reason_data.empty()) w.kv("StateReasonData", v.state.reason_data);
  write_time(w, "StateUpdatedTimestamp", v.state.updated_ms, f);
  write_time(w, "StateTransitionedTimestamp", v.state.transitioned_ms, f);
  if (const auto* m = std::get_if<MetricAlarm>(&v.def)) {
    write_metric_fields(w, *m, /*period_with_metrics=*/false);
    w.kv("EvaluationPeriods", m->evaluation_periods);
    w.kv("DatapointsToAlarm", m->datapoints_to_alarm);
    if (m->threshold) w.kv("Threshold", *m->threshold);
    w.kv("ComparisonOperator", comparison_name(m->comparison));
    w.kv("TreatMissingData", treat_missing_name(m->treat_missing_data));
    if (!m->evaluate_low_sample_count_percentile.empty()) {
      w.kv("EvaluateLowSampleCountPercentile", m->evaluate_low_sample_count_percentile);
    }
  } else {
    const auto& comp = std::get<CompositeAlarm>(v.def);
    w.kv("AlarmRule", comp.alarm_rule);
    if (!comp.actions_suppressor.empty()) {
      w.kv("ActionsSuppressor", comp.actions_suppressor);
      w.kv("ActionsSuppressorWaitPeriod", comp.wait_period_s);
      w.kv("ActionsSuppressorExtensionPeriod", comp.extension_period_s);
      if (v.state.suppression.by != SuppressedBy::kNone) {
        w.kv("ActionsSuppressedBy", suppressed_by_name(v.state.suppression.by));
        w.kv("ActionsSuppressedReason", suppressed_reason(v.state.suppression.by));
      }
    }
  }
  w.end_object();
  return w.take();
}

std::string describe_alarms_response(const storage::Tenant& tenant, const DescribeAlarmsResult& r,
                                     TimeFormat f) {
  std::string out = "{\"MetricAlarms\":[";
  for (size_t i = 0; i < r.metric_alarms.size(); i++) {
    if (i > 0) out += ',';
    out += alarm_view_json(tenant, r.metric_alarms[i], f);
  }
  out += "],\"CompositeAlarms\":[";
  for (size_t i = 0; i < r.composite_alarms.size(); i++) {
    if (i > 0) out += ',';
    out += alarm_view_json(tenant, r.composite_alarms[i], f);
  }
  out += ']';
  if (!r.next_token.empty()) {
    out += ",\"NextToken\":";
    json::append_string(out, r.next_token);
  }
  out += '}';
  return out;
}

std::string describe_alarm_history_response(const HistoryPage& page, TimeFormat f) {
  json::Writer w(256 + page.items.size() * 512);
  w.begin_object();
  w.key("AlarmHistoryItems").begin_array();
  for (const auto& h : page.items) {
    w.begin_object();
    w.kv("AlarmName", h.alarm_name);
    w.kv("AlarmType", alarm_type_name(h.alarm_type));
    write_time(w, "Timestamp", h.ts_ms, f);
    w.kv("HistoryItemType", history_type_name(h.item_type));
    w.kv("HistorySummary", h.summary);
    w.kv("HistoryData", h.data);
    w.end_object();
  }
  w.end_array();
  if (!page.next_token.empty()) w.kv("NextToken", page.next_token);
  w.end_object();
  return w.take();
}

}  // namespace opsight::alarm
