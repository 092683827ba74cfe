#pragma once
// logstore::Store — the embedded log engine, implementing storage::LogStore.
//
// Design (after the metrics engine, storage/tsdb; on-disk format in docs/format/logstore.md)
// - Catalog: tenants -> groups -> streams (catalog.h). Every change is one WAL record, written
//   before it is applied; a commit that auto-creates a group or stream carries the creation in
//   the same record as the events, so it is atomic.
// - Write path: a StoreAppender encodes the events of each stream once (the WAL entry body,
//   which the head chunk keeps and views; nothing is parsed or discovered in messages), and
//   commit() under mu_ resolves names to ids, enqueues ONE WAL record, applies it to the catalog
//   and the head, releases mu_ and waits until the record is durable (group commit in the WAL).
// - Flush: under mu_ the WAL is rotated (segment S) and the head frozen together with a copy of
//   the catalog; the frozen head is written into blocks, one per group and time partition
//   (split at block_target_bytes), then the CATALOG snapshot = {catalog as of S, S, live block
//   ids} is written atomically. That write is the commit point: at open, block files the
//   snapshot does not list are leftovers and are deleted, and the WAL is replayed from S. Only
//   then are the WAL segments before S deleted. A flush that fails keeps the frozen head
//   (still scanned, still in the WAL) and is retried by the next flush.
// - Compaction merges the small blocks of one group and partition into blocks of up to
//   block_target_bytes (dropping rows of deleted streams and expired rows) at a higher zstd level;
//   retention deletes blocks whose newest event is past the group's retention. Both publish by
//   writing a new snapshot (with the catalog of the last flush and its S) before deleting files.
// - Scans pin blocks and head chunks (shared_ptr) under mu_, then merge them by timestamp
//   without the lock; expired events are filtered, so retention holds before files are deleted.
//   A scan decodes only the columns the caller reads (LogScan.need_message / need_fields) and
//   computes a record's JSON fields from its message only with need_fields (store_scan.cc).
// - Deleting a group removes it from the catalog (scans stop seeing it at once) and its blocks
//   from the live set; their files are deleted after the next snapshot no longer lists them.
//
// Concurrency: Store is thread-safe. mu_ guards the catalog, heads, block lists and counters and
// is never held during block I/O or while waiting for the WAL. maint_mu_ serialises flush,
// compaction, retention and every snapshot write (lock order: maint_mu_, then mu_). An appender
// or scanner must not outlive its Store.
//
// Limitations: indexed fields are recorded in the catalog but not yet used to skip blocks; the
// token filter covers messages only.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/env.h"
#include "storage/log_store.h"
#include "storage/logstore/block.h"
#include "storage/logstore/catalog.h"
#include "storage/logstore/head.h"
#include "storage/wal/wal.h"

namespace opsight::storage::logstore {

struct Options {
  std::string dir;  // <data-dir>/logs
  Env* env = Env::posix();
  Clock* clock = Clock::real();
  wal::SyncPolicy wal_sync = wal::SyncPolicy::kFsync;
  int64_t wal_sync_interval_ms = 1000;
  // Flush when the head holds this many bytes (its real allocation, head.h) or its oldest
  // append is this old.
  // With `background`, commits fail ResourceExhausted while the head and a pending flush
  // together hold more than 2 x head_max_bytes (flushing cannot keep up).
  uint64_t head_max_bytes = 256ull << 20;
  int64_t head_flush_age_ms = 10 * 60 * 1000;
  uint64_t block_target_bytes = 16ull << 20;  // uncompressed bytes of messages and attributes
  int64_t partition_ms = 3600 * 1000;         // a block never spans two partitions
  // zstd levels. Measured on the 1M-line benchmark workload (docs/format/logstore.md "Choice of
  // levels"): flushing at 6 instead of 3 saves 7 % of the bytes for ~1 CPU-s per 246 MB; a
  // recompression of every flushed block at 9 saves 3 % more for 5 CPU-s, at 19 24 % for 220.
  int flush_zstd_level = 6;
  int compact_zstd_level = 9;
  // zstd long-distance matching and window log for the message column of compacted blocks
  // (block.h BlockBuildOptions).
  bool compact_long_distance = false;
  int compact_window_log = 0;
  // Compaction also rewrites level-0 blocks too large to merge (>= block_target_bytes / 2), so
  // every block ends at compact_zstd_level; without it such blocks keep flush_zstd_level.
  bool recompress_flushed = false;
  int filter_bits_per_trigram = 10;  // token filter size; 0 = no filter
  int64_t retention_check_interval_ms = 5 * 60 * 1000;
  size_t max_indexed_fields = 20;  // CloudWatch's limit per group
  // Run flush, compaction and retention on a thread. Without it (tests) they run only when
  // called, except that commit() flushes inline once the head is over head_max_bytes.
  bool background = true;
  // Fault injection for tests, called at named points ("flush.frozen": head frozen, nothing
  // written; "flush.written": blocks durable, snapshot not yet written; "compact.written":
  // compacted blocks durable, snapshot not yet written). A non-ok Status aborts the operation
  // there, leaving the disk as a crash at that point would.
  std::function<Status(std::string_view point)> fault_hook;
};

struct BlockInfo {
  uint64_t id = 0;
  uint64_t group_id = 0;
  uint32_t level = 0;
  int64_t min_time = 0, max_time = 0;
  uint64_t rows = 0;
  uint64_t file_bytes = 0;
  uint64_t account_bytes = 0;
};

class StoreAppender;
class StoreScanner;

class Store final : public storage::LogStore {
 public:
  // Creates the directory if needed, takes its lock, loads the CATALOG snapshot and the blocks
  // it lists (deleting leftovers), and replays the WAL from the snapshot's segment.
  static Result<std::unique_ptr<Store>> open(const Options& options);
  // Stops the background thread; does NOT flush (that is close()): destroying an open Store is
  // what a crash looks like to the next open().
  ~Store() override;

  Status create_group(const Tenant& tenant, std::string_view group, int retention_days) override;
  Status delete_group(const Tenant& tenant, std::string_view group) override;
  Status put_retention(const Tenant& tenant, std::string_view group, int retention_days) override;
  Status put_indexed_fields(const Tenant& tenant, std::string_view group,
                            std::vector<std::string> fields) override;
  Result<std::vector<LogGroupInfo>> describe_groups(const Tenant& tenant,
                                                    std::string_view prefix) override;
  Status create_stream(const Tenant& tenant, std::string_view group,
                       std::string_view stream) override;
  Status delete_stream(const Tenant& tenant, std::string_view group,
                       std::string_view stream) override;
  Result<std::vector<LogStreamInfo>> describe_streams(const Tenant& tenant, std::string_view group,
                                                      std::string_view prefix) override;
  std::unique_ptr<LogAppender> appender(const Tenant& tenant) override;
  Result<std::unique_ptr<LogScanner>> scan(const Tenant& tenant, const LogScan& scan) override;
  // Flushes the head, then stops; later calls fail Unavailable.
  Status close() override;

  // Maintenance, run by the background thread or directly (tests, tools).
  Status flush();
  Status compact();
  Status enforce_retention();

  // Introspection.
  std::vector<BlockInfo> blocks() const;
  uint64_t head_memory_bytes() const;
  const wal::ReplayStats& replay_stats() const { return replay_stats_; }
  const Options& options() const { return opts_; }

 private:
  friend class StoreAppender;
  friend class StoreScanner;

  // What an appender stages for one stream.
  struct Staged {
    std::string group, stream;
    bool create_missing = false;
    std::shared_ptr<HeadChunk> chunk;  // parsed rows; chunk->encoded is the WAL entry body
  };
  struct PendingFlush {
    std::shared_ptr<const Head> head;
    Catalog catalog;  // as of `segment`
    uint64_t segment = 0;
    uint64_t marker_lsn = 0;  // an empty record that makes segment `segment` exist on disk
    bool written = false;
    std::vector<std::shared_ptr<LogBlock>> blocks;  // written, not yet in a snapshot
  };

  explicit Store(const Options& options);
  Status open_impl();
  Status load_snapshot(std::vector<uint64_t>* block_ids);
  Status load_blocks(const std::vector<uint64_t>& ids);
  Status replay_wal();
  void apply_events_locked(uint64_t group_id, std::shared_ptr<HeadChunk> chunk);
  Status check_staging(const Tenant& tenant, std::string_view group, std::string_view stream,
                       bool create_missing);
  Status commit(const Tenant& tenant, std::vector<Staged>& staged);
  // Enqueues `op` in the WAL and applies it to the catalog (requires mu_); returns the LSN to
  // wait for after releasing mu_.
  Result<uint64_t> log_op_locked(const CatalogOp& op);

  Status hook(std::string_view point);
  Status flush_locked();          // requires maint_mu_
  Status write_pending_blocks();  // requires maint_mu_
  Status compact_locked();
  Status retention_locked();
  // Writes the CATALOG snapshot = {catalog, segment, ids of blocks_ and `extra`} atomically;
  // then deletes the files of the blocks that were doomed when the list was taken.
  Status publish_snapshot(const Catalog& catalog, uint64_t segment,
                          const std::vector<std::shared_ptr<LogBlock>>& extra);
  Status write_snapshot(const Catalog& catalog, uint64_t segment,
                        const std::vector<uint64_t>& block_ids);
  // Writes rows (sorted) of one group into blocks of at most block_target_bytes within one
  // partition each; the files are synced, the directory is not.
  Status write_blocks(uint64_t group_id, uint32_t level, bool compacted,
                      std::span<const BlockRowView> rows,
                      const std::unordered_map<uint32_t, std::string>& stream_names,
                      std::vector<std::shared_ptr<LogBlock>>* out);
  void remove_files(const std::vector<std::shared_ptr<LogBlock>>& blocks);
  Status run_compaction(const std::vector<std::shared_ptr<LogBlock>>& sources);
  void update_gauges_locked();
  void maybe_kick();
  void bg_loop();
  std::string blocks_dir() const;
  uint64_t head_bytes_locked() const;

  const Options opts_;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<wal::Wal> wal_;
  wal::ReplayStats replay_stats_;

  mutable std::mutex mu_;
  bool closed_ = false;                            // GUARDED_BY(mu_)
  Catalog catalog_;                                // GUARDED_BY(mu_)
  bool catalog_dirty_ = false;                     // GUARDED_BY(mu_) changed since last flush
  std::shared_ptr<Head> head_;                     // GUARDED_BY(mu_)
  std::shared_ptr<const Head> frozen_;             // GUARDED_BY(mu_) head being flushed
  std::vector<std::shared_ptr<LogBlock>> blocks_;  // GUARDED_BY(mu_) live blocks
  std::vector<std::shared_ptr<LogBlock>> doomed_;  // GUARDED_BY(mu_) files to delete

  // GUARDED_BY(maint_mu_)
  std::mutex maint_mu_;
  std::optional<PendingFlush> pending_;
  Catalog persisted_catalog_;  // the catalog in the current snapshot
  uint64_t persisted_segment_ = 0;
  std::atomic<uint64_t> next_block_id_{1};
  std::atomic<int64_t> last_flush_ms_{0};
  int64_t last_retention_ms_ = 0;

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool bg_stop_ = false;  // GUARDED_BY(bg_mu_)
  bool bg_kick_ = false;  // GUARDED_BY(bg_mu_)
  std::thread bg_;
};

}  // namespace opsight::storage::logstore
