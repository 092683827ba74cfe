// X-Ray segment documents -> spans (the mapping in xray_segment.h). Written from the AWS X-Ray
// developer guide, "AWS X-Ray segment documents" (segment, subsegment, http, aws, sql, errors and
// exceptions, annotations, metadata fields). JSON: simdjson DOM on one padded copy.
#include "ingest/aws/xray_segment.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "common/json_writer.h"
#include "ingest/otlp/otlp_common.h"  // hex_decode / hex_encode

namespace opsight::ingest::aws {
namespace {

namespace dom = simdjson::dom;
using storage::AttrType;
using storage::Span;
using storage::SpanAttribute;

constexpr std::string_view kUnknownService = "unknown_service";
// Timestamps before 2000-01-01 or after 2200 are not plausible X-Ray times.
constexpr double kMinSeconds = 946684800.0;
constexpr double kMaxSeconds = 7258118400.0;

bool present(dom::object obj, std::string_view key, dom::element* out) {
  return !obj.at_key(key).get(*out) && !out->is_null();
}

std::string json_text(dom::element e) {
  return simdjson::minify(e);
}

// The state of one document's decode.
class Decoder {
 public:
  Decoder(const traces::TraceLimits& limits, std::vector<Span>* out) : limits_(limits), out_(out) {}

  Status document(dom::object root) {
    dom::element e;
    std::string_view type;
    if (present(root, "type", &e)) {
      if (e.get_string().get(type)) return bad("type", "must be a string");
      if (type != "subsegment") return bad("type", "must be \"subsegment\" when present");
    }
    const bool independent = type == "subsegment";
    std::string trace_id;
    RETURN_IF_ERROR(required_string(root, "", "trace_id", &e));
    {
      auto id = parse_xray_trace_id(e.get_string().value_unsafe());
      if (!id.ok()) return bad("trace_id", id.status().message());
      trace_id = std::move(*id);
    }
    std::string parent;
    RETURN_IF_ERROR(optional_id(root, "", "parent_id", &parent));
    if (independent && parent.empty()) {
      return bad("parent_id",
                 "is required for an independent subsegment (\"type\": \"subsegment\")");
    }
    Context ctx;
    ctx.trace_id = trace_id;
    if (!independent) {
      RETURN_IF_ERROR(required_string(root, "", "name", &e));
      ctx.service = std::string(e.get_string().value_unsafe());
      if (ctx.service.empty()) return bad("name", "must not be empty");
      dom::element aws;
      if (present(root, "aws", &aws)) {
        dom::object a, xray;
        if (!aws.get_object().get(a) && !a.at_key("xray").get_object().get(xray)) {
          std::string_view v;
          if (!xray.at_key("sdk").get_string().get(v)) ctx.scope_name = v;
          if (!xray.at_key("sdk_version").get_string().get(v)) ctx.scope_version = v;
        }
      }
      ctx.resource.push_back({"service.name", ctx.service, AttrType::kString, true});
      dom::object svc;
      if (present(root, "service", &e)) {
        if (e.get_object().get(svc)) return bad("service", "must be an object");
        std::string_view v;
        if (!svc.at_key("version").get_string().get(v)) {
          ctx.resource.push_back({"service.version", std::string(v), AttrType::kString, true});
        }
      }
    } else {
      ctx.service = kUnknownService;
      ctx.resource.push_back({"service.name", ctx.service, AttrType::kString, true});
    }
    return span(root, "", ctx, parent,
                independent ? storage::SpanKind::kUnspecified : storage::SpanKind::kServer, 0);
  }

 private:
  struct Context {
    std::string trace_id;
    std::string service;
    std::string scope_name, scope_version;
    std::vector<SpanAttribute> resource;
  };

  static std::string path_of(std::string_view prefix, std::string_view field) {
    if (prefix.empty()) return std::string(field);
    return fmt::format("{}.{}", prefix, field);
  }

  static Status bad(std::string_view path, std::string_view rule) {
    return Status::invalid_argument(fmt::format("X-Ray segment: {} {}", path, rule));
  }

  Status required_string(dom::object obj, std::string_view prefix, std::string_view key,
                         dom::element* e) {
    if (!present(obj, key, e)) return bad(path_of(prefix, key), "is required");
    if (!e->is_string()) return bad(path_of(prefix, key), "must be a string");
    return OkStatus();
  }

  // A 16-hex-digit id into 8 bytes ("" when absent).
  Status optional_id(dom::object obj, std::string_view prefix, std::string_view key,
                     std::string* out) {
    dom::element e;
    if (!present(obj, key, &e)) return OkStatus();
    std::string_view s;
    if (e.get_string().get(s)) return bad(path_of(prefix, key), "must be a string");
    if (s.size() != 16 || !otlp::hex_decode(s, out)) {
      return bad(path_of(prefix, key),
                 fmt::format("\"{}\" must be 16 hex digits", s.substr(0, 40)));
    }
    return OkStatus();
  }

  Status time_field(dom::object obj, std::string_view prefix, std::string_view key, bool required,
                    int64_t* ns) {
    dom::element e;
    if (!present(obj, key, &e)) {
      return required ? bad(path_of(prefix, key), "is required") : OkStatus();
    }
    double secs = 0;
    if (e.get_double().get(secs)) {
      return bad(path_of(prefix, key), "must be a number (epoch seconds)");
    }
    if (!(secs >= kMinSeconds && secs <= kMaxSeconds)) {
      return bad(path_of(prefix, key),
                 fmt::format("{} is not an epoch time in seconds between 2000 and 2200", secs));
    }
    *ns = static_cast<int64_t>(std::llround(secs * 1e6)) * 1000;
    return OkStatus();
  }

  Status bool_field(dom::object obj, std::string_view prefix, std::string_view key, bool* out) {
    dom::element e;
    *out = false;
    if (!present(obj, key, &e)) return OkStatus();
    if (e.get_bool().get(*out)) return bad(path_of(prefix, key), "must be true or false");
    return OkStatus();
  }

  // A scalar JSON value as a typed attribute; false for objects and arrays.
  static bool scalar_attribute(std::string key, dom::element e, bool indexed, SpanAttribute* a) {
    a->key = std::move(key);
    a->indexed = indexed;
    switch (e.type()) {
      case dom::element_type::STRING:
        a->type = AttrType::kString;
        a->value = std::string(e.get_string().value_unsafe());
        return true;
      case dom::element_type::BOOL:
        a->type = AttrType::kBool;
        a->value = e.get_bool().value_unsafe() ? "true" : "false";
        return true;
      case dom::element_type::INT64:
        a->type = AttrType::kInt;
        a->value = std::to_string(e.get_int64().value_unsafe());
        return true;
      case dom::element_type::UINT64:
        a->type = AttrType::kInt;
        a->value = std::to_string(e.get_uint64().value_unsafe());
        return true;
      case dom::element_type::DOUBLE: {
        a->type = AttrType::kDouble;
        a->value.clear();
        json::append_double(a->value, e.get_double().value_unsafe());
        return true;
      }
      default:
        return false;
    }
  }

  Status add(Span* s, SpanAttribute a, std::string_view path) {
    if (s->attributes.size() >= limits_.max_attributes_per_span) {
      return bad(path, fmt::format("makes more than {} attributes on one span "
                                   "(limits.traces.max_attributes_per_span)",
                                   limits_.max_attributes_per_span));
    }
    if (a.key.size() + a.value.size() > limits_.max_attribute_bytes) {
      return bad(path, fmt::format("is {} bytes: at most {} are allowed "
                                   "(limits.traces.max_attribute_bytes)",
                                   a.key.size() + a.value.size(), limits_.max_attribute_bytes));
    }
    s->attributes.push_back(std::move(a));
    return OkStatus();
  }

  Status add_string(Span* s, std::string key, std::string_view v, std::string_view path) {
    return add(s, SpanAttribute{std::move(key), std::string(v), AttrType::kString, true}, path);
  }

  Status add_flag(Span* s, std::string key, std::string_view path) {
    return add(s, SpanAttribute{std::move(key), "true", AttrType::kBool, true}, path);
  }

  Status http(dom::object obj, std::string_view prefix, Span* s) {
    dom::element e;
    if (!present(obj, "http", &e)) return OkStatus();
    const std::string p = path_of(prefix, "http");
    dom::object h;
    if (e.get_object().get(h)) return bad(p, "must be an object");
    dom::element part;
    if (present(h, "request", &part)) {
      dom::object req;
      const std::string rp = p + ".request";
      if (part.get_object().get(req)) return bad(rp, "must be an object");
      static constexpr std::pair<std::string_view, std::string_view> kStrings[] = {
          {"method", "http.request.method"},
          {"url", "url.full"},
          {"user_agent", "user_agent.original"},
          {"client_ip", "client.address"},
      };
      for (const auto& [field, key] : kStrings) {
        if (!present(req, field, &e)) continue;
        std::string_view v;
        if (e.get_string().get(v)) return bad(rp + "." + std::string(field), "must be a string");
        RETURN_IF_ERROR(add_string(s, std::string(key), v, rp));
      }
      for (std::string_view field : {"x_forwarded_for", "traced"}) {
        bool b = false;
        RETURN_IF_ERROR(bool_field(req, rp, field, &b));
        if (b) RETURN_IF_ERROR(add_flag(s, fmt::format("xray.http.{}", field), rp));
      }
    }
    if (present(h, "response", &part)) {
      dom::object resp;
      const std::string rp = p + ".response";
      if (part.get_object().get(resp)) return bad(rp, "must be an object");
      static constexpr std::pair<std::string_view, std::string_view> kInts[] = {
          {"status", "http.response.status_code"},
          {"content_length", "http.response.body.size"},
      };
      for (const auto& [field, key] : kInts) {
        if (!present(resp, field, &e)) continue;
        int64_t v = 0;
        if (e.get_int64().get(v) || v < 0) {
          return bad(rp + "." + std::string(field), "must be a non-negative integer");
        }
        RETURN_IF_ERROR(
            add(s, SpanAttribute{std::string(key), std::to_string(v), AttrType::kInt, true}, rp));
      }
    }
    return OkStatus();
  }

  // annotations: {key: string | number | bool} -> indexed "annotation.<key>".
  Status annotations(dom::object obj, std::string_view prefix, Span* s) {
    dom::element e;
    if (!present(obj, "annotations", &e)) return OkStatus();
    const std::string p = path_of(prefix, "annotations");
    dom::object a;
    if (e.get_object().get(a)) return bad(p, "must be an object");
    for (auto [k, v] : a) {
      const std::string kp = fmt::format("{}.{}", p, k);
      if (k.empty()) return bad(p, "has an empty key");
      SpanAttribute attr;
      if (!scalar_attribute(fmt::format("annotation.{}", k), v, true, &attr)) {
        return bad(kp, "must be a string, number or boolean");
      }
      RETURN_IF_ERROR(add(s, std::move(attr), kp));
    }
    return OkStatus();
  }

  // metadata: {namespace: {...}} -> not indexed "metadata.<namespace>" as JSON text.
  Status metadata(dom::object obj, std::string_view prefix, Span* s) {
    dom::element e;
    if (!present(obj, "metadata", &e)) return OkStatus();
    const std::string p = path_of(prefix, "metadata");
    dom::object m;
    if (e.get_object().get(m)) return bad(p, "must be an object");
    for (auto [ns, v] : m) {
      SpanAttribute a;
      a.key = fmt::format("metadata.{}", ns);
      if (!scalar_attribute(a.key, v, false, &a)) {
        a.type = AttrType::kJson;
        a.value = json_text(v);
        a.indexed = false;
      }
      RETURN_IF_ERROR(add(s, std::move(a), fmt::format("{}.{}", p, ns)));
    }
    return OkStatus();
  }

  // aws: scalars -> indexed "aws.<key>", objects/arrays -> "aws.<key>" JSON text, not indexed.
  Status aws(dom::object obj, std::string_view prefix, Span* s) {
    dom::element e;
    if (!present(obj, "aws", &e)) return OkStatus();
    const std::string p = path_of(prefix, "aws");
    dom::object a;
    if (e.get_object().get(a)) return bad(p, "must be an object");
    for (auto [k, v] : a) {
      SpanAttribute attr;
      if (!scalar_attribute(fmt::format("aws.{}", k), v, true, &attr)) {
        attr.type = AttrType::kJson;
        attr.value = json_text(v);
        attr.indexed = false;
      }
      RETURN_IF_ERROR(add(s, std::move(attr), fmt::format("{}.{}", p, k)));
    }
    return OkStatus();
  }

  Status sql(dom::object obj, std::string_view prefix, Span* s) {
    dom::element e;
    if (!present(obj, "sql", &e)) return OkStatus();
    const std::string p = path_of(prefix, "sql");
    dom::object q;
    if (e.get_object().get(q)) return bad(p, "must be an object");
    for (auto [k, v] : q) {
      std::string_view text;
      if (v.get_string().get(text)) return bad(fmt::format("{}.{}", p, k), "must be a string");
      std::string key;
      std::string value(text);
      if (k == "database_type") {
        key = "db.system";
        std::transform(value.begin(), value.end(), value.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      } else if (k == "sanitized_query") {
        key = "db.query.text";
      } else if (k == "user") {
        key = "db.user";
      } else if (k == "connection_string") {
        key = "db.connection_string";
      } else {
        key = fmt::format("sql.{}", k);
      }
      RETURN_IF_ERROR(add_string(s, std::move(key), value, p));
    }
    return OkStatus();
  }

  // cause: an exception id (string) or {working_directory, paths, exceptions[]}.
  Status cause(dom::object obj, std::string_view prefix, Span* s) {
    dom::element e;
    if (!present(obj, "cause", &e)) return OkStatus();
    const std::string p = path_of(prefix, "cause");
    std::string_view id;
    if (!e.get_string().get(id)) return add_string(s, "xray.cause.id", id, p);
    dom::object c;
    if (e.get_object().get(c)) return bad(p, "must be an exception id or an object");
    dom::element f;
    std::string_view wd;
    if (present(c, "working_directory", &f)) {
      if (f.get_string().get(wd)) return bad(p + ".working_directory", "must be a string");
      RETURN_IF_ERROR(add_string(s, "xray.cause.working_directory", wd, p));
    }
    if (!present(c, "exceptions", &f)) return OkStatus();
    dom::array exs;
    if (f.get_array().get(exs)) return bad(p + ".exceptions", "must be an array");
    size_t i = 0;
    for (dom::element x : exs) {
      const std::string xp = fmt::format("{}.exceptions[{}]", p, i++);
      dom::object ex;
      if (x.get_object().get(ex)) return bad(xp, "must be an object");
      if (s->events.size() >= limits_.max_events_per_span) {
        return bad(xp, fmt::format("makes more than {} events on one span "
                                   "(limits.traces.max_events_per_span)",
                                   limits_.max_events_per_span));
      }
      storage::SpanEvent ev;
      ev.time_ns = s->end_ns;
      ev.name = "exception";
      static constexpr std::pair<std::string_view, std::string_view> kStrings[] = {
          {"type", "exception.type"},
          {"message", "exception.message"},
          {"id", "exception.id"},
          {"cause", "exception.cause"},
      };
      for (const auto& [field, key] : kStrings) {
        if (!present(ex, field, &f)) continue;
        std::string_view v;
        if (f.get_string().get(v)) return bad(xp + "." + std::string(field), "must be a string");
        ev.attributes.push_back({std::string(key), std::string(v), AttrType::kString, false});
      }
      for (std::string_view field : {"remote", "truncated", "skipped"}) {
        if (!present(ex, field, &f)) continue;
        SpanAttribute a;
        if (!scalar_attribute(fmt::format("exception.{}", field), f, false, &a)) {
          return bad(xp + "." + std::string(field), "must be a boolean or number");
        }
        ev.attributes.push_back(std::move(a));
      }
      if (present(ex, "stack", &f)) {
        dom::array frames;
        if (f.get_array().get(frames)) return bad(xp + ".stack", "must be an array");
        std::string trace;
        for (dom::element fr : frames) {
          dom::object frame;
          if (fr.get_object().get(frame)) return bad(xp + ".stack", "must hold objects");
          std::string_view label, path;
          int64_t line = 0;
          if (frame.at_key("label").get_string().get(label)) label = {};
          if (frame.at_key("path").get_string().get(path)) path = {};
          if (frame.at_key("line").get_int64().get(line)) line = 0;
          trace +=
              fmt::format("    at {} ({}:{})\n", label.empty() ? "<anonymous>" : label, path, line);
        }
        ev.attributes.push_back({"exception.stacktrace", trace, AttrType::kString, false});
      }
      s->events.push_back(std::move(ev));
    }
    return OkStatus();
  }

  Status span(dom::object obj, const std::string& prefix, const Context& ctx,
              const std::string& parent, storage::SpanKind kind, int depth) {
    if (depth > kMaxXraySubsegmentDepth) {
      return bad(prefix, fmt::format("nests subsegments deeper than {}", kMaxXraySubsegmentDepth));
    }
    if (out_->size() - first_ >= limits_.max_spans_per_request) {
      return bad(prefix, fmt::format("makes more than {} spans in one document "
                                     "(limits.traces.max_spans_per_request)",
                                     limits_.max_spans_per_request));
    }
    dom::element e;
    Span s;
    s.trace_id = ctx.trace_id;
    RETURN_IF_ERROR(optional_id(obj, prefix, "id", &s.span_id));
    if (s.span_id.empty()) return bad(path_of(prefix, "id"), "is required");
    s.parent_span_id = parent;
    RETURN_IF_ERROR(required_string(obj, prefix, "name", &e));
    s.name = std::string(e.get_string().value_unsafe());
    if (s.name.empty()) return bad(path_of(prefix, "name"), "must not be empty");
    if (s.name.size() > limits_.max_name_bytes) {
      return bad(path_of(prefix, "name"),
                 fmt::format("is {} bytes: at most {} are allowed (limits.traces.max_name_bytes)",
                             s.name.size(), limits_.max_name_bytes));
    }
    s.service = ctx.service;
    s.origin = storage::SpanOrigin::kXray;
    s.scope_name = ctx.scope_name;
    s.scope_version = ctx.scope_version;
    s.resource_attributes = ctx.resource;
    RETURN_IF_ERROR(time_field(obj, prefix, "start_time", true, &s.start_ns));
    bool in_progress = false;
    RETURN_IF_ERROR(bool_field(obj, prefix, "in_progress", &in_progress));
    const bool has_end = present(obj, "end_time", &e);
    if (has_end) {
      RETURN_IF_ERROR(time_field(obj, prefix, "end_time", true, &s.end_ns));
      if (s.end_ns < s.start_ns) {
        return bad(path_of(prefix, "end_time"), "is before start_time");
      }
    } else if (!in_progress) {
      return bad(path_of(prefix, "end_time"), "is required unless in_progress is true");
    } else {
      s.end_ns = s.start_ns;
    }
    if (in_progress && !has_end) RETURN_IF_ERROR(add_flag(&s, "xray.in_progress", prefix));

    std::string_view ns;
    if (present(obj, "namespace", &e)) {
      if (e.get_string().get(ns)) return bad(path_of(prefix, "namespace"), "must be a string");
      if (ns != "aws" && ns != "remote") {
        return bad(path_of(prefix, "namespace"), "must be \"aws\" or \"remote\"");
      }
      RETURN_IF_ERROR(add_string(&s, "xray.namespace", ns, prefix));
    }
    s.kind = !ns.empty()                               ? storage::SpanKind::kClient
             : kind == storage::SpanKind::kUnspecified ? storage::SpanKind::kInternal
                                                       : kind;
    if (ns == "aws") {
      RETURN_IF_ERROR(add_string(&s, "rpc.system", "aws-api", prefix));
      RETURN_IF_ERROR(add_string(&s, "rpc.service", s.name, prefix));
    } else if (ns == "remote") {
      RETURN_IF_ERROR(add_string(&s, "peer.service", s.name, prefix));
    }
    for (std::string_view field : {"origin", "user"}) {
      if (!present(obj, field, &e)) continue;
      std::string_view v;
      if (e.get_string().get(v)) return bad(path_of(prefix, field), "must be a string");
      RETURN_IF_ERROR(add_string(&s, field == "user" ? "enduser.id" : "xray.origin", v, prefix));
    }
    if (present(obj, "precursor_ids", &e)) {
      if (!e.is_array()) return bad(path_of(prefix, "precursor_ids"), "must be an array");
      RETURN_IF_ERROR(add(
          &s, SpanAttribute{"xray.precursor_ids", json_text(e), AttrType::kJson, false}, prefix));
    }
    bool error = false, throttle = false, fault = false;
    RETURN_IF_ERROR(bool_field(obj, prefix, "error", &error));
    RETURN_IF_ERROR(bool_field(obj, prefix, "throttle", &throttle));
    RETURN_IF_ERROR(bool_field(obj, prefix, "fault", &fault));
    if (error) RETURN_IF_ERROR(add_flag(&s, "xray.error", prefix));
    if (throttle) RETURN_IF_ERROR(add_flag(&s, "xray.throttle", prefix));
    if (fault) {
      RETURN_IF_ERROR(add_flag(&s, "xray.fault", prefix));
      s.status_code = storage::SpanStatusCode::kError;
    }
    RETURN_IF_ERROR(http(obj, prefix, &s));
    RETURN_IF_ERROR(aws(obj, prefix, &s));
    RETURN_IF_ERROR(sql(obj, prefix, &s));
    RETURN_IF_ERROR(annotations(obj, prefix, &s));
    RETURN_IF_ERROR(metadata(obj, prefix, &s));
    RETURN_IF_ERROR(cause(obj, prefix, &s));
    if (s.status_code == storage::SpanStatusCode::kError && !s.events.empty()) {
      for (const auto& a : s.events.front().attributes) {
        if (a.key == "exception.message") s.status_message = a.value;
      }
    }
    if (std::string rule = storage::check_span(s); !rule.empty()) {
      return bad(prefix.empty() ? "document" : prefix, rule);
    }
    const std::string span_id = s.span_id;
    out_->push_back(std::move(s));

    if (!present(obj, "subsegments", &e)) return OkStatus();
    dom::array subs;
    const std::string sp = path_of(prefix, "subsegments");
    if (e.get_array().get(subs)) return bad(sp, "must be an array");
    size_t i = 0;
    for (dom::element sub : subs) {
      const std::string ip = fmt::format("{}[{}]", sp, i++);
      dom::object so;
      if (sub.get_object().get(so)) return bad(ip, "must be an object");
      RETURN_IF_ERROR(span(so, ip, ctx, span_id, storage::SpanKind::kInternal, depth + 1));
    }
    return OkStatus();
  }

  const traces::TraceLimits& limits_;
  std::vector<Span>* out_;
  size_t first_ = out_->size();
};

}  // namespace

Result<std::string> parse_xray_trace_id(std::string_view text) {
  std::string out;
  if (text.size() != 35 || !text.starts_with("1-") || text[10] != '-' ||
      !otlp::hex_decode(std::string(text.substr(2, 8)) + std::string(text.substr(11)), &out)) {
    return Status::invalid_argument(fmt::format(
        "\"{}\" is not an X-Ray trace id (1-<8 hex digits>-<24 hex digits>)", text.substr(0, 64)));
  }
  return out;
}

std::string format_xray_trace_id(std::string_view trace_id) {
  const std::string h = otlp::hex_encode(trace_id);
  if (h.size() != 32) return h;
  return fmt::format("1-{}-{}", h.substr(0, 8), h.substr(8));
}

Result<std::string_view> xray_datagram_document(std::string_view datagram) {
  if (datagram.size() > kMaxXrayDocumentBytes) {
    return Status::invalid_argument(
        fmt::format("X-Ray datagram is {} bytes: at most {} are allowed", datagram.size(),
                    kMaxXrayDocumentBytes));
  }
  const size_t nl = datagram.find('\n');
  if (nl == std::string_view::npos) {
    return Status::invalid_argument(
        "X-Ray datagram has no header line ({\"format\": \"json\", \"version\": 1} and a newline)");
  }
  std::string_view header = datagram.substr(0, nl);
  simdjson::padded_string padded(header);
  dom::parser parser;
  dom::object h;
  std::string_view format;
  int64_t version = 0;
  if (parser.parse(padded).get_object().get(h) || h["format"].get_string().get(format) ||
      h["version"].get_int64().get(version) || format != "json" || version != 1) {
    return Status::invalid_argument(
        fmt::format("X-Ray datagram header \"{}\" is not {{\"format\": \"json\", \"version\": 1}}",
                    header.substr(0, 80)));
  }
  return datagram.substr(nl + 1);
}

Status decode_xray_segment(std::string_view document, const traces::TraceLimits& limits,
                           std::vector<storage::Span>* out) {
  if (document.size() > kMaxXrayDocumentBytes) {
    return Status::invalid_argument(
        fmt::format("X-Ray segment: document is {} bytes: at most {} "
                    "are allowed",
                    document.size(), kMaxXrayDocumentBytes));
  }
  simdjson::padded_string padded(document);
  dom::parser parser;
  dom::element doc;
  if (auto err = parser.parse(padded).get(doc); err) {
    return Status::invalid_argument(
        fmt::format("X-Ray segment: not valid JSON: {}", simdjson::error_message(err)));
  }
  dom::object root;
  if (doc.get_object().get(root)) {
    return Status::invalid_argument("X-Ray segment: the document must be a JSON object");
  }
  const size_t before = out->size();
  Decoder d(limits, out);
  Status st = d.document(root);
  if (!st.ok()) out->resize(before);
  return st;
}

}  // namespace opsight::ingest::aws
