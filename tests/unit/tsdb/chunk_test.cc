// Tests of the sample encodings (storage/tsdb/chunk.h): head chunks (Gorilla) and the block
// series encoding, for random and adversarial series, stat sets, seek(), and corrupt input.
#include "storage/tsdb/chunk.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "storage/tsdb/chunk_values.h"

namespace opsight::storage::tsdb {
namespace {

double from_bits(uint64_t b) {
  return std::bit_cast<double>(b);
}

std::vector<Sample> values(std::span<const double> vs, int64_t t0 = 1'700'000'000'000,
                           int64_t step = 15'000) {
  std::vector<Sample> out;
  for (size_t i = 0; i < vs.size(); ++i) {
    out.push_back(Sample::value(t0 + static_cast<int64_t>(i) * step, vs[i]));
  }
  return out;
}

std::string describe(const Sample& s) {
  char buf[160];
  if (s.is_stats) {
    std::snprintf(buf, sizeof buf, "t=%lld stats{%a %a %a %a}", static_cast<long long>(s.t),
                  s.stats.count, s.stats.sum, s.stats.min, s.stats.max);
  } else {
    std::snprintf(buf, sizeof buf, "t=%lld v=%a bits=%016llx", static_cast<long long>(s.t), s.v,
                  static_cast<unsigned long long>(std::bit_cast<uint64_t>(s.v)));
  }
  return buf;
}

void expect_same(std::span<const Sample> want, std::span<const Sample> got) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_TRUE(want[i].same_as(got[i]))
        << "sample " << i << ": want " << describe(want[i]) << " got " << describe(got[i]);
  }
}

ChunkEncoding encoding_of(std::span<const Sample> s) {
  return !s.empty() && s[0].is_stats ? ChunkEncoding::kStats : ChunkEncoding::kXor;
}

std::vector<Sample> head_roundtrip(std::span<const Sample> samples) {
  HeadChunk c(encoding_of(samples));
  for (const Sample& s : samples) c.append(s);
  EXPECT_EQ(c.num_samples(), samples.size());
  if (!samples.empty()) {
    EXPECT_EQ(c.min_time(), samples.front().t);
    EXPECT_EQ(c.max_time(), samples.back().t);
  }
  std::string bytes(c.data());
  ChunkIterator it(c.encoding(), bytes, c.num_samples());
  std::vector<Sample> got;
  while (it.next()) got.push_back(it.at());
  EXPECT_TRUE(it.err().ok()) << it.err().to_string();
  return got;
}

std::vector<Sample> block_roundtrip(std::span<const Sample> samples, size_t* size = nullptr) {
  std::string bytes;
  encode_block_series(samples, &bytes);
  if (size != nullptr) *size = bytes.size();
  std::vector<Sample> got;
  Status st = decode_block_series(bytes, &got);
  EXPECT_TRUE(st.ok()) << st.to_string();
  return got;
}

void expect_roundtrips(std::span<const Sample> samples) {
  {
    SCOPED_TRACE("head chunk");
    expect_same(samples, head_roundtrip(samples));
  }
  {
    SCOPED_TRACE("block series");
    expect_same(samples, block_roundtrip(samples));
  }
}

TEST(ChunkTest, EmptySeries) {
  HeadChunk c(ChunkEncoding::kXor);
  EXPECT_EQ(c.num_samples(), 0u);
  EXPECT_TRUE(c.data().empty());
  ChunkIterator it(ChunkEncoding::kXor, c.data(), 0);
  EXPECT_FALSE(it.next());
  EXPECT_FALSE(it.seek(0));
  EXPECT_TRUE(it.err().ok());
  EXPECT_TRUE(block_roundtrip({}).empty());
}

TEST(ChunkTest, SingleSample) {
  for (double v : {0.0, -0.0, 1.0, 42.5, stale_nan(), std::numeric_limits<double>::infinity()}) {
    std::vector<Sample> s = {Sample::value(-5, v)};
    expect_roundtrips(s);
  }
}

TEST(ChunkTest, RandomSeries) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 50; ++round) {
    size_t n = 1 + rng() % 600;
    std::vector<Sample> s;
    int64_t t = static_cast<int64_t>(rng() % 2'000'000'000'000ULL) - 1'000'000'000'000LL;
    double v = 0;
    for (size_t i = 0; i < n; ++i) {
      t += 1 + static_cast<int64_t>(rng() % (round % 3 == 0 ? 100'000 : 20));
      switch (round % 5) {
        case 0:
          v = from_bits(rng());
          break;  // any bits, NaNs included
        case 1:
          v += static_cast<double>(rng() % 1000) / 100;
          break;  // 2-decimal counter
        case 2:
          v = static_cast<double>(rng() % 5);
          break;  // small int gauge
        case 3:
          v = std::ldexp(static_cast<double>(rng() % 1000), -7);
          break;  // binary fractions
        default:
          v = std::sin(static_cast<double>(i)) * 1e3;
          break;  // full precision floats
      }
      s.push_back(Sample::value(t, v));
    }
    SCOPED_TRACE(round);
    expect_roundtrips(s);
  }
}

TEST(ChunkTest, SpecialValues) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> vs = {1.0,
                            stale_nan(),
                            std::nan(""),
                            -std::nan(""),
                            from_bits(0x7ff8dead00000001ULL),
                            inf,
                            -inf,
                            -0.0,
                            0.0,
                            std::numeric_limits<double>::denorm_min(),
                            -0.0,
                            std::numeric_limits<double>::max(),
                            std::numeric_limits<double>::lowest(),
                            3.0};
  expect_roundtrips(values(vs));
}

TEST(ChunkTest, StalenessMarkerInDecimalCounterStaysCompact) {
  std::vector<double> vs;
  double v = 1000;
  for (int i = 0; i < 480; ++i) vs.push_back(v += 14.73);
  size_t plain = 0, with_stale = 0;
  auto s = values(vs);
  expect_same(s, block_roundtrip(s, &plain));
  s.back().v = stale_nan();
  s[100].v = -0.0;
  expect_same(s, block_roundtrip(s, &with_stale));
  // Two exceptions cost about 2 x 9 bytes, not a fallback to XOR for all 480 values.
  EXPECT_LT(with_stale, plain + 30);
}

TEST(ChunkTest, FullWidthXor) {
  // Alternating bit patterns: every XOR has 64 meaningful bits (length field 0 means 64).
  std::vector<double> vs;
  for (int i = 0; i < 100; ++i) {
    vs.push_back(from_bits(i % 2 ? 0x5555555555555555ULL : 0xAAAAAAAAAAAAAAAAULL));
  }
  vs.push_back(from_bits(1));
  vs.push_back(from_bits(0x8000000000000000ULL));
  vs.push_back(from_bits(0xFFFFFFFFFFFFFFFFULL));
  expect_roundtrips(values(vs));
}

TEST(ChunkTest, ExtremeTimestamps) {
  const int64_t lo = std::numeric_limits<int64_t>::min();
  const int64_t hi = std::numeric_limits<int64_t>::max();
  std::vector<std::vector<int64_t>> cases = {
      {lo, hi},
      {lo, lo + 1, 0, hi - 1, hi},
      {-1'000'000'000'000'000, -5, 0, 1, 1'000'000'000'000'000},
      {lo, -1, hi},
      {0, 1, 2, 3, 4, 5, 6},  // identical deltas
      {100, 100 + (1LL << 40), 100 + (1LL << 41), hi},
  };
  for (const auto& ts : cases) {
    std::vector<Sample> s;
    for (int64_t t : ts) s.push_back(Sample::value(t, static_cast<double>(s.size())));
    expect_roundtrips(s);
  }
}

TEST(ChunkTest, UnorderedTimestampsStillRoundTrip) {
  // Not a supported input, but the encodings must not lose data or crash on it.
  std::vector<Sample> s = {Sample::value(10, 1), Sample::value(10, 2), Sample::value(5, 3),
                           Sample::value(-100, 4), Sample::value(20, 5)};
  expect_roundtrips(s);
}

TEST(ChunkTest, JitteredScrapesAndGaps) {
  std::mt19937_64 rng(3);
  std::vector<Sample> s;
  int64_t base = 1'700'000'000'123;
  for (int i = 0; i < 2000; ++i) {
    if (i == 500) base += 60'000;      // missed scrapes
    if (i == 1200) base += 7'777;      // target restarted with a new offset
    if (i == 1500) base -= 3'000'000;  // clock step back (unsupported order, still exact)
    int64_t t = base + static_cast<int64_t>(i) * 15'000 + static_cast<int64_t>(rng() % 7);
    s.push_back(Sample::value(t, static_cast<double>(i % 13)));
  }
  expect_roundtrips(s);
}

TEST(ChunkTest, IntegersNear2Pow53) {
  const double p53 = 9007199254740992.0;
  std::vector<double> vs = {p53 - 1, -(p53 - 1), p53,   p53 + 2,      -p53, p53 - 2,
                            1e15,    1e15 + 1,   1e300, p53 / 10 + 1, 0.5,  p53 - 1};
  expect_roundtrips(values(vs));
}

TEST(ChunkTest, InexactDecimals) {
  std::vector<double> vs = {0.1 + 0.2, 0.3,   1.0 / 3, 2.0 / 3, 0.1, 1e-300,
                            123.456,   1e-15, 5e-324,  1.1,     2.2, 3.3000000000000003};
  expect_roundtrips(values(vs));
}

TEST(ChunkTest, MultiplicationScaledDecimals) {
  // node_exporter multiplies milliseconds by 0.001; such values are not always m / 1000.
  std::vector<double> vs;
  for (int64_t m = 1'000'000; vs.size() < 300; m += 37)
    vs.push_back(static_cast<double>(m) * 0.001);
  size_t dec = 0;
  auto s = values(vs);
  expect_same(s, block_roundtrip(s, &dec));
  std::string gorilla;
  std::vector<uint64_t> bits;
  for (double v : vs) bits.push_back(std::bit_cast<uint64_t>(v));
  internal::encode_value_column_as(internal::ValueCodec::kGorilla, bits, &gorilla);
  EXPECT_LT(dec, gorilla.size() / 2);
}

TEST(ChunkTest, CommonFactorOfResiduals) {
  // Memory in kB * 1024 and filesystem bytes in 4096 blocks: residuals share a factor.
  std::mt19937_64 rng(19);
  std::vector<double> vs;
  double v = 8'000'000'000;
  for (int i = 0; i < 480; ++i) {
    v += static_cast<double>(static_cast<int64_t>(rng() % 2001) - 1000) * 4096;
    vs.push_back(v);
  }
  std::vector<uint64_t> bits;
  for (double x : vs) bits.push_back(std::bit_cast<uint64_t>(x));
  std::string col;
  internal::encode_value_column(bits, &col);
  // About 11 bits of entropy per residual: 2 varint bytes, not the 4 of raw multiples of 4096.
  EXPECT_LT(col.size(), 2 * vs.size() + 32);
  std::vector<uint64_t> got(bits.size());
  EXPECT_EQ(internal::decode_value_column(col.data(), col.data() + col.size(), got),
            col.data() + col.size());
  EXPECT_EQ(got, bits);
  expect_roundtrips(values(vs));
  // A factor on a decimal scale with a reset and a staleness marker.
  std::vector<double> w = {0.25, 0.5, 0.75, 1.0, 0.0, stale_nan(), 0.25, 0.5};
  expect_roundtrips(values(w));
}

TEST(ChunkTest, ConstantSeriesIsTiny) {
  std::vector<double> vs(10'000, 1.0);
  size_t size = 0;
  auto s = values(vs);
  expect_same(s, block_roundtrip(s, &size));
  // Kind, count, grid timestamps (one zero byte each), 9 bytes of value.
  EXPECT_LT(size, 10'000u + 32);
}

TEST(ChunkTest, HundredThousandSamples) {
  std::mt19937_64 rng(11);
  std::vector<Sample> s;
  double counter = 0;
  for (int i = 0; i < 100'000; ++i) {
    counter += static_cast<double>(rng() % 100'000);
    s.push_back(
        Sample::value(1'600'000'000'000 + i * 10'000LL + static_cast<int64_t>(rng() % 3), counter));
  }
  expect_roundtrips(s);
}

TEST(ChunkTest, EveryValueCodecRoundTrips) {
  std::mt19937_64 rng(5);
  std::vector<uint64_t> bits;
  double v = 0;
  for (int i = 0; i < 300; ++i) {
    v += static_cast<double>(rng() % 500) / 100;
    bits.push_back(i % 50 == 7 ? std::bit_cast<uint64_t>(stale_nan()) : std::bit_cast<uint64_t>(v));
  }
  using internal::ValueCodec;
  for (auto codec : {ValueCodec::kConst, ValueCodec::kDecimalDelta, ValueCodec::kDecimalDod,
                     ValueCodec::kGorilla}) {
    std::string col;
    internal::encode_value_column_as(codec, bits, &col);
    std::vector<uint64_t> got(bits.size());
    const char* end = internal::decode_value_column(col.data(), col.data() + col.size(), got);
    ASSERT_EQ(end, col.data() + col.size()) << static_cast<int>(codec);
    EXPECT_EQ(got, bits) << static_cast<int>(codec);
  }
}

std::vector<Sample> stat_series(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Sample> s;
  for (int i = 0; i < n; ++i) {
    double count = static_cast<double>(1 + rng() % 60);
    double min = static_cast<double>(rng() % 100) / 10;
    double max = min + static_cast<double>(rng() % 1000) / 10;
    double sum = count * (min + max) / 2;
    if (i == 3) max = stale_nan();
    s.push_back(Sample::stat_set(60'000LL * i, StatSet{count, sum, min, max}));
  }
  return s;
}

TEST(ChunkTest, StatSets) {
  for (int n : {1, 2, 17, 1000}) {
    SCOPED_TRACE(n);
    expect_roundtrips(stat_series(n, static_cast<uint64_t>(n)));
  }
}

TEST(ChunkTest, CopiedHeadDataDecodesPrefixAfterMoreAppends) {
  HeadChunk c(ChunkEncoding::kXor);
  std::vector<Sample> s;
  for (int i = 0; i < 50; ++i) s.push_back(Sample::value(i * 1000 + i % 3, i * 0.25));
  for (int i = 0; i < 20; ++i) c.append(s[i]);
  std::string snapshot(c.data());
  for (int i = 20; i < 50; ++i) c.append(s[i]);
  ChunkIterator it(ChunkEncoding::kXor, snapshot, 20);
  std::vector<Sample> got;
  while (it.next()) got.push_back(it.at());
  EXPECT_TRUE(it.err().ok());
  expect_same(std::span(s).first(20), got);
  EXPECT_GT(c.memory_bytes(), c.data().size());
}

TEST(ChunkTest, HeadChunkMove) {
  HeadChunk a(ChunkEncoding::kXor);
  a.append(Sample::value(1, 2));
  HeadChunk b = std::move(a);
  b.append(Sample::value(2, 3));
  EXPECT_EQ(b.num_samples(), 2u);
  ChunkIterator it(ChunkEncoding::kXor, b.data(), 2);
  ASSERT_TRUE(it.seek(2));
  EXPECT_EQ(it.at().v, 3);
}

class ChunkIteratorSeekTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 10; ++i) chunk_.append(Sample::value(100 + i * 10, i));  // t = 100..190
    bytes_ = std::string(chunk_.data());
  }
  ChunkIterator iter() { return ChunkIterator(ChunkEncoding::kXor, bytes_, 10); }
  HeadChunk chunk_{ChunkEncoding::kXor};
  std::string bytes_;
};

TEST_F(ChunkIteratorSeekTest, BeforeFirstNext) {
  auto it = iter();
  ASSERT_TRUE(it.seek(0));
  EXPECT_EQ(it.at().t, 100);
  ASSERT_TRUE(it.next());
  EXPECT_EQ(it.at().t, 110);
}

TEST_F(ChunkIteratorSeekTest, ExactAndBetween) {
  auto it = iter();
  ASSERT_TRUE(it.seek(130));
  EXPECT_EQ(it.at().t, 130);
  EXPECT_EQ(it.at().v, 3);
  ASSERT_TRUE(it.seek(131));
  EXPECT_EQ(it.at().t, 140);
}

TEST_F(ChunkIteratorSeekTest, NeverMovesBackwards) {
  auto it = iter();
  ASSERT_TRUE(it.seek(150));
  ASSERT_TRUE(it.seek(120));
  EXPECT_EQ(it.at().t, 150);
  ASSERT_TRUE(it.seek(150));
  EXPECT_EQ(it.at().t, 150);
  ASSERT_TRUE(it.next());
  EXPECT_EQ(it.at().t, 160);
}

TEST_F(ChunkIteratorSeekTest, PastTheEnd) {
  auto it = iter();
  ASSERT_TRUE(it.seek(190));
  EXPECT_EQ(it.at().t, 190);
  EXPECT_FALSE(it.seek(191));
  EXPECT_FALSE(it.next());
  EXPECT_FALSE(it.seek(0));
  EXPECT_TRUE(it.err().ok());
}

TEST(ChunkTest, StatsIteratorSeek) {
  auto s = stat_series(30, 9);
  HeadChunk c(ChunkEncoding::kStats);
  for (const auto& x : s) c.append(x);
  ChunkIterator it(ChunkEncoding::kStats, c.data(), c.num_samples());
  ASSERT_TRUE(it.seek(s[12].t - 1));
  EXPECT_TRUE(it.at().same_as(s[12]));
  EXPECT_TRUE(it.at().is_stats);
}

// Head chunk bytes: any truncation or bit flip yields a (possibly shorter) sample sequence or
// Corruption; a truncation never yields a wrong sample before it fails.
TEST(ChunkTest, HeadChunkCorruption) {
  std::mt19937_64 rng(13);
  std::vector<Sample> s;
  double v = 0;
  for (int i = 0; i < 200; ++i) {
    v += static_cast<double>(rng() % 100) / 7;
    s.push_back(Sample::value(i * 15'000LL + static_cast<int64_t>(rng() % 5), v));
  }
  HeadChunk c(ChunkEncoding::kXor);
  for (const auto& x : s) c.append(x);
  const std::string full(c.data());
  for (size_t len = 0; len < full.size(); ++len) {
    std::string cut = full.substr(0, len);
    ChunkIterator it(ChunkEncoding::kXor, cut, c.num_samples());
    size_t i = 0;
    while (it.next()) {
      ASSERT_LT(i, s.size());
      ASSERT_TRUE(it.at().same_as(s[i])) << "len " << len << " sample " << i;
      ++i;
    }
    EXPECT_EQ(it.err().code(), Code::kCorruption) << "len " << len;
  }
  for (int round = 0; round < 500; ++round) {
    std::string bad = full;
    bad[rng() % bad.size()] ^= static_cast<char>(1 << (rng() % 8));
    ChunkIterator it(ChunkEncoding::kXor, bad, c.num_samples());
    while (it.next()) {
    }
    EXPECT_TRUE(it.err().ok() || it.err().code() == Code::kCorruption);
  }
  ChunkIterator bad_enc(static_cast<ChunkEncoding>(9), full, c.num_samples());
  EXPECT_FALSE(bad_enc.next());
  EXPECT_EQ(bad_enc.err().code(), Code::kCorruption);
}

// Block series bytes: every truncation is Corruption (leaving *out untouched) or decodes to a
// prefix of the original; random damage never crashes.
TEST(ChunkTest, BlockSeriesCorruption) {
  std::vector<std::vector<Sample>> series = {stat_series(40, 1)};
  std::vector<double> counter, noise;
  for (int i = 0; i < 120; ++i) {
    counter.push_back(1000 + i * 14.73);
    noise.push_back(std::sin(i) * 1e-3);
  }
  counter[60] = stale_nan();
  series.push_back(values(counter));
  series.push_back(values(noise, -77, 1));
  series.push_back(values(std::vector<double>(30, 1.0)));
  std::mt19937_64 rng(17);
  for (const auto& s : series) {
    std::string full;
    encode_block_series(s, &full);
    for (size_t len = 0; len < full.size(); ++len) {
      std::vector<Sample> out = {Sample::value(1, 1)};
      Status st = decode_block_series(std::string_view(full).substr(0, len), &out);
      if (st.ok()) {
        ASSERT_LE(out.size() - 1, s.size());
        expect_same(std::span(s).first(out.size() - 1), std::span(out).subspan(1));
      } else {
        EXPECT_EQ(st.code(), Code::kCorruption);
        EXPECT_EQ(out.size(), 1u) << "output changed on error, len " << len;
      }
    }
    std::string longer = full + "x";
    std::vector<Sample> out;
    EXPECT_EQ(decode_block_series(longer, &out).code(), Code::kCorruption);
    for (int round = 0; round < 500; ++round) {
      std::string bad = full;
      for (int k = 0; k < 3; ++k) bad[rng() % bad.size()] = static_cast<char>(rng());
      std::vector<Sample> junk;
      Status st = decode_block_series(bad, &junk);
      EXPECT_TRUE(st.ok() || st.code() == Code::kCorruption);
    }
  }
}

// The query path's range decoders return exactly the window of a full decode, for every value
// codec, any window, both output types; statistic sets are refused by the value variant.
TEST(ChunkTest, RangeDecodersMatchTheFullDecode) {
  std::mt19937_64 rng(7);
  std::vector<std::vector<Sample>> series;
  std::vector<double> c(300, 42.5), counter, noisy, gorilla, stale;
  double x = 0;
  for (int i = 0; i < 300; ++i) {
    x += static_cast<double>(rng() % 1000) / 100;
    counter.push_back(x);
    noisy.push_back(static_cast<double>(static_cast<int64_t>(rng() % 100000) - 50000) / 1000);
    gorilla.push_back(std::bit_cast<double>(rng() >> 2));
    stale.push_back(i % 37 == 5 ? from_bits(kStaleNaNBits) : x);
  }
  for (const auto& v : {c, counter, noisy, gorilla, stale}) series.push_back(values(v));
  std::vector<Sample> stats;
  for (int i = 0; i < 100; ++i) {
    stats.push_back(Sample::stat_set(1000 + i * 10, StatSet{1.0 * i, 2.0 * i, 0, 3.0 * i}));
  }
  series.push_back(stats);
  for (const auto& s : series) {
    std::string bytes;
    encode_block_series(s, &bytes);
    const int64_t lo_t = s.front().t - 10, hi_t = s.back().t + 10;
    for (int k = 0; k < 40; ++k) {
      int64_t a = lo_t + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi_t - lo_t));
      int64_t b = lo_t + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi_t - lo_t));
      if (k == 0) a = INT64_MIN, b = INT64_MAX;
      if (a > b) std::swap(a, b);
      std::vector<Sample> want;
      for (const auto& x : s) {
        if (x.t >= a && x.t <= b) want.push_back(x);
      }
      std::vector<Sample> got{Sample::value(1, 1)};  // appends after what is there
      BlockSeriesInfo info;
      ASSERT_TRUE(decode_block_series_range(bytes, a, b, &got, &info).ok());
      EXPECT_EQ(info.num_samples, s.size());
      EXPECT_EQ(info.min_time, s.front().t);
      EXPECT_EQ(info.max_time, s.back().t);
      expect_same(want, std::span<const Sample>(got).subspan(1));
      std::vector<ValuePoint> vals;
      ASSERT_TRUE(decode_block_values_range(bytes, a, b, &vals, &info).ok());
      EXPECT_EQ(info.is_stats, s[0].is_stats);
      if (s[0].is_stats) {
        EXPECT_TRUE(vals.empty());
        continue;
      }
      ASSERT_EQ(vals.size(), want.size());
      for (size_t i = 0; i < vals.size(); ++i) {
        EXPECT_EQ(vals[i].t, want[i].t);
        EXPECT_EQ(std::bit_cast<uint64_t>(vals[i].v), std::bit_cast<uint64_t>(want[i].v));
      }
    }
    // Truncations are Corruption (never a crash) and leave the output as it was; a cut in the
    // value column after the last sample needed is allowed to go unnoticed.
    for (size_t len = 0; len < bytes.size(); ++len) {
      std::vector<ValuePoint> vals{{5, 5}};
      BlockSeriesInfo info;
      Status st = decode_block_values_range(std::string_view(bytes).substr(0, len), INT64_MIN,
                                            INT64_MAX, &vals, &info);
      if (!st.ok()) {
        EXPECT_EQ(st.code(), Code::kCorruption);
        EXPECT_EQ(vals.size(), 1u);
      }
    }
  }
}

TEST(ChunkTest, DecodeAppends) {
  auto a = values(std::vector<double>{1, 2, 3});
  auto b = stat_series(5, 2);
  std::string ea, eb;
  encode_block_series(a, &ea);
  encode_block_series(b, &eb);
  std::vector<Sample> out;
  ASSERT_TRUE(decode_block_series(ea, &out).ok());
  ASSERT_TRUE(decode_block_series(eb, &out).ok());
  ASSERT_EQ(out.size(), 8u);
  expect_same(a, std::span(out).first(3));
  expect_same(b, std::span(out).subspan(3));
}

}  // namespace
}  // namespace opsight::storage::tsdb
