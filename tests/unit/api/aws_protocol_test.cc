// The CloudWatch wire protocols (api/aws/protocol) and the AWS dispatcher (aws_api.h): awsQuery
// form fields -> JSON 1.0 with the shape table, JSON 1.0 -> XML, RPC v2 CBOR <-> JSON, and
// the three protocols through the router against a fake operation table.
#include <gtest/gtest.h>

#include "api/aws/cloudwatch/aws_api.h"
#include "api/aws/protocol/aws_query.h"
#include "api/aws/protocol/rpcv2_cbor.h"
#include "api/aws/protocol/shapes.h"
#include "wire/cbor.h"
#include "wire/compression.h"

namespace opsight::api::aws {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;
namespace cbor = wire::cbor;

std::string to_json(const Fields& f) {
  auto r = query_to_json(f, cloudwatch_shapes());
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : "";
}

TEST(ShapeTableTest, ParentOverridesWin) {
  const ShapeTable& t = cloudwatch_shapes();
  EXPECT_EQ(t.lookup("MetricData", "Value").type, ScalarType::kDouble);
  EXPECT_EQ(t.lookup("Dimensions", "Value").type, ScalarType::kString);
  EXPECT_EQ(t.lookup("Messages", "Value").type, ScalarType::kString);
  EXPECT_TRUE(t.lookup("Datapoints", "ExtendedStatistics").map);
  EXPECT_TRUE(t.lookup("", "ExtendedStatistics").list);
  EXPECT_EQ(t.lookup("MetricStat", "Period").type, ScalarType::kInteger);
  EXPECT_EQ(t.lookup("", "Unknown").type, ScalarType::kString);
}

TEST(AwsQueryTest, PutMetricDataFormToJson) {
  Fields f = {{"Action", "PutMetricData"},
              {"Version", "2010-08-01"},
              {"Namespace", "App"},
              {"MetricData.member.1.MetricName", "Latency"},
              {"MetricData.member.1.Value", "12.5"},
              {"MetricData.member.1.Unit", "Milliseconds"},
              {"MetricData.member.1.Timestamp", "2023-11-14T22:13:20.250Z"},
              {"MetricData.member.1.Dimensions.member.1.Name", "Host"},
              {"MetricData.member.1.Dimensions.member.1.Value", "42"},
              {"MetricData.member.2.MetricName", "Hist"},
              {"MetricData.member.2.Values.member.2", "3"},
              {"MetricData.member.2.Values.member.1", "1"},
              {"MetricData.member.2.Counts.member.1", "2"},
              {"MetricData.member.2.Counts.member.2", "1"},
              {"MetricData.member.2.StorageResolution", "1"},
              {"MetricData.member.3.MetricName", "Set"},
              {"MetricData.member.3.StatisticValues.SampleCount", "4"},
              {"MetricData.member.3.StatisticValues.Sum", "10"},
              {"MetricData.member.3.StatisticValues.Minimum", "1"},
              {"MetricData.member.3.StatisticValues.Maximum", "4"}};
  EXPECT_EQ(to_json(f),
            R"({"Namespace":"App","MetricData":[)"
            R"({"MetricName":"Latency","Value":12.5,"Unit":"Milliseconds",)"
            R"("Timestamp":1700000000.25,"Dimensions":[{"Name":"Host","Value":"42"}]},)"
            R"({"MetricName":"Hist","Values":[1,3],"Counts":[2,1],"StorageResolution":1},)"
            R"({"MetricName":"Set","StatisticValues":{"SampleCount":4,"Sum":10,"Minimum":1,)"
            R"("Maximum":4}}]})");
}

TEST(AwsQueryTest, ScalarTypesListsAndMaps) {
  EXPECT_EQ(
      to_json({{"MetricDataQueries.member.1.Id", "m1"},
               {"MetricDataQueries.member.1.ReturnData", "false"},
               {"MetricDataQueries.member.1.MetricStat.Period", "60"},
               {"MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Value", "7"},
               {"StartTime", "2023-11-14T22:13:20Z"},
               {"EndTime", "1700003600"},
               {"MaxDatapoints", "10"}}),
      R"({"MetricDataQueries":[{"Id":"m1","ReturnData":false,"MetricStat":{"Period":60,)"
      R"("Metric":{"Dimensions":[{"Value":"7"}]}}}],"StartTime":1700000000,)"
      R"("EndTime":1700003600,"MaxDatapoints":10})");
  // An empty value of a list member is an empty list; of a string member an empty string.
  EXPECT_EQ(to_json({{"AlarmNames", ""}, {"AlarmNamePrefix", ""}}),
            R"({"AlarmNames":[],"AlarmNamePrefix":""})");
  EXPECT_EQ(to_json({{"Entity.KeyAttributes.entry.1.key", "Type"},
                     {"Entity.KeyAttributes.entry.1.value", "Service"},
                     {"Entity.KeyAttributes.entry.2.key", "Name"},
                     {"Entity.KeyAttributes.entry.2.value", "api & co"}}),
            R"({"Entity":{"KeyAttributes":{"Type":"Service","Name":"api & co"}}})");
  EXPECT_EQ(to_json({{"ActionsEnabled", "true"}, {"Threshold", "-1.5e3"}}),
            R"({"ActionsEnabled":true,"Threshold":-1500})");
}

TEST(AwsQueryTest, BadValuesNameTheParameter) {
  struct Case {
    Fields f;
    std::string want;
  } cases[] = {
      {{{"Period", "sixty"}}, "InvalidParameterValue: The value 'sixty' for parameter Period"},
      {{{"MetricData.member.1.Value", "x"}}, "parameter MetricData.member.1.Value is not"},
      {{{"MetricData.member.1.Value", "nan"}}, "InvalidParameterValue"},
      {{{"ActionsEnabled", "yes"}}, "is not a valid boolean"},
      {{{"StartTime", "yesterday"}}, "is not a valid ISO 8601 timestamp"},
      {{{"MetricData.member.x.Value", "1"}}, "MalformedQueryString: parameter MetricData.member.x"},
      {{{"MetricData.member.0.Value", "1"}}, "MalformedQueryString"},
      {{{"MetricData.member", "1"}}, "missing the element index"},
      {{{"Namespace", "a"}, {"Namespace.X", "b"}}, "both as a value and as a structure"},
      {{{"A..B", "1"}}, "empty path segment"},
      {{{"M.entry.1.other", "1"}}, "only .key and .value"},
  };
  for (const auto& c : cases) {
    auto r = query_to_json(c.f, cloudwatch_shapes());
    ASSERT_FALSE(r.ok()) << c.want;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.want), std::string::npos) << r.status().message();
  }
}

TEST(AwsQueryTest, JsonToXmlUsesShapes) {
  auto xml = json_to_query_xml(
      "GetMetricStatistics",
      R"({"Label":"Lat<ency>","Datapoints":[{"Timestamp":1700000000,"Sum":3,"Average":1.5,)"
      R"("Unit":"None","ExtendedStatistics":{"p99":2.25}}],"Nothing":null})",
      "req-1", kCloudWatchXmlns, cloudwatch_shapes());
  ASSERT_TRUE(xml.ok());
  EXPECT_EQ(*xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<GetMetricStatisticsResponse "
            "xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">"
            "<GetMetricStatisticsResult><Label>Lat&lt;ency&gt;</Label><Datapoints><member>"
            "<Timestamp>2023-11-14T22:13:20.000Z</Timestamp><Sum>3</Sum><Average>1.5</Average>"
            "<Unit>None</Unit><ExtendedStatistics><entry><key>p99</key><value>2.25</value>"
            "</entry></ExtendedStatistics></member></Datapoints></GetMetricStatisticsResult>"
            "<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>"
            "</GetMetricStatisticsResponse>\n");
}

TEST(AwsQueryTest, JsonToXmlListsOfScalarsAndEmptyResults) {
  auto xml = json_to_query_xml(
      "GetMetricData",
      R"({"MetricDataResults":[{"Id":"m1","Timestamps":[1700000060.5,1700000000],)"
      R"("Values":[1e300,0.1],"StatusCode":"Complete","Messages":[{"Code":"c","Value":"12"}]}],)"
      R"("Messages":[]})",
      "r", kCloudWatchXmlns, cloudwatch_shapes());
  ASSERT_TRUE(xml.ok());
  EXPECT_NE(xml->find("<Timestamps><member>2023-11-14T22:14:20.500Z</member><member>"
                      "2023-11-14T22:13:20.000Z</member></Timestamps>"),
            std::string::npos)
      << *xml;
  EXPECT_NE(xml->find("<Values><member>1e+300</member><member>0.1</member></Values>"),
            std::string::npos);
  EXPECT_NE(xml->find("<Messages><member><Code>c</Code><Value>12</Value></member></Messages>"),
            std::string::npos);
  EXPECT_NE(xml->find("<Messages></Messages></GetMetricDataResult>"), std::string::npos);

  auto empty = json_to_query_xml("PutMetricData", "{}", "r", kCloudWatchXmlns, cloudwatch_shapes());
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->find("Result"), std::string::npos);
  EXPECT_NE(empty->find("<RequestId>r</RequestId>"), std::string::npos);
  // An operation with an (empty) output shape keeps its Result element.
  auto tag = json_to_query_xml("TagResource", "{}", "r", kCloudWatchXmlns, cloudwatch_shapes());
  ASSERT_TRUE(tag.ok());
  EXPECT_NE(tag->find("<TagResourceResult></TagResourceResult>"), std::string::npos) << *tag;
  EXPECT_FALSE(json_to_query_xml("X", "[1]", "r", kCloudWatchXmlns, cloudwatch_shapes()).ok());
}

TEST(AwsQueryTest, XmlEscapingAndErrors) {
  std::string out;
  append_xml_escaped(&out, "a&b<c>\"d'\r\n\t\x01z");
  EXPECT_EQ(out, "a&amp;b&lt;c&gt;&quot;d&apos;&#xD;&#xA;&#x9;\xEF\xBF\xBDz");
  AwsError e{400, "InvalidParameterValue", "bad <value>"};
  HttpResponse r = query_error_response(e, "id-1", kCloudWatchXmlns);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "text/xml");
  EXPECT_NE(r.body.find("<Error><Type>Sender</Type><Code>InvalidParameterValue</Code>"
                        "<Message>bad &lt;value&gt;</Message></Error><RequestId>id-1</RequestId>"),
            std::string::npos);
  AwsError server{500, "InternalFailure", "x"};
  EXPECT_NE(query_error_response(server, "i", kCloudWatchXmlns).body.find("<Type>Receiver</Type>"),
            std::string::npos);
}

TEST(RpcV2CborTest, RequestToJson) {
  cbor::Item m = cbor::Item::map();
  m.put("Namespace", cbor::Item::text("App"));
  cbor::Item datum = cbor::Item::map();
  datum.put("MetricName", cbor::Item::text("Latency"));
  datum.put("Value", cbor::Item::floating(12.5));
  datum.put("Timestamp", cbor::Item::tagged(1, cbor::Item::floating(1700000000.25)));
  datum.put("Unit", cbor::Item::null());
  datum.put("Counts", cbor::Item::array());
  datum.put("Blob", cbor::Item::bytes("\x01\x02"));
  datum.put("Neg", cbor::Item::integer(-3));
  datum.put("Inf", cbor::Item::floating(-std::numeric_limits<double>::infinity()));
  cbor::Item list = cbor::Item::array();
  list.items.push_back(std::move(datum));
  m.put("MetricData", std::move(list));
  m.put("Strict", cbor::Item::boolean(true));
  auto json = cbor_to_json(cbor::encode(m));
  ASSERT_TRUE(json.ok()) << json.status().message();
  EXPECT_EQ(*json,
            R"({"Namespace":"App","MetricData":[{"MetricName":"Latency","Value":12.5,)"
            R"("Timestamp":1700000000.25,"Counts":[],"Blob":"AQI=","Neg":-3,"Inf":"-Infinity"}],)"
            R"("Strict":true})");
  EXPECT_EQ(*cbor_to_json(""), "{}");
  for (std::string bad : {std::string("\x83\x01", 2), std::string("\x01", 1), cbor::encode([] {
                            cbor::Item k = cbor::Item::map();
                            k.items.push_back(cbor::Item::integer(1));
                            k.items.push_back(cbor::Item::integer(2));
                            return k;
                          }())}) {
    auto r = cbor_to_json(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.status().message().starts_with("SerializationException: "))
        << r.status().message();
  }
}

TEST(RpcV2CborTest, ResponseTimestampsAreTag1) {
  auto bytes = json_to_cbor(
      R"({"MetricDataResults":[{"Id":"m1","Timestamps":[1700000060,1700000000.5],)"
      R"("Values":[1.5,2]}],"Datapoints":[{"Timestamp":1700000000,"ExtendedStatistics":)"
      R"({"p99":3}}]})",
      cloudwatch_shapes());
  ASSERT_TRUE(bytes.ok());
  auto item = cbor::decode(*bytes);
  ASSERT_TRUE(item.ok());
  const cbor::Item* results = item->find("MetricDataResults");
  ASSERT_NE(results, nullptr);
  const cbor::Item* ts = results->items[0].find("Timestamps");
  ASSERT_NE(ts, nullptr);
  ASSERT_EQ(ts->items.size(), 2u);
  EXPECT_EQ(ts->items[0].type, cbor::Type::kTag);
  EXPECT_EQ(ts->items[0].u, 1u);
  EXPECT_EQ(ts->items[0].items[0].type, cbor::Type::kUnsigned);
  EXPECT_EQ(ts->items[1].items[0].f, 1700000000.5);
  const cbor::Item* values = results->items[0].find("Values");
  EXPECT_EQ(values->items[0].type, cbor::Type::kFloat);
  EXPECT_EQ(values->items[1].type, cbor::Type::kUnsigned);
  const cbor::Item* dp = &item->find("Datapoints")->items[0];
  EXPECT_EQ(dp->find("Timestamp")->type, cbor::Type::kTag);
  EXPECT_EQ(dp->find("ExtendedStatistics")->find("p99")->u, 3u);  // map values stay numbers
  auto err = cbor::decode(cbor_error_body(AwsError{400, "InvalidParameterValue", "m"}));
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(err->find("__type")->str, "InvalidParameterValue");
  EXPECT_EQ(err->find("message")->str, "m");
}

// ---- the dispatcher ----

std::string_view header(const HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

class AwsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AwsApiDeps deps;
    deps.clock = &clock_;
    // Echo: answers {"Got": <request>, "At": now in seconds, "Account": <tenant account>}.
    deps.cloudwatch["Echo"] = [](const CwContext& ctx,
                                 std::string_view json) -> Result<std::string> {
      return std::string(R"({"Got":)") + std::string(json) + R"(,"Timestamp":)" +
             std::to_string(ctx.now_ms / 1000) + R"(,"Account":")" + ctx.tenant.account + "\"}";
    };
    deps.cloudwatch["Fail"] = [](const CwContext&, std::string_view) -> Result<std::string> {
      return Status::invalid_argument("MissingParameter: The parameter Namespace is required.");
    };
    deps.cloudwatch["Empty"] = [](const CwContext&, std::string_view) -> Result<std::string> {
      return std::string("{}");
    };
    register_aws_api(router_, deps);
    AwsApiDeps with_logs = deps;
    with_logs.logs = [](HttpRequest&, std::string_view op) {
      return HttpResponse::json(200, "{\"op\":\"" + std::string(op) + "\"}");
    };
    register_aws_api(logs_router_, with_logs);
  }

  HttpResponse post(std::string path, std::vector<std::pair<std::string, std::string>> headers,
                    std::string body, Router* router = nullptr) {
    HttpRequest req;
    req.method = "POST";
    req.path = path;
    req.target = path;
    req.headers = std::move(headers);
    req.body = std::move(body);
    return (router ? router : &router_)->dispatch(req);
  }

  ManualClock clock_{1'700'000'000'000};
  Router router_;
  Router logs_router_;
};

TEST_F(AwsApiTest, AwsQueryRoundTrip) {
  auto r = post("/", {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}},
                "Action=Echo&Version=2010-08-01&Period=60&Dimensions.member.1.Name=a%20b");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/xml");
  EXPECT_FALSE(header(r, "x-amzn-RequestId").empty());
  EXPECT_NE(r.body.find("<EchoResult><Got><Period>60</Period><Dimensions><member><Name>a b</Name>"
                        "</member></Dimensions></Got><Timestamp>2023-11-14T22:13:20.000Z"
                        "</Timestamp><Account>"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(std::string(header(r, "x-amzn-RequestId"))), std::string::npos);
  // gzip-compressed form bodies.
  auto gz = post(
      "/", {{"content-type", "application/x-www-form-urlencoded"}, {"content-encoding", "gzip"}},
      wire::gzip_compress("Action=Empty&Version=2010-08-01"));
  EXPECT_EQ(gz.status, 200) << gz.body;
  EXPECT_NE(gz.body.find("<EmptyResponse"), std::string::npos);
}

TEST_F(AwsApiTest, AwsQueryErrors) {
  auto unknown = post("/", {{"content-type", "application/x-www-form-urlencoded"}},
                      "Action=Nope&Version=2010-08-01");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("<Code>InvalidAction</Code>"), std::string::npos);
  auto missing = post("/", {{"content-type", "application/x-www-form-urlencoded"}}, "Version=1");
  EXPECT_NE(missing.body.find("<Code>MissingAction</Code>"), std::string::npos);
  auto fail = post("/", {{"content-type", "application/x-www-form-urlencoded"}}, "Action=Fail");
  EXPECT_EQ(fail.status, 400);
  EXPECT_NE(fail.body.find("<Type>Sender</Type><Code>MissingParameter</Code><Message>The "
                           "parameter Namespace is required.</Message>"),
            std::string::npos)
      << fail.body;
  auto bad =
      post("/", {{"content-type", "application/x-www-form-urlencoded"}}, "Action=Echo&Period=x");
  EXPECT_NE(bad.body.find("<Code>InvalidParameterValue</Code>"), std::string::npos);
}

TEST_F(AwsApiTest, Json10) {
  auto r = post("/",
                {{"x-amz-target", "GraniteServiceVersion20100801.Echo"},
                 {"content-type", "application/x-amz-json-1.0"}},
                R"({"A":1})");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/x-amz-json-1.0");
  EXPECT_TRUE(r.body.starts_with(R"({"Got":{"A":1},"Timestamp":1700000000,"Account":")")) << r.body;
  EXPECT_FALSE(header(r, "x-amzn-RequestId").empty());
  auto empty = post("/", {{"x-amz-target", "GraniteServiceVersion20100801.Echo"}}, "");
  EXPECT_NE(empty.body.find(R"("Got":{})"), std::string::npos);

  auto fail = post("/", {{"x-amz-target", "GraniteServiceVersion20100801.Fail"}}, "{}");
  EXPECT_EQ(fail.status, 400);
  EXPECT_EQ(header(fail, "x-amzn-query-error"), "MissingParameter;Sender");
  EXPECT_EQ(fail.body,
            R"({"__type":"MissingParameter","message":"The parameter Namespace is required."})");
  auto unknown = post("/", {{"x-amz-target", "GraniteServiceVersion20100801.Nope"}}, "{}");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("UnknownOperationException"), std::string::npos);
  EXPECT_FALSE(header(unknown, "x-amzn-RequestId").empty());
}

TEST_F(AwsApiTest, LogsTargetsGoToTheLogsHandler) {
  auto none = post("/", {{"x-amz-target", "Logs_20140328.CreateLogGroup"}}, "{}");
  EXPECT_EQ(none.status, 400);
  EXPECT_NE(none.body.find("UnknownOperationException"), std::string::npos);
  auto r = post("/", {{"x-amz-target", "Logs_20140328.CreateLogGroup"}}, "{}", &logs_router_);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"op":"CreateLogGroup"})");
}

TEST_F(AwsApiTest, RpcV2Cbor) {
  const std::string path = "/service/GraniteServiceVersion20100801/operation/";
  cbor::Item req = cbor::Item::map();
  req.put("StartTime", cbor::Item::tagged(1, cbor::Item::integer(1699999000)));
  auto r = post(path + "Echo",
                {{"smithy-protocol", "rpc-v2-cbor"}, {"content-type", "application/cbor"}},
                cbor::encode(req));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/cbor");
  EXPECT_EQ(header(r, "smithy-protocol"), "rpc-v2-cbor");
  EXPECT_FALSE(header(r, "x-amzn-RequestId").empty());
  auto item = cbor::decode(r.body);
  ASSERT_TRUE(item.ok());
  const cbor::Item* got = item->find("Got");
  ASSERT_NE(got, nullptr);
  ASSERT_EQ(got->find("StartTime")->type, cbor::Type::kTag);  // a timestamp member again
  EXPECT_EQ(got->find("StartTime")->items[0].u, 1699999000u);
  EXPECT_EQ(item->find("Timestamp")->type, cbor::Type::kTag);

  auto empty = post(path + "Empty", {{"smithy-protocol", "rpc-v2-cbor"}}, "");
  EXPECT_EQ(empty.status, 200);
  EXPECT_EQ(empty.body, "\xa0");

  auto fail = post(path + "Fail", {{"smithy-protocol", "rpc-v2-cbor"}}, "");
  EXPECT_EQ(fail.status, 400);
  EXPECT_EQ(header(fail, "x-amzn-query-error"), "MissingParameter;Sender");
  EXPECT_EQ(cbor::decode(fail.body)->find("__type")->str, "MissingParameter");
  auto unknown = post(path + "Nope", {{"smithy-protocol", "rpc-v2-cbor"}}, "");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(cbor::decode(unknown.body)->find("__type")->str, "UnknownOperationException");
  auto garbage = post(path + "Echo", {{"smithy-protocol", "rpc-v2-cbor"}}, "\x83\x01");
  EXPECT_EQ(garbage.status, 400);
  EXPECT_EQ(cbor::decode(garbage.body)->find("__type")->str, "SerializationException");
}

}  // namespace
}  // namespace opsight::api::aws
