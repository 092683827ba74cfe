#include "api/native/traces_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

#include "api/api_util.h"
#include "api/span_commit.h"
#include "common/json_writer.h"
#include "common/self_metrics.h"
#include "ingest/otlp/otlp_common.h"
#include "ingest/traces/otlp_traces_json.h"
#include "ingest/traces/otlp_traces_pb.h"
#include "wire/protobuf.h"

namespace opsight::api {
namespace {

using storage::Span;

struct Probe {
  metrics::Counter* accepted;
  metrics::Counter* rejected;
  metrics::Counter* failed;
  Probe() {
    auto& r = metrics::Registry::global();
    Labels l{{"protocol", "otlp"}};
    accepted = r.counter("opsight_ingest_spans_accepted_total", "Spans stored, by protocol", l);
    rejected = r.counter("opsight_ingest_spans_rejected_total",
                         "Spans rejected (bad span or limit), by protocol", l);
    failed = r.counter("opsight_ingest_span_requests_failed_total",
                       "Span export requests answered with an error, by protocol", l);
  }
};

Probe& probe() {
  static Probe p;
  return p;
}

constexpr std::string_view kBodyLimit = "limits.traces.max_request_bytes";

// google.rpc.Status {int32 code = 1; string message = 2;} as the OTLP/HTTP error body.
HttpResponse otlp_error(const HttpRequest& req, const Status& st) {
  probe().failed->inc();
  const int http = http_status_for(st.code());
  const int grpc_code = st.code() == Code::kInvalidArgument     ? 3
                        : st.code() == Code::kResourceExhausted ? 8
                        : st.code() == Code::kUnavailable       ? 14
                                                                : 13;
  HttpResponse r;
  r.status = http;
  if (is_json(req)) {
    json::Writer w;
    w.begin_object().kv("code", grpc_code).kv("message", st.message()).end_object();
    r.content_type = "application/json";
    r.body = w.take();
  } else {
    wire::pb::Writer w;
    w.varint(1, static_cast<uint64_t>(grpc_code));
    w.bytes(2, st.message());
    r.content_type = "application/x-protobuf";
    r.body = w.take();
  }
  if (http == 429 || http == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

HttpResponse error(const Status& st) {
  std::string_view code = st.code() == Code::kInvalidArgument     ? "InvalidRequestException"
                          : st.code() == Code::kNotFound          ? "ResourceNotFoundException"
                          : st.code() == Code::kResourceExhausted ? "ThrottledException"
                                                                  : "InternalFailure";
  json::Writer w;
  w.begin_object().kv("code", code).kv("message", st.message()).end_object();
  HttpResponse r = HttpResponse::json(http_status_for(st.code()), w.take());
  if (r.status == 429 || r.status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

HttpResponse otlp_traces(const TracesDeps& d, HttpRequest& req) {
  auto body = decoded_body(req, d.limits.max_request_bytes, d.limits.max_request_bytes, kBodyLimit);
  if (!body.ok()) return otlp_error(req, body.status());
  ingest::traces::TraceBatch batch;
  ingest::traces::OtlpTracesResult result;
  const bool json = is_json(req);
  Status st = json ? ingest::traces::decode_traces_json(*body, d.limits, &batch, &result)
                   : ingest::traces::decode_traces_protobuf(*body, d.limits, &batch, &result);
  if (!st.ok()) return otlp_error(req, st);
  const size_t accepted = batch.spans.size();
  st = commit_spans(d.traces, d.span_metrics, request_tenant(req), std::move(batch.spans));
  if (!st.ok()) return otlp_error(req, st);
  probe().accepted->inc(accepted);
  probe().rejected->inc(result.rejected_spans);
  HttpResponse r;
  r.status = 200;
  r.content_type = json ? "application/json" : "application/x-protobuf";
  r.body = json ? ingest::traces::encode_traces_response_json(result)
                : ingest::traces::encode_traces_response_protobuf(result);
  return r;
}

std::string_view kind_name(storage::SpanKind k) {
  static constexpr std::string_view kNames[] = {"UNSPECIFIED", "INTERNAL", "SERVER",
                                                "CLIENT",      "PRODUCER", "CONSUMER"};
  const auto i = static_cast<size_t>(k);
  return i < std::size(kNames) ? kNames[i] : "UNSPECIFIED";
}

std::string_view status_name(storage::SpanStatusCode c) {
  switch (c) {
    case storage::SpanStatusCode::kOk:
      return "OK";
    case storage::SpanStatusCode::kError:
      return "ERROR";
    default:
      return "UNSET";
  }
}

// A typed attribute value as JSON.
void write_value(json::Writer& w, const storage::SpanAttribute& a) {
  using storage::AttrType;
  switch (a.type) {
    case AttrType::kBool:
      w.value(a.value == "true");
      return;
    case AttrType::kInt:
      if (!a.value.empty() && a.value.find_first_not_of("-0123456789") == std::string::npos) {
        w.raw(a.value);
        return;
      }
      break;
    case AttrType::kDouble: {
      char* end = nullptr;
      const double v = std::strtod(a.value.c_str(), &end);
      if (end != a.value.c_str() && *end == '\0' && std::isfinite(v)) {
        w.value(v);
        return;
      }
      break;  // NaN / Inf as their text
    }
    case AttrType::kJson:
      if (!a.value.empty()) {
        w.raw(a.value);
        return;
      }
      break;
    default:
      break;
  }
  w.value(a.value);
}

void write_attributes(json::Writer& w, std::string_view key,
                      const std::vector<storage::SpanAttribute>& attrs, bool indexed_only,
                      bool metadata_only) {
  w.key(key).begin_object();
  for (const auto& a : attrs) {
    if ((indexed_only && !a.indexed) || (metadata_only && a.indexed)) continue;
    w.key(a.key);
    write_value(w, a);
  }
  w.end_object();
}

std::string hex(std::string_view id) {
  return ingest::otlp::hex_encode(id);
}

double ms(int64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

// The fields of one span, without its closing brace (children follow).
void write_span_fields(json::Writer& w, const Span& s) {
  w.begin_object();
  w.kv("spanId", hex(s.span_id));
  if (!s.parent_span_id.empty()) w.kv("parentSpanId", hex(s.parent_span_id));
  w.kv("service", s.service).kv("name", s.name).kv("kind", kind_name(s.kind));
  w.kv("startTimeUnixNano", std::to_string(s.start_ns));
  w.kv("endTimeUnixNano", std::to_string(s.end_ns));
  w.kv("durationMs", ms(s.duration_ns()));
  w.key("status").begin_object().kv("code", status_name(s.status_code));
  if (!s.status_message.empty()) w.kv("message", s.status_message);
  w.end_object();
  w.kv("origin", s.origin == storage::SpanOrigin::kXray ? "xray" : "otlp");
  if (!s.trace_state.empty()) w.kv("traceState", s.trace_state);
  if (s.flags != 0) w.kv("flags", static_cast<uint64_t>(s.flags));
  if (!s.scope_name.empty() || !s.scope_version.empty()) {
    w.key("scope").begin_object().kv("name", s.scope_name).kv("version", s.scope_version);
    w.end_object();
  }
  write_attributes(w, "attributes", s.attributes, true, false);
  if (std::any_of(s.attributes.begin(), s.attributes.end(),
                  [](const auto& a) { return !a.indexed; })) {
    write_attributes(w, "metadata", s.attributes, false, true);
  }
  write_attributes(w, "resource", s.resource_attributes, false, false);
  if (s.dropped_attributes_count != 0) {
    w.kv("droppedAttributesCount", static_cast<uint64_t>(s.dropped_attributes_count));
  }
  w.key("events").begin_array();
  for (const auto& e : s.events) {
    w.begin_object().kv("timeUnixNano", std::to_string(e.time_ns)).kv("name", e.name);
    write_attributes(w, "attributes", e.attributes, false, false);
    w.end_object();
  }
  w.end_array();
  w.key("links").begin_array();
  for (const auto& l : s.links) {
    w.begin_object().kv("traceId", hex(l.trace_id)).kv("spanId", hex(l.span_id));
    if (!l.trace_state.empty()) w.kv("traceState", l.trace_state);
    write_attributes(w, "attributes", l.attributes, false, false);
    w.end_object();
  }
  w.end_array();
}

HttpResponse get_trace(const TracesDeps& d, HttpRequest& req) {
  auto id = parse_trace_id_text(req.path_params["id"]);
  if (!id.ok()) return error(id.status());
  auto spans = d.traces->get_trace(request_tenant(req), *id);
  if (!spans.ok()) return error(spans.status());
  if (spans->empty()) {
    return error(Status::not_found(fmt::format("trace {} was not found", hex(*id))));
  }
  return HttpResponse::json(200, trace_tree_json(*id, *spans));
}

}  // namespace

Result<std::string> parse_trace_id_text(std::string_view text) {
  std::string digits(text);
  // X-Ray form: "1-" + 8 hex digits (epoch seconds) + "-" + 24 hex digits.
  if (text.size() == 35 && text.starts_with("1-") && text[10] == '-') {
    digits = std::string(text.substr(2, 8)) + std::string(text.substr(11));
  }
  std::string out;
  if (digits.size() != 32 || !ingest::otlp::hex_decode(digits, &out)) {
    return Status::invalid_argument(
        fmt::format("trace id \"{}\" is not 32 hex digits or an X-Ray trace id "
                    "(1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx)",
                    text.substr(0, 80)));
  }
  return out;
}

std::string trace_tree_json(std::string_view trace_id, const std::vector<Span>& spans) {
  std::vector<size_t> order(spans.size());
  for (size_t i = 0; i < order.size(); i++) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return spans[a].start_ns != spans[b].start_ns ? spans[a].start_ns < spans[b].start_ns
                                                  : spans[a].span_id < spans[b].span_id;
  });
  std::unordered_map<std::string_view, size_t> by_id;
  for (size_t i : order) by_id.try_emplace(spans[i].span_id, i);
  std::vector<std::vector<size_t>> children(spans.size());
  std::vector<size_t> roots;
  for (size_t i : order) {
    auto it = spans[i].parent_span_id.empty() ? by_id.end() : by_id.find(spans[i].parent_span_id);
    if (it == by_id.end() || it->second == i) {
      roots.push_back(i);
    } else {
      children[it->second].push_back(i);
    }
  }
  int64_t start = INT64_MAX, end = INT64_MIN;
  std::set<std::string> services;
  for (const Span& s : spans) {
    start = std::min(start, s.start_ns);
    end = std::max(end, s.end_ns);
    services.insert(s.service);
  }
  json::Writer w;
  w.begin_object()
      .kv("traceId", hex(trace_id))
      .kv("spanCount", static_cast<uint64_t>(spans.size()));
  w.key("services").begin_array();
  for (const auto& s : services) w.value(s);
  w.end_array();
  if (!spans.empty()) {
    w.kv("startTimeUnixNano", std::to_string(start)).kv("endTimeUnixNano", std::to_string(end));
    w.kv("durationMs", ms(end - start));
  }
  // Depth-first with an explicit stack (a trace may be deep). A span in a parent cycle is never
  // reached from a root; such spans are written as roots afterwards.
  std::vector<bool> written(spans.size(), false);
  struct Frame {
    size_t span, next_child;
  };
  std::vector<Frame> stack;
  w.key("roots").begin_array();
  auto write_tree = [&](size_t root) {
    written[root] = true;
    write_span_fields(w, spans[root]);
    w.key("children").begin_array();
    stack.push_back({root, 0});
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next_child < children[f.span].size()) {
        const size_t c = children[f.span][f.next_child++];
        if (written[c]) continue;
        written[c] = true;
        write_span_fields(w, spans[c]);
        w.key("children").begin_array();
        stack.push_back({c, 0});
      } else {
        w.end_array().end_object();
        stack.pop_back();
      }
    }
  };
  for (size_t r : roots) write_tree(r);
  for (size_t i : order) {
    if (!written[i]) write_tree(i);
  }
  w.end_array().end_object();
  return w.take();
}

void register_traces_api(Router& router, const TracesDeps& deps) {
  router.add("POST", "/v1/traces", [deps](HttpRequest& r) { return otlp_traces(deps, r); });
  router.add("GET", "/api/v1/traces/:id", [deps](HttpRequest& r) { return get_trace(deps, r); });
  router.add("POST", "/api/v1/traces/admin/flush", [deps](HttpRequest&) {
    if (!deps.flush) return error(Status::unimplemented("this trace store has no flush"));
    Status st = deps.flush();
    return st.ok() ? HttpResponse::json(200, "{}") : error(st);
  });
}

}  // namespace opsight::api
