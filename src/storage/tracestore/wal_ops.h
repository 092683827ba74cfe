#pragma once
// The trace store's WAL record (its own WAL directory, <dir>/wal): one record per commit() or
// retention change, a list of entries applied in order. Byte layout: docs/format/tracestore.md
// ("WAL record").
//
// Thread safety: plain functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/trace_store.h"

namespace opsight::storage::tracestore {

inline constexpr uint8_t kWalRecordV1 = 0x54;  // 'T'
inline constexpr uint8_t kWalSpansEntry = 1;
inline constexpr uint8_t kWalRetentionEntry = 2;

struct WalEntry {
  uint8_t type = kWalSpansEntry;
  Tenant tenant;
  int retention_days = 0;   // kWalRetentionEntry
  std::vector<Span> spans;  // kWalSpansEntry; tenant set on each
};

// A record of one spans entry: what WalRecordWriter::add_spans + finish give for
// (tenant, varint count + encoded_spans), built with one allocation and one copy of the spans.
std::string spans_wal_record(const Tenant& tenant, uint64_t count, std::string_view encoded_spans);

class WalRecordWriter {
 public:
  // `encoded_spans` is a count followed by that many encode_span() encodings.
  void add_spans(const Tenant& tenant, std::string_view encoded_spans);
  void add_retention(const Tenant& tenant, int days);
  std::string finish() const;

 private:
  std::string body_;
  uint64_t n_ = 0;
};

// Corruption naming the part on malformed input; never reads out of bounds.
Status decode_wal_record(std::string_view payload, std::vector<WalEntry>* out);

}  // namespace opsight::storage::tracestore
