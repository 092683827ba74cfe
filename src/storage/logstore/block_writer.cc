// build_block: rows -> the bytes of a log block file (docs/format/logstore.md).
#include <zstd.h>

#include <algorithm>
#include <map>

#include "common/coding.h"
#include "common/crc32c.h"
#include "storage/logstore/block.h"

namespace opsight::storage::logstore {
namespace {

struct ShapeKeyHash {
  size_t operator()(const std::vector<uint32_t>& v) const {
    uint64_t h = 1469598103934665603ull;
    for (uint32_t x : v) h = (h ^ x) * 1099511628211ull;
    return static_cast<size_t>(h);
  }
};

class ColumnSink {
 public:
  ColumnSink(int level, std::string* file) : level_(level), file_(file) {
    cctx_ = ZSTD_createCCtx();
  }
  // Long-distance matching / window for the following columns (0 / false = the level's).
  void set_long(bool ldm, int window_log) {
    ldm_ = ldm;
    window_log_ = std::min(window_log, 27);
  }
  ~ColumnSink() { ZSTD_freeCCtx(cctx_); }
  ColumnSink(const ColumnSink&) = delete;
  ColumnSink& operator=(const ColumnSink&) = delete;

  Status add(ColumnKind kind, uint32_t field, const std::string& raw, std::vector<ColumnRef>* out) {
    if (raw.size() > kMaxColumnRawBytes) {
      return Status::invalid_argument("log block: a column of " + std::to_string(raw.size()) +
                                      " bytes exceeds the limit of " +
                                      std::to_string(kMaxColumnRawBytes));
    }
    ColumnRef ref;
    ref.kind = kind;
    ref.field = field;
    ref.offset = file_->size();
    ref.raw_length = raw.size();
    if (!raw.empty()) {
      const size_t start = file_->size();
      file_->resize(start + ZSTD_compressBound(raw.size()));
      ZSTD_CCtx_reset(cctx_, ZSTD_reset_session_and_parameters);
      ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level_);
      if (ldm_) ZSTD_CCtx_setParameter(cctx_, ZSTD_c_enableLongDistanceMatching, 1);
      if (window_log_ > 0) ZSTD_CCtx_setParameter(cctx_, ZSTD_c_windowLog, window_log_);
      // ZSTD_compress2 writes the content size in the frame header (readers check it).
      size_t n = ZSTD_compress2(cctx_, file_->data() + start, file_->size() - start, raw.data(),
                                raw.size());
      if (ZSTD_isError(n)) {
        file_->resize(start);
        return Status::internal(std::string("log block: zstd: ") + ZSTD_getErrorName(n));
      }
      file_->resize(start + n);
      ref.length = n;
      ref.crc = crc32c::mask(crc32c::extend(0, file_->data() + start, n));
    }
    out->push_back(ref);
    return OkStatus();
  }

 private:
  int level_;
  bool ldm_ = false;
  int window_log_ = 0;
  std::string* file_;
  ZSTD_CCtx* cctx_;
};

}  // namespace

Result<std::string> build_block(const BlockBuildOptions& options,
                                std::span<const BlockRowView> rows,
                                const std::unordered_map<uint32_t, std::string>& stream_names) {
  if (rows.empty()) return Status::internal("log block: no rows");
  if (rows.size() > UINT32_MAX) return Status::internal("log block: too many rows");
  BlockMeta meta;
  meta.id = options.block_id;
  meta.group_id = options.group_id;
  meta.level = options.level;
  meta.rows = rows.size();
  meta.min_time = rows.front().timestamp_ms;
  meta.max_time = rows.back().timestamp_ms;
  meta.min_ingestion = INT64_MAX;
  meta.max_ingestion = INT64_MIN;

  std::string ts_col, ingest_col, stream_col, sev_col, trace_col, len_col, msg_col, shape_col;
  std::string attr_bytes_col;
  bool any_attributes = false;
  std::unordered_map<uint32_t, uint32_t> stream_index;  // stream id -> dictionary index
  std::unordered_map<std::string_view, uint32_t> field_index;
  std::vector<std::string> field_values;
  std::unordered_map<std::vector<uint32_t>, uint32_t, ShapeKeyHash> shape_index;
  std::vector<uint32_t> shape;
  TrigramSet trigrams;
  std::vector<uint32_t> row_stream(rows.size());  // dictionary index of each row
  uint64_t message_bytes = 0;

  int64_t prev_ts = 0, prev_ingest = 0;
  for (size_t i = 0; i < rows.size(); i++) {
    const BlockRowView& r = rows[i];
    if (i == 0) {
      put_varsint64(ts_col, r.timestamp_ms);
    } else {
      if (r.timestamp_ms < prev_ts) return Status::internal("log block: rows are not sorted");
      put_varint64(ts_col, static_cast<uint64_t>(r.timestamp_ms) - static_cast<uint64_t>(prev_ts));
    }
    prev_ts = r.timestamp_ms;
    put_varsint64(ingest_col, static_cast<int64_t>(static_cast<uint64_t>(r.ingestion_time_ms) -
                                                   static_cast<uint64_t>(prev_ingest)));
    prev_ingest = r.ingestion_time_ms;
    meta.min_ingestion = std::min(meta.min_ingestion, r.ingestion_time_ms);
    meta.max_ingestion = std::max(meta.max_ingestion, r.ingestion_time_ms);

    auto [sit, inserted] =
        stream_index.try_emplace(r.stream_id, static_cast<uint32_t>(meta.streams.size()));
    if (inserted) {
      auto name = stream_names.find(r.stream_id);
      if (name == stream_names.end()) {
        return Status::internal("log block: no name for stream id " + std::to_string(r.stream_id));
      }
      meta.streams.push_back({r.stream_id, name->second, 0, 0});
    }
    BlockStreamStats& ss = meta.streams[sit->second];
    ss.rows++;
    ss.stored_bytes += r.message.size() + kEventOverheadBytes;
    put_varint64(stream_col, sit->second);
    row_stream[i] = sit->second;

    put_varsint64(sev_col, r.severity_number);
    put_length_prefixed(sev_col, r.severity_text);
    put_length_prefixed(trace_col, r.trace_id);
    put_length_prefixed(trace_col, r.span_id);
    put_varint64(len_col, r.message.size());
    message_bytes += r.message.size();
    trigrams.add_text(r.message);

    uint64_t account = r.message.size();
    shape.clear();
    for (const LogField& f : r.fields) {
      auto [fit, fnew] =
          field_index.try_emplace(f.name, static_cast<uint32_t>(meta.field_names.size()));
      if (fnew) {
        meta.field_names.emplace_back(f.name);
        field_values.emplace_back();
      }
      shape.push_back(fit->second);
      put_length_prefixed(field_values[fit->second], f.value);
      account += f.name.size() + f.value.size();
    }
    meta.account_bytes += account;
    put_varint64(attr_bytes_col, account - r.message.size());
    any_attributes = any_attributes || !r.fields.empty();
    auto [shit, shnew] = shape_index.try_emplace(shape, static_cast<uint32_t>(meta.shapes.size()));
    if (shnew) meta.shapes.push_back(shape);
    put_varint64(shape_col, shit->second);
  }
  for (const auto& s : meta.streams) meta.stored_bytes += s.stored_bytes;
  // The message column, clustered by stream (block.h): a stable counting sort of the rows by
  // their dictionary index.
  {
    std::vector<uint32_t> start(meta.streams.size() + 1, 0);
    for (uint32_t k : row_stream) start[k + 1]++;
    for (size_t k = 1; k < start.size(); k++) start[k] += start[k - 1];
    std::vector<uint32_t> order(rows.size());
    for (uint32_t i = 0; i < rows.size(); i++) order[start[row_stream[i]]++] = i;
    msg_col.reserve(message_bytes);
    for (uint32_t i : order) msg_col.append(rows[i].message);
  }

  std::string file;
  ColumnSink sink(options.zstd_level, &file);
  RETURN_IF_ERROR(sink.add(ColumnKind::kTimestamp, 0, ts_col, &meta.columns));
  RETURN_IF_ERROR(sink.add(ColumnKind::kStream, 0, stream_col, &meta.columns));
  RETURN_IF_ERROR(sink.add(ColumnKind::kIngestion, 0, ingest_col, &meta.columns));
  RETURN_IF_ERROR(sink.add(ColumnKind::kSeverity, 0, sev_col, &meta.columns));
  RETURN_IF_ERROR(sink.add(ColumnKind::kTrace, 0, trace_col, &meta.columns));
  RETURN_IF_ERROR(sink.add(ColumnKind::kMessageLength, 0, len_col, &meta.columns));
  sink.set_long(options.long_distance, options.window_log);
  RETURN_IF_ERROR(sink.add(ColumnKind::kMessage, 0, msg_col, &meta.columns));
  sink.set_long(false, 0);
  RETURN_IF_ERROR(sink.add(ColumnKind::kShape, 0, shape_col, &meta.columns));
  if (any_attributes) {
    RETURN_IF_ERROR(sink.add(ColumnKind::kAttributeBytes, 0, attr_bytes_col, &meta.columns));
  }
  for (uint32_t f = 0; f < field_values.size(); f++) {
    RETURN_IF_ERROR(sink.add(ColumnKind::kField, f, field_values[f], &meta.columns));
  }
  const std::string filter = trigrams.build_filter(options.filter_bits_per_trigram);
  meta.filter_offset = file.size();
  meta.filter_length = filter.size();
  meta.filter_crc = crc32c::mask(crc32c::value(filter));
  file.append(filter);

  // Header.
  std::string h;
  put_varint64(h, kBlockVersion);
  put_varint64(h, meta.id);
  put_varint64(h, meta.group_id);
  put_varint64(h, meta.level);
  put_varsint64(h, meta.min_time);
  put_varsint64(h, meta.max_time);
  put_varsint64(h, meta.min_ingestion);
  put_varsint64(h, meta.max_ingestion);
  put_varint64(h, meta.rows);
  put_varint64(h, meta.account_bytes);
  put_varint64(h, meta.streams.size());
  for (const auto& s : meta.streams) {
    put_varint64(h, s.id);
    put_length_prefixed(h, s.name);
    put_varint64(h, s.rows);
    put_varint64(h, s.stored_bytes);
  }
  put_varint64(h, meta.field_names.size());
  for (const auto& n : meta.field_names) put_length_prefixed(h, n);
  put_varint64(h, meta.shapes.size());
  for (const auto& s : meta.shapes) {
    put_varint64(h, s.size());
    for (uint32_t f : s) put_varint64(h, f);
  }
  put_varint64(h, meta.columns.size());
  for (const auto& c : meta.columns) {
    put_varint64(h, static_cast<uint32_t>(c.kind));
    put_varint64(h, c.field);
    put_varint64(h, c.offset);
    put_varint64(h, c.length);
    put_varint64(h, c.raw_length);
    put_fixed32(h, c.crc);
  }
  put_varint64(h, meta.filter_offset);
  put_varint64(h, meta.filter_length);
  put_fixed32(h, meta.filter_crc);

  const uint64_t header_offset = file.size();
  file.append(h);
  put_fixed64(file, header_offset);
  put_fixed32(file, static_cast<uint32_t>(h.size()));
  put_fixed32(file, crc32c::mask(crc32c::value(h)));
  file.append(kBlockMagic);
  return file;
}

}  // namespace opsight::storage::logstore
