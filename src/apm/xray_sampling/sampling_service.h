#pragma once
// X-Ray centralized sampling (AWS X-Ray developer guide "Configuring sampling rules"; API
// reference GetSamplingRules, GetSamplingTargets, GetSamplingStatisticSummaries).
//
// Design:
//   - Rules live in the meta store (kind kSamplingRuleKind, one object per rule, the document is
//     the SamplingRule JSON). The Default rule (priority 10000, reservoir 1/s, rate 5%) is
//     created on first use and cannot be deleted.
//   - A rule's ReservoirSize is traces per second for the whole fleet. Every client that sent
//     statistics for the rule within `client_ttl_ms` is active; the reservoir is divided evenly
//     among the active clients (sorted by ClientID, the first `ReservoirSize mod n` get one
//     more), so the quotas add up to exactly ReservoirSize. Each quota is valid until
//     now + quota_ttl_ms (ReservoirQuotaTTL); a client then samples
//     min(requests, quota) + FixedRate * (requests beyond the quota) per second, so the fleet
//     samples min(R, reservoir) + FixedRate * max(0, R - reservoir) of R requests per second
//     (reservoir 50, rate 10%, 100 req/s -> 55/s).
//   - LastRuleModification is the time of the last create/update/delete in this process (or its
//     start time, so clients that fetched before a restart fetch once more).
//   - Statistics (RequestCount, SampledCount, BorrowCount) are summed per rule since the process
//     started, with the time of the last report (GetSamplingStatisticSummaries). They are in
//     memory only.
//
// Thread safety: SamplingService is thread-safe (one mutex over the in-memory state; rule
// writes go to the meta store, which is itself thread-safe).

#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "apm/xray_sampling/sampling_rule.h"
#include "common/clock.h"
#include "storage/meta/meta_store.h"

namespace opsight::apm::xray {

struct SamplingOptions {
  int64_t client_ttl_ms = 30'000;  // a client is active this long after its last report
  int64_t quota_ttl_ms = 60'000;   // ReservoirQuotaTTL = now + this
  int64_t interval_s = 10;         // Interval: how often clients report
};

// The quota of the client at `index` (0-based, in ClientID order) of `clients` active clients.
int64_t reservoir_share(int64_t reservoir_size, size_t clients, size_t index);
// Traces per second the fleet samples for `requests_per_second` matching requests.
double expected_sampled_per_second(int64_t reservoir_size, double fixed_rate,
                                   double requests_per_second);

class SamplingService {
 public:
  SamplingService(storage::meta::MetaStore* meta, Clock* clock, SamplingOptions options = {});

  // Every rule of the tenant, by priority then name (the Default rule last).
  Result<std::vector<SamplingRuleRecord>> rules(const storage::Tenant& tenant);
  // AlreadyExists when a rule of that name exists; InvalidArgument for a bad rule.
  Result<SamplingRuleRecord> create_rule(const storage::Tenant& tenant, const SamplingRule& rule);
  // NotFound when the rule does not exist.
  Result<SamplingRuleRecord> update_rule(const storage::Tenant& tenant,
                                         const SamplingRuleUpdate& update);
  // Returns the deleted rule; InvalidArgument for the Default rule; NotFound when absent.
  Result<SamplingRuleRecord> delete_rule(const storage::Tenant& tenant, std::string_view name);

  // Records the statistics and answers a target per known rule; unknown rules are listed as
  // unprocessed (ErrorCode "400").
  Result<SamplingTargets> targets(const storage::Tenant& tenant,
                                  std::span<const SamplingStatisticsDocument> statistics);
  std::vector<SamplingStatisticSummary> statistic_summaries(const storage::Tenant& tenant) const;
  int64_t last_rule_modification_ms(const storage::Tenant& tenant) const;

 private:
  struct RuleState {
    std::map<std::string, int64_t> clients;  // ClientID -> last report (ms)
    SamplingStatisticSummary totals;
  };
  struct TenantState {
    int64_t last_modified_ms = 0;
    std::map<std::string, RuleState> rules;  // by RuleName
  };
  TenantState& state_locked(const storage::Tenant& tenant);
  void touch(const storage::Tenant& tenant, std::string_view forget_rule);

  storage::meta::MetaStore* meta_;
  Clock* clock_;
  SamplingOptions options_;
  const int64_t start_ms_;
  mutable std::mutex mu_;
  std::map<storage::Tenant, TenantState> tenants_;  // guarded by mu_
};

}  // namespace opsight::apm::xray
