#include "ingest/otlp/otlp_to_series.h"

#include <gtest/gtest.h>

#include <cmath>

namespace opsight::ingest::otlp {
namespace {

// Mapping over a hand-built model, without a wire format in between.
TEST(OtlpToSeries, DeltaHistogramAndSummaryStale) {
  ExportMetricsRequest req;
  Metric& h =
      req.resource_metrics.emplace_back().scope_metrics.emplace_back().metrics.emplace_back();
  h.name = "d";
  h.set_type(MetricType::kHistogram);
  set_temporality(&h, 1);
  HistogramPoint& hp = h.histogram_points.emplace_back();
  hp.time_unix_nano = 5'000'000;
  hp.count = 4;
  hp.has_sum = true;
  hp.sum = 8;
  // No buckets at all: only +Inf, _sum and _count.
  Metric& s = req.resource_metrics[0].scope_metrics[0].metrics.emplace_back();
  s.name = "s";
  s.set_type(MetricType::kSummary);
  SummaryPoint& sp = s.summary_points.emplace_back();
  sp.time_unix_nano = 7'999'999;
  sp.flags = kFlagNoRecordedValue;
  sp.quantiles = {{0.5, 1}};

  MetricBatch batch;
  OtlpResult result;
  map_metrics_to_series(req, &batch, &result);
  EXPECT_EQ(result.rejected_data_points, 0u);
  std::vector<std::string> names;
  for (const auto& ss : batch.series) {
    names.push_back(ss.labels.to_string());
    ASSERT_EQ(ss.samples.size(), 1u);
  }
  std::vector<std::string> want = {
      "d_bucket{le=\"+Inf\"}", "d_sum{}", "d_count{}",
      "s{quantile=\"0.5\"}",   "s_sum{}", "s_count{}",
  };
  EXPECT_EQ(names, want);
  EXPECT_EQ(batch.series[0].samples[0].t, 5);
  EXPECT_EQ(batch.series[0].samples[0].v, 4);
  EXPECT_EQ(batch.series[1].samples[0].v, 8);
  for (size_t i = 3; i < 6; i++) {
    EXPECT_EQ(batch.series[i].samples[0].t, 7);
    EXPECT_TRUE(storage::is_stale_nan(batch.series[i].samples[0].v));
  }
  ASSERT_EQ(batch.metadata.size(), 2u);
  EXPECT_EQ(batch.metadata[0].metric, "d");
  EXPECT_EQ(batch.metadata[0].meta.type, "histogram");
  EXPECT_EQ(batch.metadata[1].meta.type, "summary");
}

TEST(OtlpToSeries, PointErrorFromDecoderIsReported) {
  ExportMetricsRequest req;
  Metric& g =
      req.resource_metrics.emplace_back().scope_metrics.emplace_back().metrics.emplace_back();
  g.name = "g";
  g.set_type(MetricType::kGauge);
  NumberPoint& p = g.number_points.emplace_back();
  p.time_unix_nano = 1;
  p.error = "asDouble must be a double";
  MetricBatch batch;
  OtlpResult result;
  result.error_message = "earlier";
  map_metrics_to_series(req, &batch, &result);
  EXPECT_EQ(result.rejected_data_points, 1u);
  EXPECT_TRUE(batch.series.empty());
  EXPECT_EQ(result.error_message,
            "earlier; resource_metrics[0].scope_metrics[0].metrics[0] \"g\" data_points[0]: "
            "asDouble must be a double");
}

TEST(OtlpToSeries, TooManyExponentialBucketsRejected) {
  ExportMetricsRequest req;
  Metric& e =
      req.resource_metrics.emplace_back().scope_metrics.emplace_back().metrics.emplace_back();
  e.name = "e";
  e.set_type(MetricType::kExponentialHistogram);
  set_temporality(&e, 2);
  ExpHistogramPoint& p = e.exp_histogram_points.emplace_back();
  p.time_unix_nano = 1'000'000;
  p.scale = 20;
  p.positive.bucket_counts.assign(kMaxExpHistogramBuckets + 1, 1);
  p.count = kMaxExpHistogramBuckets + 1;
  MetricBatch batch;
  OtlpResult result;
  map_metrics_to_series(req, &batch, &result);
  EXPECT_EQ(result.rejected_data_points, 1u);
  ASSERT_EQ(batch.errors.size(), 1u);
  EXPECT_NE(batch.errors[0].message.find("populated buckets > limit"), std::string::npos);
  // Within the limit, every populated bucket becomes one series with distinct, increasing le.
  p.positive.bucket_counts.resize(100);
  p.count = 100;
  MetricBatch ok;
  OtlpResult r2;
  map_metrics_to_series(req, &ok, &r2);
  EXPECT_EQ(r2.rejected_data_points, 0u);
  EXPECT_EQ(ok.series.size(), 100u + 2u);  // 100 buckets, +Inf, _count (no sum was set)
  double prev = -INFINITY;
  for (size_t i = 0; i < 100; i++) {
    double le = std::stod(std::string(ok.series[i].labels.get("le")));
    EXPECT_GT(le, prev);
    prev = le;
    EXPECT_EQ(ok.series[i].samples[0].v, static_cast<double>(i + 1));
  }
}

}  // namespace
}  // namespace opsight::ingest::otlp
