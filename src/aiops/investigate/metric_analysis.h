#pragma once
// Metric analysis (kind "saturation"): per service, the saturation series whose level in the
// window W = [start, end) left its robust baseline over B = [baseline_start, start).
//
// Which series:
// - The series names a service by one of its labels, first found of: `service`, `service_name`,
//   `service.name`, `job`. OTLP metrics carry `service` (= resource service.name) and
//   `job` (= "<service.namespace>/<service.name>" or service.name), see
//   ingest/otlp/otlp_to_series.h; a data-point attribute service.name is sanitised to
//   `service_name`; Prometheus scrapes carry `job` (the scrape job's name, used as is).
// - Its name, lower-cased with '.', ':' and '-' read as '_', has a token (split on '_') among
//   kSaturationTokens (cpu, memory, mem, heap, utilization, utilisation, saturation,
//   connections, threads, gc) or the token pairs queue+depth, queue+size, queue+length.
// - Histogram buckets and summary quantiles (a label `le` or `quantile`, a name ending _bucket)
//   are skipped.
// - Counters (metadata type "counter", or a name ending _total, _sum or _count) are turned into
//   per-second rates between consecutive samples first (a decrease is a reset: the new value is
//   the increase, as in Prometheus rate()); gauges are used as they are. Non-finite samples
//   (staleness markers) are dropped.
// At most kMaxMetricSeries series are read (stats->series_read counts them; beyond it
// stats->complete becomes false and stopped_by "metric series limit").
//
// Method (robust baseline vs window, after the median/MAD rule of Leys et al., "Detecting
// outliers: do not use standard deviation around the mean, use absolute deviation around the
// median", J. Exp. Soc. Psychol. 49(4), 2013):
//   m_B = median(B), s_B = 1.4826 * MAD(B), m_W = median(W), scale = max(s_B, 0.025 |m_B|, 1e-9)
//   shift = m_W - m_B; the series deviates when shift > threshold = max(4 s_B, 0.1 |m_B|)
//   (= 4 * scale up to the 1e-9 floor). Only rises count: a drop in use is an effect (less
//   traffic), not saturation.
//   z = shift / scale; rel = shift / |m_B| (infinite when m_B = 0)
//   strength = (1 - exp(-z / 6)) * (1 - exp(-rel / 0.5))    in [0, 1)
//   onset = the first W point above m_B + threshold.
// B needs >= kMinBaselinePoints points and W >= kMinWindowPoints, else the series is skipped.
//
// Output: one finding per service (component_type "service"), strength and onset of its strongest
// series, facts {"baseline", "window", "ratio", "z", "series"}, a clause such as
// "payment process_cpu_utilization_ratio rose 0.2 -> 0.95 (4.8x) at 10:02:10", and evidence
// "metric" for its up to 3 strongest series (<= kMaxEvidencePoints points over B + W, bucket
// means) with link /api/v1/query_range?query=<selector, rate(...[..]) for counters>&start=&end=
// &step= (Unix seconds). Findings are sorted by strength, strongest first.
//
// Thread safety: a pure function of the store's contents; concurrent calls are safe.

#include <cstddef>
#include <vector>

#include "aiops/investigate/analysis_window.h"
#include "aiops/investigate/investigation.h"
#include "common/status.h"
#include "storage/metric_store.h"

namespace opsight::aiops {

inline constexpr size_t kMaxMetricSeries = 2000;
inline constexpr size_t kMinBaselinePoints = 5;
inline constexpr size_t kMinWindowPoints = 3;
inline constexpr size_t kMaxEvidencePoints = 120;

// Findings (kind "saturation"), strongest first. InvalidArgument when the window is empty or the
// baseline starts after the window. `stats` may be null; when given, series_read is increased and
// complete/stopped_by set when a bound cut the work short. Store errors are returned.
Result<std::vector<ComponentFinding>> analyze_metrics(storage::MetricStore& metrics,
                                                      const AnalysisWindow& w,
                                                      InvestigationStats* stats);

}  // namespace opsight::aiops
