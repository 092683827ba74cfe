// Tests of the trace store's encodings: the span row codec, the WAL record, and trace blocks
// (round trip, trace lookup, filters, and malformed bytes failing cleanly).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>

#include "common/bloom_filter.h"
#include "common/coding.h"
#include "storage/tracestore/block.h"
#include "storage/tracestore/span_codec.h"
#include "storage/tracestore/wal_ops.h"
#include "tracestore/tracestore_test_util.h"

namespace opsight::storage::tracestore {
namespace {

using testing::full_span;
using testing::trace_id;

constexpr int64_t kT0 = 1'700'000'000'000'000'000;

std::vector<Span> some_spans() {
  std::vector<Span> out;
  for (uint64_t t = 1; t <= 6; t++) {
    for (uint64_t n = 0; n < 7; n++) out.push_back(full_span(t, n, kT0 + static_cast<int64_t>(t)));
  }
  // A span whose parent is not in the block, and one with no attributes at all.
  Span orphan = full_span(9, 3, kT0 + 50);
  out.push_back(orphan);
  Span bare;
  bare.trace_id = trace_id(10);
  bare.span_id = testing::span_id(99);
  bare.service = "s";
  bare.start_ns = kT0;
  bare.end_ns = kT0;
  out.push_back(bare);
  return out;
}

TEST(SpanCodecTest, RoundTripAndTruncation) {
  for (const Span& s : some_spans()) {
    std::string enc;
    encode_span(&enc, s);
    Span back;
    const char* p = enc.data();
    ASSERT_TRUE(decode_span(&p, enc.data() + enc.size(), &back));
    EXPECT_EQ(p, enc.data() + enc.size());
    Span want = s;
    want.tenant = back.tenant;
    EXPECT_EQ(back, want);
    for (size_t cut = 0; cut < enc.size(); cut++) {
      Span x;
      const char* q = enc.data();
      EXPECT_FALSE(decode_span(&q, enc.data() + cut, &x)) << cut;
    }
  }
}

TEST(TraceWalTest, RecordRoundTripAndCorruption) {
  const Tenant tenant{"123456789012", "us-east-1"};
  auto spans = some_spans();
  std::string blob;
  put_varint64(blob, spans.size());
  for (const auto& s : spans) encode_span(&blob, s);
  WalRecordWriter w;
  w.add_retention(tenant, 7);
  w.add_spans(tenant, blob);
  const std::string rec = w.finish();
  std::vector<WalEntry> out;
  ASSERT_TRUE(decode_wal_record(rec, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].type, kWalRetentionEntry);
  EXPECT_EQ(out[0].retention_days, 7);
  ASSERT_EQ(out[1].spans.size(), spans.size());
  for (size_t i = 0; i < spans.size(); i++) {
    spans[i].tenant = tenant;
    EXPECT_EQ(out[1].spans[i], spans[i]);
  }
  for (size_t cut = 0; cut < rec.size(); cut++) {
    EXPECT_EQ(decode_wal_record(rec.substr(0, cut), &out).code(), Code::kCorruption) << cut;
  }
  EXPECT_TRUE(decode_wal_record(WalRecordWriter().finish(), &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(BloomFilterTest, NoFalseNegativesFewFalsePositives) {
  BloomFilterBuilder b;
  for (uint64_t i = 0; i < 5000; i++) b.add(i * 7919);
  auto f = BloomFilter::parse(b.build(10));
  ASSERT_TRUE(f.ok());
  for (uint64_t i = 0; i < 5000; i++) EXPECT_TRUE(f->may_contain(i * 7919));
  int fp = 0;
  for (uint64_t i = 0; i < 10000; i++) fp += f->may_contain(1'000'000'007ull + i * 31);
  EXPECT_LT(fp, 300);  // ~1% expected
  EXPECT_TRUE(BloomFilter::parse("").ok());
  EXPECT_EQ(BloomFilter::parse("\x80").status().code(), Code::kCorruption);
  EXPECT_EQ(BloomFilter::parse(std::string("\x40\x07", 2) + "abc").status().code(),
            Code::kCorruption);
}

class TraceBlockTest : public ::testing::Test {
 protected:
  std::string write(const std::string& bytes) {
    const std::string path = dir_.path() + "/" + block_file_name(1);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    return path;
  }
  std::string build(std::vector<Span>* spans, uint32_t group_rows = 8192) {
    std::stable_sort(spans->begin(), spans->end(), row_less);
    std::vector<const Span*> rows;
    for (const auto& s : *spans) rows.push_back(&s);
    BlockBuildOptions o;
    o.block_id = 1;
    o.tenant = tenant_;
    o.group_rows = group_rows;
    auto data = build_block(o, rows);
    EXPECT_TRUE(data.ok()) << data.status().to_string();
    return data.ok() ? *data : std::string();
  }
  testing::TempDir dir_;
  Tenant tenant_{"123456789012", "us-east-1"};
};

class TraceBlockGroupsTest : public TraceBlockTest,
                             public ::testing::WithParamInterface<uint32_t> {};

TEST_P(TraceBlockGroupsTest, RoundTripLookupAndFilters) {
  auto spans = some_spans();
  const std::string bytes = build(&spans, GetParam());
  auto b = TraceBlock::open(Env::posix(), write(bytes));
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  const BlockMeta& m = (*b)->meta();
  EXPECT_EQ(m.rows, spans.size());
  EXPECT_EQ(m.traces, 8u);
  EXPECT_EQ(m.tenant, tenant_);
  EXPECT_EQ(m.status_bits, 0b101);
  // Groups hold whole traces and cover every row.
  EXPECT_EQ(m.groups.size(), GetParam() >= 1000 ? 1u : 8u);
  uint32_t rows = 0;
  for (size_t g = 0; g < m.groups.size(); g++) {
    DecodedBlock d;
    uint64_t read = 0;
    ASSERT_TRUE((*b)->decode_group(g, &d, &read).ok());
    EXPECT_GT(read, 0u);
    EXPECT_EQ(d.first_row, rows);
    for (uint32_t r = 0; r < d.start.size(); r++) {
      Span s;
      (*b)->materialize(d, r, &s);
      Span want = spans[d.first_row + r];
      want.tenant = tenant_;
      EXPECT_EQ(s, want) << d.first_row + r;
      EXPECT_EQ((*b)->group_of_row(d.first_row + r), g);
    }
    rows += static_cast<uint32_t>(d.start.size());
  }
  EXPECT_EQ(rows, spans.size());
  for (uint64_t t = 1; t <= 6; t++) {
    EXPECT_TRUE((*b)->may_contain_trace(trace_id(t)));
    uint32_t begin = 0, end = 0;
    auto found = (*b)->find_trace(trace_id(t), &begin, &end);
    ASSERT_TRUE(found.ok() && *found);
    EXPECT_EQ(end - begin, 7u);
    for (uint32_t r = begin; r < end; r++) EXPECT_EQ(spans[r].trace_id, trace_id(t));
  }
  uint32_t begin = 0, end = 0;
  auto missing = (*b)->find_trace(trace_id(77), &begin, &end);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(*missing);
  EXPECT_TRUE((*b)->may_contain_attr("http.request.method", "POST"));
  EXPECT_TRUE((*b)->may_contain_attr("host.name", "host-2"));
  EXPECT_TRUE((*b)->may_contain_attr("k", std::string(300, 'x')));  // too long to filter
}

INSTANTIATE_TEST_SUITE_P(GroupSizes, TraceBlockGroupsTest, ::testing::Values(8192u, 1u));

// Truncations and random byte flips fail with Corruption (or, where a flip hits bytes no check
// covers, still decode) — never a crash. Sanitizers check the "never".
TEST_F(TraceBlockTest, MalformedBytesFailCleanly) {
  auto spans = some_spans();
  const std::string bytes = build(&spans, 10);
  auto try_all = [&](const std::string& data) {
    auto b = TraceBlock::open(Env::posix(), write(data));
    if (!b.ok()) {
      EXPECT_EQ(b.status().code(), Code::kCorruption) << b.status().to_string();
      return;
    }
    for (size_t g = 0; g < (*b)->meta().groups.size(); g++) {
      DecodedBlock d;
      Status st = (*b)->decode_group(g, &d);
      if (st.ok()) {
        Span s;
        for (uint32_t r = 0; r < d.start.size(); r++) (*b)->materialize(d, r, &s);
      } else {
        EXPECT_EQ(st.code(), Code::kCorruption) << st.to_string();
      }
    }
    uint32_t begin, end;
    (void)(*b)->find_trace(trace_id(3), &begin, &end);
  };
  for (size_t cut = 0; cut < bytes.size(); cut += 7) try_all(bytes.substr(0, cut));
  std::mt19937_64 rng(42);
  for (int i = 0; i < 300; i++) {
    std::string x = bytes;
    x[rng() % x.size()] ^= static_cast<char>(1 + rng() % 255);
    try_all(x);
  }
}

}  // namespace
}  // namespace opsight::storage::tracestore
