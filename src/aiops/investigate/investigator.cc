#include "aiops/investigate/investigator.h"

#include <fmt/format.h>

#include <algorithm>

#include "aiops/investigate/change_analysis.h"
#include "aiops/investigate/log_analysis.h"
#include "aiops/investigate/metric_analysis.h"
#include "aiops/investigate/ranker.h"
#include "aiops/investigate/trace_analysis.h"

namespace opsight::aiops {
namespace {

void degrade(InvestigationStats* stats, std::string_view analysis, const Status& st) {
  stats->complete = false;
  if (stats->stopped_by.empty()) {
    stats->stopped_by = fmt::format("{}: {}", analysis, st.message());
  }
}

template <typename T>
void append(std::vector<ComponentFinding>* all, Result<T> r, std::string_view analysis,
            InvestigationStats* stats) {
  if (!r.ok()) {
    degrade(stats, analysis, r.status());
    return;
  }
  for (ComponentFinding& f : *r) all->push_back(std::move(f));
}

}  // namespace

Status validate_request(const InvestigationRequest& req) {
  if (req.start_ms <= 0) {
    return Status::invalid_argument(
        fmt::format("start: must be a positive Unix time in ms, got {}", req.start_ms));
  }
  if (req.end_ms <= req.start_ms) {
    return Status::invalid_argument(
        fmt::format("end: must be after start ({} ms <= {} ms)", req.end_ms, req.start_ms));
  }
  if (req.end_ms - req.start_ms > kMaxInvestigationWindowMs) {
    return Status::invalid_argument(
        fmt::format("end: the window may be at most 24 h, got {} ms", req.end_ms - req.start_ms));
  }
  return OkStatus();
}

int64_t baseline_start_ms(const InvestigationRequest& req, const InvestigatorOptions& opts) {
  const int64_t len = std::clamp(3 * (req.end_ms - req.start_ms), opts.min_baseline_ms,
                                 std::max(opts.min_baseline_ms, opts.max_baseline_ms));
  return req.start_ms - len;
}

Result<InvestigationResult> investigate(const InvestigatorSources& sources,
                                        const InvestigationRequest& req,
                                        const InvestigatorOptions& opts, Clock* clock) {
  RETURN_IF_ERROR(validate_request(req));
  const int64_t t0 = clock->mono_ns();
  InvestigationResult result;
  result.baseline_start_ms = baseline_start_ms(req, opts);
  AnalysisWindow w;
  w.tenant = req.tenant;
  w.baseline_start_ms = result.baseline_start_ms;
  w.start_ms = req.start_ms;
  w.end_ms = req.end_ms;

  std::vector<ComponentFinding> findings;
  std::set<CallEdge> edges;
  if (sources.traces != nullptr) {
    TraceAnalysisOptions to;
    to.max_spans = opts.max_spans;
    to.clock = clock;
    to.deadline_mono_ns = opts.deadline_ms > 0 ? t0 + opts.deadline_ms * 1'000'000 : 0;
    ASSIGN_OR_RETURN(TraceAnalysis ta, analyze_traces(*sources.traces, w, to, &result.stats));
    findings = std::move(ta.findings);
    for (ComponentFinding& s : ta.symptoms) findings.push_back(std::move(s));
    edges = std::move(ta.edges);
  }
  if (sources.metrics != nullptr) {
    append(&findings, analyze_metrics(*sources.metrics, w, &result.stats), "metrics",
           &result.stats);
  }
  if (sources.logs != nullptr) {
    append(&findings, analyze_logs(*sources.logs, w, &result.stats), "logs", &result.stats);
  }
  if (sources.events != nullptr) {
    append(&findings, analyze_changes(*sources.events, w), "changes", &result.stats);
  }
  result.hypotheses = rank(std::move(findings), edges, req, opts.max_hypotheses);
  result.stats.elapsed_ms = (clock->mono_ns() - t0) / 1'000'000;
  return result;
}

}  // namespace opsight::aiops
