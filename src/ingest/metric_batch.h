#pragma once
// The neutral form every metrics protocol decodes into (remote write, OTLP, PutMetricData,
// JSON-lines import), and the one place that validates limits and writes it to a MetricStore.
// Decoders only turn bytes into a MetricBatch; they never touch storage.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/labels.h"
#include "common/status.h"
#include "storage/metric_store.h"

namespace opsight::ingest {

struct SeriesSamples {
  Labels labels;
  std::vector<storage::Sample> samples;
  // Which request item this came from, for error messages ("timeseries[3]", "MetricData[0]").
  std::string item;
  std::vector<storage::Exemplar> exemplars = {};  // may come without samples (remote write)
};

struct MetadataEntry {
  std::string metric;
  storage::MetricMetadata meta;
};

// One rejected item (a series, a sample, a data point) and the rule it broke.
struct ItemError {
  std::string item;     // e.g. "timeseries[3]" or "MetricData[2].Dimensions"
  std::string message;  // e.g. "too many labels: 65 > limit 64 (limits.max_labels_per_series)"
};

struct MetricBatch {
  std::vector<SeriesSamples> series;
  std::vector<MetadataEntry> metadata;
  std::vector<ItemError> errors;  // found while decoding; the valid rest is still written
};

// Request limits (config `limits:`). Every violation names the item and the limit.
struct Limits {
  uint64_t max_request_bytes = 64ull << 20;   // compressed body
  uint64_t max_decoded_bytes = 256ull << 20;  // after decompression
  size_t max_series_per_request = 100'000;
  size_t max_samples_per_request = 2'000'000;
  size_t max_labels_per_series = 64;
  size_t max_label_name_length = 256;
  size_t max_label_value_length = 4096;
  size_t max_dimensions = 30;  // PutMetricData (CloudWatch)
};

struct WriteOutcome {
  uint64_t accepted_samples = 0;
  uint64_t rejected_samples = 0;
  uint64_t accepted_series = 0;
  std::vector<ItemError> errors;  // decode errors + limit violations + storage rejections
  Status status;  // non-ok only when the whole request failed (e.g. WAL I/O error, shutdown)
};

// The allocation-free form of a MetricBatch for the hot path (remote write): series whose
// labels are borrowed from the request body, kept in flat arrays. Labels of a series are sorted
// by name, unique, without empty values.
struct SeriesView {
  uint32_t label_off = 0, label_n = 0;        // slice of MetricViewBatch::labels
  uint32_t sample_off = 0, sample_n = 0;      // slice of MetricViewBatch::samples
  uint32_t exemplar_off = 0, exemplar_n = 0;  // slice of MetricViewBatch::exemplars
  uint32_t index = 0;                         // position in the request, for error items
};

struct MetricViewBatch {
  std::vector<LabelView> labels;
  std::vector<storage::Sample> samples;
  std::vector<storage::Exemplar> exemplars;  // rare next to samples: owned
  std::vector<SeriesView> series;
  std::vector<MetadataEntry> metadata;
  std::vector<ItemError> errors;
  // Error items read "<item_prefix>[<index>] <labels>", e.g. "timeseries[3] up{job=\"x\"}".
  std::string item_prefix = "timeseries";

  std::span<const LabelView> labels_of(const SeriesView& s) const {
    return std::span<const LabelView>(labels).subspan(s.label_off, s.label_n);
  }
  std::span<const storage::Sample> samples_of(const SeriesView& s) const {
    return std::span<const storage::Sample>(samples).subspan(s.sample_off, s.sample_n);
  }
  std::span<const storage::Exemplar> exemplars_of(const SeriesView& s) const {
    return std::span<const storage::Exemplar>(exemplars).subspan(s.exemplar_off, s.exemplar_n);
  }
  std::string item(const SeriesView& s) const;
};

// Validates each series against `limits` (label count, name syntax, lengths, series and sample
// counts), writes the valid ones through one Appender of `tenant` and commits (durable on
// return). Errors of the batch are carried into the outcome.
WriteOutcome write_batch(storage::MetricStore& store, const storage::Tenant& tenant,
                         MetricBatch batch, const Limits& limits);
// The same for borrowed labels: the strings viewed must stay valid until it returns.
WriteOutcome write_batch(storage::MetricStore& store, const storage::Tenant& tenant,
                         const MetricViewBatch& batch, const Limits& limits);

// OpenMetrics 1.0: the names and values of an exemplar's labels total at most 128 characters.
inline constexpr size_t kMaxExemplarLabelChars = 128;

// Prometheus label-name syntax: [a-zA-Z_][a-zA-Z0-9_]*
bool valid_label_name(std::string_view name);
// Metric names additionally allow ':'.
bool valid_metric_name(std::string_view name);

}  // namespace opsight::ingest
