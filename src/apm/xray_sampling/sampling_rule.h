#pragma once
// X-Ray sampling rules: the model, its validation, and the JSON of the X-Ray API (AWS X-Ray API
// reference: SamplingRule, SamplingRuleUpdate, SamplingRuleRecord, CreateSamplingRule,
// UpdateSamplingRule, DeleteSamplingRule, GetSamplingRules, GetSamplingTargets,
// SamplingStatisticsDocument, SamplingTargetDocument).
//
// Validation follows the API reference's constraints: RuleName 1..32 characters; Priority
// 1..9999 (the Default rule has 10000); FixedRate 0..1; ReservoirSize >= 0; ServiceName,
// ServiceType and Host at most 64 characters, HTTPMethod 10, URLPath 128, ResourceARN 500;
// Version 1 (the only rule format); Attributes keys and values 1..32 characters, at most 5.
// Every error names the field and the rule.
//
// Thread safety: plain values and pure functions.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "storage/metric_store.h"  // Tenant

namespace opsight::apm::xray {

inline constexpr std::string_view kDefaultRuleName = "Default";
inline constexpr int64_t kDefaultRulePriority = 10000;
inline constexpr double kDefaultRuleFixedRate = 0.05;
inline constexpr int64_t kDefaultRuleReservoirSize = 1;
// The meta store kind of a sampling rule (object name = RuleName, document = the rule's JSON).
inline constexpr std::string_view kSamplingRuleKind = "xray.sampling_rule";

struct SamplingRule {
  std::string rule_name;
  std::string resource_arn = "*";
  int64_t priority = 0;
  double fixed_rate = 0;
  int64_t reservoir_size = 0;
  std::string service_name = "*";
  std::string service_type = "*";
  std::string host = "*";
  std::string http_method = "*";
  std::string url_path = "*";
  int64_t version = 1;
  std::vector<std::pair<std::string, std::string>> attributes;
  bool operator==(const SamplingRule&) const = default;
};

// The rule "Default" (priority 10000, 1 per second, 5%): it always exists.
SamplingRule default_sampling_rule();

// A stored rule with its times (Unix ms).
struct SamplingRuleRecord {
  SamplingRule rule;
  int64_t created_ms = 0;
  int64_t modified_ms = 0;
};

// Fields of UpdateSamplingRule: absent fields keep their value.
struct SamplingRuleUpdate {
  std::string rule_name;  // from RuleName or the last segment of RuleARN
  std::optional<std::string> resource_arn;
  std::optional<int64_t> priority;
  std::optional<double> fixed_rate;
  std::optional<int64_t> reservoir_size;
  std::optional<std::string> service_name, service_type, host, http_method, url_path;
  std::optional<std::vector<std::pair<std::string, std::string>>> attributes;
};

// One SamplingStatisticsDocument of GetSamplingTargets.
struct SamplingStatisticsDocument {
  std::string rule_name;
  std::string client_id;
  int64_t request_count = 0;
  int64_t sampled_count = 0;
  int64_t borrow_count = 0;
  int64_t timestamp_ms = 0;  // 0 when absent
};

struct SamplingTargetDocument {
  std::string rule_name;
  double fixed_rate = 0;
  int64_t reservoir_quota = 0;
  int64_t reservoir_quota_ttl_ms = 0;
  int64_t interval_s = 10;
};

struct UnprocessedStatistics {
  std::string rule_name;
  std::string error_code;
  std::string message;
};

struct SamplingTargets {
  std::vector<SamplingTargetDocument> documents;
  int64_t last_rule_modification_ms = 0;
  std::vector<UnprocessedStatistics> unprocessed;
};

struct SamplingStatisticSummary {
  std::string rule_name;
  int64_t timestamp_ms = 0;  // the last report
  int64_t request_count = 0;
  int64_t borrow_count = 0;
  int64_t sampled_count = 0;
};

// How timestamps are written in responses.
enum class TimeStyle {
  // AWS's REST-JSON wire form: epoch seconds as JSON numbers (AWS CLI, AWS SDKs, the Go and
  // Java X-Ray SDKs and OpenTelemetry's X-Ray samplers).
  kEpochSeconds,
  // What aws-xray-sdk-core (Node.js, lib/middleware/sampling/service_connector.js) parses: it
  // requires LastRuleModification to be a JSON number and converts it with
  // `new Date(x).getTime() / 1000`, i.e. reads a number as milliseconds, and converts
  // ReservoirQuotaTTL the same way, which reads an ISO-8601 string correctly. So: LastRule-
  // Modification in epoch milliseconds, ReservoirQuotaTTL as an ISO-8601 string, and no quota
  // fields when the quota is 0 (the SDK ignores a 0 quota but would refresh the old quota's TTL).
  kXraySdkNode,
};

// "" when `rule` is valid, else the field and rule it breaks.
std::string validate_sampling_rule(const SamplingRule& rule);

// arn:aws:xray:<region>:<account>:sampling-rule/<name>
std::string sampling_rule_arn(const storage::Tenant& tenant, std::string_view name);

// Applies an update (the Default rule only takes FixedRate and ReservoirSize: InvalidArgument
// for other fields), then validates.
Status apply_sampling_rule_update(const SamplingRuleUpdate& update, SamplingRule* rule);

// --- JSON (request bodies and stored documents) ---

// A SamplingRule object (stored documents, CreateSamplingRule's "SamplingRule").
Result<SamplingRule> parse_sampling_rule_json(std::string_view json);
std::string sampling_rule_json(const SamplingRule& rule, const storage::Tenant& tenant);

// Request bodies of the X-Ray API.
Result<SamplingRule> parse_create_sampling_rule_request(std::string_view body);
Result<SamplingRuleUpdate> parse_update_sampling_rule_request(std::string_view body);
// {"RuleName": ...} or {"RuleARN": ...} -> the rule name.
Result<std::string> parse_delete_sampling_rule_request(std::string_view body);
Result<std::vector<SamplingStatisticsDocument>> parse_sampling_targets_request(
    std::string_view body);

// Response bodies.
std::string sampling_rule_record_json(const SamplingRuleRecord& record,
                                      const storage::Tenant& tenant, TimeStyle style);
// {"SamplingRuleRecord": {...}} (Create/Update/Delete).
std::string sampling_rule_record_response(const SamplingRuleRecord& record,
                                          const storage::Tenant& tenant);
std::string get_sampling_rules_response(std::span<const SamplingRuleRecord> records,
                                        const storage::Tenant& tenant, TimeStyle style);
std::string sampling_targets_response(const SamplingTargets& targets, TimeStyle style);
std::string sampling_statistic_summaries_response(
    std::span<const SamplingStatisticSummary> summaries);

// "2024-05-01T12:00:00.123Z"
std::string iso8601_ms(int64_t unix_ms);

}  // namespace opsight::apm::xray
