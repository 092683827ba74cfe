#include "ingest/otlp/otlp_metrics_pb.h"

#include <fmt/format.h>

#include <limits>

#include "ingest/otlp/otlp_pb_envelope.h"
#include "wire/protobuf.h"

namespace opsight::ingest::otlp {

namespace {

using wire::pb::Reader;

Status read_sint32(Reader& r, const std::string& path, const char* field, int32_t* out) {
  int64_t v = r.sint64();
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
    return pb_malformed(path, fmt::format("{} = {} does not fit sint32", field, v));
  }
  *out = static_cast<int32_t>(v);
  return OkStatus();
}

Status read_attribute(Reader& r, const std::string& path, std::vector<KeyValue>* attrs,
                      DecodeBudget* budget) {
  KeyValue kv;
  Status st = decode_key_value_pb(r.bytes(), &kv, budget);
  if (!st.ok()) return pb_malformed(path, st.message());
  attrs->push_back(std::move(kv));
  return OkStatus();
}

Status read_exemplar(std::string_view data, const std::string& path, PointExemplar* e,
                     DecodeBudget* budget) {
  Reader r(data);
  while (r.next()) {
    switch (r.field()) {
      case 7:
        RETURN_IF_ERROR(read_attribute(r, path, &e->filtered_attributes, budget));
        break;
      case 2:
        e->time_unix_nano = r.fixed64();
        break;
      case 3:
        e->value = r.dbl();
        break;
      case 6:
        e->value = static_cast<double>(r.sfixed64());
        break;
      case 4:
        e->span_id = std::string(r.bytes());
        break;
      case 5:
        e->trace_id = std::string(r.bytes());
        break;
      default:
        break;
    }
  }
  return pb_check(r, path);
}

// Fields shared by every data point type; returns true when `r`'s current field was one.
// `attr_field`, `flags_field` and `exemplar_field` (0: none) differ between the point messages.
bool common_field(Reader& r, uint32_t attr_field, uint32_t flags_field, uint32_t exemplar_field,
                  PointBase* p, const std::string& path, Status* st, DecodeBudget* budget) {
  uint32_t f = r.field();
  if (exemplar_field != 0 && f == exemplar_field) {
    *st = read_exemplar(r.bytes(), path + ".exemplars", &p->exemplars.emplace_back(), budget);
  } else if (f == attr_field) {
    *st = read_attribute(r, path, &p->attributes, budget);
  } else if (f == 2) {
    p->start_time_unix_nano = r.fixed64();
  } else if (f == 3) {
    p->time_unix_nano = r.fixed64();
  } else if (f == flags_field) {
    p->flags = r.uint32();
  } else {
    return false;
  }
  return true;
}

Status parse_number_point(std::string_view data, const std::string& path, NumberPoint* p,
                          DecodeBudget* budget) {
  Reader r(data);
  while (r.next()) {
    Status st;
    if (common_field(r, 7, 8, 5, p, path, &st, budget)) {
      RETURN_IF_ERROR(st);
      continue;
    }
    switch (r.field()) {
      case 4:
        p->value_type = NumberPoint::Value::kDouble;
        p->as_double = r.dbl();
        break;
      case 6:
        p->value_type = NumberPoint::Value::kInt;
        p->as_int = r.sfixed64();
        break;
      default:
        break;  // unknown
    }
  }
  return pb_check(r, path);
}

Status parse_histogram_point(std::string_view data, const std::string& path, HistogramPoint* p,
                             DecodeBudget* budget) {
  Reader r(data);
  while (r.next()) {
    Status st;
    if (common_field(r, 9, 10, 8, p, path, &st, budget)) {
      RETURN_IF_ERROR(st);
      continue;
    }
    switch (r.field()) {
      case 4:
        p->count = r.fixed64();
        break;
      case 5:
        p->has_sum = true;
        p->sum = r.dbl();
        break;
      case 6:
        r.packed_fixed64([&](uint64_t v) { p->bucket_counts.push_back(v); });
        break;
      case 7:
        r.packed_doubles([&](double v) { p->explicit_bounds.push_back(v); });
        break;
      default:
        break;  // min (11), max (12)
    }
  }
  return pb_check(r, path);
}

Status parse_exp_buckets(std::string_view data, const std::string& path, ExpBuckets* b) {
  Reader r(data);
  while (r.next()) {
    if (r.field() == 1) {
      RETURN_IF_ERROR(read_sint32(r, path, "offset", &b->offset));
    } else if (r.field() == 2) {
      r.packed_varints([&](uint64_t v) { b->bucket_counts.push_back(v); });
    }
  }
  return pb_check(r, path);
}

Status parse_exp_histogram_point(std::string_view data, const std::string& path,
                                 ExpHistogramPoint* p, DecodeBudget* budget) {
  Reader r(data);
  while (r.next()) {
    Status st;
    if (common_field(r, 1, 10, 11, p, path, &st, budget)) {
      RETURN_IF_ERROR(st);
      continue;
    }
    switch (r.field()) {
      case 4:
        p->count = r.fixed64();
        break;
      case 5:
        p->has_sum = true;
        p->sum = r.dbl();
        break;
      case 6:
        RETURN_IF_ERROR(read_sint32(r, path, "scale", &p->scale));
        break;
      case 7:
        p->zero_count = r.fixed64();
        break;
      case 8:
        RETURN_IF_ERROR(parse_exp_buckets(r.bytes(), path + ".positive", &p->positive));
        break;
      case 9:
        RETURN_IF_ERROR(parse_exp_buckets(r.bytes(), path + ".negative", &p->negative));
        break;
      case 14:
        p->zero_threshold = r.dbl();
        break;
      default:
        break;  // min (12), max (13)
    }
  }
  return pb_check(r, path);
}

Status parse_summary_point(std::string_view data, const std::string& path, SummaryPoint* p,
                           DecodeBudget* budget) {
  Reader r(data);
  while (r.next()) {
    Status st;
    if (common_field(r, 7, 8, 0, p, path, &st, budget)) {
      RETURN_IF_ERROR(st);
      continue;
    }
    switch (r.field()) {
      case 4:
        p->count = r.fixed64();
        break;
      case 5:
        p->sum = r.dbl();
        break;
      case 6: {
        Reader q(r.bytes());
        double quantile = 0, value = 0;
        while (q.next()) {
          if (q.field() == 1) quantile = q.dbl();
          if (q.field() == 2) value = q.dbl();
        }
        RETURN_IF_ERROR(pb_check(q, path + ".quantile_values"));
        p->quantiles.emplace_back(quantile, value);
        break;
      }
      default:
        break;
    }
  }
  return pb_check(r, path);
}

// Gauge / Sum / Histogram / ExponentialHistogram / Summary bodies.
Status parse_data(std::string_view data, const std::string& path, Metric* m, DecodeBudget* budget) {
  Reader r(data);
  while (r.next()) {
    uint32_t f = r.field();
    if (f == 1) {
      if (!budget->take()) return budget_exhausted_error();
      std::string pp = fmt::format("{}.data_points[{}]", path, m->point_count());
      switch (m->type) {
        case MetricType::kGauge:
        case MetricType::kSum:
          RETURN_IF_ERROR(
              parse_number_point(r.bytes(), pp, &m->number_points.emplace_back(), budget));
          break;
        case MetricType::kHistogram:
          RETURN_IF_ERROR(
              parse_histogram_point(r.bytes(), pp, &m->histogram_points.emplace_back(), budget));
          break;
        case MetricType::kExponentialHistogram:
          RETURN_IF_ERROR(parse_exp_histogram_point(
              r.bytes(), pp, &m->exp_histogram_points.emplace_back(), budget));
          break;
        case MetricType::kSummary:
          RETURN_IF_ERROR(
              parse_summary_point(r.bytes(), pp, &m->summary_points.emplace_back(), budget));
          break;
        case MetricType::kUnset:
          break;
      }
    } else if (f == 2 && m->type != MetricType::kGauge && m->type != MetricType::kSummary) {
      set_temporality(m, r.int64());
    } else if (f == 3 && m->type == MetricType::kSum) {
      m->is_monotonic = r.boolean();
    }
  }
  return pb_check(r, path);
}

Status parse_metric(std::string_view data, const std::string& path, Metric* m,
                    DecodeBudget* budget) {
  if (!budget->take()) return budget_exhausted_error();
  Reader r(data);
  while (r.next()) {
    switch (r.field()) {
      case 1:
        m->name = std::string(r.bytes());
        break;
      case 2:
        m->description = std::string(r.bytes());
        break;
      case 3:
        m->unit = std::string(r.bytes());
        break;
      case 5:
        m->set_type(MetricType::kGauge);
        RETURN_IF_ERROR(parse_data(r.bytes(), path + ".gauge", m, budget));
        break;
      case 7:
        m->set_type(MetricType::kSum);
        RETURN_IF_ERROR(parse_data(r.bytes(), path + ".sum", m, budget));
        break;
      case 9:
        m->set_type(MetricType::kHistogram);
        RETURN_IF_ERROR(parse_data(r.bytes(), path + ".histogram", m, budget));
        break;
      case 10:
        m->set_type(MetricType::kExponentialHistogram);
        RETURN_IF_ERROR(parse_data(r.bytes(), path + ".exponential_histogram", m, budget));
        break;
      case 11:
        m->set_type(MetricType::kSummary);
        RETURN_IF_ERROR(parse_data(r.bytes(), path + ".summary", m, budget));
        break;
      default:
        break;  // metadata (12), deprecated int_* (4, 6, 8), unknown
    }
  }
  return pb_check(r, path);
}

}  // namespace

Status parse_metrics_request_protobuf(std::string_view body, ExportMetricsRequest* out) {
  static constexpr PbEnvelopeNames kNames{"ExportMetricsServiceRequest", "resource_metrics",
                                          "scope_metrics", "metrics"};
  return decode_envelope_pb(body, kNames, &out->resource_metrics, &ResourceMetrics::scope_metrics,
                            &ScopeMetrics::metrics, parse_metric);
}

Status decode_metrics_protobuf(std::string_view body, MetricBatch* out, OtlpResult* result) {
  ExportMetricsRequest req;
  RETURN_IF_ERROR(parse_metrics_request_protobuf(body, &req));
  map_metrics_to_series(req, out, result);
  return OkStatus();
}

std::string encode_metrics_response_protobuf(const OtlpResult& result) {
  return encode_partial_success_pb(result.rejected_data_points, result.error_message);
}

}  // namespace opsight::ingest::otlp
