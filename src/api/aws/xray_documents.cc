// Spans -> X-Ray segment documents (xray_documents.h). Field names and shapes from the X-Ray
// developer guide, "AWS X-Ray segment documents"; the OTLP mapping follows the AWS X-Ray exporter
// of the OpenTelemetry Collector (its README's attribute table), written here from that table.
#include "api/aws/xray_documents.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_map>

#include "apm/span_facts.h"
#include "common/hex.h"
#include "common/json_writer.h"
#include "ingest/aws/xray_segment.h"

namespace opsight::api {
namespace {

using storage::AttrType;
using storage::Span;
using storage::SpanAttribute;

constexpr size_t kNone = static_cast<size_t>(-1);
constexpr std::string_view kUnknownService = "unknown_service";

// Epoch seconds with up to 9 fraction digits, trailing zeros cut: exact, unlike ns / 1e9.
std::string seconds_text(int64_t ns) {
  const int64_t secs = ns / 1'000'000'000;
  int64_t frac = ns % 1'000'000'000;
  if (frac < 0) frac = -frac;
  if (frac == 0) return fmt::format("{}", secs);
  std::string f = fmt::format("{:09}", frac);
  while (!f.empty() && f.back() == '0') f.pop_back();
  return fmt::format("{}.{}", secs, f);
}

bool is_json_number(std::string_view v, bool integer) {
  if (v.empty()) return false;
  if (integer) {
    int64_t i = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), i);
    return ec == std::errc() && p == v.data() + v.size();
  }
  double d = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  return ec == std::errc() && p == v.data() + v.size() && std::isfinite(d) &&
         v.find_first_of("nNiI") == std::string_view::npos;
}

bool is_valid_json(std::string_view v) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(v);
  simdjson::dom::element e;
  return parser.parse(padded).get(e) == simdjson::SUCCESS;
}

// An attribute value in its JSON type; text that is not what its type says becomes a string,
// so the document is always valid JSON.
void write_typed(json::Writer& w, const SpanAttribute& a) {
  switch (a.type) {
    case AttrType::kBool:
      if (a.value == "true" || a.value == "false") {
        w.value(a.value == "true");
        return;
      }
      break;
    case AttrType::kInt:
      if (is_json_number(a.value, true)) {
        w.raw(a.value);
        return;
      }
      break;
    case AttrType::kDouble:
      if (is_json_number(a.value, false)) {
        w.raw(a.value);
        return;
      }
      break;
    case AttrType::kJson:
      if (is_valid_json(a.value)) {
        w.raw(a.value);
        return;
      }
      break;
    default:
      break;
  }
  w.value(a.value);
}

const SpanAttribute* find(const std::vector<SpanAttribute>& attrs, std::string_view key) {
  for (const auto& a : attrs) {
    if (a.key == key) return &a;
  }
  return nullptr;
}

std::string_view value_of(const std::vector<SpanAttribute>& attrs, std::string_view key) {
  const SpanAttribute* a = find(attrs, key);
  return a == nullptr ? std::string_view() : std::string_view(a->value);
}

bool flag(const Span& s, std::string_view key) {
  return value_of(s.attributes, key) == "true";
}

// The attributes the http block is made of (semconv 1.20+ names and the older ones).
constexpr std::string_view kHttpKeys[] = {"http.request.method",
                                          "http.method",
                                          "url.full",
                                          "http.url",
                                          "user_agent.original",
                                          "http.user_agent",
                                          "client.address",
                                          "http.client_ip",
                                          "http.response.status_code",
                                          "http.status_code",
                                          "http.response.body.size",
                                          "http.response_content_length"};

// What ingest/aws/xray_segment derives from `namespace` (not written back on their own).
constexpr std::string_view kXrayDerivedKeys[] = {"rpc.system", "rpc.service", "peer.service"};

constexpr std::pair<std::string_view, std::string_view> kSqlKeys[] = {
    {"db.system", "database_type"},
    {"db.query.text", "sanitized_query"},
    {"db.user", "user"},
    {"db.connection_string", "connection_string"},
};

// The exporter's origin for a resource's cloud.platform (semantic conventions' values).
std::string_view otel_origin(const Span& s) {
  static constexpr std::pair<std::string_view, std::string_view> kOrigins[] = {
      {"aws_ec2", "AWS::EC2::Instance"},
      {"aws_ecs", "AWS::ECS::Container"},
      {"aws_eks", "AWS::EKS::Container"},
      {"aws_elastic_beanstalk", "AWS::ElasticBeanstalk::Environment"},
      {"aws_lambda", "AWS::Lambda::Function"},
      {"aws_app_runner", "AWS::AppRunner::Service"},
  };
  const std::string_view platform = value_of(s.resource_attributes, "cloud.platform");
  for (const auto& [p, origin] : kOrigins) {
    if (p == platform) return origin;
  }
  return {};
}

// "    at label (path:line)" (the form the ingest path stores, and Java's "at a.b(F.java:3)")
// -> a stack frame; false for any other line.
bool parse_frame(std::string_view line, std::string_view* label, std::string_view* path,
                 int64_t* lineno) {
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
  if (!line.starts_with("at ") || !line.ends_with(")")) return false;
  line.remove_prefix(3);
  const size_t open = line.rfind('(');
  if (open == std::string_view::npos) return false;
  *label = line.substr(0, open);
  while (!label->empty() && label->back() == ' ') label->remove_suffix(1);
  std::string_view inner = line.substr(open + 1, line.size() - open - 2);
  const size_t colon = inner.rfind(':');
  *lineno = 0;
  if (colon != std::string_view::npos) {
    std::string_view num = inner.substr(colon + 1);
    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), *lineno);
    if (ec == std::errc() && p == num.data() + num.size()) {
      inner = inner.substr(0, colon);
    } else {
      *lineno = 0;
    }
  }
  *path = inner;
  return true;
}

class DocumentBuilder {
 public:
  explicit DocumentBuilder(std::span<const Span> all) {
    // The spans that count: one per span id, the version that ends last.
    std::unordered_map<std::string_view, size_t> by_id;
    for (const Span& s : all) {
      auto [it, fresh] = by_id.try_emplace(s.span_id, spans_.size());
      if (fresh) {
        spans_.push_back(&s);
      } else if (s.end_ns >= spans_[it->second]->end_ns) {
        spans_[it->second] = &s;
      }
    }
    const size_t n = spans_.size();
    parent_.assign(n, kNone);
    children_.resize(n);
    emitted_.assign(n, false);
    for (size_t i = 0; i < n; i++) {
      const Span& s = *spans_[i];
      if (s.parent_span_id.empty()) continue;
      auto it = by_id.find(s.parent_span_id);
      if (it != by_id.end() && it->second != i) parent_[i] = it->second;
    }
    for (size_t i = 0; i < n; i++) {
      if (!top(i)) children_[parent_[i]].push_back(i);
    }
    for (auto& c : children_)
      std::sort(c.begin(), c.end(), [this](size_t a, size_t b) { return earlier(a, b); });
  }

  std::vector<XraySegment> build() {
    std::vector<size_t> tops;
    for (size_t i = 0; i < spans_.size(); i++) {
      if (top(i)) tops.push_back(i);
    }
    std::sort(tops.begin(), tops.end(), [this](size_t a, size_t b) { return earlier(a, b); });
    std::vector<XraySegment> out;
    for (size_t i : tops) emit_top(i, &out);
    drain_overflow(&out);
    // Spans no top-level span reaches (a parent cycle), as independent subsegments.
    for (size_t i = 0; i < spans_.size(); i++) {
      emit_top(i, &out);
      drain_overflow(&out);
    }
    std::sort(out.begin(), out.end(), [&](const XraySegment& a, const XraySegment& b) {
      return std::tie(start_of_.at(a.id), a.id) < std::tie(start_of_.at(b.id), b.id);
    });
    return out;
  }

 private:
  bool earlier(size_t a, size_t b) const {
    return std::tie(spans_[a]->start_ns, spans_[a]->span_id) <
           std::tie(spans_[b]->start_ns, spans_[b]->span_id);
  }

  bool xray(size_t i) const { return spans_[i]->origin == storage::SpanOrigin::kXray; }

  // A span that begins a unit of work of its service: a segment of its own.
  bool segment(size_t i) const {
    const Span& s = *spans_[i];
    if (s.kind == storage::SpanKind::kServer || s.kind == storage::SpanKind::kConsumer) {
      return true;
    }
    if (s.parent_span_id.empty()) return true;
    return parent_[i] != kNone && spans_[parent_[i]]->service != s.service &&
           s.service != kUnknownService;
  }

  bool top(size_t i) const { return parent_[i] == kNone || segment(i); }

  // Spans cut off by the depth bound continue as independent subsegments (which may overflow
  // in turn: the loop reads the growing list by index).
  void drain_overflow(std::vector<XraySegment>* out) {
    for (size_t k = 0; k < overflow_.size(); k++) emit_top(overflow_[k], out);
    overflow_.clear();
  }

  void emit_top(size_t i, std::vector<XraySegment>* out) {
    if (emitted_[i]) return;
    json::Writer w;
    write_span(w, i, /*top=*/true, 0);
    const std::string id = hex_encode(spans_[i]->span_id);
    start_of_[id] = spans_[i]->start_ns;
    out->push_back(XraySegment{id, w.take()});
  }

  std::string name_of(size_t i, bool is_segment) const {
    const Span& s = *spans_[i];
    if (xray(i)) return s.name;
    if (is_segment) return s.service;
    // An AWS SDK call is named after the AWS service it calls, as the X-Ray SDKs name it.
    if (apm::is_exit_span(s) && value_of(s.attributes, "rpc.system") == "aws-api") {
      std::string_view service = value_of(s.attributes, "rpc.service");
      if (!service.empty()) return std::string(service);
    }
    if (auto peer = apm::infer_peer(s)) return peer->name;
    return s.name;
  }

  void write_span(json::Writer& w, size_t i, bool top, int depth) {
    emitted_[i] = true;
    const Span& s = *spans_[i];
    const bool xr = xray(i);
    const bool is_segment = top && segment(i);
    w.begin_object();
    w.kv("name", name_of(i, is_segment)).kv("id", hex_encode(s.span_id));
    if (top) {
      w.kv("trace_id", ingest::aws::format_xray_trace_id(s.trace_id));
      if (!s.parent_span_id.empty()) w.kv("parent_id", hex_encode(s.parent_span_id));
      if (!is_segment) w.kv("type", "subsegment");
    }
    w.key("start_time").raw(seconds_text(s.start_ns));
    if (flag(s, "xray.in_progress")) {
      w.kv("in_progress", true);
    } else {
      w.key("end_time").raw(seconds_text(s.end_ns));
    }
    write_identity(w, i, is_segment);
    write_flags(w, i);
    write_http(w, s);
    write_aws(w, i, is_segment);
    if (xr) write_sql(w, s);
    write_annotations(w, s);
    write_metadata(w, i);
    write_cause(w, s, xr);
    write_subsegments(w, i, depth);
    w.end_object();
  }

  // namespace, origin, user, service.version, precursor_ids.
  void write_identity(json::Writer& w, size_t i, bool is_segment) {
    const Span& s = *spans_[i];
    std::string_view ns = value_of(s.attributes, "xray.namespace");
    if (!xray(i) && apm::is_exit_span(s)) {
      ns = value_of(s.attributes, "rpc.system") == "aws-api" ? "aws" : "remote";
    }
    if (!ns.empty()) w.kv("namespace", ns);
    std::string_view origin = value_of(s.attributes, "xray.origin");
    if (origin.empty() && !xray(i) && is_segment) origin = otel_origin(s);
    if (!origin.empty()) w.kv("origin", origin);
    if (std::string user = apm::user_of(s); !user.empty()) w.kv("user", user);
    if (is_segment) {
      std::string_view version = value_of(s.resource_attributes, "service.version");
      if (!version.empty()) w.key("service").begin_object().kv("version", version).end_object();
    }
    if (const SpanAttribute* p = find(s.attributes, "xray.precursor_ids")) {
      w.key("precursor_ids");
      write_typed(w, *p);
    }
  }

  void write_flags(json::Writer& w, size_t i) {
    const Span& s = *spans_[i];
    apm::SpanClass c;
    if (xray(i)) {
      c.error = flag(s, "xray.error");
      c.throttle = flag(s, "xray.throttle");
      c.fault = flag(s, "xray.fault");
    } else {
      c = apm::classify(s);
    }
    if (c.error) w.kv("error", true);
    if (c.throttle) w.kv("throttle", true);
    if (c.fault) w.kv("fault", true);
  }

  static void write_http(json::Writer& w, const Span& s) {
    const apm::HttpFacts h = apm::http_facts(s);
    const bool xff = flag(s, "xray.http.x_forwarded_for");
    const bool traced = flag(s, "xray.http.traced");
    const SpanAttribute* length = find(s.attributes, "http.response.body.size");
    if (length == nullptr) length = find(s.attributes, "http.response_content_length");
    const bool request = !h.method.empty() || !h.url.empty() || !h.user_agent.empty() ||
                         !h.client_ip.empty() || xff || traced;
    const bool response = h.status != 0 || length != nullptr;
    if (!request && !response) return;
    w.key("http").begin_object();
    if (request) {
      w.key("request").begin_object();
      if (!h.method.empty()) w.kv("method", h.method);
      if (!h.url.empty()) w.kv("url", h.url);
      if (!h.user_agent.empty()) w.kv("user_agent", h.user_agent);
      if (!h.client_ip.empty()) w.kv("client_ip", h.client_ip);
      if (xff) w.kv("x_forwarded_for", true);
      if (traced) w.kv("traced", true);
      w.end_object();
    }
    if (response) {
      w.key("response").begin_object();
      if (h.status != 0) w.kv("status", h.status);
      if (length != nullptr && is_json_number(length->value, true)) {
        w.key("content_length").raw(length->value);
      }
      w.end_object();
    }
    w.end_object();
  }

  void write_aws(json::Writer& w, size_t i, bool is_segment) {
    const Span& s = *spans_[i];
    bool open = false;
    auto begin = [&] {
      if (!open) w.key("aws").begin_object();
      open = true;
    };
    if (xray(i)) {
      for (const auto& a : s.attributes) {
        if (!a.key.starts_with("aws.") || a.key.size() == 4) continue;
        begin();
        w.key(std::string_view(a.key).substr(4));
        write_typed(w, a);
      }
    } else {
      if (value_of(s.attributes, "rpc.system") == "aws-api") {
        std::string_view op = value_of(s.attributes, "rpc.method");
        if (!op.empty()) {
          begin();
          w.kv("operation", op);
        }
        std::string_view region = value_of(s.attributes, "cloud.region");
        if (!region.empty()) {
          begin();
          w.kv("region", region);
        }
      }
      std::string_view lang = value_of(s.resource_attributes, "telemetry.sdk.language");
      if (is_segment && !lang.empty()) {
        begin();
        w.key("xray").begin_object().kv("sdk", fmt::format("opentelemetry for {}", lang));
        std::string_view v = value_of(s.resource_attributes, "telemetry.sdk.version");
        if (!v.empty()) w.kv("sdk_version", v);
        w.end_object();
      }
    }
    if (open) w.end_object();
  }

  static void write_sql(json::Writer& w, const Span& s) {
    bool open = false;
    for (const auto& a : s.attributes) {
      std::string_view field;
      for (const auto& [key, f] : kSqlKeys) {
        if (a.key == key) field = f;
      }
      std::string sub;
      if (field.empty() && a.key.starts_with("sql.")) {
        sub = a.key.substr(4);
        field = sub;
      }
      if (field.empty()) continue;
      if (!open) w.key("sql").begin_object();
      open = true;
      w.kv(field, a.value);
    }
    if (open) w.end_object();
  }

  static void write_annotations(json::Writer& w, const Span& s) {
    bool open = false;
    for (const auto& a : s.attributes) {
      if (!a.key.starts_with("annotation.") || a.key.size() == 11) continue;
      if (!open) w.key("annotations").begin_object();
      open = true;
      w.key(std::string_view(a.key).substr(11));
      write_typed(w, a);
    }
    if (open) w.end_object();
  }

  // True for an attribute another field of the document already carries.
  static bool written_elsewhere(const SpanAttribute& a, bool xr) {
    const std::string_view k = a.key;
    if (k.starts_with("annotation.") || k.starts_with("metadata.") || k.starts_with("xray.")) {
      return true;
    }
    if (k == "enduser.id") return true;
    for (std::string_view h : kHttpKeys) {
      if (k == h) return true;
    }
    if (!xr) return false;
    if (k.starts_with("aws.") || k.starts_with("sql.")) return true;
    for (const auto& [key, f] : kSqlKeys) {
      if (k == key) return true;
    }
    for (std::string_view d : kXrayDerivedKeys) {
      if (k == d) return true;
    }
    return false;
  }

  void write_metadata(json::Writer& w, size_t i) {
    const Span& s = *spans_[i];
    const bool xr = xray(i);
    bool open = false;
    bool has_default = false;
    for (const auto& a : s.attributes) {
      if (!a.key.starts_with("metadata.") || a.key.size() == 9) continue;
      if (!open) w.key("metadata").begin_object();
      open = true;
      const std::string_view ns = std::string_view(a.key).substr(9);
      has_default |= ns == "default";
      w.key(ns);
      write_typed(w, a);
    }
    // The rest of an OTLP span: attributes, then resource attributes, under one namespace.
    bool rest_open = false;
    auto begin_rest = [&] {
      if (rest_open) return;
      if (!open) w.key("metadata").begin_object();
      open = rest_open = true;
      w.key(has_default ? "otel" : "default").begin_object();
    };
    for (const auto& a : s.attributes) {
      if (written_elsewhere(a, xr)) continue;
      begin_rest();
      w.key(a.key);
      write_typed(w, a);
    }
    if (!xr) {
      for (const auto& a : s.resource_attributes) {
        if (a.key == "service.name" || a.key == "service.version") continue;
        begin_rest();
        w.key(fmt::format("otel.resource.{}", a.key));
        write_typed(w, a);
      }
    }
    if (rest_open) w.end_object();
    if (open) w.end_object();
  }

  static void write_exception(json::Writer& w, const storage::SpanEvent& ev, const Span& s,
                              size_t index) {
    w.begin_object();
    std::string_view id = value_of(ev.attributes, "exception.id");
    std::string generated;
    if (id.empty()) {
      // X-Ray wants an id per exception: the span id with its last byte moved by the index.
      std::string bytes = s.span_id;
      if (!bytes.empty()) bytes.back() = static_cast<char>(bytes.back() + 1 + index);
      generated = hex_encode(bytes);
      id = generated;
    }
    w.kv("id", id);
    for (std::string_view field : {"message", "type", "cause"}) {
      std::string_view v = value_of(ev.attributes, fmt::format("exception.{}", field));
      if (!v.empty()) w.kv(field, v);
    }
    for (std::string_view field : {"remote", "truncated", "skipped"}) {
      if (const SpanAttribute* a = find(ev.attributes, fmt::format("exception.{}", field))) {
        w.key(field);
        write_typed(w, *a);
      }
    }
    std::string_view trace = value_of(ev.attributes, "exception.stacktrace");
    bool stack_open = false;
    while (!trace.empty()) {
      const size_t nl = trace.find('\n');
      std::string_view line = trace.substr(0, nl);
      trace = nl == std::string_view::npos ? std::string_view() : trace.substr(nl + 1);
      std::string_view label, path;
      int64_t lineno = 0;
      if (!parse_frame(line, &label, &path, &lineno)) continue;
      if (!stack_open) w.key("stack").begin_array();
      stack_open = true;
      w.begin_object().kv("path", path).kv("line", lineno).kv("label", label).end_object();
    }
    if (stack_open) w.end_array();
    w.end_object();
  }

  static void write_cause(json::Writer& w, const Span& s, bool xr) {
    std::vector<const storage::SpanEvent*> exceptions;
    for (const auto& ev : s.events) {
      if (ev.name == "exception") exceptions.push_back(&ev);
    }
    const std::string_view wd = value_of(s.attributes, "xray.cause.working_directory");
    const std::string_view cause_id = value_of(s.attributes, "xray.cause.id");
    if (exceptions.empty() && wd.empty()) {
      if (!cause_id.empty()) {
        w.kv("cause", cause_id);
      } else if (!xr && s.status_code == storage::SpanStatusCode::kError &&
                 !s.status_message.empty()) {
        storage::SpanEvent ev;
        ev.attributes.push_back({"exception.message", s.status_message, AttrType::kString, false});
        w.key("cause").begin_object().key("exceptions").begin_array();
        write_exception(w, ev, s, 0);
        w.end_array().end_object();
      }
      return;
    }
    w.key("cause").begin_object();
    if (!wd.empty()) w.kv("working_directory", wd);
    if (!exceptions.empty()) {
      w.key("exceptions").begin_array();
      for (size_t k = 0; k < exceptions.size(); k++) write_exception(w, *exceptions[k], s, k);
      w.end_array();
    }
    w.end_object();
  }

  void write_subsegments(json::Writer& w, size_t i, int depth) {
    bool open = false;
    for (size_t c : children_[i]) {
      if (emitted_[c]) continue;
      if (depth + 1 > ingest::aws::kMaxXraySubsegmentDepth) {
        overflow_.push_back(c);  // continues in an independent subsegment
        continue;
      }
      if (!open) w.key("subsegments").begin_array();
      open = true;
      write_span(w, c, /*top=*/false, depth + 1);
    }
    if (open) w.end_array();
  }

  std::vector<const Span*> spans_;
  std::vector<size_t> parent_;
  std::vector<std::vector<size_t>> children_;
  std::vector<bool> emitted_;
  std::vector<size_t> overflow_;
  std::unordered_map<std::string, int64_t> start_of_;
};

}  // namespace

std::vector<XraySegment> xray_segment_documents(std::span<const storage::Span> spans) {
  if (spans.empty()) return {};
  return DocumentBuilder(spans).build();
}

}  // namespace opsight::api
