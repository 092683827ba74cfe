#pragma once
// Head: the in-memory, appendable part of the metrics engine (the memtable, as in LevelDB).
//
// Design
// - Per series (keyed by the registry ref) a list of Gorilla head chunks and an out-of-order
//   (OOO) buffer. A sample with t greater than the series' last in-order timestamp is appended
//   to the open chunk; any other sample (older, or a duplicate timestamp) goes to the OOO buffer,
//   a sorted map t -> Sample where the last write of a timestamp wins. Reads give OOO entries
//   precedence over chunk entries of the same t: they are the newer writes.
// - A new chunk is cut at kMaxChunkSamples samples, when the sample kind (value / statistic
//   set) changes, and at partition boundaries (multiples of partition_ms), so every chunk lies
//   in one block partition and flushing never splits a chunk.
// - A cut chunk becomes an immutable FrozenChunk held by shared_ptr, so a query snapshot shares
//   it instead of copying; only the open chunk's bytes are copied into a snapshot.
//
// Thread safety: not synchronised. The Db mutex guards the active head; a head that was frozen
// for flushing receives no more appends and may then be read concurrently (const methods).

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "storage/sample.h"
#include "storage/tsdb/chunk.h"

namespace opsight::storage::tsdb {

inline constexpr uint32_t kMaxChunkSamples = 120;

struct FrozenChunk {
  ChunkEncoding encoding;
  std::string data;
  uint32_t num_samples = 0;
  int64_t min_time = 0;
  int64_t max_time = 0;
};

// A copy of one series' head data overlapping a time range, readable without any lock.
struct HeadSeriesData {
  std::vector<std::shared_ptr<const FrozenChunk>> chunks;  // ascending, non-overlapping
  std::vector<Sample> ooo;                                 // ascending by t, unique t
  bool empty() const { return chunks.empty() && ooo.empty(); }
  // The smallest timestamp held, INT64_MAX when empty.
  int64_t min_time() const;
  // Appends the samples within [mint, maxt] to *out, ascending and unique (an OOO entry wins
  // over a chunk entry of the same t). Corruption if a chunk fails to decode.
  Status samples(int64_t mint, int64_t maxt, std::vector<Sample>* out) const;
  // The same as (t, v) pairs when every sample in range is a value; when one is a statistic
  // set, appends nothing and sets *has_stats.
  Status values(int64_t mint, int64_t maxt, std::vector<ValuePoint>* out, bool* has_stats) const;
};

class Head {
 public:
  explicit Head(int64_t partition_ms) : partition_ms_(partition_ms) {}
  Head(const Head&) = delete;
  Head& operator=(const Head&) = delete;

  // Appends one sample of series `ref`, in any time order.
  void append(uint32_t ref, const Sample& s);
  bool has(uint32_t ref) const { return series_.contains(ref); }
  // Fills *out with ref's data overlapping [mint, maxt]; false when there is none.
  bool snapshot(uint32_t ref, int64_t mint, int64_t maxt, HeadSeriesData* out) const;
  // Sorted refs of the series with data.
  std::vector<uint32_t> refs() const;
  // Sorted partition indexes (floor(t / partition_ms)) that hold samples.
  std::vector<int64_t> partitions() const;

  bool empty() const { return series_.empty(); }
  uint64_t num_samples() const { return num_samples_; }
  uint64_t num_chunks() const { return num_chunks_; }
  uint64_t memory_bytes() const { return memory_bytes_; }
  int64_t min_time() const { return min_time_; }  // INT64_MAX when empty
  int64_t max_time() const { return max_time_; }  // INT64_MIN when empty
  int64_t partition_ms() const { return partition_ms_; }

 private:
  struct Series {
    std::vector<std::shared_ptr<const FrozenChunk>> closed;
    std::unique_ptr<HeadChunk> open;
    int64_t last_t = INT64_MIN;  // newest in-order timestamp
    std::map<int64_t, Sample> ooo;
  };
  int64_t partition_of(int64_t t) const;
  void cut(Series& s);

  int64_t partition_ms_;
  std::unordered_map<uint32_t, std::unique_ptr<Series>> series_;
  uint64_t num_samples_ = 0;
  uint64_t num_chunks_ = 0;
  uint64_t memory_bytes_ = 0;
  int64_t min_time_ = INT64_MAX;
  int64_t max_time_ = INT64_MIN;
};

// floor(a / b) for b > 0.
inline int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

}  // namespace opsight::storage::tsdb
