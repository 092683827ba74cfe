#include "demo/otlp_encode.h"

#include <cstdlib>
#include <cstring>

#include "common/version.h"
#include "wire/protobuf.h"

namespace opsight::demo {
namespace {

using wire::pb::Writer;

std::string any_value(const storage::SpanAttribute& a) {
  Writer v;
  switch (a.type) {
    case storage::AttrType::kBool:
      v.varint(2, a.value == "true" ? 1 : 0);
      break;
    case storage::AttrType::kInt:
      v.varint(3, static_cast<uint64_t>(std::strtoll(a.value.c_str(), nullptr, 10)));
      break;
    case storage::AttrType::kDouble:
      v.dbl(4, std::strtod(a.value.c_str(), nullptr));
      break;
    default:
      v.bytes(1, a.value);
  }
  return v.take();
}

std::string key_value(std::string_view key, const std::string& any) {
  Writer kv;
  kv.bytes(1, key);
  kv.message(2, any);
  return kv.take();
}

std::string string_kv(std::string_view key, std::string_view value) {
  Writer v;
  v.bytes(1, value);
  return key_value(key, v.str());
}

void string_attributes(Writer* w, uint32_t field, const Attributes& attrs) {
  for (const auto& [k, v] : attrs) w->message(field, string_kv(k, v));
}

std::string resource(const Attributes& attrs) {
  Writer r;
  string_attributes(&r, 1, attrs);
  return r.take();
}

std::string scope() {
  Writer s;
  s.bytes(1, "opsight-demo");
  s.bytes(2, version());
  return s.take();
}

std::string span(const storage::Span& s) {
  Writer w;
  w.bytes(1, s.trace_id);
  w.bytes(2, s.span_id);
  if (!s.parent_span_id.empty()) w.bytes(4, s.parent_span_id);
  w.bytes(5, s.name);
  w.varint(6, static_cast<uint64_t>(s.kind));
  w.fixed64(7, static_cast<uint64_t>(s.start_ns));
  w.fixed64(8, static_cast<uint64_t>(s.end_ns));
  for (const auto& a : s.attributes) w.message(9, key_value(a.key, any_value(a)));
  for (const auto& e : s.events) {
    Writer ev;
    ev.fixed64(1, static_cast<uint64_t>(e.time_ns));
    ev.bytes(2, e.name);
    for (const auto& a : e.attributes) ev.message(3, key_value(a.key, any_value(a)));
    w.message(11, ev.str());
  }
  if (s.status_code != storage::SpanStatusCode::kUnset) {
    Writer st;
    if (!s.status_message.empty()) st.bytes(2, s.status_message);
    st.varint(3, static_cast<uint64_t>(s.status_code));
    w.message(15, st.str());
  }
  if (s.flags != 0) w.fixed32(16, s.flags);
  return w.take();
}

std::string metric(const MetricPoint& p) {
  Writer m;
  m.bytes(1, p.name);
  m.bytes(2, p.description);
  m.bytes(3, p.unit);
  if (p.type == MetricPoint::Type::kHistogram) {
    Writer dp;
    string_attributes(&dp, 9, p.attributes);
    dp.fixed64(2, static_cast<uint64_t>(p.start_ns));
    dp.fixed64(3, static_cast<uint64_t>(p.time_ns));
    dp.fixed64(4, p.count);
    dp.dbl(5, p.sum);
    std::string counts, bounds;
    for (uint64_t c : p.bucket_counts) put_fixed64(counts, c);
    for (double b : p.bounds) {
      uint64_t bits;
      std::memcpy(&bits, &b, 8);
      put_fixed64(bounds, bits);
    }
    dp.bytes(6, counts);
    dp.bytes(7, bounds);
    Writer h;
    h.message(1, dp.str());
    h.varint(2, 2);  // AGGREGATION_TEMPORALITY_CUMULATIVE
    m.message(9, h.str());
    return m.take();
  }
  Writer dp;
  string_attributes(&dp, 7, p.attributes);
  if (p.type == MetricPoint::Type::kCounter) dp.fixed64(2, static_cast<uint64_t>(p.start_ns));
  dp.fixed64(3, static_cast<uint64_t>(p.time_ns));
  dp.dbl(4, p.value);
  Writer data;
  data.message(1, dp.str());
  if (p.type == MetricPoint::Type::kCounter) {
    data.varint(2, 2);  // cumulative
    data.varint(3, 1);  // is_monotonic
    m.message(7, data.str());
  } else {
    m.message(5, data.str());
  }
  return m.take();
}

std::string log_record(const LogRecord& l) {
  Writer w;
  w.fixed64(1, static_cast<uint64_t>(l.time_ns));
  w.fixed64(11, static_cast<uint64_t>(l.time_ns));
  w.varint(2, static_cast<uint64_t>(l.severity_number));
  w.bytes(3, l.severity_text);
  Writer body;
  body.bytes(1, l.body);
  w.message(5, body.str());
  string_attributes(&w, 6, l.attributes);
  if (!l.trace_id.empty()) w.bytes(9, l.trace_id);
  if (!l.span_id.empty()) w.bytes(10, l.span_id);
  return w.take();
}

// One ResourceX { resource = 1; scope_x = 2 { scope = 1; items = 2 } } per service that has
// items of the signal.
template <typename Items, typename EncodeItem>
std::string encode(const Telemetry& t, Items ServiceTelemetry::*items, EncodeItem&& encode_item) {
  Writer req;
  for (const auto& [name, svc] : t) {
    const auto& list = svc.*items;
    if (list.empty()) continue;
    Writer sc;
    sc.message(1, scope());
    for (const auto& item : list) sc.message(2, encode_item(item));
    Writer rs;
    rs.message(1, resource(svc.resource));
    rs.message(2, sc.str());
    req.message(1, rs.str());
  }
  return req.take();
}

}  // namespace

std::string encode_traces(const Telemetry& t) {
  return encode(t, &ServiceTelemetry::spans, span);
}
std::string encode_metrics(const Telemetry& t) {
  return encode(t, &ServiceTelemetry::metrics, metric);
}
std::string encode_logs(const Telemetry& t) {
  return encode(t, &ServiceTelemetry::logs, log_record);
}

}  // namespace opsight::demo
