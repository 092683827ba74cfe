// tracestore::Store: open and recovery, retention settings, get-trace, stats. See store.h for
// the design; the write path is in store_write.cc, scans in store_scan.cc, flush and retention
// in store_maint.cc.
#include "storage/tracestore/store.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/logging.h"
#include "storage/tracestore/store_internal.h"
#include "storage/tracestore/wal_ops.h"

namespace opsight::storage::tracestore {

Probe& probe() {
  static Probe* p = [] {
    auto& r = metrics::Registry::global();
    auto* x = new Probe;
    x->head_bytes =
        r.gauge("opsight_tracestore_head_bytes", "Approximate memory of the span head.");
    x->head_spans = r.gauge("opsight_tracestore_head_spans", "Spans held in the span head.");
    x->blocks = r.gauge("opsight_tracestore_blocks", "Trace blocks on disk.");
    x->block_bytes = r.gauge("opsight_tracestore_block_bytes", "Bytes of all trace block files.");
    x->spans_appended = r.counter("opsight_tracestore_spans_appended_total", "Spans committed.");
    x->commits_rejected = r.counter("opsight_tracestore_commits_rejected_total",
                                    "Commits refused because the head is full.");
    x->flushes = r.counter("opsight_tracestore_flushes_total", "Head flushes completed.");
    x->flush_failures =
        r.counter("opsight_tracestore_flush_failures_total", "Head flushes failed.");
    x->retention_deleted = r.counter("opsight_tracestore_retention_deleted_blocks_total",
                                     "Blocks deleted by retention.");
    x->wal_replay_skipped =
        r.counter("opsight_tracestore_wal_replay_skipped_total", "WAL records skipped on replay.");
    x->trace_lookups = r.counter("opsight_tracestore_trace_lookups_total", "get-trace calls.");
    x->lookup_blocks_read =
        r.counter("opsight_tracestore_lookup_blocks_read_total", "Blocks decoded by get-trace.");
    x->scans = r.counter("opsight_tracestore_scans_total", "Span scans started.");
    x->scan_blocks_read =
        r.counter("opsight_tracestore_scan_blocks_read_total", "Blocks decoded by scans.");
    x->scan_blocks_skipped = r.counter("opsight_tracestore_scan_blocks_skipped_total",
                                       "Blocks skipped by scans using the block filters.");
    x->flush_seconds = r.histogram("opsight_tracestore_flush_duration_seconds",
                                   "Duration of head flushes.", metrics::latency_buckets());
    return x;
  }();
  return *p;
}

Status check_tenant(const Tenant& t) {
  if (t.account.empty() || t.region.empty()) {
    return Status::invalid_argument("tenant account and region must not be empty");
  }
  return OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Open and recovery

Store::Store(const Options& options) : opts_(options), head_(std::make_shared<Head>()) {}

Result<std::unique_ptr<Store>> Store::open(const Options& options) {
  if (options.dir.empty()) return Status::invalid_argument("trace store: dir is empty");
  if (options.partition_ms <= 0 || options.block_max_spans == 0 || options.head_max_bytes == 0) {
    return Status::invalid_argument(
        "trace store: partition_ms, block_max_spans and head_max_bytes must be positive");
  }
  if (options.default_retention_days < 1 ||
      options.default_retention_days > kMaxTraceRetentionDays) {
    return Status::invalid_argument(
        "trace store: default retention of " + std::to_string(options.default_retention_days) +
        " days is outside 1.." + std::to_string(kMaxTraceRetentionDays));
  }
  std::unique_ptr<Store> s(new Store(options));
  RETURN_IF_ERROR(s->open_impl());
  return s;
}

std::string Store::blocks_dir() const {
  return join_path(opts_.dir, "blocks");
}

Status Store::open_impl() {
  Env* env = opts_.env;
  RETURN_IF_ERROR(env->create_dirs(blocks_dir()));
  ASSIGN_OR_RETURN(lock_, env->lock_file(join_path(opts_.dir, "LOCK")));
  std::vector<uint64_t> ids;
  RETURN_IF_ERROR(load_snapshot(&ids));
  RETURN_IF_ERROR(load_blocks(ids));
  wal::Options wo;
  wo.dir = join_path(opts_.dir, "wal");
  wo.env = env;
  wo.sync = opts_.wal_sync;
  wo.sync_interval_ms = opts_.wal_sync_interval_ms;
  ASSIGN_OR_RETURN(wal_, wal::Wal::open(wo));
  RETURN_IF_ERROR(replay_wal());
  last_flush_ms_ = opts_.clock->now_ms();
  last_retention_ms_ = last_flush_ms_;
  if (opts_.background) {
    worker_ =
        std::make_unique<BackgroundWorker>(std::chrono::seconds(1), [this] { background_work(); });
  }
  return OkStatus();
}

Status Store::load_snapshot(std::vector<uint64_t>* block_ids) {
  const std::string path = join_path(opts_.dir, kSnapshotFile);
  if (!opts_.env->file_exists(path)) return OkStatus();
  ASSIGN_OR_RETURN(std::string data, opts_.env->read_file(path));
  auto corrupt = [&](const std::string& what) {
    return Status::corruption("trace store: " + path + ": " + what);
  };
  if (data.size() < kSnapshotMagic.size() + 4 || !data.starts_with(kSnapshotMagic)) {
    return corrupt("bad magic");
  }
  const size_t body = data.size() - 4;
  if (crc32c::mask(crc32c::value(std::string_view(data).substr(0, body))) !=
      decode_fixed32(data.data() + body)) {
    return corrupt("checksum mismatch");
  }
  const char* p = data.data() + kSnapshotMagic.size();
  const char* end = data.data() + body;
  uint64_t version = 0, segment = 0, next_block = 0, n = 0;
  if ((p = get_varint64(p, end, &version)) == nullptr || version != kSnapshotVersion ||
      (p = get_varint64(p, end, &segment)) == nullptr ||
      (p = get_varint64(p, end, &next_block)) == nullptr ||
      (p = get_varint64(p, end, &n)) == nullptr) {
    return corrupt("malformed header");
  }
  std::map<Tenant, int> retention;
  for (uint64_t i = 0; i < n; i++) {
    std::string_view account, region;
    uint64_t days;
    if ((p = get_length_prefixed(p, end, &account)) == nullptr ||
        (p = get_length_prefixed(p, end, &region)) == nullptr ||
        (p = get_varint64(p, end, &days)) == nullptr || days == 0 ||
        days > static_cast<uint64_t>(kMaxTraceRetentionDays)) {
      return corrupt("malformed retention table");
    }
    retention[Tenant{std::string(account), std::string(region)}] = static_cast<int>(days);
  }
  if ((p = get_varint64(p, end, &n)) == nullptr) return corrupt("malformed block list");
  for (uint64_t i = 0; i < n; i++) {
    uint64_t id;
    if ((p = get_varint64(p, end, &id)) == nullptr) return corrupt("malformed block list");
    block_ids->push_back(id);
  }
  if (p != end) return corrupt("trailing bytes");
  persisted_retention_ = retention;
  persisted_segment_ = segment;
  next_block_id_ = std::max<uint64_t>(next_block, 1);
  std::lock_guard<std::mutex> lock(mu_);
  retention_ = std::move(retention);
  return OkStatus();
}

Status Store::load_blocks(const std::vector<uint64_t>& ids) {
  Env* env = opts_.env;
  const std::string dir = blocks_dir();
  const std::set<uint64_t> listed(ids.begin(), ids.end());
  std::set<uint64_t> found;
  std::vector<std::shared_ptr<TraceBlock>> blocks;
  ASSIGN_OR_RETURN(auto names, env->get_children(dir));
  uint64_t max_id = 0;
  bool removed = false;
  for (const auto& name : names) {
    const std::string path = join_path(dir, name);
    uint64_t id;
    if (!parse_block_file_name(name, &id)) continue;  // not ours (e.g. *.corrupt)
    max_id = std::max(max_id, id);
    if (!listed.contains(id)) {
      // Written by a flush whose snapshot was never committed.
      log::info("trace store: removing unpublished block {}", path);
      RETURN_IF_ERROR(env->remove_file(path));
      removed = true;
      continue;
    }
    auto b = TraceBlock::open(env, path);
    if (!b.ok() || (*b)->meta().id != id) {
      log::error("trace store: block {} is unreadable, moving it aside: {}", path,
                 b.ok() ? "id mismatch" : b.status().to_string());
      RETURN_IF_ERROR(env->rename(path, path + ".corrupt"));
      removed = true;
      continue;
    }
    found.insert(id);
    blocks.push_back(std::move(*b));
  }
  for (uint64_t id : ids) {
    if (!found.contains(id)) {
      log::error("trace store: block {} listed in the catalog is missing", block_file_name(id));
    }
  }
  if (removed) RETURN_IF_ERROR(env->sync_dir(dir));
  next_block_id_ = std::max(next_block_id_.load(), max_id + 1);
  std::sort(blocks.begin(), blocks.end(),
            [](const auto& a, const auto& b) { return a->meta().id < b->meta().id; });
  std::lock_guard<std::mutex> lock(mu_);
  blocks_ = std::move(blocks);
  update_gauges_locked();
  return OkStatus();
}

Status Store::replay_wal() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<WalEntry> entries;
  auto fn = [&](uint64_t segment, std::string_view payload) -> Status {
    Status st = decode_wal_record(payload, &entries);
    if (!st.ok()) {
      probe().wal_replay_skipped->inc();
      log::error("trace store: skipping an undecodable WAL record in segment {}: {}", segment,
                 st.to_string());
      return OkStatus();
    }
    for (WalEntry& e : entries) {
      if (e.type == kWalRetentionEntry) {
        retention_[e.tenant] = e.retention_days;
        retention_dirty_ = true;
        continue;
      }
      if (e.spans.empty()) continue;
      if (head_->empty()) head_->first_append_ms = opts_.clock->now_ms();
      head_->add(e.tenant, HeadChunk::make(std::move(e.spans)));
    }
    return OkStatus();
  };
  Status st = wal_->replay(persisted_segment_, fn, &replay_stats_);
  const auto& rs = replay_stats_;
  log::info(
      "trace store: WAL replay: {} segments, {} records, {} bytes, tail_truncated={} ({} bytes "
      "dropped{}{}), head {} spans",
      rs.segments, rs.records, rs.bytes, rs.tail_truncated, rs.dropped_bytes,
      rs.detail.empty() ? "" : ": ", rs.detail, head_->spans);
  update_gauges_locked();
  if (!st.ok()) {
    if (st.code() != Code::kCorruption) return st;
    log::error("trace store: WAL corruption, keeping the records before it: {}", st.to_string());
  }
  return OkStatus();
}

Store::~Store() {
  if (worker_) worker_->stop();
  bool closed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed = closed_;
  }
  if (!closed && wal_ != nullptr) (void)wal_->close();
}

Status Store::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return OkStatus();
    closed_ = true;
  }
  if (worker_) worker_->stop();
  Status st;
  {
    std::lock_guard<std::mutex> m(maint_mu_);
    st = flush_locked();
  }
  Status ws = wal_->close();
  return st.ok() ? ws : st;
}

// ---------------------------------------------------------------------------------------------
// Retention settings

int Store::retention_locked(const Tenant& tenant) const {
  auto it = retention_.find(tenant);
  return it != retention_.end() ? it->second : opts_.default_retention_days;
}

int64_t Store::cutoff_ns_locked(const Tenant& tenant, int64_t now_ms) const {
  return (now_ms - static_cast<int64_t>(retention_locked(tenant)) * 86'400'000) * 1'000'000;
}

int Store::retention_days(const Tenant& tenant) const {
  std::lock_guard<std::mutex> lock(mu_);
  return retention_locked(tenant);
}

Status Store::put_retention(const Tenant& tenant, int days) {
  RETURN_IF_ERROR(check_tenant(tenant));
  if (days < 1 || days > kMaxTraceRetentionDays) {
    return Status::invalid_argument("trace retention of " + std::to_string(days) +
                                    " days is not allowed: use 1.." +
                                    std::to_string(kMaxTraceRetentionDays));
  }
  uint64_t lsn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::unavailable("trace store is closed");
    WalRecordWriter w;
    w.add_retention(tenant, days);
    ASSIGN_OR_RETURN(wal::Position pos, wal_->enqueue(w.finish()));
    retention_[tenant] = days;
    retention_dirty_ = true;
    lsn = pos.lsn;
  }
  return wal_->wait_durable(lsn);
}

// ---------------------------------------------------------------------------------------------
// Get-trace

Result<std::vector<Span>> Store::get_trace(const Tenant& tenant, std::string_view trace_id) {
  if (trace_id.size() != kTraceIdBytes) {
    return Status::invalid_argument("trace id is " + std::to_string(trace_id.size()) +
                                    " bytes: it must be 16");
  }
  probe().trace_lookups->inc();
  std::vector<std::shared_ptr<TraceBlock>> candidates;
  std::vector<Span> recent;  // frozen head, then head: appended after every block
  int64_t cutoff;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::unavailable("trace store is closed");
    cutoff = cutoff_ns_locked(tenant, opts_.clock->now_ms());
    for (const auto& b : blocks_) {
      if (b->meta().tenant == tenant && b->meta().max_start >= cutoff &&
          b->may_contain_trace(trace_id)) {
        candidates.push_back(b);
      }
    }
    if (frozen_ != nullptr) frozen_->get_trace(tenant, trace_id, &recent);
    head_->get_trace(tenant, trace_id, &recent);
  }
  // Sources in append order: blocks by id (flush order; rows of one block keep append order
  // among equal keys), then the heads. The last version of a span id wins.
  std::vector<Span> all;
  for (const auto& b : candidates) {
    uint32_t begin = 0, end = 0;
    ASSIGN_OR_RETURN(bool found, b->find_trace(trace_id, &begin, &end));
    if (!found) continue;
    probe().lookup_blocks_read->inc();
    // A trace lies in one row group (groups are cut on trace boundaries).
    DecodedBlock d;
    RETURN_IF_ERROR(b->decode_group(b->group_of_row(begin), &d));
    if (begin < d.first_row || end - d.first_row > d.start.size()) {
      return Status::corruption("trace block " + b->path() + ": a trace crosses row groups");
    }
    for (uint32_t r = begin; r < end; r++) b->materialize(d, r - d.first_row, &all.emplace_back());
  }
  for (auto& s : recent) all.push_back(std::move(s));
  std::unordered_map<std::string, size_t> last;  // span id -> index in `all`
  for (size_t i = 0; i < all.size(); i++) last[all[i].span_id] = i;
  std::vector<Span> out;
  out.reserve(last.size());
  for (size_t i = 0; i < all.size(); i++) {
    if (last[all[i].span_id] == i && all[i].start_ns >= cutoff) out.push_back(std::move(all[i]));
  }
  std::sort(out.begin(), out.end(), [](const Span& a, const Span& b) {
    return a.start_ns != b.start_ns ? a.start_ns < b.start_ns : a.span_id < b.span_id;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Introspection

TraceStoreStats Store::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  TraceStoreStats s;
  s.head_spans = head_->spans + (frozen_ != nullptr ? frozen_->spans : 0);
  s.head_bytes = head_bytes_locked();
  s.blocks = blocks_.size();
  for (const auto& b : blocks_) {
    s.block_spans += b->meta().rows;
    s.block_bytes += b->meta().file_bytes;
  }
  return s;
}

std::vector<BlockInfo> Store::blocks() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<BlockInfo> out;
  for (const auto& b : blocks_) {
    const BlockMeta& m = b->meta();
    out.push_back({m.id, m.tenant, m.min_start, m.max_start, m.rows, m.traces, m.file_bytes});
  }
  return out;
}

uint64_t Store::head_bytes_locked() const {
  return head_->memory_bytes + (frozen_ != nullptr ? frozen_->memory_bytes : 0);
}

void Store::update_gauges_locked() {
  Probe& p = probe();
  p.head_bytes->set(static_cast<double>(head_bytes_locked()));
  p.head_spans->set(static_cast<double>(head_->spans + (frozen_ != nullptr ? frozen_->spans : 0)));
  uint64_t bytes = 0;
  for (const auto& b : blocks_) bytes += b->meta().file_bytes;
  p.blocks->set(static_cast<double>(blocks_.size()));
  p.block_bytes->set(static_cast<double>(bytes));
}

}  // namespace opsight::storage::tracestore
