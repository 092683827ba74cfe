#pragma once
// tsdb::Db — the embedded metrics engine, implementing storage::MetricStore.
//
// Design (after Prometheus's TSDB and LevelDB; format and rationale in docs/format/tsdb.md)
// - Write path: an Appender stages samples (per-sample time-window checks), and commit() under
//   the Db mutex resolves series refs in the shared registry (MemIndex), encodes ONE WAL record
//   (series definitions for refs first used in the current WAL segment, samples, metadata),
//   enqueues it, applies it to the active Head and releases the mutex; then it waits until the
//   record is durable. Tenants are the reserved labels __account__/__region__ of a series.
// - Flush: under the mutex the WAL is rotated and the active head is frozen (a new one takes
//   the appends); the frozen head is written into level-0 blocks, one per block_range_ms
//   partition it touches; the blocks are published and the frozen head dropped in one step
//   under the mutex; then the WAL segments before the rotation are deleted. A failed flush keeps
//   the frozen head (still queried, still in the WAL) and is retried by the next flush.
// - Reads merge, per series, blocks (ascending priority) < frozen head < active head, the later
//   source winning on equal timestamps ("last write wins").
// - Compaction folds overlapping blocks and merges complete windows into larger blocks
//   (compact.h); a new block is durable before its sources are deleted, and open() deletes
//   blocks listed as sources of another block, so a crash in between neither loses nor
//   duplicates data. Retention deletes blocks older than retention_ms.
//
// Concurrency: Db is thread-safe. mu_ guards the registry, the heads, the block list and the
// metadata; it is never held during block I/O or while waiting for the WAL. maint_mu_
// serialises flush, compaction and retention (lock order: maint_mu_, then mu_). An Appender or
// Querier must not outlive its Db.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/env.h"
#include "storage/metric_store.h"
#include "storage/tsdb/bitmap.h"
#include "storage/tsdb/block.h"
#include "storage/tsdb/exemplar_store.h"
#include "storage/tsdb/head.h"
#include "storage/tsdb/index.h"
#include "storage/tsdb/page_cache.h"
#include "storage/wal/wal.h"

namespace opsight::storage::tsdb {

inline constexpr int64_t kHourMs = 3600 * 1000;
inline constexpr int64_t kDayMs = 24 * kHourMs;
inline constexpr uint64_t kWalSegmentBytes = 128ull << 20;  // commit() rotates past this

struct Options {
  std::string dir;  // <data-dir>/metrics
  Env* env = Env::posix();
  Clock* clock = Clock::real();
  wal::SyncPolicy wal_sync = wal::SyncPolicy::kFsync;
  int64_t wal_sync_interval_ms = 1000;
  int64_t retention_ms = 15 * kDayMs;    // blocks whose max time is older are deleted
  int64_t block_range_ms = 2 * kHourMs;  // time partition of level-0 blocks
  int64_t out_of_order_window_ms = 14 * kDayMs;
  int64_t future_window_ms = 2 * kHourMs;
  int64_t head_flush_interval_ms = 2 * kHourMs;  // also flush when head_max_bytes is passed
  uint64_t head_max_bytes = 256ull << 20;
  bool background = true;  // run flush/compaction/retention on a thread
  uint64_t page_cache_bytes = 64ull << 20;
  size_t max_exemplars = 100'000;  // exemplar ring (exemplar_store.h); 0 = keep none
  int flush_zstd_level = 3;        // level-0 blocks (written often, compacted later)
  int compact_zstd_level = 9;      // compaction output
  // Fault injection for tests: called at named points ("flush.frozen": head frozen, nothing
  // written; "flush.written": blocks durable, not yet published; "compact.written": compacted
  // block durable, sources not yet deleted). A non-ok Status aborts the operation right there,
  // leaving the disk as a crash at that point would.
  std::function<Status(std::string_view point)> fault_hook;
};

class Db final : public storage::MetricStore {
 public:
  // Creates the directory if needed, takes its lock, removes stray temporary and superseded
  // blocks, opens the blocks, replays the WAL into the head, flushes if the head is big.
  static Result<std::unique_ptr<Db>> open(const Options& options);
  // Stops the background thread. Does NOT flush (that is close()): destroying an open Db is
  // what a crash looks like to the next open().
  ~Db() override;

  std::unique_ptr<Appender> appender(const Tenant& tenant) override;
  Result<std::unique_ptr<Querier>> querier(const QueryScope& scope, int64_t mint,
                                           int64_t maxt) override;
  StoreStats stats() override;
  Status close() override;

  // Persists the head into blocks now.
  Status flush();
  // One round of retention and compaction now (compacts until nothing is left to plan).
  Status compact();

  // Introspection for tests and tools.
  std::vector<BlockMeta> block_metas() const;
  const wal::ReplayStats& replay_stats() const { return replay_stats_; }
  uint64_t head_memory_bytes() const;

  // Internal (used by the appender / querier implementations in db.cc).
  struct StagedMetadata {
    std::string metric;
    MetricMetadata meta;
  };
  // What an appender stages: per series a slice of `labels` (borrowed, sorted, no tenant
  // labels) and a slice of `samples` (ascending, unique timestamps), flat so that staging a
  // series allocates nothing.
  struct StagedBatch {
    struct Series {
      uint64_t hash;  // series_key_hash of the labels and the tenant
      uint32_t label_off, label_n;
      uint32_t sample_off, sample_n;
    };
    std::vector<Series> series;
    std::vector<LabelView> labels;
    std::vector<Sample> samples;
    std::deque<Labels> owned;  // label sets appended by value, viewed from `labels`
    std::vector<StagedMetadata> metadata;
    struct StagedExemplar {
      Labels series;  // without tenant labels
      Exemplar exemplar;
    };
    std::vector<StagedExemplar> exemplars;
    bool empty() const { return series.empty() && metadata.empty() && exemplars.empty(); }
    void clear();
  };
  Status commit(const Tenant& tenant, const StagedBatch& batch);
  struct SelectedSeries {
    Labels labels;                                                    // with tenant labels
    std::vector<std::pair<std::shared_ptr<Block>, uint32_t>> blocks;  // ascending priority
    std::vector<HeadSeriesData> heads;                                // frozen, then active
  };
  // The series matching `matchers` for the tenants with data in [mint, maxt], in no
  // particular order.
  Result<std::vector<SelectedSeries>> select_series(const std::vector<Tenant>& tenants,
                                                    int64_t mint, int64_t maxt,
                                                    std::span<const Matcher> matchers);
  static Status materialize(const SelectedSeries& s, int64_t mint, int64_t maxt,
                            std::vector<Sample>* out);
  // The same as (t, v) pairs; false (and *out unspecified) when a sample in range is a
  // statistic set, which only materialize() can return.
  static Result<bool> materialize_values(const SelectedSeries& s, int64_t mint, int64_t maxt,
                                         std::vector<ValuePoint>* out);
  Result<std::vector<std::string>> label_query(const std::vector<Tenant>& tenants, int64_t mint,
                                               int64_t maxt, std::span<const Matcher> matchers,
                                               const std::string* values_of);
  std::optional<MetricMetadata> metadata(const std::vector<Tenant>& tenants,
                                         std::string_view metric);
  const ExemplarStore& exemplar_store() const { return exemplars_; }
  const Options& options() const { return opts_; }

 private:
  explicit Db(const Options& options);
  Status open_impl();
  Status load_blocks();
  Status load_metadata();
  void load_exemplars();
  Status write_exemplar_snapshot();
  Status replay_wal();
  Status apply_wal_record(uint64_t segment, std::string_view payload);
  Status flush_locked();    // requires maint_mu_
  Status write_frozen();    // requires maint_mu_
  Status compact_locked();  // requires maint_mu_
  Status run_compaction(const std::vector<uint64_t>& sources, int level);
  Status delete_blocks(const std::vector<std::shared_ptr<Block>>& blocks);
  Status hook(std::string_view point);
  Status write_metadata_file(const std::map<std::pair<Tenant, std::string>, MetricMetadata>& m);
  void gc_series_locked();
  void update_gauges_locked();
  void bg_loop();
  std::string blocks_dir() const;

  const Options opts_;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<wal::Wal> wal_;
  PageCache cache_;
  wal::ReplayStats replay_stats_;

  mutable std::mutex mu_;
  bool closed_ = false;                         // GUARDED_BY(mu_)
  MemIndex index_;                              // GUARDED_BY(mu_)
  std::shared_ptr<Head> head_;                  // GUARDED_BY(mu_)
  std::shared_ptr<Head> frozen_;                // GUARDED_BY(mu_), written by maint
  std::vector<std::shared_ptr<Block>> blocks_;  // GUARDED_BY(mu_)
  std::map<std::pair<Tenant, std::string>, MetricMetadata> metadata_;  // GUARDED_BY(mu_)
  ExemplarStore exemplars_;
  bool metadata_dirty_ = false;  // GUARDED_BY(mu_)
  uint64_t wal_segment_ = 0;     // GUARDED_BY(mu_)
  uint64_t wal_segment_bytes_ =
      0;                // payload bytes enqueued since the last rotation; GUARDED_BY(mu_)
  Bitmap wal_defined_;  // refs defined in wal_segment_; GUARDED_BY(mu_)

  // Maintenance state, GUARDED_BY(maint_mu_).
  std::mutex maint_mu_;
  uint64_t frozen_segment_ = 0;  // WAL segment that started when frozen_ was frozen
  std::vector<std::pair<Labels, uint32_t>> frozen_series_;  // sorted by labels
  std::map<std::pair<Tenant, std::string>, MetricMetadata> frozen_metadata_;
  uint64_t next_block_id_ = 1;
  std::atomic<int64_t> last_flush_ms_{0};
  int64_t last_compact_ms_ = 0;

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool bg_stop_ = false;  // GUARDED_BY(bg_mu_)
  bool bg_kick_ = false;  // GUARDED_BY(bg_mu_)
  std::thread bg_;
};

}  // namespace opsight::storage::tsdb
