// POST /api/v1/metrics/data over a real tsdb: a request in CloudWatch's JSON shape, the
// response shape, ISO timestamps and error bodies.
#include "api/native/metrics_data_api.h"

#include <gtest/gtest.h>

#include "metricmath/metricmath_test_util.h"

namespace opsight::api {
namespace {

class MetricsDataApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Labels l{{"__name__", "Latency"}, {"Namespace", "App"}, {"Host", "a"}};
    ASSERT_TRUE(store_
                    .append(l, {storage::Sample::value(1'700'000'040'000, 10),
                                storage::Sample::value(1'700'000'100'000, 30)})
                    .ok());
    QueryDeps deps{&store_.db(), &clock_, {}, 0};
    register_metrics_data_api(router_, deps);
  }
  HttpResponse post(std::string body, std::string target = "/api/v1/metrics/data") {
    HttpRequest req;
    req.method = "POST";
    req.path = "/api/v1/metrics/data";
    req.target = target;
    if (auto q = target.find('?'); q != std::string::npos)
      parse_query(target.substr(q + 1), &req.params);
    req.headers = {{"content-type", "application/json"}};
    req.body = std::move(body);
    return router_.dispatch(req);
  }
  query::metricmath::testing::TestStore store_;
  ManualClock clock_{1'700'000'600'000};
  Router router_;
};

TEST_F(MetricsDataApiTest, MetricAndExpression) {
  auto resp = post(R"json({"MetricDataQueries":[
    {"Id":"m1","MetricStat":{"Metric":{"Namespace":"App","MetricName":"Latency",
      "Dimensions":[{"Name":"Host","Value":"a"}]},"Period":60,"Stat":"Average"}},
    {"Id":"e1","Expression":"m1 / 10","Label":"scaled"}],
    "StartTime":1700000040,"EndTime":1700000160})json");
  EXPECT_EQ(resp.status, 200) << resp.body;
  EXPECT_EQ(
      resp.body,
      R"json({"MetricDataResults":[)json"
      R"json({"Id":"m1","Label":"Latency","Timestamps":[1700000100,1700000040],"Values":[30,10],)json"
      R"json("StatusCode":"Complete","Messages":[]},)json"
      R"json({"Id":"e1","Label":"scaled","Timestamps":[1700000100,1700000040],"Values":[3,1],)json"
      R"json("StatusCode":"Complete","Messages":[]}],"Messages":[]})json");
}

TEST_F(MetricsDataApiTest, RelativeTimesAndIsoTimestamps) {
  auto resp = post(R"json({"MetricDataQueries":[
    {"Id":"m1","MetricStat":{"Metric":{"Namespace":"App","MetricName":"Latency",
      "Dimensions":[{"Name":"Host","Value":"a"}]},"Period":60,"Stat":"Sum"}}],
    "StartTime":"now-10m","EndTime":"now","ScanBy":"TimestampAscending"})json",
                   "/api/v1/metrics/data?timestamps=iso");
  EXPECT_EQ(resp.status, 200) << resp.body;
  EXPECT_NE(resp.body.find(
                R"json("Timestamps":["2023-11-14T22:14:00.000Z","2023-11-14T22:15:00.000Z"])json"),
            std::string::npos)
      << resp.body;
}

TEST_F(MetricsDataApiTest, Errors) {
  auto resp = post(R"json({"MetricDataQueries":[{"Id":"e1","Expression":"FOO(1)"}],
    "StartTime":1700000040,"EndTime":1700000160})json");
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(resp.body,
            R"json({"error":"query \"e1\": unknown function FOO","code":"InvalidArgument"})json");
  resp = post("not json");
  EXPECT_EQ(resp.status, 400);
  EXPECT_NE(resp.body.find("body is not valid JSON"), std::string::npos);
  resp = post(R"json({"MetricDataQueries":[
    {"Id":"ad","Expression":"ANOMALY_DETECTION_BAND(TIME_SERIES(1))"}],
    "StartTime":1700000040,"EndTime":1700000160})json");
  EXPECT_EQ(resp.status, 400);
  EXPECT_NE(resp.body.find("anomaly detection is not available"), std::string::npos) << resp.body;
}

}  // namespace
}  // namespace opsight::api
