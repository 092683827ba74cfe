#include "ingest/metric_batch.h"

#include <fmt/format.h>

#include <cmath>

namespace opsight::ingest {

bool valid_label_name(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); i++) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool valid_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); i++) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

namespace {

// Names from Prometheus are [a-zA-Z_:][a-zA-Z0-9_:]*; CloudWatch metric and dimension names and
// OpenTelemetry names may hold any printable UTF-8 (Prometheus 3 accepts UTF-8 names too), so
// storage accepts any non-empty UTF-8 name without control characters.
bool valid_utf8_name(std::string_view s) {
  if (s.empty()) return false;
  // Fast path: printable ASCII, which nearly every name is.
  unsigned char bad = 0;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    bad |= static_cast<unsigned char>((c < 0x20) | (c >= 0x7f));
  }
  if (bad == 0) return true;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; k++) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

// Returns an empty string when the labels are acceptable, else the broken rule.
std::string check_labels(std::span<const LabelView> labels, const Limits& limits) {
  if (labels.size() > limits.max_labels_per_series) {
    return fmt::format("too many labels: {} > limit {} (limits.max_labels_per_series)",
                       labels.size(), limits.max_labels_per_series);
  }
  std::string_view name;
  for (const auto& l : labels) {
    if (l.name == kMetricName) name = l.value;
  }
  if (name.empty()) return "missing metric name (label __name__)";
  if (!valid_utf8_name(name)) {
    return fmt::format("invalid metric name \"{}\": must be valid UTF-8 without control characters",
                       name);
  }
  for (const auto& l : labels) {
    if (l.name.size() > limits.max_label_name_length) {
      return fmt::format(
          "label name \"{}...\" is {} bytes > limit {} (limits.max_label_name_length)",
          l.name.substr(0, 32), l.name.size(), limits.max_label_name_length);
    }
    if (l.value.size() > limits.max_label_value_length) {
      return fmt::format(
          "value of label \"{}\" is {} bytes > limit {} (limits.max_label_value_length)", l.name,
          l.value.size(), limits.max_label_value_length);
    }
    if (l.name.starts_with("__") && l.name != kMetricName) {
      return fmt::format("label name \"{}\" is reserved (names starting with __)", l.name);
    }
    if (!valid_utf8_name(l.name)) {
      return fmt::format(
          "invalid label name \"{}\": must be valid UTF-8 without control characters", l.name);
    }
  }
  return {};
}

// Code points of valid UTF-8 (continuation bytes are not counted).
size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// The rule an exemplar breaks, or "".
std::string check_exemplar(const storage::Exemplar& e) {
  size_t chars = 0;
  for (const auto& l : e.labels) {
    if (!valid_label_name(l.name)) {
      return fmt::format("invalid exemplar label name \"{}\"", l.name);
    }
    chars += utf8_length(l.name) + utf8_length(l.value);
  }
  if (chars > kMaxExemplarLabelChars) {
    return fmt::format("exemplar labels total {} characters, more than the {} OpenMetrics allows",
                       chars, kMaxExemplarLabelChars);
  }
  return "";
}

// The one write path of both batch forms; item(i) names series i for errors.
template <typename ItemFn>
WriteOutcome write_views(storage::MetricStore& store, const storage::Tenant& tenant,
                         const MetricViewBatch& batch, std::vector<ItemError> errors,
                         const Limits& limits, ItemFn&& item) {
  WriteOutcome out;
  out.errors = std::move(errors);
  auto app = store.appender(tenant);
  size_t samples_seen = 0;
  std::vector<storage::SampleError> sample_errors;
  for (size_t i = 0; i < batch.series.size(); i++) {
    const SeriesView& s = batch.series[i];
    if (i >= limits.max_series_per_request) {
      out.errors.push_back(
          {item(i), fmt::format("too many series in one request: limit {} "
                                "(limits.max_series_per_request); split the request",
                                limits.max_series_per_request)});
      out.rejected_samples += s.sample_n;
      continue;
    }
    if (samples_seen + s.sample_n > limits.max_samples_per_request) {
      out.errors.push_back(
          {item(i), fmt::format("too many samples in one request: limit {} "
                                "(limits.max_samples_per_request); split the request",
                                limits.max_samples_per_request)});
      out.rejected_samples += s.sample_n;
      continue;
    }
    samples_seen += s.sample_n;
    auto labels = batch.labels_of(s);
    if (std::string rule = check_labels(labels, limits); !rule.empty()) {
      out.errors.push_back({item(i), std::move(rule)});
      out.rejected_samples += s.sample_n;
      continue;
    }
    sample_errors.clear();
    auto samples = batch.samples_of(s);
    Status st = app->append_views(labels, samples, &sample_errors);
    if (!st.ok()) {
      out.errors.push_back({item(i), st.message()});
      out.rejected_samples += s.sample_n;
      continue;
    }
    for (const auto& e : sample_errors) {
      out.errors.push_back(
          {fmt::format("{} sample[{}] (t={})", item(i), e.index, samples[e.index].t),
           e.status.message()});
    }
    auto exemplars = batch.exemplars_of(s);
    for (size_t j = 0; j < exemplars.size(); j++) {
      if (std::string rule = check_exemplar(exemplars[j]); !rule.empty()) {
        out.errors.push_back({fmt::format("{} exemplar[{}]", item(i), j), std::move(rule)});
        continue;
      }
      (void)app->append_exemplar(labels, exemplars[j]);
    }
    out.rejected_samples += sample_errors.size();
    out.accepted_samples += s.sample_n - sample_errors.size();
    if (sample_errors.size() < s.sample_n) out.accepted_series++;
  }
  for (const auto& m : batch.metadata) {
    (void)app->append_metadata(m.metric, m.meta);
  }
  out.status = app->commit();
  if (!out.status.ok()) {
    out.rejected_samples += out.accepted_samples;
    out.accepted_samples = 0;
    out.accepted_series = 0;
  }
  return out;
}

}  // namespace

std::string MetricViewBatch::item(const SeriesView& s) const {
  return fmt::format("{}[{}] {}", item_prefix, s.index, labels_to_string(labels_of(s)));
}

WriteOutcome write_batch(storage::MetricStore& store, const storage::Tenant& tenant,
                         const MetricViewBatch& batch, const Limits& limits) {
  return write_views(store, tenant, batch, batch.errors, limits,
                     [&](size_t i) { return batch.item(batch.series[i]); });
}

WriteOutcome write_batch(storage::MetricStore& store, const storage::Tenant& tenant,
                         MetricBatch batch, const Limits& limits) {
  // Views of the owned labels and samples; `batch` outlives the write.
  MetricViewBatch views;
  views.series.reserve(batch.series.size());
  for (size_t i = 0; i < batch.series.size(); i++) {
    const SeriesSamples& s = batch.series[i];
    SeriesView v;
    v.label_off = static_cast<uint32_t>(views.labels.size());
    s.labels.append_views(&views.labels);
    v.label_n = static_cast<uint32_t>(s.labels.size());
    v.sample_off = static_cast<uint32_t>(views.samples.size());
    views.samples.insert(views.samples.end(), s.samples.begin(), s.samples.end());
    v.sample_n = static_cast<uint32_t>(s.samples.size());
    v.exemplar_off = static_cast<uint32_t>(views.exemplars.size());
    views.exemplars.insert(views.exemplars.end(), s.exemplars.begin(), s.exemplars.end());
    v.exemplar_n = static_cast<uint32_t>(s.exemplars.size());
    v.index = static_cast<uint32_t>(i);
    views.series.push_back(v);
  }
  views.metadata = std::move(batch.metadata);
  return write_views(store, tenant, views, std::move(batch.errors), limits, [&](size_t i) {
    const SeriesSamples& s = batch.series[i];
    if (!s.item.empty()) return s.item;
    return fmt::format("series[{}] {}", i, s.labels.to_string());
  });
}

}  // namespace opsight::ingest
