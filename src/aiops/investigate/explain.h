#pragma once
// Plain-language explanations of hypotheses, from templates only (no language model): built from
// the findings' clauses and facts, e.g.
//   "payment latency rose 8.1x at 10:02:10, 40 s before checkout's errors; 92% of the window's
//    extra time is spent in payment POST /charges; payment was deployed v2.3.1 at 10:01:30"
// Parts, in order:
//   1. the leading finding's clause (the component's strongest finding);
//   2. the effect upstream: the caller (a service that reaches the component along the call
//      edges) whose "symptom" (entry-span errors or latency, see trace_analysis.h) started at or
//      after the onset: ", N s before <caller>'s errors" (", as <caller>'s errors rose" when
//      less than 10 s apart); errors are preferred over latency, then the earliest;
//   3. the trace share of the leading finding when it has one (facts "share" and "measure"):
//      "92% of failing traces originate in <component> <operation>" or "92% of the window's extra
//      time is spent in <component> <operation>";
//   4. the clauses of the component's other findings (saturation, logs, change, ...).
// Times are UTC HH:MM:SS.
//
// Thread safety: pure functions.

#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "aiops/investigate/investigation.h"

namespace opsight::aiops {

// "HH:MM:SS" of a Unix ms time, in UTC.
std::string format_utc_clock(int64_t ms);
// "8.1x" (one decimal below 100, none above).
std::string format_ratio(double ratio);
// A share or rate in [0, 1] as a percentage: "92%", "2.5%", "0.12%".
std::string format_percent(double share);

// The explanation of one hypothesis on `component`: `own` are its findings, strongest first
// (own[0] leads; empty gives ""); `symptoms` the investigation's "symptom" findings; `edges` the
// call graph of the window.
std::string explain(std::string_view component, std::span<const ComponentFinding* const> own,
                    std::span<const ComponentFinding> symptoms, const std::set<CallEdge>& edges);

}  // namespace opsight::aiops
