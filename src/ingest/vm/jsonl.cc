// VictoriaMetrics JSON-lines import/export, written from the format documented at
// docs.victoriametrics.com ("JSON line format", /api/v1/import and /api/v1/export).
// JSON parsing: simdjson DOM (each line is validated completely, so a bad line can never be
// half-imported). Each line is copied into a reusable buffer with SIMDJSON_PADDING zero bytes.
#include "ingest/vm/jsonl.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "common/json_writer.h"

namespace opsight::ingest::vm {
namespace {

namespace dom = simdjson::dom;

double normal_nan() {
  double d;
  std::memcpy(&d, &kNormalNaNBits, 8);
  return d;
}

// Special values as VictoriaMetrics' importer accepts them, plus opsight's "StaleNaN".
bool special_value(std::string_view s, double* v) {
  if (s == "StaleNaN") {
    *v = storage::stale_nan();
    return true;
  }
  if (s == "NaN" || s == "nan" || s == "null" || s == "Null") {
    *v = normal_nan();
    return true;
  }
  bool minus = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    minus = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "Inf" || s == "inf" || s == "Infinity" || s == "infinity") {
    *v = minus ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  return false;
}

// Reads a value element: a number, null, or a special-value string. Returns "" or the rule.
std::string read_value(dom::element e, double* v) {
  switch (e.type()) {
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE:
      *v = e.get_double().value_unsafe();
      return {};
    case dom::element_type::NULL_VALUE:
      *v = normal_nan();
      return {};
    case dom::element_type::STRING: {
      std::string_view s = e.get_string().value_unsafe();
      if (special_value(s, v)) return {};
      return fmt::format(
          "unsupported string \"{}\": a value is a JSON number, null, \"NaN\", "
          "\"Inf\" or \"-Inf\"",
          s.substr(0, 32));
    }
    default:
      return "not a number";
  }
}

// Decodes one line; returns "" or the rule it broke.
std::string decode_line(dom::parser& parser, std::string& buf, std::string_view line,
                        size_t line_no, MetricBatch* out) {
  buf.assign(line);
  buf.resize(line.size() + simdjson::SIMDJSON_PADDING, '\0');
  dom::element doc;
  if (auto err = parser.parse(buf.data(), line.size(), false).get(doc); err) {
    return fmt::format("invalid JSON: {}", simdjson::error_message(err));
  }
  dom::object obj;
  if (doc.get_object().get(obj)) return "not a JSON object";

  // "metric"
  dom::object metric;
  if (obj["metric"].get_object().get(metric)) return "missing \"metric\" object";
  std::vector<Label> labels;
  labels.reserve(metric.size());
  for (auto field : metric) {
    std::string_view value;
    if (field.value.get_string().get(value)) {
      return fmt::format("metric: value of label \"{}\" is not a string", field.key);
    }
    labels.push_back(Label{std::string(field.key), std::string(value)});
  }
  std::sort(labels.begin(), labels.end());
  for (size_t i = 1; i < labels.size(); i++) {
    if (labels[i].name == labels[i - 1].name) {
      return fmt::format("metric: duplicate label name \"{}\"", labels[i].name);
    }
  }
  std::erase_if(labels, [](const Label& l) { return l.value.empty(); });
  bool has_name = std::any_of(labels.begin(), labels.end(),
                              [](const Label& l) { return l.name == kMetricName; });
  if (!has_name) return "metric: missing metric name (label __name__)";

  // "values" and "timestamps"
  dom::array values, timestamps;
  if (obj["values"].get_array().get(values)) return "missing \"values\" array";
  if (obj["timestamps"].get_array().get(timestamps)) return "missing \"timestamps\" array";
  if (values.size() == 0) return "\"values\" is empty";
  if (values.size() != timestamps.size()) {
    return fmt::format("values and timestamps differ in length ({} vs {})", values.size(),
                       timestamps.size());
  }
  std::vector<storage::Sample> samples(values.size());
  size_t i = 0;
  for (dom::element e : values) {
    if (std::string rule = read_value(e, &samples[i].v); !rule.empty()) {
      return fmt::format("values[{}]: {}", i, rule);
    }
    i++;
  }
  i = 0;
  for (dom::element e : timestamps) {
    if (e.get_int64().get(samples[i].t)) {
      return fmt::format("timestamps[{}]: not an integer number of milliseconds", i);
    }
    i++;
  }

  // "statistics" (opsight extension)
  dom::element stats_elem;
  if (!obj["statistics"].get(stats_elem) && !stats_elem.is_null()) {
    dom::array stats;
    if (stats_elem.get_array().get(stats)) return "\"statistics\" is not an array";
    if (stats.size() != values.size()) {
      return fmt::format("statistics and values differ in length ({} vs {})", stats.size(),
                         values.size());
    }
    i = 0;
    for (dom::element e : stats) {
      if (e.is_null()) {
        i++;
        continue;
      }
      dom::object so;
      if (e.get_object().get(so)) {
        return fmt::format("statistics[{}]: not an object or null", i);
      }
      storage::StatSet set;
      struct Member {
        const char* name;
        double* dst;
      } members[] = {
          {"count", &set.count}, {"sum", &set.sum}, {"min", &set.min}, {"max", &set.max}};
      for (const auto& m : members) {
        dom::element me;
        if (so[m.name].get(me)) return fmt::format("statistics[{}]: missing \"{}\"", i, m.name);
        if (std::string rule = read_value(me, m.dst); !rule.empty()) {
          return fmt::format("statistics[{}].{}: {}", i, m.name, rule);
        }
      }
      samples[i] = storage::Sample::stat_set(samples[i].t, set);
      i++;
    }
  }

  out->series.push_back(SeriesSamples{Labels::from_sorted(std::move(labels)), std::move(samples),
                                      fmt::format("line {}", line_no)});
  return {};
}

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

// Appends v so that simdjson reads back the same double (see the header for specials).
void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += storage::is_stale_nan(v) ? "\"StaleNaN\"" : "null";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "\"Inf\"" : "\"-Inf\"";
    return;
  }
  if (v == 0 && std::signbit(v)) {
    out += "-0.0";  // "-0" would read back as the integer 0
    return;
  }
  char buf[32];
  char* end = std::to_chars(buf, buf + sizeof(buf), v).ptr;
  std::string_view text(buf, end - buf);
  // Long integer text ("123456789012345680") can exceed the integer range a JSON reader
  // accepts; write it in exponent form instead.
  if (text.find_first_of(".e") == std::string_view::npos && text.size() > 15) {
    end = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific).ptr;
    text = std::string_view(buf, end - buf);
  }
  out += text;
}

}  // namespace

Status decode_import(std::string_view body, MetricBatch* out) {
  dom::parser parser;
  std::string buf;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    size_t end = nl == std::string_view::npos ? body.size() : nl;
    std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    line_no++;
    if (blank(line)) continue;
    if (line.back() == '\r') line.remove_suffix(1);
    if (std::string rule = decode_line(parser, buf, line, line_no, out); !rule.empty()) {
      out->errors.push_back({fmt::format("line {}", line_no), std::move(rule)});
    }
  }
  return OkStatus();
}

void encode_export_line(const Labels& labels, std::span<const storage::Sample> samples,
                        std::string* out) {
  if (samples.empty()) return;
  std::string& o = *out;
  o += "{\"metric\":{";
  bool first = true;
  for (const auto& l : labels) {
    if (!first) o += ',';
    first = false;
    json::append_string(o, l.name);
    o += ':';
    json::append_string(o, l.value);
  }
  o += "},\"values\":[";
  bool any_stats = false;
  for (size_t i = 0; i < samples.size(); i++) {
    if (i > 0) o += ',';
    const auto& s = samples[i];
    append_value(o, s.is_stats ? s.stats.sum : s.v);
    any_stats |= s.is_stats;
  }
  o += "],\"timestamps\":[";
  for (size_t i = 0; i < samples.size(); i++) {
    if (i > 0) o += ',';
    fmt::format_to(std::back_inserter(o), "{}", samples[i].t);
  }
  o += ']';
  if (any_stats) {
    o += ",\"statistics\":[";
    for (size_t i = 0; i < samples.size(); i++) {
      if (i > 0) o += ',';
      const auto& s = samples[i];
      if (!s.is_stats) {
        o += "null";
        continue;
      }
      o += "{\"count\":";
      append_value(o, s.stats.count);
      o += ",\"sum\":";
      append_value(o, s.stats.sum);
      o += ",\"min\":";
      append_value(o, s.stats.min);
      o += ",\"max\":";
      append_value(o, s.stats.max);
      o += '}';
    }
    o += ']';
  }
  o += "}\n";
}

}  // namespace opsight::ingest::vm
