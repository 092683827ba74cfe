// OTLP traces protobuf decoder. Messages: opentelemetry-proto trace/v1/trace.proto and
// collector/trace/v1/trace_service.proto; wire format: protobuf.dev/programming-guides/encoding.
#include "ingest/traces/otlp_traces_pb.h"

#include <fmt/format.h>

#include <algorithm>

#include "ingest/otlp/otlp_pb_envelope.h"  // pb_malformed
#include "wire/protobuf.h"

namespace opsight::ingest::traces {
namespace {

using wire::pb::Reader;

// ExportTraceServiceRequest -> storage::Span directly (no intermediate model: this is the hot
// ingest path). A ResourceSpans' resource and a ScopeSpans' scope are read before their spans
// whatever their field order. Error paths ("resource_spans[i].scope_spans[j].spans[k]") are
// built only when an error is reported.
class SpanDecoder {
 public:
  SpanDecoder(const TraceLimits& limits, TraceBatch* out, OtlpTracesResult* result)
      : limits_(limits), out_(out), log_(out, result) {}

  Status decode(std::string_view body) {
    out_->spans.reserve(out_->spans.size() +
                        std::min(count_spans(body), limits_.max_spans_per_request));
    Reader r(body);
    while (r.next()) {
      if (r.field() != 1) continue;
      RETURN_IF_ERROR(decode_resource_spans(r.bytes()));
      i_++;
    }
    if (!r.ok()) return otlp::pb_malformed("ExportTraceServiceRequest", r.error());
    log_.finish();
    return OkStatus();
  }

 private:
  // Spans in the request (for reserve); malformed input just counts what it can.
  static size_t count_spans(std::string_view body) {
    size_t n = 0;
    Reader r(body);
    while (r.next()) {
      if (r.field() != 1) continue;
      Reader rs(r.bytes());
      while (rs.next()) {
        if (rs.field() != 2) continue;
        Reader ss(rs.bytes());
        while (ss.next()) n += ss.field() == 2 ? 1 : 0;
      }
    }
    return n;
  }

  std::string resource_path() const { return fmt::format("resource_spans[{}]", i_); }
  std::string scope_path() const {
    return fmt::format("resource_spans[{}].scope_spans[{}]", i_, j_);
  }
  std::string span_path() const {
    return fmt::format("resource_spans[{}].scope_spans[{}].spans[{}]", i_, j_, k_);
  }

  Status decode_resource_spans(std::string_view data) {
    if (!budget_.take()) return otlp::budget_exhausted_error();
    otlp::Resource resource;
    Reader r(data);
    while (r.next()) {
      if (r.field() != 1) continue;
      Status st = otlp::decode_resource_pb(r.bytes(), &resource, &budget_);
      if (!st.ok()) return otlp::pb_malformed(resource_path() + ".resource", st.message());
    }
    if (!r.ok()) return otlp::pb_malformed(resource_path(), r.error());
    ctx_ = resource_context(std::move(resource.attributes), limits_);
    j_ = 0;
    Reader again(data);
    while (again.next()) {
      if (again.field() != 2) continue;
      RETURN_IF_ERROR(decode_scope_spans(again.bytes()));
      j_++;
    }
    return OkStatus();
  }

  Status decode_scope_spans(std::string_view data) {
    if (!budget_.take()) return otlp::budget_exhausted_error();
    otlp::InstrumentationScope scope;
    Reader r(data);
    while (r.next()) {
      if (r.field() != 1) continue;
      Status st = otlp::decode_scope_pb(r.bytes(), &scope, &budget_);
      if (!st.ok()) return otlp::pb_malformed(scope_path() + ".scope", st.message());
    }
    if (!r.ok()) return otlp::pb_malformed(scope_path(), r.error());
    k_ = 0;
    Reader again(data);
    while (again.next()) {
      if (again.field() != 2) continue;
      RETURN_IF_ERROR(decode_one_span(again.bytes(), scope));
      k_++;
    }
    return OkStatus();
  }

  Status decode_one_span(std::string_view data, const otlp::InstrumentationScope& scope) {
    storage::Span& span = out_->spans.emplace_back();
    std::string rule;
    RETURN_IF_ERROR(parse_span(data, &span, &rule));
    if (rule.empty() && !ctx_.rule.empty()) rule = ctx_.rule;
    if (rule.empty() && added_ >= limits_.max_spans_per_request) {
      rule = too_many_spans_rule(limits_);
    }
    if (rule.empty()) rule = check_span_limits(span, limits_);
    if (!rule.empty()) {
      out_->spans.pop_back();
      log_.reject(span_path(), std::move(rule));
      return OkStatus();
    }
    set_span_context(ctx_, scope, &span);
    added_++;
    return OkStatus();
  }

  // One attribute into *out; `what` names the owner for a malformed-protobuf error.
  template <typename What>
  Status parse_attribute(std::string_view data, bool indexed, What&& what,
                         std::vector<storage::SpanAttribute>* out) {
    otlp::KeyValue kv;
    Status st = otlp::decode_key_value_pb(data, &kv, &budget_);
    if (!st.ok()) return otlp::pb_malformed(what() + ".attributes", st.message());
    out->push_back(to_span_attribute(std::move(kv), indexed));
    return OkStatus();
  }

  static bool beyond_int64(uint64_t t) { return t > static_cast<uint64_t>(INT64_MAX); }

  Status parse_event(std::string_view data, size_t index, storage::SpanEvent* e,
                     std::string* rule) {
    if (!budget_.take()) return otlp::budget_exhausted_error();
    auto what = [&] { return fmt::format("{}.events[{}]", span_path(), index); };
    Reader r(data);
    while (r.next()) {
      switch (r.field()) {
        case 1: {
          const uint64_t t = r.fixed64();
          if (beyond_int64(t) && rule->empty()) {
            *rule = fmt::format("events[{}] time is beyond the year 2262", index);
          }
          e->time_ns = static_cast<int64_t>(t);
          break;
        }
        case 2:
          e->name.assign(r.bytes());
          break;
        case 3:
          RETURN_IF_ERROR(parse_attribute(r.bytes(), false, what, &e->attributes));
          break;
        case 4:
          e->dropped_attributes_count = r.uint32();
          break;
        default:
          break;
      }
    }
    if (!r.ok()) return otlp::pb_malformed(what(), r.error());
    return OkStatus();
  }

  Status parse_link(std::string_view data, size_t index, storage::SpanLink* l) {
    if (!budget_.take()) return otlp::budget_exhausted_error();
    auto what = [&] { return fmt::format("{}.links[{}]", span_path(), index); };
    Reader r(data);
    while (r.next()) {
      switch (r.field()) {
        case 1:
          l->trace_id.assign(r.bytes());
          break;
        case 2:
          l->span_id.assign(r.bytes());
          break;
        case 3:
          l->trace_state.assign(r.bytes());
          break;
        case 4:
          RETURN_IF_ERROR(parse_attribute(r.bytes(), false, what, &l->attributes));
          break;
        case 5:
          l->dropped_attributes_count = r.uint32();
          break;
        case 6:
          l->flags = r.fixed32();
          break;
        default:
          break;
      }
    }
    if (!r.ok()) return otlp::pb_malformed(what(), r.error());
    return OkStatus();
  }

  Status parse_status(std::string_view data, storage::Span* s, std::string* rule) {
    Reader r(data);
    while (r.next()) {
      if (r.field() == 2) {
        s->status_message.assign(r.bytes());
      } else if (r.field() == 3) {
        const int32_t code = r.int32();
        if (code < 0 || code > storage::kMaxSpanStatusCode) {
          if (rule->empty()) {
            *rule = fmt::format("status.code {} is not a StatusCode (0..{})", code,
                                storage::kMaxSpanStatusCode);
          }
        } else {
          s->status_code = static_cast<storage::SpanStatusCode>(code);
        }
      }
    }
    if (!r.ok()) return otlp::pb_malformed(span_path() + ".status", r.error());
    return OkStatus();
  }

  // Span fields -> *s. A malformed message is an error (the whole request fails); a field that
  // does not fit its storage type sets *rule (the span is rejected).
  Status parse_span(std::string_view data, storage::Span* s, std::string* rule) {
    if (!budget_.take()) return otlp::budget_exhausted_error();
    auto what = [&] { return span_path(); };
    auto time = [&](uint64_t t, int64_t* out) {
      if (beyond_int64(t) && rule->empty()) *rule = "start or end time is beyond the year 2262";
      *out = static_cast<int64_t>(t);
    };
    Reader r(data);
    while (r.next()) {
      switch (r.field()) {
        case 1:
          s->trace_id.assign(r.bytes());
          break;
        case 2:
          s->span_id.assign(r.bytes());
          break;
        case 3:
          s->trace_state.assign(r.bytes());
          break;
        case 4: {
          const std::string_view parent = r.bytes();
          // An all-zero parent id is a root, as an absent one.
          if (parent.find_first_not_of('\0') != std::string_view::npos) {
            s->parent_span_id.assign(parent);
          } else {
            s->parent_span_id.clear();
          }
          break;
        }
        case 5:
          s->name.assign(r.bytes());
          break;
        case 6: {
          const int32_t kind = r.int32();
          if (kind < 0 || kind > storage::kMaxSpanKind) {
            if (rule->empty()) {
              *rule = fmt::format("kind {} is not a SpanKind (0..{})", kind, storage::kMaxSpanKind);
            }
          } else {
            s->kind = static_cast<storage::SpanKind>(kind);
          }
          break;
        }
        case 7:
          time(r.fixed64(), &s->start_ns);
          break;
        case 8:
          time(r.fixed64(), &s->end_ns);
          break;
        case 9:
          RETURN_IF_ERROR(parse_attribute(r.bytes(), true, what, &s->attributes));
          break;
        case 10:
          s->dropped_attributes_count = r.uint32();
          break;
        case 11:
          RETURN_IF_ERROR(
              parse_event(r.bytes(), s->events.size(), &s->events.emplace_back(), rule));
          break;
        case 12:
          s->dropped_events_count = r.uint32();
          break;
        case 13:
          RETURN_IF_ERROR(parse_link(r.bytes(), s->links.size(), &s->links.emplace_back()));
          break;
        case 14:
          s->dropped_links_count = r.uint32();
          break;
        case 15:
          RETURN_IF_ERROR(parse_status(r.bytes(), s, rule));
          break;
        case 16:
          s->flags = r.fixed32();
          break;
        default:
          break;
      }
    }
    if (!r.ok()) return otlp::pb_malformed(span_path(), r.error());
    return OkStatus();
  }

  const TraceLimits& limits_;
  TraceBatch* out_;
  RejectionLog log_;
  otlp::DecodeBudget budget_;
  ResourceContext ctx_;
  size_t i_ = 0, j_ = 0, k_ = 0;  // the position of the span being decoded
  size_t added_ = 0;
};

}  // namespace

Status decode_traces_protobuf(std::string_view body, const TraceLimits& limits, TraceBatch* out,
                              OtlpTracesResult* result) {
  if (body.size() > limits.max_request_bytes) {
    return Status::invalid_argument(fmt::format(
        "request body is {} bytes: at most {} are allowed (limits.traces.max_request_bytes)",
        body.size(), limits.max_request_bytes));
  }
  const size_t spans_before = out->spans.size();
  const size_t errors_before = out->errors.size();
  OtlpTracesResult local;
  Status st = SpanDecoder(limits, out, &local).decode(body);
  if (!st.ok()) {
    out->spans.resize(spans_before);
    out->errors.resize(errors_before);
    return st;
  }
  *result = std::move(local);
  return OkStatus();
}

std::string encode_traces_response_protobuf(const OtlpTracesResult& result) {
  return otlp::encode_partial_success_pb(result.rejected_spans, result.error_message);
}

}  // namespace opsight::ingest::traces
