#include "storage/tracestore/head.h"

#include <algorithm>

#include "storage/tracestore/span_codec.h"

namespace opsight::storage::tracestore {

std::shared_ptr<HeadChunk> HeadChunk::make(std::vector<Span> spans) {
  auto c = std::make_shared<HeadChunk>();
  c->spans = std::move(spans);
  c->min_start = INT64_MAX;
  c->max_start = INT64_MIN;
  c->memory_bytes = sizeof(HeadChunk) + c->spans.capacity() * sizeof(Span);
  for (const Span& s : c->spans) {
    c->min_start = std::min(c->min_start, s.start_ns);
    c->max_start = std::max(c->max_start, s.start_ns);
    c->memory_bytes += span_memory_bytes(s) - sizeof(Span);
  }
  return c;
}

void Head::add(const Tenant& tenant, std::shared_ptr<const HeadChunk> chunk) {
  HeadTenant& t = tenants[tenant];
  const uint32_t ci = static_cast<uint32_t>(t.chunks.size());
  uint64_t index_bytes = 0;
  for (uint32_t i = 0; i < chunk->spans.size(); i++) {
    auto [it, fresh] = t.by_trace.try_emplace(TraceKey::of(chunk->spans[i].trace_id));
    it->second.emplace_back(ci, i);
    index_bytes += fresh ? 64 + 8 : 8;
  }
  memory_bytes += chunk->memory_bytes + index_bytes;
  spans += chunk->spans.size();
  t.chunks.push_back(std::move(chunk));
}

void Head::get_trace(const Tenant& tenant, std::string_view trace_id,
                     std::vector<Span>* out) const {
  auto t = tenants.find(tenant);
  if (t == tenants.end()) return;
  auto it = t->second.by_trace.find(TraceKey::of(trace_id));
  if (it == t->second.by_trace.end()) return;
  for (auto [ci, si] : it->second) out->push_back(t->second.chunks[ci]->spans[si]);
}

}  // namespace opsight::storage::tracestore
