#include "resources/metric_filters.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>

#include "common/cloudwatch_unit.h"
#include "common/json_writer.h"
#include "storage/meta/update_document.h"

namespace opsight::resources {
namespace {

constexpr std::string_view kKind = "metric-filters";

Status invalid(std::string message) {
  return Status::invalid_argument("InvalidParameterException: " + message);
}

bool is_number(std::string_view v) {
  double d = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  return !v.empty() && ec == std::errc() && p == v.data() + v.size();
}

Status check_metric_name(std::string_view what, std::string_view v) {
  if (v.empty() || v.size() > 255 || v.find_first_of(":*$") != std::string_view::npos) {
    return invalid(
        fmt::format("{} \"{}\" must be 1 to 255 characters without ':', '*' or '$'", what, v));
  }
  return Status();
}

std::string_view str(simdjson::dom::element e) {
  std::string_view v;
  return e.get(v) == simdjson::SUCCESS ? v : std::string_view();
}

Result<MetricTransformation> decode_transformation(simdjson::dom::object o) {
  MetricTransformation t;
  for (auto f : o) {
    if (f.key == "metricName") t.metric_name = std::string(str(f.value));
    if (f.key == "metricNamespace") t.metric_namespace = std::string(str(f.value));
    if (f.key == "metricValue") t.metric_value = std::string(str(f.value));
    if (f.key == "unit") t.unit = std::string(str(f.value));
    if (f.key == "defaultValue") {
      double d = 0;
      if (f.value.get(d) == simdjson::SUCCESS) t.default_value = d;
    }
    if (f.key == "dimensions") {
      simdjson::dom::object dims;
      if (f.value.get(dims) != simdjson::SUCCESS) return Status::corruption("bad dimensions");
      for (auto d : dims) t.dimensions.emplace(std::string(d.key), std::string(str(d.value)));
    }
  }
  return t;
}

}  // namespace

bool is_field_selector(std::string_view v) {
  if (v.starts_with("$.")) return v.size() > 2;
  return v.size() > 1 && v[0] == '$';
}

Status validate_metric_filter(const MetricFilter& f) {
  if (f.filter_name.empty() || f.filter_name.size() > 512 ||
      f.filter_name.find_first_of(":*") != std::string::npos) {
    return invalid(fmt::format("filterName \"{}\" must be 1 to 512 characters without ':' or '*'",
                               f.filter_name));
  }
  if (f.filter_pattern.size() > kMaxFilterPatternBytes) {
    return invalid(fmt::format("filterPattern is {} characters; at most {} are allowed",
                               f.filter_pattern.size(), kMaxFilterPatternBytes));
  }
  if (f.transformations.size() != 1) {
    return invalid(fmt::format("metricTransformations has {} members; exactly 1 is required",
                               f.transformations.size()));
  }
  const MetricTransformation& t = f.transformations[0];
  RETURN_IF_ERROR(check_metric_name("metricName", t.metric_name));
  RETURN_IF_ERROR(check_metric_name("metricNamespace", t.metric_namespace));
  if (t.metric_value.empty() || t.metric_value.size() > 100 ||
      !(is_number(t.metric_value) || is_field_selector(t.metric_value))) {
    return invalid(fmt::format(
        "metricValue \"{}\" must be a number or a field selector such as $.latency or $bytes "
        "(at most 100 characters)",
        t.metric_value));
  }
  if (t.dimensions.size() > kMaxMetricFilterDimensions) {
    return invalid(
        fmt::format("metricTransformations[0].dimensions has {} members; at most {} "
                    "are allowed",
                    t.dimensions.size(), kMaxMetricFilterDimensions));
  }
  for (const auto& [name, value] : t.dimensions) {
    if (name.empty() || name.size() > 255 || name == "Namespace" || name.starts_with("__")) {
      return invalid(fmt::format(
          "dimension name \"{}\" must be 1 to 255 characters, not Namespace nor starting with "
          "__",
          name));
    }
    if (!is_field_selector(value)) {
      return invalid(fmt::format(
          "dimension \"{}\" has value \"{}\": it must be a field selector such as $.path or $name",
          name, value));
    }
  }
  if (!t.unit.empty() && !is_cloudwatch_unit(t.unit)) {
    return invalid(fmt::format("unit \"{}\" is not a CloudWatch standard unit", t.unit));
  }
  return Status();
}

void write_metric_transformations(json::Writer& w,
                                  const std::vector<MetricTransformation>& transformations) {
  w.key("metricTransformations").begin_array();
  for (const auto& t : transformations) {
    w.begin_object()
        .kv("metricName", t.metric_name)
        .kv("metricNamespace", t.metric_namespace)
        .kv("metricValue", t.metric_value);
    if (t.default_value) w.kv("defaultValue", *t.default_value);
    if (!t.dimensions.empty()) {
      w.key("dimensions").begin_object();
      for (const auto& [k, v] : t.dimensions) w.kv(k, v);
      w.end_object();
    }
    if (!t.unit.empty()) w.kv("unit", t.unit);
    w.end_object();
  }
  w.end_array();
}

std::string encode_metric_filters(const std::vector<MetricFilter>& filters) {
  json::Writer w;
  w.begin_object().key("filters").begin_array();
  for (const auto& f : filters) {
    w.begin_object()
        .kv("filterName", f.filter_name)
        .kv("filterPattern", f.filter_pattern)
        .kv("creationTime", f.creation_time_ms);
    write_metric_transformations(w, f.transformations);
    w.end_object();
  }
  w.end_array().end_object();
  return w.take();
}

Result<std::vector<MetricFilter>> decode_metric_filters(std::string_view doc) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::array arr;
  if (parser.parse(doc.data(), doc.size()).get(root) != simdjson::SUCCESS ||
      root["filters"].get(arr) != simdjson::SUCCESS) {
    return Status::corruption("stored metric filters are not valid JSON");
  }
  std::vector<MetricFilter> out;
  for (auto e : arr) {
    simdjson::dom::object o;
    if (e.get(o) != simdjson::SUCCESS) return Status::corruption("stored metric filter");
    MetricFilter f;
    for (auto m : o) {
      if (m.key == "filterName") f.filter_name = std::string(str(m.value));
      if (m.key == "filterPattern") f.filter_pattern = std::string(str(m.value));
      if (m.key == "creationTime") {
        int64_t t = 0;
        if (m.value.get(t) == simdjson::SUCCESS) f.creation_time_ms = t;
      }
      if (m.key == "metricTransformations") {
        simdjson::dom::array ts;
        if (m.value.get(ts) != simdjson::SUCCESS) return Status::corruption("transformations");
        for (auto te : ts) {
          simdjson::dom::object to;
          if (te.get(to) != simdjson::SUCCESS) return Status::corruption("transformation");
          ASSIGN_OR_RETURN(auto t, decode_transformation(to));
          f.transformations.push_back(std::move(t));
        }
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

template <typename Change>
Status MetricFilterStore::update(const storage::Tenant& tenant, std::string_view group,
                                 Change change) {
  Status st = storage::meta::update_document(
      *meta_, tenant, kKind, group,
      [&](const std::optional<std::string>& current) -> Result<std::optional<std::string>> {
        std::vector<MetricFilter> filters;
        if (current) {
          ASSIGN_OR_RETURN(filters, decode_metric_filters(*current));
        }
        RETURN_IF_ERROR(change(filters));
        if (filters.empty()) return std::optional<std::string>();
        return std::optional<std::string>(encode_metric_filters(filters));
      });
  if (st.ok()) generation_.fetch_add(1, std::memory_order_acq_rel);
  return st;
}

Status MetricFilterStore::put(const storage::Tenant& tenant, std::string_view group,
                              MetricFilter filter) {
  RETURN_IF_ERROR(validate_metric_filter(filter));
  const int64_t now = clock_->now_ms();
  return update(tenant, group, [&](std::vector<MetricFilter>& filters) {
    auto it = std::find_if(filters.begin(), filters.end(), [&](const MetricFilter& f) {
      return f.filter_name == filter.filter_name;
    });
    if (it != filters.end()) {
      MetricFilter replaced = filter;
      replaced.creation_time_ms = it->creation_time_ms;
      *it = std::move(replaced);
      return Status();
    }
    if (filters.size() >= kMaxMetricFiltersPerGroup) {
      return Status::resource_exhausted(fmt::format(
          "LimitExceededException: log group {} already has {} metric filters; at most {} are "
          "allowed",
          group, filters.size(), kMaxMetricFiltersPerGroup));
    }
    MetricFilter added = filter;
    added.creation_time_ms = now;
    filters.push_back(std::move(added));
    std::sort(filters.begin(), filters.end(), [](const MetricFilter& a, const MetricFilter& b) {
      return a.filter_name < b.filter_name;
    });
    return Status();
  });
}

Status MetricFilterStore::remove(const storage::Tenant& tenant, std::string_view group,
                                 std::string_view filter_name) {
  return update(tenant, group, [&](std::vector<MetricFilter>& filters) {
    auto it = std::find_if(filters.begin(), filters.end(),
                           [&](const MetricFilter& f) { return f.filter_name == filter_name; });
    if (it == filters.end()) {
      return Status::not_found(
          fmt::format("ResourceNotFoundException: the log group {} has no metric filter {}", group,
                      filter_name));
    }
    filters.erase(it);
    return Status();
  });
}

Result<std::vector<MetricFilter>> MetricFilterStore::list(const storage::Tenant& tenant,
                                                          std::string_view group) {
  auto cur = meta_->get(tenant, kKind, group);
  if (!cur.ok()) {
    if (cur.status().code() == Code::kNotFound) return std::vector<MetricFilter>{};
    return cur.status();
  }
  return decode_metric_filters(cur->doc);
}

Result<std::vector<std::pair<std::string, std::vector<MetricFilter>>>> MetricFilterStore::list_all(
    const storage::Tenant& tenant) {
  ASSIGN_OR_RETURN(auto objects, meta_->list(tenant, kKind));
  std::vector<std::pair<std::string, std::vector<MetricFilter>>> out;
  for (auto& o : objects) {
    ASSIGN_OR_RETURN(auto filters, decode_metric_filters(o.doc));
    out.emplace_back(std::move(o.name), std::move(filters));
  }
  return out;
}

Status MetricFilterStore::remove_group(const storage::Tenant& tenant, std::string_view group) {
  Status st = meta_->remove(tenant, kKind, group).status();
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return st.code() == Code::kNotFound ? Status() : st;
}

}  // namespace opsight::resources
