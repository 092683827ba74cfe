#pragma once
// The investigator: validates a request, picks the baseline, runs every analysis whose source is
// set (traces, metrics, logs, change events) and ranks their findings into hypotheses.
//
//   baseline = [start - clamp(3 x (end - start), min_baseline_ms, max_baseline_ms), start)
//
// A trace analysis error fails the investigation (the traces are its main source). An error of
// the metric, log or change analysis does not: the investigation goes on without it and reports
// stats.complete = false with stopped_by naming the analysis and its error.
// The deadline bounds the trace scan (the other analyses bound themselves); a cut scan is
// reported the same way (stopped_by "traces: deadline").
//
// Thread safety: investigate() may run on several threads at once (the stores are thread-safe).

#include <cstddef>
#include <cstdint>

#include "aiops/investigate/investigation.h"
#include "common/clock.h"
#include "common/status.h"
#include "events/event_store.h"
#include "storage/log_store.h"
#include "storage/metric_store.h"
#include "storage/trace_store.h"

namespace opsight::aiops {

inline constexpr int64_t kMaxInvestigationWindowMs = 24LL * 3600 * 1000;

struct InvestigatorSources {
  storage::TraceStore* traces = nullptr;  // any may be null
  storage::LogStore* logs = nullptr;
  storage::MetricStore* metrics = nullptr;
  events::EventStore* events = nullptr;
};

struct InvestigatorOptions {
  int64_t min_baseline_ms = 30LL * 60 * 1000;
  int64_t max_baseline_ms = 2LL * 3600 * 1000;
  size_t max_spans = 3'000'000;
  size_t max_hypotheses = 5;
  int64_t deadline_ms = 10'000;
};

// InvalidArgument naming the field ("start", "end") for a bad window: start must be > 0 and
// before end, the window at most kMaxInvestigationWindowMs.
Status validate_request(const InvestigationRequest& req);

// The baseline start for a request (see above).
int64_t baseline_start_ms(const InvestigationRequest& req, const InvestigatorOptions& opts);

Result<InvestigationResult> investigate(const InvestigatorSources& sources,
                                        const InvestigationRequest& req,
                                        const InvestigatorOptions& opts, Clock* clock);

}  // namespace opsight::aiops
