#pragma once
// The in-memory head of the trace store: spans committed since the last flush, per tenant, as
// immutable chunks (one per committed batch), plus an index from trace id to the spans of that
// trace in the head, so get-trace never scans the head.
//
// A chunk is never modified after it is published, so a scan pins the chunks it needs by
// shared_ptr and reads them without the store lock. `memory_bytes` approximates what the
// decoded spans really allocate (span_codec.h span_memory_bytes), so head_max_bytes bounds
// real memory.
//
// Thread safety: Head is guarded by the store mutex; HeadChunk is immutable once shared.

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/trace_store.h"

namespace opsight::storage::tracestore {

struct HeadChunk {
  std::vector<Span> spans;  // one tenant's, tenant set on each
  int64_t min_start = 0, max_start = 0;
  uint64_t memory_bytes = 0;

  // Computes the summary fields from `spans` (at least one).
  static std::shared_ptr<HeadChunk> make(std::vector<Span> spans);
};

// A 16-byte trace id as two words (a hash-map key without allocation).
struct TraceKey {
  uint64_t hi = 0, lo = 0;
  static TraceKey of(std::string_view id) {
    TraceKey k;
    if (id.size() == 16) {
      std::memcpy(&k.hi, id.data(), 8);
      std::memcpy(&k.lo, id.data() + 8, 8);
    }
    return k;
  }
  bool operator==(const TraceKey&) const = default;
};
struct TraceKeyHash {
  size_t operator()(const TraceKey& k) const {
    return static_cast<size_t>(k.hi * 0x9e3779b97f4a7c15ull ^ k.lo);
  }
};

struct HeadTenant {
  std::vector<std::shared_ptr<const HeadChunk>> chunks;
  // Trace -> (chunk index, span index) of its spans, in append order.
  std::unordered_map<TraceKey, std::vector<std::pair<uint32_t, uint32_t>>, TraceKeyHash> by_trace;
};

struct Head {
  std::map<Tenant, HeadTenant> tenants;
  uint64_t memory_bytes = 0;
  uint64_t spans = 0;
  int64_t first_append_ms = 0;  // clock time of the first append since the head was created

  bool empty() const { return spans == 0; }
  void add(const Tenant& tenant, std::shared_ptr<const HeadChunk> chunk);
  // Appends copies of the trace's spans to *out.
  void get_trace(const Tenant& tenant, std::string_view trace_id, std::vector<Span>* out) const;
};

}  // namespace opsight::storage::tracestore
