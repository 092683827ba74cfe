#include "api/prom/series_api.h"

#include <set>

#include "api/api_util.h"
#include "common/json_writer.h"

namespace opsight::api {
namespace {

// Default range of the metadata endpoints when start/end are absent: all time.
constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min() / 2;
constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max() / 2;

struct Range {
  int64_t start, end;
};

Result<Range> range_params(const HttpRequest& req, Clock* clock) {
  int64_t now = clock->now_ms();
  ASSIGN_OR_RETURN(int64_t start, time_param(req, "start", kMinTime, now));
  ASSIGN_OR_RETURN(int64_t end, time_param(req, "end", kMaxTime, now));
  if (end < start) return Status::invalid_argument("end timestamp must not be before start time");
  return Range{start, end};
}

HttpResponse series(const HttpRequest& req, storage::MetricStore* store, Clock* clock) {
  auto matchers = match_params(req);
  if (!matchers.ok()) return prom_error(matchers.status());
  if (matchers->empty())
    return prom_error(Status::invalid_argument("no match[] parameter provided"));
  auto range = range_params(req, clock);
  if (!range.ok()) return prom_error(range.status());
  auto q = store->querier(storage::QueryScope{{request_tenant(req)}}, range->start, range->end);
  if (!q.ok()) return prom_error(q.status());
  std::set<Labels> seen;
  json::Writer w;
  w.begin_array();
  for (const auto& ms : *matchers) {
    storage::SelectHints hints{range->start, range->end, 0, 0};
    auto set = (*q)->select(true, hints, ms);
    while (set->next()) {
      const Labels& l = set->at().labels();
      if (!seen.insert(l).second) continue;
      w.begin_object();
      for (const auto& lab : l) w.kv(lab.name, lab.value);
      w.end_object();
    }
    if (!set->err().ok()) return prom_error(set->err());
  }
  w.end_array();
  return prom_success(w.str());
}

HttpResponse string_list(const std::set<std::string>& values) {
  json::Writer w;
  w.begin_array();
  for (const auto& v : values) w.value(v);
  w.end_array();
  return prom_success(w.str());
}

// Union over every match[] (or all series) of what `fetch` returns: label names or values.
template <typename Fetch>
HttpResponse string_union(const HttpRequest& req, storage::MetricStore* store, Clock* clock,
                          Fetch fetch) {
  auto matchers = match_params(req);
  if (!matchers.ok()) return prom_error(matchers.status());
  auto range = range_params(req, clock);
  if (!range.ok()) return prom_error(range.status());
  auto q = store->querier(storage::QueryScope{{request_tenant(req)}}, range->start, range->end);
  if (!q.ok()) return prom_error(q.status());
  std::set<std::string> out;
  if (matchers->empty()) matchers->emplace_back();
  for (const auto& ms : *matchers) {
    Result<std::vector<std::string>> r = fetch(**q, ms);
    if (!r.ok()) return prom_error(r.status());
    out.insert(r->begin(), r->end());
  }
  return string_list(out);
}

HttpResponse labels(const HttpRequest& req, storage::MetricStore* store, Clock* clock) {
  return string_union(req, store, clock,
                      [](storage::Querier& q, const auto& ms) { return q.label_names(ms); });
}

HttpResponse label_values(const HttpRequest& req, storage::MetricStore* store, Clock* clock) {
  const std::string& name = req.path_params.at("name");
  return string_union(req, store, clock, [&name](storage::Querier& q, const auto& ms) {
    return q.label_values(name, ms);
  });
}

}  // namespace

void register_series_api(Router& router, storage::MetricStore* store, Clock* clock) {
  router.add("GET,POST", "/api/v1/series", [=](HttpRequest& r) { return series(r, store, clock); });
  router.add("GET,POST", "/api/v1/labels", [=](HttpRequest& r) { return labels(r, store, clock); });
  router.add("GET", "/api/v1/label/:name/values",
             [=](HttpRequest& r) { return label_values(r, store, clock); });
}

}  // namespace opsight::api
