#include "aiops/investigate/explain.h"

#include <fmt/format.h>

#include <cmath>
#include <ctime>
#include <deque>
#include <map>

namespace opsight::aiops {
namespace {

double fact(const ComponentFinding& f, const char* key, double fallback) {
  auto it = f.facts.find(key);
  return it == f.facts.end() ? fallback : it->second;
}

// Every service that reaches `component` along the edges (its direct and indirect callers).
std::set<std::string> callers_of(std::string_view component, const std::set<CallEdge>& edges) {
  std::map<std::string, std::vector<std::string>, std::less<>> up;  // callee -> callers
  for (const CallEdge& e : edges) up[e.callee].push_back(e.caller);
  std::set<std::string> seen;
  std::deque<std::string> todo = {std::string(component)};
  while (!todo.empty()) {
    auto it = up.find(todo.front());
    todo.pop_front();
    if (it == up.end()) continue;
    for (const std::string& c : it->second) {
      if (c != component && seen.insert(c).second) todo.push_back(c);
    }
  }
  return seen;
}

std::string effect_clause(std::string_view component, int64_t onset_ms,
                          std::span<const ComponentFinding> symptoms,
                          const std::set<CallEdge>& edges) {
  if (onset_ms <= 0 || symptoms.empty()) return {};
  const std::set<std::string> callers = callers_of(component, edges);
  const ComponentFinding* best = nullptr;
  for (const ComponentFinding& s : symptoms) {
    if (s.onset_ms <= 0 || s.onset_ms < onset_ms || !callers.contains(s.component)) continue;
    const bool errors = fact(s, "measure", 0) == 1;
    if (best == nullptr) {
      best = &s;
      continue;
    }
    const bool best_errors = fact(*best, "measure", 0) == 1;
    if (errors != best_errors ? errors : s.onset_ms < best->onset_ms) best = &s;
  }
  if (best == nullptr) return {};
  const std::string what = fact(*best, "measure", 0) == 1 ? "errors" : "latency";
  const int64_t gap_s = (best->onset_ms - onset_ms) / 1000;
  if (gap_s < 10) return fmt::format(", as {}'s {} rose", best->component, what);
  return fmt::format(", {} s before {}'s {}", gap_s, best->component, what);
}

std::string share_clause(const ComponentFinding& f) {
  auto share = f.facts.find("share");
  auto measure = f.facts.find("measure");
  if (share == f.facts.end() || measure == f.facts.end() || share->second <= 0) return {};
  std::string where = f.component;
  if (!f.operation.empty()) where += " " + f.operation;
  if (measure->second == 1) {
    return fmt::format("{} of failing traces originate in {}", format_percent(share->second),
                       where);
  }
  return fmt::format("{} of the window's extra time is spent in {}", format_percent(share->second),
                     where);
}

}  // namespace

std::string format_utc_clock(int64_t ms) {
  const time_t secs = static_cast<time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  return fmt::format("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string format_ratio(double ratio) {
  if (!std::isfinite(ratio)) return "many times";
  if (ratio >= 100) return fmt::format("{:.0f}x", ratio);
  return fmt::format("{:.1f}x", ratio);
}

std::string format_percent(double share) {
  const double p = share * 100;
  if (p >= 10 || p == 0) return fmt::format("{:.0f}%", p);
  if (p >= 1) return fmt::format("{:.1f}%", p);
  return fmt::format("{:.2f}%", p);
}

std::string explain(std::string_view component, std::span<const ComponentFinding* const> own,
                    std::span<const ComponentFinding> symptoms, const std::set<CallEdge>& edges) {
  if (own.empty()) return {};
  const ComponentFinding& lead = *own[0];
  std::string out = lead.clause.empty()
                        ? fmt::format("{} shows a {} deviation", component, lead.kind)
                        : lead.clause;
  out += effect_clause(component, lead.onset_ms, symptoms, edges);
  if (std::string s = share_clause(lead); !s.empty()) out += "; " + s;
  std::set<std::string> used = {lead.clause};
  for (size_t i = 1; i < own.size(); i++) {
    const std::string& c = own[i]->clause;
    if (c.empty() || !used.insert(c).second) continue;
    out += "; " + c;
  }
  return out;
}

}  // namespace opsight::aiops
