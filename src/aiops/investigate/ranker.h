#pragma once
// The ranker: combines the findings of every analysis per component into ranked hypotheses.
//
// Scoring (per component; every strength is in [0, 1]):
//   score = 1 - prod over its findings of (1 - w(kind) * strength)     (a noisy-OR)
//   with w(errors) = w(latency) = w(dependency) = 1.0, w(saturation) = 0.6, w(logs) = 0.5,
//   w(change) = 0.5. A change finding counts only as a boost: when the component has another
//   finding, or when the change is at most 15 min before the investigation's onset (the earliest
//   onset of all non-change findings). "symptom" findings (trace_analysis.h) weigh 0: they only
//   feed the explanation.
// Onset ordering along the call graph (a fault's effects move from callee to caller): when a
//   component reaches, along the edges, a callee whose onset is earlier or equal and which has a
//   comparable finding of the same kind (same kind, or either is "dependency"; strength at least
//   half the component's), the component is more likely a victim: score x 0.5 (once).
// Hint: a request's `service` multiplies the score of that component and of every component it
//   reaches by 1.2 (clipped to 1).
// Hypothesis: kind = the kind of the component's strongest weighted finding; onset = that
//   finding's onset (else the earliest known); component = "<component> <operation>" of the
//   strongest finding naming an operation, else the component; evidence = the findings'
//   evidence, strongest finding first (at most kMaxEvidence); explanation from explain.h.
// Ties are broken by component name, so the order is deterministic. Components scoring below
// kMinScore are dropped.
//
// Thread safety: pure function.

#include <cstddef>
#include <set>
#include <string_view>
#include <vector>

#include "aiops/investigate/investigation.h"

namespace opsight::aiops {

inline constexpr double kVictimFactor = 0.5;
inline constexpr double kHintFactor = 1.2;
inline constexpr int64_t kChangeLeadMs = 15 * 60 * 1000;
inline constexpr double kMinScore = 0.01;
inline constexpr size_t kMaxEvidence = 10;

// The weight of a finding kind in the score (0 for unknown kinds and "symptom").
double kind_weight(std::string_view kind);

// Ranked hypotheses, best first, at most `max`.
std::vector<Hypothesis> rank(std::vector<ComponentFinding> findings,
                             const std::set<CallEdge>& edges, const InvestigationRequest& req,
                             size_t max = 5);

}  // namespace opsight::aiops
