#pragma once
// tracestore::Store — the embedded trace engine, implementing storage::TraceStore.
//
// Design (after the log engine, storage/logstore; on-disk format in docs/format/tracestore.md)
// - Write path: an appender validates and encodes its spans once (span_codec.h); commit() under
//   mu_ enqueues ONE WAL record, adds the spans to the head as one immutable chunk, releases mu_
//   and waits until the record is durable (group commit in the WAL). A 2xx is sent only after
//   that.
// - Head: spans per tenant in chunks, with an index trace id -> spans (head.h).
// - Flush: under mu_ the WAL is rotated (segment S) and the head frozen together with a copy of
//   the retention table; the frozen head is written into blocks, one per tenant and time
//   partition of span start (split at block_max_spans on trace boundaries), rows sorted by
//   trace id (block.h); then the CATALOG snapshot = {retention table, S, live block ids} is
//   written atomically. That write is the commit point: at open, block files the snapshot does
//   not list are leftovers and are deleted, and the WAL is replayed from S. Only then are the
//   WAL segments before S deleted. A failed flush keeps the frozen head (still read, still in
//   the WAL) and is retried by the next flush.
// - Get-trace: the head's index, the frozen head's, then every block of the tenant whose trace
//   Bloom filter may hold the id (filters are in memory), confirmed by a binary search of the
//   block's sorted trace table; only blocks that hold the trace are decoded.
// - Scans pin blocks and head chunks (shared_ptr) under mu_, then read them without the lock,
//   skipping blocks by their filters (time range, services, names, status bits, duration range,
//   attribute Bloom filter).
// - Retention: per tenant (default Options::default_retention_days); reads drop spans older than
//   the cutoff at once; blocks whose newest span start is past it are deleted by
//   enforce_retention() (background, every retention_check_interval_ms).
//
// Concurrency: Store is thread-safe. mu_ guards the retention table, heads and block lists and
// is never held during block I/O or while waiting for the WAL. maint_mu_ serialises flush,
// retention and every snapshot write (lock order: maint_mu_, then mu_). An appender or scanner
// must not outlive its Store.
//
// Limitations: no compaction yet (blocks stay as flushed: one per tenant, partition and flush);
// a scan may return both versions of a span appended twice (get_trace returns the last).

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/background_worker.h"
#include "common/clock.h"
#include "common/env.h"
#include "storage/trace_store.h"
#include "storage/tracestore/block.h"
#include "storage/tracestore/head.h"
#include "storage/wal/wal.h"

namespace opsight::storage::tracestore {

struct Options {
  std::string dir;  // <data-dir>/traces
  Env* env = Env::posix();
  Clock* clock = Clock::real();
  wal::SyncPolicy wal_sync = wal::SyncPolicy::kFsync;
  int64_t wal_sync_interval_ms = 1000;
  // Flush when the head holds this many bytes or its oldest append is this old. With
  // `background`, commits fail ResourceExhausted while the head and a pending flush together
  // hold more than 2 x head_max_bytes (flushing cannot keep up).
  uint64_t head_max_bytes = 256ull << 20;
  int64_t head_flush_age_ms = 10 * 60 * 1000;
  // A block holds at most this many spans (more only when one trace is larger): get-trace
  // decodes a whole block, so this bounds its cost.
  size_t block_max_spans = 100'000;
  int64_t partition_ms = 3600 * 1000;  // a block never spans two partitions of span start
  int zstd_level = 6;
  int trace_filter_bits = 10;  // Bloom bits per trace id; 0 = no filter
  int attr_filter_bits = 10;   // Bloom bits per indexed key=value; 0 = no filter
  int default_retention_days = kDefaultTraceRetentionDays;
  int64_t retention_check_interval_ms = 5 * 60 * 1000;
  // Run flush and retention on a thread. Without it (tests) they run only when called, except
  // that commit() flushes inline once the head is over head_max_bytes.
  bool background = true;
  // Fault injection for tests, called at named points ("flush.frozen": head frozen, nothing
  // written; "flush.written": blocks durable, snapshot not yet written). A non-ok Status aborts
  // the operation there, leaving the disk as a crash at that point would.
  std::function<Status(std::string_view point)> fault_hook;
};

struct BlockInfo {
  uint64_t id = 0;
  Tenant tenant;
  int64_t min_start = 0, max_start = 0;
  uint64_t rows = 0, traces = 0;
  uint64_t file_bytes = 0;
};

class StoreAppender;
class StoreScanner;

class Store final : public storage::TraceStore {
 public:
  // Creates the directory if needed, takes its lock, loads the CATALOG snapshot and the blocks
  // it lists (deleting leftovers), and replays the WAL from the snapshot's segment.
  static Result<std::unique_ptr<Store>> open(const Options& options);
  // Stops the background thread; does NOT flush (that is close()): destroying an open Store is
  // what a crash looks like to the next open().
  ~Store() override;

  std::unique_ptr<TraceAppender> appender(const Tenant& tenant) override;
  Result<std::vector<Span>> get_trace(const Tenant& tenant, std::string_view trace_id) override;
  Result<std::unique_ptr<TraceScanner>> scan(const SpanScan& scan) override;
  Status put_retention(const Tenant& tenant, int days) override;
  int retention_days(const Tenant& tenant) const override;
  TraceStoreStats stats() const override;
  // Flushes the head, then stops; later calls fail Unavailable.
  Status close() override;

  // Maintenance, run by the background thread or directly (tests, tools, the admin API).
  Status flush();
  Status enforce_retention();

  // Introspection.
  std::vector<BlockInfo> blocks() const;
  const wal::ReplayStats& replay_stats() const { return replay_stats_; }
  const Options& options() const { return opts_; }

 private:
  friend class StoreAppender;
  friend class StoreScanner;

  struct PendingFlush {
    std::shared_ptr<const Head> head;
    std::map<Tenant, int> retention;  // as of `segment`
    uint64_t segment = 0;
    uint64_t marker_lsn = 0;  // an empty record that makes segment `segment` exist on disk
    bool written = false;
    std::vector<std::shared_ptr<TraceBlock>> blocks;  // written, not yet in a snapshot
  };

  explicit Store(const Options& options);
  Status open_impl();
  Status load_snapshot(std::vector<uint64_t>* block_ids);
  Status load_blocks(const std::vector<uint64_t>& ids);
  Status replay_wal();
  // `wal_record` is spans_wal_record(tenant, spans) (wal_ops.h).
  Status commit(const Tenant& tenant, std::string wal_record, std::vector<Span> spans);
  int retention_locked(const Tenant& tenant) const;
  int64_t cutoff_ns_locked(const Tenant& tenant, int64_t now_ms) const;

  Status hook(std::string_view point);
  Status flush_locked();  // requires maint_mu_
  Status write_pending_blocks();
  Status retention_locked_maint();
  Status publish_snapshot(const std::map<Tenant, int>& retention, uint64_t segment,
                          const std::vector<std::shared_ptr<TraceBlock>>& extra);
  Status write_snapshot(const std::map<Tenant, int>& retention, uint64_t segment,
                        const std::vector<uint64_t>& block_ids);
  Status write_block(const Tenant& tenant, std::span<const Span* const> rows,
                     std::vector<std::shared_ptr<TraceBlock>>* out);
  void remove_files(const std::vector<std::shared_ptr<TraceBlock>>& blocks);
  void background_work();
  std::string blocks_dir() const;
  uint64_t head_bytes_locked() const;
  void update_gauges_locked();

  const Options opts_;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<wal::Wal> wal_;
  wal::ReplayStats replay_stats_;

  mutable std::mutex mu_;
  bool closed_ = false;                              // GUARDED_BY(mu_)
  std::map<Tenant, int> retention_;                  // GUARDED_BY(mu_) non-default only
  bool retention_dirty_ = false;                     // GUARDED_BY(mu_) changed since last flush
  std::shared_ptr<Head> head_;                       // GUARDED_BY(mu_)
  std::shared_ptr<const Head> frozen_;               // GUARDED_BY(mu_) head being flushed
  std::vector<std::shared_ptr<TraceBlock>> blocks_;  // GUARDED_BY(mu_) live blocks
  std::vector<std::shared_ptr<TraceBlock>> doomed_;  // GUARDED_BY(mu_) files to delete

  // GUARDED_BY(maint_mu_)
  std::mutex maint_mu_;
  std::optional<PendingFlush> pending_;
  std::map<Tenant, int> persisted_retention_;  // the table in the current snapshot
  uint64_t persisted_segment_ = 0;
  std::atomic<uint64_t> next_block_id_{1};
  std::atomic<int64_t> last_flush_ms_{0};
  int64_t last_retention_ms_ = 0;

  std::unique_ptr<BackgroundWorker> worker_;
};

}  // namespace opsight::storage::tracestore
