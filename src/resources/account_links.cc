#include "resources/account_links.h"

#include <algorithm>

namespace opsight::resources {
namespace {

constexpr size_t kMaxCacheEntries = 10'000;

std::string link_name(std::string_view monitoring, std::string_view source) {
  std::string name(monitoring);
  name += '/';
  name += source;
  return name;
}

Status check_pair(std::string_view monitoring, std::string_view source) {
  if (!is_account_id(monitoring)) {
    return Status::invalid_argument("monitoring account '" + std::string(monitoring) +
                                    "' is not a 12-digit account id");
  }
  if (!is_account_id(source)) {
    return Status::invalid_argument("source account '" + std::string(source) +
                                    "' is not a 12-digit account id");
  }
  if (monitoring == source) {
    return Status::invalid_argument("account " + std::string(source) +
                                    " cannot be linked to itself");
  }
  return Status::ok_status();
}

}  // namespace

bool is_account_id(std::string_view s) {
  return s.size() == 12 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

AccountLinks::AccountLinks(storage::meta::MetaStore* meta, Clock* clock, int64_t cache_ttl_ms)
    : meta_(meta), clock_(clock != nullptr ? clock : Clock::real()), cache_ttl_ms_(cache_ttl_ms) {}

void AccountLinks::forget(std::string_view monitoring) {
  std::lock_guard lock(mu_);
  cache_.erase(std::string(monitoring));
}

Status AccountLinks::link(std::string_view monitoring, std::string_view source) {
  RETURN_IF_ERROR(check_pair(monitoring, source));
  std::string doc = R"({"monitoring":")" + std::string(monitoring) + R"(","source":")" +
                    std::string(source) + R"("})";
  auto put = meta_->put(kLinkTenant, kAccountLinkKind, link_name(monitoring, source), doc, 0);
  forget(monitoring);
  if (!put.ok()) {
    if (put.status().code() == Code::kAlreadyExists) {
      return Status::already_exists("account " + std::string(source) +
                                    " is already linked to monitoring account " +
                                    std::string(monitoring));
    }
    return put.status();
  }
  return Status::ok_status();
}

Status AccountLinks::unlink(std::string_view monitoring, std::string_view source) {
  RETURN_IF_ERROR(check_pair(monitoring, source));
  auto removed = meta_->remove(kLinkTenant, kAccountLinkKind, link_name(monitoring, source));
  forget(monitoring);
  if (!removed.ok()) {
    if (removed.status().code() == Code::kNotFound) {
      return Status::not_found("account " + std::string(source) +
                               " is not linked to monitoring account " + std::string(monitoring));
    }
    return removed.status();
  }
  return Status::ok_status();
}

Result<std::vector<std::pair<std::string, std::string>>> AccountLinks::list() {
  ASSIGN_OR_RETURN(auto objects, meta_->list(kLinkTenant, kAccountLinkKind));
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(objects.size());
  for (const auto& o : objects) {
    const size_t slash = o.name.find('/');
    if (slash == std::string::npos) continue;  // not written by link(); ignore
    std::string m = o.name.substr(0, slash);
    std::string s = o.name.substr(slash + 1);
    if (!is_account_id(m) || !is_account_id(s)) continue;
    out.emplace_back(std::move(m), std::move(s));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<std::string>> AccountLinks::sources(std::string_view monitoring) {
  if (!is_account_id(monitoring)) return std::vector<std::string>{};
  const int64_t now = clock_->now_ms();
  if (cache_ttl_ms_ > 0) {
    std::lock_guard lock(mu_);
    auto it = cache_.find(std::string(monitoring));
    if (it != cache_.end() && it->second.expires_ms > now) return it->second.sources;
  }
  // Links are few; listing them all is one indexed SQLite scan of the kind.
  ASSIGN_OR_RETURN(auto all, list());
  std::vector<std::string> out;
  for (auto& [m, s] : all) {
    if (m == monitoring) out.push_back(std::move(s));
  }
  if (cache_ttl_ms_ > 0) {
    std::lock_guard lock(mu_);
    if (cache_.size() >= kMaxCacheEntries) cache_.clear();
    cache_[std::string(monitoring)] = CacheEntry{out, now + cache_ttl_ms_};
  }
  return out;
}

}  // namespace opsight::resources
