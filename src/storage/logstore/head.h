#pragma once
// The in-memory head of the log store: events committed since the last flush, per log group,
// as immutable chunks (one per committed stream batch, rows sorted by timestamp). A chunk is
// never modified after it is published, so a scan pins the chunks it needs by shared_ptr and
// reads them without the store lock.
//
// Memory: a chunk owns ONE buffer, the encoded events exactly as its WAL entry carries them
// (wal_ops.h: count + events); its rows are views into that buffer, so an event is copied once
// on the write path (into the buffer) and the WAL record and the head share the encoding.
// `memory_bytes` counts what the chunk really allocates (buffer, row and attribute arrays by
// capacity, plus a malloc overhead per allocation), so head_max_bytes bounds real memory.
// Fields discovered in JSON messages are not kept: scans compute them from the message.
//
// Thread safety: Head is guarded by the store mutex; HeadChunk is immutable once shared.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "storage/log_store.h"

namespace opsight::storage::logstore {

// One event of a chunk; the views point into HeadChunk::encoded.
struct HeadRow {
  int64_t timestamp_ms = 0;
  int64_t ingestion_time_ms = 0;
  int32_t severity_number = 0;
  uint32_t attr_begin = 0, attr_count = 0;  // into HeadChunk::attributes
  std::string_view message, severity_text, trace_id, span_id;
};

struct HeadChunk {
  uint32_t stream_id = 0;
  std::string encoded;               // count + events (wal_ops.h encode_event)
  std::vector<HeadRow> rows;         // sorted by timestamp (stable)
  std::vector<LogField> attributes;  // source attributes of all rows, views into `encoded`
  int64_t min_time = 0, max_time = 0, max_ingestion = 0;
  uint64_t memory_bytes = 0;  // real allocation (see above)
  uint64_t stored_bytes = 0;  // message bytes + kEventOverheadBytes per row

  // Parses `encoded` (a count and that many encoded events, every ingestion time set), sorts
  // the rows by timestamp (stably) and computes the summary fields. Corruption on malformed
  // bytes.
  static Result<std::shared_ptr<HeadChunk>> parse(std::string encoded);

  std::span<const LogField> attributes_of(const HeadRow& r) const {
    return std::span<const LogField>(attributes).subspan(r.attr_begin, r.attr_count);
  }
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
