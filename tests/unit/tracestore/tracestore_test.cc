// Tests of tracestore::Store through the storage::TraceStore contract: append and get-trace from
// the head, after a flush and after a restart; validation; scans with every filter and block
// skipping; retention; duplicates; block splitting; crash recovery with fault injection.
#include "storage/tracestore/store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "testing/fault_env.h"
#include "tracestore/tracestore_test_util.h"

namespace opsight::storage::tracestore {
namespace {

using testing::attr;
using testing::full_span;
using testing::span_id;
using testing::trace_id;

constexpr int64_t kNowMs = 1'700'000'000'000;
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kHourNs = 3'600'000 * kMs;
constexpr int64_t kT0 = (kNowMs - 3'600'000) * kMs;  // an hour ago, in ns

class TraceStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  Options options() {
    Options o;
    o.dir = dir_.path() + "/traces";
    o.env = &env_;
    o.clock = &clock_;
    o.background = false;
    o.fault_hook = [this](std::string_view p) { return hook_ ? hook_(p) : OkStatus(); };
    o.block_max_spans = block_max_spans_;
    return o;
  }
  void open() {
    auto s = Store::open(options());
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(*s);
  }
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
  Status put(const std::vector<Span>& spans, const Tenant& tenant = {}) {
    auto a = store_->appender(tenant);
    RETURN_IF_ERROR(a->append(spans));
    return a->commit();
  }
  std::vector<Span> trace(uint64_t t, const Tenant& tenant = {}) {
    auto r = store_->get_trace(tenant, trace_id(t));
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : std::vector<Span>{};
  }
  std::vector<Span> scan(SpanScan s, TraceScanStats* stats = nullptr) {
    if (s.tenants.empty()) s.tenants = {Tenant{}};
    if (s.end_ns == 0) {
      s.start_ns = kT0 - kHourNs;
      s.end_ns = kT0 + 10 * kHourNs;
    }
    auto sc = store_->scan(s);
    EXPECT_TRUE(sc.ok()) << sc.status().to_string();
    std::vector<Span> out;
    if (!sc.ok()) return out;
    Span span;
    while (true) {
      auto more = (*sc)->next(&span);
      EXPECT_TRUE(more.ok()) << more.status().to_string();
      if (!more.ok() || !*more) break;
      out.push_back(span);
    }
    if (stats != nullptr) *stats = (*sc)->stats();
    return out;
  }
  // A trace of `n` spans of full_span.
  std::vector<Span> make_trace(uint64_t t, int n, int64_t start = kT0) {
    std::vector<Span> out;
    for (int i = 0; i < n; i++) out.push_back(full_span(t, static_cast<uint64_t>(i), start));
    return out;
  }
  static std::vector<Span> sorted(std::vector<Span> v) {
    std::sort(v.begin(), v.end(), [](const Span& a, const Span& b) {
      return a.start_ns != b.start_ns ? a.start_ns < b.start_ns : a.span_id < b.span_id;
    });
    return v;
  }

  testing::TempDir dir_;
  opsight::testing::FaultEnv env_;
  ManualClock clock_{kNowMs};
  std::function<Status(std::string_view)> hook_;
  size_t block_max_spans_ = 100'000;
  std::unique_ptr<Store> store_;
};

TEST_F(TraceStoreTest, GetTraceFromHeadBlocksAndAfterRestart) {
  const auto t1 = make_trace(1, 9);
  const auto t2 = make_trace(2, 4, kT0 + 5 * kMs);
  ASSERT_TRUE(put(t1).ok());
  ASSERT_TRUE(put(t2).ok());
  EXPECT_EQ(trace(1), sorted(t1));
  EXPECT_EQ(trace(2), sorted(t2));
  EXPECT_TRUE(trace(3).empty());

  ASSERT_TRUE(store_->flush().ok());
  ASSERT_EQ(store_->blocks().size(), 1u);
  EXPECT_EQ(store_->blocks()[0].rows, 13u);
  EXPECT_EQ(store_->blocks()[0].traces, 2u);
  EXPECT_EQ(store_->stats().head_spans, 0u);
  EXPECT_EQ(trace(1), sorted(t1));
  EXPECT_EQ(trace(2), sorted(t2));
  EXPECT_TRUE(trace(3).empty());

  // Spans of trace 1 arrive later (a late service): both the block and the head answer.
  auto late = make_trace(1, 12);
  late.erase(late.begin(), late.begin() + 9);
  ASSERT_TRUE(put(late).ok());
  auto all1 = t1;
  all1.insert(all1.end(), late.begin(), late.end());
  EXPECT_EQ(trace(1), sorted(all1));

  close_and_reopen();
  EXPECT_EQ(trace(1), sorted(all1));
  EXPECT_EQ(trace(2), sorted(t2));
  EXPECT_EQ(store_->blocks().size(), 2u);
}

TEST_F(TraceStoreTest, RejectsInvalidSpansNamingTheSpanAndRule) {
  auto good = full_span(1, 0, kT0);
  struct Case {
    std::function<void(Span&)> mutate;
    std::string rule;
  } cases[] = {
      {[](Span& s) { s.trace_id.resize(15); }, "trace_id is 15 bytes"},
      {[](Span& s) { s.trace_id.assign(16, '\0'); }, "trace_id is all zeros"},
      {[](Span& s) { s.span_id.resize(7); }, "span_id is 7 bytes"},
      {[](Span& s) { s.parent_span_id = "abc"; }, "parent_span_id is 3 bytes"},
      {[](Span& s) { s.end_ns = s.start_ns - 1; }, "before the start time"},
      {[](Span& s) { s.start_ns = 0; }, "not after 1970"},
      {[](Span& s) { s.kind = static_cast<SpanKind>(9); }, "not a SpanKind"},
      {[](Span& s) {
         s.links = {SpanLink{"x", "y", "", 0, {}, 0}};
       },
       "links[0]"},
  };
  for (const auto& c : cases) {
    auto bad = good;
    c.mutate(bad);
    auto a = store_->appender({});
    Status st = a->append(std::vector<Span>{good, bad});
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << c.rule;
    EXPECT_NE(st.message().find("span 1"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find(c.rule), std::string::npos) << st.message();
    ASSERT_TRUE(a->commit().ok());  // nothing was staged
  }
  EXPECT_TRUE(trace(1).empty());
  Status st = put({good}, Tenant{"", "local"});
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
}

TEST_F(TraceStoreTest, TenantsAreIsolated) {
  const Tenant other{"111122223333", "eu-west-1"};
  ASSERT_TRUE(put(make_trace(1, 3)).ok());
  ASSERT_TRUE(put(make_trace(2, 2), other).ok());
  EXPECT_TRUE(trace(2).empty());
  EXPECT_TRUE(trace(1, other).empty());
  ASSERT_TRUE(store_->flush().ok());
  EXPECT_TRUE(trace(2).empty());
  auto t2 = trace(2, other);
  ASSERT_EQ(t2.size(), 2u);
  EXPECT_EQ(t2[0].tenant, other);
  SpanScan s;
  s.tenants = {other};
  EXPECT_EQ(scan(s).size(), 2u);
  s.tenants = {Tenant{}, other};
  EXPECT_EQ(scan(s).size(), 5u);
}

// Scans return the same spans from the head and from blocks, with every filter.
TEST_F(TraceStoreTest, ScanFilters) {
  std::vector<Span> all;
  for (uint64_t t = 1; t <= 20; t++) {
    auto tr = make_trace(t, 6, kT0 + static_cast<int64_t>(t) * 60'000 * kMs);
    all.insert(all.end(), tr.begin(), tr.end());
  }
  ASSERT_TRUE(put(all).ok());
  auto count = [&](const std::function<bool(const Span&)>& pred) {
    return static_cast<size_t>(std::count_if(all.begin(), all.end(), pred));
  };
  for (int round = 0; round < 2; round++) {
    SCOPED_TRACE(round == 0 ? "head" : "blocks");
    EXPECT_EQ(scan({}).size(), all.size());
    SpanScan s;
    s.services = {"checkout"};
    EXPECT_EQ(scan(s).size(), count([](const Span& x) { return x.service == "checkout"; }));
    s = {};
    s.names = {"GET /", "nope"};
    EXPECT_EQ(scan(s).size(), count([](const Span& x) { return x.name == "GET /"; }));
    s = {};
    s.statuses = {SpanStatusCode::kError};
    auto errs = scan(s);
    EXPECT_EQ(errs.size(),
              count([](const Span& x) { return x.status_code == SpanStatusCode::kError; }));
    for (const auto& x : errs) EXPECT_EQ(x.status_message, "boom");
    s = {};
    s.min_duration_ns = 1'500'000 + 17 * 3;
    s.max_duration_ns = 1'500'000 + 17 * 4;
    EXPECT_EQ(scan(s).size(), 2u * 20);
    s = {};
    s.attributes = {{"http.response.status_code", "500"}, {"http.request.method", "GET"}};
    EXPECT_EQ(scan(s).size(), count([](const Span& x) {
                return x.attributes[1].value == "500" && x.attributes[0].value == "GET";
              }));
    s = {};
    s.attributes = {{"host.name", "host-1"}};  // a resource attribute
    EXPECT_EQ(scan(s).size(),
              count([](const Span& x) { return x.resource_attributes[1].value == "host-1"; }));
    s = {};
    s.attributes = {{"debug.payload", "{\"n\":1}"}};  // not indexed: never matches
    EXPECT_TRUE(scan(s).empty());
    s = {};
    s.start_ns = kT0 + 5 * 60'000 * kMs;
    s.end_ns = kT0 + 7 * 60'000 * kMs;
    s.tenants = {Tenant{}};
    EXPECT_EQ(scan(s).size(), 12u);
    s = {};
    s.limit = 7;
    EXPECT_EQ(scan(s).size(), 7u);
    ASSERT_TRUE(store_->flush().ok());
  }
  // Block skipping: a service, name or attribute absent from the block skips it unread.
  TraceScanStats st;
  SpanScan s;
  s.services = {"no-such-service"};
  EXPECT_TRUE(scan(s, &st).empty());
  EXPECT_EQ(st.blocks_read, 0u);
  EXPECT_EQ(st.blocks_skipped, 1u);
  s = {};
  s.attributes = {{"http.request.method", "DELETE"}};
  EXPECT_TRUE(scan(s, &st).empty());
  EXPECT_EQ(st.blocks_read, 0u);
  s = {};
  s.min_duration_ns = 10 * 1'000'000'000ll;
  EXPECT_TRUE(scan(s, &st).empty());
  EXPECT_EQ(st.blocks_read, 0u);
  // Scans read back spans equal to what was written.
  auto back = scan({});
  std::sort(back.begin(), back.end(),
            [](const Span& a, const Span& b) { return a.span_id < b.span_id; });
  auto want = all;
  std::sort(want.begin(), want.end(),
            [](const Span& a, const Span& b) { return a.span_id < b.span_id; });
  EXPECT_EQ(back, want);
}

TEST_F(TraceStoreTest, ScanRejectsBadArguments) {
  SpanScan s;
  s.start_ns = 10;
  s.end_ns = 20;
  EXPECT_EQ(store_->scan(s).status().code(), Code::kInvalidArgument);  // no tenant
  s.tenants = {Tenant{}};
  s.end_ns = 10;
  EXPECT_EQ(store_->scan(s).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(store_->get_trace({}, "short").status().code(), Code::kInvalidArgument);
}

TEST_F(TraceStoreTest, RetentionPerTenantHidesThenDeletesBlocks) {
  const Tenant other{"111122223333", "local"};
  EXPECT_EQ(store_->retention_days({}), kDefaultTraceRetentionDays);
  EXPECT_EQ(store_->put_retention({}, 0).code(), Code::kInvalidArgument);
  EXPECT_EQ(store_->put_retention({}, 5000).code(), Code::kInvalidArgument);
  ASSERT_TRUE(store_->put_retention({}, 2).ok());
  ASSERT_TRUE(put(make_trace(1, 3)).ok());
  ASSERT_TRUE(put(make_trace(2, 3), other).ok());
  ASSERT_TRUE(store_->flush().ok());
  close_and_reopen();
  EXPECT_EQ(store_->retention_days({}), 2);
  EXPECT_EQ(store_->retention_days(other), kDefaultTraceRetentionDays);

  clock_.advance_ms(3 * 86'400'000);
  EXPECT_TRUE(trace(1).empty());          // past the tenant's 2 days: hidden at once
  EXPECT_EQ(trace(2, other).size(), 3u);  // 30 days for the other tenant
  SpanScan s;
  EXPECT_TRUE(scan(s).empty());
  ASSERT_TRUE(store_->enforce_retention().ok());
  ASSERT_EQ(store_->blocks().size(), 1u);
  EXPECT_EQ(store_->blocks()[0].tenant, other);
  close_and_reopen();
  EXPECT_EQ(store_->blocks().size(), 1u);
  EXPECT_EQ(trace(2, other).size(), 3u);
}

TEST_F(TraceStoreTest, RetentionSurvivesCrashThroughTheWal) {
  ASSERT_TRUE(store_->put_retention({}, 7).ok());
  crash_and_reopen();
  EXPECT_EQ(store_->retention_days({}), 7);
}

TEST_F(TraceStoreTest, LastVersionOfASpanWins) {
  auto s = full_span(1, 0, kT0);
  s.attributes = {attr("state", "in_progress")};
  ASSERT_TRUE(put({s}).ok());
  ASSERT_TRUE(store_->flush().ok());
  s.attributes = {attr("state", "done")};
  s.end_ns += 5 * kMs;
  ASSERT_TRUE(put({s}).ok());
  auto got = trace(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].attributes[0].value, "done");
  // Both versions in one block: still the later one.
  ASSERT_TRUE(store_->flush().ok());
  s.attributes = {attr("state", "again")};
  ASSERT_TRUE(put({s}).ok());
  s.attributes = {attr("state", "final")};
  ASSERT_TRUE(put({s}).ok());
  ASSERT_TRUE(store_->flush().ok());
  got = trace(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].attributes[0].value, "final");
}

TEST_F(TraceStoreTest, BlocksSplitByPartitionAndSizeOnTraceBoundaries) {
  block_max_spans_ = 10;
  store_.reset();
  open();
  std::vector<Span> spans;
  for (uint64_t t = 1; t <= 10; t++) {
    auto tr = make_trace(t, 4);
    spans.insert(spans.end(), tr.begin(), tr.end());
  }
  auto big = make_trace(50, 25);  // larger than a block: stays whole
  spans.insert(spans.end(), big.begin(), big.end());
  auto next_hour = make_trace(60, 3, kT0 + 2 * kHourNs);
  spans.insert(spans.end(), next_hour.begin(), next_hour.end());
  ASSERT_TRUE(put(spans).ok());
  ASSERT_TRUE(store_->flush().ok());
  auto blocks = store_->blocks();
  EXPECT_GE(blocks.size(), 6u);
  uint64_t rows = 0;
  for (const auto& b : blocks) {
    rows += b.rows;
    EXPECT_TRUE(b.rows <= 10 || b.traces == 1) << b.rows;
    // One partition (an hour) per block.
    EXPECT_EQ(b.min_start / kHourNs, b.max_start / kHourNs);
  }
  EXPECT_EQ(rows, spans.size());
  for (uint64_t t = 1; t <= 10; t++) EXPECT_EQ(trace(t).size(), 4u);
  EXPECT_EQ(trace(50), sorted(big));
  EXPECT_EQ(trace(60), sorted(next_hour));
}

TEST_F(TraceStoreTest, AckedSpansSurviveACrash) {
  ASSERT_TRUE(put(make_trace(1, 5)).ok());
  ASSERT_TRUE(store_->flush().ok());
  ASSERT_TRUE(put(make_trace(2, 5)).ok());
  crash_and_reopen();
  EXPECT_EQ(trace(1).size(), 5u);
  EXPECT_EQ(trace(2).size(), 5u);
  EXPECT_EQ(store_->stats().head_spans, 5u);
}

// A crash at each step of a flush: nothing lost, nothing doubled.
TEST_F(TraceStoreTest, CrashDuringFlushLosesAndDuplicatesNothing) {
  for (std::string point : {"flush.frozen", "flush.written"}) {
    SCOPED_TRACE(point);
    const uint64_t t = point == "flush.frozen" ? 1 : 2;
    ASSERT_TRUE(put(make_trace(t, 6)).ok());
    hook_ = [point](std::string_view p) {
      return p == point ? Status::io_error("injected crash") : OkStatus();
    };
    EXPECT_FALSE(store_->flush().ok());
    EXPECT_EQ(trace(t).size(), 6u);  // still readable from the frozen head
    hook_ = nullptr;
    crash_and_reopen();
    EXPECT_EQ(trace(t).size(), 6u);
    ASSERT_TRUE(store_->flush().ok());
    EXPECT_EQ(trace(t).size(), 6u);
    crash_and_reopen();
    EXPECT_EQ(trace(t).size(), 6u);
    EXPECT_EQ(store_->stats().head_spans, 0u);
  }
  // The failed flush left no unpublished block behind.
  uint64_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path() + "/traces/blocks")) {
    files += e.path().extension() == ".tblock";
  }
  EXPECT_EQ(files, store_->blocks().size());
}

TEST_F(TraceStoreTest, FailedFlushIsRetried) {
  ASSERT_TRUE(put(make_trace(1, 3)).ok());
  hook_ = [](std::string_view p) {
    return p == "flush.written" ? Status::io_error("disk full") : OkStatus();
  };
  EXPECT_FALSE(store_->flush().ok());
  ASSERT_TRUE(put(make_trace(2, 3)).ok());  // goes to the new head
  hook_ = nullptr;
  ASSERT_TRUE(store_->flush().ok());  // finishes the pending flush
  ASSERT_TRUE(store_->flush().ok());  // flushes the new head
  EXPECT_EQ(store_->stats().head_spans, 0u);
  close_and_reopen();
  EXPECT_EQ(trace(1).size(), 3u);
  EXPECT_EQ(trace(2).size(), 3u);
}

TEST_F(TraceStoreTest, CorruptBlockIsMovedAsideAtOpen) {
  ASSERT_TRUE(put(make_trace(1, 3)).ok());
  ASSERT_TRUE(store_->flush().ok());
  const std::string path =
      dir_.path() + "/traces/blocks/" + block_file_name(store_->blocks()[0].id);
  ASSERT_TRUE(store_->close().ok());
  store_.reset();
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-30, std::ios::end);
    f.put('\x5a');
  }
  open();
  EXPECT_TRUE(store_->blocks().empty());
  EXPECT_TRUE(std::filesystem::exists(path + ".corrupt"));
}

TEST_F(TraceStoreTest, ClosedStoreIsUnavailable) {
  ASSERT_TRUE(store_->close().ok());
  EXPECT_EQ(put(make_trace(1, 1)).code(), Code::kUnavailable);
  EXPECT_EQ(store_->get_trace({}, trace_id(1)).status().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace opsight::storage::tracestore
