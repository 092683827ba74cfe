#pragma once
// Change analysis (kind "change"): change events (events/change_event.h: deploys, configuration
// changes, scaling, feature flags) shortly before the window W = [start, end).
//
// Reads the changes of the tenant in [start - kChangeLookbackMs, end) (events::list_changes, at
// most 10,000). A change at time t scores
//   0.9                                 when t in [start - 15 min, start + 5 min],
//   0.9 * exp(-d / 5 min)               when earlier, d = (start - 15 min) - t,
//   0.9 * exp(-d / 10 min)              when later,   d = t - (start + 5 min)
// (a change just before the onset is the classic cause; one long before or well after it less
// so). Changes scoring below kMinChangeStrength are dropped.
//
// Output: one finding per changed service (component = the change's service, component_type
// "service"), with the strength and onset (= change time) of its best-scoring change, facts
// {"minutes_before_start", "changes"}, a clause from templates per kind
//   deploy  "payment was deployed v2.3.1 at 10:01:30"
//   config  "payment's configuration changed (v7) at 10:01:30"
//   scale   "payment was scaled at 10:01:30"
//   flag    "a feature flag of payment was flipped at 10:01:30"
// and one "change" evidence {"event": <EventBridge envelope>} per change (best first, <= 5) with
// link /api/v1/events/change?service=<service>&start=<ms>&end=<ms> (the lookback range).
// Findings are sorted by strength, strongest first.
//
// Thread safety: reads the thread-safe store; concurrent calls are safe.

#include <cstdint>
#include <vector>

#include "aiops/investigate/analysis_window.h"
#include "aiops/investigate/investigation.h"
#include "common/status.h"
#include "events/event_store.h"

namespace opsight::aiops {

inline constexpr int64_t kChangeLookbackMs = 30 * 60 * 1000;
inline constexpr double kMinChangeStrength = 0.01;

// Findings (kind "change"), strongest first. InvalidArgument when the window is empty; store
// errors are returned.
Result<std::vector<ComponentFinding>> analyze_changes(const events::EventStore& events,
                                                      const AnalysisWindow& w);

}  // namespace opsight::aiops
