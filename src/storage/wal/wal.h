#pragma once
// Write-ahead log shared by every store (metrics now; logs, traces and events later).
//
// Design
// - A directory of numbered segment files (00000001.wal, 00000002.wal, ...). Each record is
//   framed with its length and a CRC-32C and carries an opaque payload; the first payload byte
//   is, by convention of the callers, a record type owned by the caller. Format:
//   docs/format/wal.md.
// - Group commit: concurrent appenders are batched into one write() and one fdatasync().
//   With SyncPolicy::kFsync, wait_durable() returns only after the fsync that covers the record.
//   With kInterval, after the write(), and a background fsync runs every sync_interval_ms.
// - Replay reads the segments in order. A torn or corrupt tail (bad length, bad CRC, short
//   record) in the LAST segment is cut at the last good record: the file is truncated there and
//   the cut is reported in ReplayStats, never a crash. Corruption in an earlier segment is
//   reported as Corruption (the caller decides; the server logs it and keeps the good prefix).
// - Callers delete whole segments that are no longer needed (remove_before) after they have
//   persisted the data elsewhere (e.g. a metrics block), and rotate() to start a fresh segment
//   at such a point.
//
// - LSNs are assigned by enqueue(), strictly increasing within a process and across restarts
//   (a reopened WAL continues above every LSN on disk, possibly leaving a gap).
// - Durability contract: a record whose wait_durable() returned OK is replayed after a crash
//   or power loss (kFsync). A record whose wait_durable() failed may or may not be replayed.
//   Every segment except the newest is fully synced before the next one is started.
//
// Concurrency: all methods are thread-safe. Records become durable in enqueue order (LSN order).
// One writer thread per Wal does all writes and syncs (group commit); enqueue() only queues.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/env.h"
#include "common/status.h"

namespace opsight::storage::wal {

enum class SyncPolicy { kFsync, kInterval };

struct Options {
  std::string dir;
  Env* env = Env::posix();
  SyncPolicy sync = SyncPolicy::kFsync;
  int64_t sync_interval_ms = 1000;           // kInterval only
  uint64_t segment_bytes = 128ull << 20;     // rotate when a segment grows past this
  uint64_t max_record_bytes = 256ull << 20;  // larger payloads are refused (InvalidArgument)
  // Back-pressure: bytes (framed) enqueued but not yet written. enqueue() blocks while the
  // queue is over this; a single record larger than the cap is admitted when the queue is empty.
  uint64_t max_pending_bytes = 64ull << 20;
};

struct ReplayStats {
  uint64_t segments = 0;
  uint64_t records = 0;
  uint64_t bytes = 0;              // payload bytes delivered to fn
  bool tail_truncated = false;     // a torn/corrupt tail was cut
  uint64_t truncated_segment = 0;  // which segment
  uint64_t truncated_at = 0;       // file offset of the cut
  uint64_t dropped_bytes = 0;      // bytes removed by the cut
  std::string detail;              // what was wrong, for the log
};

// Position of a record: segment number and a log sequence number (monotonic across segments).
struct Position {
  uint64_t segment = 0;
  uint64_t lsn = 0;
};

class Wal {
 public:
  // Opens (creating) the directory. Does not replay; a new segment is started after replay()
  // (or immediately, when the caller never replays), so appends never go into a replayed file.
  static Result<std::unique_ptr<Wal>> open(const Options& options);
  virtual ~Wal() = default;

  // Calls fn(segment, payload) for every good record of every segment >= from_segment, in
  // order. If fn returns an error, replay stops and returns it. fn may enqueue() but must not
  // wait for durability (nothing is written until replay returns). Must be called before any
  // enqueue(), at most once (else FailedPrecondition). Only the segments present at open() are
  // read; the torn tail of the newest one is truncated (see Design) and appends then go to a
  // new segment.
  virtual Status replay(uint64_t from_segment,
                        const std::function<Status(uint64_t segment, std::string_view)>& fn,
                        ReplayStats* stats) = 0;

  // Queues a record and returns its position at once. The record is in the segment
  // Position::segment. Callers that must keep records of one segment together (see rotate())
  // serialise enqueue() and rotate() under their own lock.
  virtual Result<Position> enqueue(std::string payload) = 0;
  // Blocks until the record at lsn is durable per the policy; returns the write/sync error if
  // that failed (after an I/O error the WAL refuses further appends: Unavailable).
  virtual Status wait_durable(uint64_t lsn) = 0;
  // enqueue() + wait_durable().
  Result<Position> append(std::string payload) {
    auto pos = enqueue(std::move(payload));
    if (!pos.ok()) return pos.status();
    RETURN_IF_ERROR(wait_durable(pos->lsn));
    return pos;
  }

  // Records enqueued after this call go into a new segment, whose number is returned. If the
  // current segment holds no record yet it is already "new" and its number is returned.
  virtual Result<uint64_t> rotate() = 0;
  // The segment that enqueue() currently writes to.
  virtual uint64_t current_segment() const = 0;
  // Deletes every segment with number < segment (never the current one). First waits until
  // everything enqueued so far has been written, so no queued record lands in a deleted file.
  virtual Status remove_before(uint64_t segment) = 0;
  // Makes everything enqueued so far durable (also under kInterval).
  virtual Status sync() = 0;
  // sync() and close the files; later enqueue() fails with Unavailable.
  virtual Status close() = 0;

  // Total bytes of all segment files (for /metrics).
  virtual uint64_t disk_bytes() const = 0;
};

}  // namespace opsight::storage::wal
