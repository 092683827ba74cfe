#pragma once
// Anomaly detectors: CloudWatch's PutAnomalyDetector / DescribeAnomalyDetectors /
// DeleteAnomalyDetector (Amazon CloudWatch API reference; data types AnomalyDetector,
// SingleMetricAnomalyDetector, MetricMathAnomalyDetector, AnomalyDetectorConfiguration,
// MetricCharacteristics, Range).
//
// Design
// - A detector is a configuration object of kind "anomaly-detector" in the meta store, per
//   tenant; its name is the SHA-256 hex of the detector's identity (the metric: AccountId,
//   Namespace, MetricName, Dimensions sorted by name, Stat; or the compact MetricDataQueries
//   JSON), its document the canonical PutAnomalyDetector request (anomaly_detector_doc()).
//   Putting a detector with the same identity replaces its configuration.
// - What a detector changes: ANOMALY_DETECTION_BAND over a metric with a single-metric
//   detector is trained without the points inside the detector's ExcludedTimeRanges
//   (excluded_ranges(); the server's anomaly model asks for them). Metric-math detectors are
//   stored and described; a band over a computed series has no metric identity to match.
// - StateValue is derived when described: the injected TrainingProbe counts the metric's usable
//   points of the last 14 days (0 -> PENDING_TRAINING, fewer than kMinTrainingPoints ->
//   TRAINED_INSUFFICIENT_DATA, else TRAINED); without a probe every detector is
//   PENDING_TRAINING.
// - Each tenant's detectors are read from the meta store on first use and kept in memory.
//
// Validation (errors name the parameter and carry CloudWatch's code): exactly one of the
// legacy top-level metric fields (Namespace, MetricName, Dimensions, Stat), a
// SingleMetricAnomalyDetector and a MetricMathAnomalyDetector (InvalidParameterCombination);
// Namespace and MetricName 1..255, Stat a statistic, Dimensions <= 30 with Name 1..255 and
// Value 1..1024 and unique names; MetricDataQueries: valid Metric Math queries with exactly one
// ReturnData true; ExcludedTimeRanges: StartTime < EndTime, at most 100 ranges;
// MetricTimezone <= 50 characters; at most kMaxAnomalyDetectors per tenant (LimitExceeded).
//
// Thread safety: thread-safe. Mutations hold the service mutex across their meta-store write,
// so the cache never disagrees with the store after a call returns.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alarm/alarm_json.h"
#include "alarm/alarm_model.h"
#include "common/labels.h"
#include "common/status.h"
#include "storage/meta/meta_store.h"

namespace opsight::alarm {

inline constexpr size_t kMaxAnomalyDetectors = 500;  // per tenant
inline constexpr size_t kMaxExcludedTimeRanges = 100;
inline constexpr size_t kMinTrainingPoints = 5;  // anomaly::SeasonalModel::kMinTrainPoints
inline constexpr int64_t kTrainingHistoryMs = 14LL * 86'400'000;

enum class AnomalyDetectorType { kSingleMetric, kMetricMath };
// "SINGLE_METRIC", "METRIC_MATH".
std::string_view anomaly_detector_type_name(AnomalyDetectorType t);

// A half-open time range [start_ms, end_ms) the model must not learn from.
struct ExcludedRange {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  bool operator==(const ExcludedRange&) const = default;
};

struct AnomalyDetector {
  AnomalyDetectorType type = AnomalyDetectorType::kSingleMetric;
  // SINGLE_METRIC
  std::string account_id, namespace_name, metric_name, stat;
  std::vector<Dimension> dimensions;  // sorted by name
  // METRIC_MATH: the MetricDataQueries array, compact JSON.
  std::string metric_data_queries_json;
  // Configuration and MetricCharacteristics.
  std::vector<ExcludedRange> excluded;
  std::string metric_timezone;
  std::optional<bool> periodic_spikes;
  bool operator==(const AnomalyDetector&) const = default;
};

// The identity key (what Put replaces and Delete names).
std::string anomaly_detector_key(const AnomalyDetector& d);

// PutAnomalyDetector / DeleteAnomalyDetector requests (Delete ignores Configuration and
// MetricCharacteristics). Also parses stored documents.
Result<AnomalyDetector> parse_anomaly_detector_request(std::string_view json);
// The canonical PutAnomalyDetector request (the stored document; epoch-seconds times).
std::string anomaly_detector_doc(const AnomalyDetector& d);

enum class AnomalyDetectorState { kPendingTraining, kTrainedInsufficientData, kTrained };
// "PENDING_TRAINING", "TRAINED_INSUFFICIENT_DATA", "TRAINED".
std::string_view anomaly_detector_state_name(AnomalyDetectorState s);

struct DescribeAnomalyDetectorsRequest {
  std::string namespace_name, metric_name;
  std::vector<Dimension> dimensions;       // a detector matches when it has all of them
  std::vector<AnomalyDetectorType> types;  // empty: all
  size_t max_results = 100;                // 1..100
  std::string next_token;
};
Result<DescribeAnomalyDetectorsRequest> parse_describe_anomaly_detectors_request(
    std::string_view json);

struct AnomalyDetectorView {
  AnomalyDetector detector;
  AnomalyDetectorState state = AnomalyDetectorState::kPendingTraining;
};
struct DescribeAnomalyDetectorsResult {
  std::vector<AnomalyDetectorView> detectors;
  std::string next_token;
};
// {"AnomalyDetectors": [AnomalyDetector...], "NextToken"?}; single-metric detectors show the
// deprecated top-level fields too, as CloudWatch does.
std::string describe_anomaly_detectors_response(const DescribeAnomalyDetectorsResult& r,
                                                TimeFormat format);

// Counts the usable points of the detector's metric in [now - kTrainingHistoryMs, now).
using TrainingProbe =
    std::function<Result<size_t>(const storage::Tenant& tenant, const AnomalyDetector& d)>;

class AnomalyDetectorService {
 public:
  // `meta` must outlive the service; `probe` may be empty.
  AnomalyDetectorService(storage::meta::MetaStore* meta, TrainingProbe probe);

  Status put(const storage::Tenant& tenant, const AnomalyDetector& d);
  // ResourceNotFoundException when there is no detector with that identity.
  Status remove(const storage::Tenant& tenant, const AnomalyDetector& d);
  Result<DescribeAnomalyDetectorsResult> describe(const storage::Tenant& tenant,
                                                  const DescribeAnomalyDetectorsRequest& r);
  // The ExcludedTimeRanges of the tenant's single-metric detector for the metric whose series
  // labels are `identity` (query::metricmath::metric_identity) read as `stat`; empty when
  // there is none. Called by the anomaly model on every band computation.
  Result<std::vector<ExcludedRange>> excluded_ranges(const storage::Tenant& tenant,
                                                     const Labels& identity, std::string_view stat);

 private:
  struct Entry {
    AnomalyDetector detector;
    Labels identity;  // single-metric: the series labels of the metric
  };
  using TenantDetectors = std::map<std::string, Entry>;  // by key (sha256 hex)
  // mu_ held: the tenant's detectors, loaded on first use.
  Result<TenantDetectors*> load_locked(const storage::Tenant& tenant);

  storage::meta::MetaStore* meta_;
  TrainingProbe probe_;
  std::mutex mu_;
  std::map<storage::Tenant, TenantDetectors> cache_;  // guarded by mu_
};

}  // namespace opsight::alarm
