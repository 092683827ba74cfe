#pragma once
// Sample encodings of the metrics engine.
//
// 1. Head chunks (in memory, appendable): Gorilla encoding (Pelkonen et al., "Gorilla: A Fast,
//    Scalable, In-Memory Time Series Database", VLDB 2015): delta-of-delta timestamps and XOR
//    values. kXor holds float samples; kStats holds statistic sets (four XOR streams: count,
//    sum, min, max). A series whose sample kind changes cuts a new chunk.
// 2. Block series encoding (on disk, immutable): all samples of one series in one block, in the
//    most compact form found for them (see docs/format/tsdb-chunks.md); designed to be compressed
//    again by zstd in pages of many series.
//
// Thread safety: HeadChunk is not synchronised; the owner locks. ChunkIterator reads an
// immutable byte range that the caller keeps alive.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/metric_store.h"
#include "storage/sample.h"

namespace opsight::storage::tsdb {

enum class ChunkEncoding : uint8_t { kXor = 1, kStats = 2 };

class HeadChunk {
 public:
  explicit HeadChunk(ChunkEncoding encoding);
  // Move-only: a copy would share the encoder state.
  HeadChunk(const HeadChunk&) = delete;
  HeadChunk& operator=(const HeadChunk&) = delete;
  HeadChunk(HeadChunk&&) noexcept = default;
  HeadChunk& operator=(HeadChunk&&) noexcept = default;

  ChunkEncoding encoding() const { return encoding_; }
  // Precondition: s.t > max_time() (or the chunk is empty) and s.is_stats matches encoding().
  // Not checked: the encoding round-trips any int64 timestamp sequence (arithmetic wraps), and
  // a kXor chunk stores s.v, a kStats chunk s.stats, whatever s.is_stats says. O(1) amortised.
  // Cost for regular 15 s scrapes: ~1-2 bits per timestamp, 1 bit per repeated value.
  void append(const Sample& s);
  uint32_t num_samples() const { return num_samples_; }
  int64_t min_time() const { return min_time_; }
  int64_t max_time() const { return max_time_; }
  // Encoded bytes (valid until the next append). The last byte may be partly filled; a
  // copy taken now decodes the first num_samples() samples even after later appends.
  std::string_view data() const;
  // Approximate memory held, for accounting.
  size_t memory_bytes() const;

 private:
  ChunkEncoding encoding_;
  uint32_t num_samples_ = 0;
  int64_t min_time_ = 0;
  int64_t max_time_ = 0;
  // Encoder state (bit writer, previous timestamp/delta, previous values and their
  // leading/trailing zero counts) is private to chunk.cc.
  struct State;
  std::shared_ptr<State> state_;
};

// Decodes a head chunk's bytes (as returned by data(), possibly copied) holding num_samples.
// Truncated or malformed bytes end the iteration with err() == Corruption (never a crash).
// seek() never moves backwards: it returns true at once if the current sample has t >= target.
class ChunkIterator final : public SeriesIterator {
 public:
  ChunkIterator(ChunkEncoding encoding, std::string_view data, uint32_t num_samples);
  ~ChunkIterator() override;
  bool next() override;
  bool seek(int64_t target) override;
  const Sample& at() const override { return cur_; }
  Status err() const override { return err_; }

 private:
  struct Decoder;
  std::unique_ptr<Decoder> d_;
  Sample cur_;
  Status err_;
};

// Block series encoding (docs/format/tsdb-chunks.md). `samples` ascending by t, unique t, all
// of one kind (is_stats) — precondition: the block writer splits a series that mixes kinds into
// runs (docs/format/tsdb.md); any sequence round-trips bit-exactly, order only affects the size.
// Each column (timestamps; value, or count/sum/min/max) takes the smallest of several codecs,
// named by a one-byte tag. Appends to *out.
void encode_block_series(std::span<const Sample> samples, std::string* out);
// Decodes what encode_block_series wrote (the whole string_view), appending to *out.
// Corruption (never a crash) on malformed input or trailing bytes; *out is then unchanged.
Status decode_block_series(std::string_view data, std::vector<Sample>* out);

// What the range decoder learnt about the whole series, for the caller to check against its
// index (sample count, first and last timestamp; 0 and 0 when there are no samples).
struct BlockSeriesInfo {
  uint64_t num_samples = 0;
  int64_t min_time = 0;
  int64_t max_time = 0;
  bool is_stats = false;  // the series holds statistic sets
};
// The query path's decoder: appends to *out only the samples of `data` within [mint, maxt].
// Decodes the whole timestamp column (and checks that it ascends strictly) but a float value
// column only up to the last sample needed, so bytes after that point are not checked (block
// pages carry a CRC; decode_block_series checks everything). Scratch space is thread-local, so
// a call allocates nothing but the growth of *out. Corruption on malformed input, with *out
// unchanged.
Status decode_block_series_range(std::string_view data, int64_t mint, int64_t maxt,
                                 std::vector<Sample>* out, BlockSeriesInfo* info);
// The same for a value series, as (t, v) pairs. A series of statistic sets appends nothing
// and reports info->is_stats (its time fields then unset): read it with the Sample variant.
Status decode_block_values_range(std::string_view data, int64_t mint, int64_t maxt,
                                 std::vector<ValuePoint>* out, BlockSeriesInfo* info);

}  // namespace opsight::storage::tsdb
