#include "storage/tracestore/span_codec.h"

#include "common/coding.h"

namespace opsight::storage::tracestore {
namespace {

void put_attrs(std::string* out, const std::vector<SpanAttribute>& attrs) {
  put_varint64(*out, attrs.size());
  for (const auto& a : attrs) {
    put_length_prefixed(*out, a.key);
    out->push_back(static_cast<char>(static_cast<uint8_t>(a.type) | (a.indexed ? 0x80 : 0)));
    put_length_prefixed(*out, a.value);
  }
}

class Cursor {
 public:
  Cursor(const char* p, const char* end) : p_(p), end_(end) {}
  bool ok() const { return p_ != nullptr; }
  const char* pos() const { return p_; }
  size_t left() const { return p_ == nullptr ? 0 : static_cast<size_t>(end_ - p_); }

  uint64_t varint() {
    uint64_t v = 0;
    if (p_ != nullptr) p_ = get_varint64(p_, end_, &v);
    return v;
  }
  int64_t svarint() { return zigzag_decode(varint()); }
  uint32_t u32() {
    uint64_t v = varint();
    if (v > UINT32_MAX) p_ = nullptr;
    return static_cast<uint32_t>(v);
  }
  void str(std::string* out) {
    std::string_view s;
    if (p_ != nullptr) p_ = get_length_prefixed(p_, end_, &s);
    if (p_ != nullptr) out->assign(s);
  }
  uint8_t byte() {
    if (p_ == nullptr || p_ == end_) {
      p_ = nullptr;
      return 0;
    }
    return static_cast<uint8_t>(*p_++);
  }
  // A count of items each taking at least `min_bytes`: fails when the input cannot hold them.
  size_t count(size_t min_bytes) {
    uint64_t n = varint();
    if (p_ != nullptr && n > left() / min_bytes) p_ = nullptr;
    return p_ == nullptr ? 0 : static_cast<size_t>(n);
  }
  void attrs(std::vector<SpanAttribute>* out) {
    const size_t n = count(3);
    out->resize(n);
    for (size_t i = 0; i < n && ok(); i++) {
      SpanAttribute& a = (*out)[i];
      str(&a.key);
      const uint8_t t = byte();
      if ((t & 0x7f) > kMaxAttrType) p_ = nullptr;
      a.type = static_cast<AttrType>(t & 0x7f);
      a.indexed = (t & 0x80) != 0;
      str(&a.value);
    }
  }

 private:
  const char* p_;
  const char* end_;
};

uint64_t attrs_memory(const std::vector<SpanAttribute>& attrs) {
  uint64_t n = attrs.capacity() * sizeof(SpanAttribute);
  for (const auto& a : attrs) {
    if (a.key.size() > 15) n += a.key.capacity() + 1;
    if (a.value.size() > 15) n += a.value.capacity() + 1;
  }
  return n;
}

uint64_t str_memory(const std::string& s) {
  return s.size() > 15 ? s.capacity() + 1 : 0;
}

}  // namespace

void encode_attributes(std::string* out, const std::vector<SpanAttribute>& attrs) {
  put_attrs(out, attrs);
}

bool decode_attributes(const char** p, const char* end, std::vector<SpanAttribute>* attrs) {
  Cursor c(*p, end);
  c.attrs(attrs);
  if (!c.ok()) return false;
  *p = c.pos();
  return true;
}

bool has_span_extras(const Span& s) {
  return !s.events.empty() || !s.links.empty() || s.dropped_attributes_count != 0 ||
         s.dropped_events_count != 0 || s.dropped_links_count != 0;
}

void encode_span_extras(std::string* out, const Span& s) {
  put_varint64(*out, s.dropped_attributes_count);
  put_varint64(*out, s.dropped_events_count);
  put_varint64(*out, s.dropped_links_count);
  put_varint64(*out, s.events.size());
  for (const auto& e : s.events) {
    put_varsint64(*out, static_cast<int64_t>(static_cast<uint64_t>(e.time_ns) -
                                             static_cast<uint64_t>(s.start_ns)));
    put_length_prefixed(*out, e.name);
    put_attrs(out, e.attributes);
    put_varint64(*out, e.dropped_attributes_count);
  }
  put_varint64(*out, s.links.size());
  for (const auto& l : s.links) {
    put_length_prefixed(*out, l.trace_id);
    put_length_prefixed(*out, l.span_id);
    put_length_prefixed(*out, l.trace_state);
    put_varint64(*out, l.flags);
    put_attrs(out, l.attributes);
    put_varint64(*out, l.dropped_attributes_count);
  }
}

bool decode_span_extras(const char** p, const char* end, Span* s) {
  Cursor c(*p, end);
  s->dropped_attributes_count = c.u32();
  s->dropped_events_count = c.u32();
  s->dropped_links_count = c.u32();
  size_t n = c.count(4);
  s->events.resize(n);
  for (size_t i = 0; i < n && c.ok(); i++) {
    SpanEvent& e = s->events[i];
    e.time_ns = static_cast<int64_t>(static_cast<uint64_t>(s->start_ns) +
                                     static_cast<uint64_t>(c.svarint()));
    c.str(&e.name);
    c.attrs(&e.attributes);
    e.dropped_attributes_count = c.u32();
  }
  n = c.count(6);
  s->links.resize(n);
  for (size_t i = 0; i < n && c.ok(); i++) {
    SpanLink& l = s->links[i];
    c.str(&l.trace_id);
    c.str(&l.span_id);
    c.str(&l.trace_state);
    l.flags = c.u32();
    c.attrs(&l.attributes);
    l.dropped_attributes_count = c.u32();
  }
  if (!c.ok()) return false;
  *p = c.pos();
  return true;
}

void encode_span(std::string* out, const Span& s) {
  put_length_prefixed(*out, s.trace_id);
  put_length_prefixed(*out, s.span_id);
  put_length_prefixed(*out, s.parent_span_id);
  put_length_prefixed(*out, s.trace_state);
  put_varint64(*out, s.flags);
  put_length_prefixed(*out, s.service);
  put_length_prefixed(*out, s.name);
  out->push_back(static_cast<char>(static_cast<uint8_t>(s.kind) |
                                   (static_cast<uint8_t>(s.status_code) << 3) |
                                   (static_cast<uint8_t>(s.origin) << 5)));
  put_varsint64(*out, s.start_ns);
  put_varint64(*out, static_cast<uint64_t>(s.end_ns) - static_cast<uint64_t>(s.start_ns));
  put_length_prefixed(*out, s.status_message);
  put_length_prefixed(*out, s.scope_name);
  put_length_prefixed(*out, s.scope_version);
  put_attrs(out, s.resource_attributes);
  put_attrs(out, s.attributes);
  encode_span_extras(out, s);
}

bool decode_span(const char** p, const char* end, Span* s) {
  Cursor c(*p, end);
  c.str(&s->trace_id);
  c.str(&s->span_id);
  c.str(&s->parent_span_id);
  c.str(&s->trace_state);
  s->flags = c.u32();
  c.str(&s->service);
  c.str(&s->name);
  const uint8_t packed = c.byte();
  const uint8_t kind = packed & 7, status = (packed >> 3) & 3, origin = (packed >> 5) & 3;
  if (kind > kMaxSpanKind || status > kMaxSpanStatusCode || origin > kMaxSpanOrigin ||
      (packed & 0x80) != 0) {
    return false;
  }
  s->kind = static_cast<SpanKind>(kind);
  s->status_code = static_cast<SpanStatusCode>(status);
  s->origin = static_cast<SpanOrigin>(origin);
  s->start_ns = c.svarint();
  s->end_ns = static_cast<int64_t>(static_cast<uint64_t>(s->start_ns) + c.varint());
  c.str(&s->status_message);
  c.str(&s->scope_name);
  c.str(&s->scope_version);
  c.attrs(&s->resource_attributes);
  c.attrs(&s->attributes);
  if (!c.ok()) return false;
  const char* q = c.pos();
  if (!decode_span_extras(&q, end, s)) return false;
  *p = q;
  return true;
}

uint64_t span_memory_bytes(const Span& s) {
  uint64_t n = sizeof(Span) + str_memory(s.trace_id) + str_memory(s.parent_span_id) +
               str_memory(s.trace_state) + str_memory(s.service) + str_memory(s.name) +
               str_memory(s.status_message) + str_memory(s.scope_name) +
               str_memory(s.scope_version) + attrs_memory(s.resource_attributes) +
               attrs_memory(s.attributes);
  n += s.events.capacity() * sizeof(SpanEvent) + s.links.capacity() * sizeof(SpanLink);
  for (const auto& e : s.events) n += str_memory(e.name) + attrs_memory(e.attributes);
  for (const auto& l : s.links) n += str_memory(l.trace_state) + attrs_memory(l.attributes);
  // One malloc header per allocation, roughly.
  n += 16 * (2 + s.attributes.size() + s.resource_attributes.size());
  return n;
}

}  // namespace opsight::storage::tracestore
