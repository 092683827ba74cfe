#pragma once
// CloudWatch's StandardUnit names (Amazon CloudWatch API reference, MetricDatum.Unit; the same
// list in CloudWatch Logs' MetricTransformation.unit and the Embedded Metric Format).
//
// Thread safety: pure function.

#include <string_view>

namespace opsight {

// True when `unit` is one of the StandardUnit names ("Seconds", "Count/Second", "None", ...).
bool is_cloudwatch_unit(std::string_view unit);

}  // namespace opsight
