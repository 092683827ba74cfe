#pragma once
// VictoriaMetrics JSON-lines import/export (docs.victoriametrics.com, "How to import data in
// JSON line format" and /api/v1/export). One JSON object per line:
//
//   {"metric":{"__name__":"up","job":"x"},"values":[1,0.5,null],"timestamps":[1700000000000,...]}
//
// Import rules (as VictoriaMetrics' /api/v1/import parses them):
//   - "metric": object of string label values (a non-string value is a line error; empty values
//     are dropped, as everywhere in opsight); it must name the metric (__name__) and must not
//     repeat a label name.
//   - "values": non-empty array; each element is a JSON number, null (NaN), or one of the
//     strings VictoriaMetrics accepts for special values: "NaN", "nan", "null", "Null" (NaN),
//     "Inf", "inf", "Infinity", "infinity" with an optional leading "-" (or "+") for infinities.
//     Plain NaN is stored as Prometheus' normal NaN (bits 0x7ff8000000000001).
//     opsight extension: "StaleNaN" is the Prometheus staleness marker (exact bits).
//   - "timestamps": non-empty array of integer milliseconds, same length as "values".
//   - opsight extension, "statistics": optional array, same length as "values"; element i is
//     null (sample i is the float values[i]) or {"count":c,"sum":s,"min":m,"max":x}, which makes
//     sample i a statistic set (values[i] is then ignored; export writes the sum there so that
//     VictoriaMetrics and other readers that ignore "statistics" see the sum).
//   - Other members are ignored. Blank lines (and a trailing "\r") are ignored.
// A bad line is an item error "line N" (1-based) in out->errors with the rule it broke; the
// other lines are kept, so decode_import() returns OkStatus() for any body (the Status is kept
// for request-level failures a later version may add).
//
// Export writes the same shape: values as the shortest text that reads back to the same
// double, NaN as null, infinities as "Inf"/"-Inf", the staleness marker as "StaleNaN".
// Round trip: decode_import(encode_export_line(l, s)) yields labels l and samples bit-equal to
// s, for finite values, +-Inf, normal NaN and the staleness marker (other NaN payloads come
// back as normal NaN).
//
// Thread safety: pure functions; safe to call concurrently.

#include <span>
#include <string>
#include <string_view>

#include "common/labels.h"
#include "common/status.h"
#include "ingest/metric_batch.h"
#include "storage/sample.h"

namespace opsight::ingest::vm {

// Prometheus' normal NaN (value.NormalNaN), what an imported null / "NaN" becomes.
inline constexpr uint64_t kNormalNaNBits = 0x7ff8000000000001ULL;

// Appends one series per good line to out->series (item "line N"), errors per bad line.
Status decode_import(std::string_view body, MetricBatch* out);

// Appends one JSON line (with the trailing "\n") for `labels` and `samples` to *out. Writes
// nothing when `samples` is empty (VictoriaMetrics skips such series too).
void encode_export_line(const Labels& labels, std::span<const storage::Sample> samples,
                        std::string* out);

}  // namespace opsight::ingest::vm
