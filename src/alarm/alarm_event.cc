#include "alarm/alarm_event.h"

#include <fmt/format.h>

#include "common/hash.h"
#include "common/json_writer.h"
#include "common/time_util.h"

namespace opsight::alarm {
namespace {

void write_metric_stat(json::Writer& w, std::string_view ns, std::string_view name,
                       const std::vector<Dimension>& dims, int64_t period, std::string_view stat,
                       std::string_view unit) {
  w.key("metricStat").begin_object();
  w.key("metric").begin_object();
  w.kv("namespace", ns).kv("name", name);
  w.key("dimensions").begin_object();
  for (const auto& d : dims) w.kv(d.name, d.value);
  w.end_object();
  w.end_object();
  w.kv("period", period).kv("stat", stat);
  if (!unit.empty()) w.kv("unit", unit);
  w.end_object();
}

void write_state(json::Writer& w, StateValue value, const std::string& reason,
                 const std::string& reason_data, int64_t ts_ms) {
  w.begin_object();
  w.kv("value", state_name(value));
  w.kv("reason", reason);
  if (!reason_data.empty()) w.kv("reasonData", reason_data);
  w.kv("timestamp", cw_timestamp(ts_ms));
}

}  // namespace

std::string event_configuration(const AlarmDefinition& def) {
  json::Writer w(256);
  w.begin_object();
  const AlarmCommon& c = common_of(def);
  if (!c.description.empty()) w.kv("description", c.description);
  if (const auto* m = std::get_if<MetricAlarm>(&def)) {
    w.key("metrics").begin_array();
    if (!m->uses_metrics()) {
      w.begin_object().kv("id", "m1");
      write_metric_stat(w, m->namespace_name, m->metric_name, m->dimensions, m->period_s,
                        m->stat_name(), m->unit);
      w.kv("returnData", true).end_object();
    } else {
      for (const auto& q : m->metrics) {
        w.begin_object().kv("id", q.id);
        if (!q.expression.empty()) {
          w.kv("expression", q.expression);
        } else {
          write_metric_stat(w, q.namespace_name, q.metric_name, q.dimensions, q.period_s, q.stat,
                            q.unit);
        }
        if (!q.label.empty()) w.kv("label", q.label);
        w.kv("returnData", q.return_data).end_object();
      }
    }
    w.end_array();
    if (!m->threshold_metric_id.empty()) w.kv("thresholdMetricId", m->threshold_metric_id);
  } else {
    const auto& comp = std::get<CompositeAlarm>(def);
    w.kv("alarmRule", comp.alarm_rule);
    if (!comp.actions_suppressor.empty()) {
      w.kv("actionsSuppressor", comp.actions_suppressor);
      w.kv("actionsSuppressorWaitPeriod", comp.wait_period_s);
      w.kv("actionsSuppressorExtensionPeriod", comp.extension_period_s);
    }
  }
  w.end_object();
  return w.take();
}

std::string event_id(const StateChange& ch) {
  const std::string key =
      fmt::format("{}|{}|{}|{}", alarm_arn(ch.tenant, ch.alarm_name), state_name(ch.new_state),
                  ch.new_ts_ms, state_name(ch.old_state));
  const uint64_t a = xxhash64(key, 1);
  const uint64_t b = xxhash64(key, 2);
  return fmt::format("{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", a >> 32, (a >> 16) & 0xffff,
                     a & 0xfff, (b >> 52) & 0xfff, b & 0xffffffffffffULL);
}

std::string alarm_state_change_event(const StateChange& ch) {
  json::Writer w(1024);
  w.begin_object();
  w.kv("version", "0");
  w.kv("id", event_id(ch));
  w.kv("detail-type", kStateChangeDetailType);
  w.kv("source", "aws.cloudwatch");
  w.kv("account", ch.tenant.account);
  // EventBridge writes whole seconds ("2019-10-02T17:04:40Z").
  std::string time = format_rfc3339_ms(ch.new_ts_ms - ((ch.new_ts_ms % 1000) + 1000) % 1000);
  if (time.size() > 5 && time.compare(time.size() - 5, 5, ".000Z") == 0) {
    time.erase(time.size() - 5, 4);
  }
  w.kv("time", time);
  w.kv("region", ch.tenant.region);
  w.key("resources").begin_array().value(alarm_arn(ch.tenant, ch.alarm_name)).end_array();
  w.key("detail").begin_object();
  w.kv("alarmName", ch.alarm_name);
  w.key("state");
  write_state(w, ch.new_state, ch.new_reason, ch.new_reason_data, ch.new_ts_ms);
  if (!ch.actions_suppressed_by.empty()) {
    w.kv("actionsSuppressedBy", ch.actions_suppressed_by);
    w.kv("actionsSuppressedReason", ch.actions_suppressed_reason);
  }
  w.end_object();
  w.key("previousState");
  write_state(w, ch.old_state, ch.old_reason, ch.old_reason_data, ch.old_ts_ms);
  w.end_object();
  w.key("configuration").raw(ch.configuration_json.empty() ? "{}" : ch.configuration_json);
  w.end_object();
  w.end_object();
  return w.take();
}

}  // namespace opsight::alarm
