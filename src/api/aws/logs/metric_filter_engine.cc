#include "api/aws/logs/metric_filter_engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <mutex>

#include "common/labels.h"
#include "common/logging.h"
#include "storage/log_fields.h"

namespace opsight::api::aws {

struct MetricFilterEngine::Compiled {
  query::insights::FilterPattern pattern;
  resources::MetricTransformation t;
  std::optional<double> constant;  // metricValue when it is a number
  std::string value_field;         // JSON field name ($.x) or space-delimited name ($x)
  bool value_is_json = false;
  std::vector<std::pair<std::string, std::string>> dims;  // label -> field (as value_field)
  std::vector<bool> dims_json;
  bool needs_json = false;
};

struct MetricFilterEngine::GroupFilters {
  std::vector<Compiled> filters;
};

namespace {

constexpr size_t kMaxCachedGroups = 100'000;

std::optional<double> parse_double(std::string_view v) {
  double d = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec != std::errc() || p != v.data() + v.size() || v.empty()) return std::nullopt;
  return d;
}

std::string cache_key(const storage::Tenant& t, std::string_view group) {
  std::string k;
  k.reserve(t.account.size() + t.region.size() + group.size() + 2);
  k.append(t.account).push_back('\0');
  k.append(t.region).push_back('\0');
  k.append(group);
  return k;
}

// Combines samples of one series at the same millisecond into a statistic set.
struct SeriesAccumulator {
  std::map<int64_t, storage::StatSet> points;
  void add(int64_t t, double v) {
    auto [it, fresh] = points.try_emplace(t, storage::StatSet{1, v, v, v});
    if (fresh) return;
    it->second.count += 1;
    it->second.sum += v;
    it->second.min = std::min(it->second.min, v);
    it->second.max = std::max(it->second.max, v);
  }
};

}  // namespace

std::string MetricFilterEngine::json_field_name(std::string_view selector) {
  if (!selector.starts_with("$.") || selector.size() == 2) return "";
  std::string out;
  for (char c : selector.substr(2)) {
    if (c == '[') {
      out.push_back('.');
    } else if (c != ']') {
      out.push_back(c);
    }
  }
  return out;
}

std::shared_ptr<const MetricFilterEngine::GroupFilters> MetricFilterEngine::filters_of(
    const storage::Tenant& tenant, std::string_view group) const {
  const std::string key = cache_key(tenant, group);
  const uint64_t gen = store_->generation();  // read before the store (see metric_filters.h)
  {
    std::shared_lock lock(mu_);
    if (generation_ == gen) {
      auto it = cache_.find(key);
      if (it != cache_.end()) return it->second;
    }
  }
  auto compiled = std::make_shared<GroupFilters>();
  auto defs = store_->list(tenant, group);
  if (!defs.ok()) {
    log::warn("metric filters of log group {}: {}", group, defs.status().message());
    return compiled;  // not cached: retried on the next batch
  }
  for (auto& f : *defs) {
    auto pattern = query::insights::parse_filter_pattern(f.filter_pattern);
    if (!pattern.ok() || f.transformations.empty()) continue;  // checked on put
    Compiled c;
    c.pattern = std::move(*pattern);
    c.t = std::move(f.transformations[0]);
    c.needs_json = f.filter_pattern.find('{') != std::string::npos;
    auto field_of = [&](const std::string& sel, bool* json) {
      *json = sel.starts_with("$.");
      if (*json) c.needs_json = true;
      return *json ? json_field_name(sel) : sel.substr(1);
    };
    c.constant = parse_double(c.t.metric_value);
    if (!c.constant) c.value_field = field_of(c.t.metric_value, &c.value_is_json);
    for (const auto& [name, sel] : c.t.dimensions) {
      bool json = false;
      c.dims.emplace_back(name, field_of(sel, &json));
      c.dims_json.push_back(json);
    }
    compiled->filters.push_back(std::move(c));
  }
  std::unique_lock lock(mu_);
  if (generation_ != gen || cache_.size() >= kMaxCachedGroups) {
    cache_.clear();
    generation_ = gen;
  }
  cache_[key] = compiled;
  return compiled;
}

void MetricFilterEngine::derive(const storage::Tenant& tenant, std::string_view group,
                                std::span<const storage::LogEvent> events,
                                ingest::MetricBatch* out) const {
  auto filters = filters_of(tenant, group);
  if (filters->filters.empty() || events.empty()) return;
  const bool needs_json = std::any_of(filters->filters.begin(), filters->filters.end(),
                                      [](const Compiled& c) { return c.needs_json; });
  std::vector<SeriesAccumulator> acc(filters->filters.size());
  // Per filter: dimension values -> accumulator, for filters with dimensions.
  std::vector<std::map<std::vector<std::string>, SeriesAccumulator>> dim_acc(
      filters->filters.size());
  std::vector<storage::LogAttribute> discovered;
  std::vector<storage::LogField> fields;
  std::vector<query::insights::FilterPattern::SpaceField> space;
  for (const auto& e : events) {
    discovered.clear();
    fields.clear();
    if (needs_json) {
      storage::discover_fields(e.message, &discovered);
      for (const auto& a : discovered) fields.push_back({a.key, a.value});
    }
    storage::LogRecord rec;
    rec.log_group = group;
    rec.timestamp_ms = e.timestamp_ms;
    rec.ingestion_time_ms = e.ingestion_time_ms;
    rec.message = e.message;
    rec.severity_text = e.severity_text;
    rec.severity_number = e.severity_number;
    rec.fields = fields;
    auto lookup = [&](const std::string& name, bool json) -> std::optional<std::string_view> {
      if (json) {
        for (const auto& f : fields) {
          if (f.name == name) return f.value;
        }
        return std::nullopt;
      }
      for (const auto& [n, v] : space) {
        if (n == name) return v;
      }
      return std::nullopt;
    };
    for (size_t i = 0; i < filters->filters.size(); i++) {
      const Compiled& c = filters->filters[i];
      if (!c.pattern.matches(rec, &space)) {
        if (c.t.default_value && c.dims.empty()) acc[i].add(e.timestamp_ms, *c.t.default_value);
        continue;
      }
      std::optional<double> v = c.constant;
      if (!v) {
        auto text = lookup(c.value_field, c.value_is_json);
        if (text) v = parse_double(*text);
      }
      if (!v || !std::isfinite(*v)) continue;
      if (c.dims.empty()) {
        acc[i].add(e.timestamp_ms, *v);
        continue;
      }
      std::vector<std::string> dim_values;
      bool complete = true;
      for (size_t d = 0; d < c.dims.size() && complete; d++) {
        auto text = lookup(c.dims[d].second, c.dims_json[d]);
        if (!text || text->empty()) {
          complete = false;
        } else {
          dim_values.emplace_back(*text);
        }
      }
      if (complete) dim_acc[i][dim_values].add(e.timestamp_ms, *v);
    }
  }
  auto emit = [&](const Compiled& c, const std::vector<std::string>* dim_values,
                  const SeriesAccumulator& a) {
    if (a.points.empty()) return;
    std::vector<Label> labels;
    labels.push_back({std::string(kMetricName), c.t.metric_name});
    labels.push_back({"Namespace", c.t.metric_namespace});
    for (size_t d = 0; dim_values != nullptr && d < c.dims.size(); d++) {
      labels.push_back({c.dims[d].first, (*dim_values)[d]});
    }
    ingest::SeriesSamples s{
        Labels(std::move(labels)), {}, fmt::format("metric filter {}/{}", group, c.t.metric_name)};
    for (const auto& [t, st] : a.points) {
      s.samples.push_back(st.count == 1 ? storage::Sample::value(t, st.sum)
                                        : storage::Sample::stat_set(t, st));
    }
    out->series.push_back(std::move(s));
    if (!c.t.unit.empty()) {
      ingest::MetadataEntry md;
      md.metric = c.t.metric_name;
      md.meta.unit = c.t.unit;
      out->metadata.push_back(std::move(md));
    }
  };
  for (size_t i = 0; i < filters->filters.size(); i++) {
    emit(filters->filters[i], nullptr, acc[i]);
    for (const auto& [dims, a] : dim_acc[i]) emit(filters->filters[i], &dims, a);
  }
}

}  // namespace opsight::api::aws
