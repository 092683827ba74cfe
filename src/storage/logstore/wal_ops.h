#pragma once
// The log store's WAL record (its own WAL directory, <dir>/wal): one record per commit() or
// catalog change, a list of entries applied in order. Byte layout: docs/format/logstore.md
// ("WAL record"). A commit that creates a group or stream carries the CatalogOps before the
// events that use them, so auto-creation is atomic with the first events.
//
// Thread safety: plain functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/log_store.h"
#include "storage/logstore/catalog.h"

namespace opsight::storage::logstore {

inline constexpr uint8_t kWalRecordV1 = 0x01;
inline constexpr uint8_t kWalEventsEntry = 0x07;

struct WalEntry {
  bool is_events = false;
  CatalogOp op;  // when !is_events
  uint64_t group_id = 0;
  uint32_t stream_id = 0;
  std::vector<LogEvent> events;     // ingestion_time_ms already set; only with decode_events
  std::string_view encoded_events;  // count + encoded events (a view into the payload)
};

// Builds a record entry by entry.
class WalRecordWriter {
 public:
  void add_op(const CatalogOp& op);
  // `encoded_events` is the output of encode_events (a count and the events).
  void add_events(uint64_t group_id, uint32_t stream_id, std::string_view encoded_events);
  std::string finish() const;
  bool empty() const { return n_ == 0; }

 private:
  std::string body_;
  uint64_t n_ = 0;
};

// Appends one event (with its resolved ingestion time) to `out`; the events of one entry are
// preceded by their count (put_varint64) by the caller.
void encode_event(std::string* out, const LogEvent& e, int64_t ingestion_time_ms);

// Corruption naming the part on malformed input; never reads out of bounds. Without
// `decode_events`, event entries are checked and framed (encoded_events) but their `events` stay
// empty (replay parses them into a HeadChunk directly).
Status decode_wal_record(std::string_view payload, std::vector<WalEntry>* out,
                         bool decode_events = true);

}  // namespace opsight::storage::logstore
