#pragma once
// Request parsers and response encoders of the alarm API in CloudWatch's field names (Amazon
// CloudWatch API reference: DescribeAlarms, DescribeAlarmHistory, SetAlarmState, DeleteAlarms,
// EnableAlarmActions / DisableAlarmActions; data types MetricAlarm, CompositeAlarm,
// AlarmHistoryItem). The native REST API and the AWS JSON 1.0 front end both use them; only the
// time format differs (TimeFormat).
//
// Thread safety: plain values and pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alarm/alarm_model.h"
#include "alarm/alarm_store.h"
#include "alarm/alarm_types.h"
#include "common/status.h"

namespace opsight::alarm {

enum class TimeFormat {
  kIso8601,       // "2024-01-02T03:04:05.678Z" (query protocol, native API)
  kEpochSeconds,  // 1704164645.678 (AWS JSON 1.0 / CBOR protocols)
};

struct DescribeAlarmsRequest {
  std::vector<std::string> alarm_names;  // <= 100
  std::string alarm_name_prefix;
  std::vector<AlarmType> alarm_types;  // empty = MetricAlarm only (CloudWatch's default)
  std::optional<StateValue> state_value;
  std::string action_prefix;
  std::string children_of_alarm_name;
  std::string parents_of_alarm_name;
  size_t max_records = 50;  // 1..100
  std::string next_token;
};

// One alarm as DescribeAlarms shows it.
struct AlarmView {
  AlarmDefinition def;
  AlarmStateRecord state;
  int64_t config_updated_ms = 0;
};

struct DescribeAlarmsResult {
  std::vector<AlarmView> metric_alarms;
  std::vector<AlarmView> composite_alarms;
  std::string next_token;
};

struct SetAlarmStateRequest {
  std::string alarm_name;
  StateValue state = StateValue::kOk;
  std::string reason;       // 0..1023
  std::string reason_data;  // JSON, 0..4000, "" = none
};

Result<DescribeAlarmsRequest> parse_describe_alarms_request(std::string_view json);
// AlarmName, AlarmTypes, HistoryItemType, StartDate, EndDate, MaxRecords (1..100, default 100),
// NextToken, ScanBy (TimestampDescending | TimestampAscending).
Result<HistoryQuery> parse_describe_alarm_history_request(std::string_view json);
Result<SetAlarmStateRequest> parse_set_alarm_state_request(std::string_view json);
// {"AlarmNames": [...]} (DeleteAlarms, EnableAlarmActions, DisableAlarmActions).
Result<std::vector<std::string>> parse_alarm_names_request(std::string_view json);

// {"MetricAlarms": [...], "CompositeAlarms": [...], "NextToken": "..."}
std::string describe_alarms_response(const storage::Tenant& tenant,
                                     const DescribeAlarmsResult& result, TimeFormat format);
// One MetricAlarm or CompositeAlarm object.
std::string alarm_view_json(const storage::Tenant& tenant, const AlarmView& view,
                            TimeFormat format);
// {"AlarmHistoryItems": [{AlarmName, AlarmType, Timestamp, HistoryItemType, HistorySummary,
// HistoryData}], "NextToken": "..."}
std::string describe_alarm_history_response(const HistoryPage& page, TimeFormat format);

}  // namespace opsight::alarm
