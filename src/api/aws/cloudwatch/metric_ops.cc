// CloudWatch metric operations; see metric_ops.h. Member names, rules and error codes follow the
// Amazon CloudWatch API reference pages API_PutMetricData, API_GetMetricData,
// API_GetMetricStatistics and API_ListMetrics.
#include "api/aws/cloudwatch/metric_ops.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include "api/native/metrics_data_api.h"
#include "common/json_writer.h"
#include "common/self_metrics.h"
#include "common/time_util.h"
#include "ingest/aws/put_metric_data.h"
#include "ingest/otlp/otlp_common.h"
#include "query/stats/statistics.h"

namespace opsight::api::aws {
namespace {

namespace mm = query::metricmath;
using simdjson::dom::element;
using simdjson::dom::object;

constexpr size_t kListMetricsPage = 500;
constexpr int64_t kListMetricsWindowMs = 14 * 24 * 3'600'000LL;  // "the past two weeks"
constexpr int64_t kRecentlyActiveMs = 3 * 3'600'000LL;           // RecentlyActive=PT3H
constexpr size_t kMaxDimensions = 30;
constexpr size_t kMaxDimensionFilters = 10;
constexpr size_t kMaxStatistics = 5;
constexpr size_t kMaxExtendedStatistics = 10;

// InvalidArgument errors of the shared services carry no AWS code: CloudWatch calls them
// InvalidParameterValue. Other codes (ResourceExhausted, Unavailable, ...) map by Status code.
// The tenants a cross-account read may span: the caller's first, then its linked sources.
std::vector<storage::Tenant> readable_tenants(const CwContext& ctx) {
  if (ctx.tenants.empty()) return {ctx.tenant};
  return ctx.tenants;
}

Status coded(const Status& st, std::string_view code = "InvalidParameterValue") {
  if (st.ok() || st.code() != Code::kInvalidArgument) return st;
  for (std::string_view known : {"InvalidParameterValue:", "MissingParameter:",
                                 "InvalidParameterCombination:", "InvalidNextToken:"}) {
    if (st.message().starts_with(known)) return st;
  }
  return Status::invalid_argument(fmt::format("{}: {}", code, st.message()));
}

Status missing(std::string_view member) {
  return Status::invalid_argument(
      fmt::format("MissingParameter: The parameter {} is required.", member));
}

Status invalid(std::string_view message) {
  return Status::invalid_argument(fmt::format("InvalidParameterValue: {}", message));
}

struct Doc {
  simdjson::dom::parser parser;
  simdjson::padded_string padded;
  object root;
};

Status parse_doc(std::string_view json, Doc* doc) {
  doc->padded = simdjson::padded_string(json);
  element e;
  if (doc->parser.parse(doc->padded).get(e) != simdjson::SUCCESS || !e.is_object()) {
    return Status::invalid_argument(
        "SerializationException: the request body is not a JSON object");
  }
  doc->root = e.get_object().value_unsafe();
  return OkStatus();
}

std::optional<element> member(object o, std::string_view name) {
  element e;
  if (o[name].get(e) != simdjson::SUCCESS || e.is_null()) return std::nullopt;
  return e;
}

Result<std::optional<std::string>> string_member(object o, std::string_view name) {
  auto e = member(o, name);
  if (!e) return std::optional<std::string>();
  if (!e->is_string()) return invalid(fmt::format("The parameter {} must be a string.", name));
  return std::optional<std::string>(std::string(e->get_string().value_unsafe()));
}

Result<std::string> required_string(object o, std::string_view name) {
  ASSIGN_OR_RETURN(auto s, string_member(o, name));
  if (!s || s->empty()) return missing(name);
  return std::move(*s);
}

// A timestamp member: epoch seconds (JSON 1.0) or an ISO 8601 string. Milliseconds.
Result<int64_t> time_member(object o, std::string_view name) {
  auto e = member(o, name);
  if (!e) return missing(name);
  if (e->is_number()) {
    double secs = e->get_double().value_unsafe();
    if (!std::isfinite(secs) || std::fabs(secs) > 1e13) {
      return invalid(fmt::format("The parameter {} is not a valid timestamp.", name));
    }
    return static_cast<int64_t>(std::llround(secs * 1000.0));
  }
  if (e->is_string()) {
    auto ms = ingest::aws::parse_iso8601_ms(e->get_string().value_unsafe());
    if (!ms.ok()) ms = parse_time_ms(e->get_string().value_unsafe());
    if (ms.ok()) return *ms;
  }
  return invalid(fmt::format("The parameter {} is not a valid timestamp.", name));
}

Result<std::vector<std::string>> string_list(object o, std::string_view name) {
  std::vector<std::string> out;
  auto e = member(o, name);
  if (!e) return out;
  if (!e->is_array()) return invalid(fmt::format("The parameter {} must be a list.", name));
  simdjson::dom::array container = e->get_array().value_unsafe();
  for (element v : container) {
    if (!v.is_string()) {
      return invalid(fmt::format("The elements of parameter {} must be strings.", name));
    }
    out.emplace_back(v.get_string().value_unsafe());
  }
  return out;
}

struct DimensionFilter {
  std::string name;
  std::optional<std::string> value;
};

// Dimensions (Name, Value) or, for ListMetrics, DimensionFilters (Name, optional Value).
Result<std::vector<DimensionFilter>> dimensions(object o, bool value_required, size_t max) {
  std::vector<DimensionFilter> out;
  auto e = member(o, "Dimensions");
  if (!e) return out;
  if (!e->is_array()) return invalid("The parameter Dimensions must be a list.");
  size_t i = 0;
  simdjson::dom::array container = e->get_array().value_unsafe();
  for (element d : container) {
    std::string item = fmt::format("Dimensions.member.{}", i + 1);
    if (!d.is_object()) return invalid(fmt::format("{} must be a structure.", item));
    object od = d.get_object().value_unsafe();
    ASSIGN_OR_RETURN(auto name, string_member(od, "Name"));
    if (!name || name->empty()) return missing(item + ".Name");
    ASSIGN_OR_RETURN(auto value, string_member(od, "Value"));
    if (value_required && (!value || value->empty())) return missing(item + ".Value");
    for (const auto& prev : out) {
      if (prev.name == *name) {
        return invalid(fmt::format("The dimension name {} is repeated in Dimensions.", *name));
      }
    }
    out.push_back({std::move(*name), std::move(value)});
    i++;
  }
  if (out.size() > max) {
    return invalid(
        fmt::format("The collection Dimensions must not have more than {} members.", max));
  }
  return out;
}

void write_timestamp(json::Writer& w, int64_t ms) {
  if (ms % 1000 == 0) {
    w.value(static_cast<int64_t>(ms / 1000));
  } else {
    w.value(static_cast<double>(ms) / 1000.0);
  }
}

// ---- PutMetricData ----

struct PutProbe {
  metrics::Counter* accepted;
  metrics::Counter* rejected_requests;
  PutProbe() {
    auto& r = metrics::Registry::global();
    Labels l{{"protocol", "cloudwatch_api"}};
    accepted =
        r.counter("opsight_ingest_samples_accepted_total", "Metric samples stored, by protocol", l);
    rejected_requests = r.counter("opsight_ingest_requests_failed_total",
                                  "Ingest requests refused as a whole, by protocol", l);
  }
};

PutProbe& put_probe() {
  static PutProbe p;
  return p;
}

std::string first_errors(const std::vector<ingest::ItemError>& errors) {
  std::string msg = fmt::format("{}: {}", errors[0].item, errors[0].message);
  if (errors.size() > 1) msg += fmt::format(" (and {} more invalid items)", errors.size() - 1);
  return msg;
}

Result<std::string> put_metric_data(const MetricOpsDeps& d, const CwContext& ctx,
                                    std::string_view json) {
  {
    Doc doc;
    RETURN_IF_ERROR(parse_doc(json, &doc));
    if (!member(doc.root, "Namespace")) return missing("Namespace");
    if (!member(doc.root, "MetricData")) return missing("MetricData");
  }
  ingest::MetricBatch batch;
  if (Status st = ingest::aws::decode_put_metric_data(json, ctx.now_ms, &batch); !st.ok()) {
    put_probe().rejected_requests->inc();
    return coded(st);
  }
  // CloudWatch stores nothing of a request with an invalid item.
  if (!batch.errors.empty()) {
    put_probe().rejected_requests->inc();
    return invalid(first_errors(batch.errors));
  }
  auto out = ingest::write_batch(*d.store, ctx.tenant, std::move(batch), d.limits);
  put_probe().accepted->inc(out.accepted_samples);
  if (!out.status.ok()) return out.status;
  if (!out.errors.empty()) {
    // Limits checked at write time (opsight's own, e.g. limits.max_labels_per_series): the
    // other items were stored.
    return invalid(first_errors(out.errors));
  }
  return std::string("{}");
}

// ---- GetMetricData ----

Result<std::string> get_metric_data(const MetricOpsDeps& d, const CwContext& ctx,
                                    std::string_view json) {
  {
    Doc doc;
    RETURN_IF_ERROR(parse_doc(json, &doc));
    for (auto name : {"MetricDataQueries", "StartTime", "EndTime"}) {
      if (!member(doc.root, name)) return missing(name);
    }
  }
  auto out = get_metric_data_json(*d.store, readable_tenants(ctx), json, ctx.now_ms, d.math,
                                  mm::TimestampFormat::kEpochSeconds);
  if (!out.ok()) return coded(out.status());
  return out;
}

// ---- GetMetricStatistics ----

bool is_standard_statistic(std::string_view s) {
  return s == "SampleCount" || s == "Average" || s == "Sum" || s == "Minimum" || s == "Maximum";
}

bool valid_period(int64_t p) {
  return p == 1 || p == 5 || p == 10 || p == 20 || p == 30 || (p > 0 && p % 60 == 0);
}

Result<std::string> get_metric_statistics(const MetricOpsDeps& d, const CwContext& ctx,
                                          std::string_view json) {
  Doc doc;
  RETURN_IF_ERROR(parse_doc(json, &doc));
  object o = doc.root;
  ASSIGN_OR_RETURN(std::string ns, required_string(o, "Namespace"));
  ASSIGN_OR_RETURN(std::string name, required_string(o, "MetricName"));
  ASSIGN_OR_RETURN(int64_t start, time_member(o, "StartTime"));
  ASSIGN_OR_RETURN(int64_t end, time_member(o, "EndTime"));
  auto period_e = member(o, "Period");
  if (!period_e) return missing("Period");
  if (!period_e->is_int64()) return invalid("The parameter Period must be an integer.");
  int64_t period = period_e->get_int64().value_unsafe();
  if (!valid_period(period)) {
    return invalid(
        fmt::format("The parameter Period must be 1, 5, 10, 20, 30 or a multiple of "
                    "60 (got {}).",
                    period));
  }
  if (start >= end) {
    return invalid("The parameter StartTime must be less than the parameter EndTime.");
  }
  ASSIGN_OR_RETURN(auto stats, string_list(o, "Statistics"));
  ASSIGN_OR_RETURN(auto extended, string_list(o, "ExtendedStatistics"));
  if (stats.empty() && extended.empty()) {
    return missing("Statistics or ExtendedStatistics");
  }
  if (!stats.empty() && !extended.empty()) {
    return Status::invalid_argument(
        "InvalidParameterCombination: Must specify either Statistics or ExtendedStatistics, "
        "but not both.");
  }
  if (stats.size() > kMaxStatistics || extended.size() > kMaxExtendedStatistics) {
    return invalid(fmt::format("At most {} Statistics and {} ExtendedStatistics are allowed.",
                               kMaxStatistics, kMaxExtendedStatistics));
  }
  for (const auto& s : stats) {
    if (!is_standard_statistic(s)) {
      return invalid(
          fmt::format("The value {} for parameter Statistics.member is not valid "
                      "(SampleCount, Average, Sum, Minimum, Maximum).",
                      s));
    }
  }
  for (const auto& s : extended) {
    if (is_standard_statistic(s)) {
      return invalid(
          fmt::format("The value {} for parameter ExtendedStatistics.member is not "
                      "an extended statistic.",
                      s));
    }
    RETURN_IF_ERROR(coded(query::validate_statistic(s)));
  }
  ASSIGN_OR_RETURN(auto dims, dimensions(o, true, kMaxDimensions));
  ASSIGN_OR_RETURN(auto unit, string_member(o, "Unit"));

  query::StatisticsRequest sr;
  sr.matchers.push_back(storage::Matcher::equal(std::string(kMetricName), name));
  sr.matchers.push_back(storage::Matcher::equal("Namespace", ns));
  for (const auto& dim : dims) sr.matchers.push_back(storage::Matcher::equal(dim.name, *dim.value));
  sr.start_ms = start;
  sr.end_ms = end;
  sr.period_ms = period * 1000;
  sr.statistics = stats.empty() ? extended : stats;
  ASSIGN_OR_RETURN(auto q, d.store->querier(storage::QueryScope{{ctx.tenant}}, start, end));
  auto res = query::compute_statistics(*q, sr);
  if (!res.ok()) return coded(res.status());

  json::Writer w;
  w.begin_object().kv("Label", name);
  w.key("Datapoints").begin_array();
  for (const auto& series : *res) {
    // The metric with exactly these dimensions: __name__, Namespace and one label per dimension.
    if (series.labels.size() != dims.size() + 2) continue;
    std::string series_unit = series.unit.empty() ? "None" : series.unit;
    if (unit && !unit->empty() && *unit != series_unit) continue;
    for (const auto& dp : series.datapoints) {
      w.begin_object();
      w.key("Timestamp");
      write_timestamp(w, dp.timestamp_ms);
      if (stats.empty()) {
        w.key("ExtendedStatistics").begin_object();
        for (size_t i = 0; i < extended.size(); i++) {
          if (std::isfinite(dp.values[i])) w.kv(extended[i], dp.values[i]);
        }
        w.end_object();
      } else {
        for (size_t i = 0; i < stats.size(); i++) {
          if (std::isfinite(dp.values[i])) w.kv(stats[i], dp.values[i]);
        }
      }
      w.kv("Unit", series_unit);
      w.end_object();
    }
  }
  w.end_array().end_object();
  return w.take();
}

// ---- ListMetrics ----

std::string page_token(size_t offset) {
  return ingest::otlp::base64_encode(fmt::format("ListMetrics:{}", offset));
}

Result<size_t> parse_page_token(std::string_view token) {
  std::string raw;
  size_t offset = 0;
  constexpr std::string_view kPrefix = "ListMetrics:";
  if (ingest::otlp::base64_decode(token, &raw) && raw.starts_with(kPrefix)) {
    std::string_view n = std::string_view(raw).substr(kPrefix.size());
    auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), offset);
    if (ec == std::errc() && p == n.data() + n.size()) return offset;
  }
  return Status::invalid_argument("InvalidNextToken: The NextToken is not valid.");
}

Result<std::string> list_metrics(const MetricOpsDeps& d, const CwContext& ctx,
                                 std::string_view json) {
  Doc doc;
  RETURN_IF_ERROR(parse_doc(json, &doc));
  object o = doc.root;
  ASSIGN_OR_RETURN(auto ns, string_member(o, "Namespace"));
  ASSIGN_OR_RETURN(auto name, string_member(o, "MetricName"));
  ASSIGN_OR_RETURN(auto filters, dimensions(o, false, kMaxDimensionFilters));
  ASSIGN_OR_RETURN(auto recently, string_member(o, "RecentlyActive"));
  ASSIGN_OR_RETURN(auto token, string_member(o, "NextToken"));
  ASSIGN_OR_RETURN(auto owning, string_member(o, "OwningAccount"));
  bool include_linked = false;
  if (auto e = member(o, "IncludeLinkedAccounts")) {
    if (!e->is_bool()) return invalid("The parameter IncludeLinkedAccounts must be a boolean.");
    include_linked = e->get_bool().value_unsafe();
  }
  if (recently && *recently != "PT3H") {
    return invalid("The parameter RecentlyActive must be PT3H.");
  }
  size_t offset = 0;
  if (token && !token->empty()) {
    ASSIGN_OR_RETURN(offset, parse_page_token(*token));
  }

  std::vector<storage::Matcher> matchers;
  auto exists = [](std::string label) {
    return storage::Matcher::make(storage::MatchType::kRegexMatch, std::move(label), ".+");
  };
  if (ns && !ns->empty()) {
    matchers.push_back(storage::Matcher::equal("Namespace", *ns));
  } else {
    ASSIGN_OR_RETURN(auto m, exists("Namespace"));
    matchers.push_back(std::move(m));
  }
  if (name && !name->empty()) {
    matchers.push_back(storage::Matcher::equal(std::string(kMetricName), *name));
  }
  for (const auto& f : filters) {
    if (f.value && !f.value->empty()) {
      matchers.push_back(storage::Matcher::equal(f.name, *f.value));
    } else {
      ASSIGN_OR_RETURN(auto m, exists(f.name));
      matchers.push_back(std::move(m));
    }
  }
  int64_t mint = ctx.now_ms - (recently ? kRecentlyActiveMs : kListMetricsWindowMs);
  int64_t maxt = ctx.now_ms + 2 * 3'600'000LL;
  // A monitoring account lists its linked sources' metrics too when it asks
  // (IncludeLinkedAccounts); OwningAccount then narrows to one of them.
  storage::QueryScope scope{{ctx.tenant}};
  if (include_linked) scope.tenants = readable_tenants(ctx);
  ASSIGN_OR_RETURN(auto q, d.store->querier(scope, mint, maxt));
  auto set = q->select(true, storage::SelectHints{mint, maxt, 0, 0}, matchers);

  json::Writer w;
  w.begin_object();
  w.key("Metrics").begin_array();
  std::vector<std::string> accounts;
  size_t index = 0;
  bool more = false;
  while (set->next()) {
    const auto& series = set->at();
    if (owning && !owning->empty() && series.tenant().account != *owning) continue;
    if (!series.labels().has(kMetricName)) continue;
    {
      // A series is listed while it has a sample in the window (RecentlyActive: 3 hours).
      auto it = series.iterator();
      if (!it->seek(mint)) continue;
    }
    if (index++ < offset) continue;
    if (accounts.size() == kListMetricsPage) {
      more = true;
      break;
    }
    w.begin_object();
    w.kv("Namespace", series.labels().get("Namespace"));
    w.kv("MetricName", series.labels().metric_name());
    w.key("Dimensions").begin_array();
    for (const auto& l : series.labels()) {
      if (l.name == kMetricName || l.name == "Namespace") continue;
      w.begin_object().kv("Name", l.name).kv("Value", l.value).end_object();
    }
    w.end_array();
    w.end_object();
    accounts.push_back(series.tenant().account);
  }
  if (auto st = set->err(); !st.ok()) return st;
  w.end_array();
  if (more) w.kv("NextToken", page_token(offset + kListMetricsPage));
  if (include_linked) {
    w.key("OwningAccounts").begin_array();
    for (const auto& a : accounts) w.value(a);
    w.end_array();
  }
  w.end_object();
  return w.take();
}

}  // namespace

void add_cloudwatch_metric_ops(CwOperationTable& table, const MetricOpsDeps& deps) {
  table["PutMetricData"] = [deps](const CwContext& c, std::string_view j) {
    return put_metric_data(deps, c, j);
  };
  table["GetMetricData"] = [deps](const CwContext& c, std::string_view j) {
    return get_metric_data(deps, c, j);
  };
  table["GetMetricStatistics"] = [deps](const CwContext& c, std::string_view j) {
    return get_metric_statistics(deps, c, j);
  };
  table["ListMetrics"] = [deps](const CwContext& c, std::string_view j) {
    return list_metrics(deps, c, j);
  };
}

}  // namespace opsight::api::aws
