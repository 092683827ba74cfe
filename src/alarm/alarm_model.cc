// PutMetricAlarm / PutCompositeAlarm documents: parsing, validation and the canonical stored
// form (see alarm_model.h for the rules, taken from the Amazon CloudWatch API reference).
#include "alarm/alarm_model.h"

#include <fmt/format.h>

#include "alarm/alarm_rule.h"
#include "alarm/json_util.h"
#include "common/json_writer.h"

namespace opsight::alarm {
namespace {

namespace dom = simdjson::dom;
using jsonu::check_length;
using jsonu::invalid;
using jsonu::missing;
using jsonu::read_dimensions;

bool valid_statistic(std::string_view s) {
  return s == "SampleCount" || s == "Average" || s == "Sum" || s == "Minimum" || s == "Maximum";
}

bool valid_extended_statistic(std::string_view s) {
  if (s.size() < 2 || s.size() > 64) return false;
  for (std::string_view prefix :
       {"p", "tm", "tc", "ts", "wm", "pr", "TM", "TC", "TS", "WM", "PR"}) {
    if (s.starts_with(prefix)) return true;
  }
  return s == "IQM";
}

bool valid_period(int64_t p) {
  return p == 10 || p == 30 || (p > 0 && p % 60 == 0);
}

bool valid_query_id(std::string_view id) {
  if (id.empty() || id.size() > 255 || !(id[0] >= 'a' && id[0] <= 'z')) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

Status validate_actions(std::string_view key, const std::vector<std::string>& actions) {
  if (actions.size() > kMaxActionsPerState) {
    return invalid(key, fmt::format("can have at most {} actions (got {}).", kMaxActionsPerState,
                                    actions.size()));
  }
  for (const auto& a : actions) {
    if (a.empty() || a.size() > kMaxActionBytes) {
      return invalid(key, fmt::format("members must be 1 to {} characters long.", kMaxActionBytes));
    }
    if (!a.starts_with("http://") && !a.starts_with("https://") && !a.starts_with("arn:")) {
      return invalid(key, fmt::format("member \"{}\" must be an ARN (arn:...) or an http(s) URL.",
                                      a.substr(0, 200)));
    }
  }
  return OkStatus();
}

Status validate_common(const AlarmCommon& c) {
  if (c.alarm_name.empty()) return missing("AlarmName");
  RETURN_IF_ERROR(check_length("AlarmName", c.alarm_name, 1, kMaxAlarmNameBytes));
  for (unsigned char ch : c.alarm_name) {
    if (ch < 0x20 || ch >= 0x7f) {
      return invalid("AlarmName", "must contain only printable ASCII characters.");
    }
  }
  RETURN_IF_ERROR(check_length("AlarmDescription", c.description, 0, kMaxDescriptionBytes));
  RETURN_IF_ERROR(validate_actions("OKActions", c.ok_actions));
  RETURN_IF_ERROR(validate_actions("AlarmActions", c.alarm_actions));
  RETURN_IF_ERROR(validate_actions("InsufficientDataActions", c.insufficient_data_actions));
  if (c.tags.size() > 50) return invalid("Tags", "can have at most 50 tags.");
  for (const auto& t : c.tags) {
    RETURN_IF_ERROR(check_length("Tags.Key", t.key, 1, 128));
    RETURN_IF_ERROR(check_length("Tags.Value", t.value, 0, 256));
  }
  return OkStatus();
}

Status read_common(dom::object obj, AlarmCommon* c) {
  std::optional<std::string> name, desc;
  std::optional<bool> enabled;
  std::optional<std::vector<std::string>> ok, alarm, insufficient;
  RETURN_IF_ERROR(jsonu::get_string(obj, "AlarmName", &name));
  RETURN_IF_ERROR(jsonu::get_string(obj, "AlarmDescription", &desc));
  RETURN_IF_ERROR(jsonu::get_bool(obj, "ActionsEnabled", &enabled));
  RETURN_IF_ERROR(jsonu::get_string_list(obj, "OKActions", &ok));
  RETURN_IF_ERROR(jsonu::get_string_list(obj, "AlarmActions", &alarm));
  RETURN_IF_ERROR(jsonu::get_string_list(obj, "InsufficientDataActions", &insufficient));
  if (!name) return missing("AlarmName");
  c->alarm_name = std::move(*name);
  c->description = desc.value_or("");
  c->actions_enabled = enabled.value_or(true);
  c->ok_actions = ok.value_or(std::vector<std::string>{});
  c->alarm_actions = alarm.value_or(std::vector<std::string>{});
  c->insufficient_data_actions = insufficient.value_or(std::vector<std::string>{});
  dom::element tags;
  if (jsonu::member(obj, "Tags", &tags)) {
    dom::array a;
    if (tags.get_array().get(a)) return invalid("Tags", "must be a list of {Key, Value} objects.");
    for (dom::element item : a) {
      dom::object o;
      if (item.get_object().get(o)) {
        return invalid("Tags", "must be a list of {Key, Value} objects.");
      }
      std::optional<std::string> k, v;
      RETURN_IF_ERROR(jsonu::get_string(o, "Key", &k));
      RETURN_IF_ERROR(jsonu::get_string(o, "Value", &v));
      if (!k) return missing("Tags.member.Key");
      c->tags.push_back({std::move(*k), v.value_or("")});
    }
  }
  return OkStatus();
}

Status read_metric_query(dom::object o, size_t index, MetricQuery* q) {
  const std::string where = fmt::format("Metrics.member.{}", index + 1);
  std::optional<std::string> id, expr, label, account;
  std::optional<bool> ret;
  std::optional<int64_t> period;
  RETURN_IF_ERROR(jsonu::get_string(o, "Id", &id));
  RETURN_IF_ERROR(jsonu::get_string(o, "Expression", &expr));
  RETURN_IF_ERROR(jsonu::get_string(o, "Label", &label));
  RETURN_IF_ERROR(jsonu::get_string(o, "AccountId", &account));
  RETURN_IF_ERROR(jsonu::get_bool(o, "ReturnData", &ret));
  RETURN_IF_ERROR(jsonu::get_int(o, "Period", &period));
  if (!id) return missing(where + ".Id");
  if (!valid_query_id(*id)) {
    return invalid(where + ".Id",
                   fmt::format("\"{}\" must start with a lower-case letter and contain only "
                               "letters, digits and '_' (1 to 255 characters).",
                               id->substr(0, 100)));
  }
  q->id = *id;
  q->expression = expr.value_or("");
  q->label = label.value_or("");
  q->account_id = account.value_or("");
  q->return_data = ret.value_or(true);
  q->period_s = period.value_or(0);
  dom::element stat_e;
  const bool has_stat = jsonu::member(o, "MetricStat", &stat_e);
  if (has_stat == expr.has_value()) {
    return aws_error(kInvalidParameterCombination,
                     fmt::format("{} must have exactly one of MetricStat and Expression.", where));
  }
  if (expr && (expr->empty() || expr->size() > 2048)) {
    return invalid(where + ".Expression", "must be 1 to 2048 characters long.");
  }
  if (has_stat) {
    dom::object stat;
    if (stat_e.get_object().get(stat)) return invalid(where + ".MetricStat", "must be an object.");
    std::optional<std::string> s, unit;
    std::optional<int64_t> sp;
    RETURN_IF_ERROR(jsonu::get_string(stat, "Stat", &s));
    RETURN_IF_ERROR(jsonu::get_string(stat, "Unit", &unit));
    RETURN_IF_ERROR(jsonu::get_int(stat, "Period", &sp));
    if (!s) return missing(where + ".MetricStat.Stat");
    if (!sp) return missing(where + ".MetricStat.Period");
    if (!valid_statistic(*s) && !valid_extended_statistic(*s)) {
      return invalid(where + ".MetricStat.Stat",
                     fmt::format("\"{}\" is not a statistic.", s->substr(0, 64)));
    }
    if (!valid_period(*sp)) {
      return invalid(where + ".MetricStat.Period", "must be 10, 30 or a multiple of 60.");
    }
    q->stat = *s;
    q->unit = unit.value_or("");
    q->period_s = *sp;
    dom::element metric_e;
    dom::object metric;
    if (!jsonu::member(stat, "Metric", &metric_e)) return missing(where + ".MetricStat.Metric");
    if (metric_e.get_object().get(metric)) {
      return invalid(where + ".MetricStat.Metric", "must be an object.");
    }
    std::optional<std::string> ns, mn;
    RETURN_IF_ERROR(jsonu::get_string(metric, "Namespace", &ns));
    RETURN_IF_ERROR(jsonu::get_string(metric, "MetricName", &mn));
    if (!mn) return missing(where + ".MetricStat.Metric.MetricName");
    RETURN_IF_ERROR(check_length(where + ".MetricStat.Metric.MetricName", *mn, 1, 255));
    q->namespace_name = ns.value_or("");
    q->metric_name = *mn;
    dom::element dims;
    if (jsonu::member(metric, "Dimensions", &dims)) {
      RETURN_IF_ERROR(
          read_dimensions(dims, where + ".MetricStat.Metric.Dimensions", &q->dimensions));
    }
  }
  return OkStatus();
}

Result<MetricAlarm> metric_alarm_from(dom::object obj) {
  MetricAlarm a;
  RETURN_IF_ERROR(read_common(obj, &a));
  std::optional<std::string> ns, mn, stat, xstat, unit, cmp, tmd, elscp, tmid;
  std::optional<int64_t> period, evals, dta;
  std::optional<double> threshold;
  RETURN_IF_ERROR(jsonu::get_string(obj, "Namespace", &ns));
  RETURN_IF_ERROR(jsonu::get_string(obj, "MetricName", &mn));
  RETURN_IF_ERROR(jsonu::get_string(obj, "Statistic", &stat));
  RETURN_IF_ERROR(jsonu::get_string(obj, "ExtendedStatistic", &xstat));
  RETURN_IF_ERROR(jsonu::get_string(obj, "Unit", &unit));
  RETURN_IF_ERROR(jsonu::get_string(obj, "ComparisonOperator", &cmp));
  RETURN_IF_ERROR(jsonu::get_string(obj, "TreatMissingData", &tmd));
  RETURN_IF_ERROR(jsonu::get_string(obj, "EvaluateLowSampleCountPercentile", &elscp));
  RETURN_IF_ERROR(jsonu::get_string(obj, "ThresholdMetricId", &tmid));
  RETURN_IF_ERROR(jsonu::get_int(obj, "Period", &period));
  RETURN_IF_ERROR(jsonu::get_int(obj, "EvaluationPeriods", &evals));
  RETURN_IF_ERROR(jsonu::get_int(obj, "DatapointsToAlarm", &dta));
  RETURN_IF_ERROR(jsonu::get_double(obj, "Threshold", &threshold));
  a.namespace_name = ns.value_or("");
  a.metric_name = mn.value_or("");
  a.statistic = stat.value_or("");
  a.extended_statistic = xstat.value_or("");
  a.unit = unit.value_or("");
  a.threshold_metric_id = tmid.value_or("");
  a.evaluate_low_sample_count_percentile = elscp.value_or("");
  a.threshold = threshold;
  if (!evals) return missing("EvaluationPeriods");
  a.evaluation_periods = *evals;
  a.datapoints_to_alarm = dta.value_or(*evals);
  if (!cmp) return missing("ComparisonOperator");
  auto op = parse_comparison(*cmp);
  if (!op) {
    return aws_error(kValidationError,
                     fmt::format("1 validation error detected: Value '{}' at 'comparisonOperator' "
                                 "failed to satisfy constraint: Member must satisfy enum value "
                                 "set: [LessThanLowerOrGreaterThanUpperThreshold, "
                                 "LessThanOrEqualToThreshold, GreaterThanOrEqualToThreshold, "
                                 "LessThanThreshold, GreaterThanUpperThreshold, "
                                 "LessThanLowerThreshold, GreaterThanThreshold]",
                                 cmp->substr(0, 100)));
  }
  a.comparison = *op;
  if (tmd) {
    auto t = parse_treat_missing(*tmd);
    if (!t) {
      return invalid("TreatMissingData",
                     fmt::format("\"{}\" must be one of breaching, notBreaching, ignore, missing.",
                                 tmd->substr(0, 100)));
    }
    a.treat_missing_data = *t;
  }
  dom::element dims;
  if (jsonu::member(obj, "Dimensions", &dims)) {
    RETURN_IF_ERROR(read_dimensions(dims, "Dimensions", &a.dimensions));
  }
  dom::element metrics;
  if (jsonu::member(obj, "Metrics", &metrics)) {
    dom::array arr;
    if (metrics.get_array().get(arr)) return invalid("Metrics", "must be a list of queries.");
    a.metrics_json = simdjson::to_string(metrics);
    size_t i = 0;
    for (dom::element item : arr) {
      dom::object o;
      if (item.get_object().get(o)) return invalid("Metrics", "members must be objects.");
      MetricQuery q;
      RETURN_IF_ERROR(read_metric_query(o, i++, &q));
      a.metrics.push_back(std::move(q));
    }
    if (a.metrics.empty()) return invalid("Metrics", "must not be empty.");
    // The alarm's period is that of the query it alarms on.
    for (const auto& q : a.metrics) {
      if (q.return_data && q.id != a.threshold_metric_id && q.period_s > 0) a.period_s = q.period_s;
    }
    if (a.period_s == 0) {
      for (const auto& q : a.metrics) {
        if (q.period_s > 0) {
          a.period_s = q.period_s;
          break;
        }
      }
    }
    if (period && a.period_s == 0) a.period_s = *period;
  } else {
    if (!period) return missing("Period");
    a.period_s = *period;
  }
  RETURN_IF_ERROR(validate_metric_alarm(a));
  return a;
}

Result<CompositeAlarm> composite_alarm_from(dom::object obj) {
  CompositeAlarm c;
  RETURN_IF_ERROR(read_common(obj, &c));
  std::optional<std::string> rule, suppressor;
  std::optional<int64_t> wait, ext;
  RETURN_IF_ERROR(jsonu::get_string(obj, "AlarmRule", &rule));
  RETURN_IF_ERROR(jsonu::get_string(obj, "ActionsSuppressor", &suppressor));
  RETURN_IF_ERROR(jsonu::get_int(obj, "ActionsSuppressorWaitPeriod", &wait));
  RETURN_IF_ERROR(jsonu::get_int(obj, "ActionsSuppressorExtensionPeriod", &ext));
  if (!rule) return missing("AlarmRule");
  c.alarm_rule = std::move(*rule);
  c.actions_suppressor = suppressor.value_or("");
  if (c.actions_suppressor.empty() && (wait || ext)) {
    return aws_error(kInvalidParameterCombination,
                     "ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod are only "
                     "valid with ActionsSuppressor.");
  }
  if (!c.actions_suppressor.empty()) {
    c.wait_period_s = wait.value_or(kDefaultSuppressorPeriodS);
    c.extension_period_s = ext.value_or(kDefaultSuppressorPeriodS);
  }
  RETURN_IF_ERROR(validate_composite_alarm(c));
  return c;
}

void write_common(json::Writer& w, const AlarmCommon& c) {
  w.kv("AlarmName", c.alarm_name);
  if (!c.description.empty()) w.kv("AlarmDescription", c.description);
  w.kv("ActionsEnabled", c.actions_enabled);
  write_string_array(w, "OKActions", c.ok_actions);
  write_string_array(w, "AlarmActions", c.alarm_actions);
  write_string_array(w, "InsufficientDataActions", c.insufficient_data_actions);
  if (!c.tags.empty()) {
    w.key("Tags").begin_array();
    for (const auto& t : c.tags)
      w.begin_object().kv("Key", t.key).kv("Value", t.value).end_object();
    w.end_array();
  }
}

}  // namespace

const AlarmCommon& common_of(const AlarmDefinition& def) {
  if (const auto* m = std::get_if<MetricAlarm>(&def)) return *m;
  return std::get<CompositeAlarm>(def);
}

AlarmType type_of(const AlarmDefinition& def) {
  return std::holds_alternative<MetricAlarm>(def) ? AlarmType::kMetric : AlarmType::kComposite;
}

std::string alarm_arn(const storage::Tenant& tenant, std::string_view name) {
  return fmt::format("arn:aws:cloudwatch:{}:{}:alarm:{}", tenant.region, tenant.account, name);
}

std::optional<std::string> alarm_name_from_ref(const storage::Tenant& tenant,
                                               std::string_view ref) {
  if (!ref.starts_with("arn:")) return std::string(ref);
  const std::string prefix = alarm_arn(tenant, "");
  if (!ref.starts_with(prefix) || ref.size() == prefix.size()) return std::nullopt;
  return std::string(ref.substr(prefix.size()));
}

Status validate_metric_alarm(const MetricAlarm& a) {
  RETURN_IF_ERROR(validate_common(a));
  const bool single = !a.metric_name.empty() || !a.namespace_name.empty() || !a.statistic.empty() ||
                      !a.extended_statistic.empty() || !a.dimensions.empty();
  if (single && a.uses_metrics()) {
    return aws_error(kInvalidParameterCombination,
                     "Specify either MetricName/Namespace/Statistic/Dimensions or Metrics, not "
                     "both.");
  }
  if (!a.uses_metrics()) {
    if (a.metric_name.empty()) return missing("MetricName");
    if (a.namespace_name.empty()) return missing("Namespace");
    RETURN_IF_ERROR(check_length("MetricName", a.metric_name, 1, 255));
    RETURN_IF_ERROR(check_length("Namespace", a.namespace_name, 1, 255));
    if (a.statistic.empty() == a.extended_statistic.empty()) {
      return aws_error(kInvalidParameterCombination,
                       "Exactly one of Statistic and ExtendedStatistic must be specified.");
    }
    if (!a.statistic.empty() && !valid_statistic(a.statistic)) {
      return invalid("Statistic",
                     fmt::format("\"{}\" must be one of SampleCount, Average, Sum, Minimum, "
                                 "Maximum.",
                                 a.statistic.substr(0, 64)));
    }
    if (!a.extended_statistic.empty() && !valid_extended_statistic(a.extended_statistic)) {
      return invalid("ExtendedStatistic",
                     fmt::format("\"{}\" is not an extended statistic (p99, tm90, ...).",
                                 a.extended_statistic.substr(0, 64)));
    }
    if (a.dimensions.size() > kMaxDimensions) {
      return invalid("Dimensions", fmt::format("can have at most {} dimensions.", kMaxDimensions));
    }
  } else {
    if (a.metrics.size() > kMaxMetricQueries) {
      return invalid("Metrics", fmt::format("can have at most {} queries.", kMaxMetricQueries));
    }
    size_t returning = 0;
    bool threshold_found = false;
    for (size_t i = 0; i < a.metrics.size(); i++) {
      for (size_t j = 0; j < i; j++) {
        if (a.metrics[i].id == a.metrics[j].id) {
          return invalid("Metrics", fmt::format("has the Id \"{}\" twice.", a.metrics[i].id));
        }
      }
      if (a.metrics[i].id == a.threshold_metric_id) {
        threshold_found = true;
      } else if (a.metrics[i].return_data) {
        returning++;
      }
    }
    if (!a.threshold_metric_id.empty() && !threshold_found) {
      return invalid("ThresholdMetricId",
                     fmt::format("\"{}\" must be the Id of an entry of Metrics.",
                                 a.threshold_metric_id.substr(0, 255)));
    }
    if (returning != 1) {
      return aws_error(kValidationError,
                       "Exactly one element of the metrics list should return data.");
    }
  }
  if (a.period_s <= 0) return missing("Period");
  if (!valid_period(a.period_s)) {
    return invalid("Period",
                   fmt::format("must be 10 or 30 (high resolution) or a multiple of 60 (got {}).",
                               a.period_s));
  }
  if (a.evaluation_periods < 1) return invalid("EvaluationPeriods", "must be at least 1.");
  if (a.evaluation_periods > kMaxEvaluationSeconds / a.period_s) {
    return invalid(
        "EvaluationPeriods",
        fmt::format("times Period must not exceed {} seconds (7 days).", kMaxEvaluationSeconds));
  }
  if (a.datapoints_to_alarm < 1 || a.datapoints_to_alarm > a.evaluation_periods) {
    return invalid("DatapointsToAlarm",
                   fmt::format("must be between 1 and EvaluationPeriods ({}) (got {}).",
                               a.evaluation_periods, a.datapoints_to_alarm));
  }
  if (is_band_operator(a.comparison)) {
    if (a.threshold_metric_id.empty()) {
      return aws_error(kValidationError,
                       fmt::format("ComparisonOperator {} requires ThresholdMetricId.",
                                   comparison_name(a.comparison)));
    }
    if (a.threshold) {
      return aws_error(kInvalidParameterCombination,
                       "Threshold must not be given with ThresholdMetricId.");
    }
  } else {
    if (!a.threshold_metric_id.empty()) {
      return aws_error(kValidationError,
                       fmt::format("ThresholdMetricId requires an anomaly-band ComparisonOperator "
                                   "(LessThanLowerOrGreaterThanUpperThreshold, "
                                   "LessThanLowerThreshold, GreaterThanUpperThreshold), not {}.",
                                   comparison_name(a.comparison)));
    }
    if (!a.threshold) return missing("Threshold");
  }
  if (!a.evaluate_low_sample_count_percentile.empty()) {
    if (a.evaluate_low_sample_count_percentile != "evaluate" &&
        a.evaluate_low_sample_count_percentile != "ignore") {
      return invalid("EvaluateLowSampleCountPercentile", "must be evaluate or ignore.");
    }
    if (a.extended_statistic.empty() || a.extended_statistic[0] != 'p') {
      return aws_error(kInvalidParameterCombination,
                       "EvaluateLowSampleCountPercentile is only valid with a percentile "
                       "ExtendedStatistic.");
    }
  }
  return OkStatus();
}

Status validate_composite_alarm(const CompositeAlarm& c) {
  RETURN_IF_ERROR(validate_common(c));
  if (c.alarm_rule.empty()) return missing("AlarmRule");
  RETURN_IF_ERROR(check_length("AlarmRule", c.alarm_rule, 1, kMaxAlarmRuleBytes));
  auto rule = AlarmRule::parse(c.alarm_rule);
  if (!rule.ok()) return rule.status();
  RETURN_IF_ERROR(check_length("ActionsSuppressor", c.actions_suppressor, 0, 1600));
  if (c.wait_period_s < 0) return invalid("ActionsSuppressorWaitPeriod", "must be >= 0.");
  if (c.extension_period_s < 0) return invalid("ActionsSuppressorExtensionPeriod", "must be >= 0.");
  return OkStatus();
}

Result<MetricAlarm> parse_put_metric_alarm(std::string_view json) {
  dom::parser parser;
  simdjson::padded_string padded;
  ASSIGN_OR_RETURN(dom::object obj, jsonu::parse_object(parser, padded, json, "PutMetricAlarm"));
  return metric_alarm_from(obj);
}

Result<CompositeAlarm> parse_put_composite_alarm(std::string_view json) {
  dom::parser parser;
  simdjson::padded_string padded;
  ASSIGN_OR_RETURN(dom::object obj, jsonu::parse_object(parser, padded, json, "PutCompositeAlarm"));
  return composite_alarm_from(obj);
}

Result<AlarmDefinition> parse_alarm_doc(std::string_view json) {
  dom::parser parser;
  simdjson::padded_string padded;
  ASSIGN_OR_RETURN(dom::object obj, jsonu::parse_object(parser, padded, json, "alarm document"));
  std::optional<std::string> type;
  RETURN_IF_ERROR(jsonu::get_string(obj, "AlarmType", &type));
  if (type && *type == "CompositeAlarm") {
    ASSIGN_OR_RETURN(CompositeAlarm c, composite_alarm_from(obj));
    return AlarmDefinition(std::move(c));
  }
  ASSIGN_OR_RETURN(MetricAlarm m, metric_alarm_from(obj));
  return AlarmDefinition(std::move(m));
}

void write_string_array(json::Writer& w, std::string_view key, const std::vector<std::string>& v) {
  w.key(key).begin_array();
  for (const auto& s : v) w.value(s);
  w.end_array();
}

void write_metric_fields(json::Writer& w, const MetricAlarm& m, bool period_with_metrics) {
  if (!m.uses_metrics()) {
    w.kv("Namespace", m.namespace_name).kv("MetricName", m.metric_name);
    if (!m.statistic.empty()) w.kv("Statistic", m.statistic);
    if (!m.extended_statistic.empty()) w.kv("ExtendedStatistic", m.extended_statistic);
    w.key("Dimensions").begin_array();
    for (const auto& d : m.dimensions) {
      w.begin_object().kv("Name", d.name).kv("Value", d.value).end_object();
    }
    w.end_array();
    w.kv("Period", m.period_s);
    if (!m.unit.empty()) w.kv("Unit", m.unit);
    return;
  }
  w.key("Metrics").raw(m.metrics_json);
  if (period_with_metrics) w.kv("Period", m.period_s);
  if (!m.threshold_metric_id.empty()) w.kv("ThresholdMetricId", m.threshold_metric_id);
}

std::string alarm_doc(const AlarmDefinition& def) {
  json::Writer w(512);
  w.begin_object();
  w.kv("AlarmType", alarm_type_name(type_of(def)));
  write_common(w, common_of(def));
  if (const auto* m = std::get_if<MetricAlarm>(&def)) {
    write_metric_fields(w, *m, /*period_with_metrics=*/true);
    w.kv("EvaluationPeriods", m->evaluation_periods);
    w.kv("DatapointsToAlarm", m->datapoints_to_alarm);
    if (m->threshold) w.kv("Threshold", *m->threshold);
    w.kv("ComparisonOperator", comparison_name(m->comparison));
    w.kv("TreatMissingData", treat_missing_name(m->treat_missing_data));
    if (!m->evaluate_low_sample_count_percentile.empty()) {
      w.kv("EvaluateLowSampleCountPercentile", m->evaluate_low_sample_count_percentile);
    }
  } else {
    const auto& c = std::get<CompositeAlarm>(def);
    w.kv("AlarmRule", c.alarm_rule);
    if (!c.actions_suppressor.empty()) {
      w.kv("ActionsSuppressor", c.actions_suppressor);
      w.kv("ActionsSuppressorWaitPeriod", c.wait_period_s);
      w.kv("ActionsSuppressorExtensionPeriod", c.extension_period_s);
    }
  }
  w.end_object();
  return w.take();
}

bool is_statistic(std::string_view s) {
  return valid_statistic(s) || valid_extended_statistic(s);
}

}  // namespace opsight::alarm
