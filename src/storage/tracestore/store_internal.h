#pragma once
// Internals shared by the store*.cc files: the engine's self metrics (its probe), the snapshot
// file constants. Not API.

#include <string_view>

#include "common/self_metrics.h"
#include "common/status.h"
#include "storage/trace_store.h"

namespace opsight::storage::tracestore {

struct Probe {
  metrics::Gauge* head_bytes;
  metrics::Gauge* head_spans;
  metrics::Gauge* blocks;
  metrics::Gauge* block_bytes;
  metrics::Counter* spans_appended;
  metrics::Counter* commits_rejected;  // head full
  metrics::Counter* flushes;
  metrics::Counter* flush_failures;
  metrics::Counter* retention_deleted;
  metrics::Counter* wal_replay_skipped;
  metrics::Counter* trace_lookups;
  metrics::Counter* lookup_blocks_read;
  metrics::Counter* scans;
  metrics::Counter* scan_blocks_read;
  metrics::Counter* scan_blocks_skipped;
  metrics::Histogram* flush_seconds;
};

// Registered once in metrics::Registry::global().
Probe& probe();

Status check_tenant(const Tenant& t);

inline constexpr std::string_view kSnapshotFile = "CATALOG";
inline constexpr std::string_view kSnapshotMagic = "OPSTCAT1";
inline constexpr uint64_t kSnapshotVersion = 1;

}  // namespace opsight::storage::tracestore
