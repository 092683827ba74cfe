#pragma once
// CloudWatch Logs metric filter definitions (PutMetricFilter / DescribeMetricFilters /
// DeleteMetricFilter; CloudWatch Logs API reference API_PutMetricFilter.html,
// API_MetricTransformation.html): kept in the meta store as one object per log group, of kind
// "metric-filters" named by the group, whose document is
//   {"filters":[{"filterName":..,"filterPattern":..,"creationTime":<ms>,
//                "metricTransformations":[{"metricName":..,"metricNamespace":..,
//                   "metricValue":..,"defaultValue":<number>,"dimensions":{..},"unit":..}]}]}
// so the ingest path reads a group's filters with one lookup (api/aws/logs/metric_filter_engine.h
// caches them and applies them to every stored event).
//
// Rules (validate_metric_filter): filterName 1..512 characters without ':' or '*'; filterPattern
// at most 1024 characters (its syntax is checked by the caller, which owns the parser);
// exactly one metricTransformation; metricName and metricNamespace 1..255 characters without
// ':', '*' or '$'; metricValue 1..100 characters, a number or a field selector ($.a.b from JSON
// events, $name from space-delimited patterns); at most 3 dimensions, each value a field
// selector, each name 1..255 characters and (opsight labels) not "Namespace" nor "__*"; unit a
// CloudWatch StandardUnit name (absent = "None"); at most 100 filters per log group
// (LimitExceededException). Errors are InvalidArgument with the CloudWatch Logs code as a message
// prefix ("InvalidParameterException: ...").
//
// The store does not check that the log group exists (the front end does) and drops a group's
// filters when asked (DeleteLogGroup).
//
// Thread safety: thread-safe; updates are read-modify-write under the meta store's version
// check, retried on a concurrent change. generation() grows on every change, so a cache can tell
// that it is stale.

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/json_writer.h"
#include "common/status.h"
#include "storage/meta/meta_store.h"

namespace opsight::resources {

inline constexpr size_t kMaxMetricFiltersPerGroup = 100;
inline constexpr size_t kMaxMetricFilterDimensions = 3;
inline constexpr size_t kMaxFilterPatternBytes = 1024;

struct MetricTransformation {
  std::string metric_name;
  std::string metric_namespace;
  std::string metric_value;  // "1", "2.5", "$.latency", "$bytes"
  std::optional<double> default_value;
  std::map<std::string, std::string> dimensions;  // name -> field selector
  std::string unit;                               // "" = None
  bool operator==(const MetricTransformation&) const = default;
};

struct MetricFilter {
  std::string filter_name;
  std::string filter_pattern;
  std::vector<MetricTransformation> transformations;
  int64_t creation_time_ms = 0;  // set by the store
  bool operator==(const MetricFilter&) const = default;
};

// Checks the rules above (not the filter pattern's syntax).
Status validate_metric_filter(const MetricFilter& filter);
// True for "$.selector" / "$name" (non-empty after the prefix).
bool is_field_selector(std::string_view value);

class MetricFilterStore {
 public:
  // `meta` and `clock` must outlive the store.
  MetricFilterStore(storage::meta::MetaStore* meta, Clock* clock) : meta_(meta), clock_(clock) {}

  // Creates or replaces (by filter_name) a filter of `group`; a replaced filter keeps its
  // creation time.
  Status put(const storage::Tenant& tenant, std::string_view group, MetricFilter filter);
  // NotFound ("ResourceNotFoundException: ...") when the group has no such filter.
  Status remove(const storage::Tenant& tenant, std::string_view group,
                std::string_view filter_name);
  // The group's filters by name; empty when it has none.
  Result<std::vector<MetricFilter>> list(const storage::Tenant& tenant, std::string_view group);
  // Every group of the tenant with filters, by group name.
  Result<std::vector<std::pair<std::string, std::vector<MetricFilter>>>> list_all(
      const storage::Tenant& tenant);
  // Drops every filter of the group (absent is fine).
  Status remove_group(const storage::Tenant& tenant, std::string_view group);

  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  template <typename Change>
  Status update(const storage::Tenant& tenant, std::string_view group, Change change);

  storage::meta::MetaStore* meta_;
  Clock* clock_;
  std::atomic<uint64_t> generation_{0};
};

// The stored document of a group's filters and back (exposed for tests).
std::string encode_metric_filters(const std::vector<MetricFilter>& filters);
// Writes the member "metricTransformations": [...] (the API's field names), for the stored
// document and the DescribeMetricFilters answer alike.
void write_metric_transformations(json::Writer& w,
                                  const std::vector<MetricTransformation>& transformations);
Result<std::vector<MetricFilter>> decode_metric_filters(std::string_view doc);

}  // namespace opsight::resources
