// End-to-end through the real HTTP server: ingest over the native APIs, read back through the
// query APIs, restart on the same data directory, read back again.
#include "server/server.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "common/clock.h"
#include "common/logging.h"
#include "net/http_client.h"
#include "server_fixture.h"

namespace opsight::server {
namespace {

class ServerTest : public ServerFixture {};

TEST_F(ServerTest, HealthReadyAndSelfMetrics) {
  EXPECT_EQ(get("/healthz").status, 200);
  EXPECT_EQ(get("/readyz").status, 200);
  auto m = get("/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("process_cpu_seconds_total"), std::string::npos);
  EXPECT_NE(m.body.find("opsight_http_requests_total"), std::string::npos);
  EXPECT_EQ(get("/no/such/thing").status, 404);
}

TEST_F(ServerTest, PutMetricDataStatisticsAndRestart) {
  int64_t now = Clock::real()->now_ms();
  int64_t t0 = (now / 60'000 - 10) * 60'000;  // a minute boundary 10 minutes ago
  std::string ts0 = std::to_string(t0 / 1000), ts1 = std::to_string(t0 / 1000 + 30);
  auto r = post("/api/v1/metrics/put", R"({"Namespace":"Shop","MetricData":[
    {"MetricName":"Latency","Dimensions":[{"Name":"Service","Value":"cart"}],"Value":10,
     "Unit":"Milliseconds","Timestamp":)" + ts0 +
                                           R"(},
    {"MetricName":"Latency","Dimensions":[{"Name":"Service","Value":"cart"}],"Value":30,
     "Unit":"Milliseconds","Timestamp":)" + ts1 +
                                           R"(},
    {"MetricName":"Latency","Dimensions":[{"Name":"Service","Value":"cart"}],
     "StatisticValues":{"SampleCount":2,"Sum":50,"Minimum":20,"Maximum":30},
     "Timestamp":)" + std::to_string(t0 / 1000 + 60) +
                                           R"(},
    {"MetricName":"Latency","Value":1,"Timestamp":1}]})");
  // The last item is far too old: rejected by name, the others kept.
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("MetricData[3]"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"accepted_samples\":3"), std::string::npos) << r.body;

  std::string q = "/api/v1/metrics/statistics?match=" +
                  net::url_encode(R"(Latency{Namespace="Shop",Service="cart"})") +
                  "&start=" + std::to_string(t0 / 1000) +
                  "&end=" + std::to_string(t0 / 1000 + 120) +
                  "&period=60&statistics=SampleCount,Sum,Average,Maximum,p50";
  auto check = [&] {
    auto s = get(q);
    ASSERT_EQ(s.status, 200) << s.body;
    EXPECT_NE(s.body.find(R"("SampleCount":2,"Sum":40,"Average":20,"Maximum":30,"p50":10)"),
              std::string::npos)
        << s.body;
    EXPECT_NE(s.body.find(R"("SampleCount":2,"Sum":50,"Average":25,"Maximum":30)"),
              std::string::npos)
        << s.body;
    EXPECT_NE(s.body.find(R"("unit":"Milliseconds")"), std::string::npos) << s.body;
  };
  check();
  restart();
  check();
}

TEST_F(ServerTest, ImportExportSeriesAndLabels) {
  int64_t t = (Clock::real()->now_ms() / 1000 - 600) * 1000;
  std::string lines;
  for (int i = 0; i < 3; i++) {
    lines += R"({"metric":{"__name__":"requests_total","job":"api","instance":"i)" +
             std::to_string(i) + R"("},"values":[1,2.5],"timestamps":[)" + std::to_string(t) + "," +
             std::to_string(t + 15'000) + "]}\n";
  }
  lines += "{not json}\n";
  auto r = post("/api/v1/import", lines, "application/x-ndjson");
  EXPECT_EQ(r.status, 400) << r.body;  // one bad line reported, three stored
  EXPECT_NE(r.body.find("line 4"), std::string::npos) << r.body;

  auto e = get("/api/v1/export?match[]=" + net::url_encode(R"(requests_total{instance="i1"})"));
  ASSERT_EQ(e.status, 200) << e.body;
  EXPECT_NE(e.body.find(R"("instance":"i1")"), std::string::npos) << e.body;
  EXPECT_NE(e.body.find("[1,2.5]"), std::string::npos) << e.body;
  EXPECT_EQ(std::count(e.body.begin(), e.body.end(), '\n'), 1);

  auto s = get("/api/v1/series?match[]=requests_total");
  EXPECT_EQ(s.status, 200);
  EXPECT_NE(s.body.find(R"("status":"success")"), std::string::npos);
  EXPECT_EQ(std::count(s.body.begin(), s.body.end(), '{') - 1, 3) << s.body;
  auto l = get("/api/v1/labels");
  EXPECT_NE(l.body.find(R"("instance")"), std::string::npos) << l.body;
  EXPECT_EQ(l.body.find("__account__"), std::string::npos) << l.body;
  auto v = get("/api/v1/label/instance/values");
  EXPECT_NE(v.body.find(R"(["i0","i1","i2"])"), std::string::npos) << v.body;
  auto bad = get("/api/v1/series?match[]=" + net::url_encode("up{"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("bad_data"), std::string::npos);
}

// The Prometheus query API over imported data: instant and range queries (GET and form POST),
// Prometheus's JSON encoding, and its error types.
TEST_F(ServerTest, PrometheusQueryApi) {
  int64_t t0 = (Clock::real()->now_ms() / 60'000 - 10) * 60'000;  // a whole minute
  std::string lines;
  for (int job = 0; job < 2; job++) {
    lines += R"({"metric":{"__name__":"reqs_total","job":"j)" + std::to_string(job) +
             R"("},"values":[0,60,120,180],"timestamps":[)";
    for (int i = 0; i < 4; i++) lines += (i ? "," : "") + std::to_string(t0 + i * 60'000);
    lines += "]}\n";
  }
  ASSERT_EQ(post("/api/v1/import", lines, "application/x-ndjson").status, 204);
  std::string at = std::to_string((t0 + 180'000) / 1000);

  auto r = get("/api/v1/query?time=" + at +
               "&query=" + net::url_encode("sum by (job) (rate(reqs_total[3m]))"));
  ASSERT_EQ(r.status, 200) << r.body;
  // 180 over 180 s with no extrapolation beyond the samples: 1 per second for each job.
  EXPECT_NE(r.body.find(R"("resultType":"vector")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"({"metric":{"job":"j0"},"value":[)" + at + R"(,"1"]})"),
            std::string::npos)
      << r.body;

  std::string form = "query=" + net::url_encode("reqs_total{job=\"j1\"} / 60") +
                     "&start=" + std::to_string(t0 / 1000) + "&end=" + at + "&step=1m";
  auto m = post("/api/v1/query_range", form, "application/x-www-form-urlencoded");
  ASSERT_EQ(m.status, 200) << m.body;
  EXPECT_NE(m.body.find(R"("values":[[)" + std::to_string(t0 / 1000) + R"(,"0"],)"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("[" + at + R"(,"3"]]})"), std::string::npos) << m.body;

  auto s = get("/api/v1/query?time=1.5&query=" + net::url_encode("time() / 1e9"));
  EXPECT_NE(s.body.find(R"({"resultType":"scalar","result":[1.500,"0.0000000015"]})"),
            std::string::npos)
      << s.body;

  auto bad = get("/api/v1/query?query=" + net::url_encode("sum(reqs_total"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find(R"("errorType":"bad_data")"), std::string::npos) << bad.body;
  EXPECT_NE(bad.body.find("invalid parameter \\\"query\\\""), std::string::npos) << bad.body;
  auto step = get("/api/v1/query_range?query=1&start=0&end=10&step=0");
  EXPECT_EQ(step.status, 400) << step.body;
  auto range_type = get("/api/v1/query_range?query=" + net::url_encode("reqs_total[1m]") +
                        "&start=0&end=10&step=1");
  EXPECT_EQ(range_type.status, 400) << range_type.body;
  EXPECT_NE(range_type.body.find("range vector"), std::string::npos) << range_type.body;
  // Runtime errors are "execution" (422): two series with the same labels after `ignoring`.
  auto exec = get("/api/v1/query?time=" + at +
                  "&query=" + net::url_encode("reqs_total + ignoring(job) reqs_total"));
  EXPECT_EQ(exec.status, 422) << exec.body;
  EXPECT_NE(exec.body.find(R"("errorType":"execution")"), std::string::npos) << exec.body;
}

TEST_F(ServerTest, PrometheusStatusEndpoints) {
  auto ready = get("/-/ready");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "Prometheus Server is Ready.\n");
  EXPECT_EQ(get("/-/healthy").status, 200);
  auto bi = get("/api/v1/status/buildinfo");
  EXPECT_NE(bi.body.find(R"("version":"2.42.0")"), std::string::npos) << bi.body;

  int64_t t = (Clock::real()->now_ms() / 1000 - 60) * 1000;
  std::string lines;
  for (int i = 0; i < 3; i++) {
    lines += R"({"metric":{"__name__":"big","pod":"p)" + std::to_string(i) + R"("},"values":[1],)" +
             R"("timestamps":[)" + std::to_string(t) + "]}\n";
  }
  lines += R"({"metric":{"__name__":"small","pod":"p0"},"values":[1],"timestamps":[)" +
           std::to_string(t) + "]}\n";
  ASSERT_EQ(post("/api/v1/import", lines, "application/x-ndjson").status, 204);
  auto ts = get("/api/v1/status/tsdb?limit=1");
  ASSERT_EQ(ts.status, 200) << ts.body;
  EXPECT_NE(ts.body.find(R"("numSeries":4)"), std::string::npos) << ts.body;
  EXPECT_NE(ts.body.find(R"("seriesCountByMetricName":[{"name":"big","value":3}])"),
            std::string::npos)
      << ts.body;
  EXPECT_NE(ts.body.find(R"("labelValueCountByLabelName":[{"name":"pod","value":3}])"),
            std::string::npos)
      << ts.body;
  EXPECT_EQ(get("/api/v1/status/tsdb?limit=x").status, 400);
}

TEST_F(ServerTest, AdminCompactPersistsBlocks) {
  int64_t t = (Clock::real()->now_ms() / 1000 - 600) * 1000;
  std::string line =
      R"({"metric":{"__name__":"g"},"values":[42],"timestamps":[)" + std::to_string(t) + "]}\n";
  EXPECT_EQ(post("/api/v1/import", line).status, 204);
  auto c = post("/api/v1/admin/compact", "");
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_NE(c.body.find(R"("block_samples":1)"), std::string::npos) << c.body;
  auto e = get("/api/v1/export?match[]=g");
  EXPECT_NE(e.body.find("[42]"), std::string::npos) << e.body;
}

}  // namespace
}  // namespace opsight::server
