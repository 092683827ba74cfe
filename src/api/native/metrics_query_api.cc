#include "api/native/metrics_query_api.h"

#include <fmt/format.h>

#include <set>

#include "api/api_util.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "ingest/vm/jsonl.h"
#include "query/promql/selector.h"
#include "query/stats/statistics.h"

namespace opsight::api {
namespace {

HttpResponse error(const Status& st) {
  json::Writer w;
  w.begin_object().kv("error", st.message()).kv("code", code_name(st.code())).end_object();
  return HttpResponse::json(http_status_for(st.code()), w.take());
}

// Selector from `match` (PromQL series selector) or from CloudWatch-style `namespace`,
// `metric` and `dimension=Name=Value` parameters.
Result<std::vector<storage::Matcher>> selector_params(const HttpRequest& req) {
  if (req.has_param("match") || req.has_param("match[]")) {
    std::string_view m = req.has_param("match") ? req.param("match") : req.param("match[]");
    return query::promql::parse_series_selector(m);
  }
  std::vector<storage::Matcher> out;
  if (req.has_param("metric"))
    out.push_back(storage::Matcher::equal("__name__", std::string(req.param("metric"))));
  if (req.has_param("namespace")) {
    out.push_back(storage::Matcher::equal("Namespace", std::string(req.param("namespace"))));
  }
  for (auto d : req.params_named("dimension")) {
    auto eq = d.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Status::invalid_argument("parameter dimension=\"" + std::string(d) +
                                      "\" must be Name=Value");
    }
    out.push_back(
        storage::Matcher::equal(std::string(d.substr(0, eq)), std::string(d.substr(eq + 1))));
  }
  if (out.empty()) {
    return Status::invalid_argument(
        "give a series selector in `match` (e.g. match=cpu_usage{host=\"a\"}) or `namespace` and "
        "`metric` (and optional `dimension=Name=Value`)");
  }
  return out;
}

std::vector<std::string> split_csv(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(',', i);
    if (j == std::string_view::npos) j = s.size();
    auto part = s.substr(i, j - i);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    i = j + 1;
  }
  return out;
}

HttpResponse statistics(const QueryDeps& d, HttpRequest& req) {
  query::StatisticsRequest sr;
  auto sel = selector_params(req);
  if (!sel.ok()) return error(sel.status());
  sr.matchers = std::move(*sel);
  int64_t now = d.clock->now_ms();
  auto end = time_param(req, "end", now, now);
  if (!end.ok()) return error(end.status());
  auto start = time_param(req, "start", *end - 3'600'000, now);
  if (!start.ok()) return error(start.status());
  sr.start_ms = *start;
  sr.end_ms = *end;
  if (req.has_param("period")) {
    auto p = parse_duration_ms(req.param("period"));
    if (!p.ok()) return error(p.status().with_prefix("parameter period"));
    sr.period_ms = *p;
  }
  if (sr.period_ms <= 0 || sr.period_ms % 1000 != 0) {
    return error(Status::invalid_argument("period must be a positive whole number of seconds"));
  }
  for (auto s : req.params_named("statistics")) {
    for (auto& p : split_csv(s)) sr.statistics.push_back(std::move(p));
  }
  for (auto s : req.params_named("statistic")) sr.statistics.emplace_back(s);
  if (sr.statistics.empty())
    sr.statistics = {"SampleCount", "Sum", "Average", "Minimum", "Maximum"};
  for (const auto& s : sr.statistics) {
    if (auto st = query::validate_statistic(s); !st.ok()) return error(st);
  }
  auto q = d.store->querier(storage::QueryScope{{request_tenant(req)}}, sr.start_ms, sr.end_ms);
  if (!q.ok()) return error(q.status());
  auto res = query::compute_statistics(**q, sr);
  if (!res.ok()) return error(res.status());
  json::Writer w;
  w.begin_object();
  w.kv("start", format_rfc3339_ms(sr.start_ms)).kv("end", format_rfc3339_ms(sr.end_ms));
  w.kv("period", sr.period_ms / 1000);
  w.key("series").begin_array();
  for (const auto& s : *res) {
    w.begin_object();
    w.key("labels").begin_object();
    for (const auto& l : s.labels) w.kv(l.name, l.value);
    w.end_object();
    if (!s.unit.empty()) w.kv("unit", s.unit);
    w.key("datapoints").begin_array();
    for (const auto& dp : s.datapoints) {
      w.begin_object();
      w.kv("timestamp", format_rfc3339_ms(dp.timestamp_ms)).kv("timestamp_ms", dp.timestamp_ms);
      for (size_t i = 0; i < sr.statistics.size(); i++) w.kv(sr.statistics[i], dp.values[i]);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return HttpResponse::json(200, w.take());
}

HttpResponse export_series(const QueryDeps& d, HttpRequest& req) {
  auto matchers = match_params(req);
  if (!matchers.ok()) return error(matchers.status());
  if (matchers->empty()) {
    return error(Status::invalid_argument("give at least one match[] series selector"));
  }
  int64_t now = d.clock->now_ms();
  auto start = time_param(req, "start", 0, now);
  if (!start.ok()) return error(start.status());
  auto end = time_param(req, "end", now + 2 * 3'600'000, now);
  if (!end.ok()) return error(end.status());
  auto q = d.store->querier(storage::QueryScope{{request_tenant(req)}}, *start, *end);
  if (!q.ok()) return error(q.status());
  std::string out;
  std::vector<storage::Sample> samples;
  uint64_t total = 0;
  std::set<Labels> seen;
  for (const auto& ms : *matchers) {
    auto set = (*q)->select(true, storage::SelectHints{*start, *end, 0, 0}, ms);
    while (set->next()) {
      const auto& series = set->at();
      if (!seen.insert(series.labels()).second) continue;
      samples.clear();
      auto it = series.iterator();
      for (bool ok = it->seek(*start); ok && it->at().t <= *end; ok = it->next()) {
        samples.push_back(it->at());
      }
      if (!it->err().ok()) return error(it->err());
      total += samples.size();
      if (total > d.max_export_samples) {
        return error(Status::resource_exhausted(fmt::format(
            "export would return more than {} samples (limit); narrow the selector or time range",
            d.max_export_samples)));
      }
      if (!samples.empty()) ingest::vm::encode_export_line(series.labels(), samples, &out);
    }
    if (!set->err().ok()) return error(set->err());
  }
  return HttpResponse{200, "application/stream+json", {}, std::move(out)};
}

}  // namespace

void register_metrics_query_api(Router& router, const QueryDeps& deps) {
  router.add("GET,POST", "/api/v1/metrics/statistics",
             [deps](HttpRequest& r) { return statistics(deps, r); });
  router.add("GET,POST", "/api/v1/export",
             [deps](HttpRequest& r) { return export_series(deps, r); });
  router.add("POST", "/api/v1/admin/compact", [deps](HttpRequest&) {
    auto r = deps.compact();
    if (!r.ok()) return error(r.status());
    return HttpResponse::json(200, *r);
  });
}

}  // namespace opsight::api
