// The CloudWatch member types, from the Amazon CloudWatch API reference (API version
// 2010-08-01): the Actions pages of PutMetricData, GetMetricData, GetMetricStatistics,
// ListMetrics, PutMetricAlarm, PutCompositeAlarm, DescribeAlarms, DescribeAlarmsForMetric,
// DescribeAlarmHistory, SetAlarmState, Enable/DisableAlarmActions, DeleteAlarms,
// Put/Describe/DeleteAnomalyDetector(s), Put/Get/List/DeleteDashboard(s), TagResource,
// UntagResource, ListTagsForResource, and the Data Types pages they reference (MetricDatum,
// StatisticSet, Dimension, DimensionFilter, Metric, MetricStat, MetricDataQuery,
// MetricDataResult, MessageData, LabelOptions, Datapoint, MetricAlarm, CompositeAlarm,
// AlarmHistoryItem, AnomalyDetector, AnomalyDetectorConfiguration, Range,
// MetricCharacteristics, SingleMetricAnomalyDetector, MetricMathAnomalyDetector,
// DashboardEntry, DashboardValidationMessage, Tag, Entity, EntityMetricData).
// Every member not listed is a string (or a structure/list of strings, visible in the data).
#include "api/aws/protocol/shapes.h"

namespace opsight::api::aws {

ShapeTable& ShapeTable::add(std::string_view member, MemberShape shape, std::string_view parent) {
  entries_[std::string(parent) + '/' + std::string(member)] = shape;
  return *this;
}

MemberShape ShapeTable::lookup(std::string_view parent, std::string_view member) const {
  std::string key;
  key.reserve(parent.size() + member.size() + 1);
  if (!parent.empty()) {
    key.append(parent).append("/").append(member);
    auto it = entries_.find(key);
    if (it != entries_.end()) return it->second;
  }
  key.assign("/").append(member);
  auto it = entries_.find(key);
  return it == entries_.end() ? MemberShape{} : it->second;
}

ShapeTable& ShapeTable::add_operation_without_output(std::string_view operation) {
  without_output_.emplace(operation);
  return *this;
}

bool ShapeTable::has_output(std::string_view operation) const {
  return without_output_.find(operation) == without_output_.end();
}

namespace {

ShapeTable build() {
  using T = ScalarType;
  const MemberShape kInt{T::kInteger, false, false};
  const MemberShape kDouble{T::kDouble, false, false};
  const MemberShape kBool{T::kBoolean, false, false};
  const MemberShape kTime{T::kTimestamp, false, false};
  const MemberShape kStrings{T::kString, true, false};
  const MemberShape kStringMap{T::kString, false, true};
  ShapeTable t;
  // Integers (Period and friends are Integer; DashboardEntry.Size is Long).
  for (auto m : {"Period", "EvaluationPeriods", "DatapointsToAlarm", "MaxRecords", "MaxResults",
                 "MaxDatapoints", "StorageResolution", "ActionsSuppressorWaitPeriod",
                 "ActionsSuppressorExtensionPeriod", "Size"}) {
    t.add(m, kInt);
  }
  // Doubles: StatisticSet / Datapoint statistics, MetricAlarm.Threshold, MetricDatum.Value.
  for (auto m : {"Threshold", "SampleCount", "Sum", "Minimum", "Maximum", "Average"}) {
    t.add(m, kDouble);
  }
  t.add("Value", kDouble, "MetricData");  // MetricDatum.Value (Dimension/MessageData: string)
  t.add("Values", MemberShape{T::kDouble, true, false});  // MetricDatum, MetricDataResult
  t.add("Counts", MemberShape{T::kDouble, true, false});  // MetricDatum
  // Booleans.
  for (auto m : {"ActionsEnabled", "ReturnData", "IncludeLinkedAccounts", "StrictEntityValidation",
                 "PeriodicSpikes"}) {
    t.add(m, kBool);
  }
  // Timestamps.
  for (auto m : {"Timestamp", "StartTime", "EndTime", "StartDate", "EndDate",
                 "AlarmConfigurationUpdatedTimestamp", "StateUpdatedTimestamp",
                 "StateTransitionedTimestamp", "LastModified"}) {
    t.add(m, kTime);
  }
  t.add("Timestamps", MemberShape{T::kTimestamp, true, false});  // MetricDataResult
  // Maps: Datapoint.ExtendedStatistics (DatapointValueMap; the request member of the same name
  // is a list of strings), AlarmHistoryItem.AlarmContributorAttributes, Entity attributes.
  t.add("ExtendedStatistics", MemberShape{T::kDouble, false, true}, "Datapoints");
  t.add("ExtendedStatistics", kStrings);
  t.add("AlarmContributorAttributes", kStringMap);
  t.add("KeyAttributes", kStringMap);
  t.add("Attributes", kStringMap);
  // Lists of strings (an empty awsQuery value "X=" is an empty list).
  for (auto m : {"Statistics", "AlarmNames", "AlarmTypes", "OKActions", "AlarmActions",
                 "InsufficientDataActions", "DashboardNames", "TagKeys", "AnomalyDetectorTypes",
                 "OwningAccounts"}) {
    t.add(m, kStrings);
  }
  // Lists of structures.
  for (auto m : {"MetricData", "Dimensions", "MetricDataQueries", "MetricDataResults", "Messages",
                 "Datapoints", "Metrics", "MetricAlarms", "CompositeAlarms", "AlarmHistoryItems",
                 "AnomalyDetectors", "ExcludedTimeRanges", "DashboardEntries",
                 "DashboardValidationMessages", "Tags", "EntityMetricData"}) {
    t.add(m, MemberShape{T::kString, true, false});
  }
  // Operations without an output shape.
  for (auto op : {"PutMetricData", "PutMetricAlarm", "PutCompositeAlarm", "SetAlarmState",
                  "DeleteAlarms", "EnableAlarmActions", "DisableAlarmActions"}) {
    t.add_operation_without_output(op);
  }
  return t;
}

}  // namespace

const ShapeTable& cloudwatch_shapes() {
  static const ShapeTable table = build();
  return table;
}

}  // namespace opsight::api::aws
