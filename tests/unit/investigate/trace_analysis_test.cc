// Trace analysis over hand-made traces in a real trace store: exclusive time with overlapping
// children, error origin, peers named after their server, edges and limits.
#include "aiops/investigate/trace_analysis.h"

#include <gtest/gtest.h>

#include "shop_traces.h"
#include "testing/temp_dir.h"

namespace opsight::aiops {
namespace {

constexpr int64_t kOrigin = 1'700'000'000'000;
constexpr int64_t kMin = 60'000;
constexpr int64_t kMs = 1'000'000;

std::string id_bytes(uint64_t v, size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i++) s[n - 1 - i] = static_cast<char>(v >> (8 * (i % 8)));
  return s;
}

storage::SpanAttribute attr(std::string k, std::string v) {
  return {std::move(k), std::move(v), storage::AttrType::kString, true};
}

// One request: frontend (root server) -> client -> backend server -> two overlapping calls to
// a PostgreSQL server "pg-main" (database "app"). backend's own work is `backend_self_ms`; the
// calls cover [2, 7] and [4, 9] ms of it (7 ms as a union). `db_fails` fails the first call,
// which fails backend (500), the client span and frontend (502).
std::vector<storage::Span> request(uint64_t n, int64_t t_ms, double backend_self_ms,
                                   bool db_fails) {
  const std::string trace = id_bytes(0xabc0000000000000ull + n, 8) + id_bytes(n + 1, 8);
  auto span = [&](uint64_t k, uint64_t parent, std::string service, std::string name,
                  storage::SpanKind kind, double start_ms, double dur_ms) {
    storage::Span s;
    s.trace_id = trace;
    s.span_id = id_bytes(n * 16 + k, 8);
    if (parent != 0) s.parent_span_id = id_bytes(n * 16 + parent, 8);
    s.service = std::move(service);
    s.name = std::move(name);
    s.kind = kind;
    s.start_ns = t_ms * kMs + static_cast<int64_t>(start_ms * kMs);
    s.end_ns = s.start_ns + static_cast<int64_t>(dur_ms * kMs);
    return s;
  };
  const double backend_ms = backend_self_ms + 7;
  std::vector<storage::Span> out;
  out.push_back(span(1, 0, "frontend", "GET /", storage::SpanKind::kServer, 0, backend_ms + 4));
  out.push_back(span(2, 1, "frontend", "GET /api", storage::SpanKind::kClient, 1, backend_ms + 2));
  out.push_back(span(3, 2, "backend", "GET /api", storage::SpanKind::kServer, 2, backend_ms));
  for (uint64_t k : {4, 5}) {
    storage::Span db =
        span(k, 3, "backend", "SELECT app.items", storage::SpanKind::kClient, k == 4 ? 4 : 6, 5);
    db.attributes = {attr("db.system", "postgresql"), attr("db.name", "app"),
                     attr("server.address", "pg-main")};
    if (k == 4 && db_fails) db.status_code = storage::SpanStatusCode::kError;
    out.push_back(std::move(db));
  }
  const int status = db_fails ? 500 : 200;
  out[2].attributes = {attr("http.response.status_code", std::to_string(status))};
  out[1].attributes = {attr("http.response.status_code", std::to_string(status)),
                       attr("peer.service", "backend")};
  out[0].attributes = {attr("http.response.status_code", db_fails ? "502" : "200")};
  for (auto* s : {&out[0], &out[1], &out[2]}) {
    if (db_fails) s->status_code = storage::SpanStatusCode::kError;
  }
  return out;
}

class TraceAnalysisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = testing::open_trace_store(dir_.path() + "/traces", &clock_);
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(*s);
  }
  // 40 minutes, one request per second; in the last 10 minutes `window_self_ms` of backend work
  // and every `fail_every`-th request failing in the database (0 = none).
  void fill(double window_self_ms, int fail_every) {
    auto app = store_->appender({});
    for (uint64_t i = 0; i < 40 * 60; i++) {
      const int64_t t = kOrigin + static_cast<int64_t>(i) * 1000;
      const bool window = t >= kOrigin + 30 * kMin;
      const bool fail = window && fail_every > 0 && i % fail_every == 0;
      ASSERT_TRUE(app->append(request(i, t, window ? window_self_ms : 10, fail)).ok());
    }
    ASSERT_TRUE(app->commit().ok());
  }
  Result<TraceAnalysis> analyze(TraceAnalysisOptions o = {}) {
    AnalysisWindow w;
    w.baseline_start_ms = kOrigin;
    w.start_ms = kOrigin + 30 * kMin;
    w.end_ms = kOrigin + 40 * kMin;
    return analyze_traces(*store_, w, o, &stats_);
  }
  const ComponentFinding* find(const TraceAnalysis& a, const std::string& comp,
                               const std::string& kind) {
    for (const auto& f : a.findings) {
      if (f.component == comp && f.kind == kind) return &f;
    }
    return nullptr;
  }

  testing::TempDir dir_{"trace_analysis_test"};
  ManualClock clock_{kOrigin + 40 * kMin};
  std::unique_ptr<storage::tracestore::Store> store_;
  InvestigationStats stats_;
};

TEST_F(TraceAnalysisTest, ExclusiveTimeBlamesTheSlowService) {
  fill(50, 0);
  auto a = analyze();
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  ASSERT_FALSE(a->findings.empty());
  const ComponentFinding& f = a->findings.front();
  EXPECT_EQ(f.component, "backend");
  EXPECT_EQ(f.kind, "latency");
  EXPECT_EQ(f.operation, "GET /api");
  // Self time = duration minus the union of the overlapping calls.
  EXPECT_NEAR(f.facts.at("baseline"), 10, 0.01);
  EXPECT_NEAR(f.facts.at("window"), 50, 0.01);
  EXPECT_NEAR(f.facts.at("ratio"), 5, 0.01);
  EXPECT_NEAR(f.facts.at("share"), 1, 0.01);
  EXPECT_EQ(f.onset_ms, kOrigin + 30 * kMin);
  EXPECT_GT(f.strength, 0.9);
  EXPECT_EQ(f.clause, "backend latency rose 5.0x at 22:43:20");
  // Neither the callers (their self time did not change) nor the database are blamed.
  EXPECT_EQ(find(*a, "frontend", "latency"), nullptr);
  EXPECT_EQ(find(*a, "pg-main", "dependency"), nullptr);
  // Evidence: the series over baseline + window, then example traces.
  ASSERT_GE(f.evidence.size(), 2u);
  EXPECT_EQ(f.evidence[0].type, "metric");
  EXPECT_NE(f.evidence[0].data_json.find("\"name\":\"span.self_time\""), std::string::npos);
  EXPECT_EQ(f.evidence[1].type, "trace");
  EXPECT_NE(f.evidence[1].data_json.find("\"self_ms\":50"), std::string::npos)
      << f.evidence[1].data_json;
  // frontend's callers see the rise: a latency symptom, never a finding.
  bool symptom = false;
  for (const auto& s : a->symptoms) symptom = symptom || s.component == "frontend";
  EXPECT_TRUE(symptom);

  std::vector<std::pair<std::string, std::string>> edges;
  for (const CallEdge& e : a->edges) edges.emplace_back(e.caller, e.callee);
  EXPECT_EQ(edges, (std::vector<std::pair<std::string, std::string>>{{"backend", "pg-main"},
                                                                     {"frontend", "backend"}}));
  EXPECT_EQ(a->components, (std::vector<std::string>{"backend", "frontend", "pg-main"}));
  EXPECT_EQ(stats_.spans_scanned, 40u * 60 * 5);
  EXPECT_EQ(stats_.traces, 40u * 60);
  EXPECT_TRUE(stats_.complete);
}

TEST_F(TraceAnalysisTest, ErrorOriginIsTheDeepestFault) {
  fill(10, 4);
  auto a = analyze();
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  ASSERT_FALSE(a->findings.empty());
  const ComponentFinding& f = a->findings.front();
  EXPECT_EQ(f.component, "pg-main");
  EXPECT_EQ(f.component_type, "database");
  EXPECT_EQ(f.kind, "dependency");
  EXPECT_EQ(f.facts.at("measure"), 1);
  EXPECT_NEAR(f.facts.at("share"), 1, 1e-9);
  EXPECT_NEAR(f.facts.at("window"), 0.125, 1e-9);  // 1 in 4 requests, 2 calls each
  EXPECT_GT(f.strength, 0.9);
  EXPECT_EQ(f.onset_ms, kOrigin + 30 * kMin);
  EXPECT_EQ(find(*a, "backend", "errors"), nullptr);
  EXPECT_EQ(find(*a, "frontend", "errors"), nullptr);
  bool origin_trace = false;
  for (const Evidence& e : f.evidence) {
    if (e.type == "trace") {
      origin_trace = true;
      EXPECT_NE(e.data_json.find("\"error_origin\":true"), std::string::npos);
      EXPECT_NE(e.data_json.find("\"status\":\"fault\""), std::string::npos);
    }
  }
  EXPECT_TRUE(origin_trace);
}

TEST_F(TraceAnalysisTest, NoChangeNoFinding) {
  fill(10, 0);
  auto a = analyze();
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->findings.empty());
  EXPECT_TRUE(a->symptoms.empty());
}

TEST_F(TraceAnalysisTest, LimitsAndBadWindows) {
  fill(50, 0);
  TraceAnalysisOptions o;
  o.max_spans = 1000;
  auto a = analyze(o);
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(stats_.complete);
  EXPECT_EQ(stats_.stopped_by, "traces: max_spans");
  AnalysisWindow w;
  w.baseline_start_ms = kOrigin;
  w.start_ms = kOrigin + kMin;
  w.end_ms = kOrigin + kMin;
  auto bad = analyze_traces(*store_, w, {}, nullptr);
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  w.end_ms = kOrigin + 2 * kMin;
  w.baseline_start_ms = w.start_ms;
  EXPECT_EQ(analyze_traces(*store_, w, {}, nullptr).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace opsight::aiops
