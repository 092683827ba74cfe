// Trace search over a store: push-down (what reaches SpanScan), the newest-first order, the limit,
// summaries and bad requests.
#include <gtest/gtest.h>

#include "apm/fake_trace_store.h"
#include "apm/span_builder.h"
#include "query/tracefilter/parser.h"
#include "query/tracefilter/plan.h"
#include "query/tracefilter/search.h"

namespace opsight::query::tracefilter {
namespace {

using storage::AttrType;
using testing::SpanBuilder;

class TraceSearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // 10 traces api -> db, one per second; every third is a fault; trace 7 has an X-Ray
    // annotation and trace 4 an OTel attribute "tenant".
    for (int i = 0; i < 10; i++) {
      const std::string t = "trace" + std::to_string(i);
      SpanBuilder root(t, "root", "api");
      root.name("GET /x")
          .time_ms(i * 1000, 100 + i * 100)
          .http("GET", "https://api/x", i % 3 == 0 ? 503 : 200);
      if (i == 7) root.xray().attr("annotation.customer", "acme");
      if (i == 4) root.attr("tenant", "blue");
      store_.spans.push_back(root);
      store_.spans.push_back(SpanBuilder(t, "db", "api")
                                 .parent("root")
                                 .client()
                                 .time_ms(i * 1000 + 10, 20)
                                 .attr("db.system", "postgresql"));
    }
  }

  SearchRequest request(std::string filter, size_t limit = 100) {
    SearchRequest r;
    r.start_ns = SpanBuilder::kBaseNs;
    r.end_ns = SpanBuilder::kBaseNs + 3'600'000'000'000;
    r.filter = std::move(filter);
    r.limit = limit;
    return r;
  }

  Result<SearchResult> run(const SearchRequest& r) {
    return search_traces(&store_, r, SearchOptions{}, &clock_);
  }

  testing::FakeTraceStore store_;
  ManualClock clock_{1'704'067'200'000};
};

TEST_F(TraceSearchTest, NewestFirstWithSummaries) {
  auto r = run(request("fault"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->traces.size(), 4u);  // 0, 3, 6, 9
  EXPECT_EQ(r->traces[0].trace_id, testing::pad("trace9", 16));
  EXPECT_EQ(r->traces[3].trace_id, testing::pad("trace0", 16));
  const TraceSummary& s = r->traces[0];
  EXPECT_TRUE(s.has_fault);
  EXPECT_FALSE(s.has_error);
  EXPECT_DOUBLE_EQ(s.response_time_s, 1.0);
  EXPECT_DOUBLE_EQ(s.duration_s, 1.0);
  EXPECT_EQ(s.http.method, "GET");
  EXPECT_EQ(s.http.status, 503);
  EXPECT_EQ(s.entry_service, "api");
  EXPECT_EQ(s.entry_operation, "GET /x");
  EXPECT_EQ(s.entry_kind, "SERVER");
  EXPECT_EQ(s.span_count, 2u);
  EXPECT_EQ(s.services, std::vector<std::string>{"api"});
  EXPECT_EQ(r->traces_matched, 4u);
  // "fault" reads only the root span: roots that fail it are skipped during the scan, so only
  // the 4 matching traces are fetched and evaluated.
  EXPECT_EQ(r->traces_evaluated, 4u);
  EXPECT_TRUE(r->complete);
  EXPECT_EQ(r->pushed_down, "all spans in the time range");
}

TEST_F(TraceSearchTest, OnlyRootOnlyFiltersAreDecidedDuringTheScan) {
  auto parsed = [](const char* text) { return *parse_filter(text); };
  EXPECT_TRUE(root_decidable(parsed("fault")));
  EXPECT_TRUE(root_decidable(parsed("http.status = 502 or (responsetime > 1 and !ok)")));
  EXPECT_TRUE(root_decidable(parsed("not name BEGINSWITH \"GET\"")));
  EXPECT_FALSE(root_decidable(parsed("fault and duration > 1")));
  EXPECT_FALSE(root_decidable(parsed("fault or service(\"db\")")));
  EXPECT_FALSE(root_decidable(parsed("partial")));
  EXPECT_FALSE(root_decidable(parsed("user = \"alice\"")));
  EXPECT_FALSE(root_decidable(parsed("annotation.customer = \"acme\"")));
  EXPECT_FALSE(root_decidable(parsed("")));

  // The same matches either way; a filter that is not root-only fetches every trace.
  auto r = run(request("fault and !partial"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->traces_matched, 4u);
  EXPECT_EQ(r->traces_evaluated, 10u);
}

TEST_F(TraceSearchTest, LimitStopsEarly) {
  auto r = run(request("", 3));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->traces.size(), 3u);
  EXPECT_EQ(r->traces[0].trace_id, testing::pad("trace9", 16));
  EXPECT_FALSE(r->complete);
  EXPECT_EQ(r->stopped_by, "limit");
  EXPECT_EQ(r->traces_evaluated, 3u);
}

TEST_F(TraceSearchTest, AnnotationPushdownScansBothKeyForms) {
  auto r = run(request("annotation.customer = \"acme\" and ok"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->traces.size(), 1u);
  EXPECT_EQ(r->traces[0].trace_id, testing::pad("trace7", 16));
  ASSERT_EQ(r->traces[0].annotations.size(), 1u);
  EXPECT_EQ(r->traces[0].annotations[0].first, "customer");
  EXPECT_EQ(r->traces[0].annotations[0].second, std::vector<std::string>{"acme"});
  ASSERT_EQ(store_.scans.size(), 2u);
  EXPECT_EQ(store_.scans[0].attributes[0].key, "customer");
  EXPECT_EQ(store_.scans[1].attributes[0].key, "annotation.customer");
  EXPECT_EQ(r->candidate_traces, 1u);  // only trace 7 was fetched

  store_.scans.clear();
  r = run(request("annotation.tenant = \"blue\""));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->traces.size(), 1u);
  EXPECT_EQ(r->traces[0].trace_id, testing::pad("trace4", 16));
  ASSERT_EQ(r->traces[0].annotations.size(), 1u);  // named in the filter
  EXPECT_EQ(r->traces[0].annotations[0].first, "tenant");
}

TEST_F(TraceSearchTest, ServicePushdownIsProbedFirst) {
  auto r = run(request("service(\"api\") { responsetime >= 0.9 }"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->traces.size(), 2u);  // 800 + 100 ms... traces 8 (0.9 s) and 9 (1.0 s)
  // The probe (limit 1), then the scan with the service and the duration of the same span.
  ASSERT_EQ(store_.scans.size(), 2u);
  EXPECT_EQ(store_.scans[0].limit, 1u);
  EXPECT_EQ(store_.scans[1].services, std::vector<std::string>{"api"});
  EXPECT_EQ(store_.scans[1].min_duration_ns, 900'000'000);
  EXPECT_EQ(r->pushed_down, "service=api duration>=900000000ns");

  // "postgresql" is an inferred peer with no spans: the probe finds none, nothing is pushed,
  // and every trace still matches.
  store_.scans.clear();
  r = run(request("service(\"postgresql\")"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->traces.size(), 10u);
  ASSERT_EQ(store_.scans.size(), 2u);
  EXPECT_TRUE(store_.scans[1].services.empty());
}

TEST_F(TraceSearchTest, PlanRequirements) {
  auto f = parse_filter(
      "service(\"a\") and annotation.k = \"v\" and responsetime > 2 and (fault or "
      "annotation.z = \"q\") and !service(\"b\") and annotation.n = 5");
  ASSERT_TRUE(f.ok());
  auto reqs = span_requirements(*f);
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].describe(), "service=a");
  EXPECT_EQ(reqs[1].describe(), "attribute k=v");
  EXPECT_EQ(reqs[2].describe(), "duration>=2000000000ns");
  EXPECT_EQ(best_requirement(reqs).describe(), "attribute k=v");
  auto none = parse_filter("fault or service(\"a\")");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(span_requirements(*none).empty());
}

TEST_F(TraceSearchTest, BadRequests) {
  auto r = run(request("responsetime >"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("column 15"), std::string::npos);
  SearchRequest bad = request("");
  bad.end_ns = bad.start_ns;
  EXPECT_FALSE(run(bad).ok());
  EXPECT_FALSE(run(request("", 0)).ok());
  EXPECT_FALSE(run(request("", kMaxSearchLimit + 1)).ok());
}

TEST_F(TraceSearchTest, MaxTracesBoundsTheWork) {
  SearchOptions o;
  o.max_traces = 4;
  auto r = search_traces(&store_, request("fault and !partial"), o, &clock_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->traces_evaluated, 4u);
  EXPECT_EQ(r->traces.size(), 2u);  // 9 and 6 among 9, 8, 7, 6
  EXPECT_FALSE(r->complete);
  EXPECT_EQ(r->stopped_by, "max_traces");
}

}  // namespace
}  // namespace opsight::query::tracefilter
