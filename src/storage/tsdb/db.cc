// tsdb::Db: open/recovery, the commit path, flush, compaction, retention and the background
// thread. See db.h for the design; the read side is in db_query.cc, the Appender in
// db_appender.cc.
#include "storage/tsdb/db.h"

#include <simdjson.h>

#include <algorithm>
#include <set>

#include "common/json_writer.h"
#include "common/logging.h"
#include "storage/tsdb/compact.h"
#include "storage/tsdb/db_internal.h"
#include "storage/tsdb/merge.h"
#include "storage/tsdb/wal_record.h"

namespace opsight::storage::tsdb {

namespace {

constexpr std::string_view kTmpSuffix = ".tmp";
constexpr std::string_view kCorruptSuffix = ".corrupt";
constexpr std::string_view kMetadataFile = "metadata.json";
// The exemplar ring at the last flush: one WAL record holding only exemplars.
constexpr std::string_view kExemplarFile = "exemplars.snapshot";

double seconds_since(Clock* clock, int64_t start_ns) {
  return static_cast<double>(clock->mono_ns() - start_ns) / 1e9;
}

}  // namespace

Probe& probe() {
  static Probe* p = [] {
    auto& r = metrics::Registry::global();
    auto* x = new Probe;
    x->series = r.gauge("opsight_tsdb_head_series", "Series in the metrics head registry.");
    x->head_samples = r.gauge("opsight_tsdb_head_samples", "Samples held in the metrics head.");
    x->head_chunks = r.gauge("opsight_tsdb_head_chunks", "Chunks held in the metrics head.");
    x->head_bytes = r.gauge("opsight_tsdb_head_bytes", "Approximate memory of the metrics head.");
    x->blocks = r.gauge("opsight_tsdb_blocks", "Metrics blocks on disk.");
    x->block_bytes = r.gauge("opsight_tsdb_block_bytes", "Bytes of all metrics block files.");
    x->appended = r.counter("opsight_tsdb_samples_appended_total", "Samples committed.");
    x->rejected_too_old = r.counter("opsight_tsdb_samples_rejected_total",
                                    "Samples rejected at append.", Labels{{"reason", "too_old"}});
    x->rejected_future =
        r.counter("opsight_tsdb_samples_rejected_total", "Samples rejected at append.",
                  Labels{{"reason", "too_far_in_future"}});
    x->flushes = r.counter("opsight_tsdb_flushes_total", "Head flushes completed.");
    x->flush_failures = r.counter("opsight_tsdb_flush_failures_total", "Head flushes failed.");
    x->compactions = r.counter("opsight_tsdb_compactions_total", "Compactions completed.");
    x->compaction_failures =
        r.counter("opsight_tsdb_compaction_failures_total", "Compactions failed.");
    x->retention_deleted =
        r.counter("opsight_tsdb_retention_deleted_blocks_total", "Blocks deleted by retention.");
    x->wal_replay_skipped = r.counter("opsight_tsdb_wal_replay_skipped_total",
                                      "WAL records or sample groups skipped on replay.");
    x->flush_seconds = r.histogram("opsight_tsdb_flush_duration_seconds",
                                   "Duration of head flushes.", metrics::latency_buckets());
    x->compaction_seconds = r.histogram("opsight_tsdb_compaction_duration_seconds",
                                        "Duration of compactions.", metrics::latency_buckets());
    return x;
  }();
  return *p;
}

// ---------------------------------------------------------------------------------------------
// Open and recovery

Db::Db(const Options& options)
    : opts_(options),
      cache_(options.page_cache_bytes),
      head_(std::make_shared<Head>(options.block_range_ms)),
      exemplars_(options.max_exemplars) {}

Result<std::unique_ptr<Db>> Db::open(const Options& options) {
  if (options.dir.empty()) return Status::invalid_argument("metrics store: dir is empty");
  if (options.block_range_ms <= 0 || options.retention_ms <= 0 ||
      options.out_of_order_window_ms < 0 || options.future_window_ms < 0) {
    return Status::invalid_argument(
        "metrics store: block_range_ms and retention_ms must be positive, windows >= 0");
  }
  std::unique_ptr<Db> db(new Db(options));
  RETURN_IF_ERROR(db->open_impl());
  return db;
}

std::string Db::blocks_dir() const {
  return join_path(opts_.dir, "blocks");
}

Status Db::open_impl() {
  Env* env = opts_.env;
  RETURN_IF_ERROR(env->create_dirs(blocks_dir()));
  ASSIGN_OR_RETURN(lock_, env->lock_file(join_path(opts_.dir, "LOCK")));
  RETURN_IF_ERROR(load_blocks());
  RETURN_IF_ERROR(load_metadata());
  load_exemplars();
  wal::Options wo;
  wo.dir = join_path(opts_.dir, "wal");
  wo.env = env;
  wo.sync = opts_.wal_sync;
  wo.sync_interval_ms = opts_.wal_sync_interval_ms;
  // Segments are rotated by commit() itself (kWalSegmentBytes), under mu_, so that it always
  // knows which segment a record goes to and which refs that segment has defined.
  wo.segment_bytes = 1ull << 62;
  ASSIGN_OR_RETURN(wal_, wal::Wal::open(wo));
  RETURN_IF_ERROR(replay_wal());
  {
    std::lock_guard<std::mutex> lock(mu_);
    wal_segment_ = wal_->current_segment();
    update_gauges_locked();
  }
  last_flush_ms_ = opts_.clock->now_ms();
  last_compact_ms_ = last_flush_ms_;
  if (head_->memory_bytes() > opts_.head_max_bytes) {
    std::lock_guard<std::mutex> m(maint_mu_);
    Status st = flush_locked();
    if (!st.ok()) log::error("metrics store: flush after WAL replay failed: {}", st.to_string());
  }
  if (opts_.background) bg_ = std::thread([this] { bg_loop(); });
  return OkStatus();
}

Status Db::load_blocks() {
  Env* env = opts_.env;
  const std::string dir = blocks_dir();
  ASSIGN_OR_RETURN(auto names, env->get_children(dir));
  std::vector<std::shared_ptr<Block>> blocks;
  uint64_t max_id = 0;
  for (const auto& name : names) {
    const std::string path = join_path(dir, name);
    if (name.ends_with(kTmpSuffix)) {  // a flush or compaction that did not finish
      log::info("metrics store: removing unfinished block {}", path);
      RETURN_IF_ERROR(env->remove_dir_all(path));
      continue;
    }
    uint64_t id;
    if (!parse_block_dir_name(name, &id)) continue;  // not ours (e.g. *.corrupt)
    max_id = std::max(max_id, id);
    auto b = Block::open(env, path, &cache_);
    if (!b.ok()) {
      // Keep the bytes for inspection but never read them again.
      log::error("metrics store: block {} is unreadable, moving it aside: {}", path,
                 b.status().to_string());
      RETURN_IF_ERROR(env->rename(path, path + std::string(kCorruptSuffix)));
      continue;
    }
    if ((*b)->meta().id != id) {
      log::error("metrics store: block {} names id {} in meta.json, moving it aside", path,
                 block_dir_name((*b)->meta().id));
      RETURN_IF_ERROR(env->rename(path, path + std::string(kCorruptSuffix)));
      continue;
    }
    blocks.push_back(std::move(*b));
  }
  // A compaction that crashed after its output became durable leaves its sources behind.
  std::set<uint64_t> superseded;
  for (const auto& b : blocks)
    superseded.insert(b->meta().sources.begin(), b->meta().sources.end());
  std::vector<std::shared_ptr<Block>> live;
  for (auto& b : blocks) {
    if (superseded.contains(b->meta().id)) {
      log::info("metrics store: removing block {} superseded by compaction", b->dir());
      RETURN_IF_ERROR(env->remove_dir_all(b->dir()));
    } else {
      live.push_back(std::move(b));
    }
  }
  RETURN_IF_ERROR(env->sync_dir(dir));
  next_block_id_ = max_id + 1;
  std::lock_guard<std::mutex> lock(mu_);
  blocks_ = std::move(live);
  return OkStatus();
}

void Db::load_exemplars() {
  const std::string path = join_path(opts_.dir, kExemplarFile);
  if (!opts_.env->file_exists(path)) return;
  auto text = opts_.env->read_file(path);
  WalRecord rec;
  Status st = text.ok() ? decode_wal_record(*text, &rec) : text.status();
  if (!st.ok()) {
    // Exemplars are advisory: losing them must not keep the store from opening.
    log::error("metrics store: ignoring {}: {}", path, st.to_string());
    return;
  }
  for (const auto& x : rec.exemplars) exemplars_.add(x.tenant, x.series, x.exemplar);
}

Status Db::write_exemplar_snapshot() {
  WalRecordBuilder b;
  exemplars_.for_each([&b](const Tenant& tenant, const Labels& series, const Exemplar& e) {
    b.add_exemplar(tenant, series, e);
  });
  return opts_.env->write_file_atomic(join_path(opts_.dir, kExemplarFile), b.finish());
}

Status Db::load_metadata() {
  const std::string path = join_path(opts_.dir, kMetadataFile);
  if (!opts_.env->file_exists(path)) return OkStatus();
  ASSIGN_OR_RETURN(std::string text, opts_.env->read_file(path));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::padded_string padded(text);
  simdjson::dom::array arr;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS ||
      doc["metadata"].get_array().get(arr) != simdjson::SUCCESS) {
    // Metadata is advisory: losing it must not keep the store from opening.
    log::error("metrics store: {} is malformed; ignoring it", path);
    return OkStatus();
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (auto e : arr) {
    std::string_view account, region, metric, type, help, unit;
    if (e["account"].get_string().get(account) != simdjson::SUCCESS ||
        e["region"].get_string().get(region) != simdjson::SUCCESS ||
        e["metric"].get_string().get(metric) != simdjson::SUCCESS ||
        e["type"].get_string().get(type) != simdjson::SUCCESS ||
        e["help"].get_string().get(help) != simdjson::SUCCESS ||
        e["unit"].get_string().get(unit) != simdjson::SUCCESS) {
      log::error("metrics store: skipping a malformed entry of {}", path);
      continue;
    }
    metadata_[{Tenant{std::string(account), std::string(region)}, std::string(metric)}] =
        MetricMetadata{std::string(type), std::string(help), std::string(unit)};
  }
  return OkStatus();
}

Status Db::write_metadata_file(const std::map<std::pair<Tenant, std::string>, MetricMetadata>& m) {
  json::Writer w;
  w.begin_object().kv("version", 1).key("metadata").begin_array();
  for (const auto& [key, meta] : m) {
    w.begin_object()
        .kv("account", key.first.account)
        .kv("region", key.first.region)
        .kv("metric", key.second)
        .kv("type", meta.type)
        .kv("help", meta.help)
        .kv("unit", meta.unit)
        .end_object();
  }
  w.end_array().end_object();
  return opts_.env->write_file_atomic(join_path(opts_.dir, kMetadataFile), w.str());
}

Status Db::replay_wal() {
  // Refs are defined per segment: the map starts empty at every segment.
  uint64_t cur_segment = UINT64_MAX;
  std::unordered_map<uint64_t, uint32_t> refs;
  std::lock_guard<std::mutex> lock(mu_);
  auto fn = [&](uint64_t segment, std::string_view payload) -> Status {
    if (segment != cur_segment) {
      cur_segment = segment;
      refs.clear();
    }
    WalRecord rec;
    Status st = decode_wal_record(payload, &rec);
    if (!st.ok()) {
      probe().wal_replay_skipped->inc();
      log::error("metrics store: skipping an undecodable WAL record in segment {}: {}", segment,
                 st.to_string());
      return OkStatus();
    }
    for (const auto& s : rec.series) {
      bool created;
      ASSIGN_OR_RETURN(uint32_t ref, index_.get_or_create(s.labels, &created));
      refs[s.ref] = ref;
    }
    for (const auto& g : rec.samples) {
      auto it = refs.find(g.ref);
      if (it == refs.end()) {
        probe().wal_replay_skipped->inc();
        log::warn("metrics store: WAL segment {} uses undefined series ref {}; skipped", segment,
                  g.ref);
        continue;
      }
      for (const auto& s : g.samples) head_->append(it->second, s);
    }
    for (const auto& m : rec.metadata) {
      metadata_[{m.tenant, m.metric}] = m.meta;
      metadata_dirty_ = true;
    }
    for (const auto& x : rec.exemplars) exemplars_.add(x.tenant, x.series, x.exemplar);
    return OkStatus();
  };
  Status st = wal_->replay(0, fn, &replay_stats_);
  const auto& rs = replay_stats_;
  log::info(
      "metrics store: WAL replay: {} segments, {} records, {} bytes, tail_truncated={} "
      "(segment {} at {}, {} bytes dropped{}{}), head {} series / {} samples",
      rs.segments, rs.records, rs.bytes, rs.tail_truncated, rs.truncated_segment, rs.truncated_at,
      rs.dropped_bytes, rs.detail.empty() ? "" : ": ", rs.detail, index_.size(),
      head_->num_samples());
  if (!st.ok()) {
    if (st.code() != Code::kCorruption) return st;
    // Corruption before the last segment: keep the good prefix (documented WAL contract).
    log::error("metrics store: WAL corruption, keeping the records before it: {}", st.to_string());
  }
  return OkStatus();
}

Db::~Db() {
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

Status Db::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return OkStatus();
    closed_ = true;  // appends and queries now fail with Unavailable
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
// Write path

void Db::StagedBatch::clear() {
  series.clear();
  labels.clear();
  samples.clear();
  owned.clear();
  metadata.clear();
  exemplars.clear();
}

Status Db::commit(const Tenant& tenant, const StagedBatch& batch) {
  const size_t n = batch.series.size();
  auto labels_of = [&](const StagedBatch::Series& s) {
    return std::span<const LabelView>(batch.labels).subspan(s.label_off, s.label_n);
  };
  auto samples_of = [&](const StagedBatch::Series& s) {
    return std::span<const Sample>(batch.samples).subspan(s.sample_off, s.sample_n);
  };
  uint64_t lsn;
  bool kick;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::unavailable("metrics store is closed");
    std::vector<uint32_t> refs(n);
    for (size_t i = 0; i < n; i++) {
      const auto& s = batch.series[i];
      refs[i] = index_.find(s.hash, labels_of(s), tenant.account, tenant.region);
      if (refs[i] != 0) continue;
      std::vector<Label> full;
      full.reserve(s.label_n + 2);
      for (const auto& l : labels_of(s))
        full.push_back({std::string(l.name), std::string(l.value)});
      full.push_back({std::string(kAccountLabel), tenant.account});
      full.push_back({std::string(kRegionLabel), tenant.region});
      bool created;
      ASSIGN_OR_RETURN(refs[i], index_.get_or_create(Labels(std::move(full)), &created));
    }
    if (wal_segment_bytes_ >= kWalSegmentBytes) {
      auto seg = wal_->rotate();
      if (!seg.ok()) return seg.status();
      wal_segment_bytes_ = 0;
    }
    if (wal_->current_segment() != wal_segment_) {
      wal_segment_ = wal_->current_segment();
      wal_defined_.clear();
    }
    std::vector<uint32_t> defined;
    auto encode = [&](bool define_all) {
      WalRecordBuilder b;
      Bitmap seen;
      defined.clear();
      for (size_t i = 0; i < n; i++) {
        uint32_t ref = refs[i];
        if (seen.contains(ref)) continue;
        seen.add(ref);
        if (define_all || !wal_defined_.contains(ref)) {
          b.add_series(ref, *index_.labels(ref));
          defined.push_back(ref);
        }
      }
      for (size_t i = 0; i < n; i++) b.add_samples(refs[i], samples_of(batch.series[i]));
      for (const auto& m : batch.metadata) b.add_metadata(tenant, m.metric, m.meta);
      for (const auto& x : batch.exemplars) b.add_exemplar(tenant, x.series, x.exemplar);
      return b.finish();
    };
    std::string payload = encode(false);
    wal_segment_bytes_ += payload.size();
    ASSIGN_OR_RETURN(wal::Position pos, wal_->enqueue(std::move(payload)));
    if (pos.segment != wal_segment_) {
      // The WAL started a new segment on its own (size limit) and this record went there
      // without the definitions of refs defined earlier: write it again, defining every ref.
      // Replay skips the undefined groups of the first copy; duplicates are harmless.
      wal_segment_ = pos.segment;
      wal_defined_.clear();
      ASSIGN_OR_RETURN(pos, wal_->enqueue(encode(true)));
      if (pos.segment != wal_segment_) {
        wal_segment_ = pos.segment;
        wal_defined_.clear();
        ASSIGN_OR_RETURN(pos, wal_->enqueue(encode(true)));
      }
    }
    for (uint32_t r : defined) wal_defined_.add(r);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
      for (const auto& s : samples_of(batch.series[i])) head_->append(refs[i], s);
      total += batch.series[i].sample_n;
    }
    for (const auto& m : batch.metadata) {
      metadata_[{tenant, m.metric}] = m.meta;
      metadata_dirty_ = true;
    }
    for (const auto& x : batch.exemplars) exemplars_.add(tenant, x.series, x.exemplar);
    probe().appended->inc(total);
    lsn = pos.lsn;
    kick = head_->memory_bytes() > opts_.head_max_bytes;
  }
  if (kick && opts_.background) {
    {
      std::lock_guard<std::mutex> lock(bg_mu_);
      bg_kick_ = true;
    }
    bg_cv_.notify_one();
  }
  return wal_->wait_durable(lsn);
}

// ---------------------------------------------------------------------------------------------
// Flush

Status Db::hook(std::string_view point) {
  return opts_.fault_hook ? opts_.fault_hook(point) : OkStatus();
}

Status Db::flush() {
  std::lock_guard<std::mutex> m(maint_mu_);
  return flush_locked();
}

Status Db::flush_locked() {
  const int64_t start = opts_.clock->mono_ns();
  // A head frozen by a flush that failed is written first.
  bool have_frozen;
  {
    std::lock_guard<std::mutex> lock(mu_);
    have_frozen = frozen_ != nullptr;
  }
  if (have_frozen) {
    Status st = write_frozen();
    if (!st.ok()) {
      probe().flush_failures->inc();
      return st;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (head_->empty() && !metadata_dirty_) {
      last_flush_ms_ = opts_.clock->now_ms();
      return OkStatus();
    }
    auto seg = wal_->rotate();
    if (!seg.ok()) {
      probe().flush_failures->inc();
      return seg.status();
    }
    wal_segment_ = *seg;
    wal_segment_bytes_ = 0;
    wal_defined_.clear();
    frozen_segment_ = *seg;
    frozen_ = std::move(head_);
    head_ = std::make_shared<Head>(opts_.block_range_ms);
    frozen_series_.clear();
    for (uint32_t ref : frozen_->refs()) frozen_series_.emplace_back(*index_.labels(ref), ref);
    frozen_metadata_ = metadata_;
    metadata_dirty_ = false;
  }
  std::sort(frozen_series_.begin(), frozen_series_.end());
  Status st = hook("flush.frozen");
  if (st.ok()) st = write_frozen();
  if (!st.ok()) {
    probe().flush_failures->inc();
    log::error("metrics store: flush failed (will retry): {}", st.to_string());
    return st;
  }
  probe().flushes->inc();
  probe().flush_seconds->observe(seconds_since(opts_.clock, start));
  last_flush_ms_ = opts_.clock->now_ms();
  return OkStatus();
}

Status Db::write_frozen() {
  // frozen_ receives no appends; reading it without mu_ is safe (see head.h).
  std::shared_ptr<Head> frozen;
  {
    std::lock_guard<std::mutex> lock(mu_);
    frozen = frozen_;
  }
  const int64_t range = opts_.block_range_ms;
  std::vector<std::shared_ptr<Block>> written;
  Status st;
  std::vector<Sample> samples;
  for (int64_t part : frozen->partitions()) {
    const int64_t mint = part * range, maxt = mint + range - 1;
    const uint64_t id = next_block_id_++;
    const std::string tmp = join_path(blocks_dir(), block_dir_name(id) + std::string(kTmpSuffix));
    const std::string final_dir = join_path(blocks_dir(), block_dir_name(id));
    auto w = BlockWriter::create(opts_.env, tmp, opts_.flush_zstd_level);
    if (!w.ok()) {
      st = w.status();
      break;
    }
    for (const auto& [labels, ref] : frozen_series_) {
      HeadSeriesData d;
      if (!frozen->snapshot(ref, mint, maxt, &d)) continue;
      samples.clear();
      st = d.samples(mint, maxt, &samples);
      if (st.ok() && !samples.empty()) st = (*w)->add_series(labels, samples);
      if (!st.ok()) break;
    }
    if (!st.ok()) break;
    if ((*w)->num_series() == 0) {
      w->reset();
      st = opts_.env->remove_dir_all(tmp);
      if (!st.ok()) break;
      continue;
    }
    BlockMeta meta;
    meta.id = id;
    meta.level = 0;
    meta.priority = id;
    st = (*w)->finish(&meta);
    if (st.ok()) st = opts_.env->rename(tmp, final_dir);
    if (st.ok()) st = opts_.env->sync_dir(blocks_dir());
    if (!st.ok()) break;
    auto b = Block::open(opts_.env, final_dir, &cache_);
    if (!b.ok()) {
      st = b.status();
      break;
    }
    written.push_back(std::move(*b));
  }
  if (st.ok()) st = write_metadata_file(frozen_metadata_);
  // Before the WAL segments holding them go.
  if (st.ok()) st = write_exemplar_snapshot();
  if (st.ok()) st = hook("flush.written");
  {
    // Publish what was written even on failure: it is durable, and queries merge it with the
    // frozen head (same data) until a retry completes.
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& b : written) blocks_.push_back(std::move(b));
    if (st.ok()) {
      frozen_ = nullptr;
      frozen_series_.clear();
      gc_series_locked();
    }
    update_gauges_locked();
  }
  if (!st.ok()) return st;
  // The frozen head's data is in blocks now: its WAL segments can go.
  return wal_->remove_before(frozen_segment_);
}

void Db::gc_series_locked() {
  std::vector<uint32_t> dead;
  index_.for_each([&](uint32_t ref) {
    if (!head_->has(ref) && (frozen_ == nullptr || !frozen_->has(ref))) dead.push_back(ref);
  });
  for (uint32_t ref : dead) index_.remove(ref);
}

void Db::update_gauges_locked() {
  Probe& p = probe();
  p.series->set(static_cast<double>(index_.size()));
  uint64_t samples = head_->num_samples(), chunks = head_->num_chunks();
  uint64_t bytes = head_->memory_bytes();
  if (frozen_ != nullptr) {
    samples += frozen_->num_samples();
    chunks += frozen_->num_chunks();
    bytes += frozen_->memory_bytes();
  }
  p.head_samples->set(static_cast<double>(samples));
  p.head_chunks->set(static_cast<double>(chunks));
  p.head_bytes->set(static_cast<double>(bytes));
  uint64_t block_bytes = 0;
  for (const auto& b : blocks_) block_bytes += b->meta().data_bytes;
  p.blocks->set(static_cast<double>(blocks_.size()));
  p.block_bytes->set(static_cast<double>(block_bytes));
}

// ---------------------------------------------------------------------------------------------
// Compaction and retention

Status Db::compact() {
  std::lock_guard<std::mutex> m(maint_mu_);
  return compact_locked();
}

Status Db::delete_blocks(const std::vector<std::shared_ptr<Block>>& blocks) {
  // Readers holding a Block keep its open file; deleting the directory is safe (POSIX).
  for (const auto& b : blocks) RETURN_IF_ERROR(opts_.env->remove_dir_all(b->dir()));
  return opts_.env->sync_dir(blocks_dir());
}

Status Db::compact_locked() {
  const int64_t now = opts_.clock->now_ms();
  last_compact_ms_ = now;
  CompactionOptions co{opts_.block_range_ms, opts_.retention_ms};
  // Retention first: never compact data that is about to be deleted.
  {
    std::vector<std::shared_ptr<Block>> expired;
    {
      std::lock_guard<std::mutex> lock(mu_);
      std::vector<BlockMeta> metas;
      for (const auto& b : blocks_) metas.push_back(b->meta());
      std::set<uint64_t> ids;
      for (uint64_t id : plan_retention(metas, co, now)) ids.insert(id);
      std::erase_if(blocks_, [&](const std::shared_ptr<Block>& b) {
        if (!ids.contains(b->meta().id)) return false;
        expired.push_back(b);
        return true;
      });
      update_gauges_locked();
    }
    if (!expired.empty()) {
      probe().retention_deleted->inc(expired.size());
      RETURN_IF_ERROR(delete_blocks(expired));
    }
  }
  for (int round = 0; round < 1000; round++) {
    std::vector<BlockMeta> metas = block_metas();
    CompactionPlan plan = plan_compaction(metas, co, now);
    if (plan.sources.empty()) break;
    const int64_t start = opts_.clock->mono_ns();
    Status st = run_compaction(plan.sources, plan.level);
    if (!st.ok()) {
      probe().compaction_failures->inc();
      log::error("metrics store: compaction failed: {}", st.to_string());
      return st;
    }
    probe().compactions->inc();
    probe().compaction_seconds->observe(seconds_since(opts_.clock, start));
  }
  return OkStatus();
}

Status Db::run_compaction(const std::vector<uint64_t>& source_ids, int level) {
  std::vector<std::shared_ptr<Block>> sources;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& b : blocks_) {
      if (std::find(source_ids.begin(), source_ids.end(), b->meta().id) != source_ids.end()) {
        sources.push_back(b);
      }
    }
  }
  if (sources.size() != source_ids.size()) return Status::internal("compaction: source vanished");
  std::sort(sources.begin(), sources.end(), [](const auto& a, const auto& b) {
    return a->meta().priority != b->meta().priority ? a->meta().priority < b->meta().priority
                                                    : a->meta().id < b->meta().id;
  });
  const uint64_t id = next_block_id_++;
  const std::string tmp = join_path(blocks_dir(), block_dir_name(id) + std::string(kTmpSuffix));
  const std::string final_dir = join_path(blocks_dir(), block_dir_name(id));
  ASSIGN_OR_RETURN(auto w, BlockWriter::create(opts_.env, tmp, opts_.compact_zstd_level));
  // K-way merge of the sources' series, which are sorted by labels.
  struct Cursor {
    const BlockReader* r;
    uint32_t pos;
    Labels labels;
  };
  std::vector<Cursor> cursors;
  for (const auto& b : sources) {
    Cursor c{&b->reader(), 0, {}};
    if (c.r->num_series() > 0) c.labels = c.r->series_labels(0);
    cursors.push_back(std::move(c));
  }
  std::vector<Sample> merged, part;
  while (true) {
    const Labels* min = nullptr;
    for (const auto& c : cursors) {
      if (c.pos < c.r->num_series() && (min == nullptr || c.labels < *min)) min = &c.labels;
    }
    if (min == nullptr) break;
    Labels labels = *min;
    merged.clear();
    for (auto& c : cursors) {  // ascending priority: later sources win
      if (c.pos >= c.r->num_series() || !(c.labels == labels)) continue;
      part.clear();
      RETURN_IF_ERROR(c.r->series_samples(c.pos, INT64_MIN, INT64_MAX, &part));
      merge_newer(&merged, part);
      if (++c.pos < c.r->num_series()) c.labels = c.r->series_labels(c.pos);
    }
    if (!merged.empty()) RETURN_IF_ERROR(w->add_series(labels, merged));
  }
  BlockMeta meta;
  meta.id = id;
  meta.level = level;
  for (const auto& b : sources) {
    meta.priority = std::max(meta.priority, b->meta().priority);
    meta.sources.push_back(b->meta().id);
  }
  RETURN_IF_ERROR(w->finish(&meta));
  w.reset();
  RETURN_IF_ERROR(opts_.env->rename(tmp, final_dir));
  RETURN_IF_ERROR(opts_.env->sync_dir(blocks_dir()));
  RETURN_IF_ERROR(hook("compact.written"));
  ASSIGN_OR_RETURN(auto block, Block::open(opts_.env, final_dir, &cache_));
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(blocks_, [&](const std::shared_ptr<Block>& b) {
      return std::find(source_ids.begin(), source_ids.end(), b->meta().id) != source_ids.end();
    });
    blocks_.push_back(std::move(block));
    update_gauges_locked();
  }
  return delete_blocks(sources);
}

// ---------------------------------------------------------------------------------------------
// Background work, stats

void Db::bg_loop() {
  std::unique_lock<std::mutex> lk(bg_mu_);
  while (!bg_stop_) {
    bg_cv_.wait_for(lk, std::chrono::seconds(1), [this] { return bg_stop_ || bg_kick_; });
    if (bg_stop_) break;
    bg_kick_ = false;
    lk.unlock();
    const int64_t now = opts_.clock->now_ms();
    bool want_flush = now - last_flush_ms_.load() >= opts_.head_flush_interval_ms ||
                      head_memory_bytes() > opts_.head_max_bytes;
    {
      std::lock_guard<std::mutex> m(maint_mu_);
      if (want_flush) {
        Status st = flush_locked();
        if (!st.ok()) log::error("metrics store: background flush: {}", st.to_string());
      }
      if (want_flush || now - last_compact_ms_ >= 5 * 60 * 1000) {
        Status st = compact_locked();
        if (!st.ok()) log::error("metrics store: background compaction: {}", st.to_string());
      }
    }
    lk.lock();
  }
}

uint64_t Db::head_memory_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return head_->memory_bytes() + (frozen_ != nullptr ? frozen_->memory_bytes() : 0);
}

std::vector<BlockMeta> Db::block_metas() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<BlockMeta> out;
  for (const auto& b : blocks_) out.push_back(b->meta());
  std::sort(out.begin(), out.end(), [](const BlockMeta& a, const BlockMeta& b) {
    return a.min_time != b.min_time ? a.min_time < b.min_time : a.id < b.id;
  });
  return out;
}

StoreStats Db::stats() {
  std::lock_guard<std::mutex> lock(mu_);
  StoreStats s;
  s.num_series = index_.size();
  int64_t mint = INT64_MAX, maxt = INT64_MIN;
  for (const Head* h : {head_.get(), frozen_.get()}) {
    if (h == nullptr || h->empty()) continue;
    s.head_samples += h->num_samples();
    mint = std::min(mint, h->min_time());
    maxt = std::max(maxt, h->max_time());
  }
  s.num_blocks = blocks_.size();
  for (const auto& b : blocks_) {
    s.block_bytes += b->meta().data_bytes + b->meta().to_json().size();
    s.block_samples += b->meta().num_samples;
    mint = std::min(mint, b->meta().min_time);
    maxt = std::max(maxt, b->meta().max_time);
  }
  if (mint <= maxt) {
    s.min_time = mint;
    s.max_time = maxt;
  }
  return s;
}

}  // namespace opsight::storage::tsdb
