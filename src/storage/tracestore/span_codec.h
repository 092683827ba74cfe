#pragma once
// The row encoding of one span, used by the trace store's WAL records (byte layout:
// docs/format/tracestore.md "Span encoding"). The tenant is not part of it (a WAL entry names
// the tenant of all its spans).
//
// Safety: decode_span never reads outside [p, end) and fails (false) on malformed bytes or
// out-of-range enums; counts are bounded by the bytes left, so a hostile input cannot make it
// allocate more than a small multiple of its size.
//
// Thread safety: pure functions.

#include <cstdint>
#include <string>

#include "storage/trace_store.h"

namespace opsight::storage::tracestore {

void encode_span(std::string* out, const Span& span);
// Decodes one span starting at *p, advancing *p past it. False when malformed.
bool decode_span(const char** p, const char* end, Span* span);

// Pieces of the span encoding that blocks reuse: an attribute list (count, then key, a byte
// type | indexed << 7, value), and a span's "extras" (dropped counts, events with times relative
// to start_ns, links). decode_span_extras needs span->start_ns set.
void encode_attributes(std::string* out, const std::vector<SpanAttribute>& attrs);
bool decode_attributes(const char** p, const char* end, std::vector<SpanAttribute>* attrs);
void encode_span_extras(std::string* out, const Span& span);
bool decode_span_extras(const char** p, const char* end, Span* span);
// True when the span has something encode_span_extras writes besides zeros.
bool has_span_extras(const Span& span);

// Approximate heap bytes a decoded Span holds (for the head's memory bound).
uint64_t span_memory_bytes(const Span& span);

}  // namespace opsight::storage::tracestore
