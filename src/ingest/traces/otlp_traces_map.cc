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
std::string check_attributes(std::string_view what, const std::vector<storage::SpanAttribute>& in,
                             const TraceLimits& limits) {
  if (in.size() > limits.max_attributes_per_span) {
    return fmt::format(
        "{} has {} attributes: at most {} are allowed "
        "(limits.traces.max_attributes_per_span)",
        what, in.size(), limits.max_attributes_per_span);
  }
  for (const auto& a : in) {
    if (a.key.size() + a.value.size() > limits.max_attribute_bytes) {
      return fmt::format(
          "{} attribute \"{}\" is {} bytes: at most {} are allowed "
          "(limits.traces.max_attribute_bytes)",
          what, a.key.substr(0, 64), a.key.size() + a.value.size(), limits.max_attribute_bytes);
    }
  }
  return {};
}

std::vector<storage::SpanAttribute> map_attributes(const std::vector<otlp::KeyValue>& in,
                                                   bool indexed) {
  std::vector<storage::SpanAttribute> out;
  out.reserve(in.size());
  for (const auto& kv : in) out.push_back(to_span_attribute(kv, indexed));
  return out;
}

bool all_zero(std::string_view id) {
  return std::all_of(id.begin(), id.end(), [](char c) { return c == 0; });
}

// The raw fields that do not fit their storage types; "" when all do.
std::string check_raw_fields(const OtlpSpan& in) {
  if (!in.decode_error.empty()) return in.decode_error;
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
  for (size_t i = 0; i < in.events.size(); i++) {
    if (in.events[i].time_unix_nano > static_cast<uint64_t>(INT64_MAX)) {
      return fmt::format("events[{}] time is beyond the year 2262", i);
    }
  }
  return {};
}

std::string map_span(const OtlpSpan& in, const TraceLimits& limits, storage::Span* s) {
  if (auto rule = check_raw_fields(in); !rule.empty()) return rule;
  s->trace_id = in.trace_id;
  s->span_id = in.span_id;
  if (!all_zero(in.parent_span_id)) s->parent_span_id = in.parent_span_id;
  s->trace_state = in.trace_state;
  s->flags = in.flags;
  s->name = in.name;
  s->kind = static_cast<storage::SpanKind>(in.kind);
  s->start_ns = static_cast<int64_t>(in.start_time_unix_nano);
  s->end_ns = static_cast<int64_t>(in.end_time_unix_nano);
  s->status_code = static_cast<storage::SpanStatusCode>(in.status_code);
  s->status_message = in.status_message;
  s->attributes = map_attributes(in.attributes, true);
  s->dropped_attributes_count = in.dropped_attributes_count;
  s->dropped_events_count = in.dropped_events_count;
  s->dropped_links_count = in.dropped_links_count;
  s->events.reserve(in.events.size());
  for (const OtlpSpanEvent& e : in.events) {
    storage::SpanEvent& ev = s->events.emplace_back();
    ev.time_ns = static_cast<int64_t>(e.time_unix_nano);
    ev.name = e.name;
    ev.dropped_attributes_count = e.dropped_attributes_count;
    ev.attributes = map_attributes(e.attributes, false);
  }
  s->links.reserve(in.links.size());
  for (const OtlpSpanLink& l : in.links) {
    storage::SpanLink& lk = s->links.emplace_back();
    lk.trace_id = l.trace_id;
    lk.span_id = l.span_id;
    lk.trace_state = l.trace_state;
    lk.flags = l.flags;
    lk.dropped_attributes_count = l.dropped_attributes_count;
    lk.attributes = map_attributes(l.attributes, false);
  }
  return check_span_limits(*s, limits);
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

storage::SpanAttribute to_span_attribute(otlp::KeyValue&& kv, bool indexed) {
  storage::SpanAttribute a;
  a.key = std::move(kv.key);
  a.type = attr_type(kv.value.type);
  a.value = kv.value.type == otlp::AnyValue::Type::kString ? std::move(kv.value.str)
                                                           : otlp::any_value_to_string(kv.value);
  a.indexed = indexed;
  return a;
}

ResourceContext resource_context(std::vector<otlp::KeyValue> attributes,
                                 const TraceLimits& limits) {
  ResourceContext ctx;
  const otlp::AnyValue* svc = otlp::find_attribute(attributes, "service.name");
  ctx.service = svc != nullptr && svc->type == otlp::AnyValue::Type::kString && !svc->str.empty()
                    ? svc->str
                    : std::string(kUnknownService);
  ctx.resource_attributes.reserve(attributes.size());
  for (auto& kv : attributes) {
    storage::SpanAttribute a = to_span_attribute(std::move(kv), true);
    if (a.key.size() + a.value.size() > limits.max_attribute_bytes && ctx.rule.empty()) {
      ctx.rule = fmt::format(
          "resource attribute \"{}\" is {} bytes: at most {} are "
          "allowed (limits.traces.max_attribute_bytes)",
          a.key.substr(0, 64), a.key.size() + a.value.size(), limits.max_attribute_bytes);
    }
    ctx.resource_attributes.push_back(std::move(a));
  }
  return ctx;
}

void set_span_context(const ResourceContext& ctx, const otlp::InstrumentationScope& scope,
                      storage::Span* span) {
  span->service = ctx.service;
  span->resource_attributes = ctx.resource_attributes;
  span->scope_name = scope.name;
  span->scope_version = scope.version;
  span->origin = storage::SpanOrigin::kOtlp;
}

std::string check_span_limits(const storage::Span& s, const TraceLimits& limits) {
  if (s.name.size() > limits.max_name_bytes) {
    return fmt::format("name is {} bytes: at most {} are allowed (limits.traces.max_name_bytes)",
                       s.name.size(), limits.max_name_bytes);
  }
  if (s.events.size() > limits.max_events_per_span) {
    return fmt::format("{} events: at most {} are allowed (limits.traces.max_events_per_span)",
                       s.events.size(), limits.max_events_per_span);
  }
  if (s.links.size() > limits.max_links_per_span) {
    return fmt::format("{} links: at most {} are allowed (limits.traces.max_links_per_span)",
                       s.links.size(), limits.max_links_per_span);
  }
  if (auto rule = check_attributes("span", s.attributes, limits); !rule.empty()) return rule;
  for (size_t i = 0; i < s.events.size(); i++) {
    const storage::SpanEvent& e = s.events[i];
    if (e.name.size() > limits.max_name_bytes) {
      return fmt::format(
          "events[{}] name is {} bytes: at most {} are allowed "
          "(limits.traces.max_name_bytes)",
          i, e.name.size(), limits.max_name_bytes);
    }
    auto rule = check_attributes(fmt::format("events[{}]", i), e.attributes, limits);
    if (!rule.empty()) return rule;
  }
  for (size_t i = 0; i < s.links.size(); i++) {
    auto rule = check_attributes(fmt::format("links[{}]", i), s.links[i].attributes, limits);
    if (!rule.empty()) return rule;
  }
  return storage::check_span(s);
}

std::string too_many_spans_rule(const TraceLimits& limits) {
  return fmt::format("more than {} spans in one request (limits.traces.max_spans_per_request)",
                     limits.max_spans_per_request);
}

void RejectionLog::reject(std::string item, std::string rule) {
  result_->rejected_spans++;
  if (summary_.size() < kMaxSummarisedErrors) summary_.push_back(item + ": " + rule);
  out_->errors.push_back({std::move(item), std::move(rule)});
}

void RejectionLog::finish() {
  if (result_->rejected_spans == 0) return;
  std::string msg = fmt::format("{} span(s) rejected", result_->rejected_spans);
  for (size_t i = 0; i < summary_.size(); i++) msg += (i == 0 ? ": " : "; ") + summary_[i];
  result_->error_message = std::move(msg);
}

void map_traces_to_batch(const ExportTraceRequest& req, const TraceLimits& limits, TraceBatch* out,
                         OtlpTracesResult* result) {
  RejectionLog log(out, result);
  size_t added = 0;
  for (size_t i = 0; i < req.resource_spans.size(); i++) {
    const auto& rs = req.resource_spans[i];
    const ResourceContext ctx = resource_context(rs.resource.attributes, limits);
    for (size_t j = 0; j < rs.scope_spans.size(); j++) {
      const auto& ss = rs.scope_spans[j];
      for (size_t k = 0; k < ss.spans.size(); k++) {
        auto item = [&] {
          return fmt::format("resource_spans[{}].scope_spans[{}].spans[{}]", i, j, k);
        };
        if (!ctx.rule.empty()) {
          log.reject(item(), ctx.rule);
          continue;
        }
        if (added >= limits.max_spans_per_request) {
          log.reject(item(), too_many_spans_rule(limits));
          continue;
        }
        storage::Span span;
        if (std::string rule = map_span(ss.spans[k], limits, &span); !rule.empty()) {
          log.reject(item(), std::move(rule));
          continue;
        }
        set_span_context(ctx, ss.scope, &span);
        out->spans.push_back(std::move(span));
        added++;
      }
    }
  }
  log.finish();
}

}  // namespace opsight::ingest::traces
