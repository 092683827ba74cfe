#include "aiops/watch/red_detector.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace opsight::aiops::watch {
namespace {

double clamp01(double v) {
  return std::clamp(v, 0.0, 1.0);
}

std::string percent(double ratio) {
  return fmt::format("{:.3g}%", ratio * 100);
}

std::string duration(double seconds) {
  if (seconds < 1) return fmt::format("{:.3g} ms", seconds * 1000);
  return fmt::format("{:.3g} s", seconds);
}

std::string rate(double per_s) {
  return fmt::format("{:.3g}/s", per_s);
}

}  // namespace

Status RedRules::validate() const {
  auto bad = [](std::string_view field, std::string_view rule) {
    return Status::invalid_argument(fmt::format("RED watcher rule {}: {}", field, rule));
  };
  if (window_ms <= 0) return bad("window_ms", "must be positive");
  if (baseline_ms <= 0) return bad("baseline_ms", "must be positive");
  for (auto [name, v] : {std::pair<std::string_view, double>{"min_requests", min_requests},
                         {"fault_ratio_floor", fault_ratio_floor},
                         {"fault_ratio_factor", fault_ratio_factor},
                         {"fault_ratio_margin", fault_ratio_margin},
                         {"latency_factor", latency_factor},
                         {"latency_min_increase_s", latency_min_increase_s},
                         {"traffic_min_baseline_rps", traffic_min_baseline_rps}}) {
    if (!(v >= 0)) return bad(name, "must not be negative");
  }
  if (!(traffic_drop_factor >= 0 && traffic_drop_factor < 1)) {
    return bad("traffic_drop_factor", "must be in [0, 1)");
  }
  if (recovery_passes < 1) return bad("recovery_passes", "must be at least 1");
  return OkStatus();
}

double RedCounts::rate_per_s() const {
  return interval_ms > 0 ? requests * 1000.0 / static_cast<double>(interval_ms) : 0;
}

double RedCounts::fault_ratio() const {
  return requests > 0 ? faults / requests : 0;
}

double RedCounts::mean_latency_s() const {
  return duration_count > 0 ? duration_sum_s / duration_count : 0;
}

std::string_view red_aspect_name(RedAspect aspect) {
  switch (aspect) {
    case RedAspect::kErrors:
      return "errors";
    case RedAspect::kLatency:
      return "latency";
    case RedAspect::kTraffic:
      return "traffic";
  }
  return "errors";
}

std::vector<RedDeviation> red_deviations(const RedObservation& obs, const RedRules& rules) {
  std::vector<RedDeviation> out;
  const RedCounts& w = obs.window;
  const RedCounts& b = obs.baseline;
  if (w.requests >= rules.min_requests) {
    const double ratio = w.fault_ratio();
    const double base = b.fault_ratio();
    const double limit = std::max(rules.fault_ratio_floor,
                                  rules.fault_ratio_factor * base + rules.fault_ratio_margin);
    if (ratio >= limit) {
      // 5% -> 0.53, 30% -> 0.73, 100% -> 1.
      out.push_back({RedAspect::kErrors, ratio, base, clamp01(0.4 + 0.6 * std::sqrt(ratio))});
    }
  }
  if (w.duration_count >= rules.min_requests && b.duration_count >= rules.min_requests) {
    const double mean = w.mean_latency_s();
    const double base = b.mean_latency_s();
    if (base > 0 && mean >= rules.latency_factor * base &&
        mean - base >= rules.latency_min_increase_s) {
      // x3 -> 0.45, x6 -> 0.6, x12 -> 0.75, x24 -> 0.9.
      const double factor = mean / base;
      out.push_back({RedAspect::kLatency, mean, base,
                     clamp01(0.45 + 0.15 * std::log2(factor / rules.latency_factor))});
    }
  }
  const double base_rate = b.rate_per_s();
  if (base_rate >= rules.traffic_min_baseline_rps && b.requests >= rules.min_requests) {
    const double now_rate = w.rate_per_s();
    if (now_rate <= rules.traffic_drop_factor * base_rate) {
      // A drop by 80% -> 0.5, to zero -> 0.9.
      const double drop = 1 - now_rate / base_rate;
      out.push_back(
          {RedAspect::kTraffic, now_rate, base_rate, std::clamp(0.5 + 2 * (drop - 0.8), 0.5, 0.9)});
    }
  }
  return out;
}

IncreasePair counter_increase(std::span<const storage::ValuePoint> points, int64_t a, int64_t b,
                              int64_t c) {
  IncreasePair out;
  bool have_prev = false;
  double prev = 0;
  for (const auto& p : points) {
    if (std::isnan(p.v)) continue;
    if (p.t > c) break;
    if (have_prev && p.t > a) {
      const double inc = p.v >= prev ? p.v - prev : p.v;
      (p.t <= b ? out.first : out.second) += inc;
    }
    prev = p.v;
    have_prev = true;
  }
  return out;
}

std::string red_summary(std::string_view service, std::string_view operation, const RedDeviation& d,
                        bool recovered) {
  const std::string who =
      operation.empty() ? std::string(service) : fmt::format("{} {}", service, operation);
  const char* verb = recovered ? " back to" : "";
  switch (d.aspect) {
    case RedAspect::kErrors:
      return fmt::format("{} fault ratio{} {} (baseline {})", who, verb, percent(d.value),
                         percent(d.baseline));
    case RedAspect::kLatency:
      if (recovered) {
        return fmt::format("{} mean latency back to {} (baseline {})", who, duration(d.value),
                           duration(d.baseline));
      }
      return fmt::format("{} mean latency {} (baseline {}, x{:.1f})", who, duration(d.value),
                         duration(d.baseline), d.baseline > 0 ? d.value / d.baseline : 0.0);
    case RedAspect::kTraffic:
      return fmt::format("{} request rate{} {} (baseline {})", who, verb, rate(d.value),
                         rate(d.baseline));
  }
  return who;
}

Signal RedDetector::make_signal(const Key& key, const RedDeviation& d, bool recovered,
                                int64_t now_ms) const {
  const auto& [tenant, service, operation, aspect] = key;
  Signal s;
  s.tenant = tenant;
  s.kind = SignalKind::kRed;
  s.source = fmt::format("{}/{}/{}", service, operation, red_aspect_name(aspect));
  s.service = service;
  s.dimensions["operation"] = operation;
  s.state = recovered ? "OK" : "ALARM";
  s.time_ms = now_ms;
  s.severity = recovered ? 0 : d.severity;
  s.summary = red_summary(service, operation, d, recovered);
  return s;
}

RedDetector::PassCounts RedDetector::observe(
    const storage::Tenant& tenant, const std::map<ServiceOperation, RedObservation>& observations,
    int64_t now_ms, const SignalSink& sink) {
  PassCounts counts;
  std::set<Key> seen;
  auto within_bounds = [&](const Key& key, RedDeviation current) {
    auto it = tracks_.find(key);
    if (it == tracks_.end()) return;
    if (++it->second.ok_passes < rules_.recovery_passes) return;
    current.severity = 0;
    if (sink(make_signal(key, current, /*recovered=*/true, now_ms))) {
      counts.recoveries++;
      tracks_.erase(it);
    } else {
      counts.rejected++;
    }
  };
  for (const auto& [so, obs] : observations) {
    counts.evaluated++;
    std::vector<RedDeviation> devs = red_deviations(obs, rules_);
    for (RedAspect aspect : {RedAspect::kErrors, RedAspect::kLatency, RedAspect::kTraffic}) {
      Key key{tenant, so.first, so.second, aspect};
      seen.insert(key);
      auto dev = std::find_if(devs.begin(), devs.end(),
                              [&](const RedDeviation& d) { return d.aspect == aspect; });
      if (dev == devs.end()) {
        // The values now, for the OK summary.
        RedDeviation now{aspect, 0, 0, 0};
        if (aspect == RedAspect::kErrors) {
          now.value = obs.window.fault_ratio();
          now.baseline = obs.baseline.fault_ratio();
        } else if (aspect == RedAspect::kLatency) {
          now.value = obs.window.mean_latency_s();
          now.baseline = obs.baseline.mean_latency_s();
        } else {
          now.value = obs.window.rate_per_s();
          now.baseline = obs.baseline.rate_per_s();
        }
        within_bounds(key, now);
        continue;
      }
      auto it = tracks_.find(key);
      if (it != tracks_.end()) {
        it->second.ok_passes = 0;
        it->second.last = *dev;
        continue;
      }
      if (sink(make_signal(key, *dev, /*recovered=*/false, now_ms))) {
        counts.alarms++;
        tracks_.emplace(key, Track{*dev, 0});
      } else {
        counts.rejected++;
      }
    }
  }
  // Sources in ALARM whose (service, operation) had no data this pass.
  std::vector<Key> missing;
  for (auto it = tracks_.lower_bound(Key{tenant, "", "", RedAspect::kErrors});
       it != tracks_.end() && std::get<0>(it->first) == tenant; ++it) {
    if (!seen.count(it->first)) missing.push_back(it->first);
  }
  for (const Key& key : missing) {
    RedDeviation none{std::get<3>(key), 0, tracks_[key].last.baseline, 0};
    within_bounds(key, none);
  }
  return counts;
}

}  // namespace opsight::aiops::watch
