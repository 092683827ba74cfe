#pragma once
// The in-memory head of the log store: events committed since the last flush, per log group,
// as immutable chunks (one per committed stream batch, rows sorted by timestamp). A chunk is
// never modified after it is published, so a scan pins the chunks it needs by shared_ptr and
// reads them without the store lock.
//
// Thread safety: Head is guarded by the store mutex; HeadChunk is immutable once shared.

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "storage/log_store.h"

namespace opsight::storage::logstore {

struct HeadRow {
  int64_t timestamp_ms = 0;
  int64_t ingestion_time_ms = 0;
  int32_t severity_number = 0;
  std::string message, severity_text, trace_id, span_id;
  std::vector<LogAttribute> fields;  // attributes, then fields discovered in the message
};

// Converts a written event: attributes first, then discover_fields() of the message (a
// discovered field whose name equals an attribute's is dropped).
HeadRow make_head_row(LogEvent&& event);

struct HeadChunk {
  uint32_t stream_id = 0;
  std::vector<HeadRow> rows;  // sorted by timestamp
  int64_t min_time = 0, max_time = 0, max_ingestion = 0;
  uint64_t memory_bytes = 0;  // estimate, for the head's byte bound
  uint64_t stored_bytes = 0;  // message bytes + kEventOverheadBytes per row

  // Sorts `rows` (stably) and computes the summary fields.
  void seal();
};

struct HeadGroup {
  std::vector<std::shared_ptr<const HeadChunk>> chunks;
};

struct Head {
  std::unordered_map<uint64_t, HeadGroup> groups;  // by group id
  uint64_t memory_bytes = 0;
  uint64_t rows = 0;
  int64_t first_append_ms = 0;  // clock time of the first append since the head was created

  bool empty() const { return rows == 0; }
  void add(uint64_t group_id, std::shared_ptr<const HeadChunk> chunk);
};

}  // namespace opsight::storage::logstore
