// build_block: sorted spans -> the bytes of a trace block file (docs/format/tracestore.md).
#include <zstd.h>

#include <algorithm>
#include <map>
#include <unordered_map>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/hash.h"
#include "storage/tracestore/block.h"
#include "storage/tracestore/span_codec.h"

namespace opsight::storage::tracestore {
namespace {

// Dictionary of strings -> dense indexes, in first-seen order.
template <typename Key>
class Dict {
 public:
  uint32_t index(const Key& k, std::vector<Key>* values) {
    auto [it, fresh] = map_.try_emplace(k, static_cast<uint32_t>(values->size()));
    if (fresh) values->push_back(k);
    return it->second;
  }

 private:
  std::map<Key, uint32_t> map_;
};

struct ShapeHash {
  size_t operator()(const std::vector<uint32_t>& v) const {
    uint64_t h = 1469598103934665603ull;
    for (uint32_t x : v) h = (h ^ x) * 1099511628211ull;
    return static_cast<size_t>(h);
  }
};

Status add_column(ZSTD_CCtx* cctx, int level, ColumnKind kind, uint32_t field,
                  const std::string& raw, std::string* file, std::vector<ColumnRef>* out) {
  if (raw.size() > kMaxColumnRawBytes) {
    return Status::invalid_argument("trace block: a column of " + std::to_string(raw.size()) +
                                    " bytes exceeds the limit of " +
                                    std::to_string(kMaxColumnRawBytes));
  }
  ColumnRef ref;
  ref.kind = kind;
  ref.field = field;
  ref.offset = file->size();
  ref.raw_length = raw.size();
  if (!raw.empty()) {
    const size_t start = file->size();
    file->resize(start + ZSTD_compressBound(raw.size()));
    ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
    const size_t n =
        ZSTD_compress2(cctx, file->data() + start, file->size() - start, raw.data(), raw.size());
    if (ZSTD_isError(n)) {
      file->resize(start);
      return Status::internal(std::string("trace block: zstd: ") + ZSTD_getErrorName(n));
    }
    file->resize(start + n);
    ref.length = n;
    ref.crc = crc32c::mask(crc32c::extend(0, file->data() + start, n));
  }
  out->push_back(ref);
  return OkStatus();
}

Section add_section(const std::string& data, std::string* file) {
  Section s;
  s.offset = file->size();
  s.length = data.size();
  s.crc = crc32c::mask(crc32c::value(data));
  file->append(data);
  return s;
}

void put_section(std::string& h, const Section& s) {
  put_varint64(h, s.offset);
  put_varint64(h, s.length);
  put_fixed32(h, s.crc);
}

}  // namespace

uint64_t attr_filter_hash(std::string_view key, std::string_view value) {
  XxHash64 h(0x617474720a0a0a0aull);
  h.update(key);
  h.update(std::string_view("\0", 1));
  h.update(value);
  return h.digest();
}

uint64_t trace_filter_hash(std::string_view trace_id) {
  return xxhash64(trace_id, 0x7472616365696473ull);
}

bool row_less(const Span& a, const Span& b) {
  if (int c = a.trace_id.compare(b.trace_id); c != 0) return c < 0;
  if (a.start_ns != b.start_ns) return a.start_ns < b.start_ns;
  return a.span_id < b.span_id;
}

Result<std::string> build_block(const BlockBuildOptions& options,
                                std::span<const Span* const> rows) {
  if (rows.empty()) return Status::internal("trace block: no rows");
  if (rows.size() > UINT32_MAX / 2) return Status::internal("trace block: too many rows");
  BlockMeta meta;
  meta.id = options.block_id;
  meta.level = options.level;
  meta.tenant = options.tenant;
  meta.rows = rows.size();
  meta.min_start = INT64_MAX;
  meta.max_start = INT64_MIN;
  meta.max_end = INT64_MIN;
  meta.min_duration = INT64_MAX;
  meta.max_duration = 0;
  for (const Span* s : rows) {
    meta.min_start = std::min(meta.min_start, s->start_ns);
    meta.max_start = std::max(meta.max_start, s->start_ns);
    meta.max_end = std::max(meta.max_end, s->end_ns);
    meta.min_duration = std::min(meta.min_duration, s->duration_ns());
    meta.max_duration = std::max(meta.max_duration, s->duration_ns());
    meta.status_bits |= static_cast<uint8_t>(1u << static_cast<uint8_t>(s->status_code));
    meta.origin_bits |= static_cast<uint8_t>(1u << static_cast<uint8_t>(s->origin));
  }

  Dict<std::string> services, names, resources_enc;
  Dict<std::pair<std::string, std::string>> scopes;
  // Transparent, so a lookup by (string_view, type, indexed) copies no key.
  std::map<std::tuple<std::string, uint8_t, bool>, uint32_t, std::less<>> key_index;
  // The resource index last used by each service: most spans of a service share one resource,
  // and comparing it is cheaper than encoding and looking it up (keys point into `rows`).
  std::unordered_map<std::string_view, uint32_t> resource_of_service;
  // The scope index of the previous span (spans of a trace mostly share their scope).
  const Span* prev_scope_span = nullptr;
  uint32_t prev_scope = 0;
  std::unordered_map<std::vector<uint32_t>, uint32_t, ShapeHash> shape_index;
  std::vector<std::string> resource_encodings;
  BloomFilterBuilder trace_bloom, attr_bloom;
  std::string trace_ids, trace_rows;
  std::vector<uint32_t> shape;
  std::string scratch;

  // The columns of the row group being built.
  struct GroupColumns {
    std::string span, parent, parent_ext, start, dur, service, name, packed, flags, scope, resource,
        status, state, shape, extras;
    std::vector<std::string> key_values;  // per key: length-prefixed values
  } g;
  RowGroup group;
  std::string file;
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  const int lvl = options.zstd_level;
  Status st;
  auto finish_group = [&] {
    auto col = [&](ColumnKind k, const std::string& raw, uint32_t field = 0) {
      if (st.ok() && !raw.empty()) st = add_column(cctx, lvl, k, field, raw, &file, &group.columns);
    };
    col(ColumnKind::kSpanId, g.span);
    col(ColumnKind::kParent, g.parent);
    col(ColumnKind::kParentExt, g.parent_ext);
    col(ColumnKind::kStart, g.start);
    col(ColumnKind::kDuration, g.dur);
    col(ColumnKind::kService, g.service);
    col(ColumnKind::kName, g.name);
    col(ColumnKind::kPacked, g.packed);
    col(ColumnKind::kFlags, g.flags);
    col(ColumnKind::kScope, g.scope);
    col(ColumnKind::kResource, g.resource);
    col(ColumnKind::kStatusMessage, g.status);
    col(ColumnKind::kTraceState, g.state);
    col(ColumnKind::kShape, g.shape);
    col(ColumnKind::kExtras, g.extras);
    for (uint32_t k = 0; k < g.key_values.size(); k++) {
      col(ColumnKind::kAttribute, g.key_values[k], k);
    }
    uint32_t crc = crc32c::extend(0, trace_ids.data() + size_t{group.first_trace} * kTraceIdBytes,
                                  size_t{group.traces} * kTraceIdBytes);
    crc = crc32c::extend(crc, trace_rows.data() + size_t{group.first_trace} * 4,
                         size_t{group.traces} * 4);
    group.trace_crc = crc32c::mask(crc);
    const uint32_t next_row = group.first_row + group.rows;
    meta.groups.push_back(std::move(group));
    group = RowGroup();
    group.first_row = next_row;
    group.first_trace = static_cast<uint32_t>(meta.traces);
    const size_t keys = g.key_values.size();
    g = GroupColumns();
    g.key_values.resize(keys);
  };

  auto add_indexed = [&](const SpanAttribute& a) {
    if (a.indexed && a.value.size() <= kMaxFilteredValueBytes) {
      attr_bloom.add(attr_filter_hash(a.key, a.value));
    }
  };

  size_t begin = 0;
  while (begin < rows.size() && st.ok()) {
    size_t end = begin + 1;
    while (end < rows.size() && rows[end]->trace_id == rows[begin]->trace_id) end++;
    if (end < rows.size() && row_less(*rows[end], *rows[end - 1])) {
      st = Status::internal("trace block: rows are not sorted");
      break;
    }
    const std::string& tid = rows[begin]->trace_id;
    trace_ids.append(tid);
    put_fixed32(trace_rows, static_cast<uint32_t>(begin));
    trace_bloom.add(trace_filter_hash(tid));
    meta.traces++;
    group.traces++;
    // Parents inside the trace: span id -> index within the trace (the first of duplicates).
    std::unordered_map<std::string_view, uint32_t> in_trace;
    for (size_t r = begin; r < end; r++) {
      in_trace.try_emplace(rows[r]->span_id, static_cast<uint32_t>(r - begin));
    }
    int64_t prev_start = meta.min_start;
    for (size_t r = begin; r < end; r++) {
      const Span& s = *rows[r];
      if (r > begin && s.start_ns < prev_start) {
        st = Status::internal("trace block: rows are not sorted");
        break;
      }
      g.span.append(s.span_id);
      if (s.parent_span_id.empty()) {
        put_varint64(g.parent, 0);
      } else if (auto it = in_trace.find(s.parent_span_id); it != in_trace.end()) {
        put_varint64(g.parent, 2 + it->second);
      } else {
        put_varint64(g.parent, 1);
        g.parent_ext.append(s.parent_span_id);
      }
      put_varint64(g.start, static_cast<uint64_t>(s.start_ns) - static_cast<uint64_t>(prev_start));
      prev_start = s.start_ns;
      put_varint64(g.dur, static_cast<uint64_t>(s.duration_ns()));
      put_varint64(g.service, services.index(s.service, &meta.services));
      put_varint64(g.name, names.index(s.name, &meta.names));
      const bool extras = has_span_extras(s);
      g.packed.push_back(static_cast<char>(
          static_cast<uint8_t>(s.kind) | (static_cast<uint8_t>(s.status_code) << 3) |
          (static_cast<uint8_t>(s.origin) << 5) | (extras ? 0x80 : 0)));
      put_varint64(g.flags, s.flags);
      if (prev_scope_span == nullptr || prev_scope_span->scope_name != s.scope_name ||
          prev_scope_span->scope_version != s.scope_version) {
        prev_scope = scopes.index({s.scope_name, s.scope_version}, &meta.scopes);
        prev_scope_span = &s;
      }
      put_varint64(g.scope, prev_scope);
      auto cached = resource_of_service.find(s.service);
      uint32_t res;
      if (cached != resource_of_service.end() &&
          meta.resources[cached->second] == s.resource_attributes) {
        res = cached->second;
      } else {
        scratch.clear();
        encode_attributes(&scratch, s.resource_attributes);
        const size_t before = resource_encodings.size();
        res = resources_enc.index(scratch, &resource_encodings);
        if (resource_encodings.size() != before) {
          meta.resources.push_back(s.resource_attributes);
          for (const auto& a : s.resource_attributes) {
            if (a.value.size() <= kMaxFilteredValueBytes) {
              attr_bloom.add(attr_filter_hash(a.key, a.value));
            }
          }
        }
        resource_of_service[s.service] = res;
      }
      put_varint64(g.resource, res);
      put_length_prefixed(g.status, s.status_message);
      put_length_prefixed(g.state, s.trace_state);
      shape.clear();
      for (const SpanAttribute& a : s.attributes) {
        auto it = key_index.find(
            std::make_tuple(std::string_view(a.key), static_cast<uint8_t>(a.type), a.indexed));
        if (it == key_index.end()) {
          it = key_index
                   .try_emplace(std::make_tuple(a.key, static_cast<uint8_t>(a.type), a.indexed),
                                static_cast<uint32_t>(meta.keys.size()))
                   .first;
          meta.keys.push_back({a.key, a.type, a.indexed});
        }
        if (g.key_values.size() <= it->second) g.key_values.resize(it->second + 1);
        shape.push_back(it->second);
        put_length_prefixed(g.key_values[it->second], a.value);
        add_indexed(a);
      }
      auto [sit, snew] = shape_index.try_emplace(shape, static_cast<uint32_t>(meta.shapes.size()));
      if (snew) meta.shapes.push_back(shape);
      put_varint64(g.shape, sit->second);
      if (extras) encode_span_extras(&g.extras, s);
    }
    group.rows += static_cast<uint32_t>(end - begin);
    begin = end;
    if (st.ok() && (group.rows >= options.group_rows || begin == rows.size())) finish_group();
  }
  ZSTD_freeCCtx(cctx);
  RETURN_IF_ERROR(st);

  meta.trace_table = add_section(trace_ids + trace_rows, &file);
  meta.trace_table.crc = 0;  // checked per row group
  meta.trace_filter = add_section(trace_bloom.build(options.trace_filter_bits), &file);
  meta.attr_filter = add_section(attr_bloom.build(options.attr_filter_bits), &file);

  std::string h;
  put_varint64(h, kBlockVersion);
  put_varint64(h, meta.id);
  put_varint64(h, meta.level);
  put_length_prefixed(h, meta.tenant.account);
  put_length_prefixed(h, meta.tenant.region);
  put_varsint64(h, meta.min_start);
  put_varsint64(h, meta.max_start);
  put_varsint64(h, meta.max_end);
  put_varint64(h, static_cast<uint64_t>(meta.min_duration));
  put_varint64(h, static_cast<uint64_t>(meta.max_duration));
  put_varint64(h, meta.rows);
  put_varint64(h, meta.traces);
  h.push_back(static_cast<char>(meta.status_bits));
  h.push_back(static_cast<char>(meta.origin_bits));
  put_varint64(h, meta.services.size());
  for (const auto& s : meta.services) put_length_prefixed(h, s);
  put_varint64(h, meta.names.size());
  for (const auto& s : meta.names) put_length_prefixed(h, s);
  put_varint64(h, meta.scopes.size());
  for (const auto& [n, v] : meta.scopes) {
    put_length_prefixed(h, n);
    put_length_prefixed(h, v);
  }
  put_varint64(h, resource_encodings.size());
  for (const auto& r : resource_encodings) h.append(r);
  put_varint64(h, meta.keys.size());
  for (const auto& k : meta.keys) {
    put_length_prefixed(h, k.key);
    h.push_back(static_cast<char>(static_cast<uint8_t>(k.type) | (k.indexed ? 0x80 : 0)));
  }
  put_varint64(h, meta.shapes.size());
  for (const auto& s : meta.shapes) {
    put_varint64(h, s.size());
    for (uint32_t k : s) put_varint64(h, k);
  }
  put_varint64(h, meta.groups.size());
  for (const auto& grp : meta.groups) {
    put_varint64(h, grp.first_row);
    put_varint64(h, grp.rows);
    put_varint64(h, grp.first_trace);
    put_varint64(h, grp.traces);
    put_fixed32(h, grp.trace_crc);
    put_varint64(h, grp.columns.size());
    for (const auto& c : grp.columns) {
      put_varint64(h, static_cast<uint32_t>(c.kind));
      put_varint64(h, c.field);
      put_varint64(h, c.offset);
      put_varint64(h, c.length);
      put_varint64(h, c.raw_length);
      put_fixed32(h, c.crc);
    }
  }
  put_section(h, meta.trace_table);
  put_section(h, meta.trace_filter);
  put_section(h, meta.attr_filter);

  const uint64_t header_offset = file.size();
  file.append(h);
  put_fixed64(file, header_offset);
  put_fixed32(file, static_cast<uint32_t>(h.size()));
  put_fixed32(file, crc32c::mask(crc32c::value(h)));
  file.append(kBlockMagic);
  return file;
}

}  // namespace opsight::storage::tracestore
