// CloudWatch PutMetricData (AWS JSON 1.0 body). Rules from the CloudWatch API reference:
// API_PutMetricData, API_MetricDatum, API_Dimension, API_StatisticSet; units from
// API_MetricDatum "Valid Values". JSON parsing: simdjson DOM on one padded copy of the body.
#include "ingest/aws/put_metric_data.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <set>
#include <utility>

#include "common/cloudwatch_unit.h"

namespace opsight::ingest::aws {
namespace {

namespace dom = simdjson::dom;

constexpr size_t kMaxMetricData = 1000;
constexpr size_t kMaxDimensions = 30;
constexpr size_t kMaxValues = 150;
constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxDimensionValueLength = 1024;

// A rule broken by one item: where (relative to "MetricData[i]") and what.
struct Violation {
  std::string where;  // e.g. ".Dimensions[0].Name", or "" for the item itself
  std::string rule;
};

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

// "" when s is 1..max ASCII characters without control characters and with at least one
// non-whitespace character (API_Dimension); else the rule.
std::string check_ascii_text(std::string_view s, size_t max) {
  if (s.empty() || s.size() > max) {
    return fmt::format("length must be 1..{} characters (got {})", max, utf8_length(s));
  }
  bool non_space = false;
  for (unsigned char c : s) {
    if (c >= 0x80) return "must contain only ASCII characters";
    if (c < 0x20 || c == 0x7f) return "must not contain ASCII control characters";
    if (c != ' ') non_space = true;
  }
  if (!non_space) return "must contain at least one non-whitespace character";
  return {};
}

// Reads a JSON number. "" or the rule.
std::string read_number(dom::element e, double* v) {
  switch (e.type()) {
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE:
      *v = e.get_double().value_unsafe();
      return {};
    case dom::element_type::STRING:
      // The AWS JSON protocols write non-finite doubles as "NaN", "Infinity", "-Infinity".
      return "must be a finite number: CloudWatch does not accept NaN or infinities";
    default:
      return "must be a number";
  }
}

// CloudWatch's accepted range for a value (API_MetricDatum Value): finite, |v| <= 2^360,
// and 0 or |v| >= 2^-260.
std::string check_range(double v) {
  static const double kMax = std::ldexp(1.0, 360);
  static const double kMin = std::ldexp(1.0, -260);
  if (!std::isfinite(v)) return "must be a finite number";
  double a = std::fabs(v);
  if (a > kMax) return fmt::format("{} is out of CloudWatch's range: |value| must be <= 2^360", v);
  if (a != 0 && a < kMin) {
    return fmt::format("{} is out of CloudWatch's range: |value| must be 0 or >= 2^-260", v);
  }
  return {};
}

// Reads a number and checks CloudWatch's range.
std::string read_value(dom::element e, double* v) {
  if (std::string r = read_number(e, v); !r.empty()) return r;
  return check_range(*v);
}

bool present(dom::object o, std::string_view key, dom::element* e) {
  return !o[key].get(*e) && !e->is_null();
}

// Converts a civil date to days since 1970-01-01 (proleptic Gregorian calendar; the
// era-based method from H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

std::string read_timestamp(dom::element e, int64_t* ms) {
  if (e.is_string()) {
    auto r = parse_iso8601_ms(e.get_string().value_unsafe());
    if (!r.ok()) return r.status().message();
    *ms = *r;
    return {};
  }
  double seconds;
  if (!read_number(e, &seconds).empty()) {
    return "must be epoch seconds (a number) or an ISO-8601 date-time string";
  }
  if (!(std::fabs(seconds) < 9.0e15)) return "epoch seconds out of range";
  *ms = std::llround(seconds * 1000.0);
  return {};
}

// Decodes MetricData[index]; on success appends its series (and unit) to *out.
std::optional<Violation> decode_datum(dom::element elem, std::string_view ns, int64_t now_ms,
                                      size_t index, MetricBatch* out,
                                      std::set<std::pair<std::string, std::string>>* units) {
  dom::object item;
  if (elem.get_object().get(item)) return Violation{"", "must be an object (a MetricDatum)"};

  // MetricName
  dom::element e;
  std::string_view name;
  if (!present(item, "MetricName", &e)) return Violation{".MetricName", "is required"};
  if (e.get_string().get(name)) return Violation{".MetricName", "must be a string"};
  if (name.empty() || utf8_length(name) > kMaxNameLength) {
    return Violation{".MetricName", fmt::format("length must be 1..{} characters (got {})",
                                                kMaxNameLength, utf8_length(name))};
  }

  std::vector<Label> labels;
  labels.push_back(Label{std::string(kMetricName), std::string(name)});
  labels.push_back(Label{"Namespace", std::string(ns)});

  // Dimensions
  if (present(item, "Dimensions", &e)) {
    dom::array dims;
    if (e.get_array().get(dims)) return Violation{".Dimensions", "must be an array"};
    if (dims.size() > kMaxDimensions) {
      return Violation{".Dimensions", fmt::format("{} dimensions: at most {} are allowed",
                                                  dims.size(), kMaxDimensions)};
    }
    size_t d = 0;
    for (dom::element de : dims) {
      std::string at = fmt::format(".Dimensions[{}]", d++);
      dom::object dobj;
      if (de.get_object().get(dobj)) return Violation{at, "must be an object (a Dimension)"};
      std::string_view dname, dvalue;
      dom::element f;
      if (!present(dobj, "Name", &f)) return Violation{at + ".Name", "is required"};
      if (f.get_string().get(dname)) return Violation{at + ".Name", "must be a string"};
      if (std::string r = check_ascii_text(dname, kMaxNameLength); !r.empty()) {
        return Violation{at + ".Name", r};
      }
      if (dname[0] == ':') return Violation{at + ".Name", "must not start with a colon (:)"};
      if (dname == "Namespace") {
        return Violation{at + ".Name",
                         "\"Namespace\" is reserved: opsight stores the namespace as a label "
                         "of that name"};
      }
      if (dname.starts_with("__")) {
        return Violation{at + ".Name", fmt::format("\"{}\" is reserved: names starting with __ are "
                                                   "opsight-internal labels",
                                                   dname)};
      }
      if (!present(dobj, "Value", &f)) return Violation{at + ".Value", "is required"};
      if (f.get_string().get(dvalue)) return Violation{at + ".Value", "must be a string"};
      if (std::string r = check_ascii_text(dvalue, kMaxDimensionValueLength); !r.empty()) {
        return Violation{at + ".Value", r};
      }
      for (size_t k = 2; k < labels.size(); k++) {
        if (labels[k].name == dname) {
          return Violation{at + ".Name", fmt::format("duplicate dimension name \"{}\"", dname)};
        }
      }
      labels.push_back(Label{std::string(dname), std::string(dvalue)});
    }
  }

  // Timestamp
  int64_t t = now_ms;
  if (present(item, "Timestamp", &e)) {
    if (std::string r = read_timestamp(e, &t); !r.empty()) return Violation{".Timestamp", r};
  }

  // Unit
  std::string_view unit;
  if (present(item, "Unit", &e)) {
    if (e.get_string().get(unit)) return Violation{".Unit", "must be a string"};
    if (!is_cloudwatch_unit(unit)) {
      return Violation{".Unit",
                       fmt::format("\"{}\" is not a CloudWatch unit (Seconds, Milliseconds, "
                                   "Bytes, Percent, Count, Count/Second, None, ...)",
                                   unit.substr(0, 64))};
    }
  }

  // StorageResolution
  if (present(item, "StorageResolution", &e)) {
    double res;
    if (!read_number(e, &res).empty() || (res != 1 && res != 60)) {
      return Violation{".StorageResolution", "must be 1 (high resolution) or 60 (standard)"};
    }
  }

  // Exactly one of Value | Values | StatisticValues.
  dom::element value_e, values_e, stats_e, counts_e;
  bool has_value = present(item, "Value", &value_e);
  bool has_values = present(item, "Values", &values_e);
  bool has_stats = present(item, "StatisticValues", &stats_e);
  bool has_counts = present(item, "Counts", &counts_e);
  int kinds = int{has_value} + int{has_values} + int{has_stats};
  if (kinds == 0) return Violation{"", "one of Value, Values or StatisticValues is required"};
  if (kinds > 1) {
    return Violation{"", "Value, Values and StatisticValues are mutually exclusive: give one"};
  }
  if (has_counts && !has_values) return Violation{".Counts", "is only allowed with Values"};

  storage::Sample sample;
  if (has_value) {
    double v;
    if (std::string r = read_value(value_e, &v); !r.empty()) return Violation{".Value", r};
    sample = storage::Sample::value(t, v);
  } else if (has_values) {
    dom::array values;
    if (values_e.get_array().get(values)) return Violation{".Values", "must be an array"};
    if (values.size() == 0 || values.size() > kMaxValues) {
      return Violation{".Values",
                       fmt::format("must have 1..{} values (got {})", kMaxValues, values.size())};
    }
    std::vector<double> counts(values.size(), 1.0);
    if (has_counts) {
      dom::array ca;
      if (counts_e.get_array().get(ca)) return Violation{".Counts", "must be an array"};
      if (ca.size() != values.size()) {
        return Violation{".Counts", fmt::format("must have as many items as Values ({} vs {})",
                                                ca.size(), values.size())};
      }
      size_t k = 0;
      for (dom::element ce : ca) {
        std::string r = read_number(ce, &counts[k]);
        if (r.empty() && !(counts[k] >= 0)) r = "must be a number >= 0";
        if (!r.empty()) return Violation{fmt::format(".Counts[{}]", k), r};
        k++;
      }
    }
    storage::StatSet s;
    bool any = false;
    size_t k = 0;
    for (dom::element ve : values) {
      double v;
      const double c = counts[k];
      if (std::string r = read_value(ve, &v); !r.empty()) {
        return Violation{fmt::format(".Values[{}]", k), r};
      }
      k++;
      if (c == 0) continue;
      s.count += c;
      s.sum += v * c;
      s.min = any ? std::min(s.min, v) : v;
      s.max = any ? std::max(s.max, v) : v;
      any = true;
    }
    if (!any) return Violation{".Counts", "the total count must be > 0"};
    if (!std::isfinite(s.sum)) return Violation{".Values", "sum of value*count overflows"};
    sample = storage::Sample::stat_set(t, s);
  } else {
    dom::object so;
    if (stats_e.get_object().get(so)) {
      return Violation{".StatisticValues", "must be an object (a StatisticSet)"};
    }
    storage::StatSet s;
    struct Member {
      std::string_view name;
      double* dst;
    } members[] = {
        {"SampleCount", &s.count}, {"Sum", &s.sum}, {"Minimum", &s.min}, {"Maximum", &s.max}};
    for (const auto& m : members) {
      std::string at = fmt::format(".StatisticValues.{}", m.name);
      dom::element me;
      if (!present(so, m.name, &me)) return Violation{at, "is required"};
      if (std::string r = read_value(me, m.dst); !r.empty()) return Violation{at, r};
    }
    if (!(s.count > 0)) return Violation{".StatisticValues.SampleCount", "must be > 0"};
    if (s.min > s.max) {
      return Violation{".StatisticValues",
                       fmt::format("Minimum ({}) must be <= Maximum ({})", s.min, s.max)};
    }
    sample = storage::Sample::stat_set(t, s);
  }

  if (!unit.empty() && units->emplace(std::string(name), std::string(unit)).second) {
    MetadataEntry m;
    m.metric = std::string(name);
    m.meta.unit = std::string(unit);
    out->metadata.push_back(std::move(m));
  }
  out->series.push_back(
      SeriesSamples{Labels(std::move(labels)), {sample}, fmt::format("MetricData[{}]", index)});
  return std::nullopt;
}

std::string check_namespace(std::string_view ns) {
  if (ns.empty() || ns.size() > kMaxNameLength) {
    return fmt::format("length must be 1..{} characters (got {})", kMaxNameLength, ns.size());
  }
  for (unsigned char c : ns) {
    if (c >= 0x80) return "must contain only ASCII characters";
    if (c < 0x20 || c == 0x7f) return "must not contain ASCII control characters";
  }
  if (ns[0] == ':') return "must not start with a colon (:)";
  if (ns.starts_with("AWS/")) return "namespaces starting with \"AWS/\" are reserved for AWS";
  return {};
}

}  // namespace

Result<int64_t> parse_iso8601_ms(std::string_view s) {
  auto bad = [&](std::string_view why) {
    return Status::invalid_argument(
        fmt::format("\"{}\" is not an ISO-8601 date-time (YYYY-MM-DDThh:mm:ss[.fff][Z|+hh:mm]): "
                    "{}",
                    s.substr(0, 64), why));
  };
  size_t pos = 0;
  auto digits = [&](size_t n, int64_t* v) {
    if (pos + n > s.size()) return false;
    int64_t x = 0;
    for (size_t i = 0; i < n; i++) {
      char c = s[pos + i];
      if (c < '0' || c > '9') return false;
      x = x * 10 + (c - '0');
    }
    *v = x;
    pos += n;
    return true;
  };
  auto expect = [&](char c) {
    if (pos < s.size() && s[pos] == c) {
      pos++;
      return true;
    }
    return false;
  };
  int64_t y, mo, d, h, mi, sec;
  if (!digits(4, &y) || !expect('-') || !digits(2, &mo) || !expect('-') || !digits(2, &d)) {
    return bad("bad date");
  }
  if (!(expect('T') || expect('t') || expect(' '))) return bad("missing 'T' before the time");
  if (!digits(2, &h) || !expect(':') || !digits(2, &mi) || !expect(':') || !digits(2, &sec)) {
    return bad("bad time");
  }
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, static_cast<unsigned>(mo)) || h > 23 ||
      mi > 59 || sec > 60) {
    return bad("field out of range");
  }
  int64_t frac_ms = 0;
  if (expect('.') || expect(',')) {
    size_t start = pos;
    int64_t scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac_ms += (s[pos] - '0') * scale;
      scale /= 10;
      pos++;
    }
    if (pos == start) return bad("empty fraction");
  }
  int64_t offset_min = 0;
  if (expect('Z') || expect('z')) {
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '-' ? -1 : 1;
    pos++;
    int64_t oh, om = 0;
    if (!digits(2, &oh)) return bad("bad UTC offset");
    if (expect(':')) {
      if (!digits(2, &om)) return bad("bad UTC offset");
    } else if (pos < s.size()) {
      if (!digits(2, &om)) return bad("bad UTC offset");
    }
    if (oh > 23 || om > 59) return bad("UTC offset out of range");
    offset_min = sign * (oh * 60 + om);
  }
  if (pos != s.size()) return bad("trailing characters");
  int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
  return secs * 1000 + frac_ms;
}

Status decode_put_metric_data(std::string_view json, int64_t now_ms, MetricBatch* out) {
  simdjson::padded_string padded(json);
  dom::parser parser;
  dom::element doc;
  if (auto err = parser.parse(padded).get(doc); err) {
    return Status::invalid_argument(fmt::format("PutMetricData: request body is not valid JSON: {}",
                                                simdjson::error_message(err)));
  }
  dom::object root;
  if (doc.get_object().get(root)) {
    return Status::invalid_argument("PutMetricData: request body must be a JSON object");
  }
  dom::element e;
  std::string_view ns;
  if (!present(root, "Namespace", &e)) {
    return Status::invalid_argument("PutMetricData: missing required parameter Namespace");
  }
  if (e.get_string().get(ns)) {
    return Status::invalid_argument("PutMetricData: Namespace must be a string");
  }
  if (std::string r = check_namespace(ns); !r.empty()) {
    return Status::invalid_argument("PutMetricData: Namespace: " + r);
  }
  dom::array data;
  if (!present(root, "MetricData", &e)) {
    return Status::invalid_argument("PutMetricData: missing required parameter MetricData");
  }
  if (e.get_array().get(data)) {
    return Status::invalid_argument("PutMetricData: MetricData must be an array");
  }
  if (data.size() == 0 || data.size() > kMaxMetricData) {
    return Status::invalid_argument(fmt::format(
        "PutMetricData: MetricData must have 1..{} items (got {})", kMaxMetricData, data.size()));
  }
  std::set<std::pair<std::string, std::string>> units;
  size_t i = 0;
  for (dom::element item : data) {
    if (auto v = decode_datum(item, ns, now_ms, i, out, &units); v.has_value()) {
      out->errors.push_back({fmt::format("MetricData[{}]{}", i, v->where), std::move(v->rule)});
    }
    i++;
  }
  return OkStatus();
}

}  // namespace opsight::ingest::aws
