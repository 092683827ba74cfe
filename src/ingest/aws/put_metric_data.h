#pragma once
// CloudWatch PutMetricData, request body of the AWS JSON 1.0 protocol (X-Amz-Target
// GraniteServiceVersion20100801.PutMetricData), decoded into a MetricBatch with the rules of
// the PutMetricData API reference (docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/
// API_PutMetricData.html, API_MetricDatum.html, API_Dimension.html, API_StatisticSet.html).
//
//   {"Namespace":"MyApp","MetricData":[{"MetricName":"Latency","Unit":"Milliseconds",
//     "Dimensions":[{"Name":"Host","Value":"a"}],"Timestamp":1700000000,"Value":12.5}]}
//
// Request-level rules (violations return InvalidArgument, nothing decoded):
//   body is a JSON object; Namespace is a string of 1..255 characters, no control characters,
//   not starting with ":" nor "AWS/"; MetricData is an array of 1..1000 items.
// Item rules (a violation is one ItemError naming the member, e.g.
// "MetricData[2].Dimensions[0].Name", and the item is skipped; the other items are kept):
//   MetricName 1..255 chars; Dimensions <= 30 items, each Name 1..255 ASCII characters, at
//   least one not whitespace, no control characters, not starting with ":" (and, for opsight,
//   not "Namespace" nor starting with "__": those would collide with its own labels), Value
//   1..1024 ASCII characters with the same character rules, no repeated Name; exactly one of
//   Value | Values (1..150 numbers,
//   optional Counts of the same length, each >= 0, total > 0) | StatisticValues (SampleCount
//   > 0, Sum, Minimum <= Maximum, all four required); every number finite with |v| <= 2^360
//   and v == 0 or |v| >= 2^-260; Unit one of CloudWatch's StandardUnit names;
//   StorageResolution 1 or 60 (default 60); Timestamp epoch seconds (number, fractions kept
//   to the millisecond) or an ISO-8601 string ("2024-05-01T12:00:00Z", optional fraction and
//   "+hh:mm" offset); default now_ms.
//
// Mapping (DESIGN.md "Data model"): one series per item with labels __name__ = MetricName,
// Namespace = <Namespace>, and one label per dimension. Value -> float sample; Values/Counts ->
// one statistic set (count = sum of counts, sum = sum of value*count, min/max over values with
// a count > 0); StatisticValues -> statistic set. Unit -> a MetadataEntry (meta.unit) for the
// metric name (one per distinct name/unit pair in the request). StorageResolution is validated
// but adds nothing: every sample is stored at full resolution. Other members (e.g.
// StrictEntityValidation, EntityMetricData) are ignored.
//
// Thread safety: pure function; safe to call concurrently.

#include <cstdint>
#include <string_view>

#include "common/status.h"
#include "ingest/metric_batch.h"

namespace opsight::ingest::aws {

Status decode_put_metric_data(std::string_view json, int64_t now_ms, MetricBatch* out);

// Parses the ISO-8601 date-time forms CloudWatch accepts ("2024-05-01T12:00:00Z",
// "2024-05-01T12:00:00.250+02:00", "2024-05-01T12:00:00" as UTC) into epoch milliseconds.
// Exposed for the other AWS decoders and tests.
Result<int64_t> parse_iso8601_ms(std::string_view s);

}  // namespace opsight::ingest::aws
