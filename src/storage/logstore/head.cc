#include "storage/logstore/head.h"

#include <algorithm>

#include "common/coding.h"
#include "storage/logstore/block.h"

namespace opsight::storage::logstore {
namespace {

// What malloc adds to an allocation (glibc: a 16-byte header, rounding to 16).
constexpr uint64_t kMallocOverhead = 16;

}  // namespace

Result<std::shared_ptr<HeadChunk>> HeadChunk::parse(std::string encoded) {
  auto c = std::make_shared<HeadChunk>();
  c->encoded = std::move(encoded);
  const char* p = c->encoded.data();
  const char* end = p + c->encoded.size();
  auto corrupt = [](const std::string& what) {
    return Status::corruption("log events: malformed " + what);
  };
  auto u = [&](uint64_t* v) {
    if (p != nullptr) p = get_varint64(p, end, v);
    return p != nullptr;
  };
  auto i64 = [&](int64_t* v) {
    uint64_t x = 0;
    if (!u(&x)) return false;
    *v = zigzag_decode(x);
    return true;
  };
  auto str = [&](std::string_view* s) {
    if (p != nullptr) p = get_length_prefixed(p, end, s);
    return p != nullptr;
  };
  uint64_t count = 0;
  if (!u(&count) || count > static_cast<uint64_t>(end - p)) return corrupt("event count");
  c->rows.resize(count);
  for (uint64_t j = 0; j < count; j++) {
    HeadRow& r = c->rows[j];
    int64_t sev = 0;
    uint64_t nattr = 0;
    if (!i64(&r.timestamp_ms) || !i64(&r.ingestion_time_ms) || !str(&r.message) ||
        !str(&r.severity_text) || !i64(&sev) || !str(&r.trace_id) || !str(&r.span_id) ||
        !u(&nattr) || nattr > static_cast<uint64_t>(end - p)) {
      return corrupt("event " + std::to_string(j));
    }
    r.severity_number = static_cast<int32_t>(sev);
    if (c->attributes.size() + nattr > UINT32_MAX) return corrupt("attribute count");
    r.attr_begin = static_cast<uint32_t>(c->attributes.size());
    r.attr_count = static_cast<uint32_t>(nattr);
    for (uint64_t k = 0; k < nattr; k++) {
      LogField f;
      if (!str(&f.name) || !str(&f.value))
        return corrupt("attribute of event " + std::to_string(j));
      c->attributes.push_back(f);
    }
  }
  if (p != end) return corrupt("events (trailing bytes)");
  if (!std::is_sorted(c->rows.begin(), c->rows.end(), [](const HeadRow& a, const HeadRow& b) {
        return a.timestamp_ms < b.timestamp_ms;
      })) {
    std::stable_sort(c->rows.begin(), c->rows.end(), [](const HeadRow& a, const HeadRow& b) {
      return a.timestamp_ms < b.timestamp_ms;
    });
  }
  c->stored_bytes = 0;
  c->max_ingestion = INT64_MIN;
  for (const HeadRow& r : c->rows) {
    c->stored_bytes += r.message.size() + kEventOverheadBytes;
    c->max_ingestion = std::max(c->max_ingestion, r.ingestion_time_ms);
  }
  c->min_time = c->rows.empty() ? 0 : c->rows.front().timestamp_ms;
  c->max_time = c->rows.empty() ? 0 : c->rows.back().timestamp_ms;
  // The chunk, its control block (make_shared: one allocation) and three arrays.
  c->memory_bytes = sizeof(HeadChunk) + 4 * kMallocOverhead + c->encoded.capacity() +
                    c->rows.capacity() * sizeof(HeadRow) +
                    c->attributes.capacity() * sizeof(LogField);
  return c;
}

void Head::add(uint64_t group_id, std::shared_ptr<const HeadChunk> chunk) {
  memory_bytes += chunk->memory_bytes;
  rows += chunk->rows.size();
  groups[group_id].chunks.push_back(std::move(chunk));
}

}  // namespace opsight::storage::logstore
