#pragma once
// Trace blocks: immutable, columnar, zstd-compressed files holding the spans of ONE tenant whose
// start times fall in one time partition (byte layout and rationale: docs/format/tracestore.md).
//
// Rows are sorted by (trace id, start time, span id), so the spans of a trace are adjacent:
// - the trace id is stored once per trace, in an uncompressed table of sorted 16-byte ids with
//   the first row of each trace (the "trace table"); get-trace binary-searches it after the
//   block's Bloom filter of trace ids says the trace may be there;
// - a parent is the index of its parent row within the trace (ids only for parents outside the
//   block), and start times are deltas within the trace, which compress well;
// - service, name, scope, resource and attribute keys are dictionaries in the header; each
//   attribute key has its own value column; a row's attribute keys are a "shape" index.
// Rows are cut into row groups of about BlockBuildOptions::group_rows rows on trace boundaries;
// every column is one zstd frame per group, so get-trace decodes only the group that holds the
// trace, and a scan decodes one group at a time.
// The header also holds the block filters a scan tests before reading anything: the start-time
// range, the service and name sets (exact: the dictionaries), status bits, the duration range,
// and a Bloom filter over every indexed "key=value" (span attributes and resource attributes).
//
// Safety: every length, count and offset read from a file is checked; malformed input yields
// Corruption naming the part, never a crash or an allocation larger than the file allows
// (a column's raw size is capped at kMaxColumnRawBytes).
//
// Thread safety: build_block is a plain function. A TraceBlock is immutable after open() and may
// be read by several threads at once (each decoding into its own DecodedBlock).

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/bloom_filter.h"
#include "common/env.h"
#include "common/status.h"
#include "storage/block_names.h"
#include "storage/trace_store.h"

namespace opsight::storage::tracestore {

inline constexpr std::string_view kBlockMagic = "OPSTRCB1";
inline constexpr uint64_t kBlockVersion = 1;
inline constexpr size_t kBlockFooterBytes = 24;
inline constexpr uint64_t kMaxColumnRawBytes = 512ull << 20;

enum class ColumnKind : uint32_t {
  kSpanId = 1,          // 8 bytes per row
  kParent = 2,          // varint: 0 root, 1 outside the block (kParentExt), 2 + index in trace
  kParentExt = 3,       // 8 bytes per external parent
  kStart = 4,           // varint: first row of a trace: start - min_start; else delta to previous
  kDuration = 5,        // varint end - start
  kService = 6,         // varint index into services
  kName = 7,            // varint index into names
  kPacked = 8,          // byte: kind | status << 3 | origin << 5 | has_extras << 7
  kFlags = 9,           // varint
  kScope = 10,          // varint index into scopes
  kResource = 11,       // varint index into resources
  kStatusMessage = 12,  // length-prefixed string per row
  kTraceState = 13,     // length-prefixed string per row
  kShape = 14,          // varint index into shapes
  kAttribute = 15,      // one per attribute key (ColumnRef::field): length-prefixed values
  kExtras = 16,         // span_codec extras of the rows whose has_extras bit is set, in order
};

// An attribute key of the block's dictionary: the same key with another type or indexed flag is
// another entry.
struct AttrKey {
  std::string key;
  AttrType type = AttrType::kString;
  bool indexed = true;
  bool operator==(const AttrKey&) const = default;
};

struct ColumnRef {
  ColumnKind kind = ColumnKind::kSpanId;
  uint32_t field = 0;
  uint64_t offset = 0, length = 0, raw_length = 0;
  uint32_t crc = 0;  // masked CRC-32C of the stored bytes
};

// An uncompressed part of the file (trace table, filters).
struct Section {
  uint64_t offset = 0, length = 0;
  uint32_t crc = 0;
};

// A run of whole traces whose columns are stored (and decoded) together.
struct RowGroup {
  uint32_t first_row = 0, rows = 0;
  uint32_t first_trace = 0, traces = 0;
  // Masked CRC-32C of the group's slices of the trace table: its ids, then its first rows.
  uint32_t trace_crc = 0;
  std::vector<ColumnRef> columns;
};

struct BlockMeta {
  uint64_t id = 0;
  uint32_t level = 0;  // 0 = written by a flush
  Tenant tenant;
  int64_t min_start = 0, max_start = 0;  // span start times, inclusive
  int64_t max_end = 0;
  int64_t min_duration = 0, max_duration = 0;
  uint64_t rows = 0;
  uint64_t traces = 0;
  uint8_t status_bits = 0;  // bit c: some span has status code c
  uint8_t origin_bits = 0;  // bit o: some span has origin o
  std::vector<std::string> services;
  std::vector<std::string> names;
  std::vector<std::pair<std::string, std::string>> scopes;  // name, version
  std::vector<std::vector<SpanAttribute>> resources;
  std::vector<AttrKey> keys;
  std::vector<std::vector<uint32_t>> shapes;  // key indexes, in a row's attribute order
  std::vector<RowGroup> groups;               // in row order, covering every row
  // traces x 16-byte ids (sorted), then traces x fixed32 first row; checked per row group
  // (RowGroup::trace_crc), so its own crc is 0.
  Section trace_table;
  Section trace_filter;  // BloomFilter over xxhash64(trace id)
  Section attr_filter;   // BloomFilter over attr_filter_hash(key, value)
  uint64_t file_bytes = 0;
};

struct BlockBuildOptions {
  uint64_t block_id = 0;
  uint32_t level = 0;
  Tenant tenant;
  int zstd_level = 6;
  uint32_t group_rows = 8192;  // rows per row group (a larger trace makes a larger group)
  int trace_filter_bits = 10;  // bits per trace id; 0 = no filter
  int attr_filter_bits = 10;   // bits per distinct indexed key=value; 0 = no filter
};

// Values longer than this are not put in the attribute filter (a scan for one reads the block).
inline constexpr size_t kMaxFilteredValueBytes = 256;

// The hash of an indexed "key=value" in the attribute filter.
uint64_t attr_filter_hash(std::string_view key, std::string_view value);
// The hash of a trace id in the trace filter.
uint64_t trace_filter_hash(std::string_view trace_id);

// Strict weak order of rows in a block: trace id, start, span id.
bool row_less(const Span& a, const Span& b);

// Encodes `rows` (sorted by row_less; at least one; every span valid per check_span) into the
// bytes of a block file.
Result<std::string> build_block(const BlockBuildOptions& options,
                                std::span<const Span* const> rows);

// The columns of one row group after decoding; rows are numbered from the group's first row
// (local row r is block row first_row + r). Views point into `buffers`.
struct DecodedBlock {
  size_t group = 0;
  uint32_t first_row = 0;
  std::vector<std::string_view> trace_ids;  // per trace of the group
  std::vector<uint32_t> trace_begin;        // per trace + 1: first local row
  std::vector<uint32_t> trace_of_row;
  std::vector<std::string_view> span_id;
  std::vector<int32_t> parent_row;           // local row; -1 root, -2 external (parent_ext)
  std::vector<std::string_view> parent_ext;  // per row; set for external parents
  std::vector<int64_t> start, duration;
  std::vector<uint32_t> service, name, scope, resource, shape, flags;
  std::vector<uint8_t> packed;
  std::vector<std::string_view> status_message, trace_state, extras;
  // The attribute values of row r are attr_values[attr_begin[r] .. attr_begin[r + 1]), in the
  // order of shapes[shape[r]].
  std::vector<uint32_t> attr_begin;
  std::vector<std::string_view> attr_values;
  std::deque<std::string> buffers;
};

class TraceBlock {
 public:
  static Result<std::shared_ptr<TraceBlock>> open(Env* env, const std::string& path);

  const BlockMeta& meta() const { return meta_; }
  const std::string& path() const { return path_; }

  bool may_contain_trace(std::string_view trace_id) const {
    return trace_filter_.may_contain(trace_filter_hash(trace_id));
  }
  bool may_contain_attr(std::string_view key, std::string_view value) const {
    return value.size() > kMaxFilteredValueBytes ||
           attr_filter_.may_contain(attr_filter_hash(key, value));
  }
  // The block rows [*begin, *end) of the trace, by binary search in the trace table (reads only
  // the probed entries); false when the trace is not in the block.
  Result<bool> find_trace(std::string_view trace_id, uint32_t* begin, uint32_t* end) const;
  // The row group holding block row `row` (< rows).
  size_t group_of_row(uint32_t row) const;
  // Decodes every column of row group `g`; *bytes_read (if set) gets the compressed bytes read.
  Status decode_group(size_t g, DecodedBlock* out, uint64_t* bytes_read = nullptr) const;
  // Fills *span from local row `row` of a decoded group (tenant included).
  void materialize(const DecodedBlock& d, uint32_t row, Span* span) const;
  // The key/value pairs of a decoded row, for filtering without materializing.
  const std::vector<uint32_t>& shape_of(const DecodedBlock& d, uint32_t row) const {
    return meta_.shapes[d.shape[row]];
  }

 private:
  TraceBlock() = default;
  Result<std::string> read_section(const Section& s, std::string_view what) const;
  Result<std::string> read_column(const ColumnRef& c) const;

  std::unique_ptr<RandomAccessFile> file_;
  std::string path_;
  BlockMeta meta_;
  BloomFilter trace_filter_;
  BloomFilter attr_filter_;
};

// Block file names: "<16 hex digits of the id>.tblock".
inline std::string block_file_name(uint64_t id) {
  return block_name(id, ".tblock");
}
inline bool parse_block_file_name(std::string_view name, uint64_t* id) {
  return parse_block_name(name, ".tblock", id);
}

}  // namespace opsight::storage::tracestore
