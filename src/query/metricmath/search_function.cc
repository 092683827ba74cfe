// SEARCH(): selects the metrics matching a search expression from the Querier, then reads each
// one's statistic with fetch_metric (metric_fetch.h).
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "query/metricmath/evaluator.h"
#include "query/metricmath/metric_fetch.h"
#include "query/metricmath/search_expression.h"
#include "query/stats/statistics.h"

namespace opsight::query::metricmath {
namespace {

std::string search_label(const Labels& l, const std::vector<std::string>& schema_dims,
                         bool with_name) {
  std::string out;
  auto add = [&](std::string_view v) {
    if (!out.empty()) out += ' ';
    out += v;
  };
  if (!schema_dims.empty()) {
    for (const auto& d : schema_dims) add(l.get(d));
  } else {
    for (const auto& x : l) {
      if (x.name != kMetricName && x.name != "Namespace") add(x.value);
    }
  }
  if (with_name || out.empty()) add(l.metric_name());
  return out;
}

}  // namespace

Result<std::vector<TimeSeries>> run_search(std::string_view expr, std::string_view stat,
                                           int64_t period_ms, EvalContext& ctx) {
  ASSIGN_OR_RETURN(auto search, SearchExpression::parse(expr));
  RETURN_IF_ERROR(validate_statistic(stat));
  if (ctx.querier == nullptr) return Status::invalid_argument("no metric store to search");
  auto matchers = search.matchers();
  storage::SelectHints hints{ctx.start_ms, ctx.end_ms - 1, period_ms, 0};
  auto set = ctx.querier->select(true, hints, matchers);
  std::vector<Labels> found;
  std::set<Labels> seen;  // one entry per metric even when several accounts hold it
  bool truncated = false;
  while (set->next()) {
    const auto& series = set->at();
    if (!ctx.account.empty() && series.tenant().account != ctx.account) continue;
    if (!search.matches(series.labels())) continue;
    if (!seen.insert(series.labels()).second) continue;
    if (found.size() >= ctx.max_search_series) {
      truncated = true;
      break;
    }
    found.push_back(series.labels());
  }
  RETURN_IF_ERROR(set->err());
  if (truncated) {
    ctx.warnings.push_back(fmt::format(
        "SEARCH matched more than {} metrics; only the first {} are returned (narrow the search)",
        ctx.max_search_series, ctx.max_search_series));
  }
  std::set<std::string_view> names;
  for (const auto& l : found) names.insert(l.metric_name());
  std::vector<TimeSeries> out;
  for (const auto& l : found) {
    MetricFetch f;
    f.identity = l;
    f.stat = std::string(stat);
    f.period_ms = period_ms;
    f.start_ms = ctx.start_ms;
    f.end_ms = ctx.end_ms;
    f.account = ctx.account;
    f.max_datapoints = ctx.max_datapoints;
    ASSIGN_OR_RETURN(auto ts, fetch_metric(*ctx.querier, f));
    if (ts.empty()) continue;
    ts.label = search_label(l, search.schema_dimensions(), names.size() > 1);
    out.push_back(std::move(ts));
  }
  return out;
}

}  // namespace opsight::query::metricmath
