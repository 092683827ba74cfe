#include "aiops/investigate/change_analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <utility>

#include "common/json_writer.h"
#include "common/time_util.h"
#include "events/change_event.h"
#include "net/http_client.h"

namespace opsight::aiops {
namespace {

constexpr int64_t kMinute = 60'000;
constexpr double kPeak = 0.9;
constexpr int64_t kPeakBeforeMs = 15 * kMinute;
constexpr int64_t kPeakAfterMs = 5 * kMinute;
constexpr double kDecayBeforeMs = 5 * kMinute;
constexpr double kDecayAfterMs = 10 * kMinute;
constexpr size_t kMaxEvidence = 5;

double change_strength(int64_t t, int64_t start) {
  const int64_t lo = start - kPeakBeforeMs, hi = start + kPeakAfterMs;
  if (t < lo) return kPeak * std::exp(-static_cast<double>(lo - t) / kDecayBeforeMs);
  if (t > hi) return kPeak * std::exp(-static_cast<double>(t - hi) / kDecayAfterMs);
  return kPeak;
}

std::string clock_time(int64_t ms) {
  std::string s = format_rfc3339_ms(ms);  // 2024-01-02T03:04:05.123Z
  return s.size() >= 19 ? s.substr(11, 8) : s;
}

std::string clause_of(const events::ChangeEvent& c) {
  const std::string at = " at " + clock_time(c.time_ms);
  const std::string version = c.version.empty() ? "" : " (" + c.version + ")";
  if (c.kind == "deploy") {
    return fmt::format("{} was deployed{}{}", c.service, c.version.empty() ? "" : " " + c.version,
                       at);
  }
  if (c.kind == "config")
    return fmt::format("{}'s configuration changed{}{}", c.service, version, at);
  if (c.kind == "scale") return fmt::format("{} was scaled{}{}", c.service, version, at);
  if (c.kind == "flag") {
    return fmt::format("a feature flag of {} was flipped{}{}", c.service, version, at);
  }
  return fmt::format("{} changed ({}){}{}", c.service, c.kind, version, at);
}

struct Scored {
  events::ChangeEvent change;
  double strength = 0;
};

}  // namespace

Result<std::vector<ComponentFinding>> analyze_changes(const events::EventStore& events,
                                                      const AnalysisWindow& w) {
  if (w.end_ms <= w.start_ms) {
    return Status::invalid_argument(
        fmt::format("analysis window: need start < end, got {}, {}", w.start_ms, w.end_ms));
  }
  const int64_t from = w.start_ms - kChangeLookbackMs;
  ASSIGN_OR_RETURN(auto changes, events::list_changes(events, w.tenant, from, w.end_ms));
  std::map<std::string, std::vector<Scored>> by_service;
  for (auto& c : changes) {
    double s = change_strength(c.time_ms, w.start_ms);
    if (s < kMinChangeStrength || c.service.empty()) continue;
    std::string service = c.service;
    by_service[service].push_back({std::move(c), s});
  }
  std::vector<ComponentFinding> out;
  for (auto& [service, scored] : by_service) {
    // Best first; ties: the later change (closer to the onset) first.
    std::stable_sort(scored.begin(), scored.end(), [](const Scored& a, const Scored& b) {
      if (a.strength != b.strength) return a.strength > b.strength;
      return a.change.time_ms > b.change.time_ms;
    });
    const Scored& top = scored.front();
    ComponentFinding f;
    f.component = service;
    f.component_type = "service";
    f.kind = "change";
    f.strength = std::clamp(top.strength, 0.0, 1.0);
    f.onset_ms = top.change.time_ms;
    f.facts = {
        {"minutes_before_start", static_cast<double>(w.start_ms - top.change.time_ms) / kMinute},
        {"changes", static_cast<double>(scored.size())}};
    f.clause = clause_of(top.change);
    const std::string link = fmt::format("/api/v1/events/change?service={}&start={}&end={}",
                                         net::url_encode(service), from, w.end_ms);
    for (size_t i = 0; i < scored.size() && i < kMaxEvidence; i++) {
      const events::ChangeEvent& c = scored[i].change;
      json::Writer j;
      j.begin_object().key("event").raw(events::event_json(events::change_to_event(w.tenant, c)));
      j.end_object();
      Evidence e;
      e.type = "change";
      e.title = fmt::format("{} {} {}{}{} at {}", c.kind, c.service, c.version,
                            c.author.empty() ? "" : " by ", c.author, format_rfc3339_ms(c.time_ms));
      e.link = link;
      e.data_json = j.take();
      f.evidence.push_back(std::move(e));
    }
    out.push_back(std::move(f));
  }
  std::stable_sort(
      out.begin(), out.end(),
      [](const ComponentFinding& a, const ComponentFinding& b) { return a.strength > b.strength; });
  return out;
}

}  // namespace opsight::aiops
