#include "ingest/otlp/otlp_metrics_json.h"

#include <fmt/format.h>

#include "common/json_writer.h"
#include "ingest/otlp/otlp_json_common.h"

namespace opsight::ingest::otlp {

namespace {

using json::Element;
using json::is_field;
using json::is_null;
using simdjson::dom::array;
using simdjson::dom::object;

Status malformed(const std::string& path, std::string_view what) {
  return Status::invalid_argument(fmt::format("malformed OTLP JSON at {}: {}", path, what));
}

// Records the first unreadable scalar of a point; the mapping rejects the point with it.
void point_error(PointBase* p, std::string_view field, std::string_view want, Element v) {
  if (!p->error.empty()) return;
  p->error = fmt::format("{} must be {}, got {}", field, want, json::kind_name(v));
  std::string_view s;
  if (json::to_string(v, &s)) {
    p->error += fmt::format(" \"{}\"", s.substr(0, 64));
  }
}

constexpr std::string_view kU64 = "a uint64 (decimal string or number)";
constexpr std::string_view kI64 = "an int64 (decimal string or number)";
constexpr std::string_view kDouble = "a double (number, \"NaN\", \"Infinity\" or \"-Infinity\")";

// An exemplar object; unreadable scalars mark the point like its own fields do.
Status parse_exemplar(Element e, const std::string& path, PointBase* p, DecodeBudget* budget) {
  object obj;
  RETURN_IF_ERROR(json::as_object(e, path, &obj));
  PointExemplar& x = p->exemplars.emplace_back();
  for (auto f : obj) {
    if (is_null(f.value)) continue;
    std::string_view s;
    if (is_field(f.key, "filteredAttributes", "filtered_attributes")) {
      RETURN_IF_ERROR(json::decode_key_values(f.value, path + ".filteredAttributes",
                                              &x.filtered_attributes, budget));
    } else if (is_field(f.key, "timeUnixNano", "time_unix_nano")) {
      if (!json::to_uint64(f.value, &x.time_unix_nano)) {
        point_error(p, "exemplars.timeUnixNano", kU64, f.value);
      }
    } else if (is_field(f.key, "asDouble", "as_double")) {
      if (!json::to_double(f.value, &x.value))
        point_error(p, "exemplars.asDouble", kDouble, f.value);
    } else if (is_field(f.key, "asInt", "as_int")) {
      int64_t i = 0;
      if (!json::to_int64(f.value, &i)) point_error(p, "exemplars.asInt", kI64, f.value);
      x.value = static_cast<double>(i);
    } else if (is_field(f.key, "traceId", "trace_id")) {
      if (!json::to_string(f.value, &s) || !hex_decode(s, &x.trace_id)) {
        point_error(p, "exemplars.traceId", "a hex string", f.value);
      }
    } else if (is_field(f.key, "spanId", "span_id")) {
      if (!json::to_string(f.value, &s) || !hex_decode(s, &x.span_id)) {
        point_error(p, "exemplars.spanId", "a hex string", f.value);
      }
    }
  }
  return OkStatus();
}

// Fields shared by every data point type; true when `key` was one.
bool common_field(std::string_view key, Element v, const std::string& path, PointBase* p,
                  Status* st, DecodeBudget* budget) {
  if (key == "attributes") {
    *st = json::decode_key_values(v, path + ".attributes", &p->attributes, budget);
  } else if (key == "exemplars") {
    array arr;
    *st = json::as_array(v, path + ".exemplars", &arr);
    if (st->ok()) {
      size_t i = 0;
      for (Element x : arr) {
        *st = parse_exemplar(x, fmt::format("{}.exemplars[{}]", path, i++), p, budget);
        if (!st->ok()) break;
      }
    }
  } else if (is_field(key, "startTimeUnixNano", "start_time_unix_nano")) {
    if (!json::to_uint64(v, &p->start_time_unix_nano)) {
      point_error(p, "startTimeUnixNano", kU64, v);
    }
  } else if (is_field(key, "timeUnixNano", "time_unix_nano")) {
    if (!json::to_uint64(v, &p->time_unix_nano)) point_error(p, "timeUnixNano", kU64, v);
  } else if (key == "flags") {
    if (!json::to_uint32(v, &p->flags)) point_error(p, "flags", "a uint32", v);
  } else {
    return false;
  }
  return true;
}

template <typename T, typename Fn>
Status for_each_field(Element e, const std::string& path, T* p, Fn&& fn, DecodeBudget* budget) {
  object obj;
  RETURN_IF_ERROR(json::as_object(e, path, &obj));
  for (auto f : obj) {
    if (is_null(f.value)) continue;
    Status st;
    if (common_field(f.key, f.value, path, p, &st, budget)) {
      RETURN_IF_ERROR(st);
      continue;
    }
    RETURN_IF_ERROR(fn(f.key, f.value));
  }
  return OkStatus();
}

// Reads a JSON array of uint64 into *out; an unreadable element marks the point.
Status read_u64_array(Element v, const std::string& path, std::string_view field, PointBase* p,
                      std::vector<uint64_t>* out) {
  array arr;
  RETURN_IF_ERROR(json::as_array(v, path + "." + std::string(field), &arr));
  for (Element x : arr) {
    uint64_t n = 0;
    if (!json::to_uint64(x, &n)) point_error(p, field, kU64, x);
    out->push_back(n);
  }
  return OkStatus();
}

Status parse_number_point(Element e, const std::string& path, NumberPoint* p,
                          DecodeBudget* budget) {
  return for_each_field(
      e, path, p,
      [&](std::string_view key, Element v) -> Status {
        if (is_field(key, "asDouble", "as_double")) {
          p->value_type = NumberPoint::Value::kDouble;
          if (!json::to_double(v, &p->as_double)) point_error(p, "asDouble", kDouble, v);
        } else if (is_field(key, "asInt", "as_int")) {
          p->value_type = NumberPoint::Value::kInt;
          if (!json::to_int64(v, &p->as_int)) point_error(p, "asInt", kI64, v);
        }
        return OkStatus();
      },
      budget);
}

Status parse_histogram_point(Element e, const std::string& path, HistogramPoint* p,
                             DecodeBudget* budget) {
  return for_each_field(
      e, path, p,
      [&](std::string_view key, Element v) -> Status {
        if (key == "count") {
          if (!json::to_uint64(v, &p->count)) point_error(p, "count", kU64, v);
        } else if (key == "sum") {
          p->has_sum = true;
          if (!json::to_double(v, &p->sum)) point_error(p, "sum", kDouble, v);
        } else if (is_field(key, "bucketCounts", "bucket_counts")) {
          return read_u64_array(v, path, "bucketCounts", p, &p->bucket_counts);
        } else if (is_field(key, "explicitBounds", "explicit_bounds")) {
          array arr;
          RETURN_IF_ERROR(json::as_array(v, path + ".explicitBounds", &arr));
          for (Element x : arr) {
            double d = 0;
            if (!json::to_double(x, &d)) point_error(p, "explicitBounds", kDouble, x);
            p->explicit_bounds.push_back(d);
          }
        }
        return OkStatus();
      },
      budget);
}

Status parse_exp_buckets(Element e, const std::string& path, ExpHistogramPoint* p, ExpBuckets* b) {
  object obj;
  RETURN_IF_ERROR(json::as_object(e, path, &obj));
  for (auto f : obj) {
    if (is_null(f.value)) continue;
    if (f.key == "offset") {
      if (!json::to_int32(f.value, &b->offset)) point_error(p, "offset", "an int32", f.value);
    } else if (is_field(f.key, "bucketCounts", "bucket_counts")) {
      RETURN_IF_ERROR(read_u64_array(f.value, path, "bucketCounts", p, &b->bucket_counts));
    }
  }
  return OkStatus();
}

Status parse_exp_histogram_point(Element e, const std::string& path, ExpHistogramPoint* p,
                                 DecodeBudget* budget) {
  return for_each_field(
      e, path, p,
      [&](std::string_view key, Element v) -> Status {
        if (key == "count") {
          if (!json::to_uint64(v, &p->count)) point_error(p, "count", kU64, v);
        } else if (key == "sum") {
          p->has_sum = true;
          if (!json::to_double(v, &p->sum)) point_error(p, "sum", kDouble, v);
        } else if (key == "scale") {
          if (!json::to_int32(v, &p->scale)) point_error(p, "scale", "an int32", v);
        } else if (is_field(key, "zeroCount", "zero_count")) {
          if (!json::to_uint64(v, &p->zero_count)) point_error(p, "zeroCount", kU64, v);
        } else if (is_field(key, "zeroThreshold", "zero_threshold")) {
          if (!json::to_double(v, &p->zero_threshold)) point_error(p, "zeroThreshold", kDouble, v);
        } else if (key == "positive") {
          return parse_exp_buckets(v, path + ".positive", p, &p->positive);
        } else if (key == "negative") {
          return parse_exp_buckets(v, path + ".negative", p, &p->negative);
        }
        return OkStatus();
      },
      budget);
}

Status parse_summary_point(Element e, const std::string& path, SummaryPoint* p,
                           DecodeBudget* budget) {
  return for_each_field(
      e, path, p,
      [&](std::string_view key, Element v) -> Status {
        if (key == "count") {
          if (!json::to_uint64(v, &p->count)) point_error(p, "count", kU64, v);
        } else if (key == "sum") {
          if (!json::to_double(v, &p->sum)) point_error(p, "sum", kDouble, v);
        } else if (is_field(key, "quantileValues", "quantile_values")) {
          array arr;
          RETURN_IF_ERROR(json::as_array(v, path + ".quantileValues", &arr));
          for (Element x : arr) {
            std::string qp = fmt::format("{}.quantileValues[{}]", path, p->quantiles.size());
            object q;
            RETURN_IF_ERROR(json::as_object(x, qp, &q));
            double quantile = 0, value = 0;
            for (auto f : q) {
              if (is_null(f.value)) continue;
              if (f.key == "quantile" && !json::to_double(f.value, &quantile)) {
                point_error(p, "quantileValues.quantile", kDouble, f.value);
              } else if (f.key == "value" && !json::to_double(f.value, &value)) {
                point_error(p, "quantileValues.value", kDouble, f.value);
              }
            }
            p->quantiles.emplace_back(quantile, value);
          }
        }
        return OkStatus();
      },
      budget);
}

Status read_temporality(Element v, const std::string& path, Metric* m) {
  int64_t raw = 0;
  std::string_view name;
  if (json::to_string(v, &name)) {
    if (name == "AGGREGATION_TEMPORALITY_UNSPECIFIED") {
      raw = 0;
    } else if (name == "AGGREGATION_TEMPORALITY_DELTA") {
      raw = 1;
    } else if (name == "AGGREGATION_TEMPORALITY_CUMULATIVE") {
      raw = 2;
    } else if (!json::to_int64(v, &raw)) {
      return malformed(path, fmt::format("unknown aggregationTemporality \"{}\"", name));
    }
  } else if (!json::to_int64(v, &raw)) {
    return malformed(
        path, fmt::format("aggregationTemporality must be an integer, got {}", json::kind_name(v)));
  }
  set_temporality(m, raw);
  return OkStatus();
}

// Gauge / Sum / Histogram / ExponentialHistogram / Summary bodies.
Status parse_data(Element e, const std::string& path, Metric* m, DecodeBudget* budget) {
  object obj;
  RETURN_IF_ERROR(json::as_object(e, path, &obj));
  for (auto f : obj) {
    if (is_null(f.value)) continue;
    if (is_field(f.key, "dataPoints", "data_points")) {
      array arr;
      RETURN_IF_ERROR(json::as_array(f.value, path + ".dataPoints", &arr));
      for (Element x : arr) {
        if (!budget->take()) return budget_exhausted_error();
        std::string pp = fmt::format("{}.dataPoints[{}]", path, m->point_count());
        switch (m->type) {
          case MetricType::kGauge:
          case MetricType::kSum:
            RETURN_IF_ERROR(parse_number_point(x, pp, &m->number_points.emplace_back(), budget));
            break;
          case MetricType::kHistogram:
            RETURN_IF_ERROR(
                parse_histogram_point(x, pp, &m->histogram_points.emplace_back(), budget));
            break;
          case MetricType::kExponentialHistogram:
            RETURN_IF_ERROR(
                parse_exp_histogram_point(x, pp, &m->exp_histogram_points.emplace_back(), budget));
            break;
          case MetricType::kSummary:
            RETURN_IF_ERROR(parse_summary_point(x, pp, &m->summary_points.emplace_back(), budget));
            break;
          case MetricType::kUnset:
            break;
        }
      }
    } else if (is_field(f.key, "aggregationTemporality", "aggregation_temporality") &&
               m->type != MetricType::kGauge && m->type != MetricType::kSummary) {
      RETURN_IF_ERROR(read_temporality(f.value, path + ".aggregationTemporality", m));
    } else if (is_field(f.key, "isMonotonic", "is_monotonic") && m->type == MetricType::kSum) {
      if (!json::to_bool(f.value, &m->is_monotonic)) {
        return malformed(path + ".isMonotonic",
                         fmt::format("expected a boolean, got {}", json::kind_name(f.value)));
      }
    }
  }
  return OkStatus();
}

Status parse_metric(Element e, const std::string& path, Metric* m, DecodeBudget* budget) {
  if (!budget->take()) return budget_exhausted_error();
  object obj;
  RETURN_IF_ERROR(json::as_object(e, path, &obj));
  for (auto f : obj) {
    if (is_null(f.value)) continue;
    std::string_view key = f.key;
    std::string_view s;
    if (key == "name") {
      RETURN_IF_ERROR(json::as_string(f.value, path + ".name", &s));
      m->name = std::string(s);
    } else if (key == "description") {
      RETURN_IF_ERROR(json::as_string(f.value, path + ".description", &s));
      m->description = std::string(s);
    } else if (key == "unit") {
      RETURN_IF_ERROR(json::as_string(f.value, path + ".unit", &s));
      m->unit = std::string(s);
    } else if (key == "gauge") {
      m->set_type(MetricType::kGauge);
      RETURN_IF_ERROR(parse_data(f.value, path + ".gauge", m, budget));
    } else if (key == "sum") {
      m->set_type(MetricType::kSum);
      RETURN_IF_ERROR(parse_data(f.value, path + ".sum", m, budget));
    } else if (key == "histogram") {
      m->set_type(MetricType::kHistogram);
      RETURN_IF_ERROR(parse_data(f.value, path + ".histogram", m, budget));
    } else if (is_field(key, "exponentialHistogram", "exponential_histogram")) {
      m->set_type(MetricType::kExponentialHistogram);
      RETURN_IF_ERROR(parse_data(f.value, path + ".exponentialHistogram", m, budget));
    } else if (key == "summary") {
      m->set_type(MetricType::kSummary);
      RETURN_IF_ERROR(parse_data(f.value, path + ".summary", m, budget));
    }
  }
  return OkStatus();
}

}  // namespace

Status parse_metrics_request_json(std::string_view body, ExportMetricsRequest* out) {
  static constexpr json::EnvelopeNames kNames{"ExportMetricsServiceRequest",
                                              "resourceMetrics",
                                              "resource_metrics",
                                              "scopeMetrics",
                                              "scope_metrics",
                                              "metrics",
                                              "metrics"};
  return json::decode_envelope(body, kNames, &out->resource_metrics,
                               &ResourceMetrics::scope_metrics, &ScopeMetrics::metrics,
                               parse_metric);
}

Status decode_metrics_json(std::string_view body, MetricBatch* out, OtlpResult* result) {
  ExportMetricsRequest req;
  RETURN_IF_ERROR(parse_metrics_request_json(body, &req));
  map_metrics_to_series(req, out, result);
  return OkStatus();
}

std::string encode_metrics_response_json(const OtlpResult& result) {
  return encode_partial_success_json("rejectedDataPoints", result.rejected_data_points,
                                     result.error_message);
}

}  // namespace opsight::ingest::otlp
