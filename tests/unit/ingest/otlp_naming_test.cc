#include "ingest/otlp/otlp_naming.h"

#include <gtest/gtest.h>

#include <cmath>

namespace opsight::ingest::otlp {
namespace {

TEST(OtlpNaming, PrometheusUnit) {
  EXPECT_EQ(prometheus_unit("s", false), "seconds");
  EXPECT_EQ(prometheus_unit("ms", false), "milliseconds");
  EXPECT_EQ(prometheus_unit("By", false), "bytes");
  EXPECT_EQ(prometheus_unit("By/s", false), "bytes_per_second");
  EXPECT_EQ(prometheus_unit("{packet}", false), "");
  EXPECT_EQ(prometheus_unit("{request}/s", false), "per_second");
  EXPECT_EQ(prometheus_unit("1/s", false), "per_second");
  EXPECT_EQ(prometheus_unit("1", true), "ratio");
  EXPECT_EQ(prometheus_unit("1", false), "");
  EXPECT_EQ(prometheus_unit("%", true), "percent");
  EXPECT_EQ(prometheus_unit("Cel", true), "celsius");
  EXPECT_EQ(prometheus_unit("", true), "");
  EXPECT_EQ(prometheus_unit("widgets/min", false), "widgets_per_minute");
  EXPECT_EQ(prometheus_unit("m/s", false), "meters_per_second");
  EXPECT_EQ(prometheus_unit("kWh-x", false), "kWh_x");
}

TEST(OtlpNaming, MetricName) {
  EXPECT_EQ(prometheus_metric_name("http.server.duration", "s", NameKind::kOther),
            "http_server_duration_seconds");
  EXPECT_EQ(prometheus_metric_name("request.duration.seconds", "s", NameKind::kOther),
            "request_duration_seconds");
  EXPECT_EQ(prometheus_metric_name("system.memory.utilization", "1", NameKind::kGauge),
            "system_memory_utilization_ratio");
  EXPECT_EQ(prometheus_metric_name("system.memory.utilization", "1", NameKind::kCounter),
            "system_memory_utilization_total");
  EXPECT_EQ(prometheus_metric_name("requests", "", NameKind::kCounter), "requests_total");
  EXPECT_EQ(prometheus_metric_name("requests_total", "", NameKind::kCounter), "requests_total");
  EXPECT_EQ(prometheus_metric_name("io.total", "By", NameKind::kCounter), "io_bytes_total");
  EXPECT_EQ(prometheus_metric_name("net.io", "By/s", NameKind::kGauge), "net_io_bytes_per_second");
  EXPECT_EQ(prometheus_metric_name("2xx.responses", "", NameKind::kGauge), "_2xx_responses");
  EXPECT_EQ(prometheus_metric_name("a..b__c.", "", NameKind::kGauge), "a_b_c");
  EXPECT_EQ(prometheus_metric_name("ns:sub.metric", "", NameKind::kGauge), "ns:sub_metric");
  EXPECT_EQ(prometheus_metric_name("läuft", "", NameKind::kGauge), "l_uft");
  EXPECT_EQ(prometheus_metric_name("...", "", NameKind::kGauge), "");
  EXPECT_EQ(prometheus_metric_name("", "s", NameKind::kGauge), "");
}

TEST(OtlpNaming, LabelName) {
  EXPECT_EQ(sanitize_label_name("http.method"), "http_method");
  EXPECT_EQ(sanitize_label_name("0day"), "key_0day");
  EXPECT_EQ(sanitize_label_name("a__b"), "a_b");
  EXPECT_EQ(sanitize_label_name("__name__"), "_name_");
  EXPECT_EQ(sanitize_label_name("ü"), "_");
  EXPECT_EQ(sanitize_label_name(""), "");
  EXPECT_EQ(sanitize_label_name("Already_Valid9"), "Already_Valid9");
}

TEST(OtlpNaming, LabelFloat) {
  EXPECT_EQ(format_label_float(0.005), "0.005");
  EXPECT_EQ(format_label_float(1), "1");
  EXPECT_EQ(format_label_float(1e6), "1000000");
  EXPECT_EQ(format_label_float(0.1), "0.1");
  EXPECT_EQ(format_label_float(-2.5), "-2.5");
  EXPECT_EQ(format_label_float(INFINITY), "+Inf");
  EXPECT_EQ(format_label_float(-INFINITY), "-Inf");
  EXPECT_EQ(format_label_float(NAN), "NaN");
  EXPECT_EQ(format_label_float(std::sqrt(2.0)), "1.4142135623730951");
  EXPECT_EQ(format_label_float(5e-324).size(), 326u);  // fixed notation, no exponent
}

}  // namespace
}  // namespace opsight::ingest::otlp
