// Wal implementation: group commit with one writer thread.
//
// Design
// - enqueue() frames the record (CRC computed outside the lock), then under mu_ assigns the LSN
//   and segment and appends it to pending_, a list of per-segment chunks. It never does I/O.
// - The writer thread takes ALL of pending_ at once, writes each chunk with one append()
//   (a chunk = the records of one segment), syncs once (kFsync, a sync() request, the interval
//   timer, or close()), then publishes written_lsn_/durable_lsn_ and wakes every waiter. While
//   it writes, new records accumulate for the next batch: that is the group commit.
// - Segments are created lazily by the writer, with the 32-byte header in the first append.
//   Before switching to a new segment the writer syncs the old one, and the directory is synced
//   once per new segment before any of its records is reported durable. Hence every segment but
//   the newest is complete on disk, and replay may cut only the newest one.
// - A failed append or sync (or directory sync) moves the WAL into the failed state: waiters of
//   that batch and of everything still queued get the error, later enqueue() gets Unavailable.
//   Nothing is retried: after a failed fsync the page cache state is unknown (PostgreSQL's
//   "fsyncgate", 2018), so the only safe continuation is reopen + replay.
//
// Concurrency: mu_ guards all shared state (marked GUARDED_BY). Fields marked WRITER are used
// only by the writer thread (and by close() after joining it).

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/logging.h"
#include "common/self_metrics.h"
#include "storage/wal/segment_format.h"
#include "storage/wal/segment_reader.h"
#include "storage/wal/wal.h"

namespace opsight::storage::wal {
namespace {

// The WAL's self metrics (process-wide; one WAL per process in the server).
struct Probe {
  metrics::Counter* records;
  metrics::Counter* bytes;
  metrics::Counter* batches;
  metrics::Counter* syncs;
  metrics::Counter* errors;
  metrics::Counter* replayed_records;
  metrics::Counter* truncations;
  metrics::Histogram* batch_records;
  metrics::Histogram* sync_seconds;

  static Probe* get() {
    static Probe* p = [] {
      auto& r = metrics::Registry::global();
      auto* probe = new Probe();
      probe->records = r.counter("opsight_wal_records_total", "Records written to the WAL.");
      probe->bytes = r.counter("opsight_wal_bytes_total", "Bytes written to WAL segments.");
      probe->batches = r.counter("opsight_wal_batches_total", "Group-commit batches written.");
      probe->syncs = r.counter("opsight_wal_syncs_total", "fdatasync calls on WAL segments.");
      probe->errors =
          r.counter("opsight_wal_errors_total", "WAL write or sync failures (WAL then fails).");
      probe->replayed_records =
          r.counter("opsight_wal_replayed_records_total", "Records delivered by WAL replay.");
      probe->truncations =
          r.counter("opsight_wal_tail_truncations_total", "Torn WAL tails cut during replay.");
      probe->batch_records =
          r.histogram("opsight_wal_batch_records", "Records per group-commit batch.",
                      {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384});
      probe->sync_seconds = r.histogram("opsight_wal_sync_seconds", "Latency of a WAL fdatasync.",
                                        metrics::latency_buckets());
      return probe;
    }();
    return p;
  }
};

struct PendingRecord {
  std::array<char, kRecordHeaderSize> header;
  std::string payload;
};

// The queued records of one segment, in LSN order.
struct Chunk {
  uint64_t segment = 0;
  uint64_t first_lsn = 0;
  uint64_t last_lsn = 0;
  uint64_t bytes = 0;  // framed bytes (headers + payloads)
  std::vector<PendingRecord> records;
};

class WalImpl final : public Wal {
 public:
  WalImpl(const Options& options, std::unique_ptr<FileLock> lock,
          std::map<uint64_t, uint64_t> segments, uint64_t next_lsn)
      : options_(options),
        env_(options.env),
        lock_(std::move(lock)),
        probe_(Probe::get()),
        next_lsn_(next_lsn),
        written_lsn_(next_lsn - 1),
        durable_lsn_(next_lsn - 1),
        segments_(std::move(segments)) {
    for (auto& [seg, size] : segments_) disk_bytes_ += size;
    segments_at_open_ = segments_;
    current_segment_ = segments_.empty() ? 1 : segments_.rbegin()->first + 1;
    current_segment_bytes_ = kSegmentHeaderSize;
    next_sync_ns_ = Clock::real()->mono_ns() + options_.sync_interval_ms * 1'000'000;
    writer_ = std::thread([this] { writer_loop(); });
  }

  ~WalImpl() override { (void)close(); }

  Status replay(uint64_t from_segment,
                const std::function<Status(uint64_t segment, std::string_view)>& fn,
                ReplayStats* stats) override;
  Result<Position> enqueue(std::string payload) override;
  Status wait_durable(uint64_t lsn) override;
  Result<uint64_t> rotate() override;
  uint64_t current_segment() const override {
    std::lock_guard lk(mu_);
    return current_segment_;
  }
  Status remove_before(uint64_t segment) override;
  Status sync() override;
  Status close() override;
  uint64_t disk_bytes() const override {
    std::lock_guard lk(mu_);
    return disk_bytes_;
  }

 private:
  std::string path(uint64_t segment) const {
    return join_path(options_.dir, segment_file_name(segment));
  }
  // Why enqueue()/rotate() are refused, or OK. Requires mu_.
  Status refusal_locked() const {
    if (closing_) return Status::unavailable("wal " + options_.dir + " is closed");
    if (!failed_.ok()) {
      return Status::unavailable(
          "wal " + options_.dir +
          " failed after an I/O error and must be reopened: " + failed_.to_string());
    }
    return OkStatus();
  }
  bool covered_locked(uint64_t lsn) const {
    return (options_.sync == SyncPolicy::kFsync ? durable_lsn_ : written_lsn_) >= lsn;
  }
  Status truncate_tail(uint64_t segment, uint64_t offset);
  Status replay_segments(uint64_t from_segment,
                         const std::function<Status(uint64_t segment, std::string_view)>& fn,
                         ReplayStats* stats);
  // Without replay(), the newest segment may still end in a torn tail; once it is no longer
  // the newest, a later replay() would call that Corruption. So before the first new segment is
  // created, the writer scans it and cuts the tail exactly as replay() would.
  void repair_newest_segment();

  void writer_loop();
  Status write_batch(std::deque<Chunk>& batch);
  Status sync_file();

  const Options options_;
  Env* const env_;
  std::unique_ptr<FileLock> lock_;
  Probe* const probe_;

  mutable std::mutex mu_;
  std::condition_variable writer_cv_;  // the writer waits for work
  std::condition_variable done_cv_;    // waiters for written/durable progress, close, failure
  std::condition_variable space_cv_;   // enqueue() waiting for queue space (back-pressure)

  std::deque<Chunk> pending_;              // GUARDED_BY(mu_)
  uint64_t pending_bytes_ = 0;             // GUARDED_BY(mu_) queued + being written
  uint64_t next_lsn_;                      // GUARDED_BY(mu_)
  uint64_t written_lsn_;                   // GUARDED_BY(mu_) all LSNs <= this are written
  uint64_t durable_lsn_;                   // GUARDED_BY(mu_) all LSNs <= this are synced
  uint64_t sync_requested_ = 0;            // GUARDED_BY(mu_) sync() wants durable >= this
  uint64_t current_segment_ = 1;           // GUARDED_BY(mu_)
  uint64_t current_segment_bytes_ = 0;     // GUARDED_BY(mu_) assigned, incl. header
  uint64_t current_segment_records_ = 0;   // GUARDED_BY(mu_)
  Status failed_;                          // GUARDED_BY(mu_) first I/O error
  bool closing_ = false;                   // GUARDED_BY(mu_)
  bool closed_ = false;                    // GUARDED_BY(mu_) writer joined
  Status close_status_;                    // GUARDED_BY(mu_)
  bool enqueued_ = false;                  // GUARDED_BY(mu_)
  bool replayed_ = false;                  // GUARDED_BY(mu_) replay() was called
  bool replaying_ = false;                 // GUARDED_BY(mu_) the writer waits meanwhile
  bool newest_checked_ = false;            // GUARDED_BY(mu_) replay reached the newest's end
  std::map<uint64_t, uint64_t> segments_;  // GUARDED_BY(mu_) number -> size on disk
  uint64_t disk_bytes_ = 0;                // GUARDED_BY(mu_)
  std::map<uint64_t, uint64_t> segments_at_open_;  // immutable after construction

  std::unique_ptr<WritableFile> file_;  // WRITER
  uint64_t file_segment_ = 0;           // WRITER
  bool file_dirty_ = false;             // WRITER: appended since the last sync
  bool dir_synced_ = false;             // WRITER: directory synced since file_ was created
  int64_t next_sync_ns_ = 0;            // WRITER: kInterval deadline
  std::string buffer_;                  // WRITER
  bool repair_checked_ = false;         // WRITER
  std::thread writer_;
};

Result<Position> WalImpl::enqueue(std::string payload) {
  if (payload.size() > options_.max_record_bytes) {
    return Status::invalid_argument("wal record of " + std::to_string(payload.size()) +
                                    " bytes exceeds max_record_bytes (" +
                                    std::to_string(options_.max_record_bytes) + ")");
  }
  PendingRecord rec;
  encode_record_header(payload, rec.header.data());  // CRC outside the lock
  rec.payload = std::move(payload);
  const uint64_t framed = kRecordHeaderSize + rec.payload.size();

  std::unique_lock lk(mu_);
  for (;;) {
    RETURN_IF_ERROR(refusal_locked());
    if (pending_bytes_ == 0 || pending_bytes_ + framed <= options_.max_pending_bytes) break;
    space_cv_.wait(lk);
  }
  enqueued_ = true;
  if (current_segment_records_ > 0 && current_segment_bytes_ >= options_.segment_bytes) {
    current_segment_++;  // automatic rotation at a record boundary
    current_segment_bytes_ = kSegmentHeaderSize;
    current_segment_records_ = 0;
  }
  const uint64_t lsn = next_lsn_++;
  if (pending_.empty() || pending_.back().segment != current_segment_) {
    pending_.emplace_back();
    pending_.back().segment = current_segment_;
    pending_.back().first_lsn = lsn;
  }
  Chunk& chunk = pending_.back();
  chunk.last_lsn = lsn;
  chunk.bytes += framed;
  chunk.records.push_back(std::move(rec));
  pending_bytes_ += framed;
  current_segment_bytes_ += framed;
  current_segment_records_++;
  Position pos{current_segment_, lsn};
  lk.unlock();
  writer_cv_.notify_one();
  return pos;
}

Status WalImpl::wait_durable(uint64_t lsn) {
  std::unique_lock lk(mu_);
  if (lsn >= next_lsn_) {
    return Status::invalid_argument("wal: lsn " + std::to_string(lsn) + " was never assigned");
  }
  done_cv_.wait(lk, [&] { return covered_locked(lsn) || !failed_.ok() || closed_; });
  if (covered_locked(lsn)) return OkStatus();
  if (!failed_.ok()) return failed_;
  return Status::unavailable("wal " + options_.dir + " closed before lsn " + std::to_string(lsn) +
                             " was written");
}

Status WalImpl::sync() {
  std::unique_lock lk(mu_);
  const uint64_t target = next_lsn_ - 1;
  if (durable_lsn_ >= target) return OkStatus();
  if (!failed_.ok()) return failed_;
  if (closed_) return Status::unavailable("wal " + options_.dir + " is closed");
  sync_requested_ = std::max(sync_requested_, target);
  writer_cv_.notify_one();
  done_cv_.wait(lk, [&] { return durable_lsn_ >= target || !failed_.ok() || closed_; });
  if (durable_lsn_ >= target) return OkStatus();
  if (!failed_.ok()) return failed_;
  return Status::unavailable("wal " + options_.dir + " closed during sync");
}

Result<uint64_t> WalImpl::rotate() {
  std::lock_guard lk(mu_);
  RETURN_IF_ERROR(refusal_locked());
  if (current_segment_records_ > 0) {
    current_segment_++;
    current_segment_bytes_ = kSegmentHeaderSize;
    current_segment_records_ = 0;
  }
  return current_segment_;
}

Status WalImpl::remove_before(uint64_t segment) {
  std::vector<uint64_t> victims;
  {
    std::unique_lock lk(mu_);
    // Let the writer finish every queued record first, so none lands in a deleted file.
    const uint64_t target = next_lsn_ - 1;
    done_cv_.wait(lk, [&] { return written_lsn_ >= target || !failed_.ok() || closed_; });
    const uint64_t limit = std::min(segment, current_segment_);
    for (auto& [seg, size] : segments_) {
      if (seg < limit) victims.push_back(seg);
    }
  }
  Status result;
  size_t removed = 0;
  for (uint64_t seg : victims) {
    Status st = env_->remove_file(path(seg));
    if (!st.ok() && st.code() != Code::kNotFound) {
      result = st;
      break;
    }
    removed++;
    std::lock_guard lk(mu_);
    auto it = segments_.find(seg);
    if (it != segments_.end()) {
      disk_bytes_ -= it->second;
      segments_.erase(it);
    }
  }
  if (removed > 0) {
    Status st = env_->sync_dir(options_.dir);
    if (result.ok()) result = st;
  }
  return result;
}

Status WalImpl::close() {
  {
    std::unique_lock lk(mu_);
    if (closing_) {
      done_cv_.wait(lk, [&] { return closed_; });
      return close_status_;
    }
    closing_ = true;
  }
  writer_cv_.notify_one();
  space_cv_.notify_all();
  writer_.join();
  std::lock_guard lk(mu_);
  closed_ = true;
  close_status_ = failed_;
  done_cv_.notify_all();
  return close_status_;
}

// ---- writer thread ----

Status WalImpl::sync_file() {
  const int64_t start = Clock::real()->mono_ns();
  Status st = file_->sync();
  probe_->syncs->inc();
  probe_->sync_seconds->observe(static_cast<double>(Clock::real()->mono_ns() - start) / 1e9);
  if (!st.ok()) return st;
  file_dirty_ = false;
  if (!dir_synced_) {
    RETURN_IF_ERROR(env_->sync_dir(options_.dir));  // the new file's directory entry
    dir_synced_ = true;
  }
  next_sync_ns_ = Clock::real()->mono_ns() + options_.sync_interval_ms * 1'000'000;
  return OkStatus();
}

Status WalImpl::write_batch(std::deque<Chunk>& batch) {
  for (Chunk& chunk : batch) {
    buffer_.clear();
    if (file_ == nullptr || file_segment_ != chunk.segment) {
      if (file_ != nullptr) {
        if (file_dirty_) RETURN_IF_ERROR(sync_file());  // older segments are always complete
        Status st = file_->close();
        file_.reset();
        RETURN_IF_ERROR(st);
      }
      ASSIGN_OR_RETURN(file_, env_->new_writable_file(path(chunk.segment), /*append=*/false));
      file_segment_ = chunk.segment;
      dir_synced_ = false;
      {
        std::lock_guard lk(mu_);
        segments_[chunk.segment] = 0;
      }
      buffer_ = encode_segment_header({chunk.segment, chunk.first_lsn});
    }
    buffer_.reserve(buffer_.size() + chunk.bytes);
    for (const PendingRecord& rec : chunk.records) {
      buffer_.append(rec.header.data(), rec.header.size());
      buffer_.append(rec.payload);
    }
    file_dirty_ = true;
    Status st = file_->append(buffer_);
    {
      // Account what is on disk now, even after a short write.
      std::lock_guard lk(mu_);
      auto it = segments_.find(chunk.segment);
      if (it != segments_.end()) {
        disk_bytes_ += file_->size() - it->second;
        it->second = file_->size();
      }
    }
    RETURN_IF_ERROR(st);
    probe_->bytes->inc(buffer_.size());
  }
  return OkStatus();
}

void WalImpl::writer_loop() {
  std::unique_lock lk(mu_);
  for (;;) {
    bool interval_due = false;
    for (;;) {
      if (replaying_) {  // replay() may still cut the newest segment: write nothing yet
        writer_cv_.wait(lk);
        continue;
      }
      if (closing_) break;
      if (failed_.ok()) {
        if (!pending_.empty() || sync_requested_ > durable_lsn_) break;
        if (options_.sync == SyncPolicy::kInterval && file_dirty_) {
          int64_t wait_ns = next_sync_ns_ - Clock::real()->mono_ns();
          if (wait_ns <= 0) {
            interval_due = true;
            break;
          }
          writer_cv_.wait_for(lk, std::chrono::nanoseconds(wait_ns));
          continue;
        }
      }
      writer_cv_.wait(lk);
    }
    if (!failed_.ok()) break;  // closing after a failure: nothing more to write
    if (!repair_checked_ && !pending_.empty()) {
      repair_checked_ = true;
      if (!newest_checked_) {  // no replay, or it stopped early (callback error, Corruption)
        lk.unlock();
        repair_newest_segment();
        lk.lock();
      }
    }

    std::deque<Chunk> batch;
    batch.swap(pending_);
    uint64_t batch_bytes = 0, batch_records = 0;
    for (const Chunk& c : batch) {
      batch_bytes += c.bytes;
      batch_records += c.records.size();
    }
    const uint64_t batch_last = batch.empty() ? written_lsn_ : batch.back().last_lsn;
    const bool closing = closing_;
    const bool sync_wanted = sync_requested_ > durable_lsn_;
    lk.unlock();

    Status st = write_batch(batch);
    bool synced = false;
    if (st.ok() && file_dirty_ &&
        (options_.sync == SyncPolicy::kFsync || closing || sync_wanted || interval_due ||
         Clock::real()->mono_ns() >= next_sync_ns_)) {
      st = sync_file();
      synced = st.ok();
    }
    batch.clear();  // free payloads outside the lock
    if (buffer_.capacity() > (8u << 20)) std::string().swap(buffer_);  // don't pin a huge batch

    lk.lock();
    pending_bytes_ -= batch_bytes;
    if (st.ok()) {
      written_lsn_ = batch_last;
      if (synced || !file_dirty_) durable_lsn_ = written_lsn_;
      if (batch_records > 0) {
        probe_->records->inc(batch_records);
        probe_->batches->inc();
        probe_->batch_records->observe(static_cast<double>(batch_records));
      }
    } else {
      probe_->errors->inc();
      log::error("wal {}: {}; failing {} queued records, the WAL must be reopened", options_.dir,
                 st.to_string(), (next_lsn_ - 1) - written_lsn_);
      failed_ = st;
      pending_.clear();
      pending_bytes_ = 0;
    }
    done_cv_.notify_all();
    space_cv_.notify_all();
    if (closing) break;
  }
  // Writer exits only when closing. Close the file (kInterval data was synced above).
  lk.unlock();
  if (file_ != nullptr) {
    Status st = file_->close();
    file_.reset();
    lk.lock();
    if (failed_.ok() && !st.ok()) failed_ = st;
  }
}

// ---- replay ----

Status WalImpl::truncate_tail(uint64_t segment, uint64_t offset) {
  const std::string p = path(segment);
  RETURN_IF_ERROR(env_->truncate(p, offset));
  // Make the cut durable before anything new is written after it.
  ASSIGN_OR_RETURN(auto f, env_->new_writable_file(p, /*append=*/true));
  RETURN_IF_ERROR(f->sync());
  RETURN_IF_ERROR(f->close());
  std::lock_guard lk(mu_);
  auto it = segments_.find(segment);
  if (it != segments_.end()) {
    disk_bytes_ -= it->second - std::min(it->second, offset);
    it->second = std::min(it->second, offset);
  }
  return OkStatus();
}

Status WalImpl::replay(uint64_t from_segment,
                       const std::function<Status(uint64_t segment, std::string_view)>& fn,
                       ReplayStats* stats) {
  ReplayStats local;
  ReplayStats& s = stats != nullptr ? *stats : local;
  s = ReplayStats{};
  {
    std::lock_guard lk(mu_);
    if (replayed_) return Status::failed_precondition("wal: replay() may be called only once");
    if (enqueued_) {
      return Status::failed_precondition("wal: replay() must come before the first enqueue()");
    }
    replayed_ = true;
    replaying_ = true;
  }
  Status st = replay_segments(from_segment, fn, &s);
  probe_->replayed_records->inc(s.records);
  {
    std::lock_guard lk(mu_);
    replaying_ = false;
  }
  writer_cv_.notify_one();
  return st;
}

void WalImpl::repair_newest_segment() {
  if (segments_at_open_.empty()) return;
  ReplayStats stats;
  Status st = replay_segments(
      segments_at_open_.rbegin()->first, [](uint64_t, std::string_view) { return OkStatus(); },
      &stats);
  if (!st.ok()) {
    log::warn("wal {}: could not check the newest segment before appending: {}", options_.dir,
              st.to_string());
  }
}

Status WalImpl::replay_segments(uint64_t from_segment,
                                const std::function<Status(uint64_t segment, std::string_view)>& fn,
                                ReplayStats* stats) {
  ReplayStats& s = *stats;
  if (segments_at_open_.empty()) return OkStatus();
  const uint64_t newest = segments_at_open_.rbegin()->first;
  for (auto it = segments_at_open_.lower_bound(from_segment); it != segments_at_open_.end(); ++it) {
    const uint64_t seg = it->first;
    const bool last = seg == newest;
    const std::string name = segment_file_name(seg);
    ASSIGN_OR_RETURN(uint64_t size, env_->file_size(path(seg)));
    ASSIGN_OR_RETURN(auto file, env_->new_sequential_file(path(seg)));
    SegmentReader reader(file.get(), size, seg, options_.max_record_bytes);
    s.segments++;
    SegmentHeader header;
    ASSIGN_OR_RETURN(auto outcome, reader.read_header(&header));
    uint64_t seg_records = 0;
    while (outcome == SegmentReader::Outcome::kRecord) {
      std::string_view payload;
      ASSIGN_OR_RETURN(outcome, reader.next(&payload));
      if (outcome != SegmentReader::Outcome::kRecord) break;
      seg_records++;
      s.records++;
      s.bytes += payload.size();
      RETURN_IF_ERROR(fn(seg, payload));
    }
    if (outcome == SegmentReader::Outcome::kEnd) {
      if (last) {
        std::lock_guard lk(mu_);
        newest_checked_ = true;
      }
      continue;
    }
    // kBad: torn or corrupt data.
    const uint64_t at = reader.bad_offset();
    if (!last) {
      return Status::corruption("wal segment " + name + " at offset " + std::to_string(at) + ": " +
                                reader.detail() + " (segment is not the newest, so this " +
                                "is not a torn write; " + std::to_string(seg_records) +
                                " records before it were replayed)");
    }
    // A segment cut inside its header keeps no header: truncate to an empty file.
    RETURN_IF_ERROR(truncate_tail(seg, at));
    s.tail_truncated = true;
    s.truncated_segment = seg;
    s.truncated_at = at;
    s.dropped_bytes = size - at;
    s.detail = name + ": " + reader.detail();
    {
      std::lock_guard lk(mu_);
      newest_checked_ = true;
    }
    probe_->truncations->inc();
    log::warn("wal: cut torn tail of {} at offset {} ({} bytes dropped): {}", name, at, size - at,
              reader.detail());
  }
  return OkStatus();
}

// Reads the header of the newest segment that has one, to continue LSNs above everything on
// disk without scanning: every record takes at least kRecordHeaderSize bytes, so
// first_lsn + size / kRecordHeaderSize bounds the LSNs in that segment.
Result<uint64_t> next_lsn_bound(Env* env, const std::string& dir,
                                const std::map<uint64_t, uint64_t>& segments) {
  for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
    if (it->second < kSegmentHeaderSize) continue;
    ASSIGN_OR_RETURN(auto file,
                     env->new_random_access_file(join_path(dir, segment_file_name(it->first))));
    char scratch[kSegmentHeaderSize];
    std::string_view data;
    RETURN_IF_ERROR(file->read(0, kSegmentHeaderSize, scratch, &data));
    SegmentHeader header;
    std::string detail;
    if (decode_segment_header(data, &header, &detail) != HeaderCheck::kOk) continue;
    return header.first_lsn + it->second / kRecordHeaderSize + 1;
  }
  return uint64_t{1};
}

}  // namespace

Result<std::unique_ptr<Wal>> Wal::open(const Options& options) {
  if (options.dir.empty()) return Status::invalid_argument("wal: Options::dir is empty");
  if (options.env == nullptr) return Status::invalid_argument("wal: Options::env is null");
  if (options.segment_bytes == 0) {
    return Status::invalid_argument("wal: Options::segment_bytes must be > 0");
  }
  if (options.max_record_bytes > kMaxRecordPayload) {
    return Status::invalid_argument("wal: Options::max_record_bytes must be < 4 GiB");
  }
  if (options.max_pending_bytes == 0) {
    return Status::invalid_argument("wal: Options::max_pending_bytes must be > 0");
  }
  if (options.sync == SyncPolicy::kInterval && options.sync_interval_ms <= 0) {
    return Status::invalid_argument("wal: Options::sync_interval_ms must be > 0");
  }
  Env* env = options.env;
  RETURN_IF_ERROR(env->create_dirs(options.dir));
  ASSIGN_OR_RETURN(auto lock, env->lock_file(join_path(options.dir, "LOCK")));
  ASSIGN_OR_RETURN(auto names, env->get_children(options.dir));
  std::map<uint64_t, uint64_t> segments;
  for (const std::string& name : names) {
    auto seg = parse_segment_file_name(name);
    if (!seg) continue;
    ASSIGN_OR_RETURN(uint64_t size, env->file_size(join_path(options.dir, name)));
    segments[*seg] = size;
  }
  ASSIGN_OR_RETURN(uint64_t next_lsn, next_lsn_bound(env, options.dir, segments));
  return std::unique_ptr<Wal>(new WalImpl(options, std::move(lock), std::move(segments), next_lsn));
}

}  // namespace opsight::storage::wal
