#pragma once
// Alarm endpoints of the native API: a thin JSON front end over alarm::AlarmService. Bodies use
// CloudWatch's field names exactly as alarm/alarm_json.h and alarm/alarm_model.h parse and
// encode them (timestamps ISO 8601); docs/alarms.md "REST API and CLI" has an example for each.
//
//   PUT  /api/v1/alarms/metric            PutMetricAlarm document   -> the alarm (+ "AlarmType")
//   PUT  /api/v1/alarms/composite         PutCompositeAlarm document -> the alarm
//   GET  /api/v1/alarms                   DescribeAlarms; query parameters AlarmNames (repeated
//                                         or comma-separated), AlarmNamePrefix, AlarmTypes
//                                         (likewise), StateValue, ActionPrefix,
//                                         ChildrenOfAlarmName, ParentsOfAlarmName, MaxRecords,
//                                         NextToken
//   POST /api/v1/alarms                   DescribeAlarms with the JSON request
//                                         -> {"MetricAlarms", "CompositeAlarms", "NextToken"}
//   GET  /api/v1/alarms/:name             one alarm of either type (+ "AlarmType"); 404 unknown
//   POST /api/v1/alarms/delete            {"AlarmNames": [...]} (all or nothing) -> {}
//   POST /api/v1/alarms/enable-actions    {"AlarmNames": [...]} -> {}
//   POST /api/v1/alarms/disable-actions   {"AlarmNames": [...]} -> {}
//   POST /api/v1/alarms/set-state         SetAlarmState JSON -> the alarm
//   GET  /api/v1/alarms/history           DescribeAlarmHistory; query parameters AlarmName,
//   POST /api/v1/alarms/history           AlarmTypes, HistoryItemType, StartDate, EndDate (RFC
//                                         3339, Unix seconds, ms or "now-1h"), MaxRecords,
//                                         NextToken, ScanBy; POST takes the JSON request
//   GET    /api/v1/alarms/targets         {"Targets": [alarm-target objects]}
//   PUT    /api/v1/alarms/targets/:name   alarm-target object ("Name" may be left out; when
//                                         given it must equal :name) -> the stored target
//   DELETE /api/v1/alarms/targets/:name   -> {}; 404 when unknown
//
// Alarm names may hold any printable ASCII, '/' included: GET /api/v1/alarms/:name takes the
// rest of the percent-encoded request target as the name (encode '/' as %2F or not at all). An
// alarm named "history" or "targets" is read with GET /api/v1/alarms?AlarmNames=... instead. A
// name holding ',' must be given through POST /api/v1/alarms (the GET form splits on commas).
// Like CloudWatch, DescribeAlarms without AlarmTypes returns metric alarms only.
//
// Errors: {"code": "<CloudWatch error code>", "message": "..."} where the message names the
// parameter and the rule: 400 InvalidParameterValue / MissingParameter /
// InvalidParameterCombination / ValidationError / InvalidFormat / InvalidNextToken,
// 404 ResourceNotFound, 409 on a conflict, 413 for a body over 1 MiB, 429/503 passed through
// with Retry-After.
//
// Thread safety: the handlers hold no state; AlarmService is thread-safe.

#include "alarm/alarm_service.h"
#include "api/http/http.h"
#include "common/clock.h"

namespace opsight::api {

struct AlarmsDeps {
  alarm::AlarmService* alarms;
  Clock* clock;  // "now" of relative StartDate/EndDate parameters
};

void register_alarms_api(Router& router, const AlarmsDeps& deps);

}  // namespace opsight::api
