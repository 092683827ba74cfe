// Tests of the log block format (block.h) and its token filter: round trip of every column,
// every single-byte corruption and every truncation detected, filter semantics.
#include "storage/logstore/block.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

namespace opsight::storage::logstore {
namespace {

class MemFile final : public RandomAccessFile {
 public:
  explicit MemFile(std::string data) : data_(std::move(data)) {}
  Status read(uint64_t offset, size_t n, char* scratch, std::string_view* result) const override {
    if (offset > data_.size()) return Status::io_error("read past the end");
    size_t len = std::min<uint64_t>(n, data_.size() - offset);
    std::memcpy(scratch, data_.data() + offset, len);
    *result = std::string_view(scratch, len);
    return OkStatus();
  }
  uint64_t size() const override { return data_.size(); }

 private:
  std::string data_;
};

struct TestRow {
  int64_t ts, ingestion;
  uint32_t stream;
  int32_t sev;
  std::string message, sev_text, trace, span;
  std::vector<std::pair<std::string, std::string>> fields;
};

std::vector<TestRow> make_rows(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<TestRow> rows;
  int64_t ts = -5000;  // negative timestamps too
  for (int i = 0; i < n; i++) {
    TestRow r;
    ts += static_cast<int64_t>(rng() % 3);  // ties
    r.ts = ts;
    r.ingestion = 1'700'000'000'000 - static_cast<int64_t>(rng() % 100000);
    r.stream = 1 + static_cast<uint32_t>(rng() % 3);
    r.sev = static_cast<int32_t>(rng() % 25);
    r.sev_text = r.sev > 16 ? "ERROR" : "";
    if (i % 3 == 0) r.trace = "0af7651916cd43dd8448eb211c80319c", r.span = "b7ad6b7169203331";
    r.message = "request " + std::to_string(i) + " took " + std::to_string(rng() % 1000) + "ms";
    if (i % 2 == 0) r.fields.push_back({"latency", std::to_string(rng() % 1000)});
    if (i % 5 == 0) r.fields.push_back({"user.id", "u" + std::to_string(i)});
    if (i % 7 == 0) r.fields.push_back({"empty", ""});
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string build(const std::vector<TestRow>& rows, std::vector<std::vector<LogField>>* storage) {
  std::vector<BlockRowView> views;
  storage->clear();
  storage->resize(rows.size());
  for (size_t i = 0; i < rows.size(); i++) {
    const TestRow& r = rows[i];
    for (const auto& [k, v] : r.fields) (*storage)[i].push_back({k, v});
    BlockRowView v;
    v.timestamp_ms = r.ts;
    v.ingestion_time_ms = r.ingestion;
    v.stream_id = r.stream;
    v.severity_number = r.sev;
    v.message = r.message;
    v.severity_text = r.sev_text;
    v.trace_id = r.trace;
    v.span_id = r.span;
    v.fields = (*storage)[i];
    views.push_back(v);
  }
  BlockBuildOptions o;
  o.block_id = 7;
  o.group_id = 3;
  auto data = build_block(o, views, {{1, "s-one"}, {2, "s-two"}, {3, "s-three"}});
  EXPECT_TRUE(data.ok()) << data.status().to_string();
  return data.ok() ? *data : std::string();
}

Result<std::shared_ptr<LogBlock>> open_mem(std::string data) {
  return LogBlock::open_file(std::make_unique<MemFile>(std::move(data)), "mem");
}

TEST(LogBlockTest, RoundTripsEveryColumn) {
  auto rows = make_rows(500, 1);
  std::vector<std::vector<LogField>> storage;
  auto block = open_mem(build(rows, &storage));
  ASSERT_TRUE(block.ok()) << block.status().to_string();
  const BlockMeta& m = (*block)->meta();
  EXPECT_EQ(m.id, 7u);
  EXPECT_EQ(m.group_id, 3u);
  EXPECT_EQ(m.rows, 500u);
  EXPECT_EQ(m.min_time, rows.front().ts);
  EXPECT_EQ(m.max_time, rows.back().ts);
  uint64_t stored = 0;
  for (const auto& r : rows) stored += r.message.size() + kEventOverheadBytes;
  EXPECT_EQ(m.stored_bytes, stored);
  DecodedBlock d;
  ASSERT_TRUE((*block)->decode_keys(&d).ok());
  EXPECT_FALSE(d.rest_decoded);
  ASSERT_TRUE((*block)->decode_rest(&d).ok());
  for (size_t i = 0; i < rows.size(); i++) {
    const TestRow& r = rows[i];
    SCOPED_TRACE(i);
    EXPECT_EQ(d.timestamps[i], r.ts);
    EXPECT_EQ(d.ingestion[i], r.ingestion);
    EXPECT_EQ(m.streams[d.stream_index[i]].id, r.stream);
    EXPECT_EQ(d.severity_number[i], r.sev);
    EXPECT_EQ(d.severity_text[i], r.sev_text);
    EXPECT_EQ(d.trace_id[i], r.trace);
    EXPECT_EQ(d.span_id[i], r.span);
    EXPECT_EQ(d.message[i], r.message);
    ASSERT_EQ(d.field_begin[i + 1] - d.field_begin[i], r.fields.size());
    for (size_t f = 0; f < r.fields.size(); f++) {
      EXPECT_EQ(d.fields[d.field_begin[i] + f].name, r.fields[f].first);
      EXPECT_EQ(d.fields[d.field_begin[i] + f].value, r.fields[f].second);
    }
  }
  EXPECT_EQ(m.streams.size(), 3u);
  EXPECT_LE(m.shapes.size(), 8u);  // a handful of distinct field lists
}

TEST(LogBlockTest, DecodesOnlyTheRequestedParts) {
  auto rows = make_rows(300, 4);
  std::vector<std::vector<LogField>> storage;
  auto block = open_mem(build(rows, &storage));
  ASSERT_TRUE(block.ok());
  DecodedBlock d;
  ASSERT_TRUE((*block)->decode_rest(&d, kDecodeSmall).ok());
  EXPECT_TRUE(d.rest_decoded);
  EXPECT_TRUE(d.message.empty());
  EXPECT_TRUE(d.fields.empty());
  ASSERT_EQ(d.message_length.size(), rows.size());
  for (size_t i = 0; i < rows.size(); i++) {
    EXPECT_EQ(d.message_length[i], rows[i].message.size());
    uint64_t attr = 0;
    for (const auto& [k, v] : rows[i].fields) attr += k.size() + v.size();
    EXPECT_EQ(d.attribute_bytes[i], attr);
    EXPECT_EQ(d.severity_number[i], rows[i].sev);
  }
  ASSERT_TRUE((*block)->decode_rest(&d, kDecodeMessages).ok());
  EXPECT_TRUE(d.fields.empty());
  ASSERT_EQ(d.message.size(), rows.size());
  // The message column is stored clustered by stream; rows come back in time order.
  for (size_t i = 0; i < rows.size(); i++) EXPECT_EQ(d.message[i], rows[i].message);
  ASSERT_TRUE((*block)->decode_rest(&d, kDecodeAttributes).ok());
  EXPECT_EQ(d.field_begin.size(), rows.size() + 1);
  EXPECT_EQ(d.parts, unsigned{kDecodeAll});
}

TEST(LogBlockTest, EverySingleByteCorruptionIsDetected) {
  std::vector<std::vector<LogField>> storage;
  const std::string good = build(make_rows(60, 2), &storage);
  for (size_t pos = 0; pos < good.size(); pos++) {
    std::string bad = good;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x5a);
    auto block = open_mem(bad);
    if (!block.ok()) {
      EXPECT_TRUE(block.status().code() == Code::kCorruption) << block.status().to_string();
      continue;
    }
    DecodedBlock d;
    Status st = (*block)->decode_rest(&d);
    bool filter_hit = pos >= (*block)->meta().filter_offset &&
                      pos < (*block)->meta().filter_offset + (*block)->meta().filter_length;
    EXPECT_FALSE(st.ok() && !filter_hit) << "undetected corruption at byte " << pos;
  }
}

TEST(LogBlockTest, EveryTruncationIsDetected) {
  std::vector<std::vector<LogField>> storage;
  const std::string good = build(make_rows(20, 3), &storage);
  for (size_t n = 0; n < good.size(); n++) {
    auto block = open_mem(good.substr(0, n));
    EXPECT_FALSE(block.ok()) << "truncated to " << n;
  }
}

TEST(LogBlockTest, FileNames) {
  EXPECT_EQ(block_file_name(0x1a), "000000000000001a.block");
  uint64_t id = 0;
  EXPECT_TRUE(parse_block_file_name("000000000000001a.block", &id));
  EXPECT_EQ(id, 0x1au);
  EXPECT_FALSE(parse_block_file_name("000000000000001A.block", &id));
  EXPECT_FALSE(parse_block_file_name("000000000000001a.block.tmp", &id));
}

TEST(TrigramFilterTest, NeverSkipsAMatchAndSkipsMostMisses) {
  TrigramSet set;
  set.add_text("GET /api/Checkout HTTP/1.1 500 Internal Server Error");
  set.add_text("caf\xc3\xa9 au lait");
  auto f = TrigramFilter::parse(set.build_filter(10));
  ASSERT_TRUE(f.ok());
  auto may = [&](std::vector<std::string> s) { return f->may_contain(s); };
  EXPECT_TRUE(may({"checkout"}));
  EXPECT_TRUE(may({"INTERNAL SERVER"}));
  EXPECT_TRUE(may({"/api/checkout", "error"}));
  EXPECT_TRUE(may({"ab"}));           // too short to test
  EXPECT_TRUE(may({"CAF\xc3\x89"}));  // non-ASCII trigrams are not tested
  EXPECT_TRUE(may({}));
  EXPECT_FALSE(may({"timeout"}));
  EXPECT_FALSE(may({"checkout", "timeout"}));  // every substring must be present
  int false_positives = 0;
  for (int i = 0; i < 1000; i++) false_positives += may({"zq" + std::to_string(i) + "xj"});
  EXPECT_LT(false_positives, 50);
  // No filter: everything may match.
  auto none = TrigramFilter::parse("");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->may_contain(std::vector<std::string>{"anything"}));
  EXPECT_FALSE(TrigramFilter::parse(std::string("\x40\x07", 2)).ok());
}

}  // namespace
}  // namespace opsight::storage::logstore
