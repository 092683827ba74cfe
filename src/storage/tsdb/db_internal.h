#pragma once
// Internals shared by the db*.cc files: self metrics (the engine's probe) and small helpers.
// Not part of the public API.

#include <string>

#include "common/self_metrics.h"

namespace opsight::storage::tsdb {

struct Probe {
  metrics::Gauge* series;
  metrics::Gauge* head_samples;
  metrics::Gauge* head_chunks;
  metrics::Gauge* head_bytes;
  metrics::Gauge* blocks;
  metrics::Gauge* block_bytes;
  metrics::Counter* appended;
  metrics::Counter* rejected_too_old;
  metrics::Counter* rejected_future;
  metrics::Counter* flushes;
  metrics::Counter* flush_failures;
  metrics::Counter* compactions;
  metrics::Counter* compaction_failures;
  metrics::Counter* retention_deleted;
  metrics::Counter* wal_replay_skipped;
  metrics::Histogram* flush_seconds;
  metrics::Histogram* compaction_seconds;
};

// Registered once in metrics::Registry::global().
Probe& probe();

// "14d", "2h", "90m", "30s", "1500ms".
std::string format_duration(int64_t ms);

}  // namespace opsight::storage::tsdb
