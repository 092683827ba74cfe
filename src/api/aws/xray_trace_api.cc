// GetTraceSummaries, BatchGetTraces and GetServiceGraph (xray_trace_api.h). Shapes from the AWS
// X-Ray API reference (TraceSummary, Trace, Segment, Service, Edge, ServiceStatistics,
// EdgeStatistics, HistogramEntry).
#include "api/aws/xray_trace_api.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include "api/api_util.h"
#include "api/aws/xray_documents.h"
#include "api/json_time.h"
#include "common/hash.h"
#include "common/hex.h"
#include "common/json_writer.h"
#include "ingest/aws/xray_segment.h"

namespace opsight::api {
namespace {

namespace dom = simdjson::dom;
namespace tf = query::tracefilter;

constexpr size_t kMaxRequestBody = 1 << 20;

Status bad(std::string message) {
  return Status::invalid_argument(std::move(message));
}

Clock* clock_of(const XrayApiDeps& d) {
  return d.clock != nullptr ? d.clock : Clock::real();
}

// The request body as a JSON object ("{}" when empty).
Result<dom::object> parse_body(const HttpRequest& req, std::string_view op, dom::parser* parser,
                               simdjson::padded_string* padded) {
  if (req.body.size() > kMaxRequestBody) {
    return bad(fmt::format("{}: the request body is {} bytes: at most {} are allowed", op,
                           req.body.size(), kMaxRequestBody));
  }
  *padded = simdjson::padded_string(req.body.empty() ? std::string_view("{}") : req.body);
  dom::object obj;
  if (parser->parse(*padded).get_object().get(obj) != simdjson::SUCCESS) {
    return bad(fmt::format("{}: the body must be a JSON object", op));
  }
  return obj;
}

// [StartTime, EndTime] in ms, both required.
Status time_range(dom::object body, std::string_view op, int64_t now_ms, int64_t* start,
                  int64_t* end) {
  dom::element e;
  for (auto [field, out] : {std::pair{"StartTime", start}, std::pair{"EndTime", end}}) {
    if (body.at_key(field).get(e) != simdjson::SUCCESS || e.is_null()) {
      return bad(fmt::format("{}: {} is required", op, field));
    }
    auto t = json_time_ms(e, field, now_ms);
    if (!t.ok()) return t.status().with_prefix(op);
    *out = *t;
  }
  if (*end <= *start) {
    return bad(
        fmt::format("{}: EndTime ({} ms) must be after StartTime ({} ms)", op, *end, *start));
  }
  return OkStatus();
}

// An optional string field; InvalidArgument when present and not a string.
Status optional_string(dom::object body, std::string_view op, std::string_view field,
                       std::string_view* out) {
  dom::element e;
  if (body.at_key(field).get(e) != simdjson::SUCCESS || e.is_null()) return OkStatus();
  if (e.get_string().get(*out) != simdjson::SUCCESS) {
    return bad(fmt::format("{}: {} must be a string", op, field));
  }
  return OkStatus();
}

std::string seconds(int64_t ms) {
  std::string s;
  json::append_double(s, static_cast<double>(ms) / 1000.0);
  return s;
}

// ---- GetTraceSummaries ----------------------------------------------------------------------

struct SummariesRequest {
  tf::SearchRequest search;
  int64_t start_ms = 0, end_ms = 0;
  bool by_trace_start = true;  // TimeRangeType TraceId
  size_t offset = 0;
};

// The NextToken of a page: "<offset>.<hash of the query>", so a token is only taken back with
// the query it came from.
std::string query_hash(const SummariesRequest& r) {
  const std::string key =
      fmt::format("{}|{}|{}|{}", r.start_ms, r.end_ms, r.by_trace_start, r.search.filter);
  return fmt::format("{:016x}", xxhash64(key));
}

Result<size_t> parse_token(std::string_view token, const SummariesRequest& r) {
  const size_t dot = token.find('.');
  size_t offset = 0;
  if (dot != std::string_view::npos) {
    auto [p, ec] = std::from_chars(token.data(), token.data() + dot, offset);
    if (ec == std::errc() && p == token.data() + dot && token.substr(dot + 1) == query_hash(r) &&
        offset < tf::kMaxSearchLimit) {
      return offset;
    }
  }
  return bad(fmt::format(
      "GetTraceSummaries: NextToken \"{}\" does not belong to this query (same StartTime, "
      "EndTime, TimeRangeType and FilterExpression)",
      token.substr(0, 64)));
}

Result<SummariesRequest> summaries_request(const HttpRequest& req, int64_t now_ms) {
  constexpr std::string_view kOp = "GetTraceSummaries";
  dom::parser parser;
  simdjson::padded_string padded;
  ASSIGN_OR_RETURN(dom::object body, parse_body(req, kOp, &parser, &padded));
  SummariesRequest r;
  r.search.tenant = request_tenant(req);
  RETURN_IF_ERROR(time_range(body, kOp, now_ms, &r.start_ms, &r.end_ms));
  std::string_view type, filter, token;
  RETURN_IF_ERROR(optional_string(body, kOp, "TimeRangeType", &type));
  if (!type.empty() && type != "TraceId" && type != "Event" && type != "Service") {
    return bad(
        fmt::format("GetTraceSummaries: TimeRangeType \"{}\" is not one of TraceId, Event, "
                    "Service",
                    type.substr(0, 64)));
  }
  r.by_trace_start = type.empty() || type == "TraceId";
  RETURN_IF_ERROR(optional_string(body, kOp, "FilterExpression", &filter));
  r.search.filter = std::string(filter);
  dom::element e;
  if (body.at_key("Sampling").get(e) == simdjson::SUCCESS && !e.is_null() && !e.is_bool()) {
    return bad("GetTraceSummaries: Sampling must be true or false");
  }
  if (body.at_key("SamplingStrategy").get(e) == simdjson::SUCCESS && !e.is_null()) {
    dom::object strategy;
    std::string_view name;
    if (e.get_object().get(strategy) != simdjson::SUCCESS) {
      return bad("GetTraceSummaries: SamplingStrategy must be an object");
    }
    if (strategy.at_key("Name").get_string().get(name) == simdjson::SUCCESS &&
        name != "PartialScan" && name != "FixedRate") {
      return bad(fmt::format(
          "GetTraceSummaries: SamplingStrategy.Name \"{}\" is not PartialScan or FixedRate",
          name.substr(0, 64)));
    }
  }
  r.search.start_ns = r.start_ms * 1'000'000;
  r.search.end_ns = r.end_ms * 1'000'000;
  RETURN_IF_ERROR(optional_string(body, kOp, "NextToken", &token));
  if (!token.empty()) {
    ASSIGN_OR_RETURN(r.offset, parse_token(token, r));
  }
  r.search.limit = std::min(r.offset + kTraceSummaryPage + 1, tf::kMaxSearchLimit);
  return r;
}

void write_service_id(json::Writer& w, std::string_view name, std::string_view account) {
  w.begin_object().kv("Name", name).key("Names").begin_array().value(name).end_array();
  w.kv("AccountId", account).end_object();
}

void write_annotation_value(json::Writer& w, const std::string& v, storage::AttrType type) {
  w.key("AnnotationValue").begin_object();
  double d = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  const bool number = ec == std::errc() && p == v.data() + v.size() && std::isfinite(d);
  if (type == storage::AttrType::kBool && (v == "true" || v == "false")) {
    w.kv("BooleanValue", v == "true");
  } else if ((type == storage::AttrType::kInt || type == storage::AttrType::kDouble) && number) {
    w.kv("NumberValue", d);
  } else {
    w.kv("StringValue", v);
  }
  w.end_object();
}

void write_summary(json::Writer& w, const tf::TraceSummary& t, std::string_view account) {
  w.begin_object();
  w.kv("Id", ingest::aws::format_xray_trace_id(t.trace_id));
  w.key("StartTime").raw(seconds(t.start_ns / 1'000'000));
  w.kv("Duration", t.duration_s).kv("ResponseTime", t.response_time_s);
  w.kv("HasFault", t.has_fault).kv("HasError", t.has_error).kv("HasThrottle", t.has_throttle);
  w.kv("IsPartial", t.is_partial);
  w.key("Http").begin_object();
  if (!t.http.url.empty()) w.kv("HttpURL", t.http.url);
  if (t.http.status != 0) w.kv("HttpStatus", t.http.status);
  if (!t.http.method.empty()) w.kv("HttpMethod", t.http.method);
  if (!t.http.user_agent.empty()) w.kv("UserAgent", t.http.user_agent);
  if (!t.http.client_ip.empty()) w.kv("ClientIp", t.http.client_ip);
  w.end_object();
  w.key("Annotations").begin_object();
  for (size_t i = 0; i < t.annotations.size(); i++) {
    const auto type =
        i < t.annotation_types.size() ? t.annotation_types[i] : storage::AttrType::kString;
    w.key(t.annotations[i].first).begin_array();
    for (const std::string& v : t.annotations[i].second) {
      w.begin_object();
      write_annotation_value(w, v, type);
      w.key("ServiceIds").begin_array().end_array().end_object();
    }
    w.end_array();
  }
  w.end_object();
  w.key("Users").begin_array();
  for (const std::string& u : t.users) {
    w.begin_object().kv("UserName", u).key("ServiceIds").begin_array().end_array().end_object();
  }
  w.end_array();
  w.key("ServiceIds").begin_array();
  for (const std::string& s : t.services) write_service_id(w, s, account);
  w.end_array();
  w.key("EntryPoint");
  write_service_id(w, t.entry_service, account);
  for (std::string_view empty : {"ResourceARNs", "InstanceIds", "AvailabilityZones",
                                 "FaultRootCauses", "ErrorRootCauses", "ResponseTimeRootCauses"}) {
    w.key(empty).begin_array().end_array();
  }
  w.kv("Revision", static_cast<uint64_t>(t.span_count));
  w.end_object();
}

HttpResponse get_trace_summaries(const XrayApiDeps& d, HttpRequest& req) {
  if (d.traces == nullptr) return xray_error(Status::unimplemented("trace reads are off"));
  Clock* clock = clock_of(d);
  auto r = summaries_request(req, clock->now_ms());
  if (!r.ok()) return xray_error(r.status());
  auto result = tf::search_traces(d.traces, r->search, d.search, clock);
  if (!result.ok()) return xray_error(result.status().with_prefix("GetTraceSummaries"));
  // The page is cut from the search's order (newest first), then TimeRangeType TraceId drops
  // the traces that started before StartTime: a page may hold fewer than kTraceSummaryPage.
  const std::vector<tf::TraceSummary>& all = result->traces;
  const size_t first = std::min(r->offset, all.size());
  const size_t last = std::min(first + kTraceSummaryPage, all.size());
  json::Writer w;
  w.begin_object().key("TraceSummaries").begin_array();
  for (size_t i = first; i < last; i++) {
    const tf::TraceSummary& t = all[i];
    if (r->by_trace_start && (t.start_ns < r->search.start_ns || t.start_ns >= r->search.end_ns)) {
      continue;
    }
    write_summary(w, t, r->search.tenant.account);
  }
  w.end_array();
  w.key("ApproximateTime").raw(seconds(r->end_ms));
  w.kv("TracesProcessedCount", result->traces_evaluated);
  // The search asked for one trace more than this page: when it came, there is a next page.
  if (last < all.size()) w.kv("NextToken", fmt::format("{}.{}", last, query_hash(*r)));
  w.end_object();
  return xray_ok(w.take());
}

// ---- BatchGetTraces -------------------------------------------------------------------------

// An X-Ray id or 32 hex digits (an OTLP id) -> 16 bytes.
Result<std::string> parse_trace_id(std::string_view text) {
  std::string raw;
  if (text.size() == 32 && hex_decode(text, &raw)) return raw;
  auto id = ingest::aws::parse_xray_trace_id(text);
  if (!id.ok()) return id.status().with_prefix("BatchGetTraces: TraceIds");
  return id;
}

HttpResponse batch_get_traces(const XrayApiDeps& d, HttpRequest& req) {
  if (d.traces == nullptr) return xray_error(Status::unimplemented("trace reads are off"));
  constexpr std::string_view kOp = "BatchGetTraces";
  dom::parser parser;
  simdjson::padded_string padded;
  auto body = parse_body(req, kOp, &parser, &padded);
  if (!body.ok()) return xray_error(body.status());
  dom::array ids;
  if (body->at_key("TraceIds").get_array().get(ids) != simdjson::SUCCESS) {
    return xray_error(bad("BatchGetTraces: TraceIds is required (an array of trace ids)"));
  }
  if (ids.size() == 0 || ids.size() > kMaxBatchTraceIds) {
    return xray_error(bad(fmt::format("BatchGetTraces: TraceIds has {} ids: 1..{} are allowed",
                                      ids.size(), kMaxBatchTraceIds)));
  }
  std::string_view token;
  if (Status st = optional_string(*body, kOp, "NextToken", &token); !st.ok()) {
    return xray_error(st);
  }
  std::vector<std::pair<std::string_view, std::string>> wanted;  // (as given, 16 bytes)
  for (dom::element e : ids) {
    std::string_view text;
    if (e.get_string().get(text) != simdjson::SUCCESS) {
      return xray_error(bad("BatchGetTraces: every TraceIds item must be a string"));
    }
    auto id = parse_trace_id(text);
    if (!id.ok()) return xray_error(id.status());
    wanted.emplace_back(text, std::move(*id));
  }
  // A monitoring account also reads its linked source accounts' traces (cross-account
  // observability): the first account, its own first, that has the trace answers.
  const std::vector<storage::Tenant> tenants = request_tenants(req);
  json::Writer w;
  std::vector<std::string_view> unprocessed;
  w.begin_object().key("Traces").begin_array();
  for (const auto& [text, id] : wanted) {
    auto spans = d.traces->get_trace(tenants.front(), id);
    for (size_t t = 1; t < tenants.size() && spans.ok() && spans->empty(); t++) {
      spans = d.traces->get_trace(tenants[t], id);
    }
    if (!spans.ok()) return xray_error(spans.status().with_prefix(kOp));
    if (spans->empty()) {
      unprocessed.push_back(text);
      continue;
    }
    int64_t start = spans->front().start_ns, end = spans->front().end_ns;
    for (const auto& s : *spans) {
      start = std::min(start, s.start_ns);
      end = std::max(end, s.end_ns);
    }
    w.begin_object().kv("Id", ingest::aws::format_xray_trace_id(id));
    w.kv("Duration", static_cast<double>(end - start) / 1e9).kv("LimitExceeded", false);
    w.key("Segments").begin_array();
    for (const XraySegment& seg : xray_segment_documents(*spans)) {
      w.begin_object().kv("Id", seg.id).kv("Document", seg.document).end_object();
    }
    w.end_array().end_object();
  }
  w.end_array().key("UnprocessedTraceIds").begin_array();
  for (std::string_view u : unprocessed) w.value(u);
  w.end_array().end_object();
  return xray_ok(w.take());
}

// ---- GetServiceGraph ------------------------------------------------------------------------

// The overflow bucket (above the last bound) is reported at twice the last bound.
void write_histogram(json::Writer& w, std::string_view key, const apm::RequestStats& s) {
  w.key(key).begin_array();
  for (size_t i = 0; i < s.histogram.size(); i++) {
    if (s.histogram[i] == 0) continue;
    const double value = i < apm::kResponseTimeBuckets.size()
                             ? apm::kResponseTimeBuckets[i]
                             : 2 * apm::kResponseTimeBuckets.back();
    w.begin_object().kv("Value", value).kv("Count", s.histogram[i]).end_object();
  }
  w.end_array();
}

void write_statistics(json::Writer& w, const apm::RequestStats& s) {
  const uint64_t not_ok = std::min(s.requests, s.errors + s.faults);
  const uint64_t throttles = std::min(s.throttles, s.errors);
  w.key("SummaryStatistics").begin_object().kv("OkCount", s.requests - not_ok);
  w.key("ErrorStatistics")
      .begin_object()
      .kv("ThrottleCount", throttles)
      .kv("OtherCount", s.errors - throttles)
      .kv("TotalCount", s.errors)
      .end_object();
  w.key("FaultStatistics")
      .begin_object()
      .kv("OtherCount", s.faults)
      .kv("TotalCount", s.faults)
      .end_object();
  w.kv("TotalCount", s.requests).kv("TotalResponseTime", s.total_seconds).end_object();
}

HttpResponse get_service_graph(const XrayApiDeps& d, HttpRequest& req) {
  if (d.traces == nullptr) return xray_error(Status::unimplemented("trace reads are off"));
  constexpr std::string_view kOp = "GetServiceGraph";
  Clock* clock = clock_of(d);
  dom::parser parser;
  simdjson::padded_string padded;
  auto body = parse_body(req, kOp, &parser, &padded);
  if (!body.ok()) return xray_error(body.status());
  int64_t start = 0, end = 0;
  std::string_view ignored;
  for (std::string_view field : {"GroupName", "GroupARN", "NextToken"}) {
    if (Status st = optional_string(*body, kOp, field, &ignored); !st.ok()) return xray_error(st);
  }
  if (Status st = time_range(*body, kOp, clock->now_ms(), &start, &end); !st.ok()) {
    return xray_error(st);
  }
  const storage::Tenant tenant = request_tenant(req);
  auto g = apm::build_service_graph(d.traces, tenant, start * 1'000'000, end * 1'000'000,
                                    d.service_graph, clock);
  if (!g.ok()) return xray_error(g.status().with_prefix(kOp));

  std::map<std::pair<std::string_view, std::string_view>, size_t> ref;  // (type, name) -> id
  for (size_t i = 0; i < g->nodes.size(); i++) ref[{g->nodes[i].type, g->nodes[i].name}] = i;
  std::vector<bool> called(g->nodes.size(), false);
  for (const apm::GraphEdge& e : g->edges) {
    auto it = ref.find({e.target_type, e.target});
    if (it != ref.end()) called[it->second] = true;
  }
  const std::string t0 = seconds(start), t1 = seconds(end);
  json::Writer w;
  w.begin_object().key("Services").begin_array();
  for (size_t i = 0; i < g->nodes.size(); i++) {
    const apm::GraphNode& n = g->nodes[i];
    w.begin_object().kv("ReferenceId", static_cast<uint64_t>(i)).kv("Name", n.name);
    w.key("Names").begin_array().value(n.name).end_array();
    w.kv("Root", !n.inferred && !called[i]).kv("AccountId", tenant.account);
    w.kv("Type", n.type).kv("State", "active");
    w.key("StartTime").raw(t0).key("EndTime").raw(t1);
    w.key("Edges").begin_array();
    for (const apm::GraphEdge& e : g->edges) {
      if (n.inferred || e.source != n.name) continue;
      auto it = ref.find({e.target_type, e.target});
      if (it == ref.end()) continue;
      w.begin_object().kv("ReferenceId", static_cast<uint64_t>(it->second));
      w.key("StartTime").raw(t0).key("EndTime").raw(t1);
      write_statistics(w, e.stats);
      write_histogram(w, "ResponseTimeHistogram", e.stats);
      w.key("Aliases").begin_array().end_array().end_object();
    }
    w.end_array();
    write_statistics(w, n.stats);
    write_histogram(w, "DurationHistogram", n.stats);
    write_histogram(w, "ResponseTimeHistogram", n.stats);
    w.end_object();
  }
  w.end_array();
  w.key("StartTime").raw(t0).key("EndTime").raw(t1);
  w.kv("ContainsOldGroupVersions", false).end_object();
  return xray_ok(w.take());
}

}  // namespace

void register_xray_trace_api(Router& router, const XrayApiDeps& deps) {
  for (std::string_view path : {"/TraceSummaries", "/GetTraceSummaries"}) {
    router.add("POST", path, [deps](HttpRequest& r) { return get_trace_summaries(deps, r); });
  }
  for (std::string_view path : {"/Traces", "/BatchGetTraces"}) {
    router.add("POST", path, [deps](HttpRequest& r) { return batch_get_traces(deps, r); });
  }
  for (std::string_view path : {"/ServiceGraph", "/GetServiceGraph"}) {
    router.add("POST", path, [deps](HttpRequest& r) { return get_service_graph(deps, r); });
  }
}

}  // namespace opsight::api
