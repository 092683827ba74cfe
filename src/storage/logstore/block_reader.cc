// LogBlock: opening a log block file and decoding its columns (docs/format/logstore.md).
// Every count and length read from the file is checked before it is used.
#include <zstd.h>

#include "common/coding.h"
#include "common/crc32c.h"
#include "storage/logstore/block.h"

namespace opsight::storage::logstore {
namespace {

// A bounds-checked reader over a byte range; the first failure sticks.
class Cursor {
 public:
  Cursor(std::string_view data) : p_(data.data()), end_(data.data() + data.size()) {}
  bool ok() const { return p_ != nullptr; }
  bool at_end() const { return p_ == end_; }
  size_t remaining() const { return p_ == nullptr ? 0 : static_cast<size_t>(end_ - p_); }
  uint64_t varint() {
    uint64_t v = 0;
    if (p_ != nullptr) p_ = get_varint64(p_, end_, &v);
    return v;
  }
  int64_t varsint() { return zigzag_decode(varint()); }
  std::string_view bytes() {
    std::string_view s;
    if (p_ != nullptr) p_ = get_length_prefixed(p_, end_, &s);
    return s;
  }
  uint32_t fixed32() {
    if (p_ == nullptr || end_ - p_ < 4) {
      p_ = nullptr;
      return 0;
    }
    uint32_t v = decode_fixed32(p_);
    p_ += 4;
    return v;
  }
  void fail() { p_ = nullptr; }

 private:
  const char* p_;
  const char* end_;
};

Status corrupt(const std::string& path, const std::string& what) {
  return Status::corruption("log block " + path + ": " + what);
}

Status parse_header(std::string_view h, const std::string& path, uint64_t header_offset,
                    BlockMeta* m) {
  Cursor c(h);
  const uint64_t version = c.varint();
  if (c.ok() && version != kBlockVersion) {
    return corrupt(path, "unsupported version " + std::to_string(version));
  }
  m->id = c.varint();
  m->group_id = c.varint();
  m->level = static_cast<uint32_t>(c.varint());
  m->min_time = c.varsint();
  m->max_time = c.varsint();
  m->min_ingestion = c.varsint();
  m->max_ingestion = c.varsint();
  m->rows = c.varint();
  m->account_bytes = c.varint();
  const uint64_t nstreams = c.varint();
  for (uint64_t i = 0; c.ok() && i < nstreams; i++) {
    BlockStreamStats s;
    s.id = static_cast<uint32_t>(c.varint());
    s.name = std::string(c.bytes());
    s.rows = c.varint();
    s.stored_bytes = c.varint();
    m->stored_bytes += s.stored_bytes;
    m->streams.push_back(std::move(s));
  }
  const uint64_t nfields = c.varint();
  for (uint64_t i = 0; c.ok() && i < nfields; i++) m->field_names.emplace_back(c.bytes());
  const uint64_t nshapes = c.varint();
  for (uint64_t i = 0; c.ok() && i < nshapes; i++) {
    const uint64_t n = c.varint();
    if (n > c.remaining()) c.fail();
    std::vector<uint32_t> shape;
    for (uint64_t j = 0; c.ok() && j < n; j++) {
      const uint64_t f = c.varint();
      if (f >= m->field_names.size()) return corrupt(path, "shape names an unknown field");
      shape.push_back(static_cast<uint32_t>(f));
    }
    m->shapes.push_back(std::move(shape));
  }
  const uint64_t ncolumns = c.varint();
  for (uint64_t i = 0; c.ok() && i < ncolumns; i++) {
    ColumnRef col;
    const uint64_t kind = c.varint();
    const uint64_t field = c.varint();
    col.offset = c.varint();
    col.length = c.varint();
    col.raw_length = c.varint();
    col.crc = c.fixed32();
    if (!c.ok()) break;
    if (kind < static_cast<uint64_t>(ColumnKind::kTimestamp) ||
        kind > static_cast<uint64_t>(ColumnKind::kAttributeBytes)) {
      return corrupt(path, "unknown column kind " + std::to_string(kind));
    }
    col.kind = static_cast<ColumnKind>(kind);
    if (col.kind == ColumnKind::kField && field >= m->field_names.size()) {
      return corrupt(path, "field column names an unknown field");
    }
    col.field = static_cast<uint32_t>(field);
    if (col.offset > header_offset || col.length > header_offset - col.offset) {
      return corrupt(path, "column " + std::to_string(i) + " lies outside the data area");
    }
    if (col.raw_length > kMaxColumnRawBytes || (col.length == 0) != (col.raw_length == 0)) {
      return corrupt(path, "column " + std::to_string(i) + " has a bad size");
    }
    m->columns.push_back(col);
  }
  m->filter_offset = c.varint();
  m->filter_length = c.varint();
  m->filter_crc = c.fixed32();
  if (!c.ok() || !c.at_end()) return corrupt(path, "truncated or overlong header");
  if (m->rows == 0 || m->min_time > m->max_time) return corrupt(path, "bad row count or range");
  if (m->filter_offset > header_offset || m->filter_length > header_offset - m->filter_offset) {
    return corrupt(path, "token filter lies outside the data area");
  }
  return OkStatus();
}

}  // namespace

Result<std::shared_ptr<LogBlock>> LogBlock::open(Env* env, const std::string& path) {
  ASSIGN_OR_RETURN(auto file, env->new_random_access_file(path));
  return open_file(std::move(file), path);
}

Result<std::shared_ptr<LogBlock>> LogBlock::open_file(std::unique_ptr<RandomAccessFile> file,
                                                      std::string path) {
  std::shared_ptr<LogBlock> b(new LogBlock());
  b->path_ = std::move(path);
  const uint64_t size = file->size();
  if (size < kBlockFooterBytes) return corrupt(b->path_, "shorter than its footer");
  char footer[kBlockFooterBytes];
  std::string_view f;
  RETURN_IF_ERROR(file->read(size - kBlockFooterBytes, kBlockFooterBytes, footer, &f));
  if (f.size() != kBlockFooterBytes || f.substr(16) != kBlockMagic) {
    return corrupt(b->path_, "bad magic");
  }
  const uint64_t header_offset = decode_fixed64(f.data());
  const uint32_t header_len = decode_fixed32(f.data() + 8);
  const uint32_t header_crc = decode_fixed32(f.data() + 12);
  if (header_offset > size - kBlockFooterBytes ||
      header_len != size - kBlockFooterBytes - header_offset) {
    return corrupt(b->path_, "footer points outside the file");
  }
  std::string header(header_len, '\0');
  std::string_view h;
  RETURN_IF_ERROR(file->read(header_offset, header_len, header.data(), &h));
  if (h.size() != header_len) return corrupt(b->path_, "short read of the header");
  if (crc32c::mask(crc32c::value(h)) != header_crc) {
    return corrupt(b->path_, "header checksum mismatch");
  }
  RETURN_IF_ERROR(parse_header(h, b->path_, header_offset, &b->meta_));
  b->meta_.file_bytes = size;
  if (b->meta_.filter_length > 0) {
    std::string bits(b->meta_.filter_length, '\0');
    std::string_view fv;
    RETURN_IF_ERROR(file->read(b->meta_.filter_offset, bits.size(), bits.data(), &fv));
    if (fv.size() != bits.size() || crc32c::mask(crc32c::value(fv)) != b->meta_.filter_crc) {
      return corrupt(b->path_, "token filter checksum mismatch");
    }
    auto filter = TrigramFilter::parse(fv);
    if (!filter.ok()) return corrupt(b->path_, filter.status().message());
    b->filter_ = std::move(*filter);
  }
  b->file_ = std::move(file);
  return b;
}

Result<std::string> LogBlock::read_column(ColumnKind kind, uint32_t field, bool required) const {
  const ColumnRef* ref = nullptr;
  for (const auto& c : meta_.columns) {
    if (c.kind == kind && (kind != ColumnKind::kField || c.field == field)) {
      ref = &c;
      break;
    }
  }
  if (ref == nullptr) {
    if (!required) return std::string();
    return corrupt(path_, "column " + std::to_string(static_cast<uint32_t>(kind)) + " is missing");
  }
  if (ref->length == 0) return std::string();
  std::string stored(ref->length, '\0');
  std::string_view s;
  RETURN_IF_ERROR(file_->read(ref->offset, ref->length, stored.data(), &s));
  if (s.size() != ref->length) return corrupt(path_, "short read of a column");
  if (crc32c::mask(crc32c::value(s)) != ref->crc) {
    return corrupt(path_,
                   "checksum mismatch in column " + std::to_string(static_cast<uint32_t>(kind)));
  }
  const unsigned long long content = ZSTD_getFrameContentSize(s.data(), s.size());
  if (content != ref->raw_length) return corrupt(path_, "column frame size mismatch");
  std::string raw(ref->raw_length, '\0');
  const size_t n = ZSTD_decompress(raw.data(), raw.size(), s.data(), s.size());
  if (ZSTD_isError(n) || n != raw.size()) return corrupt(path_, "column does not decompress");
  return raw;
}

Status LogBlock::decode_keys(DecodedBlock* out) const {
  const uint64_t rows = meta_.rows;
  ASSIGN_OR_RETURN(std::string ts, read_column(ColumnKind::kTimestamp, 0, true));
  if (rows > ts.size()) return corrupt(path_, "timestamp column shorter than the row count");
  out->timestamps.clear();
  out->timestamps.reserve(rows);
  Cursor c(ts);
  int64_t t = c.varsint();
  out->timestamps.push_back(t);
  for (uint64_t i = 1; i < rows && c.ok(); i++) {
    const uint64_t d = c.varint();
    if (d > static_cast<uint64_t>(INT64_MAX) ||
        __builtin_add_overflow(t, static_cast<int64_t>(d), &t)) {
      return corrupt(path_, "timestamp overflow");
    }
    out->timestamps.push_back(t);
  }
  if (!c.ok() || !c.at_end()) return corrupt(path_, "malformed timestamp column");
  if (out->timestamps.front() != meta_.min_time || out->timestamps.back() != meta_.max_time) {
    return corrupt(path_, "timestamps disagree with the header's time range");
  }
  ASSIGN_OR_RETURN(std::string st, read_column(ColumnKind::kStream, 0, true));
  out->stream_index.clear();
  out->stream_index.reserve(rows);
  Cursor s(st);
  for (uint64_t i = 0; i < rows && s.ok(); i++) {
    const uint64_t v = s.varint();
    if (v >= meta_.streams.size()) return corrupt(path_, "stream index out of range");
    out->stream_index.push_back(static_cast<uint32_t>(v));
  }
  if (!s.ok() || !s.at_end()) return corrupt(path_, "malformed stream column");
  return OkStatus();
}

Status LogBlock::decode_rest(DecodedBlock* out, unsigned parts) const {
  if (out->timestamps.size() != meta_.rows) RETURN_IF_ERROR(decode_keys(out));
  if (!out->rest_decoded) RETURN_IF_ERROR(decode_small(out));
  if ((parts & kDecodeMessages) != 0 && (out->parts & kDecodeMessages) == 0) {
    RETURN_IF_ERROR(decode_messages(out));
    out->parts |= kDecodeMessages;
  }
  if ((parts & kDecodeAttributes) != 0 && (out->parts & kDecodeAttributes) == 0) {
    RETURN_IF_ERROR(decode_attributes(out));
    out->parts |= kDecodeAttributes;
  }
  return OkStatus();
}

Status LogBlock::decode_small(DecodedBlock* out) const {
  const uint64_t rows = meta_.rows;
  auto keep = [&](std::string s) -> std::string_view {
    return out->buffers.emplace_back(std::move(s));
  };

  ASSIGN_OR_RETURN(std::string ing, read_column(ColumnKind::kIngestion, 0, true));
  if (rows > ing.size()) return corrupt(path_, "ingestion column too short");
  out->ingestion.clear();
  out->ingestion.reserve(rows);
  {
    // Zigzag deltas from the previous row (the first from 0), summed modulo 2^64.
    Cursor c(ing);
    uint64_t v = 0;
    for (uint64_t i = 0; i < rows && c.ok(); i++) {
      v += static_cast<uint64_t>(c.varsint());
      out->ingestion.push_back(static_cast<int64_t>(v));
    }
    if (!c.ok() || !c.at_end()) return corrupt(path_, "malformed ingestion column");
  }

  ASSIGN_OR_RETURN(std::string sev_raw, read_column(ColumnKind::kSeverity, 0, true));
  std::string_view sev = keep(std::move(sev_raw));
  out->severity_number.clear();
  out->severity_text.clear();
  {
    Cursor c(sev);
    for (uint64_t i = 0; i < rows && c.ok(); i++) {
      out->severity_number.push_back(static_cast<int32_t>(c.varsint()));
      out->severity_text.push_back(c.bytes());
    }
    if (!c.ok() || !c.at_end()) return corrupt(path_, "malformed severity column");
  }

  ASSIGN_OR_RETURN(std::string trace_raw, read_column(ColumnKind::kTrace, 0, true));
  std::string_view trace = keep(std::move(trace_raw));
  out->trace_id.clear();
  out->span_id.clear();
  {
    Cursor c(trace);
    for (uint64_t i = 0; i < rows && c.ok(); i++) {
      out->trace_id.push_back(c.bytes());
      out->span_id.push_back(c.bytes());
    }
    if (!c.ok() || !c.at_end()) return corrupt(path_, "malformed trace column");
  }

  ASSIGN_OR_RETURN(std::string lens, read_column(ColumnKind::kMessageLength, 0, true));
  out->message_length.clear();
  out->message_length.reserve(rows);
  {
    Cursor c(lens);
    for (uint64_t i = 0; i < rows && c.ok(); i++) {
      const uint64_t n = c.varint();
      if (n > kMaxColumnRawBytes) return corrupt(path_, "message length out of range");
      out->message_length.push_back(static_cast<uint32_t>(n));
    }
    if (!c.ok() || !c.at_end()) return corrupt(path_, "malformed message length column");
  }
  ASSIGN_OR_RETURN(std::string abytes, read_column(ColumnKind::kAttributeBytes, 0, false));
  out->attribute_bytes.assign(rows, 0);
  if (!abytes.empty()) {
    Cursor c(abytes);
    for (uint64_t i = 0; i < rows && c.ok(); i++) {
      const uint64_t n = c.varint();
      if (n > kMaxColumnRawBytes) return corrupt(path_, "attribute bytes out of range");
      out->attribute_bytes[i] = static_cast<uint32_t>(n);
    }
    if (!c.ok() || !c.at_end()) return corrupt(path_, "malformed attribute-bytes column");
  }
  out->rest_decoded = true;
  return OkStatus();
}

Status LogBlock::decode_messages(DecodedBlock* out) const {
  const uint64_t rows = meta_.rows;
  ASSIGN_OR_RETURN(std::string msg_raw, read_column(ColumnKind::kMessage, 0, true));
  const std::string_view msg = out->buffers.emplace_back(std::move(msg_raw));
  // Lengths are in row order, the bytes clustered by stream (block.h): the messages of stream
  // k start after those of streams 0..k-1.
  const auto& lens = out->message_length;
  std::vector<uint64_t> start(meta_.streams.size() + 1, 0);
  uint64_t total = 0;
  for (uint64_t i = 0; i < rows; i++) {
    total += lens[i];
    start[out->stream_index[i] + 1] += lens[i];
  }
  if (total != msg.size()) {
    return corrupt(path_, "message lengths disagree with the message column");
  }
  for (size_t k = 1; k < start.size(); k++) start[k] += start[k - 1];
  out->message.resize(rows);
  for (uint64_t i = 0; i < rows; i++) {
    uint64_t& pos = start[out->stream_index[i]];
    out->message[i] = msg.substr(pos, lens[i]);
    pos += lens[i];
  }
  return OkStatus();
}

Status LogBlock::decode_attributes(DecodedBlock* out) const {
  const uint64_t rows = meta_.rows;
  auto keep = [&](std::string s) -> std::string_view {
    return out->buffers.emplace_back(std::move(s));
  };
  ASSIGN_OR_RETURN(std::string shapes, read_column(ColumnKind::kShape, 0, true));
  std::vector<Cursor> field_cursors;
  for (uint32_t f = 0; f < meta_.field_names.size(); f++) {
    ASSIGN_OR_RETURN(std::string col, read_column(ColumnKind::kField, f, false));
    field_cursors.emplace_back(keep(std::move(col)));
  }
  out->field_begin.clear();
  out->fields.clear();
  out->field_begin.reserve(rows + 1);
  {
    Cursor c(shapes);
    for (uint64_t i = 0; i < rows && c.ok(); i++) {
      out->field_begin.push_back(static_cast<uint32_t>(out->fields.size()));
      const uint64_t shape = c.varint();
      if (shape >= meta_.shapes.size()) return corrupt(path_, "shape index out of range");
      for (uint32_t f : meta_.shapes[shape]) {
        std::string_view v = field_cursors[f].bytes();
        if (!field_cursors[f].ok()) return corrupt(path_, "field column too short");
        out->fields.push_back({meta_.field_names[f], v});
      }
      if (out->fields.size() > UINT32_MAX) return corrupt(path_, "too many fields");
    }
    if (!c.ok() || !c.at_end()) return corrupt(path_, "malformed shape column");
    out->field_begin.push_back(static_cast<uint32_t>(out->fields.size()));
  }
  for (const auto& fc : field_cursors) {
    if (!fc.at_end()) return corrupt(path_, "field column has trailing bytes");
  }
  return OkStatus();
}

}  // namespace opsight::storage::logstore
