// Tests of the catalog (catalog.h) and the WAL record (wal_ops.h): apply semantics,
// serialisation round trips, malformed input.
#include "storage/logstore/catalog.h"

#include <gtest/gtest.h>

#include "common/coding.h"
#include "storage/logstore/block.h"
#include "storage/logstore/head.h"
#include "storage/logstore/wal_ops.h"

namespace opsight::storage::logstore {
namespace {

CatalogOp create_group(uint64_t id, std::string name, int retention = 0) {
  CatalogOp op;
  op.type = CatalogOp::kCreateGroup;
  op.group_id = id;
  op.tenant = Tenant{};
  op.name = std::move(name);
  op.retention_days = retention;
  op.time_ms = 1000 + static_cast<int64_t>(id);
  return op;
}

CatalogOp create_stream(uint64_t gid, uint32_t sid, std::string name) {
  CatalogOp op;
  op.type = CatalogOp::kCreateStream;
  op.group_id = gid;
  op.stream_id = sid;
  op.name = std::move(name);
  op.time_ms = 5;
  return op;
}

TEST(CatalogTest, ApplySerializeParse) {
  Catalog c;
  ASSERT_TRUE(c.apply(create_group(1, "a", 7)).ok());
  ASSERT_TRUE(c.apply(create_group(4, "b")).ok());
  EXPECT_EQ(c.apply(create_group(2, "a")).code(), Code::kFailedPrecondition);
  EXPECT_EQ(c.next_group_id(), 5u);
  ASSERT_TRUE(c.apply(create_stream(1, 1, "s1")).ok());
  ASSERT_TRUE(c.apply(create_stream(1, 9, "s9")).ok());
  EXPECT_EQ(c.apply(create_stream(1, 2, "s1")).code(), Code::kFailedPrecondition);
  EXPECT_EQ(c.apply(create_stream(3, 1, "x")).code(), Code::kFailedPrecondition);
  Catalog::note_events(c.by_id(1)->stream_by_id(9), 100, 200, 300);
  Catalog::note_events(c.by_id(1)->stream_by_id(9), 50, 150, 250);
  CatalogOp del;
  del.type = CatalogOp::kDeleteStream;
  del.group_id = 1;
  del.stream_id = 1;
  ASSERT_TRUE(c.apply(del).ok());
  EXPECT_EQ(c.by_id(1)->next_stream_id, 10u);

  Catalog back;
  ASSERT_TRUE(Catalog::parse(c.serialize(), &back).ok());
  EXPECT_EQ(back.serialize(), c.serialize());
  const GroupState* g = back.find(Tenant{}, "a");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->retention_days, 7);
  ASSERT_EQ(g->streams.size(), 1u);
  const StreamState* s = g->stream_by_name("s9");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->first_event_ms, 50);
  EXPECT_EQ(s->last_event_ms, 200);
  EXPECT_EQ(s->last_ingestion_ms, 300);
  EXPECT_EQ(back.list(Tenant{}, "").size(), 2u);
  EXPECT_EQ(back.list(Tenant{"111111111111", "x"}, "").size(), 0u);

  const std::string bytes = c.serialize();
  for (size_t n = 0; n < bytes.size(); n++) {
    Catalog t;
    EXPECT_FALSE(Catalog::parse(bytes.substr(0, n), &t).ok()) << n;
  }
}

TEST(WalOpsTest, RecordRoundTripAndTruncation) {
  WalRecordWriter w;
  w.add_op(create_group(3, "/g", 30));
  w.add_op(create_stream(3, 1, "s"));
  LogEvent e;
  e.timestamp_ms = -5;
  e.message = "hello";
  e.severity_text = "WARN";
  e.severity_number = 13;
  e.trace_id = "t";
  e.span_id = "s";
  e.attributes = {{"k", "v"}};
  std::string events;
  put_varint64(events, 2);
  encode_event(&events, e, 77);
  encode_event(&events, e, 78);
  w.add_events(3, 1, events);
  const std::string rec = w.finish();
  std::vector<WalEntry> out;
  ASSERT_TRUE(decode_wal_record(rec, &out).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].op.type, CatalogOp::kCreateGroup);
  EXPECT_EQ(out[0].op.name, "/g");
  EXPECT_EQ(out[0].op.retention_days, 30);
  EXPECT_EQ(out[1].op.type, CatalogOp::kCreateStream);
  ASSERT_TRUE(out[2].is_events);
  ASSERT_EQ(out[2].events.size(), 2u);
  LogEvent want = e;
  want.ingestion_time_ms = 77;
  EXPECT_EQ(out[2].events[0], want);
  EXPECT_EQ(out[2].events[1].ingestion_time_ms, 78);
  EXPECT_EQ(out[2].encoded_events, events);
  // Framing only (replay): the same entries, no events materialised, the same encoded bytes,
  // which a HeadChunk parses back into the events.
  std::vector<WalEntry> framed;
  ASSERT_TRUE(decode_wal_record(rec, &framed, /*decode_events=*/false).ok());
  ASSERT_EQ(framed.size(), 3u);
  EXPECT_TRUE(framed[2].events.empty());
  EXPECT_EQ(framed[2].encoded_events, events);
  auto chunk = HeadChunk::parse(std::string(framed[2].encoded_events));
  ASSERT_TRUE(chunk.ok()) << chunk.status().to_string();
  ASSERT_EQ((*chunk)->rows.size(), 2u);
  const HeadRow& r = (*chunk)->rows[0];
  EXPECT_EQ(r.timestamp_ms, -5);
  EXPECT_EQ(r.ingestion_time_ms, 77);
  EXPECT_EQ(r.message, "hello");
  EXPECT_EQ(r.severity_text, "WARN");
  EXPECT_EQ(r.severity_number, 13);
  EXPECT_EQ(r.trace_id, "t");
  EXPECT_EQ(r.span_id, "s");
  ASSERT_EQ((*chunk)->attributes_of(r).size(), 1u);
  EXPECT_EQ((*chunk)->attributes_of(r)[0].name, "k");
  EXPECT_EQ((*chunk)->attributes_of(r)[0].value, "v");
  EXPECT_EQ((*chunk)->stored_bytes, 2 * (5 + kEventOverheadBytes));
  for (size_t n = 0; n < events.size(); n++) {
    EXPECT_FALSE(HeadChunk::parse(events.substr(0, n)).ok()) << n;
  }
  for (size_t n = 0; n < rec.size(); n++) {
    EXPECT_FALSE(decode_wal_record(rec.substr(0, n), &out).ok()) << n;
  }
  ASSERT_TRUE(decode_wal_record(WalRecordWriter().finish(), &out).ok());
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace opsight::storage::logstore
