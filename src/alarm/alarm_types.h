#pragma once
// The vocabulary of CloudWatch alarms (Amazon CloudWatch API reference: PutMetricAlarm,
// PutCompositeAlarm, MetricAlarm, CompositeAlarm, AlarmHistoryItem): states, comparison
// operators, missing-data treatment, alarm and history item types, and the data-source
// contract through which an alarm reads its metric.
//
// Errors of the alarm API carry CloudWatch's error code as a message prefix
// ("InvalidParameterValue: The parameter Period ..."), so the AWS front end can answer with the
// documented error shape (aws_error_code() splits it) and the native API shows the same text.
//
// Thread safety: plain values and pure functions.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/metric_store.h"  // Tenant

namespace opsight::alarm {

enum class StateValue { kOk, kAlarm, kInsufficientData };
// "OK", "ALARM", "INSUFFICIENT_DATA".
std::string_view state_name(StateValue s);
std::optional<StateValue> parse_state(std::string_view s);

enum class ComparisonOperator {
  kGreaterThanOrEqualToThreshold,
  kGreaterThanThreshold,
  kLessThanThreshold,
  kLessThanOrEqualToThreshold,
  // Anomaly-band operators: compare the value with the band of ThresholdMetricId.
  kLessThanLowerOrGreaterThanUpperThreshold,
  kLessThanLowerThreshold,
  kGreaterThanUpperThreshold,
};
std::string_view comparison_name(ComparisonOperator op);
std::optional<ComparisonOperator> parse_comparison(std::string_view s);
bool is_band_operator(ComparisonOperator op);

enum class TreatMissingData { kMissing, kNotBreaching, kBreaching, kIgnore };
// "missing", "notBreaching", "breaching", "ignore".
std::string_view treat_missing_name(TreatMissingData t);
std::optional<TreatMissingData> parse_treat_missing(std::string_view s);

enum class AlarmType { kMetric, kComposite };
// "MetricAlarm", "CompositeAlarm".
std::string_view alarm_type_name(AlarmType t);
std::optional<AlarmType> parse_alarm_type(std::string_view s);

enum class HistoryItemType { kConfigurationUpdate, kStateUpdate, kAction };
std::string_view history_type_name(HistoryItemType t);
std::optional<HistoryItemType> parse_history_type(std::string_view s);

// The series an alarm evaluates, one value per period (timestamps at the start of the period,
// ascending). NaN values count as missing. For the anomaly-band operators, `lower` and `upper`
// hold the band (same length as `values`); a point without a band is missing.
struct AlarmSeries {
  std::vector<int64_t> timestamps_ms;
  std::vector<double> values;
  std::optional<std::vector<double>> lower, upper;
};

struct MetricAlarm;
// Reads the series of `alarm` of `tenant` (its MetricName/Namespace/Dimensions/Period/Statistic,
// or its Metrics array with ThresholdMetricId) for periods starting in [start_ms, end_ms).
// Implemented with Metric Math (alarm/metric_math_source.h); the alarm service never queries
// storage itself. Called from the scheduler thread, without the service lock held.
using AlarmDataSource = std::function<Result<AlarmSeries>(
    const storage::Tenant& tenant, const MetricAlarm& alarm, int64_t start_ms, int64_t end_ms)>;

// CloudWatch error codes used as message prefixes.
inline constexpr std::string_view kInvalidParameterValue = "InvalidParameterValue";
inline constexpr std::string_view kMissingParameter = "MissingParameter";
inline constexpr std::string_view kInvalidParameterCombination = "InvalidParameterCombination";
inline constexpr std::string_view kValidationError = "ValidationError";
inline constexpr std::string_view kResourceNotFound = "ResourceNotFound";
inline constexpr std::string_view kInvalidNextToken = "InvalidNextToken";
inline constexpr std::string_view kInvalidFormat = "InvalidFormat";

// InvalidArgument "<code>: <message>".
Status aws_error(std::string_view code, std::string_view message);
// NotFound "ResourceNotFound: <message>".
Status aws_not_found(std::string_view message);
// The CloudWatch error code of an alarm-API error ("InvalidParameterValue", ...), or "" when the
// message carries none.
std::string_view aws_error_code(const Status& status);

// Timestamps as CloudWatch writes them inside reason data and events:
// "2024-01-02T03:04:05.678+0000".
std::string cw_timestamp(int64_t unix_ms);

}  // namespace opsight::alarm
