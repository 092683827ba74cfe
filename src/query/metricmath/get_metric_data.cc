#include "query/metricmath/get_metric_data.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "query/metricmath/dynamic_label.h"
#include "query/metricmath/metric_fetch.h"
#include "query/metricmath/parser.h"
#include "query/metricmath/series_ops.h"
#include "query/stats/statistics.h"

namespace opsight::query::metricmath {
namespace {

constexpr size_t kMaxIdLength = 255;
constexpr size_t kMaxDimensions = 30;
constexpr int64_t kDefaultPeriodMs = 60'000;

Status query_error(const MetricDataQuery& q, size_t index, std::string_view what) {
  if (q.id.empty()) {
    return Status::invalid_argument(fmt::format("MetricDataQueries[{}]: {}", index, what));
  }
  return Status::invalid_argument(fmt::format("query \"{}\": {}", q.id, what));
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  if (!std::islower(static_cast<unsigned char>(id[0]))) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// CloudWatch periods: 1, 5, 10, 30 (high resolution) or a multiple of 60 seconds.
bool valid_period(int64_t s) {
  return s == 1 || s == 5 || s == 10 || s == 30 || (s > 0 && s % 60 == 0);
}

Status check_metric_stat(const MetricDataQuery& q, size_t index) {
  const MetricStat& ms = *q.metric_stat;
  if (ms.metric.namespace_name.empty())
    return query_error(q, index, "MetricStat.Metric.Namespace is required");
  if (ms.metric.metric_name.empty())
    return query_error(q, index, "MetricStat.Metric.MetricName is required");
  if (ms.metric.dimensions.size() > kMaxDimensions) {
    return query_error(q, index,
                       fmt::format("MetricStat.Metric.Dimensions has {} items (at most {})",
                                   ms.metric.dimensions.size(), kMaxDimensions));
  }
  std::set<std::string> names;
  for (size_t i = 0; i < ms.metric.dimensions.size(); i++) {
    const auto& d = ms.metric.dimensions[i];
    if (d.name.empty() || d.value.empty()) {
      return query_error(
          q, index, fmt::format("MetricStat.Metric.Dimensions[{}] needs a Name and a Value", i));
    }
    if (d.name == "Namespace" || d.name.starts_with("__")) {
      return query_error(
          q, index,
          fmt::format("MetricStat.Metric.Dimensions[{}].Name \"{}\" is reserved", i, d.name));
    }
    if (!names.insert(d.name).second) {
      return query_error(
          q, index, fmt::format("MetricStat.Metric.Dimensions repeats the name \"{}\"", d.name));
    }
  }
  if (!valid_period(ms.period_s)) {
    return query_error(
        q, index,
        fmt::format("MetricStat.Period {} must be 1, 5, 10, 30 or a multiple of 60 seconds",
                    ms.period_s));
  }
  if (ms.stat.empty()) return query_error(q, index, "MetricStat.Stat is required");
  if (auto st = validate_statistic(ms.stat); !st.ok()) return query_error(q, index, st.message());
  return OkStatus();
}

// Parsed expressions by query index (null for MetricStat queries).
using Parsed = std::vector<std::unique_ptr<Node>>;

struct Plan {
  Parsed parsed;
  std::vector<size_t> order;  // query indexes, dependencies first
  int tz_minutes = 0;
};

Result<Plan> plan(const GetMetricDataRequest& req, const MetricMathOptions& opts) {
  if (req.queries.empty()) return Status::invalid_argument("MetricDataQueries must not be empty");
  if (req.queries.size() > opts.max_queries) {
    return Status::invalid_argument(fmt::format("MetricDataQueries has {} queries (at most {})",
                                                req.queries.size(), opts.max_queries));
  }
  if (req.end_ms <= req.start_ms) {
    return Status::invalid_argument("StartTime must be before EndTime");
  }
  if (req.max_datapoints < 0) return Status::invalid_argument("MaxDatapoints must be >= 1");
  Plan p;
  ASSIGN_OR_RETURN(p.tz_minutes, parse_timezone_offset(req.timezone));
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < req.queries.size(); i++) {
    const auto& q = req.queries[i];
    if (!valid_id(q.id)) {
      return query_error(q, i,
                         fmt::format("Id \"{}\" must start with a lower-case letter and contain "
                                     "only letters, digits and _ (at most {} characters)",
                                     q.id, kMaxIdLength));
    }
    if (!index.emplace(q.id, i).second)
      return query_error(q, i, "Id is used by more than one query");
  }
  p.parsed.resize(req.queries.size());
  std::vector<std::vector<size_t>> deps(req.queries.size());
  for (size_t i = 0; i < req.queries.size(); i++) {
    const auto& q = req.queries[i];
    bool has_expr = !q.expression.empty();
    if (q.metric_stat.has_value() == has_expr) {
      return query_error(q, i, "give exactly one of MetricStat and Expression");
    }
    if (q.period_s != 0 && !valid_period(q.period_s)) {
      return query_error(
          q, i,
          fmt::format("Period {} must be 1, 5, 10, 30 or a multiple of 60 seconds", q.period_s));
    }
    if (q.metric_stat) {
      RETURN_IF_ERROR(check_metric_stat(q, i));
      continue;
    }
    if (q.expression.size() > opts.max_expression_length) {
      return query_error(q, i,
                         fmt::format("Expression has {} characters (at most {})",
                                     q.expression.size(), opts.max_expression_length));
    }
    auto node = parse_expression(q.expression);
    if (!node.ok()) return query_error(q, i, node.status().message());
    for (const auto& ref : referenced_ids(**node)) {
      auto it = index.find(ref);
      if (it == index.end()) {
        return query_error(q, i, fmt::format("unknown metric or expression id \"{}\"", ref));
      }
      if (it->second == i) return query_error(q, i, "the expression refers to itself");
      deps[i].push_back(it->second);
    }
    p.parsed[i] = std::move(*node);
  }
  // Depth-first topological order; a reference back to a query on the stack is a cycle.
  enum State { kNew, kActive, kDone };
  std::vector<State> state(req.queries.size(), kNew);
  std::vector<size_t> stack;
  std::function<Status(size_t)> visit = [&](size_t i) -> Status {
    state[i] = kActive;
    stack.push_back(i);
    for (size_t d : deps[i]) {
      if (state[d] == kActive) {
        auto from = std::find(stack.begin(), stack.end(), d);
        std::vector<std::string> ids;
        for (auto it = from; it != stack.end(); ++it) ids.push_back(req.queries[*it].id);
        std::string what = ids.size() == 2
                               ? fmt::format("cycle between {} and {}", ids[0], ids[1])
                               : fmt::format("cycle {} -> {}", fmt::join(ids, " -> "), ids[0]);
        return query_error(req.queries[d], d, what);
      }
      if (state[d] == kNew) RETURN_IF_ERROR(visit(d));
    }
    stack.pop_back();
    state[i] = kDone;
    p.order.push_back(i);
    return OkStatus();
  };
  for (size_t i = 0; i < req.queries.size(); i++) {
    if (state[i] == kNew) RETURN_IF_ERROR(visit(i));
  }
  return p;
}

// FNV-1a over the fields that determine the result, so a NextToken only resumes its request.
uint64_t request_hash(const GetMetricDataRequest& req) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;
    h *= 1099511628211ULL;
  };
  mix(std::to_string(req.start_ms));
  mix(std::to_string(req.end_ms));
  mix(std::to_string(req.max_datapoints));
  mix(req.scan_by == ScanBy::kTimestampAscending ? "asc" : "desc");
  for (const auto& q : req.queries) {
    mix(q.id);
    mix(q.expression);
    mix(std::to_string(q.period_s));
    mix(q.return_data ? "1" : "0");
    if (q.metric_stat) {
      const auto& ms = *q.metric_stat;
      mix(ms.metric.namespace_name);
      mix(ms.metric.metric_name);
      for (const auto& d : ms.metric.dimensions) {
        mix(d.name);
        mix(d.value);
      }
      mix(std::to_string(ms.period_s));
      mix(ms.stat);
      mix(ms.unit);
    }
  }
  return h;
}

Result<size_t> parse_next_token(const GetMetricDataRequest& req) {
  if (req.next_token.empty()) return size_t{0};
  auto bad = Status::invalid_argument("NextToken is not valid for this request");
  std::string_view t = req.next_token;
  auto dot = t.find('.');
  if (dot == std::string_view::npos) return bad;
  size_t offset = 0;
  uint64_t hash = 0;
  auto [p1, e1] = std::from_chars(t.data(), t.data() + dot, offset);
  auto [p2, e2] = std::from_chars(t.data() + dot + 1, t.data() + t.size(), hash, 16);
  if (e1 != std::errc() || p1 != t.data() + dot || e2 != std::errc() || p2 != t.data() + t.size() ||
      hash != request_hash(req)) {
    return bad;
  }
  return offset;
}

}  // namespace

const char* status_code_name(StatusCode c) {
  return c == StatusCode::kComplete ? "Complete" : "PartialData";
}

Status validate_get_metric_data(const GetMetricDataRequest& req, const MetricMathOptions& opts) {
  return plan(req, opts).status();
}

Status validate_metric_data_queries(const std::vector<MetricDataQuery>& queries,
                                    const MetricMathOptions& opts) {
  GetMetricDataRequest req;
  req.queries = queries;
  req.start_ms = 0;
  req.end_ms = 1;
  return plan(req, opts).status();
}

Result<GetMetricDataResult> get_metric_data(storage::Querier& querier,
                                            const GetMetricDataRequest& req,
                                            const MetricMathOptions& opts) {
  ASSIGN_OR_RETURN(Plan p, plan(req, opts));
  ASSIGN_OR_RETURN(size_t offset, parse_next_token(req));

  int64_t default_period_ms = 0;
  std::vector<std::string> metric_ids;
  for (const auto& q : req.queries) {
    if (!q.metric_stat) continue;
    metric_ids.push_back(q.id);
    int64_t pm = q.metric_stat->period_s * 1000;
    if (default_period_ms == 0 || pm < default_period_ms) default_period_ms = pm;
  }
  if (default_period_ms == 0) default_period_ms = kDefaultPeriodMs;

  std::map<std::string, Value> values;
  std::vector<std::vector<std::string>> warnings(req.queries.size());
  size_t total_points = 0;
  auto count_points = [&](const Value& v) -> Status {
    if (v.kind == Value::Kind::kSeries) total_points += v.series.size();
    for (const auto& s : v.array) total_points += s.size();
    if (total_points > opts.max_total_datapoints) {
      return Status::resource_exhausted(fmt::format(
          "the request computes more than {} datapoints (limit); use a longer period, a shorter "
          "time range or fewer series",
          opts.max_total_datapoints));
    }
    return OkStatus();
  };
  for (size_t i : p.order) {
    const auto& q = req.queries[i];
    Value v;
    if (q.metric_stat) {
      const auto& ms = *q.metric_stat;
      MetricFetch f;
      std::vector<std::pair<std::string, std::string>> dims;
      for (const auto& d : ms.metric.dimensions) dims.emplace_back(d.name, d.value);
      f.identity = metric_identity(ms.metric.namespace_name, ms.metric.metric_name, dims);
      f.stat = ms.stat;
      f.period_ms = ms.period_s * 1000;
      f.start_ms = req.start_ms;
      f.end_ms = req.end_ms;
      f.unit = ms.unit;
      f.account = q.account_id;
      f.max_datapoints = opts.max_datapoints_per_series;
      auto ts = fetch_metric(querier, f);
      if (!ts.ok()) {
        if (ts.status().code() != Code::kInvalidArgument) return ts.status();
        return query_error(q, i, ts.status().message());
      }
      // METRICS() arrays show each metric by its query's Label, when it has one.
      if (!q.label.empty()) ts->label = q.label;
      v = Value::of_series(std::move(*ts));
    } else {
      EvalContext ctx;
      ctx.querier = &querier;
      ctx.start_ms = req.start_ms;
      ctx.end_ms = req.end_ms;
      ctx.period_ms = q.period_s > 0 ? q.period_s * 1000 : default_period_ms;
      ctx.ids = &values;
      ctx.metric_ids = &metric_ids;
      ctx.anomaly_band = &opts.anomaly_band;
      ctx.max_search_series = opts.max_search_series;
      ctx.max_datapoints = opts.max_datapoints_per_series;
      ctx.account = q.account_id;
      if (static_cast<size_t>((req.end_ms - req.start_ms) / ctx.period_ms) >
          opts.max_datapoints_per_series) {
        return query_error(q, i,
                           fmt::format("the time range and period give more than {} datapoints per "
                                       "series; use a longer Period",
                                       opts.max_datapoints_per_series));
      }
      auto r = evaluate(*p.parsed[i], ctx);
      if (!r.ok()) {
        if (r.status().code() != Code::kInvalidArgument) return r.status();
        return query_error(q, i, r.status().message());
      }
      v = std::move(*r);
      if (v.kind == Value::Kind::kString) {
        return query_error(
            q, i,
            "the expression must return a time series or an array of time series, not a string");
      }
      if (v.kind == Value::Kind::kScalar) {
        TimeSeries s;
        s.period_ms = ctx.period_ms;
        if (std::isfinite(v.scalar)) {
          for (int64_t t : period_grid(req.start_ms, req.end_ms, ctx.period_ms))
            s.push(t, v.scalar);
        }
        v = Value::of_series(std::move(s));
      }
      warnings[i] = std::move(ctx.warnings);
    }
    RETURN_IF_ERROR(count_points(v));
    values.emplace(q.id, std::move(v));
  }

  // One result per returned series, in request order.
  GetMetricDataResult out;
  for (size_t i = 0; i < req.queries.size(); i++) {
    const auto& q = req.queries[i];
    if (!q.return_data) continue;
    const Value& v = values.at(q.id);
    std::vector<const TimeSeries*> series;
    if (v.kind == Value::Kind::kSeries) {
      series.push_back(&v.series);
    } else {
      for (const auto& s : v.array) series.push_back(&s);
    }
    std::vector<MessageData> msgs;
    for (const auto& w : warnings[i]) msgs.push_back({"Warning", w});
    if (series.empty()) {
      MetricDataResult r;
      r.id = q.id;
      r.label = q.label.empty() ? q.id : q.label;
      r.messages = msgs;
      out.results.push_back(std::move(r));
      continue;
    }
    for (const TimeSeries* s : series) {
      MetricDataResult r;
      r.id = q.id;
      std::string def;
      if (v.kind == Value::Kind::kArray) {
        def = s->label.empty() ? q.id : s->label;
      } else {
        def = q.metric_stat ? q.metric_stat->metric.metric_name : q.id;
      }
      std::string label = def;
      if (!q.label.empty()) {
        label =
            v.kind == Value::Kind::kArray && !s->label.empty() ? q.label + " " + s->label : q.label;
      }
      if (label.find("${") != std::string::npos) {
        label = expand_dynamic_label(label, *s, def, p.tz_minutes);
      }
      r.label = std::move(label);
      r.timestamps = s->timestamps;
      r.values = s->values;
      if (req.scan_by == ScanBy::kTimestampDescending) {
        std::reverse(r.timestamps.begin(), r.timestamps.end());
        std::reverse(r.values.begin(), r.values.end());
      }
      r.messages = msgs;
      out.results.push_back(std::move(r));
    }
  }

  // Pagination over the points of all results, in result order.
  size_t page = static_cast<size_t>(req.max_datapoints > 0 ? req.max_datapoints
                                                           : opts.default_max_datapoints);
  size_t total = 0;
  for (const auto& r : out.results) total += r.timestamps.size();
  if (offset > total) return Status::invalid_argument("NextToken is not valid for this request");
  size_t pos = 0, page_end = offset + page;
  for (auto& r : out.results) {
    size_t n = r.timestamps.size();
    size_t from = std::clamp(offset, pos, pos + n) - pos;
    size_t to = std::clamp(page_end, pos, pos + n) - pos;
    if (to < n) r.status = StatusCode::kPartialData;
    r.timestamps = std::vector<int64_t>(r.timestamps.begin() + static_cast<ptrdiff_t>(from),
                                        r.timestamps.begin() + static_cast<ptrdiff_t>(to));
    r.values = std::vector<double>(r.values.begin() + static_cast<ptrdiff_t>(from),
                                   r.values.begin() + static_cast<ptrdiff_t>(to));
    pos += n;
  }
  if (page_end < total) out.next_token = fmt::format("{}.{:016x}", page_end, request_hash(req));
  return out;
}

MetricMathOptions for_tenant(MetricMathOptions opts, const storage::Tenant& tenant) {
  if (opts.tenant_anomaly_band) opts.anomaly_band = opts.tenant_anomaly_band(tenant);
  return opts;
}

}  // namespace opsight::query::metricmath
