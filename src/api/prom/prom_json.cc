#include "api/prom/prom_json.h"

#include <charconv>
#include <cmath>
#include <variant>

#include "common/json_writer.h"

namespace opsight::api {

void append_prom_timestamp(std::string& out, int64_t ms) {
  if (ms < 0) {
    out += '-';
    ms = -ms;
  }
  out += std::to_string(ms / 1000);
  int64_t frac = ms % 1000;
  if (frac == 0) return;
  // Prometheus writes the three digits as they are (1.500, 1.050), not trimmed.
  char buf[5] = {'.', static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                 static_cast<char>('0' + frac % 10), 0};
  out += buf;
}

void append_prom_value(std::string& out, double v) {
  out += '"';
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    // Shortest digits that round-trip, never in exponent form: Go's 'f' with precision -1.
    char buf[400];
    auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
    out.append(buf, r.ptr);
  }
  out += '"';
}

void append_prom_metric(std::string& out, const Labels& labels) {
  out += '{';
  bool first = true;
  for (const auto& l : labels) {
    if (!first) out += ',';
    first = false;
    json::append_string(out, l.name);
    out += ':';
    json::append_string(out, l.value);
  }
  out += '}';
}

namespace {

void append_pair(std::string& out, int64_t t, double v) {
  out += '[';
  append_prom_timestamp(out, t);
  out += ',';
  append_prom_value(out, v);
  out += ']';
}

void append_vector(std::string& out, const query::promql::Vector& vec) {
  out += '[';
  for (size_t i = 0; i < vec.size(); ++i) {
    if (i) out += ',';
    out += "{\"metric\":";
    append_prom_metric(out, vec[i].labels);
    out += ",\"value\":";
    append_pair(out, vec[i].t, vec[i].v);
    out += '}';
  }
  out += ']';
}

void append_matrix(std::string& out, const query::promql::Matrix& m) {
  out += '[';
  for (size_t i = 0; i < m.size(); ++i) {
    if (i) out += ',';
    out += "{\"metric\":";
    append_prom_metric(out, m[i].labels);
    out += ",\"values\":[";
    const auto& pts = m[i].points;
    for (size_t j = 0; j < pts.size(); ++j) {
      if (j) out += ',';
      append_pair(out, pts[j].t, pts[j].v);
    }
    out += "]}";
  }
  out += ']';
}

}  // namespace

std::string prom_query_data(const query::promql::Value& value) {
  namespace pq = query::promql;
  std::string out = R"({"resultType":")";
  if (const auto* s = std::get_if<pq::Scalar>(&value)) {
    out += "scalar\",\"result\":";
    append_pair(out, s->t, s->v);
  } else if (const auto* str = std::get_if<pq::String>(&value)) {
    out += "string\",\"result\":[";
    append_prom_timestamp(out, str->t);
    out += ',';
    json::append_string(out, str->v);
    out += ']';
  } else if (const auto* vec = std::get_if<pq::Vector>(&value)) {
    out += "vector\",\"result\":";
    append_vector(out, *vec);
  } else {
    out += "matrix\",\"result\":";
    append_matrix(out, std::get<pq::Matrix>(value));
  }
  out += '}';
  return out;
}

}  // namespace opsight::api
