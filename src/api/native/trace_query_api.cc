#include "api/native/trace_query_api.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <charconv>

#include "api/api_util.h"
#include "api/json_time.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "ingest/aws/xray_segment.h"
#include "ingest/otlp/otlp_common.h"

namespace opsight::api {
namespace {

namespace dom = simdjson::dom;
namespace tf = query::tracefilter;

constexpr uint64_t kMaxSearchBody = 64 * 1024;

HttpResponse error(const Status& st) {
  std::string_view code = st.code() == Code::kInvalidArgument     ? "InvalidRequestException"
                          : st.code() == Code::kResourceExhausted ? "ThrottledException"
                                                                  : "InternalFailure";
  json::Writer w;
  w.begin_object().kv("code", code).kv("message", st.message()).end_object();
  HttpResponse r = HttpResponse::json(http_status_for(st.code()), w.take());
  if (r.status == 429 || r.status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

// [start, end] in ms from query parameters; default the last hour.
Status param_range(const HttpRequest& req, int64_t now, int64_t* start, int64_t* end) {
  ASSIGN_OR_RETURN(*start, time_param(req, "start", now - 3'600'000, now));
  ASSIGN_OR_RETURN(*end, time_param(req, "end", now, now));
  return OkStatus();
}

Result<tf::SearchRequest> search_request(const HttpRequest& req, int64_t now) {
  tf::SearchRequest s;
  s.tenant = request_tenant(req);
  int64_t start = now - 3'600'000, end = now;
  if (req.method == "POST" && is_json(req)) {
    ASSIGN_OR_RETURN(std::string body,
                     decoded_body(req, kMaxSearchBody, kMaxSearchBody, "trace search body"));
    dom::parser parser;
    simdjson::padded_string padded(body);
    dom::object obj;
    if (parser.parse(padded).get_object().get(obj) != simdjson::SUCCESS) {
      return Status::invalid_argument("trace search: the body must be a JSON object");
    }
    for (auto field : obj) {
      const std::string_view k = field.key;
      if (k == "start") {
        ASSIGN_OR_RETURN(start, json_time_ms(field.value, k, now));
      } else if (k == "end") {
        ASSIGN_OR_RETURN(end, json_time_ms(field.value, k, now));
      } else if (k == "filter") {
        std::string_view f;
        if (field.value.get_string().get(f) != simdjson::SUCCESS) {
          return Status::invalid_argument("trace search: \"filter\" must be a string");
        }
        s.filter = std::string(f);
      } else if (k == "limit") {
        int64_t l = 0;
        if (field.value.get_int64().get(l) != simdjson::SUCCESS || l < 1 ||
            l > static_cast<int64_t>(tf::kMaxSearchLimit)) {
          return Status::invalid_argument(fmt::format(
              "trace search: \"limit\" must be an integer in 1..{}", tf::kMaxSearchLimit));
        }
        s.limit = static_cast<size_t>(l);
      } else {
        return Status::invalid_argument(
            fmt::format("trace search: unknown field \"{}\" (known: start, end, filter, limit)",
                        k.substr(0, 64)));
      }
    }
  } else {
    RETURN_IF_ERROR(param_range(req, now, &start, &end));
    s.filter = std::string(req.param("filter"));
    if (req.has_param("limit")) {
      int64_t l = 0;
      const std::string_view v = req.param("limit");
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), l);
      if (ec != std::errc() || p != v.data() + v.size() || l < 1 ||
          l > static_cast<int64_t>(tf::kMaxSearchLimit)) {
        return Status::invalid_argument(fmt::format(
            "trace search: parameter \"limit\" must be an integer in 1..{}", tf::kMaxSearchLimit));
      }
      s.limit = static_cast<size_t>(l);
    }
  }
  if (end <= start) {
    return Status::invalid_argument(
        fmt::format("trace search: end ({} ms) must be after start ({} ms)", end, start));
  }
  s.start_ns = start * 1'000'000;
  s.end_ns = end * 1'000'000;
  return s;
}

void write_stats(json::Writer& w, const apm::RequestStats& s) {
  w.kv("requests", s.requests)
      .kv("errors", s.errors)
      .kv("faults", s.faults)
      .kv("throttles", s.throttles)
      .kv("totalResponseTime", s.total_seconds)
      .kv("averageResponseTime",
          s.requests == 0 ? 0.0 : s.total_seconds / static_cast<double>(s.requests));
  w.key("histogram").begin_array();
  for (uint64_t c : s.histogram) w.value(c);
  w.end_array();
}

void write_scan(json::Writer& w, const storage::TraceScanStats& s) {
  w.kv("spansScanned", s.spans_scanned)
      .kv("spansMatched", s.spans_matched)
      .kv("blocksRead", s.blocks_read)
      .kv("blocksSkipped", s.blocks_skipped)
      .kv("bytesRead", s.bytes_read);
}

HttpResponse search(const TraceQueryDeps& d, HttpRequest& req) {
  auto s = search_request(req, d.clock->now_ms());
  if (!s.ok()) return error(s.status());
  auto r = tf::search_traces(d.traces, *s, d.search, d.clock);
  if (!r.ok()) return error(r.status());
  return HttpResponse::json(200, search_result_json(*r));
}

HttpResponse service_map(const TraceQueryDeps& d, HttpRequest& req) {
  int64_t start = 0, end = 0;
  if (Status st = param_range(req, d.clock->now_ms(), &start, &end); !st.ok()) return error(st);
  auto g = apm::build_service_graph(d.traces, request_tenant(req), start * 1'000'000,
                                    end * 1'000'000, d.service_map, d.clock);
  if (!g.ok()) return error(g.status());
  return HttpResponse::json(200, service_graph_json(*g, start, end));
}

}  // namespace

std::string search_result_json(const tf::SearchResult& r) {
  json::Writer w;
  w.begin_object().key("traces").begin_array();
  for (const tf::TraceSummary& t : r.traces) {
    const std::string hex = ingest::otlp::hex_encode(t.trace_id);
    w.begin_object().kv("id", hex).kv("xrayId", ingest::aws::format_xray_trace_id(t.trace_id));
    w.kv("startTime", static_cast<double>(t.start_ns) / 1e9)
        .kv("duration", t.duration_s)
        .kv("responseTime", t.response_time_s)
        .kv("hasFault", t.has_fault)
        .kv("hasError", t.has_error)
        .kv("hasThrottle", t.has_throttle)
        .kv("isPartial", t.is_partial);
    w.key("http").begin_object().kv("method", t.http.method).kv("url", t.http.url);
    if (t.http.status != 0) w.kv("status", t.http.status);
    w.end_object();
    w.key("annotations").begin_object();
    for (const auto& [k, values] : t.annotations) {
      w.key(k).begin_array();
      for (const auto& v : values) w.value(v);
      w.end_array();
    }
    w.end_object();
    w.key("services").begin_array();
    for (const auto& s : t.services) w.value(s);
    w.end_array();
    w.key("entryPoint")
        .begin_object()
        .kv("service", t.entry_service)
        .kv("name", t.entry_operation)
        .kv("kind", t.entry_kind)
        .end_object();
    w.kv("spanCount", static_cast<uint64_t>(t.span_count)).end_object();
  }
  w.end_array();
  w.kv("matched", r.traces_matched).kv("complete", r.complete);
  if (!r.stopped_by.empty()) w.kv("stoppedBy", r.stopped_by);
  w.key("scanned").begin_object();
  w.kv("candidateTraces", r.candidate_traces).kv("tracesEvaluated", r.traces_evaluated);
  write_scan(w, r.scan);
  w.end_object();
  w.kv("pushedDown", r.pushed_down);
  w.end_object();
  return w.take();
}

std::string service_graph_json(const apm::ServiceGraph& g, int64_t start_ms, int64_t end_ms) {
  json::Writer w;
  w.begin_object()
      .kv("startTime", format_rfc3339_ms(start_ms))
      .kv("endTime", format_rfc3339_ms(end_ms));
  w.key("histogramBuckets").begin_array();
  for (double b : apm::kResponseTimeBuckets) w.value(b);
  w.value("+Inf").end_array();
  w.key("nodes").begin_array();
  for (const apm::GraphNode& n : g.nodes) {
    w.begin_object().kv("name", n.name).kv("type", n.type).kv("inferred", n.inferred);
    write_stats(w, n.stats);
    w.end_object();
  }
  w.end_array();
  w.key("edges").begin_array();
  for (const apm::GraphEdge& e : g.edges) {
    w.begin_object().kv("source", e.source).kv("target", e.target).kv("targetType", e.target_type);
    write_stats(w, e.stats);
    w.end_object();
  }
  w.end_array();
  w.kv("spans", g.spans).kv("complete", g.complete);
  if (!g.stopped_by.empty()) w.kv("stoppedBy", g.stopped_by);
  w.key("scanned").begin_object();
  write_scan(w, g.scan);
  w.end_object().end_object();
  return w.take();
}

void register_trace_query_api(Router& router, const TraceQueryDeps& deps) {
  router.add("GET,POST", "/api/v1/traces/search",
             [deps](HttpRequest& r) { return search(deps, r); });
  router.add("GET", "/api/v1/servicemap", [deps](HttpRequest& r) { return service_map(deps, r); });
}

}  // namespace opsight::api
