// The engine's API and limits over a real tsdb::Db (the semantics are in the script tests).
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>

#include "promql/promql_test_util.h"
#include "query/promql/parser.h"

namespace opsight::query::promql {
namespace {

using testing::TestStore;

// A clock whose monotonic time advances 1 ms every time it is read.
class SteppingClock final : public Clock {
 public:
  int64_t now_ms() const override { return 0; }
  int64_t mono_ns() const override { return ns_.fetch_add(1'000'000); }

 private:
  mutable std::atomic<int64_t> ns_{0};
};

class PromqlEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // 20 series `load{i="0".."19"}`, a sample every minute for an hour (value = i * minute).
    for (int i = 0; i < 20; i++) {
      std::vector<storage::Sample> s;
      for (int m = 0; m <= 60; m++) s.push_back(storage::Sample::value(m * 60'000, i * m));
      ASSERT_TRUE(store_.append(Labels{{"__name__", "load"}, {"i", std::to_string(i)}}, s).ok());
    }
  }
  Expr parse(std::string_view q) {
    auto e = parse_expr(q);
    EXPECT_TRUE(e.ok()) << e.status().to_string();
    return e.ok() ? std::move(*e) : Expr{};
  }
  Result<Value> instant(const Engine& eng, std::string_view q, int64_t t, QueryControl c = {}) {
    Expr e = parse(q);
    return eng.instant(store_.db(), {}, e, t, c);
  }
  Result<Value> range(const Engine& eng, std::string_view q, int64_t start, int64_t end,
                      int64_t step) {
    Expr e = parse(q);
    return eng.range(store_.db(), {}, e, start, end, step);
  }

  TestStore store_;
};

TEST_F(PromqlEngineTest, ValueShapes) {
  Engine eng;
  auto s = instant(eng, "1 + 2", 0);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(std::get<Scalar>(*s).v, 3);
  auto v = instant(eng, "load{i=\"3\"}", 10 * 60'000);
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(std::get<Vector>(*v).size(), 1u);
  EXPECT_EQ(std::get<Vector>(*v)[0].v, 30);
  EXPECT_EQ(std::get<Vector>(*v)[0].t, 10 * 60'000);
  auto m = instant(eng, "load{i=\"3\"}[2m]", 10 * 60'000);
  ASSERT_TRUE(m.ok());
  const auto& mat = std::get<Matrix>(*m);
  ASSERT_EQ(mat.size(), 1u);
  ASSERT_EQ(mat[0].points.size(), 3u);
  EXPECT_EQ(mat[0].points[0].t, 8 * 60'000);  // raw sample times
  auto str = instant(eng, "\"x\"", 0);
  ASSERT_TRUE(str.ok());
  EXPECT_EQ(std::get<String>(*str).v, "x");

  auto r = range(eng, "time()", 0, 120'000, 60'000);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(std::get<Matrix>(*r).size(), 1u);
  EXPECT_EQ(std::get<Matrix>(*r)[0].points.size(), 3u);
  auto sorted = range(eng, "load", 0, 0, 1000);
  ASSERT_TRUE(sorted.ok());
  const auto& sm = std::get<Matrix>(*sorted);
  for (size_t i = 1; i < sm.size(); i++) EXPECT_TRUE(sm[i - 1].labels < sm[i].labels);

  EXPECT_EQ(range(eng, "load", 0, 60'000, 0).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(range(eng, "load", 60'000, 0, 1000).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(range(eng, "\"x\"", 0, 60'000, 1000).status().code(), Code::kInvalidArgument);
}

TEST_F(PromqlEngineTest, RangeQueryEqualsInstantQueriesAtEachStep) {
  Engine eng;
  const char* queries[] = {
      "load",
      "rate(load[5m])",
      "sum by (i) (increase(load[10m])) / 2",
      "avg_over_time(load[7m] offset 3m)",
      "topk(3, load)",
      "load > on(i) group_left load * 0.5",
      "histogram_quantile(0.5, label_replace(load, \"le\", \"$1\", \"i\", \"(.*)\"))",
      "max_over_time(deriv(load[5m])[10m:2m])",
      "count_values(\"v\", load{i=~\"1.\"} % 3)",
      "absent(nope) or vector(time())",
      "quantile(0.3, load) + scalar(sum(load))",
      "holt_winters(load[10m], 0.5, 0.5)",
      "predict_linear(load[10m], 60)",
      "load @ 600",
  };
  const int64_t start = 0, end = 70 * 60'000, step = 150'000;
  for (const char* q : queries) {
    SCOPED_TRACE(q);
    auto r = range(eng, q, start, end, step);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    const auto& m = std::get<Matrix>(*r);
    for (int64_t t = start; t <= end; t += step) {
      auto v = instant(eng, q, t);
      ASSERT_TRUE(v.ok()) << v.status().to_string();
      const auto& vec = std::get<Vector>(*v);
      size_t at_t = 0;
      for (const auto& s : m) {
        for (const auto& p : s.points) {
          if (p.t != t) continue;
          at_t++;
          auto it = std::find_if(vec.begin(), vec.end(),
                                 [&](const VectorSample& x) { return x.labels == s.labels; });
          ASSERT_NE(it, vec.end()) << s.labels.to_string() << " at " << t;
          EXPECT_TRUE(it->v == p.v || (std::isnan(it->v) && std::isnan(p.v)))
              << s.labels.to_string() << " at " << t << ": " << it->v << " vs " << p.v;
        }
      }
      EXPECT_EQ(at_t, vec.size()) << "at " << t;
    }
  }
}

TEST_F(PromqlEngineTest, StatisticSetsAreInvisible) {
  std::vector<storage::Sample> s = {storage::Sample::stat_set(0, {1, 2, 3, 4}),
                                    storage::Sample::value(60'000, 7),
                                    storage::Sample::stat_set(120'000, {1, 2, 3, 4})};
  ASSERT_TRUE(store_.append(Labels{{"__name__", "cw"}}, s).ok());
  Engine eng;
  auto v = instant(eng, "count_over_time(cw[10m])", 180'000);
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(std::get<Vector>(*v).size(), 1u);
  EXPECT_EQ(std::get<Vector>(*v)[0].v, 1);
  auto last = instant(eng, "cw", 180'000);
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(std::get<Vector>(*last).size(), 1u);
  EXPECT_EQ(std::get<Vector>(*last)[0].v, 7);
}

TEST_F(PromqlEngineTest, MaxSamples) {
  EngineOptions o;
  o.max_samples = 100;
  Engine eng(o);
  // 20 series x 1 point fit; 20 series x 61 steps do not.
  EXPECT_TRUE(instant(eng, "sum(load)", 600'000).ok());
  auto r = range(eng, "sum(load)", 0, 3'600'000, 60'000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kResourceExhausted);
  EXPECT_NE(r.status().message().find("too many samples"), std::string::npos);
  // A range function's window counts too: one series, 61 raw samples in the window.
  auto w = instant(eng, "count_over_time(load{i=\"1\"}[2h])", 3'600'000);
  EXPECT_TRUE(w.ok());
  o.max_samples = 20;
  Engine exact(o);
  // 20 points held; parentheses pass the same points through and do not count twice.
  EXPECT_TRUE(instant(exact, "((load))", 600'000).ok());
  EXPECT_FALSE(instant(exact, "load or vector(1)", 600'000).ok());
  o.max_samples = 50;
  Engine small(o);
  EXPECT_EQ(instant(small, "count_over_time(load{i=\"1\"}[2h])", 3'600'000).status().code(),
            Code::kResourceExhausted);
}

// An aggregation directly over a range function is folded series by series (no intermediate
// vector); it must equal the step-by-step aggregation bit for bit. `+ 0` keeps the values
// and forces the step-by-step plan.
TEST_F(PromqlEngineTest, FoldedAggregationEqualsStepByStep) {
  // Counters with resets and a gap, in two groups.
  std::mt19937_64 rng(11);
  for (int i = 0; i < 12; i++) {
    std::vector<storage::Sample> s;
    double v = 0;
    for (int k = 0; k <= 240; k++) {
      if (k % 50 == 7 + i) v = 0;  // reset
      if (i == 3 && k > 100 && k < 130) continue;
      v += static_cast<double>(rng() % 1000) / 10;
      s.push_back(storage::Sample::value(k * 15'000 + i * 100, v));
    }
    ASSERT_TRUE(store_
                    .append(Labels{{"__name__", "c"},
                                   {"g", i % 2 == 0 ? "even" : "odd"},
                                   {"i", std::to_string(i)}},
                            s)
                    .ok());
  }
  Engine eng;
  for (std::string op : {"sum", "avg", "count", "min", "max", "group", "stddev", "stdvar"}) {
    for (std::string fn : {"rate(c[2m])", "increase(c[5m])", "max_over_time(c[1m])",
                           "last_over_time(c[30s])", "deriv(c[3m])"}) {
      for (std::string by : {" by (g)", " without (i)", ""}) {
        std::string fused = op + by + " (" + fn + ")";
        std::string plain = op + by + " (" + fn + " + 0)";
        auto a = range(eng, fused, 0, 3'600'000, 15'000);
        auto b = range(eng, plain, 0, 3'600'000, 15'000);
        ASSERT_TRUE(a.ok() && b.ok()) << fused;
        const auto& ma = std::get<Matrix>(*a);
        const auto& mb = std::get<Matrix>(*b);
        ASSERT_EQ(ma.size(), mb.size()) << fused;
        for (size_t i = 0; i < ma.size(); i++) {
          EXPECT_EQ(ma[i].labels, mb[i].labels) << fused;
          ASSERT_EQ(ma[i].points.size(), mb[i].points.size()) << fused;
          for (size_t k = 0; k < ma[i].points.size(); k++) {
            EXPECT_EQ(ma[i].points[k].t, mb[i].points[k].t) << fused;
            double x = ma[i].points[k].v, y = mb[i].points[k].v;
            EXPECT_TRUE(x == y || (std::isnan(x) && std::isnan(y)))
                << fused << " " << x << " " << y;
          }
        }
      }
    }
  }
  // Two inputs that collide once the name is dropped are still an error.
  ASSERT_TRUE(store_
                  .append(Labels{{"__name__", "d"}, {"g", "even"}, {"i", "0"}},
                          {storage::Sample::value(0, 1), storage::Sample::value(60'000, 2)})
                  .ok());
  auto r = instant(eng, "sum(rate({__name__=~\"c|d\", i=\"0\"}[5m]))", 60'000);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("same labelset"), std::string::npos);
}

TEST_F(PromqlEngineTest, MaxSeries) {
  EngineOptions o;
  o.max_series = 10;
  Engine eng(o);
  EXPECT_TRUE(instant(eng, "load{i=~\"1.\"}", 0).ok());  // exactly 10
  for (const char* q : {"load", "rate(load[5m])", "load[5m]"}) {
    auto r = instant(eng, q, 600'000);
    ASSERT_FALSE(r.ok()) << q;
    EXPECT_EQ(r.status().code(), Code::kResourceExhausted) << q;
    EXPECT_NE(r.status().message().find("max_series"), std::string::npos);
  }
}

TEST_F(PromqlEngineTest, DeadlineAndCancel) {
  SteppingClock clock;
  EngineOptions o;
  o.clock = &clock;
  o.timeout_ms = 5;
  Engine eng(o);
  auto r = range(eng, "sum(rate(load[5m]))", 0, 3'600'000, 60'000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded);

  Engine unlimited;
  std::atomic<bool> cancel{true};
  auto c = instant(unlimited, "load", 0, QueryControl{&cancel});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kCancelled);
  cancel = false;
  EXPECT_TRUE(instant(unlimited, "load", 0, QueryControl{&cancel}).ok());
}

TEST_F(PromqlEngineTest, LookbackDeltaOption) {
  EngineOptions o;
  o.lookback_delta_ms = 30'000;
  Engine eng(o);
  auto v = instant(eng, "load{i=\"1\"}", 3'600'000 + 31'000);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(std::get<Vector>(*v).empty());
}

}  // namespace
}  // namespace opsight::query::promql
