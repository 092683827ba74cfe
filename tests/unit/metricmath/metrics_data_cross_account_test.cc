// Cross-account reads of the CloudWatch metric operations over a real tsdb: GetMetricData with
// AccountId (get_metric_data_json over the request's tenants) and ListMetrics with
// IncludeLinkedAccounts / OwningAccount (api/aws/cloudwatch/metric_ops.h).
#include <gtest/gtest.h>

#include "api/aws/cloudwatch/metric_ops.h"
#include "api/native/metrics_data_api.h"
#include "metricmath/metricmath_test_util.h"

namespace opsight::api {
namespace {

namespace mm = query::metricmath;

constexpr int64_t kNow = 1'700'000'600'000;
const storage::Tenant kM{"111111111111", "us-east-1"};
const storage::Tenant kS{"222222222222", "us-east-1"};
const storage::Tenant kU{"333333333333", "us-east-1"};

class CrossAccountMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    append(kM, "MonitorMetric", 3);
    append(kS, "SourceMetric", 7);
    aws::MetricOpsDeps deps{&store_.db(), {}, {}};
    aws::add_cloudwatch_metric_ops(table_, deps);
  }
  void append(const storage::Tenant& t, const std::string& name, double v) {
    auto app = store_.db().appender(t);
    std::vector<storage::SampleError> errors;
    Labels l{{"__name__", name}, {"Namespace", "X"}, {"Host", "a"}};
    ASSERT_TRUE(app->append(l,
                            std::vector<storage::Sample>{storage::Sample::value(kNow - 120'000, v)},
                            &errors)
                    .ok());
    ASSERT_TRUE(errors.empty());
    ASSERT_TRUE(app->commit().ok());
  }
  static std::string request(const std::string& name, const std::string& account) {
    std::string q = R"({"MetricDataQueries":[{"Id":"m1",)";
    if (!account.empty()) q += R"("AccountId":")" + account + R"(",)";
    q += R"("MetricStat":{"Metric":{"Namespace":"X","MetricName":")" + name +
         R"(","Dimensions":[{"Name":"Host","Value":"a"}]},"Period":60,"Stat":"Sum"}}],)"
         R"("StartTime":1700000000,"EndTime":1700000700})";
    return q;
  }
  Result<std::string> data(const std::vector<storage::Tenant>& tenants, const std::string& name,
                           const std::string& account = "") {
    return get_metric_data_json(store_.db(), tenants, request(name, account), kNow, {},
                                mm::TimestampFormat::kEpochSeconds);
  }
  Result<std::string> list(const std::vector<storage::Tenant>& tenants, const std::string& json) {
    aws::CwContext ctx{tenants.front(), kNow, tenants};
    return table_.at("ListMetrics")(ctx, json);
  }

  mm::testing::TestStore store_;
  aws::CwOperationTable table_;
};

TEST_F(CrossAccountMetricsTest, GetMetricDataReadsTheNamedLinkedAccount) {
  auto r = data({kM, kS}, "SourceMetric", kS.account);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_NE(r->find(R"("Values":[7])"), std::string::npos) << *r;
  // Without AccountId a MetricStat reads the caller's own account only.
  r = data({kM, kS}, "SourceMetric");
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->find(R"("Values":[])"), std::string::npos) << *r;
  r = data({kM, kS}, "MonitorMetric", kM.account);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->find(R"("Values":[3])"), std::string::npos) << *r;
}

TEST_F(CrossAccountMetricsTest, GetMetricDataRefusesAnUnlinkedAccount) {
  auto r = data({kU}, "SourceMetric", kS.account);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("InvalidParameterValue"), std::string::npos);
  EXPECT_NE(r.status().message().find(kS.account), std::string::npos);
  // A source never reads its monitoring account.
  EXPECT_FALSE(data({kS}, "MonitorMetric", kM.account).ok());
}

TEST_F(CrossAccountMetricsTest, SearchSpansLinkedAccounts) {
  std::string q = R"({"MetricDataQueries":[{"Id":"e1",)"
                  R"j("Expression":"SEARCH('{X,Host} Host=\"a\"', 'Sum', 60)"}],)j"
                  R"("StartTime":1700000000,"EndTime":1700000700})";
  auto r =
      get_metric_data_json(store_.db(), {kM, kS}, q, kNow, {}, mm::TimestampFormat::kEpochSeconds);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_NE(r->find("SourceMetric"), std::string::npos) << *r;
  EXPECT_NE(r->find("MonitorMetric"), std::string::npos) << *r;
  r = get_metric_data_json(store_.db(), {kU}, q, kNow, {}, mm::TimestampFormat::kEpochSeconds);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->find("SourceMetric"), std::string::npos) << *r;
}

TEST_F(CrossAccountMetricsTest, ListMetricsIncludeLinkedAccounts) {
  auto r = list({kM, kS}, R"({"Namespace":"X"})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->find("SourceMetric"), std::string::npos) << *r;
  EXPECT_EQ(r->find("OwningAccounts"), std::string::npos) << *r;

  r = list({kM, kS}, R"({"Namespace":"X","IncludeLinkedAccounts":true})");
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->find("SourceMetric"), std::string::npos) << *r;
  EXPECT_NE(r->find("MonitorMetric"), std::string::npos) << *r;
  // One owning account per metric, in the metrics' order.
  const bool monitor_first = r->find("MonitorMetric") < r->find("SourceMetric");
  EXPECT_NE(r->find(monitor_first ? R"("OwningAccounts":["111111111111","222222222222"])"
                                  : R"("OwningAccounts":["222222222222","111111111111"])"),
            std::string::npos)
      << *r;

  r = list({kM, kS}, R"({"Namespace":"X","IncludeLinkedAccounts":true,)"
                     R"("OwningAccount":"222222222222"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->find("MonitorMetric"), std::string::npos) << *r;
  EXPECT_NE(r->find(R"("OwningAccounts":["222222222222"])"), std::string::npos) << *r;

  // An unlinked account lists only itself.
  r = list({kU}, R"({"Namespace":"X","IncludeLinkedAccounts":true})");
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->find(R"("Metrics":[])"), std::string::npos) << *r;
}

}  // namespace
}  // namespace opsight::api
