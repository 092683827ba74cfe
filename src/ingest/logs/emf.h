#pragma once
// CloudWatch Embedded Metric Format: a log event whose message is an EMF document also produces
// metrics, as CloudWatch Logs does (Amazon CloudWatch User Guide, "Specification: Embedded metric
// format", CloudWatch_Embedded_Metric_Format_Specification.html):
//
//   {"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"App",
//      "Dimensions":[["Service"],["Service","Op"]],
//      "Metrics":[{"Name":"Latency","Unit":"Milliseconds","StorageResolution":60}]}]},
//    "Service":"api","Op":"get","Latency":[12,15.5]}
//
// Rules checked (spec "MUST"s, and CloudWatch's metric limits):
//   - the message is a JSON object (nothing before or after it) with _aws an object holding
//     CloudWatchMetrics (an array of 1..100 MetricDirectives) and Timestamp (epoch ms, a
//     number >= 0);
//   - a MetricDirective has Namespace (string of 1..255 characters, not starting with ':'),
//     Dimensions (array of DimensionSets; each an array of 0..30 strings, every one naming a root
//     member whose value is a string of 1..1024 characters; the names must not be "Namespace" nor
//     start with "__", as for PutMetricData), Metrics (array of 0..100 MetricDefinitions);
//   - a MetricDefinition has Name (string of 1..1024 characters naming a root member whose value
//     is a number or an array of 1..100 numbers), optional Unit (a CloudWatch StandardUnit name;
//     absent = "None"), optional StorageResolution (1 or 60).
// A message that is not a JSON object, or an object without _aws.CloudWatchMetrics, is not EMF:
// nothing is produced and no error. An EMF document that breaks a rule produces no metrics and
// one ItemError naming the member ("<item>._aws.CloudWatchMetrics[0].Metrics[1].Name") and the
// rule; the log event itself is still stored by the caller.
//
// Mapping (the same labels as PutMetricData, see ingest/aws/put_metric_data.h): for each
// directive, each DimensionSet and each MetricDefinition one series with labels
// __name__ = Name, Namespace = Namespace, and one label per dimension (its root value). A number
// is a float sample; an array of numbers is one statistic set (count, sum, min, max), as
// PutMetricData's Values. Time: _aws.Timestamp. Unit -> a MetadataEntry per distinct
// (name, unit). An empty Dimensions array (or an empty DimensionSet) is one series without
// dimensions.
//
// Thread safety: pure function.

#include <string_view>

#include "ingest/metric_batch.h"

namespace opsight::ingest::logs {

inline constexpr size_t kEmfMaxDirectives = 100;
inline constexpr size_t kEmfMaxMetrics = 100;
inline constexpr size_t kEmfMaxDimensions = 30;
inline constexpr size_t kEmfMaxValues = 100;

// Returns true when `message` is an EMF document (valid or not); then its series are appended
// to *out, or one ItemError to out->errors. `item` names the log event in errors.
bool extract_emf_metrics(std::string_view message, std::string_view item, MetricBatch* out);

// A cheap pre-check a caller may use before extract_emf_metrics: the message starts (after
// spaces) with '{' and contains "_aws".
bool maybe_emf(std::string_view message);

}  // namespace opsight::ingest::logs
