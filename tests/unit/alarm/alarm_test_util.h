#pragma once
// Helpers of the alarm tests: a temporary directory, alarms built in code, series written in
// the CloudWatch guide's notation ("0 - X - X": 0 not breaching, X breaching, - missing; the
// newest period on the right).

#include <stdlib.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "alarm/alarm_model.h"
#include "alarm/evaluation.h"
#include "testing/temp_dir.h"

namespace opsight::alarm::testing {

using TempDir = ::opsight::testing::TempDir;

inline constexpr double kThreshold = 50;
inline constexpr double kBreachingValue = 100;
inline constexpr double kOkValue = 10;

// A GreaterThanThreshold 50 alarm on one metric, Period 60 s.
inline MetricAlarm threshold_alarm(int64_t n, int64_t m, TreatMissingData treat) {
  MetricAlarm a;
  a.alarm_name = "cpu-high";
  a.namespace_name = "AWS/EC2";
  a.metric_name = "CPUUtilization";
  a.statistic = "Average";
  a.dimensions = {{"InstanceId", "i-1"}};
  a.period_s = 60;
  a.evaluation_periods = n;
  a.datapoints_to_alarm = m;
  a.threshold = kThreshold;
  a.comparison = ComparisonOperator::kGreaterThanThreshold;
  a.treat_missing_data = treat;
  return a;
}

// The series for `notation` whose newest period ends at end_ms.
inline AlarmSeries series_of(const MetricAlarm& a, const std::string& notation, int64_t end_ms) {
  std::istringstream in(notation);
  std::vector<std::string> tokens;
  for (std::string t; in >> t;) tokens.push_back(t);
  AlarmSeries s;
  const int64_t p = a.period_s * 1000;
  const int64_t start = end_ms - static_cast<int64_t>(tokens.size()) * p;
  for (size_t i = 0; i < tokens.size(); i++) {
    if (tokens[i] == "-") continue;
    s.timestamps_ms.push_back(start + static_cast<int64_t>(i) * p);
    s.values.push_back(tokens[i] == "X" ? kBreachingValue : kOkValue);
  }
  return s;
}

}  // namespace opsight::alarm::testing
