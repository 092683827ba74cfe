#include "aiops/investigate/metric_analysis.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "testing/any_time_tsdb.h"

namespace opsight::aiops {
namespace {

constexpr int64_t kStart = 1'700'000'000'000;  // window start
constexpr int64_t kBaselineStart = kStart - 3'600'000;
constexpr int64_t kEnd = kStart + 900'000;
constexpr int64_t kStep = 15'000;

AnalysisWindow window() {
  return AnalysisWindow{storage::Tenant{}, kBaselineStart, kStart, kEnd};
}

class MetricAnalysisTest : public ::testing::Test {
 protected:
  // A gauge over B + W: `before` until `jump_at`, then `after`, with +-1% noise (fixed seed).
  void gauge(const Labels& labels, double before, double after, int64_t jump_at) {
    std::vector<storage::Sample> samples;
    for (int64_t t = kBaselineStart; t < kEnd; t += kStep) {
      double base = t < jump_at ? before : after;
      samples.push_back(storage::Sample::value(t, base * (1 + noise_(rng_))));
    }
    ASSERT_TRUE(tsdb_.append(labels, samples).ok());
  }

  testing::AnyTimeTsdb tsdb_;
  std::mt19937 rng_{42};
  std::uniform_real_distribution<double> noise_{-0.01, 0.01};
};

TEST_F(MetricAnalysisTest, OneServiceSaturatesInTheWindow) {
  const int64_t jump = kStart + 120'000;
  gauge({{"__name__", "process_cpu_utilization_ratio"}, {"service", "alpha"}}, 0.2, 0.2, 0);
  gauge({{"__name__", "process_cpu_utilization_ratio"}, {"service", "beta"}}, 0.2, 0.95, jump);
  gauge({{"__name__", "process_cpu_utilization_ratio"}, {"service", "gamma"}}, 0.3, 0.3, 0);
  InvestigationStats stats;
  auto found = analyze_metrics(tsdb_.db(), window(), &stats);
  ASSERT_TRUE(found.ok()) << found.status().to_string();
  ASSERT_EQ(found->size(), 1u);
  const ComponentFinding& f = (*found)[0];
  EXPECT_EQ(f.component, "beta");
  EXPECT_EQ(f.component_type, "service");
  EXPECT_EQ(f.kind, "saturation");
  EXPECT_EQ(f.onset_ms, jump);
  EXPECT_GT(f.strength, 0.9);
  EXPECT_LE(f.strength, 1.0);
  EXPECT_NEAR(f.facts.at("baseline"), 0.2, 0.01);
  EXPECT_NEAR(f.facts.at("window"), 0.95, 0.02);
  EXPECT_NE(f.clause.find("beta process_cpu_utilization_ratio rose"), std::string::npos)
      << f.clause;
  ASSERT_EQ(f.evidence.size(), 1u);
  const Evidence& e = f.evidence[0];
  EXPECT_EQ(e.type, "metric");
  EXPECT_EQ(e.link.rfind("/api/v1/query_range?query=process_cpu_utilization_ratio%7B", 0), 0u)
      << e.link;
  EXPECT_NE(e.link.find("&step="), std::string::npos);
  EXPECT_NE(e.data_json.find("\"labels\":{\"service\":\"beta\"}"), std::string::npos);
  // 300 raw points over B + W are downsampled to at most 120.
  size_t points = 0;
  for (size_t i = e.data_json.find("\"points\""); i < e.data_json.size(); i++) {
    if (e.data_json[i] == '[') points++;
  }
  EXPECT_LE(points - 1, kMaxEvidencePoints);
  EXPECT_GE(points - 1, 60u);
  EXPECT_EQ(stats.series_read, 3u);
  EXPECT_TRUE(stats.complete);
}

TEST_F(MetricAnalysisTest, FlatDataGivesNoFinding) {
  for (const char* s : {"alpha", "beta", "gamma"}) {
    gauge({{"__name__", "process_cpu_utilization_ratio"}, {"service", s}}, 0.2, 0.2, 0);
    gauge({{"__name__", "process_memory_usage_bytes"}, {"service", s}}, 5e8, 5e8, 0);
  }
  auto found = analyze_metrics(tsdb_.db(), window(), nullptr);
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->empty());
}

TEST_F(MetricAnalysisTest, IgnoresOtherNamesSeriesWithoutServiceAndDrops) {
  // Not a saturation name, no service label, and a drop: none is a finding.
  gauge({{"__name__", "http_requests_in_flight"}, {"service", "alpha"}}, 5, 50, kStart);
  gauge({{"__name__", "node_cpu_utilization"}, {"instance", "h1"}}, 0.1, 0.9, kStart);
  gauge({{"__name__", "process_cpu_utilization_ratio"}, {"job", "beta"}}, 0.8, 0.1, kStart);
  auto found = analyze_metrics(tsdb_.db(), window(), nullptr);
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->empty());
}

TEST_F(MetricAnalysisTest, CountersAreComparedAsRates) {
  // A GC-time counter of service "job-svc" (named by `job`) whose rate goes 0.01 -> 0.2 s/s.
  const int64_t jump = kStart + 60'000;
  std::vector<storage::Sample> samples;
  double v = 1000;
  for (int64_t t = kBaselineStart; t < kEnd; t += kStep) {
    v += (t <= jump ? 0.01 : 0.2) * kStep / 1000.0;
    samples.push_back(storage::Sample::value(t, v));
  }
  ASSERT_TRUE(
      tsdb_.append({{"__name__", "jvm_gc_seconds_total"}, {"job", "job-svc"}}, samples).ok());
  auto found = analyze_metrics(tsdb_.db(), window(), nullptr);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].component, "job-svc");
  EXPECT_EQ((*found)[0].onset_ms, jump + kStep);
  EXPECT_NEAR((*found)[0].facts.at("window"), 0.2, 1e-6);
  EXPECT_NE((*found)[0].evidence[0].link.find("query=rate%28"), std::string::npos)
      << (*found)[0].evidence[0].link;
}

TEST_F(MetricAnalysisTest, RejectsAnEmptyWindow) {
  auto found = analyze_metrics(tsdb_.db(), AnalysisWindow{{}, kStart, kStart, kStart}, nullptr);
  EXPECT_FALSE(found.ok());
}

}  // namespace
}  // namespace opsight::aiops
