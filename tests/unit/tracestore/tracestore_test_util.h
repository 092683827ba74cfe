#pragma once
// Helpers shared by the tracestore tests: a temp directory and span builders (a realistic span
// with every field set, and small generated traces).

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "storage/trace_store.h"
#include "testing/temp_dir.h"

namespace opsight::storage::tracestore::testing {

using TempDir = ::opsight::testing::TempDir;

inline std::string id_bytes(uint64_t hi, uint64_t lo, size_t n) {
  std::string s(16, '\0');
  std::memcpy(s.data(), &hi, 8);
  std::memcpy(s.data() + 8, &lo, 8);
  s.resize(n);
  return s;
}
inline std::string trace_id(uint64_t n) {
  return id_bytes(0x1234567800000000ull | n, n * 0x9e3779b97f4a7c15ull | 1, 16);
}
inline std::string span_id(uint64_t n) {
  return id_bytes(n * 0xff51afd7ed558ccdull | 1, 0, 8);
}

inline SpanAttribute attr(std::string k, std::string v, AttrType t = AttrType::kString,
                          bool indexed = true) {
  return SpanAttribute{std::move(k), std::move(v), t, indexed};
}

// A span with every field set; `n` varies ids, times and values.
inline Span full_span(uint64_t trace, uint64_t n, int64_t start_ns, const Tenant& tenant = {}) {
  Span s;
  s.tenant = tenant;
  s.trace_id = trace_id(trace);
  s.span_id = span_id(trace * 1000 + n);
  if (n > 0) s.parent_span_id = span_id(trace * 1000 + n - 1);
  s.trace_state = n % 2 ? "vendor=1" : "";
  s.flags = 1;
  s.service = n % 2 ? "checkout" : "frontend";
  s.name = n % 2 ? "POST /api/checkout" : "GET /";
  s.kind = n % 2 ? SpanKind::kClient : SpanKind::kServer;
  s.start_ns = start_ns + static_cast<int64_t>(n) * 1000;
  s.end_ns = s.start_ns + 1'500'000 + static_cast<int64_t>(n) * 17;
  s.status_code = n % 3 == 2 ? SpanStatusCode::kError : SpanStatusCode::kUnset;
  s.status_message = n % 3 == 2 ? "boom" : "";
  s.origin = n % 5 == 4 ? SpanOrigin::kXray : SpanOrigin::kOtlp;
  s.scope_name = "@opentelemetry/instrumentation-http";
  s.scope_version = "0.45.1";
  s.resource_attributes = {attr("service.name", s.service),
                           attr("host.name", "host-" + std::to_string(n % 3))};
  s.attributes = {attr("http.request.method", n % 2 ? "POST" : "GET"),
                  attr("http.response.status_code", n % 3 == 2 ? "500" : "200", AttrType::kInt),
                  attr("sampled", "true", AttrType::kBool),
                  attr("ratio", "0.25", AttrType::kDouble),
                  attr("blob", "AAEC", AttrType::kBytes),
                  attr("list", "[1,2]", AttrType::kJson),
                  attr("debug.payload", "{\"n\":" + std::to_string(n) + "}", AttrType::kString,
                       /*indexed=*/false)};
  if (n % 4 == 1) {
    s.events = {
        SpanEvent{s.start_ns + 10,
                  "exception",
                  {attr("exception.message", "bad " + std::to_string(n), AttrType::kString, false)},
                  0}};
    s.links = {
        SpanLink{trace_id(trace + 7), span_id(3), "k=v", 1, {attr("link.kind", "follows")}, 2}};
    s.dropped_events_count = 1;
  }
  return s;
}

}  // namespace opsight::storage::tracestore::testing
