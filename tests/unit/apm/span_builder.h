#pragma once
// Hand-built spans for the APM and trace-filter tests: a fluent builder over storage::Span with
// readable ids (trace "t1" -> 16 bytes, span "a" -> 8 bytes, zero-padded).

#include <string>
#include <string_view>

#include "storage/trace_store.h"

namespace opsight::testing {

inline std::string pad(std::string_view s, size_t n) {
  std::string out(s.substr(0, n));
  out.resize(n, '\x01');
  return out;
}

class SpanBuilder {
 public:
  // Times in ms from a fixed base (2024-01-01T00:00:00Z).
  static constexpr int64_t kBaseNs = 1'704'067'200'000'000'000;

  SpanBuilder(std::string_view trace, std::string_view id, std::string_view service) {
    s_.trace_id = pad(trace, storage::kTraceIdBytes);
    s_.span_id = pad(id, storage::kSpanIdBytes);
    s_.service = std::string(service);
    s_.name = std::string(id);
    s_.kind = storage::SpanKind::kServer;
    s_.start_ns = kBaseNs;
    s_.end_ns = kBaseNs + 1'000'000;
    s_.resource_attributes.push_back({"service.name", std::string(service)});
  }
  SpanBuilder& parent(std::string_view id) {
    s_.parent_span_id = pad(id, storage::kSpanIdBytes);
    return *this;
  }
  SpanBuilder& name(std::string_view n) {
    s_.name = std::string(n);
    return *this;
  }
  SpanBuilder& kind(storage::SpanKind k) {
    s_.kind = k;
    return *this;
  }
  SpanBuilder& client() { return kind(storage::SpanKind::kClient); }
  SpanBuilder& internal() { return kind(storage::SpanKind::kInternal); }
  SpanBuilder& producer() { return kind(storage::SpanKind::kProducer); }
  SpanBuilder& consumer() { return kind(storage::SpanKind::kConsumer); }
  SpanBuilder& time_ms(int64_t start_ms, int64_t duration_ms) {
    s_.start_ns = kBaseNs + start_ms * 1'000'000;
    s_.end_ns = s_.start_ns + duration_ms * 1'000'000;
    return *this;
  }
  SpanBuilder& error() {
    s_.status_code = storage::SpanStatusCode::kError;
    return *this;
  }
  SpanBuilder& attr(std::string_view k, std::string_view v,
                    storage::AttrType t = storage::AttrType::kString) {
    s_.attributes.push_back({std::string(k), std::string(v), t, true});
    return *this;
  }
  SpanBuilder& http(std::string_view method, std::string_view url, int status) {
    attr("http.request.method", method);
    attr("url.full", url);
    return attr("http.response.status_code", std::to_string(status), storage::AttrType::kInt);
  }
  SpanBuilder& xray() {
    s_.origin = storage::SpanOrigin::kXray;
    return *this;
  }
  storage::Span build() const { return s_; }
  operator storage::Span() const { return s_; }  // NOLINT(google-explicit-constructor)

 private:
  storage::Span s_;
};

}  // namespace opsight::testing
