#include "api/prom/status_api.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <unordered_map>

#include "api/api_util.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "common/version.h"

namespace opsight::api {
namespace {

constexpr int64_t kAllTimeMin = std::numeric_limits<int64_t>::min() / 2;
constexpr int64_t kAllTimeMax = std::numeric_limits<int64_t>::max() / 2;

// A non-negative integer parameter; `def` when absent.
Result<int64_t> count_param(const HttpRequest& req, std::string_view name, int64_t def) {
  std::string_view s = req.param(name);
  if (s.empty()) return def;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    return Status::invalid_argument("invalid parameter \"" + std::string(name) +
                                    "\": not an integer: \"" + std::string(s) + "\"");
  }
  return v;
}

HttpResponse buildinfo() {
  json::Writer w;
  w.begin_object()
      .kv("version", kPrometheusApiVersion)
      .kv("revision", "opsight-" + std::string(version()))
      .kv("branch", "main")
      .kv("buildUser", "opsight")
      .kv("buildDate", "")
      .kv("goVersion", "none (C++20)")
      .kv("application", "opsight")
      .kv("opsightVersion", version())
      .end_object();
  return prom_success(w.str());
}

HttpResponse runtimeinfo(const PromStatusDeps& d) {
  json::Writer w;
  w.begin_object()
      .kv("startTime", format_rfc3339_ms(d.start_time_ms))
      .kv("CWD", "")
      .kv("reloadConfigSuccess", true)
      .kv("lastConfigTime", format_rfc3339_ms(d.start_time_ms))
      .kv("storageRetention", d.retention_ms > 0 ? format_duration_ms(d.retention_ms) : "")
      .end_object();
  return prom_success(w.str());
}

// One ranked list: [{"name": ..., "value": ...}] of the `limit` largest values.
template <typename Map>
void write_top(json::Writer& w, std::string_view key, const Map& counts, size_t limit) {
  std::vector<std::pair<std::string, uint64_t>> v(counts.begin(), counts.end());
  size_t n = std::min(limit, v.size());
  std::partial_sort(v.begin(), v.begin() + static_cast<ptrdiff_t>(n), v.end(),
                    [](const auto& a, const auto& b) {
                      return a.second != b.second ? a.second > b.second : a.first < b.first;
                    });
  w.key(key).begin_array();
  for (size_t i = 0; i < n; ++i) {
    w.begin_object().kv("name", v[i].first).kv("value", v[i].second).end_object();
  }
  w.end_array();
}

// Cardinality over every series the store holds, as Prometheus reports its head's.
HttpResponse tsdb_status(const HttpRequest& req, const PromStatusDeps& d) {
  auto limit = count_param(req, "limit", 10);
  if (!limit.ok()) return prom_error(limit.status());
  if (*limit <= 0) return prom_error(Status::invalid_argument("limit must be a positive number"));
  storage::StoreStats stats = d.store->stats();
  auto q = d.store->querier(storage::QueryScope{{request_tenant(req)}}, kAllTimeMin, kAllTimeMax);
  if (!q.ok()) return prom_error(q.status());
  auto any_name = storage::Matcher::make(storage::MatchType::kRegexMatch, "__name__", ".+");
  if (!any_name.ok()) return prom_error(any_name.status());
  std::vector<storage::Matcher> ms{*any_name};
  auto set = (*q)->select(false, storage::SelectHints{kAllTimeMin, kAllTimeMax, 0, 0}, ms);
  uint64_t num_series = 0;
  std::unordered_map<std::string, uint64_t> by_metric, by_pair;
  // label name -> its distinct values
  std::map<std::string, std::unordered_map<std::string, bool>> values_by_name;
  while (set->next()) {
    ++num_series;
    for (const auto& l : set->at().labels()) {
      if (l.name == "__name__") ++by_metric[l.value];
      ++by_pair[l.name + "=" + l.value];
      values_by_name[l.name].emplace(l.value, true);
    }
  }
  if (!set->err().ok()) return prom_error(set->err());
  std::map<std::string, uint64_t> value_counts, value_bytes;
  for (const auto& [name, values] : values_by_name) {
    value_counts[name] = values.size();
    uint64_t bytes = 0;
    for (const auto& kv : values) bytes += kv.first.size();
    value_bytes[name] = bytes;
  }
  json::Writer w;
  w.begin_object().key("headStats").begin_object();
  w.kv("numSeries", num_series)
      .kv("numSamples", stats.head_samples + stats.block_samples)
      .kv("minTime", stats.min_time)
      .kv("maxTime", stats.max_time)
      .end_object();
  size_t n = static_cast<size_t>(*limit);
  write_top(w, "seriesCountByMetricName", by_metric, n);
  write_top(w, "labelValueCountByLabelName", value_counts, n);
  write_top(w, "memoryInBytesByLabelName", value_bytes, n);
  write_top(w, "seriesCountByLabelValuePair", by_pair, n);
  w.end_object();
  return prom_success(w.str());
}

HttpResponse metadata(const HttpRequest& req, const PromStatusDeps& d) {
  auto limit = count_param(req, "limit", -1);
  if (!limit.ok()) return prom_error(limit.status());
  auto per_metric = count_param(req, "limit_per_metric", -1);
  if (!per_metric.ok()) return prom_error(per_metric.status());
  auto q = d.store->querier(storage::QueryScope{{request_tenant(req)}}, kAllTimeMin, kAllTimeMax);
  if (!q.ok()) return prom_error(q.status());
  std::vector<std::string> names;
  if (req.has_param("metric") && !req.param("metric").empty()) {
    names.emplace_back(req.param("metric"));
  } else {
    auto all = (*q)->label_values("__name__", {});
    if (!all.ok()) return prom_error(all.status());
    names = std::move(*all);
  }
  json::Writer w;
  w.begin_object();
  int64_t written = 0;
  for (const auto& name : names) {
    if (*limit >= 0 && written >= *limit) break;
    auto meta = (*q)->metadata(name);
    if (!meta) continue;
    w.key(name).begin_array();
    if (*per_metric != 0) {
      w.begin_object()
          .kv("type", meta->type.empty() ? "unknown" : meta->type)
          .kv("help", meta->help)
          .kv("unit", meta->unit)
          .end_object();
    }
    w.end_array();
    ++written;
  }
  w.end_object();
  return prom_success(w.str());
}

}  // namespace

void register_status_api(Router& router, const PromStatusDeps& deps) {
  router.add("GET", "/api/v1/status/buildinfo", [](HttpRequest&) { return buildinfo(); });
  router.add("GET", "/api/v1/status/runtimeinfo",
             [deps](HttpRequest&) { return runtimeinfo(deps); });
  router.add("GET", "/api/v1/status/tsdb", [deps](HttpRequest& r) { return tsdb_status(r, deps); });
  router.add("GET", "/api/v1/metadata", [deps](HttpRequest& r) { return metadata(r, deps); });
  // Prometheus's web/web.go answers these in plain text.
  router.add("GET,HEAD", "/-/healthy", [](HttpRequest&) {
    return HttpResponse::text(200, "Prometheus Server is Healthy.\n");
  });
  router.add("GET,HEAD", "/-/ready", [deps](HttpRequest&) {
    return deps.ready() ? HttpResponse::text(200, "Prometheus Server is Ready.\n")
                        : HttpResponse::text(503, "Service Unavailable");
  });
}

}  // namespace opsight::api
