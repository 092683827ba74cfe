// Maintenance of logstore::Store: flush (head -> blocks), compaction, retention, the CATALOG
// snapshot that commits each of them, and the background thread. See store.h ("Flush").
#include <algorithm>
#include <map>
#include <unordered_set>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/logging.h"
#include "storage/logstore/store.h"
#include "storage/logstore/store_internal.h"
#include "storage/logstore/wal_ops.h"

namespace opsight::storage::logstore {

namespace {

double seconds_since(Clock* clock, int64_t start_ns) {
  return static_cast<double>(clock->mono_ns() - start_ns) / 1e9;
}

int64_t partition_of(int64_t ts, int64_t partition_ms) {
  int64_t q = ts / partition_ms;
  if (ts % partition_ms < 0) q--;
  return q;
}

uint64_t row_bytes(const BlockRowView& r) {
  uint64_t b = r.message.size() + 16;
  for (const LogField& f : r.fields) b += f.name.size() + f.value.size();
  return b;
}

}  // namespace

Status Store::hook(std::string_view point) {
  return opts_.fault_hook ? opts_.fault_hook(point) : OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Snapshot and block files

Status Store::write_snapshot(const Catalog& catalog, uint64_t segment,
                             const std::vector<uint64_t>& block_ids) {
  std::string data(kSnapshotMagic);
  put_varint64(data, kSnapshotVersion);
  put_varint64(data, segment);
  put_varint64(data, next_block_id_.load());
  put_length_prefixed(data, catalog.serialize());
  put_varint64(data, block_ids.size());
  for (uint64_t id : block_ids) put_varint64(data, id);
  put_fixed32(data, crc32c::mask(crc32c::value(data)));
  return opts_.env->write_file_atomic(join_path(opts_.dir, kSnapshotFile), data);
}

Status Store::publish_snapshot(const Catalog& catalog, uint64_t segment,
                               const std::vector<std::shared_ptr<LogBlock>>& extra) {
  std::vector<uint64_t> ids;
  std::vector<std::shared_ptr<LogBlock>> deletable;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& b : blocks_) ids.push_back(b->meta().id);
    deletable.swap(doomed_);
  }
  for (const auto& b : extra) ids.push_back(b->meta().id);
  std::sort(ids.begin(), ids.end());
  Status st = write_snapshot(catalog, segment, ids);
  if (!st.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    doomed_.insert(doomed_.end(), deletable.begin(), deletable.end());
    return st;
  }
  remove_files(deletable);
  return OkStatus();
}

void Store::remove_files(const std::vector<std::shared_ptr<LogBlock>>& blocks) {
  if (blocks.empty()) return;
  // Scans holding a LogBlock keep its open file; unlinking is safe (POSIX). A file left behind
  // by a failure here is not in the snapshot, so the next open() deletes it.
  for (const auto& b : blocks) {
    Status st = opts_.env->remove_file(b->path());
    if (!st.ok()) log::warn("log store: removing {}: {}", b->path(), st.to_string());
  }
  Status st = opts_.env->sync_dir(blocks_dir());
  if (!st.ok()) log::warn("log store: syncing {}: {}", blocks_dir(), st.to_string());
}

Status Store::write_blocks(uint64_t group_id, uint32_t level, bool compacted,
                           std::span<const BlockRowView> rows,
                           const std::unordered_map<uint32_t, std::string>& stream_names,
                           std::vector<std::shared_ptr<LogBlock>>* out) {
  size_t begin = 0;
  while (begin < rows.size()) {
    const int64_t part = partition_of(rows[begin].timestamp_ms, opts_.partition_ms);
    size_t end = begin;
    uint64_t bytes = 0;
    while (end < rows.size() && partition_of(rows[end].timestamp_ms, opts_.partition_ms) == part &&
           (end == begin || bytes < opts_.block_target_bytes)) {
      bytes += row_bytes(rows[end]);
      end++;
    }
    BlockBuildOptions bo;
    bo.block_id = next_block_id_++;
    bo.group_id = group_id;
    bo.level = level;
    bo.zstd_level = compacted ? opts_.compact_zstd_level : opts_.flush_zstd_level;
    bo.long_distance = compacted && opts_.compact_long_distance;
    bo.window_log = compacted ? opts_.compact_window_log : 0;
    bo.filter_bits_per_trigram = opts_.filter_bits_per_trigram;
    ASSIGN_OR_RETURN(std::string data,
                     build_block(bo, rows.subspan(begin, end - begin), stream_names));
    const std::string path = join_path(blocks_dir(), block_file_name(bo.block_id));
    // No temporary name is needed: a block file becomes live only when a snapshot lists it.
    ASSIGN_OR_RETURN(auto f, opts_.env->new_writable_file(path, false));
    Status st = f->append(data);
    if (st.ok()) st = f->sync();
    Status cs = f->close();
    if (st.ok()) st = cs;
    if (st.ok()) {
      auto b = LogBlock::open(opts_.env, path);
      if (b.ok()) {
        out->push_back(std::move(*b));
      } else {
        st = b.status();
      }
    }
    if (!st.ok()) {
      (void)opts_.env->remove_file(path);
      return st;
    }
    begin = end;
  }
  return OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Flush

Status Store::flush() {
  std::lock_guard<std::mutex> m(maint_mu_);
  return flush_locked();
}

Status Store::flush_locked() {
  const int64_t start = opts_.clock->mono_ns();
  if (!pending_) {
    bool idle, have_doomed;
    {
      std::lock_guard<std::mutex> lock(mu_);
      idle = head_->empty() && !catalog_dirty_;
      have_doomed = !doomed_.empty();
      if (!idle) {
        auto seg = wal_->rotate();
        if (!seg.ok()) {
          probe().flush_failures->inc();
          return seg.status();
        }
        // An empty record in the new segment: its file then exists (durably, before the
        // snapshot names the segment), so the WAL never numbers a later segment below it, even
        // after every older segment is deleted.
        auto marker = wal_->enqueue(WalRecordWriter().finish());
        if (!marker.ok()) {
          probe().flush_failures->inc();
          return marker.status();
        }
        PendingFlush p;
        p.marker_lsn = marker->lsn;
        p.head = head_;
        p.catalog = catalog_;
        p.segment = *seg;
        frozen_ = head_;
        head_ = std::make_shared<Head>();
        catalog_dirty_ = false;
        pending_ = std::move(p);
      }
    }
    if (idle) {
      last_flush_ms_ = opts_.clock->now_ms();
      if (have_doomed) return publish_snapshot(persisted_catalog_, persisted_segment_, {});
      return OkStatus();
    }
  }
  Status st = wal_->wait_durable(pending_->marker_lsn);
  if (st.ok()) st = hook("flush.frozen");
  if (st.ok() && !pending_->written) st = write_pending_blocks();
  if (st.ok()) st = hook("flush.written");
  if (st.ok()) st = publish_snapshot(pending_->catalog, pending_->segment, pending_->blocks);
  if (!st.ok()) {
    probe().flush_failures->inc();
    log::error("log store: flush failed (will retry): {}", st.to_string());
    return st;
  }
  persisted_catalog_ = pending_->catalog;
  persisted_segment_ = pending_->segment;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& b : pending_->blocks) {
      (catalog_.by_id(b->meta().group_id) != nullptr ? blocks_ : doomed_).push_back(std::move(b));
    }
    frozen_ = nullptr;
    update_gauges_locked();
  }
  pending_.reset();
  probe().flushes->inc();
  probe().flush_seconds->observe(seconds_since(opts_.clock, start));
  last_flush_ms_ = opts_.clock->now_ms();
  // The flushed data is in blocks listed by the snapshot: its WAL segments can go.
  return wal_->remove_before(persisted_segment_);
}

Status Store::write_pending_blocks() {
  PendingFlush& p = *pending_;
  const int64_t now = opts_.clock->now_ms();
  std::vector<std::shared_ptr<LogBlock>> written;
  Status st;
  struct Ref {
    int64_t ts;
    const HeadChunk* chunk;
    const HeadRow* row;
  };
  std::vector<Ref> refs;
  std::vector<BlockRowView> views;
  for (const auto& [gid, hg] : p.head->groups) {
    const GroupState* g = p.catalog.by_id(gid);
    if (g == nullptr) continue;  // deleted before the head was frozen
    const int64_t cutoff = g->retention_cutoff(now);
    refs.clear();
    std::unordered_map<uint32_t, std::string> names;
    for (const auto& c : hg.chunks) {
      const StreamState* s = g->stream_by_id(c->stream_id);
      if (s == nullptr) continue;  // stream deleted
      names.emplace(s->id, s->name);
      for (const HeadRow& r : c->rows) {
        if (r.timestamp_ms < cutoff) continue;
        refs.push_back({r.timestamp_ms, c.get(), &r});
      }
    }
    if (refs.empty()) continue;
    std::stable_sort(refs.begin(), refs.end(),
                     [](const Ref& a, const Ref& b) { return a.ts < b.ts; });
    views.clear();
    views.reserve(refs.size());
    for (const Ref& ref : refs) {
      const HeadRow& r = *ref.row;
      BlockRowView v;
      v.timestamp_ms = r.timestamp_ms;
      v.ingestion_time_ms = r.ingestion_time_ms;
      v.stream_id = ref.chunk->stream_id;
      v.severity_number = r.severity_number;
      v.message = r.message;
      v.severity_text = r.severity_text;
      v.trace_id = r.trace_id;
      v.span_id = r.span_id;
      v.fields = ref.chunk->attributes_of(r);
      views.push_back(v);
    }
    st = write_blocks(gid, 0, /*compacted=*/false, views, names, &written);
    if (!st.ok()) break;
  }
  if (st.ok() && !written.empty()) st = opts_.env->sync_dir(blocks_dir());
  if (!st.ok()) {
    remove_files(written);
    return st;
  }
  p.blocks = std::move(written);
  p.written = true;
  return OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Compaction

Status Store::compact() {
  std::lock_guard<std::mutex> m(maint_mu_);
  return compact_locked();
}

Status Store::compact_locked() {
  // Plan: per (group, partition), runs of small blocks (< target / 2) by time whose sum stays
  // within the target; every run of two or more is merged. With recompress_flushed, a large
  // level-0 block is a run of its own and is rewritten at the compaction level.
  std::vector<std::vector<std::shared_ptr<LogBlock>>> plans;
  auto worth = [&](const std::vector<std::shared_ptr<LogBlock>>& run) {
    return run.size() >= 2 ||
           (run.size() == 1 && opts_.recompress_flushed && run[0]->meta().level == 0);
  };
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<std::pair<uint64_t, int64_t>, std::vector<std::shared_ptr<LogBlock>>> parts;
    for (const auto& b : blocks_) {
      const BlockMeta& m = b->meta();
      if (m.account_bytes >= opts_.block_target_bytes / 2) {
        if (opts_.recompress_flushed && m.level == 0) plans.push_back({b});
        continue;
      }
      parts[{m.group_id, partition_of(m.min_time, opts_.partition_ms)}].push_back(b);
    }
    for (auto& [key, list] : parts) {
      std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
        return a->meta().min_time != b->meta().min_time ? a->meta().min_time < b->meta().min_time
                                                        : a->meta().id < b->meta().id;
      });
      std::vector<std::shared_ptr<LogBlock>> run;
      uint64_t bytes = 0;
      for (auto& b : list) {
        if (!run.empty() && bytes + b->meta().account_bytes > opts_.block_target_bytes) {
          if (worth(run)) plans.push_back(std::move(run));
          run.clear();
          bytes = 0;
        }
        run.push_back(b);
        bytes += b->meta().account_bytes;
      }
      if (worth(run)) plans.push_back(std::move(run));
    }
  }
  for (const auto& sources : plans) {
    const int64_t start = opts_.clock->mono_ns();
    Status st = run_compaction(sources);
    if (!st.ok()) {
      probe().compaction_failures->inc();
      log::error("log store: compaction failed: {}", st.to_string());
      return st;
    }
    probe().compactions->inc();
    probe().compaction_seconds->observe(seconds_since(opts_.clock, start));
  }
  return OkStatus();
}

Status Store::run_compaction(const std::vector<std::shared_ptr<LogBlock>>& sources) {
  const uint64_t gid = sources.front()->meta().group_id;
  std::unordered_map<uint32_t, std::string> names;  // live streams
  int64_t cutoff;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const GroupState* g = catalog_.by_id(gid);
    if (g == nullptr) return OkStatus();  // deleted meanwhile: its blocks are doomed already
    for (const auto& [id, s] : g->streams) names.emplace(id, s.name);
    cutoff = g->retention_cutoff(opts_.clock->now_ms());
  }
  std::vector<DecodedBlock> decoded(sources.size());
  struct Ref {
    int64_t ts;
    uint32_t src, row;
  };
  std::vector<Ref> refs;
  uint32_t level = 0;
  for (uint32_t i = 0; i < sources.size(); i++) {
    const BlockMeta& m = sources[i]->meta();
    level = std::max(level, m.level + 1);
    RETURN_IF_ERROR(sources[i]->decode_rest(&decoded[i]));
    for (uint32_t r = 0; r < m.rows; r++) {
      const uint32_t sid = m.streams[decoded[i].stream_index[r]].id;
      if (decoded[i].timestamps[r] < cutoff || !names.contains(sid)) continue;
      refs.push_back({decoded[i].timestamps[r], i, r});
    }
  }
  std::stable_sort(refs.begin(), refs.end(),
                   [](const Ref& a, const Ref& b) { return a.ts < b.ts; });
  std::vector<BlockRowView> views;
  views.reserve(refs.size());
  for (const Ref& ref : refs) {
    const DecodedBlock& d = decoded[ref.src];
    const uint32_t r = ref.row;
    BlockRowView v;
    v.timestamp_ms = ref.ts;
    v.ingestion_time_ms = d.ingestion[r];
    v.stream_id = sources[ref.src]->meta().streams[d.stream_index[r]].id;
    v.severity_number = d.severity_number[r];
    v.message = d.message[r];
    v.severity_text = d.severity_text[r];
    v.trace_id = d.trace_id[r];
    v.span_id = d.span_id[r];
    v.fields = std::span<const LogField>(d.fields).subspan(d.field_begin[r],
                                                           d.field_begin[r + 1] - d.field_begin[r]);
    views.push_back(v);
  }
  std::vector<std::shared_ptr<LogBlock>> written;
  Status st = write_blocks(gid, level, /*compacted=*/true, views, names, &written);
  if (st.ok() && !written.empty()) st = opts_.env->sync_dir(blocks_dir());
  if (st.ok()) st = hook("compact.written");
  if (!st.ok()) {
    remove_files(written);
    return st;
  }
  {
    // Publish in memory first: a snapshot written later lists the new blocks (durable) and not
    // the sources, whose files are deleted only after such a snapshot is durable.
    std::lock_guard<std::mutex> lock(mu_);
    std::unordered_set<const LogBlock*> src;
    for (const auto& b : sources) src.insert(b.get());
    size_t present = 0;
    for (const auto& b : blocks_) present += src.contains(b.get());
    if (present != sources.size() || catalog_.by_id(gid) == nullptr) {
      // The group was deleted meanwhile: the new blocks are not needed.
      doomed_.insert(doomed_.end(), written.begin(), written.end());
    } else {
      std::erase_if(blocks_, [&](const auto& b) { return src.contains(b.get()); });
      doomed_.insert(doomed_.end(), sources.begin(), sources.end());
      blocks_.insert(blocks_.end(), written.begin(), written.end());
    }
    update_gauges_locked();
  }
  return publish_snapshot(persisted_catalog_, persisted_segment_, {});
}

// ---------------------------------------------------------------------------------------------
// Retention

Status Store::enforce_retention() {
  std::lock_guard<std::mutex> m(maint_mu_);
  return retention_locked();
}

Status Store::retention_locked() {
  const int64_t now = opts_.clock->now_ms();
  last_retention_ms_ = now;
  uint64_t expired = 0;
  bool have_doomed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(blocks_, [&](const std::shared_ptr<LogBlock>& b) {
      const GroupState* g = catalog_.by_id(b->meta().group_id);
      if (g != nullptr && b->meta().max_time >= g->retention_cutoff(now)) return false;
      doomed_.push_back(b);
      expired++;
      return true;
    });
    have_doomed = !doomed_.empty();
    update_gauges_locked();
  }
  probe().retention_deleted->inc(expired);
  if (!have_doomed) return OkStatus();
  return publish_snapshot(persisted_catalog_, persisted_segment_, {});
}

// ---------------------------------------------------------------------------------------------
// Background work

void Store::maybe_kick() {
  {
    std::lock_guard<std::mutex> lock(bg_mu_);
    bg_kick_ = true;
  }
  bg_cv_.notify_one();
}

void Store::bg_loop() {
  std::unique_lock<std::mutex> lk(bg_mu_);
  while (!bg_stop_) {
    bg_cv_.wait_for(lk, std::chrono::seconds(1), [this] { return bg_stop_ || bg_kick_; });
    if (bg_stop_) break;
    bg_kick_ = false;
    lk.unlock();
    const int64_t now = opts_.clock->now_ms();
    bool want_flush;
    {
      std::lock_guard<std::mutex> lock(mu_);
      want_flush = head_->memory_bytes > opts_.head_max_bytes ||
                   (!head_->empty() && now - head_->first_append_ms >= opts_.head_flush_age_ms) ||
                   (catalog_dirty_ && now - last_flush_ms_.load() >= opts_.head_flush_age_ms) ||
                   !doomed_.empty();
    }
    {
      std::lock_guard<std::mutex> m(maint_mu_);
      if (want_flush) {
        Status st = flush_locked();
        if (!st.ok()) log::error("log store: background flush: {}", st.to_string());
        st = compact_locked();
        if (!st.ok()) log::error("log store: background compaction: {}", st.to_string());
      }
      if (now - last_retention_ms_ >= opts_.retention_check_interval_ms) {
        Status st = retention_locked();
        if (!st.ok()) log::error("log store: background retention: {}", st.to_string());
      }
    }
    lk.lock();
  }
}

}  // namespace opsight::storage::logstore
