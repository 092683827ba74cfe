#pragma once
// CloudWatch Logs metric filters applied at ingest (Amazon CloudWatch Logs User Guide,
// "Creating metrics from log events using filters" and "Filter pattern syntax for metric
// filters"): every log event written to a group — by any ingest path, through
// ingest/logs/log_writer — is matched against the group's filters (resources/metric_filters.h),
// and each match publishes one sample, at the event's timestamp, to the metric
//   __name__ = metricName, Namespace = metricNamespace, one label per dimension
// (the labels PutMetricData uses), with metricValue: a number, or a field of the event — $.a.b
// (a JSON message's key, flattened as Logs Insights discovers fields; $.a[0].b reads a.0.b) or
// $name (a named field of a space-delimited pattern). An event whose value field is missing or
// not a number, or whose dimension field is missing, publishes nothing. A non-matching event
// publishes defaultValue when the filter has one and no dimensions. Samples of one series at
// the same millisecond within a batch are combined into one statistic set (count, sum, min,
// max), so CloudWatch's SampleCount and Sum stay right. The unit becomes series metadata.
//
// Design: a group's filters are compiled once (patterns parsed) and cached by (tenant, group);
// the cache is dropped whenever the definition store's generation changes, so a group without
// filters costs one hash lookup per stream of a batch and nothing per event.
//
// Thread safety: derive() is thread-safe (shared lock on the cache; compiled filters are
// immutable and shared).

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "ingest/logs/log_metrics_hook.h"
#include "query/insights/filter_pattern.h"
#include "resources/metric_filters.h"

namespace opsight::api::aws {

class MetricFilterEngine final : public ingest::logs::LogMetricsHook {
 public:
  // `store` must outlive the engine.
  explicit MetricFilterEngine(resources::MetricFilterStore* store) : store_(store) {}

  void derive(const storage::Tenant& tenant, std::string_view group,
              std::span<const storage::LogEvent> events, ingest::MetricBatch* out) const override;

  // The field name a "$.a[0].b" selector reads ("a.0.b"); "" for anything else.
  static std::string json_field_name(std::string_view selector);

  struct Compiled;
  struct GroupFilters;

 private:
  std::shared_ptr<const GroupFilters> filters_of(const storage::Tenant& tenant,
                                                 std::string_view group) const;

  resources::MetricFilterStore* store_;
  mutable std::shared_mutex mu_;
  mutable uint64_t generation_ = UINT64_MAX;  // of the cached entries
  mutable std::unordered_map<std::string, std::shared_ptr<const GroupFilters>> cache_;
};

}  // namespace opsight::api::aws
