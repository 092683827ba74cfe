// Embedded Metric Format extraction. Spec: Amazon CloudWatch User Guide, "Specification:
// Embedded metric format" (root node, metadata object, MetricDirective, DimensionSet,
// MetricDefinition, target members). Labels and units as PutMetricData (ingest/aws).
#include "ingest/logs/emf.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cmath>
#include <optional>
#include <set>
#include <utility>

#include "common/cloudwatch_unit.h"

namespace opsight::ingest::logs {
namespace {

namespace dom = simdjson::dom;

struct Violation {
  std::string where;  // relative to the item, e.g. "._aws.Timestamp"
  std::string rule;
};

bool present(dom::object o, std::string_view key, dom::element* e) {
  return !o[key].get(*e) && !e->is_null();
}

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

bool is_number(dom::element e) {
  auto t = e.type();
  return t == dom::element_type::INT64 || t == dom::element_type::UINT64 ||
         t == dom::element_type::DOUBLE;
}

// The sample of a metric's target member; "" or the rule.
std::string read_sample(dom::element v, int64_t t, storage::Sample* out) {
  if (is_number(v)) {
    double d = v.get_double().value_unsafe();
    if (!std::isfinite(d)) return "value must be a finite number";
    *out = storage::Sample::value(t, d);
    return {};
  }
  dom::array arr;
  if (v.get_array().get(arr)) return "value must be a number or an array of numbers";
  if (arr.size() == 0 || arr.size() > kEmfMaxValues) {
    return fmt::format("value array must have 1..{} numbers (got {})", kEmfMaxValues, arr.size());
  }
  storage::StatSet s;
  bool first = true;
  for (dom::element x : arr) {
    if (!is_number(x)) return "value array must contain only numbers";
    double d = x.get_double().value_unsafe();
    if (!std::isfinite(d)) return "value must be a finite number";
    s.count += 1;
    s.sum += d;
    s.min = first ? d : std::min(s.min, d);
    s.max = first ? d : std::max(s.max, d);
    first = false;
  }
  *out = storage::Sample::stat_set(t, s);
  return {};
}

std::optional<Violation> check_dimension_name(std::string_view name) {
  if (name == "Namespace") {
    return Violation{"",
                     "\"Namespace\" is reserved: opsight stores the namespace as a label of "
                     "that name"};
  }
  if (name.starts_with("__")) {
    return Violation{"", fmt::format("\"{}\" is reserved: names starting with __ are "
                                     "opsight-internal labels",
                                     name.substr(0, 64))};
  }
  return std::nullopt;
}

std::optional<Violation> decode_directive(dom::object root, dom::element de, int64_t t,
                                          MetricBatch* local,
                                          std::set<std::pair<std::string, std::string>>* units,
                                          std::string_view item) {
  dom::object d;
  if (de.get_object().get(d)) return Violation{"", "must be an object (a MetricDirective)"};
  dom::element e;
  std::string_view ns;
  if (!present(d, "Namespace", &e)) return Violation{".Namespace", "is required"};
  if (e.get_string().get(ns)) return Violation{".Namespace", "must be a string"};
  if (ns.empty() || utf8_length(ns) > 255) {
    return Violation{".Namespace",
                     fmt::format("length must be 1..255 characters (got {})", utf8_length(ns))};
  }
  if (ns[0] == ':') return Violation{".Namespace", "must not start with a colon (:)"};

  // Dimension sets -> label sets (name/value pairs after Namespace).
  std::vector<std::vector<Label>> sets;
  if (!present(d, "Dimensions", &e)) return Violation{".Dimensions", "is required"};
  dom::array dims;
  if (e.get_array().get(dims)) return Violation{".Dimensions", "must be an array of DimensionSets"};
  size_t si = 0;
  for (dom::element set_e : dims) {
    std::string at = fmt::format(".Dimensions[{}]", si++);
    dom::array set;
    if (set_e.get_array().get(set)) return Violation{at, "must be an array of dimension names"};
    if (set.size() > kEmfMaxDimensions) {
      return Violation{
          at, fmt::format("{} dimensions: at most {} are allowed", set.size(), kEmfMaxDimensions)};
    }
    std::vector<Label> labels;
    size_t k = 0;
    for (dom::element ne : set) {
      std::string nat = fmt::format("{}[{}]", at, k++);
      std::string_view name, value;
      if (ne.get_string().get(name)) return Violation{nat, "must be a string (a dimension name)"};
      if (auto v = check_dimension_name(name)) return Violation{nat, v->rule};
      dom::element ve;
      if (!present(root, name, &ve)) {
        return Violation{nat, fmt::format("dimension \"{}\" has no member in the document root",
                                          name.substr(0, 64))};
      }
      if (ve.get_string().get(value)) {
        return Violation{
            nat, fmt::format("the value of dimension \"{}\" must be a string", name.substr(0, 64))};
      }
      if (value.empty() || utf8_length(value) > 1024) {
        return Violation{nat, fmt::format("the value of dimension \"{}\" must be 1..1024 "
                                          "characters",
                                          name.substr(0, 64))};
      }
      for (const auto& l : labels) {
        if (l.name == name) {
          return Violation{nat, fmt::format("duplicate dimension \"{}\"", name.substr(0, 64))};
        }
      }
      labels.push_back({std::string(name), std::string(value)});
    }
    sets.push_back(std::move(labels));
  }
  if (sets.empty()) sets.emplace_back();

  if (!present(d, "Metrics", &e)) return Violation{".Metrics", "is required"};
  dom::array metrics;
  if (e.get_array().get(metrics)) return Violation{".Metrics", "must be an array"};
  if (metrics.size() > kEmfMaxMetrics) {
    return Violation{".Metrics", fmt::format("{} metrics: at most {} are allowed", metrics.size(),
                                             kEmfMaxMetrics)};
  }
  size_t mi = 0;
  for (dom::element me : metrics) {
    std::string at = fmt::format(".Metrics[{}]", mi++);
    dom::object m;
    if (me.get_object().get(m)) return Violation{at, "must be an object (a MetricDefinition)"};
    std::string_view name, unit;
    if (!present(m, "Name", &e)) return Violation{at + ".Name", "is required"};
    if (e.get_string().get(name)) return Violation{at + ".Name", "must be a string"};
    if (name.empty() || utf8_length(name) > 1024) {
      return Violation{at + ".Name", "length must be 1..1024 characters"};
    }
    if (present(m, "Unit", &e)) {
      if (e.get_string().get(unit)) return Violation{at + ".Unit", "must be a string"};
      if (!is_cloudwatch_unit(unit)) {
        return Violation{at + ".Unit",
                         fmt::format("\"{}\" is not a CloudWatch unit (Seconds, Milliseconds, "
                                     "Bytes, Percent, Count, Count/Second, None, ...)",
                                     unit.substr(0, 64))};
      }
    }
    if (present(m, "StorageResolution", &e)) {
      if (!is_number(e) ||
          (e.get_double().value_unsafe() != 1 && e.get_double().value_unsafe() != 60)) {
        return Violation{at + ".StorageResolution", "must be 1 (high resolution) or 60"};
      }
    }
    dom::element ve;
    if (!present(root, name, &ve)) {
      return Violation{at + ".Name", fmt::format("metric \"{}\" has no member in the document root",
                                                 name.substr(0, 64))};
    }
    storage::Sample sample;
    if (std::string r = read_sample(ve, t, &sample); !r.empty()) {
      return Violation{at + ".Name", fmt::format("metric \"{}\": {}", name.substr(0, 64), r)};
    }
    for (const auto& set : sets) {
      std::vector<Label> labels;
      labels.reserve(set.size() + 2);
      labels.push_back({std::string(kMetricName), std::string(name)});
      labels.push_back({"Namespace", std::string(ns)});
      labels.insert(labels.end(), set.begin(), set.end());
      local->series.push_back(
          SeriesSamples{Labels(std::move(labels)), {sample}, std::string(item)});
    }
    if (!unit.empty() && units->emplace(std::string(name), std::string(unit)).second) {
      MetadataEntry md;
      md.metric = std::string(name);
      md.meta.unit = std::string(unit);
      local->metadata.push_back(std::move(md));
    }
  }
  return std::nullopt;
}

}  // namespace

bool maybe_emf(std::string_view message) {
  size_t i = message.find_first_not_of(" \t\r\n");
  return i != std::string_view::npos && message[i] == '{' &&
         message.find("_aws") != std::string_view::npos;
}

bool extract_emf_metrics(std::string_view message, std::string_view item, MetricBatch* out) {
  if (!maybe_emf(message)) return false;
  simdjson::padded_string padded(message);
  dom::parser parser;
  dom::element doc;
  if (parser.parse(padded).get(doc)) return false;
  dom::object root;
  if (doc.get_object().get(root)) return false;
  dom::element aws_e, cwm_e;
  dom::object aws;
  if (!present(root, "_aws", &aws_e) || aws_e.get_object().get(aws) ||
      !present(aws, "CloudWatchMetrics", &cwm_e)) {
    return false;
  }
  auto fail = [&](std::string where, std::string rule) {
    out->errors.push_back({std::string(item) + where, std::move(rule)});
    return true;
  };
  dom::element te;
  if (!present(aws, "Timestamp", &te)) return fail("._aws.Timestamp", "is required");
  if (!is_number(te) || !(te.get_double().value_unsafe() >= 0) ||
      !(te.get_double().value_unsafe() < 9.0e15)) {
    return fail("._aws.Timestamp", "must be a number of epoch milliseconds >= 0");
  }
  int64_t t = te.type() == dom::element_type::INT64 ? te.get_int64().value_unsafe()
                                                    : std::llround(te.get_double().value_unsafe());
  dom::array directives;
  if (cwm_e.get_array().get(directives)) {
    return fail("._aws.CloudWatchMetrics", "must be an array of MetricDirectives");
  }
  if (directives.size() == 0 || directives.size() > kEmfMaxDirectives) {
    return fail("._aws.CloudWatchMetrics", fmt::format("must have 1..{} MetricDirectives (got {})",
                                                       kEmfMaxDirectives, directives.size()));
  }
  MetricBatch local;
  std::set<std::pair<std::string, std::string>> units;
  size_t i = 0;
  for (dom::element de : directives) {
    std::string at = fmt::format("._aws.CloudWatchMetrics[{}]", i++);
    if (auto v = decode_directive(root, de, t, &local, &units, item)) {
      return fail(at + v->where, std::move(v->rule));
    }
  }
  for (auto& s : local.series) out->series.push_back(std::move(s));
  for (auto& m : local.metadata) out->metadata.push_back(std::move(m));
  return true;
}

}  // namespace opsight::ingest::logs
