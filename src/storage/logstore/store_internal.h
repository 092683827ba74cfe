#pragma once
// Internals shared by the store*.cc files: the engine's self metrics (its probe). Not API.

#include "common/self_metrics.h"

namespace opsight::storage::logstore {

struct Probe {
  metrics::Gauge* head_bytes;
  metrics::Gauge* head_events;
  metrics::Gauge* blocks;
  metrics::Gauge* block_bytes;
  metrics::Counter* events_appended;
  metrics::Counter* message_bytes_appended;
  metrics::Counter* appends_rejected;  // head full
  metrics::Counter* flushes;
  metrics::Counter* flush_failures;
  metrics::Counter* compactions;
  metrics::Counter* compaction_failures;
  metrics::Counter* retention_deleted;
  metrics::Counter* wal_replay_skipped;
  metrics::Counter* scans;
  metrics::Counter* scan_blocks_read;
  metrics::Counter* scan_blocks_skipped;
  metrics::Counter* scan_bytes;
  metrics::Histogram* flush_seconds;
  metrics::Histogram* compaction_seconds;
};

// Registered once in metrics::Registry::global().
Probe& probe();

inline constexpr std::string_view kSnapshotFile = "CATALOG";
inline constexpr std::string_view kSnapshotMagic = "OPSLCAT1";
inline constexpr uint64_t kSnapshotVersion = 1;

}  // namespace opsight::storage::logstore
