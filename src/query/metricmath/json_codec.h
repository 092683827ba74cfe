#pragma once
// GetMetricData request and response in CloudWatch's JSON shape (the AWS JSON 1.0 protocol
// field names of API_GetMetricData.html), shared by the native endpoint
// (POST /api/v1/metrics/data), the AWS front end and the alarm subsystem (an alarm's Metrics
// array is a list of MetricDataQuery).
//
//   {"MetricDataQueries":[
//      {"Id":"m1","MetricStat":{"Metric":{"Namespace":"App","MetricName":"Latency",
//        "Dimensions":[{"Name":"Host","Value":"a"}]},"Period":60,"Stat":"p99","Unit":"Milliseconds"},
//       "ReturnData":false},
//      {"Id":"e1","Expression":"m1 / 1000","Label":"Latency (s)","Period":60}],
//    "StartTime":1700000000,"EndTime":"2023-11-14T23:13:20Z","ScanBy":"TimestampAscending",
//    "MaxDatapoints":1000,"NextToken":"...","LabelOptions":{"Timezone":"+0130"}}
//
// Times: epoch seconds (a number, fractions kept to the millisecond) or a string: ISO-8601 /
// RFC 3339 (without an offset it is UTC), epoch seconds, 13-digit epoch milliseconds, or
// "now" / "now-3h" relative to now_ms. Unknown members are ignored. Errors are InvalidArgument
// naming the member path ("MetricDataQueries[1].MetricStat.Period: must be an integer").
//
// Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "query/metricmath/get_metric_data.h"

namespace opsight::query::metricmath {

Result<GetMetricDataRequest> parse_get_metric_data_json(std::string_view json, int64_t now_ms);

// A JSON array of MetricDataQuery objects (e.g. PutMetricAlarm's Metrics).
Result<std::vector<MetricDataQuery>> parse_metric_data_queries_json(std::string_view json);

enum class TimestampFormat {
  kEpochSeconds,  // numbers, as the AWS JSON protocols send timestamps
  kIso8601,       // "2024-05-01T12:00:00Z" strings
};

// {"MetricDataResults":[{"Id","Label","Timestamps","Values","StatusCode","Messages"}],
//  "NextToken" (when set),"Messages":[{"Code","Value"}]}
std::string encode_get_metric_data_result(const GetMetricDataResult& result,
                                          TimestampFormat format = TimestampFormat::kEpochSeconds);

}  // namespace opsight::query::metricmath
