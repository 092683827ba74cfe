#include "api/prom/query_api.h"

#include <fmt/format.h>

#include <atomic>
#include <charconv>
#include <cmath>
#include <memory>

#include "api/api_util.h"
#include "api/prom/prom_json.h"
#include "common/time_util.h"
#include "query/promql/parser.h"

namespace opsight::api {
namespace {

namespace pq = query::promql;

HttpResponse bad_data(std::string_view message) {
  return prom_error("bad_data", 400, message);
}

// Evaluation errors as Prometheus's returnAPIError classifies them.
HttpResponse eval_error(const Status& st) {
  switch (st.code()) {
    case Code::kDeadlineExceeded:
      return prom_error("timeout", 503, st.message());
    case Code::kCancelled:
      return prom_error("canceled", 499, st.message());
    case Code::kUnavailable:
      return prom_error("unavailable", 503, st.message());
    case Code::kInvalidArgument:
    case Code::kResourceExhausted:
      return prom_error("execution", 422, st.message());
    default:
      return prom_error("internal", 500, st.message());
  }
}

// Prometheus's parseTime: float Unix seconds or RFC 3339.
Result<int64_t> time_arg(const HttpRequest& req, std::string_view name, int64_t def) {
  std::string_view s = req.param(name);
  if (s.empty()) return def;
  auto t = parse_time_ms(s);
  if (!t.ok()) {
    return Status::invalid_argument(
        fmt::format("invalid parameter \"{}\": cannot parse \"{}\" to a valid timestamp", name, s));
  }
  if (*t < -pq::kMaxTimestampMs || *t > pq::kMaxTimestampMs) {
    return Status::invalid_argument(
        fmt::format("invalid parameter \"{}\": timestamp out of range", name));
  }
  return t;
}

// Prometheus's parseDuration: float seconds ("15", "0.5") or a duration ("15s", "1m30s").
Result<int64_t> duration_arg(const HttpRequest& req, std::string_view name, int64_t def) {
  std::string_view s = req.param(name);
  if (s.empty()) return def;
  double secs = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
  if (ec == std::errc() && p == s.data() + s.size()) {
    double ms = std::round(secs * 1000);
    if (!std::isfinite(ms) || std::abs(ms) > static_cast<double>(pq::kMaxDurationMs)) {
      return Status::invalid_argument(fmt::format(
          "invalid parameter \"{}\": cannot parse \"{}\" to a valid duration. It overflows "
          "int64",
          name, s));
    }
    return static_cast<int64_t>(ms);
  }
  auto d = parse_duration_ms(s);
  if (!d.ok()) {
    return Status::invalid_argument(
        fmt::format("invalid parameter \"{}\": cannot parse \"{}\" to a valid duration", name, s));
  }
  return d;
}

// Counts running queries; refuses beyond the limit.
class Admission {
 public:
  explicit Admission(size_t limit) : limit_(limit) {}
  bool enter() {
    size_t n = running_.fetch_add(1) + 1;
    if (limit_ != 0 && n > limit_) {
      running_.fetch_sub(1);
      return false;
    }
    return true;
  }
  void leave() { running_.fetch_sub(1); }

 private:
  const size_t limit_;
  std::atomic<size_t> running_{0};
};

class QueryApi {
 public:
  explicit QueryApi(const PromQueryDeps& deps) : deps_(deps), admission_(deps.max_concurrent) {}

  HttpResponse instant(const HttpRequest& req) {
    auto expr = parse_query(req);
    if (!expr.ok()) return bad_data(expr.status().message());
    auto t = time_arg(req, "time", deps_.clock->now_ms());
    if (!t.ok()) return bad_data(t.status().message());
    auto engine = engine_for(req);
    if (!engine.ok()) return bad_data(engine.status().message());
    return run([&] { return engine->instant(*deps_.store, scope(req), *expr, *t); });
  }

  // Exemplars of the series the query's selectors select, within [start, end] (Prometheus's
  // /api/v1/query_exemplars; both times default to the whole store).
  HttpResponse exemplars(const HttpRequest& req) {
    auto expr = parse_query(req);
    if (!expr.ok()) return bad_data(expr.status().message());
    constexpr int64_t kAll = pq::kMaxTimestampMs;
    auto start = time_arg(req, "start", -kAll);
    if (!start.ok()) return bad_data(start.status().message());
    auto end = time_arg(req, "end", kAll);
    if (!end.ok()) return bad_data(end.status().message());
    if (*end < *start) {
      return bad_data("invalid parameter \"end\": end timestamp must not be before start time");
    }
    std::vector<std::vector<storage::Matcher>> selectors;
    collect_selectors(*expr->root, &selectors);
    auto q = deps_.store->querier(scope(req), *start, *end);
    if (!q.ok()) return eval_error(q.status());
    auto found = (*q)->exemplars(selectors);
    if (!found.ok()) return eval_error(found.status());
    std::string out = "[";
    for (size_t i = 0; i < found->size(); ++i) {
      const storage::SeriesExemplars& se = (*found)[i];
      if (i) out += ',';
      out += "{\"seriesLabels\":";
      append_prom_metric(out, se.series);
      out += ",\"exemplars\":[";
      for (size_t j = 0; j < se.exemplars.size(); ++j) {
        const storage::Exemplar& e = se.exemplars[j];
        if (j) out += ',';
        out += "{\"labels\":";
        append_prom_metric(out, e.labels);
        out += ",\"value\":";
        append_prom_value(out, e.value);
        out += ",\"timestamp\":";
        append_prom_timestamp(out, e.t);
        out += '}';
      }
      out += "]}";
    }
    out += ']';
    return prom_success(out);
  }

  HttpResponse range(const HttpRequest& req) {
    auto expr = parse_query(req);
    if (!expr.ok()) return bad_data(expr.status().message());
    auto start = time_arg(req, "start", 0);
    if (!start.ok()) return bad_data(start.status().message());
    auto end = time_arg(req, "end", 0);
    if (!end.ok()) return bad_data(end.status().message());
    if (!req.has_param("start")) return bad_data("invalid parameter \"start\": missing");
    if (!req.has_param("end")) return bad_data("invalid parameter \"end\": missing");
    if (*end < *start) {
      return bad_data("invalid parameter \"end\": end timestamp must not be before start time");
    }
    auto step = duration_arg(req, "step", 0);
    if (!step.ok()) return bad_data(step.status().message());
    if (*step <= 0) {
      return bad_data(
          "invalid parameter \"step\": zero or negative query resolution step widths are not "
          "accepted. Try a positive integer");
    }
    if (deps_.max_points_per_series > 0 &&
        (*end - *start) / *step >= static_cast<int64_t>(deps_.max_points_per_series)) {
      return bad_data(fmt::format(
          "exceeded maximum resolution of {} points per timeseries. Try decreasing the query "
          "resolution (?step=XX)",
          deps_.max_points_per_series));
    }
    if (expr->type() != pq::ValueType::kScalar && expr->type() != pq::ValueType::kVector) {
      return bad_data(fmt::format(
          "invalid parameter \"query\": invalid expression type \"{}\" for range query, must be "
          "Scalar or instant Vector",
          pq::value_type_name(expr->type())));
    }
    auto engine = engine_for(req);
    if (!engine.ok()) return bad_data(engine.status().message());
    return run([&] { return engine->range(*deps_.store, scope(req), *expr, *start, *end, *step); });
  }

 private:
  Result<pq::Expr> parse_query(const HttpRequest& req) {
    std::string_view q = req.param("query");
    if (q.size() > deps_.max_query_bytes) {
      return Status::invalid_argument(
          fmt::format("invalid parameter \"query\": longer than {} bytes", deps_.max_query_bytes));
    }
    auto expr = pq::parse_expr(q);
    if (!expr.ok()) return expr.status().with_prefix("invalid parameter \"query\"");
    return expr;
  }

  // The engine with the request's timeout (never longer than the configured one).
  Result<pq::Engine> engine_for(const HttpRequest& req) {
    pq::EngineOptions opts = deps_.engine;
    ASSIGN_OR_RETURN(int64_t timeout, duration_arg(req, "timeout", 0));
    if (timeout < 0) return Status::invalid_argument("invalid parameter \"timeout\": negative");
    if (timeout > 0 && (opts.timeout_ms == 0 || timeout < opts.timeout_ms)) {
      opts.timeout_ms = timeout;
    }
    return pq::Engine(opts);
  }

  static void collect_selectors(const pq::Node& n,
                                std::vector<std::vector<storage::Matcher>>* out) {
    if (n.kind == pq::NodeKind::kVectorSelector || n.kind == pq::NodeKind::kMatrixSelector) {
      out->push_back(n.matchers);
    }
    for (const auto& a : n.args) {
      if (a) collect_selectors(*a, out);
    }
  }

  static storage::QueryScope scope(const HttpRequest& req) {
    return storage::QueryScope{{request_tenant(req)}};
  }

  template <typename Eval>
  HttpResponse run(Eval eval) {
    if (!admission_.enter()) {
      HttpResponse r = prom_error(
          "unavailable", 503,
          fmt::format("too many concurrent queries (limit {}); retry later", deps_.max_concurrent));
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    Result<pq::Value> v = eval();
    admission_.leave();
    if (!v.ok()) return eval_error(v.status());
    return prom_success(prom_query_data(*v));
  }

  PromQueryDeps deps_;
  Admission admission_;
};

}  // namespace

void register_query_api(Router& router, const PromQueryDeps& deps) {
  auto api = std::make_shared<QueryApi>(deps);
  router.add("GET,POST", "/api/v1/query", [api](HttpRequest& r) { return api->instant(r); });
  router.add("GET,POST", "/api/v1/query_range", [api](HttpRequest& r) { return api->range(r); });
  router.add("GET,POST", "/api/v1/query_exemplars",
             [api](HttpRequest& r) { return api->exemplars(r); });
}

}  // namespace opsight::api
