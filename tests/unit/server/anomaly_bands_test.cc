// ANOMALY_DETECTION_BAND honours the ExcludedTimeRanges of the caller's anomaly detector
// (server/anomaly_bands.h): an incident inside an excluded range no longer widens the band.
#include "server/anomaly_bands.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>

#include "common/clock.h"
#include "query/metricmath/metric_fetch.h"
#include "testing/temp_dir.h"

namespace opsight::server {
namespace {

namespace mm = query::metricmath;

constexpr int64_t kT0 = 1'700'006'400'000;  // a multiple of 5 minutes
constexpr int64_t kStepMs = 300'000;
constexpr int kPoints = 576;          // two days at 5 minutes
constexpr int kIncidentPoints = 346;  // the first 60%: wild swings

class AnomalyBandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = storage::meta::MetaStore::open(dir_.file("meta.db"), &clock_);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    meta_ = std::move(*m);
    detectors_ = std::make_unique<alarm::AnomalyDetectorService>(meta_.get(), nullptr);
    // A steady metric (10 +- 0.5) whose first 60% is an incident swinging by +-50.
    series_.labels = mm::metric_identity("App", "Latency", {{"Service", "api"}});
    series_.stat = "Average";
    series_.period_ms = kStepMs;
    std::mt19937 rng(42);
    std::uniform_real_distribution<double> noise(-0.5, 0.5);
    for (int i = 0; i < kPoints; i++) {
      double v = 10 + noise(rng);
      if (i < kIncidentPoints) v += (i % 2 == 0 ? 50 : -50);
      series_.push(kT0 + i * kStepMs, v);
    }
  }

  // Width of the band at the newest point, as `tenant` sees it.
  double width(const storage::Tenant& tenant, const mm::MetricMathOptions& o) {
    mm::MetricMathOptions t = mm::for_tenant(o, tenant);
    auto band = t.anomaly_band(series_, 2, kStepMs);
    EXPECT_TRUE(band.ok()) << band.status().to_string();
    if (!band.ok()) return NAN;
    return band->upper.back() - band->lower.back();
  }

  Status put_detector(const std::string& stat) {
    auto d = alarm::parse_anomaly_detector_request(
        R"({"Namespace":"App","MetricName":"Latency","Stat":")" + stat +
        R"(","Dimensions":[{"Name":"Service","Value":"api"}],"Configuration":{
          "ExcludedTimeRanges":[{"StartTime":)" +
        std::to_string(kT0 / 1000) + R"(,"EndTime":)" +
        std::to_string((kT0 + kIncidentPoints * kStepMs) / 1000) + "}]}}");
    if (!d.ok()) return d.status();
    return detectors_->put(tenant_, *d);
  }

  testing::TempDir dir_{"anomaly_bands_test"};
  ManualClock clock_{kT0};
  std::unique_ptr<storage::meta::MetaStore> meta_;
  std::unique_ptr<alarm::AnomalyDetectorService> detectors_;
  mm::TimeSeries series_;
  storage::Tenant tenant_{"123456789012", "local"};
};

TEST_F(AnomalyBandsTest, AnExcludedIncidentNoLongerWidensTheBand) {
  const mm::MetricMathOptions o = metric_math_options(detectors_.get());
  const double before = width(tenant_, o);
  ASSERT_TRUE(put_detector("Average").ok());
  const double after = width(tenant_, o);
  ASSERT_TRUE(std::isfinite(before) && std::isfinite(after)) << before << " " << after;
  // Trained on the incident the band spans tens of units; without it about +-2 sigma of the
  // +-0.5 noise.
  EXPECT_GT(before, 20.0);
  EXPECT_LT(after, 5.0);
  EXPECT_LT(after * 4, before);
  // Other tenants, and the same metric read with another statistic, keep the full history.
  EXPECT_DOUBLE_EQ(width({"210987654321", "local"}, o), before);
}

TEST_F(AnomalyBandsTest, ADetectorForAnotherStatisticChangesNothing) {
  const mm::MetricMathOptions o = metric_math_options(detectors_.get());
  const double before = width(tenant_, o);
  ASSERT_TRUE(put_detector("p99").ok());
  EXPECT_DOUBLE_EQ(width(tenant_, o), before);
}

TEST_F(AnomalyBandsTest, ComputedSeriesAndNoDetectorsUseTheWholeHistory) {
  const mm::MetricMathOptions plain = metric_math_options(nullptr);
  EXPECT_FALSE(plain.tenant_anomaly_band);
  const double base = width(tenant_, plain);
  ASSERT_TRUE(put_detector("Average").ok());
  const mm::MetricMathOptions o = metric_math_options(detectors_.get());
  series_.labels = Labels();  // a computed series (an expression's result)
  EXPECT_DOUBLE_EQ(width(tenant_, o), base);
}

}  // namespace
}  // namespace opsight::server
