#pragma once
// Alarm definitions: the documents of PutMetricAlarm and PutCompositeAlarm (Amazon CloudWatch
// API reference), parsed from JSON with CloudWatch's field names and validated with its rules.
//
// Validation (every error names the parameter and the rule, prefixed with CloudWatch's code):
//   - AlarmName 1..255 ASCII characters, no control characters; AlarmDescription <= 1024.
//   - OKActions / AlarmActions / InsufficientDataActions: <= 5 each, 1..1024 characters, an
//     http(s) URL or an ARN ("arn:..."; its last segment names an alarm-target object).
//   - A metric alarm has either MetricName+Namespace (+Dimensions <= 30, Statistic xor
//     ExtendedStatistic, Period) or Metrics (1..20 MetricDataQuery, exactly one returning
//     data besides ThresholdMetricId), never both.
//   - Period: 10, 30 (high resolution) or a multiple of 60 seconds; EvaluationPeriods >= 1;
//     EvaluationPeriods * Period <= 7 days; 1 <= DatapointsToAlarm <= EvaluationPeriods
//     (default EvaluationPeriods).
//   - ComparisonOperator one of the seven; the three band operators need ThresholdMetricId (the
//     Id of a Metrics entry, conventionally ANOMALY_DETECTION_BAND) and no Threshold; the four
//     threshold operators need Threshold and no ThresholdMetricId.
//   - TreatMissingData missing|notBreaching|breaching|ignore (default missing);
//     EvaluateLowSampleCountPercentile evaluate|ignore, only with a percentile statistic.
//   - Composite: AlarmRule 1..10240 characters and syntactically valid (alarm_rule.h);
//     ActionsSuppressor 1..1600; ActionsSuppressorWaitPeriod / ExtensionPeriod >= 0 and only
//     with ActionsSuppressor (each defaults to 60 s when a suppressor is set).
// Unknown fields are ignored (the AWS JSON protocol may carry newer fields).
//
// Thread safety: plain values and pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "alarm/alarm_types.h"
#include "common/json_writer.h"
#include "common/status.h"
#include "storage/metric_store.h"  // Tenant

namespace opsight::alarm {

inline constexpr size_t kMaxAlarmNameBytes = 255;
inline constexpr size_t kMaxDescriptionBytes = 1024;
inline constexpr size_t kMaxActionsPerState = 5;
inline constexpr size_t kMaxActionBytes = 1024;
inline constexpr size_t kMaxDimensions = 30;
inline constexpr size_t kMaxMetricQueries = 20;
inline constexpr size_t kMaxAlarmRuleBytes = 10240;
inline constexpr int64_t kMaxEvaluationSeconds = 7 * 86400;
inline constexpr int64_t kDefaultSuppressorPeriodS = 60;

struct Dimension {
  std::string name, value;
  bool operator==(const Dimension&) const = default;
};

// One MetricDataQuery of the Metrics array (the fields the alarm needs to know; the array is
// also kept verbatim in MetricAlarm::metrics_json for the data source).
struct MetricQuery {
  std::string id;
  std::string expression;  // "" for a MetricStat
  std::string label;
  std::string account_id;
  bool return_data = true;
  int64_t period_s = 0;  // MetricStat.Period or the expression's Period (0 when absent)
  // MetricStat
  std::string namespace_name, metric_name, stat, unit;
  std::vector<Dimension> dimensions;
  bool operator==(const MetricQuery&) const = default;
};

struct Tag {
  std::string key, value;
  bool operator==(const Tag&) const = default;
};

// Fields common to both alarm types.
struct AlarmCommon {
  std::string alarm_name;
  std::string description;
  bool actions_enabled = true;
  std::vector<std::string> ok_actions, alarm_actions, insufficient_data_actions;
  std::vector<Tag> tags;
  bool operator==(const AlarmCommon&) const = default;
};

struct MetricAlarm : AlarmCommon {
  // Single metric form.
  std::string namespace_name, metric_name, statistic, extended_statistic, unit;
  std::vector<Dimension> dimensions;
  // Metrics form: the array as given (compact JSON, CloudWatch field names) and parsed.
  std::string metrics_json;
  std::vector<MetricQuery> metrics;
  std::string threshold_metric_id;

  int64_t period_s = 0;  // for the Metrics form: the period of the returned query
  int64_t evaluation_periods = 0;
  int64_t datapoints_to_alarm = 0;  // resolved (defaults to evaluation_periods)
  std::optional<double> threshold;
  ComparisonOperator comparison = ComparisonOperator::kGreaterThanThreshold;
  TreatMissingData treat_missing_data = TreatMissingData::kMissing;
  std::string evaluate_low_sample_count_percentile;

  bool uses_metrics() const { return !metrics.empty(); }
  // The statistic named in reason data ("Average", "p99"), "" for the Metrics form.
  std::string_view stat_name() const {
    return statistic.empty() ? std::string_view(extended_statistic) : statistic;
  }
  bool operator==(const MetricAlarm&) const = default;
};

struct CompositeAlarm : AlarmCommon {
  std::string alarm_rule;
  std::string actions_suppressor;  // name or ARN as given, "" = none
  int64_t wait_period_s = 0;
  int64_t extension_period_s = 0;
  bool operator==(const CompositeAlarm&) const = default;
};

using AlarmDefinition = std::variant<MetricAlarm, CompositeAlarm>;
const AlarmCommon& common_of(const AlarmDefinition& def);
AlarmType type_of(const AlarmDefinition& def);

// arn:aws:cloudwatch:<region>:<account>:alarm:<name>
std::string alarm_arn(const storage::Tenant& tenant, std::string_view name);
// The alarm name of `ref` when it is an alarm ARN of `tenant`, `ref` itself when it is not an
// ARN; nullopt for an ARN of another account/region or another service.
std::optional<std::string> alarm_name_from_ref(const storage::Tenant& tenant, std::string_view ref);

// JSON pieces shared by the stored document and the API views: a string array under `key`, and
// a metric alarm's metric fields in CloudWatch names (Namespace, MetricName, Statistic /
// ExtendedStatistic, Dimensions, Period, Unit; or Metrics and ThresholdMetricId).
// `period_with_metrics` also writes Period for the Metrics form (the stored document keeps it;
// DescribeAlarms does not show it).
void write_string_array(json::Writer& w, std::string_view key, const std::vector<std::string>& v);
void write_metric_fields(json::Writer& w, const MetricAlarm& m, bool period_with_metrics);

// PutMetricAlarm / PutCompositeAlarm request bodies (also the stored documents).
Result<MetricAlarm> parse_put_metric_alarm(std::string_view json);
Result<CompositeAlarm> parse_put_composite_alarm(std::string_view json);
// A stored document (the request form plus "AlarmType").
Result<AlarmDefinition> parse_alarm_doc(std::string_view json);
// Canonical request-form JSON with "AlarmType" (stored in the meta store, shown in
// ConfigurationUpdate history). parse_alarm_doc(alarm_doc(d)) == d.
std::string alarm_doc(const AlarmDefinition& def);

// Validates the fields that do not need JSON (used by the parsers; exposed for tests).
Status validate_metric_alarm(const MetricAlarm& alarm);
Status validate_composite_alarm(const CompositeAlarm& alarm);

// A CloudWatch statistic (SampleCount, Average, Sum, Minimum, Maximum) or extended statistic
// (p99, tm90, IQM, ...), as the alarm parsers accept them (also used by anomaly detectors).
bool is_statistic(std::string_view s);

}  // namespace opsight::alarm
