// The CloudWatch dashboard and tag operations (api/aws/cloudwatch/resource_ops.h) called with
// AWS JSON 1.0 request text.
#include "api/aws/cloudwatch/resource_ops.h"

#include <string>

#include "common/json_writer.h"
#include "cw_ops_fixture.h"

namespace opsight::api::aws::testing {
namespace {

using ResourceOpsTest = CwOpsTest;

constexpr std::string_view kBody = R"({"widgets":[{"type":"text","x":0,"y":0,"width":6,"height":3,)"
                                   R"("properties":{"markdown":"hi"}}]})";

std::string put_request(std::string_view name, std::string_view body) {
  json::Writer w;
  w.begin_object().kv("DashboardName", name).kv("DashboardBody", body).end_object();
  return w.take();
}

TEST_F(ResourceOpsTest, DashboardLifecycle) {
  auto doc = ok("PutDashboard", put_request("main", kBody));
  EXPECT_EQ(doc["DashboardValidationMessages"].get_array().size(), 0u);

  doc = ok("GetDashboard", R"({"DashboardName":"main"})");
  EXPECT_EQ(std::string_view(doc["DashboardName"]), "main");
  EXPECT_EQ(std::string_view(doc["DashboardBody"]), kBody);
  EXPECT_EQ(std::string_view(doc["DashboardArn"]),
            "arn:aws:cloudwatch::123456789012:dashboard/main");

  ASSERT_TRUE(call("PutDashboard", put_request("main-2", kBody)).ok());
  ASSERT_TRUE(call("PutDashboard", put_request("other", kBody)).ok());
  doc = ok("ListDashboards", R"({"DashboardNamePrefix":"main"})");
  auto entries = doc["DashboardEntries"].get_array();
  ASSERT_EQ(entries.size(), 2u);
  auto e = entries.at(0);
  EXPECT_EQ(std::string_view(e["DashboardName"]), "main");
  EXPECT_EQ(int64_t(e["Size"]), static_cast<int64_t>(kBody.size()));
  EXPECT_DOUBLE_EQ(double(e["LastModified"]), kT0 / 1000.0);
  EXPECT_TRUE(doc["NextToken"].error());  // one page

  std::string m = fails("DeleteDashboards", R"({"DashboardNames":["main","ghost"]})");
  EXPECT_TRUE(m.starts_with("ResourceNotFound: ")) << m;
  EXPECT_TRUE(call("GetDashboard", R"({"DashboardName":"main"})").ok());
  ASSERT_TRUE(call("DeleteDashboards", R"({"DashboardNames":["main","main-2"]})").ok());
  m = fails("GetDashboard", R"({"DashboardName":"main"})");
  EXPECT_TRUE(m.starts_with("ResourceNotFound: ")) << m;
  EXPECT_EQ(ok("ListDashboards", "{}")["DashboardEntries"].get_array().size(), 1u);
}

TEST_F(ResourceOpsTest, PutDashboardWarningsAndErrors) {
  auto doc =
      ok("PutDashboard", put_request("warn", R"({"widgets":[{"type":"metric","properties":{}}]})"));
  auto msgs = doc["DashboardValidationMessages"].get_array();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(std::string_view(msgs.at(0)["DataPath"]), "/widgets/0/properties");

  std::string m = fails("PutDashboard", put_request("bad", R"({"widgets":[{"type":"x"}]})"));
  EXPECT_TRUE(m.starts_with("InvalidParameterInput: ")) << m;
  m = fails("PutDashboard", put_request("bad name", kBody));
  EXPECT_TRUE(m.starts_with("InvalidParameterValue: ")) << m;
  m = fails("PutDashboard", R"({"DashboardName":"x"})");
  EXPECT_TRUE(m.starts_with("MissingParameter: The parameter DashboardBody")) << m;
}

TEST_F(ResourceOpsTest, TagsOnAlarmsAndDashboards) {
  ASSERT_TRUE(call("PutMetricAlarm", metric_alarm("cpu")).ok());
  ASSERT_TRUE(call("PutDashboard", put_request("dash", kBody)).ok());
  for (const std::string arn : {"arn:aws:cloudwatch:local:123456789012:alarm:cpu",
                                "arn:aws:cloudwatch::123456789012:dashboard/dash"}) {
    ASSERT_TRUE(call("TagResource", R"({"ResourceARN":")" + arn +
                                        R"(","Tags":[{"Key":"b","Value":"2"},
                                        {"Key":"a","Value":"1"}]})")
                    .ok())
        << arn;
    auto doc = ok("ListTagsForResource", R"({"ResourceARN":")" + arn + R"("})");
    auto tags = doc["Tags"].get_array();
    ASSERT_EQ(tags.size(), 2u) << arn;
    EXPECT_EQ(std::string_view(tags.at(0)["Key"]), "a");
    EXPECT_EQ(std::string_view(tags.at(0)["Value"]), "1");
    ASSERT_TRUE(
        call("UntagResource", R"({"ResourceARN":")" + arn + R"(","TagKeys":["a","zz"]})").ok());
    doc = ok("ListTagsForResource", R"({"ResourceARN":")" + arn + R"("})");
    ASSERT_EQ(doc["Tags"].get_array().size(), 1u);
    EXPECT_EQ(std::string_view(doc["Tags"].at(0)["Key"]), "b");
  }
  // Deleting the dashboard drops its tags: a new dashboard of the same name starts clean.
  ASSERT_TRUE(call("DeleteDashboards", R"({"DashboardNames":["dash"]})").ok());
  ASSERT_TRUE(call("PutDashboard", put_request("dash", kBody)).ok());
  auto doc = ok("ListTagsForResource",
                R"({"ResourceARN":"arn:aws:cloudwatch::123456789012:dashboard/dash"})");
  EXPECT_EQ(doc["Tags"].get_array().size(), 0u);
}

TEST_F(ResourceOpsTest, UnknownOrForeignResourcesAreNotFound) {
  ASSERT_TRUE(call("PutMetricAlarm", metric_alarm("cpu")).ok());
  storage::Tenant other{"210987654321", "local"};
  for (const std::string arn : {
           "arn:aws:cloudwatch:local:123456789012:alarm:missing",
           "arn:aws:cloudwatch::123456789012:dashboard/missing",
           "arn:aws:cloudwatch:local:210987654321:alarm:cpu",  // another account's ARN
           "arn:aws:cloudwatch:elsewhere:123456789012:alarm:cpu",
           "arn:aws:logs:local:123456789012:log-group:x",
           "cpu",
       }) {
    std::string m = fails("TagResource",
                          R"({"ResourceARN":")" + arn + R"(","Tags":[{"Key":"k","Value":"v"}]})");
    EXPECT_TRUE(m.starts_with("ResourceNotFoundException: ")) << arn << ": " << m;
    m = fails("ListTagsForResource", R"({"ResourceARN":")" + arn + R"("})");
    EXPECT_TRUE(m.starts_with("ResourceNotFoundException: ")) << arn << ": " << m;
  }
  // The owner's ARN seen from another account: not found either.
  std::string m =
      fails("ListTagsForResource",
            R"({"ResourceARN":"arn:aws:cloudwatch:local:123456789012:alarm:cpu"})", &other);
  EXPECT_TRUE(m.starts_with("ResourceNotFoundException: ")) << m;
  m = fails("TagResource",
            R"({"ResourceARN":"arn:aws:cloudwatch:local:123456789012:alarm:cpu",
                "Tags":[{"Key":"aws:x","Value":"v"}]})");
  EXPECT_TRUE(m.starts_with("InvalidParameterValue: ")) << m;
  m = fails("TagResource", R"({"ResourceARN":"arn:aws:cloudwatch:local:123456789012:alarm:cpu"})");
  EXPECT_TRUE(m.starts_with("MissingParameter: The parameter Tags")) << m;
}

}  // namespace
}  // namespace opsight::api::aws::testing
