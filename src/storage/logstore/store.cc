// logstore::Store: open and recovery, catalog management and describe. See store.h for the
// design; the write path is in store_write.cc, scans in store_scan.cc, flush/compaction/
// retention in store_maint.cc.
#include "storage/logstore/store.h"

#include <algorithm>
#include <set>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/logging.h"
#include "storage/logstore/store_internal.h"
#include "storage/logstore/wal_ops.h"

namespace opsight::storage::logstore {

Probe& probe() {
  static Probe* p = [] {
    auto& r = metrics::Registry::global();
    auto* x = new Probe;
    x->head_bytes = r.gauge("opsight_logstore_head_bytes", "Approximate memory of the log head.");
    x->head_events = r.gauge("opsight_logstore_head_events", "Events held in the log head.");
    x->blocks = r.gauge("opsight_logstore_blocks", "Log blocks on disk.");
    x->block_bytes = r.gauge("opsight_logstore_block_bytes", "Bytes of all log block files.");
    x->events_appended = r.counter("opsight_logstore_events_appended_total", "Events committed.");
    x->message_bytes_appended = r.counter("opsight_logstore_message_bytes_appended_total",
                                          "Message bytes of committed events.");
    x->appends_rejected = r.counter("opsight_logstore_commits_rejected_total",
                                    "Commits refused because the head is full.");
    x->flushes = r.counter("opsight_logstore_flushes_total", "Head flushes completed.");
    x->flush_failures = r.counter("opsight_logstore_flush_failures_total", "Head flushes failed.");
    x->compactions = r.counter("opsight_logstore_compactions_total", "Compactions completed.");
    x->compaction_failures =
        r.counter("opsight_logstore_compaction_failures_total", "Compactions failed.");
    x->retention_deleted = r.counter("opsight_logstore_retention_deleted_blocks_total",
                                     "Blocks deleted by retention.");
    x->wal_replay_skipped = r.counter("opsight_logstore_wal_replay_skipped_total",
                                      "WAL records or entries skipped on replay.");
    x->scans = r.counter("opsight_logstore_scans_total", "Scans started.");
    x->scan_blocks_read = r.counter("opsight_logstore_scan_blocks_read_total", "Blocks decoded.");
    x->scan_blocks_skipped = r.counter("opsight_logstore_scan_blocks_skipped_total",
                                       "Blocks skipped by time range, streams or token filter.");
    x->scan_bytes =
        r.counter("opsight_logstore_scan_bytes_total", "Bytes scanned (message and fields).");
    x->flush_seconds = r.histogram("opsight_logstore_flush_duration_seconds",
                                   "Duration of head flushes.", metrics::latency_buckets());
    x->compaction_seconds = r.histogram("opsight_logstore_compaction_duration_seconds",
                                        "Duration of compactions.", metrics::latency_buckets());
    return x;
  }();
  return *p;
}

namespace {

Status check_tenant(const Tenant& t) {
  if (t.account.empty() || t.region.empty()) {
    return Status::invalid_argument("tenant account and region must not be empty");
  }
  return OkStatus();
}

Status check_retention(std::string_view group, int days) {
  if (valid_log_retention_days(days)) return OkStatus();
  std::string allowed;
  for (int d : kLogRetentionDays) allowed += (allowed.empty() ? "" : ", ") + std::to_string(d);
  return Status::invalid_argument("retention of " + std::to_string(days) + " days for log group '" +
                                  std::string(group) +
                                  "' is not allowed: use 0 (never expire) or " + allowed);
}

Status group_not_found(std::string_view group) {
  return Status::not_found("log group '" + std::string(group) + "' does not exist");
}

Status stream_not_found(std::string_view group, std::string_view stream) {
  return Status::not_found("log stream '" + std::string(stream) +
                           "' does not exist in log group '" + std::string(group) + "'");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Open and recovery

Store::Store(const Options& options) : opts_(options), head_(std::make_shared<Head>()) {}

Result<std::unique_ptr<Store>> Store::open(const Options& options) {
  if (options.dir.empty()) return Status::invalid_argument("log store: dir is empty");
  if (options.partition_ms <= 0 || options.block_target_bytes == 0 || options.head_max_bytes == 0) {
    return Status::invalid_argument(
        "log store: partition_ms, block_target_bytes and head_max_bytes must be positive");
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
  // Blocks of groups deleted after the snapshot was written.
  bool dropped = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(blocks_, [&](const std::shared_ptr<LogBlock>& b) {
      if (catalog_.by_id(b->meta().group_id) != nullptr) return false;
      doomed_.push_back(b);
      dropped = true;
      return true;
    });
    update_gauges_locked();
  }
  if (dropped) {
    std::lock_guard<std::mutex> m(maint_mu_);
    RETURN_IF_ERROR(publish_snapshot(persisted_catalog_, persisted_segment_, {}));
  }
  last_flush_ms_ = opts_.clock->now_ms();
  last_retention_ms_ = last_flush_ms_;
  if (opts_.background) bg_ = std::thread([this] { bg_loop(); });
  return OkStatus();
}

Status Store::load_snapshot(std::vector<uint64_t>* block_ids) {
  const std::string path = join_path(opts_.dir, kSnapshotFile);
  if (!opts_.env->file_exists(path)) return OkStatus();
  ASSIGN_OR_RETURN(std::string data, opts_.env->read_file(path));
  auto corrupt = [&](const std::string& what) {
    return Status::corruption("log store: " + path + ": " + what);
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
  std::string_view catalog;
  if ((p = get_varint64(p, end, &version)) == nullptr || version != kSnapshotVersion ||
      (p = get_varint64(p, end, &segment)) == nullptr ||
      (p = get_varint64(p, end, &next_block)) == nullptr ||
      (p = get_length_prefixed(p, end, &catalog)) == nullptr ||
      (p = get_varint64(p, end, &n)) == nullptr) {
    return corrupt("malformed header");
  }
  for (uint64_t i = 0; i < n; i++) {
    uint64_t id;
    if ((p = get_varint64(p, end, &id)) == nullptr) return corrupt("malformed block list");
    block_ids->push_back(id);
  }
  if (p != end) return corrupt("trailing bytes");
  Catalog c;
  Status st = Catalog::parse(catalog, &c);
  if (!st.ok()) return corrupt(st.message());
  persisted_catalog_ = c;
  persisted_segment_ = segment;
  next_block_id_ = std::max<uint64_t>(next_block, 1);
  std::lock_guard<std::mutex> lock(mu_);
  catalog_ = std::move(c);
  return OkStatus();
}

Status Store::load_blocks(const std::vector<uint64_t>& ids) {
  Env* env = opts_.env;
  const std::string dir = blocks_dir();
  const std::set<uint64_t> listed(ids.begin(), ids.end());
  std::set<uint64_t> found;
  std::vector<std::shared_ptr<LogBlock>> blocks;
  ASSIGN_OR_RETURN(auto names, env->get_children(dir));
  uint64_t max_id = 0;
  bool removed = false;
  for (const auto& name : names) {
    const std::string path = join_path(dir, name);
    uint64_t id;
    if (!parse_block_file_name(name, &id)) {
      if (name.ends_with(".tmp")) {
        RETURN_IF_ERROR(env->remove_file(path));
        removed = true;
      }
      continue;  // not ours (e.g. *.corrupt)
    }
    max_id = std::max(max_id, id);
    if (!listed.contains(id)) {
      // Written by a flush or compaction whose snapshot was never committed.
      log::info("log store: removing unpublished block {}", path);
      RETURN_IF_ERROR(env->remove_file(path));
      removed = true;
      continue;
    }
    auto b = LogBlock::open(env, path);
    if (!b.ok() || (*b)->meta().id != id) {
      log::error("log store: block {} is unreadable, moving it aside: {}", path,
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
      log::error("log store: block {} listed in the catalog is missing", block_file_name(id));
    }
  }
  if (removed) RETURN_IF_ERROR(env->sync_dir(dir));
  next_block_id_ = std::max(next_block_id_.load(), max_id + 1);
  std::lock_guard<std::mutex> lock(mu_);
  blocks_ = std::move(blocks);
  return OkStatus();
}

void Store::apply_events_locked(uint64_t group_id, std::shared_ptr<HeadChunk> chunk) {
  if (chunk->rows.empty()) return;
  GroupState* g = catalog_.by_id(group_id);
  if (g != nullptr) {
    StreamState* s = g->stream_by_id(chunk->stream_id);
    if (s != nullptr) {
      Catalog::note_events(s, chunk->min_time, chunk->max_time, chunk->max_ingestion);
    }
  }
  if (head_->empty()) head_->first_append_ms = opts_.clock->now_ms();
  head_->add(group_id, std::move(chunk));
}

Status Store::replay_wal() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<WalEntry> entries;
  auto fn = [&](uint64_t segment, std::string_view payload) -> Status {
    Status st = decode_wal_record(payload, &entries, /*decode_events=*/false);
    if (!st.ok()) {
      probe().wal_replay_skipped->inc();
      log::error("log store: skipping an undecodable WAL record in segment {}: {}", segment,
                 st.to_string());
      return OkStatus();
    }
    for (WalEntry& e : entries) {
      if (!e.is_events) {
        Status a = catalog_.apply(e.op);
        if (!a.ok()) {
          probe().wal_replay_skipped->inc();
          log::warn("log store: WAL segment {}: skipping a catalog change: {}", segment,
                    a.message());
        }
        catalog_dirty_ = true;
        continue;
      }
      const GroupState* g = catalog_.by_id(e.group_id);
      if (g == nullptr || g->stream_by_id(e.stream_id) == nullptr) {
        probe().wal_replay_skipped->inc();
        continue;  // deleted later, or a damaged log
      }
      auto chunk = HeadChunk::parse(std::string(e.encoded_events));
      if (!chunk.ok()) {  // cannot happen: decode_wal_record checked the same bytes
        probe().wal_replay_skipped->inc();
        continue;
      }
      (*chunk)->stream_id = e.stream_id;
      apply_events_locked(e.group_id, std::move(*chunk));
    }
    return OkStatus();
  };
  Status st = wal_->replay(persisted_segment_, fn, &replay_stats_);
  const auto& rs = replay_stats_;
  log::info(
      "log store: WAL replay: {} segments, {} records, {} bytes, tail_truncated={} ({} bytes "
      "dropped{}{}), head {} events",
      rs.segments, rs.records, rs.bytes, rs.tail_truncated, rs.dropped_bytes,
      rs.detail.empty() ? "" : ": ", rs.detail, head_->rows);
  update_gauges_locked();
  if (!st.ok()) {
    if (st.code() != Code::kCorruption) return st;
    log::error("log store: WAL corruption, keeping the records before it: {}", st.to_string());
  }
  return OkStatus();
}

Store::~Store() {
  {
    std::lock_guard<std::mutex> lock(bg_mu_);
    bg_stop_ = true;
  }
  bg_cv_.notify_all();
  if (bg_.joinable()) bg_.join();
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
  {
    std::lock_guard<std::mutex> lock(bg_mu_);
    bg_stop_ = true;
  }
  bg_cv_.notify_all();
  if (bg_.joinable()) bg_.join();
  Status st;
  {
    std::lock_guard<std::mutex> m(maint_mu_);
    st = flush_locked();
  }
  Status ws = wal_->close();
  return st.ok() ? ws : st;
}

// ---------------------------------------------------------------------------------------------
// Catalog management

Result<uint64_t> Store::log_op_locked(const CatalogOp& op) {
  WalRecordWriter w;
  w.add_op(op);
  ASSIGN_OR_RETURN(wal::Position pos, wal_->enqueue(w.finish()));
  Status st = catalog_.apply(op);
  if (!st.ok()) return Status::internal("log store: " + st.message());
  catalog_dirty_ = true;
  return pos.lsn;
}

Status Store::create_group(const Tenant& tenant, std::string_view group, int retention_days) {
  RETURN_IF_ERROR(check_tenant(tenant));
  if (group.empty()) return Status::invalid_argument("log group name must not be empty");
  RETURN_IF_ERROR(check_retention(group, retention_days));
  uint64_t lsn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::unavailable("log store is closed");
    if (catalog_.find(tenant, group) != nullptr) {
      return Status::already_exists("log group '" + std::string(group) + "' already exists");
    }
    CatalogOp op;
    op.type = CatalogOp::kCreateGroup;
    op.group_id = catalog_.next_group_id();
    op.tenant = tenant;
    op.name = std::string(group);
    op.retention_days = retention_days;
    op.time_ms = opts_.clock->now_ms();
    ASSIGN_OR_RETURN(lsn, log_op_locked(op));
  }
  return wal_->wait_durable(lsn);
}

Status Store::delete_group(const Tenant& tenant, std::string_view group) {
  uint64_t lsn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::unavailable("log store is closed");
    const GroupState* g = catalog_.find(tenant, group);
    if (g == nullptr) return group_not_found(group);
    CatalogOp op;
    op.type = CatalogOp::kDeleteGroup;
    op.group_id = g->id;
    ASSIGN_OR_RETURN(lsn, log_op_locked(op));
    auto it = head_->groups.find(op.group_id);
    if (it != head_->groups.end()) {
      for (const auto& c : it->second.chunks) {
        head_->memory_bytes -= c->memory_bytes;
        head_->rows -= c->rows.size();
      }
      head_->groups.erase(it);
    }
    std::erase_if(blocks_, [&](const std::shared_ptr<LogBlock>& b) {
      if (b->meta().group_id != op.group_id) return false;
      doomed_.push_back(b);
      return true;
    });
    update_gauges_locked();
  }
  return wal_->wait_durable(lsn);
}

Status Store::put_retention(const Tenant& tenant, std::string_view group, int retention_days) {
  RETURN_IF_ERROR(check_retention(group, retention_days));
  uint64_t lsn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::unavailable("log store is closed");
    const GroupState* g = catalog_.find(tenant, group);
    if (g == nullptr) return group_not_found(group);
    CatalogOp op;
    op.type = CatalogOp::kPutRetention;
    op.group_id = g->id;
    op.retention_days = retention_days;
    ASSIGN_OR_RETURN(lsn, log_op_locked(op));
  }
  return wal_->wait_durable(lsn);
}

Status Store::put_indexed_fields(const Tenant& tenant, std::string_view group,
                                 std::vector<std::string> fields) {
  std::sort(fields.begin(), fields.end());
  fields.erase(std::unique(fields.begin(), fields.end()), fields.end());
  if (fields.size() > opts_.max_indexed_fields) {
    return Status::invalid_argument(
        "log group '" + std::string(group) + "': " + std::to_string(fields.size()) +
        " indexed fields, at most " + std::to_string(opts_.max_indexed_fields) + " are allowed");
  }
  for (const auto& f : fields) {
    if (f.empty()) {
      return Status::invalid_argument("log group '" + std::string(group) +
                                      "': an indexed field name is empty");
    }
  }
  uint64_t lsn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::unavailable("log store is closed");
    const GroupState* g = catalog_.find(tenant, group);
    if (g == nullptr) return group_not_found(group);
    CatalogOp op;
    op.type = CatalogOp::kPutIndexedFields;
    op.group_id = g->id;
    op.fields = std::move(fields);
    ASSIGN_OR_RETURN(lsn, log_op_locked(op));
  }
  return wal_->wait_durable(lsn);
}

Status Store::create_stream(const Tenant& tenant, std::string_view group, std::string_view stream) {
  if (stream.empty()) return Status::invalid_argument("log stream name must not be empty");
  uint64_t lsn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::unavailable("log store is closed");
    const GroupState* g = catalog_.find(tenant, group);
    if (g == nullptr) return group_not_found(group);
    if (g->stream_by_name(stream) != nullptr) {
      return Status::already_exists("log stream '" + std::string(stream) +
                                    "' already exists in log group '" + std::string(group) + "'");
    }
    CatalogOp op;
    op.type = CatalogOp::kCreateStream;
    op.group_id = g->id;
    op.stream_id = g->next_stream_id;
    op.name = std::string(stream);
    op.time_ms = opts_.clock->now_ms();
    ASSIGN_OR_RETURN(lsn, log_op_locked(op));
  }
  return wal_->wait_durable(lsn);
}

Status Store::delete_stream(const Tenant& tenant, std::string_view group, std::string_view stream) {
  uint64_t lsn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::unavailable("log store is closed");
    const GroupState* g = catalog_.find(tenant, group);
    if (g == nullptr) return group_not_found(group);
    const StreamState* s = g->stream_by_name(stream);
    if (s == nullptr) return stream_not_found(group, stream);
    CatalogOp op;
    op.type = CatalogOp::kDeleteStream;
    op.group_id = g->id;
    op.stream_id = s->id;
    ASSIGN_OR_RETURN(lsn, log_op_locked(op));
  }
  return wal_->wait_durable(lsn);
}

Result<std::vector<LogGroupInfo>> Store::describe_groups(const Tenant& tenant,
                                                         std::string_view prefix) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status::unavailable("log store is closed");
  std::unordered_map<uint64_t, uint64_t> bytes;  // group id -> stored bytes of live streams
  auto live = [&](uint64_t gid, uint32_t sid) {
    const GroupState* g = catalog_.by_id(gid);
    return g != nullptr && g->streams.contains(sid);
  };
  for (const auto& b : blocks_) {
    for (const auto& s : b->meta().streams) {
      if (live(b->meta().group_id, s.id)) bytes[b->meta().group_id] += s.stored_bytes;
    }
  }
  for (const Head* h : {static_cast<const Head*>(head_.get()), frozen_.get()}) {
    if (h == nullptr) continue;
    for (const auto& [gid, hg] : h->groups) {
      for (const auto& c : hg.chunks) {
        if (live(gid, c->stream_id)) bytes[gid] += c->stored_bytes;
      }
    }
  }
  std::vector<LogGroupInfo> out;
  for (const GroupState* g : catalog_.list(tenant, prefix)) {
    LogGroupInfo info;
    info.name = g->name;
    info.retention_days = g->retention_days;
    info.creation_time_ms = g->creation_ms;
    info.stored_bytes = bytes[g->id];
    info.indexed_fields = g->indexed_fields;
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::vector<LogStreamInfo>> Store::describe_streams(const Tenant& tenant,
                                                           std::string_view group,
                                                           std::string_view prefix) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status::unavailable("log store is closed");
  const GroupState* g = catalog_.find(tenant, group);
  if (g == nullptr) return group_not_found(group);
  std::unordered_map<uint32_t, uint64_t> bytes;
  for (const auto& b : blocks_) {
    if (b->meta().group_id != g->id) continue;
    for (const auto& s : b->meta().streams) bytes[s.id] += s.stored_bytes;
  }
  for (const Head* h : {static_cast<const Head*>(head_.get()), frozen_.get()}) {
    if (h == nullptr) continue;
    auto it = h->groups.find(g->id);
    if (it == h->groups.end()) continue;
    for (const auto& c : it->second.chunks) bytes[c->stream_id] += c->stored_bytes;
  }
  std::vector<LogStreamInfo> out;
  for (auto it = g->stream_names.lower_bound(prefix);
       it != g->stream_names.end() && it->first.starts_with(prefix); ++it) {
    const StreamState& s = g->streams.at(it->second);
    LogStreamInfo info;
    info.name = s.name;
    info.creation_time_ms = s.creation_ms;
    info.first_event_ms = s.first_event_ms;
    info.last_event_ms = s.last_event_ms;
    info.last_ingestion_ms = s.last_ingestion_ms;
    info.stored_bytes = bytes[s.id];
    out.push_back(std::move(info));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Introspection

std::vector<BlockInfo> Store::blocks() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<BlockInfo> out;
  for (const auto& b : blocks_) {
    const BlockMeta& m = b->meta();
    out.push_back(
        {m.id, m.group_id, m.level, m.min_time, m.max_time, m.rows, m.file_bytes, m.account_bytes});
  }
  std::sort(out.begin(), out.end(), [](const BlockInfo& a, const BlockInfo& b) {
    return a.min_time != b.min_time ? a.min_time < b.min_time : a.id < b.id;
  });
  return out;
}

uint64_t Store::head_bytes_locked() const {
  return head_->memory_bytes + (frozen_ != nullptr ? frozen_->memory_bytes : 0);
}

uint64_t Store::head_memory_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return head_bytes_locked();
}

void Store::update_gauges_locked() {
  Probe& p = probe();
  p.head_bytes->set(static_cast<double>(head_bytes_locked()));
  p.head_events->set(static_cast<double>(head_->rows + (frozen_ != nullptr ? frozen_->rows : 0)));
  uint64_t bytes = 0;
  for (const auto& b : blocks_) bytes += b->meta().file_bytes;
  p.blocks->set(static_cast<double>(blocks_.size()));
  p.block_bytes->set(static_cast<double>(bytes));
}

}  // namespace opsight::storage::logstore
