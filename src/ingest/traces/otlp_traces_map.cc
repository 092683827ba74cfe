// OTLP spans -> storage::Span (the mapping in otlp_traces_model.h).
#include <fmt/format.h>

#include <algorithm>

#include "ingest/traces/otlp_traces_model.h"

namespace opsight::ingest::traces {
namespace {

constexpr size_t kMaxSummarisedErrors = 5;
constexpr std::string_view kUnknownService = "unknown_service";

storage::AttrType attr_type(otlp::AnyValue::Type t) {
  using T = otlp::AnyValue::Type;
  switch (t) {
    case T::kBool:
      return storage::AttrType::kBool;
    case T::kInt:
      return storage::AttrType::kInt;
    case T::kDouble:
      return storage::AttrType::kDouble;
    case T::kBytes:
      return storage::AttrType::kBytes;
    case T::kArray:
    case T::kKvList:
      return storage::AttrType::kJson;
    case T::kString:
    case T::kEmpty:
      break;
  }
  return storage::AttrType::kString;
}

// "" or the rule an attribute list breaks.
std::string map_attributes(std::string_view what, const std::vector<otlp::KeyValue>& in,
                           bool indexed, const TraceLimits& limits,
                           std::vector<storage::SpanAttribute>* out) {
  if (in.size() > limits.max_attributes_per_span) {
    return fmt::format(
        "{} has {} attributes: at most {} are allowed "
        "(limits.traces.max_attributes_per_span)",
        what, in.size(), limits.max_attributes_per_span);
  }
  out->reserve(in.size());
  for (const auto& kv : in) {
    storage::SpanAttribute a = to_span_attribute(kv, indexed);
    if (a.key.size() + a.value.size() > limits.max_attribute_bytes) {
      return fmt::format(
          "{} attribute \"{}\" is {} bytes: at most {} are allowed "
          "(limits.traces.max_attribute_bytes)",
          what, a.key.substr(0, 64), a.key.size() + a.value.size(), limits.max_attribute_bytes);
    }
    out->push_back(std::move(a));
  }
  return {};
}

bool all_zero(std::string_view id) {
  return std::all_of(id.begin(), id.end(), [](char c) { return c == 0; });
}

// Fields shared by every span of a resource and scope.
struct Context {
  std::string service;
  std::vector<storage::SpanAttribute> resource_attributes;
  const otlp::InstrumentationScope* scope = nullptr;
};

std::string map_span(const OtlpSpan& in, const Context& ctx, const TraceLimits& limits,
                     storage::Span* s) {
  if (!in.decode_error.empty()) return in.decode_error;
  if (in.name.size() > limits.max_name_bytes) {
    return fmt::format("name is {} bytes: at most {} are allowed (limits.traces.max_name_bytes)",
                       in.name.size(), limits.max_name_bytes);
  }
  if (in.kind < 0 || in.kind > storage::kMaxSpanKind) {
    return fmt::format("kind {} is not a SpanKind (0..{})", in.kind, storage::kMaxSpanKind);
  }
  if (in.status_code < 0 || in.status_code > storage::kMaxSpanStatusCode) {
    return fmt::format("status.code {} is not a StatusCode (0..{})", in.status_code,
                       storage::kMaxSpanStatusCode);
  }
  if (in.start_time_unix_nano > static_cast<uint64_t>(INT64_MAX) ||
      in.end_time_unix_nano > static_cast<uint64_t>(INT64_MAX)) {
    return "start or end time is beyond the year 2262";
  }
  if (in.events.size() > limits.max_events_per_span) {
    return fmt::format("{} events: at most {} are allowed (limits.traces.max_events_per_span)",
                       in.events.size(), limits.max_events_per_span);
  }
  if (in.links.size() > limits.max_links_per_span) {
    return fmt::format("{} links: at most {} are allowed (limits.traces.max_links_per_span)",
                       in.links.size(), limits.max_links_per_span);
  }
  s->trace_id = in.trace_id;
  s->span_id = in.span_id;
  if (!all_zero(in.parent_span_id)) s->parent_span_id = in.parent_span_id;
  s->trace_state = in.trace_state;
  s->flags = in.flags;
  s->service = ctx.service;
  s->name = in.name;
  s->kind = static_cast<storage::SpanKind>(in.kind);
  s->start_ns = static_cast<int64_t>(in.start_time_unix_nano);
  s->end_ns = static_cast<int64_t>(in.end_time_unix_nano);
  s->status_code = static_cast<storage::SpanStatusCode>(in.status_code);
  s->status_message = in.status_message;
  s->origin = storage::SpanOrigin::kOtlp;
  if (ctx.scope != nullptr) {
    s->scope_name = ctx.scope->name;
    s->scope_version = ctx.scope->version;
  }
  s->resource_attributes = ctx.resource_attributes;
  if (auto rule = map_attributes("span", in.attributes, true, limits, &s->attributes);
      !rule.empty()) {
    return rule;
  }
  s->dropped_attributes_count = in.dropped_attributes_count;
  s->dropped_events_count = in.dropped_events_count;
  s->dropped_links_count = in.dropped_links_count;
  s->events.reserve(in.events.size());
  for (size_t i = 0; i < in.events.size(); i++) {
    const OtlpSpanEvent& e = in.events[i];
    if (e.time_unix_nano > static_cast<uint64_t>(INT64_MAX)) {
      return fmt::format("events[{}] time is beyond the year 2262", i);
    }
    if (e.name.size() > limits.max_name_bytes) {
      return fmt::format(
          "events[{}] name is {} bytes: at most {} are allowed "
          "(limits.traces.max_name_bytes)",
          i, e.name.size(), limits.max_name_bytes);
    }
    storage::SpanEvent& ev = s->events.emplace_back();
    ev.time_ns = static_cast<int64_t>(e.time_unix_nano);
    ev.name = e.name;
    ev.dropped_attributes_count = e.dropped_attributes_count;
    auto rule =
        map_attributes(fmt::format("events[{}]", i), e.attributes, false, limits, &ev.attributes);
    if (!rule.empty()) return rule;
  }
  s->links.reserve(in.links.size());
  for (size_t i = 0; i < in.links.size(); i++) {
    const OtlpSpanLink& l = in.links[i];
    storage::SpanLink& lk = s->links.emplace_back();
    lk.trace_id = l.trace_id;
    lk.span_id = l.span_id;
    lk.trace_state = l.trace_state;
    lk.flags = l.flags;
    lk.dropped_attributes_count = l.dropped_attributes_count;
    auto rule =
        map_attributes(fmt::format("links[{}]", i), l.attributes, false, limits, &lk.attributes);
    if (!rule.empty()) return rule;
  }
  return storage::check_span(*s);
}

}  // namespace

storage::SpanAttribute to_span_attribute(const otlp::KeyValue& kv, bool indexed) {
  storage::SpanAttribute a;
  a.key = kv.key;
  a.type = attr_type(kv.value.type);
  a.value = kv.value.type == otlp::AnyValue::Type::kString ? kv.value.str
                                                           : otlp::any_value_to_string(kv.value);
  a.indexed = indexed;
  return a;
}

void map_traces_to_batch(const ExportTraceRequest& req, const TraceLimits& limits, TraceBatch* out,
                         OtlpTracesResult* result) {
  std::vector<std::string> summary;
  size_t added = 0;
  auto reject = [&](std::string item, std::string rule) {
    result->rejected_spans++;
    if (summary.size() < kMaxSummarisedErrors) summary.push_back(item + ": " + rule);
    out->errors.push_back({std::move(item), std::move(rule)});
  };
  for (size_t i = 0; i < req.resource_spans.size(); i++) {
    const auto& rs = req.resource_spans[i];
    Context ctx;
    const otlp::AnyValue* svc = otlp::find_attribute(rs.resource.attributes, "service.name");
    ctx.service = svc != nullptr && svc->type == otlp::AnyValue::Type::kString && !svc->str.empty()
                      ? svc->str
                      : std::string(kUnknownService);
    std::string resource_rule;
    for (const auto& kv : rs.resource.attributes) {
      storage::SpanAttribute a = to_span_attribute(kv, true);
      if (a.key.size() + a.value.size() > limits.max_attribute_bytes && resource_rule.empty()) {
        resource_rule = fmt::format(
            "resource attribute \"{}\" is {} bytes: at most {} are "
            "allowed (limits.traces.max_attribute_bytes)",
            a.key.substr(0, 64), a.key.size() + a.value.size(), limits.max_attribute_bytes);
      }
      ctx.resource_attributes.push_back(std::move(a));
    }
    for (size_t j = 0; j < rs.scope_spans.size(); j++) {
      const auto& ss = rs.scope_spans[j];
      ctx.scope = &ss.scope;
      for (size_t k = 0; k < ss.spans.size(); k++) {
        auto item = [&] {
          return fmt::format("resource_spans[{}].scope_spans[{}].spans[{}]", i, j, k);
        };
        if (!resource_rule.empty()) {
          reject(item(), resource_rule);
          continue;
        }
        if (added >= limits.max_spans_per_request) {
          reject(item(), fmt::format("more than {} spans in one request "
                                     "(limits.traces.max_spans_per_request)",
                                     limits.max_spans_per_request));
          continue;
        }
        storage::Span span;
        if (std::string rule = map_span(ss.spans[k], ctx, limits, &span); !rule.empty()) {
          reject(item(), std::move(rule));
          continue;
        }
        out->spans.push_back(std::move(span));
        added++;
      }
    }
  }
  if (result->rejected_spans > 0) {
    std::string msg = fmt::format("{} span(s) rejected", result->rejected_spans);
    for (size_t i = 0; i < summary.size(); i++) msg += (i == 0 ? ": " : "; ") + summary[i];
    result->error_message = std::move(msg);
  }
}

}  // namespace opsight::ingest::traces
