// X-Ray centralized sampling service (the design block is in sampling_service.h).
#include "apm/xray_sampling/sampling_service.h"

#include <fmt/format.h>

#include <algorithm>

namespace opsight::apm::xray {
namespace {

Result<SamplingRuleRecord> to_record(const storage::meta::MetaObject& o) {
  auto rule = parse_sampling_rule_json(o.doc);
  if (!rule.ok()) {
    return Status::corruption(fmt::format("stored sampling rule \"{}\" is unreadable: {}", o.name,
                                          rule.status().message()));
  }
  return SamplingRuleRecord{std::move(*rule), o.created_ms, o.updated_ms};
}

}  // namespace

int64_t reservoir_share(int64_t reservoir_size, size_t clients, size_t index) {
  if (clients == 0 || reservoir_size <= 0) return 0;
  const auto n = static_cast<int64_t>(clients);
  return reservoir_size / n + (static_cast<int64_t>(index) < reservoir_size % n ? 1 : 0);
}

double expected_sampled_per_second(int64_t reservoir_size, double fixed_rate,
                                   double requests_per_second) {
  const double reservoir = static_cast<double>(std::max<int64_t>(0, reservoir_size));
  const double taken = std::min(requests_per_second, reservoir);
  return taken + fixed_rate * std::max(0.0, requests_per_second - reservoir);
}

SamplingService::SamplingService(storage::meta::MetaStore* meta, Clock* clock,
                                 SamplingOptions options)
    : meta_(meta), clock_(clock), options_(options), start_ms_(clock->now_ms()) {}

SamplingService::TenantState& SamplingService::state_locked(const storage::Tenant& tenant) {
  auto [it, inserted] = tenants_.try_emplace(tenant);
  if (inserted) it->second.last_modified_ms = start_ms_;
  return it->second;
}

void SamplingService::touch(const storage::Tenant& tenant, std::string_view forget_rule) {
  std::lock_guard<std::mutex> lock(mu_);
  TenantState& t = state_locked(tenant);
  t.last_modified_ms = std::max(clock_->now_ms(), t.last_modified_ms + 1);
  if (!forget_rule.empty()) t.rules.erase(std::string(forget_rule));
}

Result<std::vector<SamplingRuleRecord>> SamplingService::rules(const storage::Tenant& tenant) {
  ASSIGN_OR_RETURN(auto objects, meta_->list(tenant, kSamplingRuleKind));
  const bool has_default = std::any_of(objects.begin(), objects.end(),
                                       [](const auto& o) { return o.name == kDefaultRuleName; });
  if (!has_default) {
    const SamplingRule d = default_sampling_rule();
    auto put = meta_->put(tenant, kSamplingRuleKind, d.rule_name, sampling_rule_json(d, tenant),
                          int64_t{0});
    if (put.ok()) {
      objects.push_back(*put);
    } else if (put.status().code() == Code::kAlreadyExists) {
      ASSIGN_OR_RETURN(auto o, meta_->get(tenant, kSamplingRuleKind, kDefaultRuleName));
      objects.push_back(std::move(o));
    } else {
      return put.status();
    }
  }
  std::vector<SamplingRuleRecord> out;
  out.reserve(objects.size());
  for (const auto& o : objects) {
    ASSIGN_OR_RETURN(auto rec, to_record(o));
    out.push_back(std::move(rec));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.rule.priority != b.rule.priority ? a.rule.priority < b.rule.priority
                                              : a.rule.rule_name < b.rule.rule_name;
  });
  return out;
}

Result<SamplingRuleRecord> SamplingService::create_rule(const storage::Tenant& tenant,
                                                        const SamplingRule& rule) {
  if (std::string e = validate_sampling_rule(rule); !e.empty()) {
    return Status::invalid_argument(e);
  }
  if (rule.rule_name == kDefaultRuleName) {
    return Status::already_exists("the Default rule always exists: update it instead");
  }
  auto put = meta_->put(tenant, kSamplingRuleKind, rule.rule_name, sampling_rule_json(rule, tenant),
                        int64_t{0});
  if (!put.ok()) {
    if (put.status().code() == Code::kAlreadyExists) {
      return Status::already_exists(
          fmt::format("a sampling rule named \"{}\" already exists", rule.rule_name));
    }
    return put.status();
  }
  touch(tenant, rule.rule_name);
  return SamplingRuleRecord{rule, put->created_ms, put->updated_ms};
}

Result<SamplingRuleRecord> SamplingService::update_rule(const storage::Tenant& tenant,
                                                        const SamplingRuleUpdate& update) {
  if (update.rule_name == kDefaultRuleName) RETURN_IF_ERROR(rules(tenant).status());
  auto cur = meta_->get(tenant, kSamplingRuleKind, update.rule_name);
  if (!cur.ok()) {
    if (cur.status().code() == Code::kNotFound) {
      return Status::not_found(
          fmt::format("sampling rule \"{}\" does not exist", update.rule_name));
    }
    return cur.status();
  }
  ASSIGN_OR_RETURN(SamplingRuleRecord rec, to_record(*cur));
  RETURN_IF_ERROR(apply_sampling_rule_update(update, &rec.rule));
  ASSIGN_OR_RETURN(auto put, meta_->put(tenant, kSamplingRuleKind, rec.rule.rule_name,
                                        sampling_rule_json(rec.rule, tenant), cur->version));
  touch(tenant, {});
  rec.modified_ms = put.updated_ms;
  return rec;
}

Result<SamplingRuleRecord> SamplingService::delete_rule(const storage::Tenant& tenant,
                                                        std::string_view name) {
  if (name == kDefaultRuleName) {
    return Status::invalid_argument("the Default rule cannot be deleted");
  }
  auto gone = meta_->remove(tenant, kSamplingRuleKind, name);
  if (!gone.ok()) {
    if (gone.status().code() == Code::kNotFound) {
      return Status::not_found(fmt::format("sampling rule \"{}\" does not exist", name));
    }
    return gone.status();
  }
  touch(tenant, name);
  return to_record(*gone);
}

Result<SamplingTargets> SamplingService::targets(
    const storage::Tenant& tenant, std::span<const SamplingStatisticsDocument> statistics) {
  ASSIGN_OR_RETURN(auto all, rules(tenant));
  std::map<std::string_view, const SamplingRule*> by_name;
  for (const auto& r : all) by_name[r.rule.rule_name] = &r.rule;
  const int64_t now = clock_->now_ms();
  SamplingTargets out;
  std::lock_guard<std::mutex> lock(mu_);
  TenantState& t = state_locked(tenant);
  out.last_rule_modification_ms = t.last_modified_ms;
  // Record every report first, so clients reporting in one request see each other.
  for (const auto& s : statistics) {
    if (by_name.count(s.rule_name) == 0) continue;
    RuleState& rs = t.rules[s.rule_name];
    rs.clients[s.client_id] = now;
    rs.totals.rule_name = s.rule_name;
    rs.totals.timestamp_ms = now;
    rs.totals.request_count += s.request_count;
    rs.totals.sampled_count += s.sampled_count;
    rs.totals.borrow_count += s.borrow_count;
  }
  for (const auto& s : statistics) {
    auto it = by_name.find(s.rule_name);
    if (it == by_name.end()) {
      out.unprocessed.push_back(
          {s.rule_name, "400", fmt::format("sampling rule \"{}\" does not exist", s.rule_name)});
      continue;
    }
    RuleState& rs = t.rules[s.rule_name];
    std::erase_if(rs.clients,
                  [&](const auto& c) { return c.second + options_.client_ttl_ms < now; });
    const auto pos = std::distance(rs.clients.begin(), rs.clients.find(s.client_id));
    SamplingTargetDocument d;
    d.rule_name = s.rule_name;
    d.fixed_rate = it->second->fixed_rate;
    d.reservoir_quota =
        reservoir_share(it->second->reservoir_size, rs.clients.size(), static_cast<size_t>(pos));
    d.reservoir_quota_ttl_ms = now + options_.quota_ttl_ms;
    d.interval_s = options_.interval_s;
    out.documents.push_back(std::move(d));
  }
  return out;
}

std::vector<SamplingStatisticSummary> SamplingService::statistic_summaries(
    const storage::Tenant& tenant) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SamplingStatisticSummary> out;
  auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return out;
  for (const auto& [name, rs] : it->second.rules) out.push_back(rs.totals);
  return out;
}

int64_t SamplingService::last_rule_modification_ms(const storage::Tenant& tenant) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tenants_.find(tenant);
  return it == tenants_.end() ? start_ms_ : it->second.last_modified_ms;
}

}  // namespace opsight::apm::xray
