#pragma once
// Log analysis (kind "logs"): per log group, the log patterns that are new in the window
// W = [start, end) or whose rate spiked against the baseline B = [baseline_start, start).
//
// Group -> service: a group "/otel/<service>" (how OTLP logs are grouped when the resource has no
// aws.log.group.names, see ingest/logs/otlp_logs_model.h) is <service>; any other group takes the
// most frequent value of the record field `service.name`, `service_name` or `service` (OTLP record
// attributes, Loki structured metadata, JSON message keys) among its sampled window events, else
// the group's own name.
//
// Sampling (bounds the work per group and per call):
// - B: the newest kLogSampleEvents events before start (scanned newest first); the rate is taken
//   over the part of B they cover.
// - W: up to kMaxLogWindowScan events scanned oldest first, of which a uniform reservoir sample
//   (Vitter's algorithm R, seeded by the group name: deterministic) of kLogSampleEvents is kept;
//   window counts are scaled by scanned / kept.
// - All groups together scan at most kMaxLogEventsScanned events; stats->log_events_scanned counts
//   them, and a cut sets stats->complete = false, stopped_by "log events limit".
// - Messages are cut to kMaxLogLineBytes before mining.
// A group with no event in B, or a B that covers less than a minute, is not compared (every
// pattern would look new).
//
// Patterns: the sampled B and W lines are mined in one batch (query/patterns/pattern_miner.h), so
// a template means the same thing on both sides. Per pattern, with k its count in the W sample,
// c_B its count in B, f = W scanned / W kept, d_W and d_B the covered durations:
//   rate_B = max(c_B, 0.5) / d_B   (half a count when absent: the pattern is "new")
//   lambda = rate_B * d_W / f      (expected count in the W sample)
//   ratio  = (k * f / d_W) / rate_B
// A pattern is reported when k >= 3, ratio >= 3 and the Poisson tail P(X >= k | lambda) <= 0.001
// (a one-sided test of a rate increase). Its weight is 1 when it is severe (most of its W lines
// have severity WARN or worse: SeverityNumber >= 13 or a severity text starting WARN, ERR, FATAL,
// CRIT, SEVERE, ALERT, EMERG) or its template contains error, exception, fail, timeout, timed out,
// refused; else 0.5.
//   pattern strength = weight * magnitude * (1 - exp(-k*f / 10)),
//   magnitude = 1 for a new pattern, else min(1, log2(ratio) / 6).
// Finding per group: strength = 1 - prod(1 - s_i) over its 3 strongest patterns (noisy-or), onset
// = the first W event of any of them, facts {"window_count", "baseline_count", "ratio", "new",
// "patterns"} of the strongest, a clause such as
// `payment logs: new ERROR pattern "connect to <*> refused" (42 in window) from 10:02:05`, and one
// "log_pattern" evidence per reported pattern (<= 3, each with <= 3 W sample lines) with link
// /api/v1/logs/patterns?group=<group>&start=<ms>&end=<ms>.
// Findings are sorted by strength, strongest first.
//
// Thread safety: reads the thread-safe store; concurrent calls are safe.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "aiops/investigate/analysis_window.h"
#include "aiops/investigate/investigation.h"
#include "common/status.h"
#include "storage/log_store.h"

namespace opsight::aiops {

inline constexpr size_t kLogSampleEvents = 20'000;
inline constexpr uint64_t kMaxLogWindowScan = 200'000;
inline constexpr uint64_t kMaxLogEventsScanned = 2'000'000;
inline constexpr size_t kMaxLogGroups = 1000;
inline constexpr size_t kMaxLogLineBytes = 1024;

// Findings (kind "logs"), strongest first. InvalidArgument when the window is empty or the
// baseline starts after the window. `stats` may be null; when given, log_events_scanned is
// increased and complete/stopped_by set when a bound cut the work short. Store errors are
// returned (a group deleted during the call is skipped).
Result<std::vector<ComponentFinding>> analyze_logs(storage::LogStore& logs, const AnalysisWindow& w,
                                                   InvestigationStats* stats);

}  // namespace opsight::aiops
