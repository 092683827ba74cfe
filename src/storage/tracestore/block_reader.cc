// TraceBlock: opening (footer, header, filters), trace lookup and column decoding of a trace
// block file (docs/format/tracestore.md). Every read is bounds-checked; bad bytes are Corruption.
#include <zstd.h>

#include <algorithm>
#include <cstring>

#include "common/coding.h"
#include "common/crc32c.h"
#include "storage/tracestore/block.h"
#include "storage/tracestore/span_codec.h"

namespace opsight::storage::tracestore {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view data) : p_(data.data()), end_(data.data() + data.size()) {}
  bool ok() const { return p_ != nullptr; }
  bool at_end() const { return p_ == end_; }
  const char* pos() const { return p_; }
  const char* end() const { return end_; }
  void set_pos(const char* p) { p_ = p; }
  void fail() { p_ = nullptr; }
  size_t left() const { return p_ == nullptr ? 0 : static_cast<size_t>(end_ - p_); }

  uint64_t varint() {
    uint64_t v = 0;
    if (p_ != nullptr) p_ = get_varint64(p_, end_, &v);
    return v;
  }
  int64_t svarint() { return zigzag_decode(varint()); }
  uint32_t u32() {
    const uint64_t v = varint();
    if (v > UINT32_MAX) p_ = nullptr;
    return static_cast<uint32_t>(v);
  }
  std::string_view str() {
    std::string_view s;
    if (p_ != nullptr) p_ = get_length_prefixed(p_, end_, &s);
    return s;
  }
  uint8_t byte() {
    if (p_ == nullptr || p_ == end_) {
      p_ = nullptr;
      return 0;
    }
    return static_cast<uint8_t>(*p_++);
  }
  uint32_t fixed32() {
    if (left() < 4) {
      p_ = nullptr;
      return 0;
    }
    const uint32_t v = decode_fixed32(p_);
    p_ += 4;
    return v;
  }
  std::string_view raw(size_t n) {
    if (left() < n) {
      p_ = nullptr;
      return {};
    }
    std::string_view s(p_, n);
    p_ += n;
    return s;
  }
  // A count of items of at least `min_bytes` each.
  size_t count(size_t min_bytes) {
    const uint64_t n = varint();
    if (p_ != nullptr && n > left() / std::max<size_t>(min_bytes, 1)) p_ = nullptr;
    return p_ == nullptr ? 0 : static_cast<size_t>(n);
  }
  Section section() {
    Section s;
    s.offset = varint();
    s.length = varint();
    s.crc = fixed32();
    return s;
  }

 private:
  const char* p_;
  const char* end_;
};

Status corrupt(const std::string& path, std::string_view what) {
  return Status::corruption("trace block " + path + ": " + std::string(what));
}

}  // namespace

Result<std::shared_ptr<TraceBlock>> TraceBlock::open(Env* env, const std::string& path) {
  std::shared_ptr<TraceBlock> b(new TraceBlock());
  b->path_ = path;
  ASSIGN_OR_RETURN(b->file_, env->new_random_access_file(path));
  const uint64_t size = b->file_->size();
  if (size < kBlockFooterBytes) return corrupt(path, "shorter than its footer");
  char footer[kBlockFooterBytes];
  std::string_view f;
  RETURN_IF_ERROR(b->file_->read(size - kBlockFooterBytes, kBlockFooterBytes, footer, &f));
  if (f.size() != kBlockFooterBytes || f.substr(16) != kBlockMagic) {
    return corrupt(path, "bad magic");
  }
  const uint64_t header_offset = decode_fixed64(f.data());
  const uint32_t header_size = decode_fixed32(f.data() + 8);
  const uint32_t header_crc = decode_fixed32(f.data() + 12);
  if (header_offset > size - kBlockFooterBytes ||
      header_size != size - kBlockFooterBytes - header_offset) {
    return corrupt(path, "bad header position");
  }
  std::string h(header_size, '\0');
  std::string_view hv;
  RETURN_IF_ERROR(b->file_->read(header_offset, header_size, h.data(), &hv));
  if (hv.size() != header_size || crc32c::mask(crc32c::value(hv)) != header_crc) {
    return corrupt(path, "header checksum mismatch");
  }
  BlockMeta& m = b->meta_;
  m.file_bytes = size;
  Parser p(hv);
  if (p.varint() != kBlockVersion || !p.ok()) return corrupt(path, "unknown version");
  m.id = p.varint();
  m.level = p.u32();
  m.tenant.account = std::string(p.str());
  m.tenant.region = std::string(p.str());
  m.min_start = p.svarint();
  m.max_start = p.svarint();
  m.max_end = p.svarint();
  m.min_duration = static_cast<int64_t>(p.varint());
  m.max_duration = static_cast<int64_t>(p.varint());
  m.rows = p.varint();
  m.traces = p.varint();
  m.status_bits = p.byte();
  m.origin_bits = p.byte();
  if (!p.ok() || m.rows == 0 || m.traces == 0 || m.traces > m.rows || m.rows > UINT32_MAX / 2 ||
      m.min_start > m.max_start) {
    return corrupt(path, "malformed header");
  }
  for (size_t i = 0, n = p.count(1); i < n; i++) m.services.emplace_back(p.str());
  for (size_t i = 0, n = p.count(1); i < n; i++) m.names.emplace_back(p.str());
  for (size_t i = 0, n = p.count(2); i < n; i++) {
    std::string a(p.str());
    std::string v(p.str());
    m.scopes.emplace_back(std::move(a), std::move(v));
  }
  for (size_t i = 0, n = p.count(1); i < n && p.ok(); i++) {
    const char* q = p.pos();
    std::vector<SpanAttribute> attrs;
    if (!decode_attributes(&q, p.end(), &attrs)) {
      p.fail();
      break;
    }
    p.set_pos(q);
    m.resources.push_back(std::move(attrs));
  }
  for (size_t i = 0, n = p.count(2); i < n && p.ok(); i++) {
    AttrKey k;
    k.key = std::string(p.str());
    const uint8_t t = p.byte();
    if ((t & 0x7f) > kMaxAttrType) p.fail();
    k.type = static_cast<AttrType>(t & 0x7f);
    k.indexed = (t & 0x80) != 0;
    m.keys.push_back(std::move(k));
  }
  for (size_t i = 0, n = p.count(1); i < n && p.ok(); i++) {
    std::vector<uint32_t> s(p.count(1));
    for (auto& k : s) {
      k = p.u32();
      if (k >= m.keys.size()) p.fail();
    }
    m.shapes.push_back(std::move(s));
  }
  uint64_t next_row = 0, next_trace = 0;
  for (size_t i = 0, n = p.count(9); i < n && p.ok(); i++) {
    RowGroup grp;
    grp.first_row = p.u32();
    grp.rows = p.u32();
    grp.first_trace = p.u32();
    grp.traces = p.u32();
    grp.trace_crc = p.fixed32();
    if (grp.first_row != next_row || grp.first_trace != next_trace || grp.rows == 0 ||
        grp.traces == 0 || grp.traces > grp.rows) {
      p.fail();
    }
    next_row += grp.rows;
    next_trace += grp.traces;
    for (size_t k = 0, nc = p.count(8); k < nc && p.ok(); k++) {
      ColumnRef c;
      c.kind = static_cast<ColumnKind>(p.u32());
      c.field = p.u32();
      c.offset = p.varint();
      c.length = p.varint();
      c.raw_length = p.varint();
      c.crc = p.fixed32();
      if (c.offset > header_offset || c.length > header_offset - c.offset ||
          c.raw_length > kMaxColumnRawBytes) {
        p.fail();
      }
      grp.columns.push_back(c);
    }
    m.groups.push_back(std::move(grp));
  }
  if (p.ok() && (next_row != m.rows || next_trace != m.traces)) {
    return corrupt(path, "row groups do not cover the block");
  }
  m.trace_table = p.section();
  m.trace_filter = p.section();
  m.attr_filter = p.section();
  if (!p.ok() || !p.at_end()) return corrupt(path, "malformed header");
  for (const Section* s : {&m.trace_table, &m.trace_filter, &m.attr_filter}) {
    if (s->offset > header_offset || s->length > header_offset - s->offset) {
      return corrupt(path, "a section lies outside the file");
    }
  }
  if (m.trace_table.length != m.traces * (kTraceIdBytes + 4)) {
    return corrupt(path, "trace table size does not match the trace count");
  }
  ASSIGN_OR_RETURN(std::string tf, b->read_section(m.trace_filter, "trace filter"));
  auto tfp = BloomFilter::parse(tf);
  if (!tfp.ok()) return corrupt(path, tfp.status().message());
  b->trace_filter_ = std::move(*tfp);
  ASSIGN_OR_RETURN(std::string af, b->read_section(m.attr_filter, "attribute filter"));
  auto afp = BloomFilter::parse(af);
  if (!afp.ok()) return corrupt(path, afp.status().message());
  b->attr_filter_ = std::move(*afp);
  return b;
}

Result<std::string> TraceBlock::read_section(const Section& s, std::string_view what) const {
  std::string out(s.length, '\0');
  std::string_view v;
  RETURN_IF_ERROR(file_->read(s.offset, s.length, out.data(), &v));
  if (v.size() != s.length || crc32c::mask(crc32c::value(v)) != s.crc) {
    return corrupt(path_, std::string(what) + " checksum mismatch");
  }
  if (v.data() != out.data()) out.assign(v);
  return out;
}

Result<std::string> TraceBlock::read_column(const ColumnRef& c) const {
  if (c.raw_length == 0) return std::string();
  std::string compressed(c.length, '\0');
  std::string_view v;
  RETURN_IF_ERROR(file_->read(c.offset, c.length, compressed.data(), &v));
  if (v.size() != c.length || crc32c::mask(crc32c::value(v)) != c.crc) {
    return corrupt(
        path_, "column " + std::to_string(static_cast<uint32_t>(c.kind)) + " checksum mismatch");
  }
  const unsigned long long content = ZSTD_getFrameContentSize(v.data(), v.size());
  if (content != c.raw_length) {
    return corrupt(
        path_, "column " + std::to_string(static_cast<uint32_t>(c.kind)) + " has a bad frame size");
  }
  std::string raw(c.raw_length, '\0');
  const size_t n = ZSTD_decompress(raw.data(), raw.size(), v.data(), v.size());
  if (ZSTD_isError(n) || n != raw.size()) {
    return corrupt(
        path_, "column " + std::to_string(static_cast<uint32_t>(c.kind)) + " does not decompress");
  }
  return raw;
}

Result<bool> TraceBlock::find_trace(std::string_view trace_id, uint32_t* begin,
                                    uint32_t* end) const {
  if (trace_id.size() != kTraceIdBytes) return false;
  // Binary search over the sorted ids, reading one 16-byte entry per probe. The table's CRC
  // covers all of it and is checked by decode(); here a damaged entry can only misdirect the
  // search, and decode() of the block then reports the corruption.
  uint64_t lo = 0, hi = meta_.traces;
  char buf[kTraceIdBytes];
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    std::string_view v;
    RETURN_IF_ERROR(
        file_->read(meta_.trace_table.offset + mid * kTraceIdBytes, kTraceIdBytes, buf, &v));
    if (v.size() != kTraceIdBytes) return corrupt(path_, "short read of the trace table");
    const int c = v.compare(trace_id);
    if (c == 0) {
      char rows[8];
      std::string_view r;
      const uint64_t at = meta_.trace_table.offset + meta_.traces * kTraceIdBytes + mid * 4;
      const bool last = mid + 1 == meta_.traces;
      RETURN_IF_ERROR(file_->read(at, last ? 4 : 8, rows, &r));
      if (r.size() != (last ? 4u : 8u)) return corrupt(path_, "short read of the trace table");
      *begin = decode_fixed32(r.data());
      *end = last ? static_cast<uint32_t>(meta_.rows) : decode_fixed32(r.data() + 4);
      if (*begin >= *end || *end > meta_.rows) return corrupt(path_, "bad trace table entry");
      return true;
    }
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return false;
}

size_t TraceBlock::group_of_row(uint32_t row) const {
  const auto& gs = meta_.groups;
  auto it = std::upper_bound(gs.begin(), gs.end(), row,
                             [](uint32_t r, const RowGroup& g) { return r < g.first_row; });
  return it == gs.begin() ? 0 : static_cast<size_t>(it - gs.begin()) - 1;
}

Status TraceBlock::decode_group(size_t gi, DecodedBlock* d, uint64_t* bytes_read) const {
  const BlockMeta& m = meta_;
  if (gi >= m.groups.size()) return Status::internal("trace block: no such row group");
  const RowGroup& grp = m.groups[gi];
  const size_t rows = grp.rows;
  d->group = gi;
  d->first_row = grp.first_row;
  auto fail = [&](std::string_view what) { return corrupt(path_, what); };
  // The group's slices of the trace table.
  {
    const size_t n = grp.traces;
    std::string t(n * (kTraceIdBytes + 4), '\0');
    std::string_view ids, starts;
    RETURN_IF_ERROR(file_->read(m.trace_table.offset + size_t{grp.first_trace} * kTraceIdBytes,
                                n * kTraceIdBytes, t.data(), &ids));
    RETURN_IF_ERROR(
        file_->read(m.trace_table.offset + m.traces * kTraceIdBytes + size_t{grp.first_trace} * 4,
                    n * 4, t.data() + n * kTraceIdBytes, &starts));
    if (ids.size() != n * kTraceIdBytes || starts.size() != n * 4) {
      return fail("short read of the trace table");
    }
    const uint32_t crc =
        crc32c::extend(crc32c::extend(0, ids.data(), ids.size()), starts.data(), starts.size());
    if (crc32c::mask(crc) != grp.trace_crc) return fail("trace table checksum mismatch");
    if (ids.data() != t.data()) std::memcpy(t.data(), ids.data(), ids.size());
    if (starts.data() != t.data() + ids.size()) {
      std::memcpy(t.data() + ids.size(), starts.data(), starts.size());
    }
    const std::string& tb = d->buffers.emplace_back(std::move(t));
    d->trace_ids.resize(n);
    d->trace_begin.resize(n + 1);
    for (size_t i = 0; i < n; i++) {
      d->trace_ids[i] = std::string_view(tb).substr(i * kTraceIdBytes, kTraceIdBytes);
      const uint32_t first = decode_fixed32(tb.data() + n * kTraceIdBytes + i * 4);
      if (first < grp.first_row || first - grp.first_row >= rows) {
        return fail("trace table rows out of range");
      }
      d->trace_begin[i] = first - grp.first_row;
      if (i > 0 &&
          (d->trace_ids[i] <= d->trace_ids[i - 1] || d->trace_begin[i] <= d->trace_begin[i - 1])) {
        return fail("trace table is not sorted");
      }
    }
    d->trace_begin[n] = static_cast<uint32_t>(rows);
    if (d->trace_begin[0] != 0) return fail("trace table rows out of range");
    d->trace_of_row.resize(rows);
    for (uint32_t t2 = 0; t2 < n; t2++) {
      for (uint32_t r = d->trace_begin[t2]; r < d->trace_begin[t2 + 1]; r++) {
        d->trace_of_row[r] = t2;
      }
    }
  }
  // Columns.
  std::vector<const ColumnRef*> attr_cols(m.keys.size(), nullptr);
  const ColumnRef* by_kind[17] = {};
  for (const ColumnRef& c : grp.columns) {
    const uint32_t k = static_cast<uint32_t>(c.kind);
    if (c.kind == ColumnKind::kAttribute) {
      if (c.field >= attr_cols.size()) return fail("attribute column of an unknown key");
      attr_cols[c.field] = &c;
    } else if (k >= 1 && k <= 16) {
      by_kind[k] = &c;
    }
  }
  auto column = [&](ColumnKind kind) -> Result<std::string_view> {
    const ColumnRef* c = by_kind[static_cast<uint32_t>(kind)];
    if (c == nullptr) return fail("a column is missing");
    ASSIGN_OR_RETURN(std::string raw, read_column(*c));
    if (bytes_read != nullptr) *bytes_read += c->length;
    return std::string_view(d->buffers.emplace_back(std::move(raw)));
  };
  auto varints = [&](ColumnKind kind, std::vector<uint32_t>* out, uint64_t limit) -> Status {
    ASSIGN_OR_RETURN(std::string_view col, column(kind));
    Parser p(col);
    out->resize(rows);
    for (auto& v : *out) {
      v = p.u32();
      if (v >= limit) p.fail();
    }
    if (!p.ok() || !p.at_end()) return fail("malformed varint column");
    return OkStatus();
  };
  auto strings = [&](ColumnKind kind, std::vector<std::string_view>* out) -> Status {
    ASSIGN_OR_RETURN(std::string_view col, column(kind));
    Parser p(col);
    out->resize(rows);
    for (auto& v : *out) v = p.str();
    if (!p.ok() || !p.at_end()) return fail("malformed string column");
    return OkStatus();
  };
  {
    ASSIGN_OR_RETURN(std::string_view col, column(ColumnKind::kSpanId));
    if (col.size() != rows * kSpanIdBytes) return fail("span id column has the wrong size");
    d->span_id.resize(rows);
    for (size_t r = 0; r < rows; r++) d->span_id[r] = col.substr(r * kSpanIdBytes, kSpanIdBytes);
  }
  {
    ASSIGN_OR_RETURN(std::string_view col, column(ColumnKind::kParent));
    std::string_view ext;
    if (by_kind[static_cast<uint32_t>(ColumnKind::kParentExt)] != nullptr) {
      ASSIGN_OR_RETURN(ext, column(ColumnKind::kParentExt));
    }
    Parser p(col);
    d->parent_row.resize(rows);
    d->parent_ext.assign(rows, {});
    size_t next_ext = 0;
    for (size_t r = 0; r < rows && p.ok(); r++) {
      const uint64_t v = p.varint();
      if (v == 0) {
        d->parent_row[r] = -1;
      } else if (v == 1) {
        if ((next_ext + 1) * kSpanIdBytes > ext.size()) return fail("external parents missing");
        d->parent_row[r] = -2;
        d->parent_ext[r] = ext.substr(next_ext * kSpanIdBytes, kSpanIdBytes);
        next_ext++;
      } else {
        const uint32_t t = d->trace_of_row[r];
        const uint64_t idx = v - 2;
        if (idx >= d->trace_begin[t + 1] - d->trace_begin[t]) return fail("parent out of range");
        d->parent_row[r] = static_cast<int32_t>(d->trace_begin[t] + idx);
      }
    }
    if (!p.ok() || !p.at_end() || next_ext * kSpanIdBytes != ext.size()) {
      return fail("malformed parent column");
    }
  }
  {
    ASSIGN_OR_RETURN(std::string_view sc, column(ColumnKind::kStart));
    ASSIGN_OR_RETURN(std::string_view dc, column(ColumnKind::kDuration));
    Parser ps(sc), pd(dc);
    d->start.resize(rows);
    d->duration.resize(rows);
    for (size_t r = 0; r < rows; r++) {
      const bool first = d->trace_begin[d->trace_of_row[r]] == r;
      const uint64_t base = static_cast<uint64_t>(first ? m.min_start : d->start[r - 1]);
      d->start[r] = static_cast<int64_t>(base + ps.varint());
      d->duration[r] = static_cast<int64_t>(pd.varint());
    }
    if (!ps.ok() || !ps.at_end() || !pd.ok() || !pd.at_end()) return fail("malformed times");
  }
  RETURN_IF_ERROR(varints(ColumnKind::kService, &d->service, m.services.size()));
  RETURN_IF_ERROR(varints(ColumnKind::kName, &d->name, m.names.size()));
  RETURN_IF_ERROR(varints(ColumnKind::kScope, &d->scope, m.scopes.size()));
  RETURN_IF_ERROR(varints(ColumnKind::kResource, &d->resource, m.resources.size()));
  RETURN_IF_ERROR(varints(ColumnKind::kShape, &d->shape, m.shapes.size()));
  RETURN_IF_ERROR(varints(ColumnKind::kFlags, &d->flags, UINT32_MAX));
  {
    ASSIGN_OR_RETURN(std::string_view col, column(ColumnKind::kPacked));
    if (col.size() != rows) return fail("packed column has the wrong size");
    d->packed.assign(col.begin(), col.end());
    for (uint8_t b : d->packed) {
      if ((b & 7) > kMaxSpanKind || ((b >> 3) & 3) > kMaxSpanStatusCode ||
          ((b >> 5) & 3) > kMaxSpanOrigin) {
        return fail("bad kind, status or origin");
      }
    }
  }
  RETURN_IF_ERROR(strings(ColumnKind::kStatusMessage, &d->status_message));
  RETURN_IF_ERROR(strings(ColumnKind::kTraceState, &d->trace_state));
  {
    d->extras.assign(rows, {});
    std::string_view col;
    if (by_kind[static_cast<uint32_t>(ColumnKind::kExtras)] != nullptr) {
      ASSIGN_OR_RETURN(col, column(ColumnKind::kExtras));
    }
    const char* p = col.data();
    const char* end = col.data() + col.size();
    for (size_t r = 0; r < rows; r++) {
      if ((d->packed[r] & 0x80) == 0) continue;
      Span probe;
      probe.start_ns = d->start[r];
      const char* q = p;
      if (!decode_span_extras(&q, end, &probe)) return fail("malformed extras");
      d->extras[r] = std::string_view(p, static_cast<size_t>(q - p));
      p = q;
    }
    if (p != end) return fail("trailing extras");
  }
  // Attribute values: walk each row's shape, taking the next value of each key's column.
  {
    std::vector<Parser> cursors;
    cursors.reserve(m.keys.size());
    for (size_t k = 0; k < m.keys.size(); k++) {
      std::string_view col;
      if (attr_cols[k] != nullptr) {
        ASSIGN_OR_RETURN(std::string raw, read_column(*attr_cols[k]));
        if (bytes_read != nullptr) *bytes_read += attr_cols[k]->length;
        col = d->buffers.emplace_back(std::move(raw));
      }
      cursors.emplace_back(col);
    }
    d->attr_begin.resize(rows + 1);
    d->attr_values.clear();
    for (size_t r = 0; r < rows; r++) {
      d->attr_begin[r] = static_cast<uint32_t>(d->attr_values.size());
      for (uint32_t k : m.shapes[d->shape[r]]) {
        d->attr_values.push_back(cursors[k].str());
        if (!cursors[k].ok()) return fail("attribute column too short");
      }
    }
    d->attr_begin[rows] = static_cast<uint32_t>(d->attr_values.size());
    for (const Parser& c : cursors) {
      if (!c.at_end()) return fail("attribute column too long");
    }
  }
  return OkStatus();
}

void TraceBlock::materialize(const DecodedBlock& d, uint32_t r, Span* s) const {
  const BlockMeta& m = meta_;
  s->tenant = m.tenant;
  s->trace_id = std::string(d.trace_ids[d.trace_of_row[r]]);
  s->span_id = std::string(d.span_id[r]);
  if (d.parent_row[r] >= 0) {
    s->parent_span_id = std::string(d.span_id[static_cast<size_t>(d.parent_row[r])]);
  } else if (d.parent_row[r] == -2) {
    s->parent_span_id = std::string(d.parent_ext[r]);
  } else {
    s->parent_span_id.clear();
  }
  s->trace_state = std::string(d.trace_state[r]);
  s->flags = d.flags[r];
  s->service = m.services[d.service[r]];
  s->name = m.names[d.name[r]];
  const uint8_t b = d.packed[r];
  s->kind = static_cast<SpanKind>(b & 7);
  s->status_code = static_cast<SpanStatusCode>((b >> 3) & 3);
  s->origin = static_cast<SpanOrigin>((b >> 5) & 3);
  s->start_ns = d.start[r];
  s->end_ns = static_cast<int64_t>(static_cast<uint64_t>(d.start[r]) +
                                   static_cast<uint64_t>(d.duration[r]));
  s->status_message = std::string(d.status_message[r]);
  s->scope_name = m.scopes[d.scope[r]].first;
  s->scope_version = m.scopes[d.scope[r]].second;
  s->resource_attributes = m.resources[d.resource[r]];
  const auto& shape = m.shapes[d.shape[r]];
  s->attributes.resize(shape.size());
  for (size_t i = 0; i < shape.size(); i++) {
    const AttrKey& k = m.keys[shape[i]];
    SpanAttribute& a = s->attributes[i];
    a.key = k.key;
    a.type = k.type;
    a.indexed = k.indexed;
    a.value = std::string(d.attr_values[d.attr_begin[r] + i]);
  }
  s->events.clear();
  s->links.clear();
  s->dropped_attributes_count = s->dropped_events_count = s->dropped_links_count = 0;
  if (!d.extras[r].empty()) {
    const char* p = d.extras[r].data();
    (void)decode_span_extras(&p, p + d.extras[r].size(), s);  // validated by decode()
  }
}

}  // namespace opsight::storage::tracestore
