// JSON codec of GetMetricData (simdjson DOM on one padded copy of the input; json::Writer out).
#include "query/metricmath/json_codec.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cmath>

#include "common/json_writer.h"
#include "common/time_util.h"

namespace opsight::query::metricmath {
namespace {

namespace dom = simdjson::dom;

Status at(std::string_view path, std::string_view rule) {
  return Status::invalid_argument(fmt::format("{}: {}", path, rule));
}

// The member `key` when present and not null.
bool member(dom::object o, std::string_view key, dom::element* e) {
  return !o[key].get(*e) && !e->is_null();
}

Result<std::string> get_string(dom::element e, std::string_view path) {
  std::string_view s;
  if (e.get_string().get(s)) return at(path, "must be a string");
  return std::string(s);
}

Result<int64_t> get_int(dom::element e, std::string_view path) {
  if (e.is_int64()) return e.get_int64().value_unsafe();
  if (e.is_uint64()) return at(path, "is too large");
  if (e.is_double()) {
    double d = e.get_double().value_unsafe();
    if (d == std::floor(d) && std::fabs(d) < 9e15) return static_cast<int64_t>(d);
  }
  return at(path, "must be an integer");
}

Result<int64_t> get_time(dom::element e, std::string_view path, int64_t now_ms) {
  if (e.is_int64() || e.is_uint64() || e.is_double()) {
    double secs = e.get_double().value_unsafe();
    if (!std::isfinite(secs) || std::fabs(secs) > 1e13) return at(path, "is out of range");
    return static_cast<int64_t>(std::llround(secs * 1000));
  }
  std::string_view s;
  if (e.get_string().get(s)) return at(path, "must be epoch seconds or an ISO-8601 string");
  auto t = parse_time_flexible_ms(s, now_ms);
  if (t.ok()) return *t;
  // ISO-8601 without an offset is UTC.
  auto z = parse_time_ms(std::string(s) + "Z");
  if (z.ok()) return *z;
  return at(path, fmt::format("\"{}\" is not a time: {}", s, t.status().message()));
}

Result<MetricStat> parse_metric_stat(dom::element e, const std::string& path) {
  dom::object o;
  if (e.get_object().get(o)) return at(path, "must be an object");
  MetricStat ms;
  dom::element m, x;
  if (!member(o, "Metric", &m)) return at(path + ".Metric", "is required");
  dom::object mo;
  if (m.get_object().get(mo)) return at(path + ".Metric", "must be an object");
  if (member(mo, "Namespace", &x)) {
    ASSIGN_OR_RETURN(ms.metric.namespace_name, get_string(x, path + ".Metric.Namespace"));
  }
  if (member(mo, "MetricName", &x)) {
    ASSIGN_OR_RETURN(ms.metric.metric_name, get_string(x, path + ".Metric.MetricName"));
  }
  if (member(mo, "Dimensions", &x)) {
    dom::array dims;
    if (x.get_array().get(dims)) return at(path + ".Metric.Dimensions", "must be an array");
    size_t i = 0;
    for (dom::element d : dims) {
      std::string dp = fmt::format("{}.Metric.Dimensions[{}]", path, i++);
      dom::object dobj;
      if (d.get_object().get(dobj)) return at(dp, "must be an object with Name and Value");
      Dimension dim;
      dom::element y;
      if (member(dobj, "Name", &y)) {
        ASSIGN_OR_RETURN(dim.name, get_string(y, dp + ".Name"));
      }
      if (member(dobj, "Value", &y)) {
        ASSIGN_OR_RETURN(dim.value, get_string(y, dp + ".Value"));
      }
      ms.metric.dimensions.push_back(std::move(dim));
    }
  }
  if (member(o, "Period", &x)) {
    ASSIGN_OR_RETURN(ms.period_s, get_int(x, path + ".Period"));
  }
  if (member(o, "Stat", &x)) {
    ASSIGN_OR_RETURN(ms.stat, get_string(x, path + ".Stat"));
  }
  if (member(o, "Unit", &x)) {
    ASSIGN_OR_RETURN(ms.unit, get_string(x, path + ".Unit"));
  }
  return ms;
}

Result<MetricDataQuery> parse_query(dom::element e, const std::string& path) {
  dom::object o;
  if (e.get_object().get(o)) return at(path, "must be an object");
  MetricDataQuery q;
  dom::element x;
  if (member(o, "Id", &x)) {
    ASSIGN_OR_RETURN(q.id, get_string(x, path + ".Id"));
  }
  if (member(o, "MetricStat", &x)) {
    ASSIGN_OR_RETURN(q.metric_stat, parse_metric_stat(x, path + ".MetricStat"));
  }
  if (member(o, "Expression", &x)) {
    ASSIGN_OR_RETURN(q.expression, get_string(x, path + ".Expression"));
    if (q.expression.empty()) return at(path + ".Expression", "must not be empty");
  }
  if (member(o, "Label", &x)) {
    ASSIGN_OR_RETURN(q.label, get_string(x, path + ".Label"));
  }
  if (member(o, "ReturnData", &x)) {
    bool b;
    if (x.get_bool().get(b)) return at(path + ".ReturnData", "must be true or false");
    q.return_data = b;
  }
  if (member(o, "Period", &x)) {
    ASSIGN_OR_RETURN(q.period_s, get_int(x, path + ".Period"));
  }
  if (member(o, "AccountId", &x)) {
    ASSIGN_OR_RETURN(q.account_id, get_string(x, path + ".AccountId"));
  }
  return q;
}

Result<std::vector<MetricDataQuery>> parse_queries(dom::element e, std::string_view name) {
  dom::array arr;
  if (e.get_array().get(arr)) return at(name, "must be an array");
  std::vector<MetricDataQuery> out;
  size_t i = 0;
  for (dom::element q : arr) {
    ASSIGN_OR_RETURN(auto mq, parse_query(q, fmt::format("{}[{}]", name, i++)));
    out.push_back(std::move(mq));
  }
  return out;
}

Result<dom::element> parse_doc(dom::parser& parser, simdjson::padded_string& buf) {
  dom::element root;
  if (auto err = parser.parse(buf).get(root)) {
    return Status::invalid_argument(
        fmt::format("body is not valid JSON: {}", simdjson::error_message(err)));
  }
  return root;
}

}  // namespace

Result<GetMetricDataRequest> parse_get_metric_data_json(std::string_view json, int64_t now_ms) {
  dom::parser parser;
  simdjson::padded_string buf(json);
  ASSIGN_OR_RETURN(dom::element root, parse_doc(parser, buf));
  dom::object o;
  if (root.get_object().get(o)) return Status::invalid_argument("body must be a JSON object");
  GetMetricDataRequest req;
  dom::element x;
  if (!member(o, "MetricDataQueries", &x)) return at("MetricDataQueries", "is required");
  ASSIGN_OR_RETURN(req.queries, parse_queries(x, "MetricDataQueries"));
  if (!member(o, "StartTime", &x)) return at("StartTime", "is required");
  ASSIGN_OR_RETURN(req.start_ms, get_time(x, "StartTime", now_ms));
  if (!member(o, "EndTime", &x)) return at("EndTime", "is required");
  ASSIGN_OR_RETURN(req.end_ms, get_time(x, "EndTime", now_ms));
  if (member(o, "NextToken", &x)) {
    ASSIGN_OR_RETURN(req.next_token, get_string(x, "NextToken"));
  }
  if (member(o, "ScanBy", &x)) {
    ASSIGN_OR_RETURN(auto s, get_string(x, "ScanBy"));
    if (s == "TimestampDescending") {
      req.scan_by = ScanBy::kTimestampDescending;
    } else if (s == "TimestampAscending") {
      req.scan_by = ScanBy::kTimestampAscending;
    } else {
      return at("ScanBy",
                fmt::format("\"{}\" must be TimestampDescending or TimestampAscending", s));
    }
  }
  if (member(o, "MaxDatapoints", &x)) {
    ASSIGN_OR_RETURN(req.max_datapoints, get_int(x, "MaxDatapoints"));
    if (req.max_datapoints < 1) return at("MaxDatapoints", "must be >= 1");
  }
  if (member(o, "LabelOptions", &x)) {
    dom::object lo;
    if (x.get_object().get(lo)) return at("LabelOptions", "must be an object");
    dom::element tz;
    if (member(lo, "Timezone", &tz)) {
      ASSIGN_OR_RETURN(req.timezone, get_string(tz, "LabelOptions.Timezone"));
    }
  }
  return req;
}

Result<std::vector<MetricDataQuery>> parse_metric_data_queries_json(std::string_view json) {
  dom::parser parser;
  simdjson::padded_string buf(json);
  ASSIGN_OR_RETURN(dom::element root, parse_doc(parser, buf));
  return parse_queries(root, "Metrics");
}

std::string encode_get_metric_data_result(const GetMetricDataResult& result,
                                          TimestampFormat format) {
  json::Writer w;
  auto messages = [&](const std::vector<MessageData>& ms) {
    w.key("Messages").begin_array();
    for (const auto& m : ms) w.begin_object().kv("Code", m.code).kv("Value", m.value).end_object();
    w.end_array();
  };
  w.begin_object();
  w.key("MetricDataResults").begin_array();
  for (const auto& r : result.results) {
    w.begin_object();
    w.kv("Id", r.id).kv("Label", r.label);
    w.key("Timestamps").begin_array();
    for (int64_t t : r.timestamps) {
      if (format == TimestampFormat::kIso8601) {
        w.value(format_rfc3339_ms(t));
      } else if (t % 1000 == 0) {
        w.value(t / 1000);
      } else {
        w.value(static_cast<double>(t) / 1000.0);
      }
    }
    w.end_array();
    w.key("Values").begin_array();
    for (double v : r.values) w.value(v);
    w.end_array();
    w.kv("StatusCode", status_code_name(r.status));
    messages(r.messages);
    w.end_object();
  }
  w.end_array();
  if (!result.next_token.empty()) w.kv("NextToken", result.next_token);
  messages(result.messages);
  w.end_object();
  return w.take();
}

}  // namespace opsight::query::metricmath
