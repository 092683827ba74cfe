#pragma once
// Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text, decoded into a MetricBatch.
// Written from the public specifications:
//   - github.com/prometheus/docs content/docs/instrumenting/exposition_formats.md ("Text-based
//     format", version 0.0.4),
//   - OpenMetrics 1.0 (github.com/OpenObservability/OpenMetrics specification/OpenMetrics.md,
//     its ABNF and the "Text format" section).
//
// What each format accepts:
//   0.0.4   `# HELP name text` (escapes \\ and \n), `# TYPE name counter|gauge|histogram|
//           summary|untyped`, any other `#` line is a comment; blank lines are ignored; sample
//           `name{label="value",...} value [timestamp]` with blanks or tabs between tokens, a
//           trailing comma in the label list, timestamps in integer milliseconds.
//   OM 1.0  `# HELP`, `# TYPE` (counter, gauge, histogram, gaugehistogram, stateset, info,
//           summary, unknown), `# UNIT` (the family name must end in `_<unit>`); no other
//           comments and no blank lines; single spaces; timestamps are float seconds; a family's
//           lines are contiguous with its metadata first; sample names follow the family type
//           (counter: _total/_created; histogram: _bucket/_count/_sum/_created; gaugehistogram:
//           _bucket/_gcount/_gsum; summary: bare/_count/_sum/_created; info: _info; gauge,
//           stateset, unknown: bare); `le` on buckets and `quantile` on bare summary samples;
//           exemplars ` # {labels} value [timestamp]` on counter _total and bucket samples
//           (label set of at most 128 characters); the body ends with `# EOF` (and an
//           optional newline), nothing after it.
//   Both    label values escape \\, \" and \n (other escapes are kept verbatim in 0.0.4 and
//           are errors in OpenMetrics) and must be valid UTF-8; values are floats including
//           NaN, +Inf, -Inf (case-insensitive); a label name may appear once per sample; the
//           same series twice with the same timestamp is an error on the second line.
//
// Error model: parsing never fails as a whole. Each bad line becomes one ItemError whose item
// is "line N" (1-based) and whose message names the rule; the line is skipped and every good
// line is kept. A missing `# EOF` in OpenMetrics is an error on the line after the last.
//
// An OpenMetrics exemplar goes into SeriesSamples::exemplars of its sample; without a timestamp
// of its own it takes the sample's (as Prometheus's scrape does).
//
// OpenMetrics `_created` samples are kept as ordinary series (as Prometheus 2.x stores them).
// Metadata (TYPE, HELP, UNIT) is reported once per family name, in order of first appearance;
// 0.0.4 `untyped` is reported as "unknown". Label syntax and request limits are checked by
// write_batch(), not here.
//
// Thread safety: the functions are pure; concurrent calls on distinct outputs are safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/labels.h"
#include "ingest/metric_batch.h"

namespace opsight::ingest::prometheus {

enum class TextFormat { kText004, kOpenMetrics };

// The format of a response or request body from its Content-Type:
// application/openmetrics-text is OpenMetrics; anything else (text/plain, absent) is 0.0.4.
TextFormat text_format_for_content_type(std::string_view content_type);

// True for a protobuf exposition Content-Type (application/vnd.google.protobuf), which opsight
// does not decode.
bool is_protobuf_exposition(std::string_view content_type);

struct TextParseOptions {
  TextFormat format = TextFormat::kText004;
  // Timestamp (ms) given to samples without one.
  int64_t default_t_ms = 0;
  // Pushgateway rule: a sample with an explicit timestamp is an error.
  bool reject_timestamps = false;
};

struct TextParseResult {
  // One SeriesSamples (one sample) per good sample line, item "line N"; metadata per family;
  // one ItemError per bad line.
  MetricBatch batch;
  // Parallel to batch.series: whether the line carried its own timestamp.
  std::vector<bool> has_timestamp;
  size_t lines = 0;  // lines read (including comments and bad lines)
};

// Parses `body`, appending to *out.
void parse_text(std::string_view body, const TextParseOptions& opts, TextParseResult* out);

// Encodes series and metadata as text 0.0.4: per family (metadata name, or the series' own name)
// `# HELP` and `# TYPE` before its first sample, then one line per sample, with the timestamp
// (ms) when `with_timestamps`. Statistic-set samples are skipped. Types outside 0.0.4 are written
// as untyped. parse_text() reads the output back to the same labels and bit-exact values
// (except NaN payloads, which the text format cannot carry).
std::string encode_text(const std::vector<SeriesSamples>& series,
                        const std::vector<MetadataEntry>& metadata, bool with_timestamps);

// Appends a float as the text format writes it: "NaN", "+Inf", "-Inf" or the shortest
// round-trip decimal.
void append_text_value(std::string& out, double v);

}  // namespace opsight::ingest::prometheus
