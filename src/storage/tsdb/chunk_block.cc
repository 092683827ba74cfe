// Block series encoding: framing and the timestamp column; value columns are in
// chunk_values.cc. Byte layout and measurements: docs/format/tsdb-chunks.md.
//
//   series := kind:u8  n:uvarint  [ts_column  value_column{1 | 4}]   (columns absent if n == 0)
//   kind   := 1 (float values) | 2 (stat sets: count, sum, min, max columns)
//   ts_column := tag:u8 payload
//     tag 1 (dod):  t0:svarint, then n-1 svarints: delta-of-delta (the delta before t0 is 0)
//     tag 2 (grid): t0:svarint, step:svarint, then n-1 svarints r_i = t_i - (g_{i-1} + step)
//                   where g_0 = t0 and g_i = g_{i-1} + step while |r_i| <= step / 2, else t_i
//                   (a missed scrape or a restart re-anchors the grid).
// svarint = zigzag LEB128. All timestamp arithmetic wraps modulo 2^64, so any int64 sequence
// round-trips. Every timestamp costs at least one byte, so n <= remaining bytes.
//
// Why a grid: Prometheus scrapes a target on a ticker, so its timestamps sit a few ms after a
// fixed grid. Delta-of-delta turns jitter j into j_i - 2 j_{i-1} + j_{i-2} (a wider spread);
// the grid residual is j_i - j_0. The encoder tries both and keeps the cheaper.
#include <algorithm>
#include <bit>
#include <type_traits>
#include <vector>

#include "common/coding.h"
#include "storage/tsdb/chunk.h"
#include "storage/tsdb/chunk_block.h"
#include "storage/tsdb/chunk_values.h"

namespace opsight::storage::tsdb {
namespace {

enum class SeriesKind : uint8_t { kValues = 1, kStats = 2 };
enum class TsCodec : uint8_t { kDod = 1, kGrid = 2 };

inline int64_t cost_bits(uint64_t zz) {
  return 1 + std::bit_width(zz);
}

// Grid state machine shared by encoder (cost and write) and decoder.
struct Grid {
  uint64_t g;
  uint64_t step;
  uint64_t tolerance_zz;  // re-anchor when zigzag(r) > this (|r| > step / 2)
  Grid(uint64_t t0, int64_t s) : g(t0), step(static_cast<uint64_t>(s)) {
    tolerance_zz = s > 0 ? static_cast<uint64_t>(s / 2) * 2 : 0;
  }
  uint64_t predict() const { return g + step; }
  void advance(uint64_t t, uint64_t zz) { g = zz > tolerance_zz ? t : g + step; }
};

template <typename Fn>
void for_each_grid_residual(std::span<const Sample> s, int64_t step, Fn&& fn) {
  Grid grid(static_cast<uint64_t>(s[0].t), step);
  for (size_t i = 1; i < s.size(); ++i) {
    auto t = static_cast<uint64_t>(s[i].t);
    uint64_t zz = zigzag_encode(static_cast<int64_t>(t - grid.predict()));
    fn(zz);
    grid.advance(t, zz);
  }
}

template <typename Fn>
void for_each_dod(std::span<const Sample> s, Fn&& fn) {
  uint64_t prev = static_cast<uint64_t>(s[0].t), delta = 0;
  for (size_t i = 1; i < s.size(); ++i) {
    auto t = static_cast<uint64_t>(s[i].t);
    uint64_t d = t - prev;
    fn(zigzag_encode(static_cast<int64_t>(d - delta)));
    delta = d;
    prev = t;
  }
}

void encode_timestamps(std::span<const Sample> s, bool allow_grid, std::string* out) {
  const size_t n = s.size();
  int64_t dod_cost = 0;
  for_each_dod(s, [&](uint64_t zz) { dod_cost += cost_bits(zz); });
  int64_t best_step = 0, best_cost = dod_cost;
  if (allow_grid && n >= 3) {
    std::vector<int64_t> deltas(n - 1);
    for (size_t i = 1; i < n; ++i) {
      deltas[i - 1] =
          static_cast<int64_t>(static_cast<uint64_t>(s[i].t) - static_cast<uint64_t>(s[i - 1].t));
    }
    // The span average is exact for gap-free scrapes; the median survives gaps.
    const int64_t avg =
        static_cast<int64_t>(static_cast<uint64_t>(s[n - 1].t) - static_cast<uint64_t>(s[0].t)) /
        static_cast<int64_t>(n - 1);
    std::nth_element(deltas.begin(), deltas.begin() + (n - 1) / 2, deltas.end());
    const int64_t median = deltas[(n - 1) / 2];
    for (int64_t step : {median, avg}) {
      if (step <= 0) continue;
      int64_t c = 0;
      for_each_grid_residual(s, step, [&](uint64_t zz) { c += cost_bits(zz); });
      if (c < best_cost) {
        best_cost = c;
        best_step = step;
      }
    }
  }
  if (best_step == 0) {
    out->push_back(static_cast<char>(TsCodec::kDod));
    put_varsint64(*out, s[0].t);
    for_each_dod(s, [&](uint64_t zz) { put_varint64(*out, zz); });
  } else {
    out->push_back(static_cast<char>(TsCodec::kGrid));
    put_varsint64(*out, s[0].t);
    put_varsint64(*out, best_step);
    for_each_grid_residual(s, best_step, [&](uint64_t zz) { put_varint64(*out, zz); });
  }
}

// Decodes n timestamps, calling set(i, t) for each.
template <typename Set>
const char* decode_timestamps(const char* p, const char* end, size_t n, Set&& set) {
  if (p >= end) return nullptr;
  const auto codec = static_cast<TsCodec>(static_cast<uint8_t>(*p++));
  uint64_t zz;
  if ((p = get_varint64(p, end, &zz)) == nullptr) return nullptr;
  auto t = static_cast<uint64_t>(zigzag_decode(zz));
  set(0, static_cast<int64_t>(t));
  if (codec == TsCodec::kDod) {
    uint64_t delta = 0;
    for (size_t i = 1; i < n; ++i) {
      if ((p = get_varint64(p, end, &zz)) == nullptr) return nullptr;
      delta += static_cast<uint64_t>(zigzag_decode(zz));
      t += delta;
      set(i, static_cast<int64_t>(t));
    }
    return p;
  }
  if (codec == TsCodec::kGrid) {
    if ((p = get_varint64(p, end, &zz)) == nullptr) return nullptr;
    int64_t step = zigzag_decode(zz);
    if (step <= 0) return nullptr;
    Grid grid(t, step);
    for (size_t i = 1; i < n; ++i) {
      if ((p = get_varint64(p, end, &zz)) == nullptr) return nullptr;
      t = grid.predict() + static_cast<uint64_t>(zigzag_decode(zz));
      set(i, static_cast<int64_t>(t));
      grid.advance(t, zz);
    }
    return p;
  }
  return nullptr;
}

}  // namespace

void internal::encode_block_series_with(const internal::BlockEncodeOptions& options,
                                        std::span<const Sample> samples, std::string* out) {
  const bool stats = !samples.empty() && samples[0].is_stats;
  out->push_back(static_cast<char>(stats ? SeriesKind::kStats : SeriesKind::kValues));
  put_varint64(*out, samples.size());
  if (samples.empty()) return;
  encode_timestamps(samples, options.grid_timestamps, out);
  std::vector<uint64_t> bits(samples.size());
  auto column = [&](auto get) {
    for (size_t i = 0; i < samples.size(); ++i) bits[i] = std::bit_cast<uint64_t>(get(samples[i]));
    internal::encode_value_column(bits, out, options.decimal_values);
  };
  if (!stats) {
    column([](const Sample& s) { return s.v; });
  } else {
    column([](const Sample& s) { return s.stats.count; });
    column([](const Sample& s) { return s.stats.sum; });
    column([](const Sample& s) { return s.stats.min; });
    column([](const Sample& s) { return s.stats.max; });
  }
}

void encode_block_series(std::span<const Sample> samples, std::string* out) {
  internal::encode_block_series_with(internal::BlockEncodeOptions{}, samples, out);
}

Status decode_block_series(std::string_view data, std::vector<Sample>* out) {
  const char* p = data.data();
  const char* end = p + data.size();
  auto corrupt = [&](const char* what) {
    return Status::corruption(std::string("block series: ") + what + " (series of " +
                              std::to_string(data.size()) + " bytes)");
  };
  if (p >= end) return corrupt("empty");
  const auto kind = static_cast<SeriesKind>(static_cast<uint8_t>(*p++));
  if (kind != SeriesKind::kValues && kind != SeriesKind::kStats) return corrupt("unknown kind");
  uint64_t n;
  if ((p = get_varint64(p, end, &n)) == nullptr) return corrupt("truncated sample count");
  if (n == 0) {
    if (p != end) return corrupt("trailing bytes");
    return OkStatus();
  }
  if (n > static_cast<uint64_t>(end - p)) return corrupt("sample count exceeds data");
  const size_t start = out->size();
  out->resize(start + n);
  Sample* s = out->data() + start;
  auto fail = [&](const char* what) {
    out->resize(start);
    return corrupt(what);
  };
  if ((p = decode_timestamps(p, end, n, [s](size_t i, int64_t t) { s[i].t = t; })) == nullptr) {
    return fail("bad timestamp column");
  }
  std::vector<uint64_t> bits(n);
  auto column = [&](auto set) {
    p = internal::decode_value_column(p, end, bits);
    if (p == nullptr) return false;
    for (size_t i = 0; i < n; ++i) set(s[i], std::bit_cast<double>(bits[i]));
    return true;
  };
  bool ok;
  if (kind == SeriesKind::kValues) {
    ok = column([](Sample& x, double v) { x.v = v; });
  } else {
    for (size_t i = 0; i < n; ++i) s[i].is_stats = true;
    ok = column([](Sample& x, double v) { x.stats.count = v; }) &&
         column([](Sample& x, double v) { x.stats.sum = v; }) &&
         column([](Sample& x, double v) { x.stats.min = v; }) &&
         column([](Sample& x, double v) { x.stats.max = v; });
  }
  if (!ok) return fail("bad value column");
  if (p != end) return fail("trailing bytes");
  return OkStatus();
}

namespace {

// The range decoder for both output types (Sample, or ValuePoint for value series only).
template <typename Out>
Status decode_range(std::string_view data, int64_t mint, int64_t maxt, std::vector<Out>* out,
                    BlockSeriesInfo* info) {
  // Scratch columns, reused across calls on a thread (a query decodes thousands of series).
  thread_local std::vector<int64_t> ts;
  thread_local std::vector<uint64_t> bits;
  const char* p = data.data();
  const char* end = p + data.size();
  auto corrupt = [&](const char* what) {
    return Status::corruption(std::string("block series: ") + what + " (series of " +
                              std::to_string(data.size()) + " bytes)");
  };
  if (p >= end) return corrupt("empty");
  const auto kind = static_cast<SeriesKind>(static_cast<uint8_t>(*p++));
  if (kind != SeriesKind::kValues && kind != SeriesKind::kStats) return corrupt("unknown kind");
  uint64_t n;
  if ((p = get_varint64(p, end, &n)) == nullptr) return corrupt("truncated sample count");
  *info = BlockSeriesInfo{n, 0, 0, kind == SeriesKind::kStats};
  if (n == 0) return p == end ? OkStatus() : corrupt("trailing bytes");
  if (n > static_cast<uint64_t>(end - p)) return corrupt("sample count exceeds data");
  if constexpr (std::is_same_v<Out, ValuePoint>) {
    if (kind == SeriesKind::kStats) return OkStatus();  // the caller reads Samples instead
  }
  ts.resize(n);
  int64_t* tp = ts.data();
  p = decode_timestamps(p, end, n, [tp](size_t i, int64_t t) { tp[i] = t; });
  if (p == nullptr) return corrupt("bad timestamp column");
  for (size_t i = 1; i < n; ++i) {
    if (tp[i] <= tp[i - 1]) return corrupt("timestamps not strictly ascending");
  }
  info->min_time = tp[0];
  info->max_time = tp[n - 1];
  const size_t lo = static_cast<size_t>(std::lower_bound(tp, tp + n, mint) - tp);
  const size_t hi = static_cast<size_t>(std::upper_bound(tp, tp + n, maxt) - tp);
  if (lo >= hi) return OkStatus();
  const size_t start = out->size();
  if (out->capacity() < start + (hi - lo)) {
    out->reserve(std::max(start + (hi - lo), 2 * out->capacity()));  // geometric growth
  }
  if (kind == SeriesKind::kValues) {
    // A value series has one value column: decode it only up to the last sample needed.
    bits.resize(hi);
    if (!internal::decode_value_column_prefix(p, end, n, bits)) {
      return corrupt("bad value column");
    }
    out->resize(start + (hi - lo));
    Out* o = out->data() + start;
    for (size_t i = lo; i < hi; ++i, ++o) {
      o->t = tp[i];
      o->v = std::bit_cast<double>(bits[i]);
    }
    return OkStatus();
  }
  if constexpr (std::is_same_v<Out, Sample>) {
    bits.resize(4 * n);
    for (size_t c = 0; c < 4; ++c) {
      p = internal::decode_value_column(p, end, std::span<uint64_t>(bits).subspan(c * n, n));
      if (p == nullptr) return corrupt("bad value column");
    }
    if (p != end) return corrupt("trailing bytes");
    auto col = [&](size_t c, size_t i) { return std::bit_cast<double>(bits[c * n + i]); };
    for (size_t i = lo; i < hi; ++i) {
      out->push_back(Sample::stat_set(tp[i], StatSet{col(0, i), col(1, i), col(2, i), col(3, i)}));
    }
  }
  return OkStatus();
}

}  // namespace

Status decode_block_series_range(std::string_view data, int64_t mint, int64_t maxt,
                                 std::vector<Sample>* out, BlockSeriesInfo* info) {
  return decode_range(data, mint, maxt, out, info);
}

Status decode_block_values_range(std::string_view data, int64_t mint, int64_t maxt,
                                 std::vector<ValuePoint>* out, BlockSeriesInfo* info) {
  return decode_range(data, mint, maxt, out, info);
}

}  // namespace opsight::storage::tsdb
