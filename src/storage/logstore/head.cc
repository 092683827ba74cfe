#include "storage/logstore/head.h"

#include <algorithm>

#include "storage/log_fields.h"
#include "storage/logstore/block.h"

namespace opsight::storage::logstore {

HeadRow make_head_row(LogEvent&& e) {
  HeadRow r;
  r.timestamp_ms = e.timestamp_ms;
  r.ingestion_time_ms = e.ingestion_time_ms;
  r.severity_number = e.severity_number;
  r.message = std::move(e.message);
  r.severity_text = std::move(e.severity_text);
  r.trace_id = std::move(e.trace_id);
  r.span_id = std::move(e.span_id);
  r.fields = std::move(e.attributes);
  discover_fields(r.message, &r.fields);
  return r;
}

void HeadChunk::seal() {
  std::stable_sort(rows.begin(), rows.end(), [](const HeadRow& a, const HeadRow& b) {
    return a.timestamp_ms < b.timestamp_ms;
  });
  memory_bytes = sizeof(HeadChunk);
  stored_bytes = 0;
  max_ingestion = INT64_MIN;
  for (const HeadRow& r : rows) {
    uint64_t b = sizeof(HeadRow) + r.message.size() + r.severity_text.size() + r.trace_id.size() +
                 r.span_id.size();
    for (const auto& f : r.fields) b += sizeof(LogAttribute) + f.key.size() + f.value.size();
    memory_bytes += b;
    stored_bytes += r.message.size() + kEventOverheadBytes;
    max_ingestion = std::max(max_ingestion, r.ingestion_time_ms);
  }
  min_time = rows.empty() ? 0 : rows.front().timestamp_ms;
  max_time = rows.empty() ? 0 : rows.back().timestamp_ms;
}

void Head::add(uint64_t group_id, std::shared_ptr<const HeadChunk> chunk) {
  memory_bytes += chunk->memory_bytes;
  rows += chunk->rows.size();
  groups[group_id].chunks.push_back(std::move(chunk));
}

}  // namespace opsight::storage::logstore
