// Tests of logstore::Store: catalog semantics and persistence, the write path, scans (order,
// filters, block skipping, limits), retention, compaction, restart and fault injection.
#include "storage/logstore/store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "logstore/logstore_test_util.h"
#include "testing/fault_env.h"

namespace opsight::storage::logstore {
namespace {

using testing::all_of;
using testing::ev;
using testing::read_scan;
using testing::Row;
using testing::ScanResult;

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 24 * kHour;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  Options options() {
    Options o;
    o.dir = dir_.path() + "/logs";
    o.env = &env_;
    o.clock = &clock_;
    o.background = false;
    o.fault_hook = [this](std::string_view p) { return hook_ ? hook_(p) : OkStatus(); };
    return o;
  }
  void open(Options o) {
    auto s = Store::open(o);
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(*s);
  }
  void open() { open(options()); }
  // Power loss: unsynced bytes are gone, nothing is flushed or closed.
  void crash_and_reopen() {
    env_.crash();
    store_.reset();
    env_.restart();
    open();
  }
  void close_and_reopen() {
    ASSERT_TRUE(store_->close().ok());
    store_.reset();
    open();
  }
  Status put(const std::string& group, const std::string& stream, std::vector<LogEvent> events,
             bool create = true, const Tenant& tenant = {}) {
    auto a = store_->appender(tenant);
    RETURN_IF_ERROR(a->append(group, stream, events, create));
    return a->commit();
  }
  std::vector<Row> all(const std::string& group, bool newest_first = false) {
    LogScan s = all_of({group});
    s.newest_first = newest_first;
    ScanResult r = read_scan(store_.get(), s);
    EXPECT_TRUE(r.status.ok()) << r.status.to_string();
    return r.rows;
  }
  std::vector<std::string> messages(const std::vector<Row>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.message);
    return out;
  }

  testing::TempDir dir_;
  opsight::testing::FaultEnv env_;
  ManualClock clock_{kNow};
  std::function<Status(std::string_view)> hook_;
  std::unique_ptr<Store> store_;
};

// ---------------------------------------------------------------------------------------------
// Catalog

TEST_F(StoreTest, CatalogSemantics) {
  const Tenant t;
  ASSERT_TRUE(store_->create_group(t, "/app/web", 7).ok());
  Status dup = store_->create_group(t, "/app/web", 0);
  EXPECT_EQ(dup.code(), Code::kAlreadyExists);
  EXPECT_NE(dup.message().find("/app/web"), std::string::npos);
  Status bad = store_->create_group(t, "/app/x", 2);
  EXPECT_EQ(bad.code(), Code::kInvalidArgument);
  EXPECT_NE(bad.message().find("/app/x"), std::string::npos);
  EXPECT_EQ(store_->create_group(t, "", 0).code(), Code::kInvalidArgument);
  EXPECT_EQ(store_->delete_group(t, "/nope").code(), Code::kNotFound);
  EXPECT_EQ(store_->put_retention(t, "/nope", 7).code(), Code::kNotFound);
  EXPECT_EQ(store_->put_retention(t, "/app/web", 8).code(), Code::kInvalidArgument);
  ASSERT_TRUE(store_->put_retention(t, "/app/web", 30).ok());

  Status missing = store_->create_stream(t, "/nope", "s");
  EXPECT_EQ(missing.code(), Code::kNotFound);
  EXPECT_NE(missing.message().find("/nope"), std::string::npos);
  ASSERT_TRUE(store_->create_stream(t, "/app/web", "host-1").ok());
  ASSERT_TRUE(store_->create_stream(t, "/app/web", "host-2").ok());
  ASSERT_TRUE(store_->create_stream(t, "/app/web", "other").ok());
  Status sdup = store_->create_stream(t, "/app/web", "host-1");
  EXPECT_EQ(sdup.code(), Code::kAlreadyExists);
  EXPECT_NE(sdup.message().find("host-1"), std::string::npos);
  EXPECT_EQ(store_->delete_stream(t, "/app/web", "zzz").code(), Code::kNotFound);
  ASSERT_TRUE(store_->delete_stream(t, "/app/web", "other").ok());

  std::vector<std::string> fields(21);
  for (int i = 0; i < 21; i++) fields[i] = "f" + std::to_string(i);
  EXPECT_EQ(store_->put_indexed_fields(t, "/app/web", fields).code(), Code::kInvalidArgument);
  fields.resize(2);
  ASSERT_TRUE(store_->put_indexed_fields(t, "/app/web", fields).ok());

  ASSERT_TRUE(store_->create_group(t, "/app/api", 0).ok());
  ASSERT_TRUE(store_->create_group(t, "/db", 0).ok());
  Tenant other{"123456789012", "eu-west-1"};
  ASSERT_TRUE(store_->create_group(other, "/app/web", 0).ok());  // tenants are separate

  auto groups = store_->describe_groups(t, "/app/");
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].name, "/app/api");
  EXPECT_EQ((*groups)[1].name, "/app/web");
  EXPECT_EQ((*groups)[1].retention_days, 30);
  EXPECT_EQ((*groups)[1].creation_time_ms, kNow);
  EXPECT_EQ((*groups)[1].indexed_fields, (std::vector<std::string>{"f0", "f1"}));
  EXPECT_EQ(store_->describe_groups(t, "")->size(), 3u);
  EXPECT_EQ(store_->describe_groups(other, "")->size(), 1u);

  auto streams = store_->describe_streams(t, "/app/web", "host");
  ASSERT_TRUE(streams.ok());
  ASSERT_EQ(streams->size(), 2u);
  EXPECT_EQ((*streams)[0].name, "host-1");
  EXPECT_EQ((*streams)[1].name, "host-2");
  EXPECT_EQ(store_->describe_streams(t, "/nope", "").status().code(), Code::kNotFound);

  ASSERT_TRUE(store_->delete_group(t, "/app/api").ok());
  EXPECT_EQ(store_->describe_groups(t, "")->size(), 2u);
  EXPECT_EQ(store_->create_stream(t, "/app/api", "s").code(), Code::kNotFound);
}

TEST_F(StoreTest, CatalogPersistsAcrossCloseCrashAndFlush) {
  const Tenant t;
  ASSERT_TRUE(store_->create_group(t, "g1", 14).ok());
  ASSERT_TRUE(store_->create_stream(t, "g1", "s1").ok());
  close_and_reopen();
  ASSERT_TRUE(store_->create_group(t, "g2", 0).ok());
  ASSERT_TRUE(store_->create_stream(t, "g2", "s2").ok());
  ASSERT_TRUE(store_->put_retention(t, "g1", 90).ok());
  crash_and_reopen();  // g2 and the retention change are only in the WAL
  ASSERT_TRUE(store_->flush().ok());
  ASSERT_TRUE(store_->delete_stream(t, "g1", "s1").ok());
  ASSERT_TRUE(store_->create_stream(t, "g1", "s1b").ok());
  crash_and_reopen();  // snapshot + WAL since the flush

  auto groups = store_->describe_groups(t, "");
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].name, "g1");
  EXPECT_EQ((*groups)[0].retention_days, 90);
  EXPECT_EQ((*groups)[1].name, "g2");
  auto s1 = store_->describe_streams(t, "g1", "");
  ASSERT_EQ(s1->size(), 1u);
  EXPECT_EQ((*s1)[0].name, "s1b");
  EXPECT_EQ(store_->describe_streams(t, "g2", "")->size(), 1u);
  // Ids keep increasing after a restart: a re-created group does not see old data.
  ASSERT_TRUE(put("g2", "s2", {ev(kNow, "old")}).ok());
  ASSERT_TRUE(store_->delete_group(t, "g2").ok());
  crash_and_reopen();
  ASSERT_TRUE(store_->create_group(t, "g2", 0).ok());
  EXPECT_TRUE(all("g2").empty());
}

// ---------------------------------------------------------------------------------------------
// Write path and round trip

TEST_F(StoreTest, RoundTripAllFieldsFromHeadBlocksAndAfterRestart) {
  LogEvent e;
  e.timestamp_ms = kNow - 5000;
  e.ingestion_time_ms = kNow - 1000;
  e.message = R"({"level":"ERROR","latency":12.5,"user":{"id":"u1"},"tags":["a","b"]})";
  e.severity_text = "ERROR";
  e.severity_number = 17;
  e.trace_id = "0123456789abcdef0123456789abcdef";
  e.span_id = "0123456789abcdef";
  e.attributes = {{"service.name", "checkout"}, {"level", "from-attribute"}};
  LogEvent plain = ev(kNow - 4000, "plain text line");  // ingestion time set by the store
  ASSERT_TRUE(put("/g", "s", {e, plain}).ok());

  auto check = [&](const char* where) {
    SCOPED_TRACE(where);
    auto rows = all("/g");
    ASSERT_EQ(rows.size(), 2u);
    const Row& r = rows[0];
    EXPECT_EQ(r.group, "/g");
    EXPECT_EQ(r.stream, "s");
    EXPECT_EQ(r.ts, e.timestamp_ms);
    EXPECT_EQ(r.ingestion, e.ingestion_time_ms);
    EXPECT_EQ(r.message, e.message);
    EXPECT_EQ(r.severity_text, "ERROR");
    EXPECT_EQ(r.severity_number, 17);
    EXPECT_EQ(r.trace_id, e.trace_id);
    EXPECT_EQ(r.span_id, e.span_id);
    using F = std::vector<std::pair<std::string, std::string>>;
    // Attributes first; the discovered "level" is dropped in favour of the attribute.
    EXPECT_EQ(r.fields, (F{{"service.name", "checkout"},
                           {"level", "from-attribute"},
                           {"latency", "12.5"},
                           {"user.id", "u1"},
                           {"tags.0", "a"},
                           {"tags.1", "b"}}));
    // Bytes scanned: the message and the stored attributes (discovered fields are in the
    // message already).
    uint64_t bytes = r.message.size();
    for (const auto& a : e.attributes) bytes += a.key.size() + a.value.size();
    EXPECT_EQ(r.account_bytes, bytes);
    EXPECT_EQ(rows[1].message, "plain text line");
    EXPECT_EQ(rows[1].ingestion, kNow);
    EXPECT_TRUE(rows[1].fields.empty());
    EXPECT_EQ(rows[1].trace_id, "");
  };
  check("head");
  crash_and_reopen();
  check("head after WAL replay");
  ASSERT_TRUE(store_->flush().ok());
  EXPECT_EQ(store_->blocks().size(), 1u);
  EXPECT_EQ(store_->head_memory_bytes(), 0u);
  check("block");
  close_and_reopen();
  check("block after reopen");

  auto streams = store_->describe_streams({}, "/g", "");
  ASSERT_EQ(streams->size(), 1u);
  EXPECT_EQ((*streams)[0].first_event_ms, kNow - 5000);
  EXPECT_EQ((*streams)[0].last_event_ms, kNow - 4000);
  EXPECT_EQ((*streams)[0].last_ingestion_ms, kNow);
  EXPECT_EQ((*streams)[0].stored_bytes, e.message.size() + plain.message.size() + 2 * 26);
  EXPECT_EQ((*store_->describe_groups({}, "/g"))[0].stored_bytes, (*streams)[0].stored_bytes);
}

// LogScan.need_message / need_fields: what is not needed may be left empty, everything else is
// filled, bytes scanned do not depend on it, and fields computed at read time equal the full
// scan's, from the head and from blocks (several streams, so the stream-clustered message
// column is exercised).
TEST_F(StoreTest, ScanProjectionSkipsWhatTheCallerDoesNotRead) {
  std::mt19937_64 rng(11);
  for (int s = 0; s < 3; s++) {
    std::vector<LogEvent> events;
    for (int i = 0; i < 50; i++) {
      LogEvent e = ev(kNow - 10000 + static_cast<int64_t>(rng() % 5000),
                      i % 2 == 0 ? R"({"level":"INFO","n":)" + std::to_string(i) + "}"
                                 : "plain " + std::to_string(s) + " " + std::to_string(i));
      e.severity_text = "INFO";
      e.trace_id = "0123456789abcdef0123456789abcdef";
      if (i % 3 == 0) e.attributes = {{"host", "h" + std::to_string(s)}, {"n", "attr"}};
      events.push_back(std::move(e));
    }
    ASSERT_TRUE(put("/g", "s" + std::to_string(s), events).ok());
  }
  auto check = [&](const char* where) {
    SCOPED_TRACE(where);
    LogScan s = all_of({"/g"});
    const ScanResult full = read_scan(store_.get(), s);
    ASSERT_TRUE(full.status.ok());
    ASSERT_EQ(full.rows.size(), 150u);
    for (bool need_message : {false, true}) {
      for (bool need_fields : {false, true}) {
        SCOPED_TRACE(std::to_string(need_message) + std::to_string(need_fields));
        s.need_message = need_message;
        s.need_fields = need_fields;
        const ScanResult r = read_scan(store_.get(), s);
        ASSERT_TRUE(r.status.ok());
        ASSERT_EQ(r.rows.size(), full.rows.size());
        EXPECT_EQ(r.stats.bytes_scanned, full.stats.bytes_scanned);
        for (size_t i = 0; i < r.rows.size(); i++) {
          Row want = full.rows[i];
          if (!need_message) want.message.clear();
          if (!need_fields) want.fields.clear();
          if (need_message) {
            EXPECT_EQ(r.rows[i], want);
          }
          EXPECT_EQ(r.rows[i].ts, want.ts);
          EXPECT_EQ(r.rows[i].stream, want.stream);
          EXPECT_EQ(r.rows[i].severity_text, "INFO");
          EXPECT_EQ(r.rows[i].trace_id, want.trace_id);
          if (!need_message) {
            EXPECT_EQ(r.rows[i].message, "");
          }
          if (!need_fields) {
            EXPECT_TRUE(r.rows[i].fields.empty());
          }
        }
      }
    }
    // Attributes first, then discovered fields; a discovered "n" loses to the attribute "n".
    for (const Row& r : full.rows) {
      if (r.message.starts_with("{") && !r.fields.empty() && r.fields[0].first == "host") {
        using F = std::vector<std::pair<std::string, std::string>>;
        EXPECT_EQ(r.fields, (F{{"host", r.fields[0].second}, {"n", "attr"}, {"level", "INFO"}}));
      }
    }
  };
  check("head");
  ASSERT_TRUE(store_->flush().ok());
  check("blocks");
}

// head_max_bytes means real bytes: the head holds an event in about its encoded size plus a
// fixed row overhead, whatever JSON fields its message has.
TEST_F(StoreTest, HeadMemoryIsCloseToTheRawBytes) {
  std::vector<LogEvent> events;
  uint64_t raw = 0;
  for (int i = 0; i < 1000; i++) {
    events.push_back(ev(kNow + i, R"({"level":"INFO","service":"cart","latency_ms":)" +
                                      std::to_string(i) + R"(,"user":"u)" + std::to_string(i) +
                                      R"(","a":{"b":{"c":[1,2,3,4,5,6,7,8]}}})"));
    raw += events.back().message.size();
  }
  ASSERT_TRUE(put("/g", "s", events).ok());
  const uint64_t head = store_->head_memory_bytes();
  EXPECT_GE(head, raw);
  EXPECT_LE(head, raw + 1000 * (sizeof(HeadRow) + 24) + 4096);
}

TEST_F(StoreTest, AppendWithoutCreateNeedsGroupAndStream) {
  auto a = store_->appender({});
  Status st = a->append("/g", "s", std::vector<LogEvent>{ev(kNow, "x")}, false);
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_NE(st.message().find("/g"), std::string::npos);
  ASSERT_TRUE(store_->create_group({}, "/g", 0).ok());
  st = a->append("/g", "s", std::vector<LogEvent>{ev(kNow, "x")}, false);
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_NE(st.message().find("'s'"), std::string::npos);
  ASSERT_TRUE(store_->create_stream({}, "/g", "s").ok());
  ASSERT_TRUE(a->append("/g", "s", std::vector<LogEvent>{ev(kNow, "x")}, false).ok());
  ASSERT_TRUE(a->commit().ok());
  EXPECT_EQ(all("/g").size(), 1u);
  // rollback drops what was staged.
  ASSERT_TRUE(a->append("/g", "s", std::vector<LogEvent>{ev(kNow, "y")}, false).ok());
  a->rollback();
  ASSERT_TRUE(a->commit().ok());
  EXPECT_EQ(all("/g").size(), 1u);
}

TEST_F(StoreTest, AutoCreateIsAtomicWithTheEvents) {
  auto a = store_->appender({});
  ASSERT_TRUE(a->append("/new", "s1", std::vector<LogEvent>{ev(kNow, "a")}, true).ok());
  ASSERT_TRUE(a->append("/new", "s2", std::vector<LogEvent>{ev(kNow + 1, "b")}, true).ok());
  ASSERT_TRUE(a->append("/new2", "s1", std::vector<LogEvent>{ev(kNow + 2, "c")}, true).ok());
  ASSERT_TRUE(a->commit().ok());
  crash_and_reopen();
  EXPECT_EQ(messages(all("/new")), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(messages(all("/new2")), (std::vector<std::string>{"c"}));
  EXPECT_EQ(store_->describe_streams({}, "/new", "")->size(), 2u);
}

TEST_F(StoreTest, RejectsOversizedMessageNamingStreamAndIndex) {
  auto a = store_->appender({});
  std::vector<LogEvent> events{ev(kNow, "ok"), ev(kNow, std::string(kMaxLogMessageBytes + 1, 'x'))};
  Status st = a->append("/g", "stream-7", events, true);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("stream-7"), std::string::npos);
  EXPECT_NE(st.message().find("event 1"), std::string::npos);
  ASSERT_TRUE(a->commit().ok());  // nothing was staged
  EXPECT_EQ(store_->describe_groups({}, "")->size(), 0u);
}

// ---------------------------------------------------------------------------------------------
// Scans

// Out-of-order input over several streams and commits, part flushed into blocks and part in the
// head, reads back sorted both ways.
TEST_F(StoreTest, OrdersAcrossStreamsBlocksAndHeadBothWays) {
  std::mt19937_64 rng(42);
  std::vector<int64_t> all_ts;
  for (int round = 0; round < 4; round++) {
    auto a = store_->appender({});
    for (int s = 0; s < 3; s++) {
      std::vector<LogEvent> events;
      for (int i = 0; i < 50; i++) {
        const int64_t ts = kNow - static_cast<int64_t>(rng() % (6 * kHour));
        events.push_back(ev(
            ts, "r" + std::to_string(round) + " s" + std::to_string(s) + " i" + std::to_string(i)));
        all_ts.push_back(ts);
      }
      ASSERT_TRUE(a->append("/g", "stream-" + std::to_string(s), events, true).ok());
    }
    ASSERT_TRUE(a->commit().ok());
    if (round < 2) {
      ASSERT_TRUE(store_->flush().ok());
    }
  }
  EXPECT_GE(store_->blocks().size(), 2u);
  std::sort(all_ts.begin(), all_ts.end());
  auto asc = all("/g");
  auto desc = all("/g", true);
  ASSERT_EQ(asc.size(), all_ts.size());
  ASSERT_EQ(desc.size(), all_ts.size());
  for (size_t i = 0; i < asc.size(); i++) {
    EXPECT_EQ(asc[i].ts, all_ts[i]);
    EXPECT_EQ(desc[i].ts, all_ts[all_ts.size() - 1 - i]);
  }
  auto a_sorted = asc, d_sorted = desc;
  std::sort(a_sorted.begin(), a_sorted.end());
  std::sort(d_sorted.begin(), d_sorted.end());
  EXPECT_EQ(messages(a_sorted), messages(d_sorted));
  // Compaction keeps the same rows.
  const size_t before = store_->blocks().size();
  ASSERT_TRUE(store_->flush().ok());
  ASSERT_TRUE(store_->compact().ok());
  EXPECT_LT(store_->blocks().size(), before + 1);
  for (const auto& b : store_->blocks()) EXPECT_GE(b.level, 1u);
  auto after = all("/g");
  std::sort(after.begin(), after.end());
  EXPECT_EQ(messages(after), messages(a_sorted));
  close_and_reopen();
  EXPECT_EQ(all("/g").size(), all_ts.size());
}

TEST_F(StoreTest, TimeRangeAndStreamFilters) {
  for (int s = 0; s < 3; s++) {
    std::vector<LogEvent> events;
    for (int i = 0; i < 10; i++) events.push_back(ev(kNow + i * 1000, "s" + std::to_string(s)));
    ASSERT_TRUE(put("/g", "s" + std::to_string(s), events).ok());
  }
  ASSERT_TRUE(put("/other", "s0", {ev(kNow, "other")}).ok());
  ASSERT_TRUE(store_->flush().ok());
  ASSERT_TRUE(put("/g", "s1", {ev(kNow + 3500, "late s1")}).ok());  // in the head

  LogScan s = all_of({"/g"});
  s.start_ms = kNow + 3000;
  s.end_ms = kNow + 5000;  // exclusive
  s.streams = {"s1", "nope"};
  auto r = read_scan(store_.get(), s);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(messages(r.rows), (std::vector<std::string>{"s1", "late s1", "s1"}));
  EXPECT_EQ(r.rows[0].ts, kNow + 3000);
  EXPECT_EQ(r.rows.back().ts, kNow + 4000);
  EXPECT_EQ(r.stats.records_scanned, 3u);

  // Outside every block's time range: the block is skipped.
  s.streams.clear();
  s.start_ms = kNow + 20000;
  s.end_ms = kNow + 30000;
  r = read_scan(store_.get(), s);
  EXPECT_TRUE(r.rows.empty());
  EXPECT_EQ(r.stats.blocks_skipped, 1u);

  s.groups = {"/g", "/other"};
  s.start_ms = kNow;
  s.end_ms = kNow + 1;
  r = read_scan(store_.get(), s);
  EXPECT_EQ(r.rows.size(), 4u);
  s.groups = {"/missing"};
  EXPECT_EQ(read_scan(store_.get(), s).status.code(), Code::kNotFound);
}

TEST_F(StoreTest, SubstringFilterSkipsBlocksWithoutChangingResults) {
  for (int b = 0; b < 4; b++) {
    std::vector<LogEvent> events;
    for (int i = 0; i < 100; i++) {
      events.push_back(ev(kNow + b * 1000 + i, "GET /index.html 200 block" + std::to_string(b)));
    }
    if (b == 2) events.push_back(ev(kNow + b * 1000 + 500, "panic: Needle in the haystack"));
    ASSERT_TRUE(put("/g", "s", events).ok());
    ASSERT_TRUE(store_->flush().ok());
  }
  ASSERT_EQ(store_->blocks().size(), 4u);
  auto matches = [](const std::vector<Row>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) {
      std::string lower = r.message;
      for (char& c : lower) c = static_cast<char>(std::tolower(c));
      if (lower.find("needle") != std::string::npos) out.push_back(r.message);
    }
    return out;
  };
  LogScan plain = all_of({"/g"});
  auto without = read_scan(store_.get(), plain);
  LogScan hinted = plain;
  hinted.required_substrings = {"NEEDLE"};
  auto with = read_scan(store_.get(), hinted);
  ASSERT_TRUE(with.status.ok());
  EXPECT_EQ(without.stats.blocks_skipped, 0u);
  EXPECT_EQ(with.stats.blocks_skipped, 3u);
  EXPECT_EQ(matches(with.rows), matches(without.rows));
  EXPECT_EQ(matches(with.rows).size(), 1u);
  // A substring shorter than 3 bytes cannot be filtered.
  hinted.required_substrings = {"zq"};
  EXPECT_EQ(read_scan(store_.get(), hinted).stats.blocks_skipped, 0u);
  // Every substring must be present.
  hinted.required_substrings = {"needle", "block1"};
  EXPECT_EQ(read_scan(store_.get(), hinted).stats.blocks_skipped, 4u);
}

TEST_F(StoreTest, BytesScannedLimit) {
  std::vector<LogEvent> events;
  for (int i = 0; i < 10; i++) events.push_back(ev(kNow + i, std::string(100, 'a' + i)));
  ASSERT_TRUE(put("/g", "s", events).ok());
  LogScan s = all_of({"/g"});
  auto full = read_scan(store_.get(), s);
  EXPECT_EQ(full.stats.bytes_scanned, 1000u);
  EXPECT_EQ(full.stats.records_scanned, 10u);
  s.max_bytes_scanned = 450;
  auto r = read_scan(store_.get(), s);
  EXPECT_EQ(r.status.code(), Code::kResourceExhausted);
  EXPECT_NE(r.status.message().find("450"), std::string::npos);
  EXPECT_EQ(r.rows.size(), 4u);
}

// ---------------------------------------------------------------------------------------------
// Deletion, retention

TEST_F(StoreTest, DeleteGroupAndStreamHideTheirData) {
  ASSERT_TRUE(put("/g", "a", {ev(kNow, "a1")}).ok());
  ASSERT_TRUE(put("/g", "b", {ev(kNow, "b1")}).ok());
  ASSERT_TRUE(put("/h", "a", {ev(kNow, "h1")}).ok());
  ASSERT_TRUE(store_->flush().ok());
  ASSERT_TRUE(put("/g", "a", {ev(kNow + 1, "a2")}).ok());
  ASSERT_TRUE(store_->delete_stream({}, "/g", "a").ok());
  EXPECT_EQ(messages(all("/g")), (std::vector<std::string>{"b1"}));
  ASSERT_TRUE(store_->create_stream({}, "/g", "a").ok());  // a new stream, no old events
  EXPECT_EQ(messages(all("/g")), (std::vector<std::string>{"b1"}));

  ASSERT_EQ(store_->blocks().size(), 2u);
  ASSERT_TRUE(store_->delete_group({}, "/h").ok());
  EXPECT_EQ(store_->blocks().size(), 1u);
  EXPECT_EQ(read_scan(store_.get(), all_of({"/h"})).status.code(), Code::kNotFound);
  ASSERT_TRUE(store_->flush().ok());  // deletes the file
  size_t files = 0;
  auto names = env_.get_children(dir_.path() + "/logs/blocks");
  ASSERT_TRUE(names.ok());
  for (const auto& n : *names) files += n.ends_with(".block");
  EXPECT_EQ(files, 1u);
  crash_and_reopen();
  EXPECT_EQ(messages(all("/g")), (std::vector<std::string>{"b1"}));
  ASSERT_TRUE(store_->create_group({}, "/h", 0).ok());
  EXPECT_TRUE(all("/h").empty());
}

TEST_F(StoreTest, RetentionFiltersAtOnceAndDeletesExpiredBlocks) {
  ASSERT_TRUE(store_->create_group({}, "/g", 1).ok());
  ASSERT_TRUE(put("/g", "s", {ev(kNow - 3 * kDay, "old"), ev(kNow - 2 * kHour, "recent")}).ok());
  EXPECT_EQ(messages(all("/g")), (std::vector<std::string>{"recent"}));  // head, filtered
  ASSERT_TRUE(put("/g", "s", {ev(kNow - 3 * kDay, "old2")}).ok());
  // A flush drops expired head rows; put them in a block first by raising the retention.
  ASSERT_TRUE(store_->put_retention({}, "/g", 0).ok());
  ASSERT_TRUE(store_->flush().ok());
  EXPECT_EQ(store_->blocks().size(), 2u);  // two partitions
  ASSERT_TRUE(store_->put_retention({}, "/g", 1).ok());
  EXPECT_EQ(messages(all("/g")), (std::vector<std::string>{"recent"}));  // blocks, filtered
  ASSERT_TRUE(store_->enforce_retention().ok());
  ASSERT_EQ(store_->blocks().size(), 1u);
  EXPECT_EQ(messages(all("/g")), (std::vector<std::string>{"recent"}));
  clock_.advance_ms(kDay);
  EXPECT_TRUE(all("/g").empty());
  ASSERT_TRUE(store_->enforce_retention().ok());
  EXPECT_EQ(store_->blocks().size(), 0u);
  close_and_reopen();
  EXPECT_TRUE(all("/g").empty());
}

// ---------------------------------------------------------------------------------------------
// Restart and faults

TEST_F(StoreTest, CrashLosesNoAcknowledgedEvent) {
  std::vector<std::string> expect;
  for (int round = 0; round < 5; round++) {
    std::vector<LogEvent> events;
    for (int i = 0; i < 20; i++) {
      std::string m = "round " + std::to_string(round) + " event " + std::to_string(i);
      events.push_back(ev(kNow + round * 100 + i, m));
      expect.push_back(m);
    }
    ASSERT_TRUE(put("/g", "s", events).ok());
    if (round == 1 || round == 3) {
      ASSERT_TRUE(store_->flush().ok());
    }
  }
  crash_and_reopen();
  EXPECT_EQ(messages(all("/g")), expect);
  crash_and_reopen();  // replaying twice changes nothing
  EXPECT_EQ(messages(all("/g")), expect);
  EXPECT_EQ(store_->blocks().size(), 2u);
}

TEST_F(StoreTest, TornWalTailIsCut) {
  ASSERT_TRUE(put("/g", "s", {ev(kNow, "kept")}).ok());
  env_.crash(opsight::testing::CrashMode::kKeepRandomPrefix, 7);
  store_.reset();
  env_.restart();
  // Append garbage to the newest WAL segment: a torn record.
  std::string wal_dir = dir_.path() + "/logs/wal";
  auto names = *env_.get_children(wal_dir);
  std::sort(names.begin(), names.end());
  ASSERT_FALSE(names.empty());
  {
    auto f = env_.new_writable_file(wal_dir + "/" + names.back(), true);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->append(std::string("\x10\x00\x00\x00garbage", 11)).ok());
    ASSERT_TRUE((*f)->sync().ok());
  }
  open();  // the WAL cuts the torn tail
  EXPECT_EQ(messages(all("/g")), (std::vector<std::string>{"kept"}));
  ASSERT_TRUE(put("/g", "s", {ev(kNow + 1, "after")}).ok());
  crash_and_reopen();
  EXPECT_EQ(messages(all("/g")), (std::vector<std::string>{"kept", "after"}));
}

TEST_F(StoreTest, FailedSyncOrWriteDuringFlushKeepsEveryAcknowledgedEvent) {
  std::vector<std::string> expect;
  int n = 0;
  auto add = [&](int count) {
    std::vector<LogEvent> events;
    for (int i = 0; i < count; i++, n++) {
      events.push_back(ev(kNow + n, "event " + std::to_string(n)));
      expect.push_back(events.back().message);
    }
    ASSERT_TRUE(put("/g", "s" + std::to_string(n % 3), events).ok());
  };
  add(30);
  // A flush syncs the WAL (its segment marker), then the block file, then the snapshot.
  env_.fail_nth_sync(2);
  EXPECT_FALSE(store_->flush().ok());
  EXPECT_EQ(store_->blocks().size(), 0u);
  EXPECT_EQ(all("/g").size(), expect.size());  // the frozen head is still scanned
  add(10);
  env_.fail_nth_write(1, 5);  // a short write of the block file (the retry's first write)
  EXPECT_FALSE(store_->flush().ok());
  EXPECT_EQ(all("/g").size(), expect.size());
  crash_and_reopen();
  auto got = all("/g");
  EXPECT_EQ(messages(got), expect);
  ASSERT_TRUE(store_->flush().ok());  // retried after the restart
  add(5);
  crash_and_reopen();
  EXPECT_EQ(messages(all("/g")), expect);
}

TEST_F(StoreTest, FailedSnapshotWriteIsRetriedWithoutDuplicates) {
  std::vector<std::string> expect;
  for (int i = 0; i < 10; i++) expect.push_back("e" + std::to_string(i));
  std::vector<LogEvent> events;
  for (int i = 0; i < 10; i++) events.push_back(ev(kNow + i, expect[i]));
  ASSERT_TRUE(put("/g", "s", events).ok());
  hook_ = [](std::string_view p) {
    return p == "flush.written" ? Status::io_error("injected") : OkStatus();
  };
  EXPECT_FALSE(store_->flush().ok());
  EXPECT_EQ(messages(all("/g")), expect);  // no duplicates from the unpublished blocks
  hook_ = nullptr;
  ASSERT_TRUE(store_->flush().ok());  // publishes the blocks written before
  EXPECT_EQ(messages(all("/g")), expect);
  EXPECT_EQ(store_->blocks().size(), 1u);
  crash_and_reopen();
  EXPECT_EQ(messages(all("/g")), expect);
}

TEST_F(StoreTest, CrashAtFlushAndCompactionPointsNeitherLosesNorDuplicates) {
  for (const char* point : {"flush.frozen", "flush.written", "compact.written"}) {
    SCOPED_TRACE(point);
    const std::string group = std::string("/g-") + point;
    std::vector<std::string> expect;
    for (int b = 0; b < 3; b++) {
      std::vector<LogEvent> events;
      for (int i = 0; i < 10; i++) {
        expect.push_back(group + " " + std::to_string(b * 10 + i));
        events.push_back(ev(kNow + b * 10 + i, expect.back()));
      }
      ASSERT_TRUE(put(group, "s", events).ok());
      if (std::string_view(point) == "compact.written") {
        ASSERT_TRUE(store_->flush().ok());
      }
    }
    hook_ = [point](std::string_view p) {
      return p == point ? Status::io_error("crash here") : OkStatus();
    };
    if (std::string_view(point) == "compact.written") {
      EXPECT_FALSE(store_->compact().ok());
    } else {
      EXPECT_FALSE(store_->flush().ok());
    }
    EXPECT_EQ(messages(all(group)), expect);
    hook_ = nullptr;
    crash_and_reopen();
    EXPECT_EQ(messages(all(group)), expect);
    ASSERT_TRUE(store_->flush().ok());
    ASSERT_TRUE(store_->compact().ok());
    EXPECT_EQ(messages(all(group)), expect);
  }
}

TEST_F(StoreTest, FullHeadAnswersResourceExhaustedWhenFlushingCannotKeepUp) {
  store_.reset();
  Options o = options();
  o.background = true;
  o.head_max_bytes = 4096;
  hook_ = [](std::string_view p) {
    return p == "flush.frozen" ? Status::io_error("disk full") : OkStatus();
  };
  open(o);
  Status last;
  int ok = 0;
  for (int i = 0; i < 100 && last.ok(); i++) {
    last = put("/g", "s", {ev(kNow + i, std::string(500, 'x'))});
    ok += last.ok();
  }
  EXPECT_EQ(last.code(), Code::kResourceExhausted);
  EXPECT_GT(ok, 0);
  hook_ = nullptr;
  store_.reset();
  open();
  EXPECT_EQ(all("/g").size(), static_cast<size_t>(ok));
}

TEST_F(StoreTest, InlineFlushWhenHeadIsFullWithoutBackground) {
  store_.reset();
  Options o = options();
  o.head_max_bytes = 4096;
  open(o);
  for (int i = 0; i < 20; i++)
    ASSERT_TRUE(put("/g", "s", {ev(kNow + i, std::string(500, 'x'))}).ok());
  EXPECT_GE(store_->blocks().size(), 1u);
  EXPECT_LE(store_->head_memory_bytes(), 2 * o.head_max_bytes);
  EXPECT_EQ(all("/g").size(), 20u);
}

}  // namespace
}  // namespace opsight::storage::logstore
