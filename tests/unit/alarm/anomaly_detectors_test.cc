// AnomalyDetectorService and its request parsers (alarm/anomaly_detectors.h) over a real meta
// store in a temporary directory.
#include "alarm/anomaly_detectors.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "common/clock.h"
#include "query/metricmath/metric_fetch.h"
#include "testing/temp_dir.h"

namespace opsight::alarm {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

constexpr std::string_view kSingle = R"({"SingleMetricAnomalyDetector":{
  "Namespace":"App","MetricName":"Latency","Stat":"Average",
  "Dimensions":[{"Name":"Service","Value":"api"},{"Name":"Host","Value":"h1"}]},
  "Configuration":{"ExcludedTimeRanges":[{"StartTime":1700000000,"EndTime":1700003600.5}],
                   "MetricTimezone":"UTC"},
  "MetricCharacteristics":{"PeriodicSpikes":true}})";

AnomalyDetector parse_ok(std::string_view json) {
  auto d = parse_anomaly_detector_request(json);
  EXPECT_TRUE(d.ok()) << d.status().to_string();
  return d.ok() ? *d : AnomalyDetector{};
}

std::string error_of(std::string_view json) {
  auto d = parse_anomaly_detector_request(json);
  return d.ok() ? "" : d.status().message();
}

TEST(AnomalyDetectorParse, SingleMetricFormWithConfiguration) {
  AnomalyDetector d = parse_ok(kSingle);
  EXPECT_EQ(d.type, AnomalyDetectorType::kSingleMetric);
  EXPECT_EQ(d.namespace_name, "App");
  EXPECT_EQ(d.metric_name, "Latency");
  EXPECT_EQ(d.stat, "Average");
  ASSERT_EQ(d.dimensions.size(), 2u);
  EXPECT_EQ(d.dimensions[0].name, "Host");  // sorted
  ASSERT_EQ(d.excluded.size(), 1u);
  EXPECT_EQ(d.excluded[0].start_ms, 1'700'000'000'000);
  EXPECT_EQ(d.excluded[0].end_ms, 1'700'003'600'500);
  EXPECT_EQ(d.metric_timezone, "UTC");
  EXPECT_EQ(d.periodic_spikes, std::optional<bool>(true));
  // The stored document parses back to the same detector.
  EXPECT_EQ(parse_ok(anomaly_detector_doc(d)), d);
}

TEST(AnomalyDetectorParse, LegacyTopLevelFormHasTheSameIdentity) {
  AnomalyDetector legacy = parse_ok(R"({"Namespace":"App","MetricName":"Latency",
    "Stat":"Average","Dimensions":[{"Name":"Host","Value":"h1"},{"Name":"Service","Value":"api"}]})");
  EXPECT_EQ(anomaly_detector_key(legacy), anomaly_detector_key(parse_ok(kSingle)));
  AnomalyDetector other = parse_ok(R"({"Namespace":"App","MetricName":"Latency","Stat":"p99"})");
  EXPECT_NE(anomaly_detector_key(other), anomaly_detector_key(legacy));
}

TEST(AnomalyDetectorParse, MetricMathForm) {
  AnomalyDetector d = parse_ok(R"({"MetricMathAnomalyDetector":{"MetricDataQueries":[
    {"Id":"m1","ReturnData":false,"MetricStat":{"Metric":{"Namespace":"App","MetricName":"A"},
     "Period":60,"Stat":"Sum"}},
    {"Id":"e1","Expression":"m1 * 2","ReturnData":true}]}})");
  EXPECT_EQ(d.type, AnomalyDetectorType::kMetricMath);
  EXPECT_NE(d.metric_data_queries_json.find("\"e1\""), std::string::npos);
  EXPECT_EQ(parse_ok(anomaly_detector_doc(d)), d);
}

TEST(AnomalyDetectorParse, Errors) {
  EXPECT_TRUE(error_of("{}").starts_with("MissingParameter: ")) << error_of("{}");
  EXPECT_TRUE(error_of(R"({"Namespace":"A","MetricName":"B"})").starts_with("MissingParameter: "));
  EXPECT_TRUE(error_of(R"({"Namespace":"A","MetricName":"B","Stat":"Bogus"})")
                  .starts_with("InvalidParameterValue: The parameter Stat"));
  EXPECT_TRUE(error_of(R"({"Namespace":"A","MetricName":"B","Stat":"Sum",
      "SingleMetricAnomalyDetector":{"Namespace":"A","MetricName":"B","Stat":"Sum"}})")
                  .starts_with("InvalidParameterCombination: "));
  EXPECT_TRUE(error_of(R"({"Namespace":"A","MetricName":"B","Stat":"Sum",
      "Configuration":{"ExcludedTimeRanges":[{"StartTime":20,"EndTime":10}]}})")
                  .starts_with("InvalidParameterValue: The parameter "
                               "Configuration.ExcludedTimeRanges.member.StartTime"));
  EXPECT_TRUE(error_of(R"({"MetricMathAnomalyDetector":{"MetricDataQueries":[
      {"Id":"e1","Expression":"1","ReturnData":true},{"Id":"e2","Expression":"2"}]}})")
                  .find("exactly one query with ReturnData true") != std::string::npos);
  EXPECT_TRUE(error_of(R"({"Namespace":"A","MetricName":"B","Stat":"Sum",
      "Dimensions":[{"Name":"x","Value":"1"},{"Name":"x","Value":"2"}]})")
                  .find("twice") != std::string::npos);
}

class AnomalyDetectorServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = storage::meta::MetaStore::open(dir_.file("meta.db"), &clock_);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    meta_ = std::move(*m);
    service_ = std::make_unique<AnomalyDetectorService>(
        meta_.get(), [this](const storage::Tenant&, const AnomalyDetector& d) -> Result<size_t> {
          return points_[d.metric_name];
        });
  }

  AnomalyDetector detector(const std::string& metric, const std::string& stat = "Average") {
    return parse_ok(R"({"Namespace":"App","MetricName":")" + metric + R"(","Stat":")" + stat +
                    R"(","Dimensions":[{"Name":"Service","Value":"api"}]})");
  }

  testing::TempDir dir_{"anomaly_detectors_test"};
  ManualClock clock_{kT0};
  std::unique_ptr<storage::meta::MetaStore> meta_;
  std::unique_ptr<AnomalyDetectorService> service_;
  std::map<std::string, size_t> points_;
  storage::Tenant tenant_{"123456789012", "local"};
};

TEST_F(AnomalyDetectorServiceTest, PutDescribeDeleteWithStates) {
  points_ = {{"a", 0}, {"b", 3}, {"c", 500}};
  for (const char* m : {"a", "b", "c"}) ASSERT_TRUE(service_->put(tenant_, detector(m)).ok());
  auto r = service_->describe(tenant_, {});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->detectors.size(), 3u);
  std::map<std::string, AnomalyDetectorState> states;
  for (const auto& v : r->detectors) states[v.detector.metric_name] = v.state;
  EXPECT_EQ(states["a"], AnomalyDetectorState::kPendingTraining);
  EXPECT_EQ(states["b"], AnomalyDetectorState::kTrainedInsufficientData);
  EXPECT_EQ(states["c"], AnomalyDetectorState::kTrained);

  ASSERT_TRUE(service_->remove(tenant_, detector("b")).ok());
  Status again = service_->remove(tenant_, detector("b"));
  EXPECT_EQ(again.code(), Code::kNotFound);
  EXPECT_TRUE(again.message().starts_with("ResourceNotFoundException: "));
  EXPECT_EQ(service_->describe(tenant_, {})->detectors.size(), 2u);
  // Another tenant sees none of them.
  EXPECT_TRUE(service_->describe({"210987654321", "local"}, {})->detectors.empty());
}

TEST_F(AnomalyDetectorServiceTest, PutReplacesTheConfigurationOfTheSameMetric) {
  AnomalyDetector d = detector("a");
  ASSERT_TRUE(service_->put(tenant_, d).ok());
  d.excluded = {{kT0, kT0 + 60'000}};
  ASSERT_TRUE(service_->put(tenant_, d).ok());
  auto r = service_->describe(tenant_, {});
  ASSERT_EQ(r->detectors.size(), 1u);
  EXPECT_EQ(r->detectors[0].detector.excluded, d.excluded);
}

TEST_F(AnomalyDetectorServiceTest, SurvivesARestart) {
  AnomalyDetector d = detector("a");
  d.excluded = {{kT0, kT0 + 60'000}};
  ASSERT_TRUE(service_->put(tenant_, d).ok());
  AnomalyDetectorService reopened(meta_.get(), {});
  auto r = reopened.describe(tenant_, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->detectors.size(), 1u);
  EXPECT_EQ(r->detectors[0].detector, d);
  EXPECT_EQ(r->detectors[0].state, AnomalyDetectorState::kPendingTraining);  // no probe
}

TEST_F(AnomalyDetectorServiceTest, DescribeFiltersAndPages) {
  for (const char* m : {"a", "b", "c", "d", "e"}) {
    ASSERT_TRUE(service_->put(tenant_, detector(m)).ok());
  }
  ASSERT_TRUE(service_
                  ->put(tenant_, parse_ok(R"({"MetricMathAnomalyDetector":{"MetricDataQueries":[
                          {"Id":"e1","Expression":"1","ReturnData":true}]}})"))
                  .ok());
  auto by_name = parse_describe_anomaly_detectors_request(R"({"MetricName":"c"})");
  ASSERT_TRUE(by_name.ok());
  auto r = service_->describe(tenant_, *by_name);
  ASSERT_EQ(r->detectors.size(), 1u);
  EXPECT_EQ(r->detectors[0].detector.metric_name, "c");

  auto math =
      parse_describe_anomaly_detectors_request(R"({"AnomalyDetectorTypes":["METRIC_MATH"]})");
  ASSERT_EQ(service_->describe(tenant_, *math)->detectors.size(), 1u);
  auto by_dim = parse_describe_anomaly_detectors_request(
      R"({"Dimensions":[{"Name":"Service","Value":"api"}]})");
  EXPECT_EQ(service_->describe(tenant_, *by_dim)->detectors.size(), 5u);

  DescribeAnomalyDetectorsRequest page;
  page.max_results = 2;
  std::set<std::string> seen;
  for (int i = 0; i < 10; i++) {
    auto p = service_->describe(tenant_, page);
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    for (const auto& v : p->detectors) seen.insert(anomaly_detector_key(v.detector));
    if (p->next_token.empty()) break;
    page.next_token = p->next_token;
  }
  EXPECT_EQ(seen.size(), 6u);
  page.next_token = "nope";
  EXPECT_TRUE(service_->describe(tenant_, page).status().message().starts_with("InvalidNextToken"));
}

TEST_F(AnomalyDetectorServiceTest, ExcludedRangesMatchTheMetricAndStatistic) {
  AnomalyDetector d = detector("lat");
  d.excluded = {{kT0, kT0 + 3'600'000}};
  ASSERT_TRUE(service_->put(tenant_, d).ok());
  const Labels identity = query::metricmath::metric_identity("App", "lat", {{"Service", "api"}});
  auto hit = service_->excluded_ranges(tenant_, identity, "Average");
  ASSERT_TRUE(hit.ok());
  EXPECT_EQ(*hit, d.excluded);
  EXPECT_TRUE(service_->excluded_ranges(tenant_, identity, "p99")->empty());
  EXPECT_TRUE(service_->excluded_ranges({"210987654321", "local"}, identity, "Average")->empty());
  const Labels other = query::metricmath::metric_identity("App", "lat", {});
  EXPECT_TRUE(service_->excluded_ranges(tenant_, other, "Average")->empty());
}

TEST(AnomalyDetectorJson, DescribeResponseShape) {
  DescribeAnomalyDetectorsResult r;
  r.detectors.push_back({parse_ok(kSingle), AnomalyDetectorState::kTrained});
  r.next_token = "tok";
  const std::string json = describe_anomaly_detectors_response(r, TimeFormat::kEpochSeconds);
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  ASSERT_FALSE(p.parse(json).get(doc)) << json;
  auto d = doc["AnomalyDetectors"].at(0);
  EXPECT_EQ(std::string_view(d["StateValue"]), "TRAINED");
  EXPECT_EQ(std::string_view(d["Namespace"]), "App");
  EXPECT_EQ(std::string_view(d["SingleMetricAnomalyDetector"]["MetricName"]), "Latency");
  EXPECT_DOUBLE_EQ(double(d["Configuration"]["ExcludedTimeRanges"].at(0)["StartTime"]),
                   1'700'000'000.0);
  EXPECT_EQ(bool(d["MetricCharacteristics"]["PeriodicSpikes"]), true);
  EXPECT_EQ(std::string_view(doc["NextToken"]), "tok");
}

}  // namespace
}  // namespace opsight::alarm
