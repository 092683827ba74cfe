#pragma once
// Immutable on-disk blocks of the metrics engine: one directory per block,
// <dir>/blocks/<id>/{meta.json,data}. Byte layout of `data` and the fields of meta.json:
// docs/format/tsdb.md (format version kBlockFormatVersion).
//
// Design
// - `data` = header | pages | symbols | series | page table | postings | footer. Samples of a
//   series are encoded with encode_block_series (chunk.h) into one blob; blobs are packed in
//   series order into pages of ~kPageTargetBytes that are zstd-compressed one by one, so a read
//   decompresses one page. Symbols (every label name and value, sorted) let series and postings
//   refer to strings by number. Postings are portable roaring bitmaps of series ids per label
//   pair. The footer holds each section's offset, length and CRC-32C; each page's CRC-32C is in
//   the page table.
// - Series are sorted by their labels (tenant labels included), which lets compaction merge
//   blocks series by series.
// - A block is written into a temporary directory, fsynced, then renamed into place by the
//   caller (Db), so a block directory either exists complete or not at all.
// - BlockReader loads and validates the index sections (symbols, series, page table,
//   postings) into memory at open; pages are read, checked and decompressed on demand through
//   a PageCache. Any malformed input is Corruption, never a crash (see fuzz/tsdb_block_fuzz.cc).
//
// Thread safety: BlockWriter is single-threaded. BlockReader and Block are immutable after
// open and safe to use from many threads.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/env.h"
#include "common/labels.h"
#include "common/status.h"
#include "storage/block_names.h"
#include "storage/sample.h"
#include "storage/tsdb/chunk.h"
#include "storage/tsdb/index.h"
#include "storage/tsdb/page_cache.h"

namespace opsight::storage::tsdb {

inline constexpr uint32_t kBlockFormatVersion = 1;
inline constexpr size_t kPageTargetBytes = 64 << 10;
inline constexpr uint64_t kMaxPageBytes = 256ull << 20;  // refuse larger pages on read

struct BlockMeta {
  uint64_t id = 0;        // the directory name is block_dir_name(id)
  int64_t min_time = 0;   // ms, inclusive
  int64_t max_time = 0;   // ms, inclusive
  int level = 0;          // 0 = written by a head flush; n = n-th compaction range
  uint64_t priority = 0;  // newer writes have higher priority; wins on equal timestamps
  uint64_t num_series = 0;
  uint64_t num_samples = 0;
  uint64_t data_bytes = 0;        // size of the data file
  std::vector<uint64_t> sources;  // blocks this one replaces (compaction), empty for level 0

  std::string to_json() const;
  static Result<BlockMeta> parse(std::string_view json);
};

// 16 lower-case hex digits (storage/block_names.h).
inline std::string block_dir_name(uint64_t id) {
  return block_name(id, "");
}
inline bool parse_block_dir_name(std::string_view name, uint64_t* id) {
  return parse_block_name(name, "", id);
}

class BlockWriter {
 public:
  // Creates directory `dir` (which must not exist) and its data file.
  static Result<std::unique_ptr<BlockWriter>> create(Env* env, std::string dir, int zstd_level);
  ~BlockWriter();

  // Adds a series. Labels strictly ascending across calls (Labels::operator<); samples
  // non-empty, ascending, unique timestamps. InvalidArgument otherwise.
  Status add_series(const Labels& labels, std::span<const Sample> samples);
  uint64_t num_series() const { return series_.size(); }

  // Writes the index sections and the footer, then meta.json (taking id, level, priority and
  // sources from *meta and filling the rest), fsyncs both files and the directory.
  Status finish(BlockMeta* meta);

 private:
  struct SeriesRec {
    Labels labels;
    int64_t min_time, max_time;
    uint64_t num_samples;
    uint32_t runs;  // runs of one sample kind (value / statistic set), each encoded alone
    uint32_t page, offset, length;
  };
  struct PageRec {
    uint64_t offset, compressed, raw;
    uint32_t crc;
  };
  BlockWriter(Env* env, std::string dir, int zstd_level)
      : env_(env), dir_(std::move(dir)), level_(zstd_level) {}
  Status flush_page();
  Status write_section(std::string_view data, uint64_t* offset, uint32_t* crc);

  Env* env_;
  std::string dir_;
  int level_;
  std::unique_ptr<WritableFile> file_;
  void* cctx_ = nullptr;  // ZSTD_CCtx
  std::vector<SeriesRec> series_;
  std::vector<PageRec> pages_;
  std::string page_;
  std::string blob_, run_;
  uint64_t num_samples_ = 0;
  int64_t min_time_ = INT64_MAX, max_time_ = INT64_MIN;
  bool finished_ = false;
};

// The data file of a block, opened for reading.
class BlockReader final : public IndexReader {
 public:
  // Reads and validates the index; `cache` may be nullptr (no caching).
  static Result<std::unique_ptr<BlockReader>> open(std::unique_ptr<RandomAccessFile> file,
                                                   PageCache* cache);
  ~BlockReader() override;

  uint32_t num_series() const { return static_cast<uint32_t>(series_.size()); }
  Labels series_labels(uint32_t id) const;
  // series_labels(id).hash() and series_labels(id) == labels, without building the labels.
  uint64_t series_labels_hash(uint32_t id) const;
  bool series_labels_equal(uint32_t id, const Labels& labels) const;
  int64_t series_min_time(uint32_t id) const { return series_[id].min_time; }
  int64_t series_max_time(uint32_t id) const { return series_[id].max_time; }
  uint64_t series_num_samples(uint32_t id) const { return series_[id].num_samples; }
  // Appends the samples of series `id` within [mint, maxt] to *out (ascending). Corruption
  // when the page or the encoded series is damaged.
  Status series_samples(uint32_t id, int64_t mint, int64_t maxt, std::vector<Sample>* out) const;
  // The same for a series of values, as (t, v) pairs (the query path). When the series holds
  // statistic sets, appends nothing and sets *has_stats: read it with series_samples().
  Status series_values(uint32_t id, int64_t mint, int64_t maxt, std::vector<ValuePoint>* out,
                       bool* has_stats) const;

  const PostingsMap& postings() const override { return postings_; }
  const Bitmap& all_series() const override { return all_; }
  uint64_t file_bytes() const { return file_->size(); }

 private:
  struct SeriesRec {
    uint32_t labels_begin;  // index into label_syms_ (pairs name, value)
    uint32_t num_labels;
    int64_t min_time, max_time;
    uint64_t num_samples;
    uint32_t runs;
    uint32_t page, offset, length;
  };
  struct PageRec {
    uint64_t offset, compressed, raw;
    uint32_t crc;
  };
  explicit BlockReader(std::unique_ptr<RandomAccessFile> file, PageCache* cache);
  Status load();
  Status parse_symbols(std::string_view s);
  Status parse_series(std::string_view s);
  Status parse_pages(std::string_view s, uint64_t data_end);
  Status parse_postings(std::string_view s);
  Result<std::shared_ptr<const std::string>> page(uint32_t index) const;
  // Checks a range decode's result against the index; on a mismatch *out is cut back to
  // `start` elements (what it held before the decode).
  template <typename Out>
  static Status check_range_decode(const SeriesRec& r, uint32_t id, std::vector<Out>* out,
                                   size_t start, Status decoded, const BlockSeriesInfo& info);

  std::unique_ptr<RandomAccessFile> file_;
  PageCache* cache_;
  uint64_t owner_;
  std::vector<std::string> symbols_;
  std::vector<uint32_t> label_syms_;
  std::vector<SeriesRec> series_;
  std::vector<PageRec> pages_;
  PostingsMap postings_;
  Bitmap all_;
};

// A block directory: meta.json + data.
class Block {
 public:
  static Result<std::shared_ptr<Block>> open(Env* env, const std::string& dir, PageCache* cache);
  const BlockMeta& meta() const { return meta_; }
  const std::string& dir() const { return dir_; }
  const BlockReader& reader() const { return *reader_; }
  bool overlaps(int64_t mint, int64_t maxt) const {
    return meta_.max_time >= mint && meta_.min_time <= maxt;
  }

 private:
  Block() = default;
  std::string dir_;
  BlockMeta meta_;
  std::unique_ptr<BlockReader> reader_;
};

}  // namespace opsight::storage::tsdb
