#pragma once
// Log blocks: immutable, columnar, zstd-compressed files holding the events of ONE log group,
// sorted by timestamp (byte layout and rationale: docs/format/logstore.md).
//
// A block has a footer pointing at an uncompressed header (time range, row count, the stream
// dictionary with per-stream counts, the attribute-key dictionary, row "shapes" = ordered lists
// of attribute keys, one entry per column with offset, sizes and CRC-32C, and the token filter).
// Each column is a separate zstd frame, so a scan decompresses only what it needs: timestamps
// and stream ids first (decode_keys), then the small per-row columns, and the message and
// attribute columns only when the scan reads them (decode_rest's `parts`).
//
// Only source attributes are stored as fields; JSON fields of a message are not stored (they are
// in the message) but discovered at read time by the scanner (version 2; version-1 blocks, which
// stored them as columns, are not readable). The message column is stored clustered by stream
// (all messages of the dictionary's first stream in time order, then the second, ...), which
// puts similar lines next to each other for zstd; every other column is in row (time) order.
//
// Safety: every length, count and offset read from a file is checked; malformed input yields
// Corruption naming the part, never a crash or an allocation larger than the file allows
// (a column's raw size is capped at kMaxColumnRawBytes).
//
// Thread safety: build_block is a plain function. A LogBlock is immutable after open() and may
// be decoded by several threads at once (each into its own DecodedBlock).

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/env.h"
#include "common/status.h"
#include "storage/block_names.h"
#include "storage/log_store.h"
#include "storage/logstore/token_filter.h"

namespace opsight::storage::logstore {

inline constexpr std::string_view kBlockMagic = "OPSLOGB1";
inline constexpr uint64_t kBlockVersion = 2;
inline constexpr size_t kBlockFooterBytes = 24;
inline constexpr uint64_t kMaxColumnRawBytes = 256ull << 20;
// Bytes a stored event counts toward LogStreamInfo::stored_bytes besides its message (the
// per-event overhead CloudWatch Logs charges in PutLogEvents).
inline constexpr uint64_t kEventOverheadBytes = 26;

enum class ColumnKind : uint32_t {
  kTimestamp = 1,
  kIngestion = 2,
  kStream = 3,
  kSeverity = 4,
  kTrace = 5,
  kMessageLength = 6,
  kMessage = 7,
  kShape = 8,
  kField = 9,            // one per attribute key; ColumnRef::field is the key's index
  kAttributeBytes = 10,  // optional: absent when no row has attributes
};

// One row handed to build_block. The views must stay valid during the call.
struct BlockRowView {
  int64_t timestamp_ms = 0;
  int64_t ingestion_time_ms = 0;
  uint32_t stream_id = 0;
  int32_t severity_number = 0;
  std::string_view message, severity_text, trace_id, span_id;
  std::span<const LogField> fields;  // source attributes (not discovered fields); names unique
};

struct BlockStreamStats {
  uint32_t id = 0;
  std::string name;
  uint64_t rows = 0;
  uint64_t stored_bytes = 0;  // sum of message bytes + kEventOverheadBytes
};

struct ColumnRef {
  ColumnKind kind = ColumnKind::kTimestamp;
  uint32_t field = 0;
  uint64_t offset = 0, length = 0, raw_length = 0;
  uint32_t crc = 0;  // masked CRC-32C of the stored (compressed) bytes
};

struct BlockMeta {
  uint64_t id = 0;
  uint64_t group_id = 0;
  uint32_t level = 0;  // 0 = written by a flush; compaction output is max(source level) + 1
  int64_t min_time = 0, max_time = 0;  // event timestamps, inclusive
  int64_t min_ingestion = 0, max_ingestion = 0;
  uint64_t rows = 0;
  uint64_t stored_bytes = 0;   // sum over streams
  uint64_t account_bytes = 0;  // sum of LogRecord::account_bytes (message + attributes)
  std::vector<BlockStreamStats> streams;
  std::vector<std::string> field_names;       // attribute keys
  std::vector<std::vector<uint32_t>> shapes;  // attribute-key indexes, in a row's order
  std::vector<ColumnRef> columns;
  uint64_t filter_offset = 0, filter_length = 0;
  uint32_t filter_crc = 0;
  uint64_t file_bytes = 0;
};

struct BlockBuildOptions {
  uint64_t block_id = 0;
  uint64_t group_id = 0;
  uint32_t level = 0;
  int zstd_level = 3;
  // zstd's long-distance matching and window (ZSTD_c_enableLongDistanceMatching,
  // ZSTD_c_windowLog) for the message column; 0 = zstd's default for the level. Readers accept
  // windows up to 2^27 (ZSTD_WINDOWLOG_LIMIT_DEFAULT), so window_log is capped at 27.
  bool long_distance = false;
  int window_log = 0;
  int filter_bits_per_trigram = 10;  // 0 = no token filter
};

// Encodes `rows` (sorted by timestamp ascending; at least one) into the bytes of a block file.
// `stream_names` must name every stream_id used.
Result<std::string> build_block(const BlockBuildOptions& options,
                                std::span<const BlockRowView> rows,
                                const std::unordered_map<uint32_t, std::string>& stream_names);

// What decode_rest decodes besides the small per-row columns (ingestion, severity, trace).
enum DecodeParts : unsigned {
  kDecodeSmall = 0,
  kDecodeMessages = 1,
  kDecodeAttributes = 2,
  kDecodeAll = kDecodeMessages | kDecodeAttributes,
};

// Columns of a block after decoding. Views point into `buffers` (stable: a deque).
struct DecodedBlock {
  // decode_keys
  std::vector<int64_t> timestamps;
  std::vector<uint32_t> stream_index;  // index into BlockMeta::streams
  // decode_rest: always
  std::vector<uint32_t> message_length;   // bytes of each row's message
  std::vector<uint32_t> attribute_bytes;  // key + value bytes of each row's attributes
  std::vector<int64_t> ingestion;
  std::vector<int32_t> severity_number;
  std::vector<std::string_view> severity_text, trace_id, span_id;
  // decode_rest with kDecodeMessages (else empty)
  std::vector<std::string_view> message;
  // decode_rest with kDecodeAttributes (else empty): the source attributes of row i are
  // fields[field_begin[i] .. field_begin[i + 1])
  std::vector<uint32_t> field_begin;  // rows + 1 entries into `fields`
  std::vector<LogField> fields;
  std::deque<std::string> buffers;
  bool rest_decoded = false;  // the small columns
  unsigned parts = 0;         // DecodeParts decoded so far
};

class LogBlock {
 public:
  static Result<std::shared_ptr<LogBlock>> open(Env* env, const std::string& path);
  static Result<std::shared_ptr<LogBlock>> open_file(std::unique_ptr<RandomAccessFile> file,
                                                     std::string path);

  const BlockMeta& meta() const { return meta_; }
  const std::string& path() const { return path_; }
  // See TrigramFilter::may_contain.
  bool may_contain(std::span<const std::string> substrings) const {
    return filter_.may_contain(substrings);
  }
  Status decode_keys(DecodedBlock* out) const;
  // Decodes the small columns (once) and the `parts` not decoded yet; decode_keys first if
  // needed. Calling it again with more parts adds them.
  Status decode_rest(DecodedBlock* out, unsigned parts = kDecodeAll) const;

 private:
  LogBlock() = default;
  Result<std::string> read_column(ColumnKind kind, uint32_t field, bool required) const;
  Status decode_small(DecodedBlock* out) const;
  Status decode_messages(DecodedBlock* out) const;
  Status decode_attributes(DecodedBlock* out) const;

  std::unique_ptr<RandomAccessFile> file_;
  std::string path_;
  BlockMeta meta_;
  TrigramFilter filter_;
};

// Block file names: "<16 hex digits of the id>.block".
inline std::string block_file_name(uint64_t id) {
  return block_name(id, ".block");
}
inline bool parse_block_file_name(std::string_view name, uint64_t* id) {
  return parse_block_name(name, ".block", id);
}

}  // namespace opsight::storage::logstore
