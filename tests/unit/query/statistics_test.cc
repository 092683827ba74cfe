#include "query/stats/statistics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace opsight::query {
namespace {

// An in-memory Querier over fixed series, enough to exercise the statistics computation.
class VectorIterator final : public storage::SeriesIterator {
 public:
  explicit VectorIterator(const std::vector<storage::Sample>* s) : s_(s) {}
  bool next() override { return ++i_ < s_->size(); }
  bool seek(int64_t t) override {
    if (i_ == SIZE_MAX) i_ = 0;
    while (i_ < s_->size() && (*s_)[i_].t < t) i_++;
    return i_ < s_->size();
  }
  const storage::Sample& at() const override { return (*s_)[i_]; }

 private:
  const std::vector<storage::Sample>* s_;
  size_t i_ = SIZE_MAX;
};

struct VectorSeries final : storage::Series {
  Labels l;
  storage::Tenant tenant_;
  std::vector<storage::Sample> samples;
  const Labels& labels() const override { return l; }
  const storage::Tenant& tenant() const override { return tenant_; }
  std::unique_ptr<storage::SeriesIterator> iterator() const override {
    return std::make_unique<VectorIterator>(&samples);
  }
};

class VectorSet final : public storage::SeriesSet {
 public:
  explicit VectorSet(std::vector<const VectorSeries*> s) : s_(std::move(s)) {}
  bool next() override { return ++i_ < s_.size(); }
  const storage::Series& at() const override { return *s_[i_]; }
  Status err() const override { return OkStatus(); }

 private:
  std::vector<const VectorSeries*> s_;
  size_t i_ = SIZE_MAX;
};

class VectorQuerier final : public storage::Querier {
 public:
  std::vector<VectorSeries> series;
  std::unique_ptr<storage::SeriesSet> select(bool, const storage::SelectHints&,
                                             std::span<const storage::Matcher> ms) override {
    std::vector<const VectorSeries*> out;
    for (const auto& s : series) {
      bool ok = true;
      for (const auto& m : ms) ok = ok && m.matches(s.l.get(m.name()));
      if (ok) out.push_back(&s);
    }
    return std::make_unique<VectorSet>(std::move(out));
  }
  Result<std::vector<std::string>> label_names(std::span<const storage::Matcher>) override {
    return std::vector<std::string>{};
  }
  Result<std::vector<std::string>> label_values(std::string_view,
                                                std::span<const storage::Matcher>) override {
    return std::vector<std::string>{};
  }
  std::optional<storage::MetricMetadata> metadata(std::string_view) override {
    return storage::MetricMetadata{"gauge", "", "Milliseconds"};
  }
};

TEST(ComputeStatistics, PeriodsValuesAndStatSets) {
  VectorQuerier q;
  VectorSeries s;
  s.l = Labels{{"__name__", "Latency"}, {"Namespace", "App"}};
  // Period 1 [0, 60s): values 1..10. Period 2 [60s, 120s): a stat set and a value.
  for (int i = 1; i <= 10; i++) s.samples.push_back(storage::Sample::value(i * 1000, i));
  s.samples.push_back(storage::Sample::stat_set(60'000, {4, 100, 10, 40}));
  s.samples.push_back(storage::Sample::value(61'000, 50));
  s.samples.push_back(storage::Sample::value(62'000, std::nan("")));  // skipped
  q.series.push_back(s);

  StatisticsRequest req;
  req.matchers = {storage::Matcher::equal("__name__", "Latency")};
  req.start_ms = 0;
  req.end_ms = 120'000;
  req.period_ms = 60'000;
  req.statistics = {"SampleCount", "Sum", "Average", "Minimum", "Maximum", "p90", "p50"};
  auto r = compute_statistics(q, req);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 1u);
  const auto& dps = (*r)[0].datapoints;
  EXPECT_EQ((*r)[0].unit, "Milliseconds");
  ASSERT_EQ(dps.size(), 2u);
  EXPECT_EQ(dps[0].timestamp_ms, 0);
  EXPECT_EQ(dps[0].values, (std::vector<double>{10, 55, 5.5, 1, 10, 9, 5}));
  EXPECT_EQ(dps[1].timestamp_ms, 60'000);
  // Stat set {4,100,10,40} + value 50: count 5, sum 150, min 10, max 50; p90 of floats {50}.
  EXPECT_EQ(dps[1].values, (std::vector<double>{5, 150, 30, 10, 50, 50, 50}));
}

TEST(ComputeStatistics, Validation) {
  VectorQuerier q;
  StatisticsRequest req;
  req.start_ms = 0;
  req.end_ms = 1000;
  req.statistics = {"Median"};
  auto r = compute_statistics(q, req);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unknown statistic \"Median\""), std::string::npos);
  EXPECT_TRUE(validate_statistic("p99.9").ok());
  EXPECT_FALSE(validate_statistic("p101").ok());
  req.statistics = {"Sum"};
  req.end_ms = 0;
  EXPECT_FALSE(compute_statistics(q, req).ok());
}

TEST(PercentileNearestRank, Definition) {
  std::vector<double> v{15, 20, 35, 40, 50};
  EXPECT_EQ(percentile_nearest_rank(v, 5), 15);
  EXPECT_EQ(percentile_nearest_rank(v, 30), 20);
  EXPECT_EQ(percentile_nearest_rank(v, 40), 20);
  EXPECT_EQ(percentile_nearest_rank(v, 50), 35);
  EXPECT_EQ(percentile_nearest_rank(v, 100), 50);
}

// Values 1..10, hand-computed: a% drops floor(a% * n) lowest values, b% drops
// floor((100 - b)% * n) highest.
double stat_of(std::string_view name, std::vector<double> v) {
  auto spec = parse_statistic(name);
  EXPECT_TRUE(spec.ok()) << name << ": " << spec.status().to_string();
  if (!spec.ok()) return -12345;
  std::sort(v.begin(), v.end());
  return value_statistic(*spec, v);
}

TEST(ExtendedStatistics, TrimmedAndWinsorizedMeans) {
  std::vector<double> v{10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
  EXPECT_DOUBLE_EQ(stat_of("tm90", v), 5);           // 1..9
  EXPECT_DOUBLE_EQ(stat_of("TM90", v), 5);           // case-insensitive short form
  EXPECT_DOUBLE_EQ(stat_of("TM(10%:90%)", v), 5.5);  // 2..9
  EXPECT_DOUBLE_EQ(stat_of("tm(10%:)", v), 6);       // 2..10
  EXPECT_DOUBLE_EQ(stat_of("TM(2:8)", v), 5.5);      // 3..8 (lower exclusive)
  EXPECT_DOUBLE_EQ(stat_of("IQM", v), 5.5);          // 2 trimmed each side: 3..8
  EXPECT_DOUBLE_EQ(stat_of("wm90", v), 5.4);         // 1..9 and 10 -> 9: 54 / 10
  EXPECT_DOUBLE_EQ(stat_of("WM(10%:90%)", v), 5.5);  // 2,2,3..9,9: 55 / 10
  EXPECT_DOUBLE_EQ(stat_of("WM(3:7)", v), 5.5);      // 4,4,4,4,5,6,7,7,7,7: 55 / 10
  EXPECT_TRUE(std::isnan(stat_of("TM(20:30)", v)));  // nothing in range
  EXPECT_TRUE(std::isnan(stat_of("tm99", {})));      // no values
  // Mixed bound kinds: above rank 1 (10%) and at most 5.
  EXPECT_DOUBLE_EQ(stat_of("TM(10%:5)", v), 3.5);
}

TEST(ExtendedStatistics, CountsSumsAndPercentileRank) {
  std::vector<double> v{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_DOUBLE_EQ(stat_of("tc90", v), 9);
  EXPECT_DOUBLE_EQ(stat_of("TC(:5)", v), 5);
  EXPECT_DOUBLE_EQ(stat_of("TC(:0.5)", v), 0);
  EXPECT_DOUBLE_EQ(stat_of("ts90", v), 45);
  EXPECT_DOUBLE_EQ(stat_of("TS(2:5)", v), 12);  // 3 + 4 + 5
  EXPECT_DOUBLE_EQ(stat_of("TS(20:)", v), 0);
  EXPECT_DOUBLE_EQ(stat_of("PR(:3)", v), 30);
  EXPECT_DOUBLE_EQ(stat_of("PR(2.5:7)", v), 50);  // 3..7
  EXPECT_DOUBLE_EQ(stat_of("PR(:300)", v), 100);
  EXPECT_DOUBLE_EQ(stat_of("p90", v), 9);
  // TS = TM * TC.
  EXPECT_DOUBLE_EQ(stat_of("TS(10%:90%)", v),
                   stat_of("TM(10%:90%)", v) * stat_of("TC(10%:90%)", v));
  // 10% of 5 values rounds down to 0: nothing is trimmed; 20% of 5 is one value.
  EXPECT_DOUBLE_EQ(stat_of("tm90", {1, 2, 3, 4, 100}), 22);
  EXPECT_DOUBLE_EQ(stat_of("tm80", {1, 2, 3, 4, 100}), 2.5);
  // One sample per period keeps its value.
  EXPECT_DOUBLE_EQ(stat_of("tm99", {7}), 7);
  EXPECT_DOUBLE_EQ(stat_of("IQM", {7}), 7);
}

TEST(ExtendedStatistics, InvalidNames) {
  for (const char* bad : {"TM(90%:10%)", "TM(:)", "TM(1:2", "tm0", "tm101", "PR(10%:20%)", "PR90",
                          "TM(a:b)", "TC(:150%)", "wm", "iqm2", "Median"}) {
    auto r = parse_statistic(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find(bad), std::string::npos) << r.status().message();
    }
  }
  EXPECT_TRUE(validate_statistic("TM(10%:90%)").ok());
  EXPECT_TRUE(validate_statistic("iqm").ok());
  EXPECT_TRUE(validate_statistic("PR(100:2000)").ok());
}

TEST(ComputeStatistics, ExtendedPerPeriod) {
  VectorQuerier q;
  VectorSeries s;
  s.l = Labels{{"__name__", "Latency"}, {"Namespace", "App"}};
  for (int i = 1; i <= 10; i++) s.samples.push_back(storage::Sample::value(i * 1000, i));
  // A period with only a statistic set: the extended statistics have no values (NaN).
  s.samples.push_back(storage::Sample::stat_set(60'000, {4, 100, 10, 40}));
  q.series.push_back(s);
  StatisticsRequest req;
  req.matchers = {storage::Matcher::equal("__name__", "Latency")};
  req.start_ms = 0;
  req.end_ms = 120'000;
  req.statistics = {"TM(10%:90%)", "wm90", "TC(:5)", "TS(2:5)", "PR(:3)", "IQM", "SampleCount"};
  auto r = compute_statistics(q, req);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 1u);
  const auto& dps = (*r)[0].datapoints;
  ASSERT_EQ(dps.size(), 2u);
  EXPECT_EQ(dps[0].values, (std::vector<double>{5.5, 5.4, 5, 12, 30, 5.5, 10}));
  EXPECT_TRUE(std::isnan(dps[1].values[0]));
  EXPECT_EQ(dps[1].values[6], 4);
}

}  // namespace
}  // namespace opsight::query
