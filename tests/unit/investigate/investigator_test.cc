// The investigator end to end over a real trace store filled by the demo shop: 40 minutes of
// traffic with a fault in the last 10, investigated over the fault window with no hint.
#include "aiops/investigate/investigator.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdio>
#include <map>

#include "aiops/investigate/investigation_json.h"
#include "shop_traces.h"
#include "testing/temp_dir.h"

namespace opsight::aiops {
namespace {

constexpr int64_t kOrigin = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
constexpr int64_t kMin = 60'000;
constexpr int kMinutes = 40;
constexpr double kRps = 10;

// One store for every test of the binary (each scenario in its own tenant), made on first use.
struct Shared {
  testing::TempDir dir{"investigator_test"};
  ManualClock clock{kOrigin + kMinutes * kMin};
  std::unique_ptr<storage::tracestore::Store> store;
  std::map<std::string, storage::Tenant> tenants;
  static Shared& get() {
    // The store's WAL reads Clock::real() when it closes at exit: make that static first, so it
    // is destroyed after `s`.
    (void)Clock::real();
    static Shared s;  // destroyed at exit: the store closes before its directory goes
    if (s.store == nullptr) {
      auto st = testing::open_trace_store(s.dir.path() + "/traces", &s.clock);
      EXPECT_TRUE(st.ok()) << st.status().to_string();
      if (st.ok()) s.store = std::move(*st);
    }
    return s;
  }
};

class InvestigatorTest : public ::testing::Test {
 protected:
  // Each scenario in its own tenant of the shared store.
  static storage::Tenant tenant_for(const std::string& fault) {
    auto& tenants = Shared::get().tenants;
    auto it = tenants.find(fault);
    if (it != tenants.end()) return it->second;
    storage::Tenant t{fmt::format("{:012}", tenants.size() + 1), "local"};
    std::vector<std::string> faults;
    if (!fault.empty()) faults.push_back(fault + "@30m");
    Status st = testing::fill_shop(*store_, t, kOrigin, kMinutes, kRps, faults);
    EXPECT_TRUE(st.ok()) << st.to_string();
    tenants[fault] = t;
    return t;
  }

  static Result<InvestigationResult> run(const std::string& fault, const std::string& hint = "") {
    InvestigationRequest req;
    req.tenant = tenant_for(fault);
    req.start_ms = kOrigin + 30 * kMin;
    req.end_ms = kOrigin + 40 * kMin;
    req.service = hint;
    InvestigatorSources src;
    src.traces = store_;
    return investigate(src, req, InvestigatorOptions{}, clock_);
  }

  static void print(const std::string& fault, const InvestigationResult& r) {
    std::printf("%s:\n", fault.empty() ? "(no fault)" : fault.c_str());
    for (const Hypothesis& h : r.hypotheses) {
      std::printf("  %d %-12s %-10s %.3f  %s\n", h.rank, h.service.c_str(), h.kind.c_str(), h.score,
                  h.explanation.c_str());
    }
  }

  static inline storage::tracestore::Store* store_ = nullptr;
  static inline ManualClock* clock_ = nullptr;
  void SetUp() override {
    store_ = Shared::get().store.get();
    clock_ = &Shared::get().clock;
    ASSERT_NE(store_, nullptr);
  }
};

struct FaultCase {
  std::string fault;
  std::string root;  // the component expected at rank 1
};

class InvestigatorFaultTest : public InvestigatorTest,
                              public ::testing::WithParamInterface<FaultCase> {};

TEST_P(InvestigatorFaultTest, RanksTheFaultedComponentFirst) {
  const FaultCase& c = GetParam();
  auto r = run(c.fault);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  print(c.fault, *r);
  ASSERT_FALSE(r->hypotheses.empty());
  const Hypothesis& top = r->hypotheses.front();
  EXPECT_EQ(top.service, c.root);
  EXPECT_EQ(top.rank, 1);
  EXPECT_GT(top.score, 0.5);
  EXPECT_LE(top.score, 1.0);
  // The fault starts with the window; the onset is found within its first minute.
  EXPECT_GE(top.onset_ms, kOrigin + 30 * kMin);
  EXPECT_LT(top.onset_ms, kOrigin + 31 * kMin);
  EXPECT_FALSE(top.explanation.empty());
  EXPECT_NE(top.explanation.find(c.root), std::string::npos) << top.explanation;
  // Evidence: the series and at least one example trace with its link.
  bool metric = false, trace = false;
  for (const Evidence& e : top.evidence) {
    metric = metric || e.type == "metric";
    if (e.type == "trace") {
      trace = true;
      EXPECT_EQ(e.link.rfind("/api/v1/traces/", 0), 0u) << e.link;
      EXPECT_EQ(e.link.size(), std::string("/api/v1/traces/").size() + 32);
    }
  }
  EXPECT_TRUE(metric);
  EXPECT_TRUE(trace);
  EXPECT_EQ(r->baseline_start_ms, kOrigin);
  EXPECT_TRUE(r->stats.complete);
  EXPECT_GT(r->stats.spans_scanned, 0u);
  EXPECT_GT(r->stats.traces, 0u);
}

INSTANTIATE_TEST_SUITE_P(Faults, InvestigatorFaultTest,
                         ::testing::Values(FaultCase{"latency:payment", "payment"},
                                           FaultCase{"errors:inventory", "inventory"},
                                           FaultCase{"latency:db", "orders-db"},
                                           FaultCase{"cpu:checkout", "checkout"},
                                           FaultCase{"errors:db", "orders-db"}),
                         [](const auto& info) {
                           std::string n = info.param.fault;
                           for (char& ch : n) ch = ch == ':' ? '_' : ch;
                           return n;
                         });

TEST_F(InvestigatorTest, NoFaultGivesNoStrongHypothesis) {
  auto r = run("");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  print("", *r);
  for (const Hypothesis& h : r->hypotheses) EXPECT_LE(h.score, 0.5) << h.service;
}

TEST_F(InvestigatorTest, TheHintDoesNotOverrideTheEvidence) {
  // A hint on the caller still leaves the faulted callee first (it is reachable from the hint).
  auto r = run("latency:payment", "frontend");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_FALSE(r->hypotheses.empty());
  EXPECT_EQ(r->hypotheses.front().service, "payment");
}

TEST_F(InvestigatorTest, ResultJsonCarriesTheHypotheses) {
  auto r = run("errors:inventory");
  ASSERT_TRUE(r.ok());
  InvestigationRequest req;
  req.start_ms = kOrigin + 30 * kMin;
  req.end_ms = kOrigin + 40 * kMin;
  const std::string json = investigation_result_json("00000000000000ab", "complete", req, &*r, "");
  EXPECT_NE(json.find("\"id\":\"00000000000000ab\""), std::string::npos);
  EXPECT_NE(json.find("\"rank\":1,\"service\":\"inventory\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"data\":{\"name\":\"span.origin_fault_rate\""), std::string::npos);
  EXPECT_NE(json.find("\"baselineStart\":1700000000000"), std::string::npos);
}

TEST_F(InvestigatorTest, BadRequestsNameTheField) {
  InvestigatorSources src;
  src.traces = store_;
  InvestigationRequest req;
  req.start_ms = kOrigin;
  req.end_ms = kOrigin;
  auto r = investigate(src, req, InvestigatorOptions{}, clock_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message().rfind("end:", 0), 0u) << r.status().message();
  req.end_ms = kOrigin + 25 * 3600 * 1000LL;
  r = investigate(src, req, InvestigatorOptions{}, clock_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("24 h"), std::string::npos);
  req.start_ms = 0;
  r = investigate(src, req, InvestigatorOptions{}, clock_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("start:", 0), 0u) << r.status().message();
}

TEST(InvestigationJsonTest, ParsesAndRejectsRequests) {
  const storage::Tenant t;
  auto r = parse_investigation_request(
      R"({"start": 1700000000000, "end": "2023-11-14T22:23:20Z", "service": "checkout"})", t,
      kOrigin);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->start_ms, 1'700'000'000'000);
  EXPECT_EQ(r->end_ms, 1'700'000'600'000);
  EXPECT_EQ(r->service, "checkout");
  r = parse_investigation_request(R"({"start": "now-30m"})", t, kOrigin);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->start_ms, kOrigin - 30 * kMin);
  EXPECT_EQ(r->end_ms, kOrigin);
  EXPECT_EQ(investigation_request_json(*r), R"({"start":1699998200000,"end":1700000000000})");

  auto field_of = [&](std::string_view body) {
    auto x = parse_investigation_request(body, t, kOrigin);
    EXPECT_FALSE(x.ok()) << body;
    if (x.ok()) return std::string();
    EXPECT_EQ(x.status().code(), Code::kInvalidArgument);
    const std::string& m = x.status().message();
    return m.substr(0, m.find(':'));
  };
  EXPECT_EQ(field_of(R"({})"), "start");
  EXPECT_EQ(field_of(R"({"start": true})"), "start");
  EXPECT_EQ(field_of(R"({"start": "yesterday"})"), "start");
  EXPECT_EQ(field_of(R"({"start": 1700000000000, "end": 1600000000000})"), "end");
  EXPECT_EQ(field_of(R"({"start": 1700000000000, "service": 3})"), "service");
  EXPECT_EQ(field_of(R"([1])"), "request body");
  EXPECT_EQ(field_of(R"({"start": )"), "request body");
}

}  // namespace
}  // namespace opsight::aiops
