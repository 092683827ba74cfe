#include "storage/trace_store.h"

#include <fmt/format.h>

#include <algorithm>

namespace opsight::storage {
namespace {

bool all_zero(std::string_view id) {
  return std::all_of(id.begin(), id.end(), [](char c) { return c == 0; });
}

std::string check_id(std::string_view what, std::string_view id, size_t bytes) {
  if (id.size() != bytes) {
    return fmt::format("{} is {} bytes: it must be {}", what, id.size(), bytes);
  }
  if (all_zero(id)) return fmt::format("{} is all zeros", what);
  return {};
}

std::string check_attributes(std::string_view what, const std::vector<SpanAttribute>& attrs) {
  for (size_t i = 0; i < attrs.size(); i++) {
    if (static_cast<uint8_t>(attrs[i].type) > kMaxAttrType) {
      return fmt::format("{}[{}] (\"{}\") has an unknown value type {}", what, i, attrs[i].key,
                         static_cast<int>(attrs[i].type));
    }
  }
  return {};
}

}  // namespace

std::string check_span(const Span& s) {
  if (auto e = check_id("trace_id", s.trace_id, kTraceIdBytes); !e.empty()) return e;
  if (auto e = check_id("span_id", s.span_id, kSpanIdBytes); !e.empty()) return e;
  if (!s.parent_span_id.empty()) {
    if (auto e = check_id("parent_span_id", s.parent_span_id, kSpanIdBytes); !e.empty()) return e;
  }
  if (s.start_ns <= 0) return fmt::format("start time {} ns is not after 1970", s.start_ns);
  if (s.end_ns < s.start_ns) {
    return fmt::format("end time {} ns is before the start time {} ns", s.end_ns, s.start_ns);
  }
  if (static_cast<uint8_t>(s.kind) > kMaxSpanKind) {
    return fmt::format("kind {} is not a SpanKind (0..{})", static_cast<int>(s.kind), kMaxSpanKind);
  }
  if (static_cast<uint8_t>(s.status_code) > kMaxSpanStatusCode) {
    return fmt::format("status code {} is not a StatusCode (0..{})",
                       static_cast<int>(s.status_code), kMaxSpanStatusCode);
  }
  if (static_cast<uint8_t>(s.origin) > kMaxSpanOrigin) {
    return fmt::format("origin {} is unknown", static_cast<int>(s.origin));
  }
  if (auto e = check_attributes("attributes", s.attributes); !e.empty()) return e;
  if (auto e = check_attributes("resource attributes", s.resource_attributes); !e.empty()) {
    return e;
  }
  for (size_t i = 0; i < s.events.size(); i++) {
    auto e = check_attributes(fmt::format("events[{}].attributes", i), s.events[i].attributes);
    if (!e.empty()) return e;
  }
  for (size_t i = 0; i < s.links.size(); i++) {
    const SpanLink& l = s.links[i];
    if (l.trace_id.size() != kTraceIdBytes || l.span_id.size() != kSpanIdBytes) {
      return fmt::format(
          "links[{}] has a {}-byte trace id and a {}-byte span id: they must be {} "
          "and {}",
          i, l.trace_id.size(), l.span_id.size(), kTraceIdBytes, kSpanIdBytes);
    }
    auto e = check_attributes(fmt::format("links[{}].attributes", i), l.attributes);
    if (!e.empty()) return e;
  }
  return {};
}

}  // namespace opsight::storage
