#include "alarm/alarm_types.h"

#include <fmt/format.h>

#include <array>
#include <ctime>
#include <utility>

namespace opsight::alarm {
namespace {

template <typename E, size_t N>
std::optional<E> lookup(const std::array<std::pair<E, std::string_view>, N>& table,
                        std::string_view s) {
  for (const auto& [e, name] : table) {
    if (name == s) return e;
  }
  return std::nullopt;
}

template <typename E, size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
  for (const auto& [v, name] : table) {
    if (v == e) return name;
  }
  return "";
}

constexpr std::array<std::pair<StateValue, std::string_view>, 3> kStates{{
    {StateValue::kOk, "OK"},
    {StateValue::kAlarm, "ALARM"},
    {StateValue::kInsufficientData, "INSUFFICIENT_DATA"},
}};

constexpr std::array<std::pair<ComparisonOperator, std::string_view>, 7> kOperators{{
    {ComparisonOperator::kGreaterThanOrEqualToThreshold, "GreaterThanOrEqualToThreshold"},
    {ComparisonOperator::kGreaterThanThreshold, "GreaterThanThreshold"},
    {ComparisonOperator::kLessThanThreshold, "LessThanThreshold"},
    {ComparisonOperator::kLessThanOrEqualToThreshold, "LessThanOrEqualToThreshold"},
    {ComparisonOperator::kLessThanLowerOrGreaterThanUpperThreshold,
     "LessThanLowerOrGreaterThanUpperThreshold"},
    {ComparisonOperator::kLessThanLowerThreshold, "LessThanLowerThreshold"},
    {ComparisonOperator::kGreaterThanUpperThreshold, "GreaterThanUpperThreshold"},
}};

constexpr std::array<std::pair<TreatMissingData, std::string_view>, 4> kTreatments{{
    {TreatMissingData::kMissing, "missing"},
    {TreatMissingData::kNotBreaching, "notBreaching"},
    {TreatMissingData::kBreaching, "breaching"},
    {TreatMissingData::kIgnore, "ignore"},
}};

constexpr std::array<std::pair<AlarmType, std::string_view>, 2> kTypes{{
    {AlarmType::kMetric, "MetricAlarm"},
    {AlarmType::kComposite, "CompositeAlarm"},
}};

constexpr std::array<std::pair<HistoryItemType, std::string_view>, 3> kHistoryTypes{{
    {HistoryItemType::kConfigurationUpdate, "ConfigurationUpdate"},
    {HistoryItemType::kStateUpdate, "StateUpdate"},
    {HistoryItemType::kAction, "Action"},
}};

}  // namespace

std::string_view state_name(StateValue s) {
  return name_of(kStates, s);
}
std::optional<StateValue> parse_state(std::string_view s) {
  return lookup(kStates, s);
}
std::string_view comparison_name(ComparisonOperator op) {
  return name_of(kOperators, op);
}
std::optional<ComparisonOperator> parse_comparison(std::string_view s) {
  return lookup(kOperators, s);
}
bool is_band_operator(ComparisonOperator op) {
  return op == ComparisonOperator::kLessThanLowerOrGreaterThanUpperThreshold ||
         op == ComparisonOperator::kLessThanLowerThreshold ||
         op == ComparisonOperator::kGreaterThanUpperThreshold;
}
std::string_view treat_missing_name(TreatMissingData t) {
  return name_of(kTreatments, t);
}
std::optional<TreatMissingData> parse_treat_missing(std::string_view s) {
  return lookup(kTreatments, s);
}
std::string_view alarm_type_name(AlarmType t) {
  return name_of(kTypes, t);
}
std::optional<AlarmType> parse_alarm_type(std::string_view s) {
  return lookup(kTypes, s);
}
std::string_view history_type_name(HistoryItemType t) {
  return name_of(kHistoryTypes, t);
}
std::optional<HistoryItemType> parse_history_type(std::string_view s) {
  return lookup(kHistoryTypes, s);
}

Status aws_error(std::string_view code, std::string_view message) {
  return Status::invalid_argument(fmt::format("{}: {}", code, message));
}

Status aws_not_found(std::string_view message) {
  return Status::not_found(fmt::format("{}: {}", kResourceNotFound, message));
}

std::string_view aws_error_code(const Status& status) {
  std::string_view m = status.message();
  const size_t colon = m.find(": ");
  if (colon == std::string_view::npos || colon == 0 || colon > 40) return "";
  std::string_view code = m.substr(0, colon);
  for (char c : code) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return "";
  }
  return code;
}

std::string cw_timestamp(int64_t unix_ms) {
  int64_t secs = unix_ms / 1000;
  int64_t ms = unix_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    secs -= 1;
  }
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+0000", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

}  // namespace opsight::alarm
