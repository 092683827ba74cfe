#pragma once
// Alarm state changes as correlation signals: the "CloudWatch Alarm State Change" event
// (alarm/alarm_event.h writes it) turned into a Signal, without linking the alarm library.
//
//   kind      kAlarm
//   source    detail.alarmName
//   state     detail.state.value ("ALARM", "OK", "INSUFFICIENT_DATA")
//   time_ms   detail.state.timestamp ("2024-01-02T03:04:05.123+0000"), else the envelope's time
//   service   the first metric dimension (metricStat.metric.dimensions) or PromQL/SQL label
//             matcher in a metric expression (name="value", name = 'value') whose name is, case-
//             insensitively, service, servicename, service.name, service_name or job;
//             "" for composite alarms (detail.configuration.alarmRule) and when none is found
//   dimensions every metric dimension, name lower-cased; "host" from host/hostname/InstanceId/
//             instance; "namespace" and "metric" of the first metric; "alarm_type" for composite
//   severity  0.7 for ALARM, 0.1 for INSUFFICIENT_DATA, 0 for OK
//   summary   "<alarm> <STATE>: <reason>"
//
// Thread safety: pure function.

#include <string_view>

#include "aiops/correlate/signal.h"
#include "common/status.h"
#include "storage/metric_store.h"  // storage::Tenant

namespace opsight::aiops {

// InvalidArgument when the text is not JSON, not that detail-type, or lacks detail.alarmName or
// detail.state.value. The signal carries `tenant` (the event's account/region are not trusted).
Result<Signal> signal_from_alarm_event(const storage::Tenant& tenant, std::string_view event_json);

}  // namespace opsight::aiops
