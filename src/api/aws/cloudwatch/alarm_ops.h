#pragma once
// The CloudWatch alarm and anomaly-detector operations (Amazon CloudWatch API reference,
// 2010-08-01) as CwOperations (cloudwatch_ops.h: AWS JSON 1.0 text in and out, timestamps as
// epoch seconds). Each is a thin translation onto the services the native API uses:
//   PutMetricAlarm, PutCompositeAlarm   alarm::AlarmService::put_alarm (parsers of
//                                       alarm_model.h); Tags go to the tag store when the call
//                                       creates the alarm (CloudWatch ignores Tags on an
//                                       update: use TagResource)                     -> {}
//   DescribeAlarms                      describe_alarms -> MetricAlarms, CompositeAlarms,
//                                       NextToken
//   DescribeAlarmsForMetric             MetricName, Namespace (required), Statistic,
//                                       ExtendedStatistic, Dimensions (exact set), Period,
//                                       Unit -> MetricAlarms: the single-metric alarms on that
//                                       metric and the Metrics-form alarms with a MetricStat
//                                       query on it
//   DescribeAlarmHistory                describe_alarm_history -> AlarmHistoryItems, NextToken
//   SetAlarmState                       set_alarm_state -> {}
//   EnableAlarmActions / DisableAlarmActions  set_actions_enabled -> {}
//   DeleteAlarms                        delete_alarms (all or nothing), then the alarms' tags
//                                       are dropped -> {}
//   PutAnomalyDetector / DeleteAnomalyDetector / DescribeAnomalyDetectors
//                                       alarm::AnomalyDetectorService -> {} / {} /
//                                       AnomalyDetectors, NextToken
//
// Thread safety: the operations are thread-safe (the services are).

#include "alarm/alarm_service.h"
#include "alarm/anomaly_detectors.h"
#include "api/aws/cloudwatch/cloudwatch_ops.h"
#include "resources/tag_store.h"

namespace opsight::api::aws {

struct CwAlarmOpsDeps {
  alarm::AlarmService* alarms;
  alarm::AnomalyDetectorService* anomaly_detectors;
  resources::TagStore* tags;
};

// Adds the twelve operations to `table` (replacing entries of the same name). The deps must
// outlive the table.
void add_cloudwatch_alarm_ops(CwOperationTable& table, const CwAlarmOpsDeps& deps);

}  // namespace opsight::api::aws
