// Maintenance of tracestore::Store: flush (head -> blocks), retention, the CATALOG snapshot that
// commits each of them, and the background work. See store.h ("Flush").
#include <algorithm>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/logging.h"
#include "storage/tracestore/store.h"
#include "storage/tracestore/store_internal.h"
#include "storage/tracestore/wal_ops.h"

namespace opsight::storage::tracestore {
namespace {

// 8 bytes as a big-endian word: integer order is the bytes' lexicographic order.
uint64_t decode_fixed64_be(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = v << 8 | static_cast<uint8_t>(p[i]);
  return v;
}

int64_t partition_of(int64_t start_ns, int64_t partition_ms) {
  const int64_t ms = start_ns / 1'000'000;
  int64_t q = ms / partition_ms;
  if (ms % partition_ms < 0) q--;
  return q;
}

}  // namespace

Status Store::hook(std::string_view point) {
  return opts_.fault_hook ? opts_.fault_hook(point) : OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Snapshot and block files

Status Store::write_snapshot(const std::map<Tenant, int>& retention, uint64_t segment,
                             const std::vector<uint64_t>& block_ids) {
  std::string data(kSnapshotMagic);
  put_varint64(data, kSnapshotVersion);
  put_varint64(data, segment);
  put_varint64(data, next_block_id_.load());
  put_varint64(data, retention.size());
  for (const auto& [t, days] : retention) {
    put_length_prefixed(data, t.account);
    put_length_prefixed(data, t.region);
    put_varint64(data, static_cast<uint64_t>(days));
  }
  put_varint64(data, block_ids.size());
  for (uint64_t id : block_ids) put_varint64(data, id);
  put_fixed32(data, crc32c::mask(crc32c::value(data)));
  return opts_.env->write_file_atomic(join_path(opts_.dir, kSnapshotFile), data);
}

Status Store::publish_snapshot(const std::map<Tenant, int>& retention, uint64_t segment,
                               const std::vector<std::shared_ptr<TraceBlock>>& extra) {
  std::vector<uint64_t> ids;
  std::vector<std::shared_ptr<TraceBlock>> deletable;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& b : blocks_) ids.push_back(b->meta().id);
    deletable.swap(doomed_);
  }
  for (const auto& b : extra) ids.push_back(b->meta().id);
  std::sort(ids.begin(), ids.end());
  Status st = write_snapshot(retention, segment, ids);
  if (!st.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    doomed_.insert(doomed_.end(), deletable.begin(), deletable.end());
    return st;
  }
  remove_files(deletable);
  return OkStatus();
}

void Store::remove_files(const std::vector<std::shared_ptr<TraceBlock>>& blocks) {
  if (blocks.empty()) return;
  // Readers holding a TraceBlock keep its open file; unlinking is safe (POSIX). A file left
  // behind by a failure here is not in the snapshot, so the next open() deletes it.
  for (const auto& b : blocks) {
    Status st = opts_.env->remove_file(b->path());
    if (!st.ok()) log::warn("trace store: removing {}: {}", b->path(), st.to_string());
  }
  Status st = opts_.env->sync_dir(blocks_dir());
  if (!st.ok()) log::warn("trace store: syncing {}: {}", blocks_dir(), st.to_string());
}

Status Store::write_block(const Tenant& tenant, std::span<const Span* const> rows,
                          std::vector<std::shared_ptr<TraceBlock>>* out) {
  BlockBuildOptions bo;
  bo.block_id = next_block_id_++;
  bo.tenant = tenant;
  bo.zstd_level = opts_.zstd_level;
  bo.trace_filter_bits = opts_.trace_filter_bits;
  bo.attr_filter_bits = opts_.attr_filter_bits;
  ASSIGN_OR_RETURN(std::string data, build_block(bo, rows));
  const std::string path = join_path(blocks_dir(), block_file_name(bo.block_id));
  // No temporary name is needed: a block file becomes live only when a snapshot lists it.
  ASSIGN_OR_RETURN(auto f, opts_.env->new_writable_file(path, false));
  Status st = f->append(data);
  if (st.ok()) st = f->sync();
  Status cs = f->close();
  if (st.ok()) st = cs;
  if (st.ok()) {
    auto b = TraceBlock::open(opts_.env, path);
    if (b.ok()) {
      out->push_back(std::move(*b));
    } else {
      st = b.status();
    }
  }
  if (!st.ok()) (void)opts_.env->remove_file(path);
  return st;
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
      idle = head_->empty() && !retention_dirty_;
      have_doomed = !doomed_.empty();
      if (!idle) {
        auto seg = wal_->rotate();
        if (!seg.ok()) {
          probe().flush_failures->inc();
          return seg.status();
        }
        // An empty record in the new segment: its file then exists (durably, before the
        // snapshot names the segment), so the WAL never numbers a later segment below it.
        auto marker = wal_->enqueue(WalRecordWriter().finish());
        if (!marker.ok()) {
          probe().flush_failures->inc();
          return marker.status();
        }
        PendingFlush p;
        p.marker_lsn = marker->lsn;
        p.head = head_;
        p.retention = retention_;
        p.segment = *seg;
        frozen_ = head_;
        head_ = std::make_shared<Head>();
        retention_dirty_ = false;
        pending_ = std::move(p);
      }
    }
    if (idle) {
      last_flush_ms_ = opts_.clock->now_ms();
      if (have_doomed) return publish_snapshot(persisted_retention_, persisted_segment_, {});
      return OkStatus();
    }
  }
  Status st = wal_->wait_durable(pending_->marker_lsn);
  if (st.ok()) st = hook("flush.frozen");
  if (st.ok() && !pending_->written) st = write_pending_blocks();
  if (st.ok()) st = hook("flush.written");
  if (st.ok()) st = publish_snapshot(pending_->retention, pending_->segment, pending_->blocks);
  if (!st.ok()) {
    probe().flush_failures->inc();
    log::error("trace store: flush failed (will retry): {}", st.to_string());
    return st;
  }
  persisted_retention_ = pending_->retention;
  persisted_segment_ = pending_->segment;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& b : pending_->blocks) blocks_.push_back(std::move(b));
    frozen_ = nullptr;
    update_gauges_locked();
  }
  pending_.reset();
  probe().flushes->inc();
  probe().flush_seconds->observe(static_cast<double>(opts_.clock->mono_ns() - start) / 1e9);
  last_flush_ms_ = opts_.clock->now_ms();
  // The flushed spans are in blocks listed by the snapshot: their WAL segments can go.
  return wal_->remove_before(persisted_segment_);
}

Status Store::write_pending_blocks() {
  PendingFlush& p = *pending_;
  const int64_t now = opts_.clock->now_ms();
  std::vector<std::shared_ptr<TraceBlock>> written;
  Status st;
  // The sort key of a span: partition, then row_less (trace id as two big-endian words, start,
  // span id), so sorting compares integers instead of strings.
  struct Ref {
    int64_t partition;
    uint64_t trace_hi, trace_lo;
    int64_t start;
    const Span* span;
    bool operator<(const Ref& o) const {
      if (partition != o.partition) return partition < o.partition;
      if (trace_hi != o.trace_hi) return trace_hi < o.trace_hi;
      if (trace_lo != o.trace_lo) return trace_lo < o.trace_lo;
      if (start != o.start) return start < o.start;
      return span->span_id < o.span->span_id;
    }
  };
  std::vector<Ref> refs;
  std::vector<const Span*> rows;
  for (const auto& [tenant, ht] : p.head->tenants) {
    auto rit = p.retention.find(tenant);
    const int days = rit != p.retention.end() ? rit->second : opts_.default_retention_days;
    const int64_t cutoff = (now - static_cast<int64_t>(days) * 86'400'000) * 1'000'000;
    refs.clear();
    for (const auto& c : ht.chunks) {
      for (const Span& s : c->spans) {
        if (s.start_ns < cutoff) continue;
        refs.push_back({partition_of(s.start_ns, opts_.partition_ms),
                        decode_fixed64_be(s.trace_id.data()),
                        decode_fixed64_be(s.trace_id.data() + 8), s.start_ns, &s});
      }
    }
    // Stable: among equal keys (a span appended twice) the append order is kept, which
    // get_trace relies on ("the last version wins").
    std::stable_sort(refs.begin(), refs.end());
    size_t begin = 0;
    while (st.ok() && begin < refs.size()) {
      // One partition, cut at block_max_spans on a trace boundary (a larger trace stays whole).
      size_t end = begin;
      while (end < refs.size() && refs[end].partition == refs[begin].partition) {
        size_t trace_end = end + 1;
        while (trace_end < refs.size() && refs[trace_end].partition == refs[begin].partition &&
               refs[trace_end].span->trace_id == refs[end].span->trace_id) {
          trace_end++;
        }
        if (end > begin && trace_end - begin > opts_.block_max_spans) break;
        end = trace_end;
      }
      rows.clear();
      for (size_t i = begin; i < end; i++) rows.push_back(refs[i].span);
      st = write_block(tenant, rows, &written);
      begin = end;
    }
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
// Retention

Status Store::enforce_retention() {
  std::lock_guard<std::mutex> m(maint_mu_);
  return retention_locked_maint();
}

Status Store::retention_locked_maint() {
  const int64_t now = opts_.clock->now_ms();
  last_retention_ms_ = now;
  uint64_t expired = 0;
  bool have_doomed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(blocks_, [&](const std::shared_ptr<TraceBlock>& b) {
      if (b->meta().max_start >= cutoff_ns_locked(b->meta().tenant, now)) return false;
      doomed_.push_back(b);
      expired++;
      return true;
    });
    have_doomed = !doomed_.empty();
    update_gauges_locked();
  }
  probe().retention_deleted->inc(expired);
  if (!have_doomed) return OkStatus();
  return publish_snapshot(persisted_retention_, persisted_segment_, {});
}

// ---------------------------------------------------------------------------------------------
// Background work

void Store::background_work() {
  const int64_t now = opts_.clock->now_ms();
  bool want_flush;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    want_flush = head_->memory_bytes > opts_.head_max_bytes ||
                 (!head_->empty() && now - head_->first_append_ms >= opts_.head_flush_age_ms) ||
                 (retention_dirty_ && now - last_flush_ms_.load() >= opts_.head_flush_age_ms) ||
                 !doomed_.empty();
  }
  std::lock_guard<std::mutex> m(maint_mu_);
  if (want_flush) {
    Status st = flush_locked();
    if (!st.ok()) log::error("trace store: background flush: {}", st.to_string());
  }
  if (now - last_retention_ms_ >= opts_.retention_check_interval_ms) {
    Status st = retention_locked_maint();
    if (!st.ok()) log::error("trace store: background retention: {}", st.to_string());
  }
}

}  // namespace opsight::storage::tracestore
