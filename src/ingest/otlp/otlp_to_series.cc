#include "ingest/otlp/otlp_to_series.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "storage/sample.h"

namespace opsight::ingest::otlp {

namespace {

// Attributes -> sorted labels: names sanitised, empty names and values skipped, values of
// colliding names joined with ";" in the lexicographic order of the original keys.
std::vector<Label> attributes_to_labels(const std::vector<KeyValue>& attrs, bool resource) {
  struct Item {
    std::string name;
    std::string_view key;
    std::string value;
  };
  std::vector<Item> items;
  items.reserve(attrs.size());
  for (const auto& kv : attrs) {
    if (resource && (kv.key == "service.name" || kv.key == "service.namespace" ||
                     kv.key == "service.instance.id")) {
      continue;  // become job / instance / service
    }
    std::string name = sanitize_label_name(kv.key);
    if (name.empty()) continue;
    std::string value = any_value_to_string(kv.value);
    if (value.empty()) continue;
    if (resource && value.size() > kMaxResourceLabelValue) continue;
    items.push_back({std::move(name), kv.key, std::move(value)});
  }
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return a.name != b.name ? a.name < b.name : a.key < b.key;
  });
  std::vector<Label> out;
  out.reserve(items.size());
  for (auto& it : items) {
    if (!out.empty() && out.back().name == it.name) {
      out.back().value += ';';
      out.back().value += it.value;
    } else {
      out.push_back({std::move(it.name), std::move(it.value)});
    }
  }
  return out;
}

std::string attr_string(const std::vector<KeyValue>& attrs, std::string_view key) {
  const AnyValue* v = find_attribute(attrs, key);
  return v == nullptr ? std::string() : any_value_to_string(*v);
}

// ---------------------------------------------------------------------------------------------
// Mapping state

class Mapper {
 public:
  Mapper(MetricBatch* out, OtlpResult* result)
      : out_(out), result_(result), first_error_(out->errors.size()) {}

  void map(const ExportMetricsRequest& req);
  void finish();

 private:
  void map_metric(const Metric& m, const std::string& item, const std::vector<Label>& low,
                  const std::vector<Label>& high);
  void reject(std::string item, std::string message) {
    result_->rejected_data_points++;
    out_->errors.push_back({std::move(item), std::move(message)});
  }
  void reject_all(const Metric& m, const std::string& item, const std::string& message);
  // Base labels of one point: resource < point attributes < identity.
  std::vector<Label> point_labels(const std::vector<Label>& low, const std::vector<KeyValue>& attrs,
                                  const std::vector<Label>& high) const;
  // Returns the index of the series in out_->series.
  size_t add(const std::vector<Label>& base, const std::string& name, std::string_view extra_name,
             std::string_view extra_value, int64_t t, double v, const std::string& item);
  // Attaches an exemplar of a point (time `point_t` when it has none) to series `series`.
  void add_exemplar(size_t series, const PointExemplar& x, int64_t point_t);
  void add_metadata(const std::string& family, std::string type, const Metric& m, bool gauge);
  // Checks a point's labels against the per-point bounds and charges the `n_series` series it
  // may create to the request's output budget. Rejects the point and returns false when either
  // does not fit.
  bool charge(std::string item, const std::vector<Label>& base, const std::string& name,
              size_t n_series);

  MetricBatch* out_;
  OtlpResult* result_;
  size_t first_error_;
  uint64_t samples_left_ = kMaxOutputSamples;
  uint64_t label_bytes_left_ = kMaxOutputLabelBytes;
  std::unordered_map<uint64_t, std::vector<size_t>> series_by_hash_;
  std::unordered_set<std::string> metadata_seen_;
};

std::string point_item(const std::string& metric_item, size_t i) {
  return fmt::format("{} data_points[{}]", metric_item, i);
}

// Checks shared by every point type. Returns the broken rule, or "".
std::string check_common(const PointBase& p) {
  if (!p.error.empty()) return p.error;
  if (p.time_unix_nano == 0) return "time_unix_nano is 0 (unset); every data point needs its time";
  return {};
}

int64_t to_ms(uint64_t ns) {
  return static_cast<int64_t>(ns / 1'000'000);
}

uint64_t sat_add(uint64_t a, uint64_t b) {
  uint64_t s = a + b;
  return s < a ? std::numeric_limits<uint64_t>::max() : s;
}

std::vector<Label> Mapper::point_labels(const std::vector<Label>& low,
                                        const std::vector<KeyValue>& attrs,
                                        const std::vector<Label>& high) const {
  std::vector<Label> v;
  std::vector<Label> mid = attributes_to_labels(attrs, /*resource=*/false);
  v.reserve(low.size() + mid.size() + high.size() + 2);
  v.insert(v.end(), low.begin(), low.end());
  for (auto& l : mid) v.push_back(std::move(l));
  v.insert(v.end(), high.begin(), high.end());
  // Deduplicate once here (later wins) so each series only appends __name__ and le/quantile.
  return Labels(std::move(v)).vec();
}

size_t Mapper::add(const std::vector<Label>& base, const std::string& name,
                   std::string_view extra_name, std::string_view extra_value, int64_t t, double v,
                   const std::string& item) {
  std::vector<Label> l;
  l.reserve(base.size() + 2);
  l.insert(l.end(), base.begin(), base.end());
  if (!extra_name.empty()) l.push_back({std::string(extra_name), std::string(extra_value)});
  l.push_back({std::string(kMetricName), name});
  Labels labels(std::move(l));
  uint64_t h = labels.hash();
  auto& bucket = series_by_hash_[h];
  for (size_t idx : bucket) {
    if (out_->series[idx].labels == labels) {
      out_->series[idx].samples.push_back(storage::Sample::value(t, v));
      return idx;
    }
  }
  bucket.push_back(out_->series.size());
  SeriesSamples s;
  s.labels = std::move(labels);
  s.samples.push_back(storage::Sample::value(t, v));
  s.item = item;
  out_->series.push_back(std::move(s));
  return out_->series.size() - 1;
}

void Mapper::add_exemplar(size_t series, const PointExemplar& x, int64_t point_t) {
  // Labels as Prometheus's OTLP translation writes them: trace_id and span_id in hex, plus the
  // filtered attributes.
  std::vector<Label> l = attributes_to_labels(x.filtered_attributes, false);
  if (!x.trace_id.empty()) l.push_back({"trace_id", hex_encode(x.trace_id)});
  if (!x.span_id.empty()) l.push_back({"span_id", hex_encode(x.span_id)});
  int64_t t = x.time_unix_nano != 0 ? to_ms(x.time_unix_nano) : point_t;
  out_->series[series].exemplars.push_back(storage::Exemplar{Labels(std::move(l)), x.value, t});
}

void Mapper::add_metadata(const std::string& family, std::string type, const Metric& m,
                          bool gauge) {
  if (!metadata_seen_.insert(family).second) return;
  MetadataEntry e;
  e.metric = family;
  e.meta.type = std::move(type);
  e.meta.help = m.description;
  e.meta.unit = prometheus_unit(m.unit, gauge);
  out_->metadata.push_back(std::move(e));
}

bool Mapper::charge(std::string item, const std::vector<Label>& base, const std::string& name,
                    size_t n_series) {
  // Per label: the bytes plus the bookkeeping of two std::strings.
  constexpr uint64_t kLabelOverhead = 64;
  uint64_t bytes = 0;
  for (const auto& l : base) bytes += l.name.size() + l.value.size() + kLabelOverhead;
  if (base.size() > kMaxPointLabels) {
    reject(std::move(item), fmt::format("{} labels (resource and point attributes) > limit {}",
                                        base.size(), kMaxPointLabels));
    return false;
  }
  if (bytes > kMaxPointLabelBytes) {
    reject(std::move(item),
           fmt::format("labels (resource and point attributes) take {} bytes > limit {}", bytes,
                       kMaxPointLabelBytes));
    return false;
  }
  uint64_t series_bytes = bytes + name.size() + 2 * kLabelOverhead + 32;  // + __name__, le
  uint64_t cost = series_bytes * n_series;
  if (n_series > samples_left_ || cost > label_bytes_left_) {
    reject(std::move(item),
           fmt::format("request expands to more than {} samples or {} bytes of series labels; "
                       "split the request",
                       kMaxOutputSamples, kMaxOutputLabelBytes));
    return false;
  }
  samples_left_ -= n_series;
  label_bytes_left_ -= cost;
  return true;
}

void Mapper::reject_all(const Metric& m, const std::string& item, const std::string& message) {
  for (size_t i = 0; i < m.point_count(); i++) reject(point_item(item, i), message);
}

void Mapper::map(const ExportMetricsRequest& req) {
  for (size_t r = 0; r < req.resource_metrics.size(); r++) {
    const ResourceMetrics& rm = req.resource_metrics[r];
    std::vector<Label> low = attributes_to_labels(rm.resource.attributes, /*resource=*/true);
    const auto& rattrs = rm.resource.attributes;
    std::string service = attr_string(rattrs, "service.name");
    std::string ns = attr_string(rattrs, "service.namespace");
    std::string job = ns.empty() ? service : (service.empty() ? ns : ns + "/" + service);
    std::string instance = attr_string(rattrs, "service.instance.id");
    for (size_t s = 0; s < rm.scope_metrics.size(); s++) {
      const ScopeMetrics& sm = rm.scope_metrics[s];
      std::vector<Label> high;
      high.push_back({"job", job});
      high.push_back({"instance", instance});
      high.push_back({"service", service});
      high.push_back({"otel_scope_name", sm.scope.name});
      high.push_back({"otel_scope_version", sm.scope.version});
      std::erase_if(high, [](const Label& l) { return l.value.empty(); });
      for (size_t i = 0; i < sm.metrics.size(); i++) {
        const Metric& m = sm.metrics[i];
        std::string item = fmt::format("resource_metrics[{}].scope_metrics[{}].metrics[{}] \"{}\"",
                                       r, s, i, m.name);
        map_metric(m, item, low, high);
      }
    }
  }
}

void Mapper::map_metric(const Metric& m, const std::string& item, const std::vector<Label>& low,
                        const std::vector<Label>& high) {
  if (m.type == MetricType::kUnset || m.point_count() == 0) return;
  if (m.name.empty()) {
    reject_all(m, item, "metric name is empty");
    return;
  }
  bool needs_temporality = m.type == MetricType::kSum || m.type == MetricType::kHistogram ||
                           m.type == MetricType::kExponentialHistogram;
  if (needs_temporality && m.temporality == Temporality::kUnspecified) {
    reject_all(m, item,
               fmt::format("aggregation_temporality is {}; it must be 1 (DELTA) or 2 (CUMULATIVE)",
                           m.raw_temporality));
    return;
  }
  NameKind kind = NameKind::kOther;
  std::string type;
  switch (m.type) {
    case MetricType::kGauge:
      kind = NameKind::kGauge;
      type = "gauge";
      break;
    case MetricType::kSum:
      if (m.is_monotonic && m.temporality == Temporality::kCumulative) {
        kind = NameKind::kCounter;
        type = "counter";
      } else {
        type = "gauge";  // non-monotonic sums, and delta sums stored per interval
      }
      break;
    case MetricType::kHistogram:
    case MetricType::kExponentialHistogram:
      type = "histogram";
      break;
    case MetricType::kSummary:
      type = "summary";
      break;
    case MetricType::kUnset:
      return;
  }
  std::string name = prometheus_metric_name(m.name, m.unit, kind);
  if (name.empty()) {
    reject_all(m, item,
               fmt::format("metric name \"{}\" has no character valid in a Prometheus metric name",
                           m.name));
    return;
  }
  add_metadata(name, type, m, kind == NameKind::kGauge);
  const double stale = storage::stale_nan();

  switch (m.type) {
    case MetricType::kGauge:
    case MetricType::kSum:
      for (size_t i = 0; i < m.number_points.size(); i++) {
        const NumberPoint& p = m.number_points[i];
        std::string why = check_common(p);
        bool is_stale = (p.flags & kFlagNoRecordedValue) != 0;
        if (why.empty() && !is_stale && p.value_type == NumberPoint::Value::kNone) {
          why = "no value: neither as_double nor as_int is set";
        }
        if (!why.empty()) {
          reject(point_item(item, i), std::move(why));
          continue;
        }
        double v = is_stale                                   ? stale
                   : p.value_type == NumberPoint::Value::kInt ? static_cast<double>(p.as_int)
                                                              : p.as_double;
        std::vector<Label> base = point_labels(low, p.attributes, high);
        if (!charge(point_item(item, i), base, name, 1)) continue;
        size_t idx = add(base, name, {}, {}, to_ms(p.time_unix_nano), v, item);
        if (!is_stale) {
          for (const auto& x : p.exemplars) add_exemplar(idx, x, to_ms(p.time_unix_nano));
        }
      }
      break;

    case MetricType::kHistogram:
      for (size_t i = 0; i < m.histogram_points.size(); i++) {
        const HistogramPoint& p = m.histogram_points[i];
        std::string why = check_common(p);
        bool is_stale = (p.flags & kFlagNoRecordedValue) != 0;
        const auto& bounds = p.explicit_bounds;
        const auto& counts = p.bucket_counts;
        if (why.empty()) {
          for (size_t b = 0; b < bounds.size(); b++) {
            if (!std::isfinite(bounds[b]) || (b > 0 && !(bounds[b] > bounds[b - 1]))) {
              why = fmt::format(
                  "explicit_bounds must be finite and strictly increasing "
                  "(explicit_bounds[{}] = {})",
                  b, bounds[b]);
              break;
            }
          }
        }
        if (why.empty() && !is_stale && !(counts.empty() && bounds.empty()) &&
            counts.size() != bounds.size() + 1) {
          why = fmt::format(
              "bucket_counts has {} entries but explicit_bounds has {}; it must have one more "
              "(the +Inf bucket)",
              counts.size(), bounds.size());
        }
        if (why.empty() && !is_stale && !counts.empty()) {
          uint64_t total = 0;
          for (uint64_t c : counts) total = sat_add(total, c);
          if (total != p.count) {
            why = fmt::format("sum of bucket_counts ({}) differs from count ({})", total, p.count);
          }
        }
        if (!why.empty()) {
          reject(point_item(item, i), std::move(why));
          continue;
        }
        std::vector<Label> base = point_labels(low, p.attributes, high);
        if (!charge(point_item(item, i), base, name, bounds.size() + 3)) continue;
        int64_t t = to_ms(p.time_unix_nano);
        std::string bucket_name = name + "_bucket";
        uint64_t cum = 0;
        std::vector<size_t> bucket_series;
        bucket_series.reserve(bounds.size() + 1);
        for (size_t b = 0; b < bounds.size(); b++) {
          if (!is_stale && b < counts.size()) cum = sat_add(cum, counts[b]);
          bucket_series.push_back(add(base, bucket_name, "le", format_label_float(bounds[b]), t,
                                      is_stale ? stale : static_cast<double>(cum), item));
        }
        bucket_series.push_back(add(base, bucket_name, "le", "+Inf", t,
                                    is_stale ? stale : static_cast<double>(p.count), item));
        // An exemplar goes with the bucket that counts its value (the first le >= value).
        for (size_t k = 0; !is_stale && k < p.exemplars.size(); k++) {
          const PointExemplar& x = p.exemplars[k];
          size_t b = static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), x.value) -
                                         bounds.begin());
          add_exemplar(bucket_series[b], x, t);
        }
        if (p.has_sum || is_stale)
          add(base, name + "_sum", {}, {}, t, is_stale ? stale : p.sum, item);
        add(base, name + "_count", {}, {}, t, is_stale ? stale : static_cast<double>(p.count),
            item);
      }
      break;

    case MetricType::kExponentialHistogram:
      for (size_t i = 0; i < m.exp_histogram_points.size(); i++) {
        const ExpHistogramPoint& p = m.exp_histogram_points[i];
        std::string why = check_common(p);
        bool is_stale = (p.flags & kFlagNoRecordedValue) != 0;
        if (why.empty() && !is_stale) {
          if (p.scale < kMinExpScale || p.scale > kMaxExpScale) {
            why = fmt::format("scale {} is outside [{}, {}]", p.scale, kMinExpScale, kMaxExpScale);
          } else if (!std::isfinite(p.zero_threshold) || p.zero_threshold < 0) {
            why = fmt::format("zero_threshold {} must be finite and >= 0", p.zero_threshold);
          } else {
            uint64_t total = p.zero_count;
            size_t populated = 0;
            for (const ExpBuckets* bk : {&p.positive, &p.negative}) {
              for (uint64_t c : bk->bucket_counts) {
                total = sat_add(total, c);
                if (c > 0) populated++;
              }
            }
            if (total != p.count) {
              why = fmt::format(
                  "zero_count plus the positive and negative bucket_counts ({}) differs from "
                  "count ({})",
                  total, p.count);
            } else if (populated > kMaxExpHistogramBuckets) {
              why = fmt::format("{} populated buckets > limit {} (each becomes a series)",
                                populated, kMaxExpHistogramBuckets);
            }
          }
        }
        if (!why.empty()) {
          reject(point_item(item, i), std::move(why));
          continue;
        }
        std::vector<Label> base = point_labels(low, p.attributes, high);
        size_t n_series = 4;  // zero bucket, +Inf, _sum, _count
        for (const ExpBuckets* bk : {&p.positive, &p.negative}) {
          for (uint64_t c : bk->bucket_counts) n_series += c > 0 ? 1 : 0;
        }
        if (!charge(point_item(item, i), base, name, is_stale ? 3 : n_series)) continue;
        int64_t t = to_ms(p.time_unix_nano);
        std::string bucket_name = name + "_bucket";
        if (!is_stale) {
          // (upper bound, cumulative count) in ascending bound order. Bucket `index` holds
          // values in (base^index, base^(index+1)]; base = 2^(2^-scale) (metrics.proto).
          std::vector<std::pair<double, uint64_t>> les;
          double step = std::ldexp(1.0, -p.scale);  // log2(base)
          auto bound = [&](int64_t index) { return std::exp2(static_cast<double>(index) * step); };
          uint64_t cum = 0;
          const auto& neg = p.negative.bucket_counts;
          for (size_t k = neg.size(); k-- > 0;) {
            cum = sat_add(cum, neg[k]);
            if (neg[k] > 0) les.emplace_back(-bound(int64_t{p.negative.offset} + k), cum);
          }
          cum = sat_add(cum, p.zero_count);
          if (p.zero_count > 0) les.emplace_back(p.zero_threshold, cum);
          const auto& pos = p.positive.bucket_counts;
          for (size_t k = 0; k < pos.size(); k++) {
            cum = sat_add(cum, pos[k]);
            if (pos[k] > 0) les.emplace_back(bound(int64_t{p.positive.offset} + k + 1), cum);
          }
          // Bounds that overflow to +Inf fold into the +Inf bucket; equal bounds (underflow to
          // 0) keep the larger cumulative count.
          std::string prev;
          for (size_t k = 0; k < les.size(); k++) {
            if (std::isinf(les[k].first)) {
              if (les[k].first > 0) break;
              continue;
            }
            std::string le = format_label_float(les[k].first);
            bool next_same = k + 1 < les.size() && format_label_float(les[k + 1].first) == le;
            if (next_same) continue;
            add(base, bucket_name, "le", le, t, static_cast<double>(les[k].second), item);
          }
        }
        add(base, bucket_name, "le", "+Inf", t, is_stale ? stale : static_cast<double>(p.count),
            item);
        if (p.has_sum || is_stale)
          add(base, name + "_sum", {}, {}, t, is_stale ? stale : p.sum, item);
        add(base, name + "_count", {}, {}, t, is_stale ? stale : static_cast<double>(p.count),
            item);
      }
      break;

    case MetricType::kSummary:
      for (size_t i = 0; i < m.summary_points.size(); i++) {
        const SummaryPoint& p = m.summary_points[i];
        std::string why = check_common(p);
        bool is_stale = (p.flags & kFlagNoRecordedValue) != 0;
        if (why.empty()) {
          for (size_t q = 0; q < p.quantiles.size(); q++) {
            double qv = p.quantiles[q].first;
            if (!(qv >= 0 && qv <= 1)) {
              why = fmt::format("quantile_values[{}].quantile = {} is outside [0, 1]", q, qv);
              break;
            }
          }
        }
        if (!why.empty()) {
          reject(point_item(item, i), std::move(why));
          continue;
        }
        std::vector<Label> base = point_labels(low, p.attributes, high);
        if (!charge(point_item(item, i), base, name, p.quantiles.size() + 2)) continue;
        int64_t t = to_ms(p.time_unix_nano);
        for (const auto& [q, v] : p.quantiles) {
          add(base, name, "quantile", format_label_float(q), t, is_stale ? stale : v, item);
        }
        add(base, name + "_sum", {}, {}, t, is_stale ? stale : p.sum, item);
        add(base, name + "_count", {}, {}, t, is_stale ? stale : static_cast<double>(p.count),
            item);
      }
      break;

    case MetricType::kUnset:
      break;
  }
}

void Mapper::finish() {
  size_t n = out_->errors.size() - first_error_;
  if (n == 0) return;
  std::string msg;
  constexpr size_t kShown = 3;
  for (size_t i = 0; i < std::min(n, kShown); i++) {
    const ItemError& e = out_->errors[first_error_ + i];
    if (!msg.empty()) msg += "; ";
    msg += e.item;
    msg += ": ";
    msg += e.message;
  }
  if (n > kShown) msg += fmt::format(" (and {} more)", n - kShown);
  if (!result_->error_message.empty()) result_->error_message += "; ";
  result_->error_message += msg;
}

}  // namespace

void map_metrics_to_series(const ExportMetricsRequest& req, MetricBatch* out, OtlpResult* result) {
  Mapper mapper(out, result);
  mapper.map(req);
  mapper.finish();
}

}  // namespace opsight::ingest::otlp
