#include "ingest/aws/put_metric_data.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

namespace opsight::ingest::aws {
namespace {

using storage::Sample;
using storage::StatSet;

constexpr int64_t kNow = 1700000000000;

// Wraps MetricData items into a request for namespace "App".
std::string req(std::string_view items) {
  return fmt::format(R"({{"Namespace":"App","MetricData":[{}]}})", items);
}

// Decodes a request with a single item; returns its error ("" if none).
std::string item_error(std::string_view item) {
  MetricBatch out;
  Status st = decode_put_metric_data(req(item), kNow, &out);
  EXPECT_TRUE(st.ok()) << st.to_string();
  if (out.errors.empty()) {
    EXPECT_EQ(out.series.size(), 1u);
    return "";
  }
  EXPECT_TRUE(out.series.empty());
  return out.errors[0].item + ": " + out.errors[0].message;
}

TEST(PutMetricDataTest, ValueItemBecomesOneSeries) {
  MetricBatch out;
  ASSERT_TRUE(decode_put_metric_data(
                  req(R"({"MetricName":"Latency","Unit":"Milliseconds","StorageResolution":1,)"
                      R"("Dimensions":[{"Name":"Host","Value":"a"},{"Name":"Az","Value":"1b"}],)"
                      R"("Timestamp":1700000001.5,"Value":12.5})"),
                  kNow, &out)
                  .ok());
  ASSERT_TRUE(out.errors.empty());
  ASSERT_EQ(out.series.size(), 1u);
  EXPECT_EQ(out.series[0].labels,
            (Labels{{"__name__", "Latency"}, {"Namespace", "App"}, {"Host", "a"}, {"Az", "1b"}}));
  EXPECT_EQ(out.series[0].item, "MetricData[0]");
  ASSERT_EQ(out.series[0].samples.size(), 1u);
  EXPECT_TRUE(out.series[0].samples[0].same_as(Sample::value(1700000001500, 12.5)));
  ASSERT_EQ(out.metadata.size(), 1u);
  EXPECT_EQ(out.metadata[0].metric, "Latency");
  EXPECT_EQ(out.metadata[0].meta.unit, "Milliseconds");
}

TEST(PutMetricDataTest, DefaultsTimestampToNowAndAddsNoMetadataWithoutUnit) {
  MetricBatch out;
  ASSERT_TRUE(decode_put_metric_data(req(R"({"MetricName":"X","Value":1})"), kNow, &out).ok());
  ASSERT_EQ(out.series.size(), 1u);
  EXPECT_EQ(out.series[0].samples[0].t, kNow);
  EXPECT_TRUE(out.metadata.empty());
}

TEST(PutMetricDataTest, UnitMetadataIsDeduplicated) {
  MetricBatch out;
  ASSERT_TRUE(decode_put_metric_data(req(R"({"MetricName":"X","Value":1,"Unit":"Count"},)"
                                         R"({"MetricName":"X","Value":2,"Unit":"Count"},)"
                                         R"({"MetricName":"Y","Value":2,"Unit":"Bytes/Second"})"),
                                     kNow, &out)
                  .ok());
  ASSERT_EQ(out.metadata.size(), 2u);
  EXPECT_EQ(out.metadata[1].metric, "Y");
  EXPECT_EQ(out.metadata[1].meta.unit, "Bytes/Second");
}

TEST(PutMetricDataTest, ValuesAndCountsBecomeOneStatisticSet) {
  MetricBatch out;
  ASSERT_TRUE(decode_put_metric_data(
                  req(R"({"MetricName":"L","Values":[1,5,3,9],"Counts":[2,1,0,1],"Timestamp":10},)"
                      R"({"MetricName":"M","Values":[4,2],"Timestamp":10})"),
                  kNow, &out)
                  .ok());
  ASSERT_TRUE(out.errors.empty());
  ASSERT_EQ(out.series.size(), 2u);
  // The value 3 has count 0: it counts neither for min/max nor the sum.
  EXPECT_TRUE(out.series[0].samples[0].same_as(Sample::stat_set(10000, StatSet{4, 16, 1, 9})));
  EXPECT_TRUE(out.series[1].samples[0].same_as(Sample::stat_set(10000, StatSet{2, 6, 2, 4})));
}

TEST(PutMetricDataTest, StatisticValuesBecomeAStatisticSet) {
  MetricBatch out;
  ASSERT_TRUE(
      decode_put_metric_data(req(R"({"MetricName":"L","StatisticValues":{"SampleCount":3,"Sum":6,)"
                                 R"("Minimum":1,"Maximum":3},"Timestamp":"2023-11-14T22:13:20Z"})"),
                             kNow, &out)
          .ok());
  ASSERT_EQ(out.series.size(), 1u);
  EXPECT_TRUE(out.series[0].samples[0].same_as(Sample::stat_set(kNow, StatSet{3, 6, 1, 3})));
}

TEST(PutMetricDataTest, RequestLevelErrors) {
  struct Case {
    std::string body;
    std::string message;
  } cases[] = {
      {"not json", ""},
      {"[]", "PutMetricData: request body must be a JSON object"},
      {R"({"MetricData":[{"MetricName":"a","Value":1}]})",
       "PutMetricData: missing required parameter Namespace"},
      {R"({"Namespace":5,"MetricData":[]})", "PutMetricData: Namespace must be a string"},
      {R"({"Namespace":"","MetricData":[{"MetricName":"a","Value":1}]})",
       "PutMetricData: Namespace: length must be 1..255 characters (got 0)"},
      {R"({"Namespace":"AWS/EC2","MetricData":[{"MetricName":"a","Value":1}]})",
       "PutMetricData: Namespace: namespaces starting with \"AWS/\" are reserved for AWS"},
      {R"({"Namespace":":x","MetricData":[{"MetricName":"a","Value":1}]})",
       "PutMetricData: Namespace: must not start with a colon (:)"},
      {R"({"Namespace":"App"})", "PutMetricData: missing required parameter MetricData"},
      {R"({"Namespace":"App","MetricData":{}})", "PutMetricData: MetricData must be an array"},
      {R"({"Namespace":"App","MetricData":[]})",
       "PutMetricData: MetricData must have 1..1000 items (got 0)"},
  };
  for (const auto& c : cases) {
    MetricBatch out;
    Status st = decode_put_metric_data(c.body, kNow, &out);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << c.body;
    if (c.message.empty()) {
      EXPECT_EQ(st.message().rfind("PutMetricData: request body is not valid JSON", 0), 0u)
          << st.message();
    } else {
      EXPECT_EQ(st.message(), c.message);
    }
    EXPECT_TRUE(out.series.empty());
  }
  std::string long_ns(256, 'n');
  MetricBatch out;
  EXPECT_EQ(decode_put_metric_data(
                fmt::format(R"({{"Namespace":"{}","MetricData":[{{"MetricName":"a","Value":1}}]}})",
                            long_ns),
                kNow, &out)
                .code(),
            Code::kInvalidArgument);
}

TEST(PutMetricDataTest, TooManyItemsIsRequestLevel) {
  std::string items;
  for (int i = 0; i < 1001; i++)
    items += std::string(i ? "," : "") + R"({"MetricName":"a","Value":1})";
  MetricBatch out;
  Status st = decode_put_metric_data(req(items), kNow, &out);
  EXPECT_EQ(st.message(), "PutMetricData: MetricData must have 1..1000 items (got 1001)");
}

TEST(PutMetricDataTest, ItemRules) {
  std::string d30;
  for (int i = 0; i < 31; i++) {
    d30 += fmt::format(R"({}{{"Name":"d{}","Value":"v"}})", i ? "," : "", i);
  }
  std::string values151 = "0";
  for (int i = 0; i < 150; i++) values151 += ",1";
  struct Case {
    std::string item;
    std::string error;
  } cases[] = {
      {R"({"Value":1})", "MetricData[0].MetricName: is required"},
      {R"({"MetricName":"","Value":1})",
       "MetricData[0].MetricName: length must be 1..255 characters (got 0)"},
      {R"({"MetricName":")" + std::string(256, 'm') + R"(","Value":1})",
       "MetricData[0].MetricName: length must be 1..255 characters (got 256)"},
      {R"({"MetricName":"m","Dimensions":[)" + d30 + R"(],"Value":1})",
       "MetricData[0].Dimensions: 31 dimensions: at most 30 are allowed"},
      {R"({"MetricName":"m","Dimensions":[{"Name":"","Value":"v"}],"Value":1})",
       "MetricData[0].Dimensions[0].Name: length must be 1..255 characters (got 0)"},
      {R"({"MetricName":"m","Dimensions":[{"Name":"a","Value":"v"},{"Value":"v"}],"Value":1})",
       "MetricData[0].Dimensions[1].Name: is required"},
      {R"({"MetricName":"m","Dimensions":[{"Name":"Namespace","Value":"v"}],"Value":1})",
       "MetricData[0].Dimensions[0].Name: \"Namespace\" is reserved: opsight stores the "
       "namespace as a label of that name"},
      {R"({"MetricName":"m","Dimensions":[{"Name":"__x","Value":"v"}],"Value":1})",
       "MetricData[0].Dimensions[0].Name: \"__x\" is reserved: names starting with __ are "
       "opsight-internal labels"},
      {R"({"MetricName":"m","Dimensions":[{"Name":":a","Value":"v"}],"Value":1})",
       "MetricData[0].Dimensions[0].Name: must not start with a colon (:)"},
      {R"({"MetricName":"m","Dimensions":[{"Name":"a","Value":"v"},{"Name":"a","Value":"w"}],)"
       R"("Value":1})",
       "MetricData[0].Dimensions[1].Name: duplicate dimension name \"a\""},
      {R"({"MetricName":"m","Dimensions":[{"Name":"a","Value":")" + std::string(1025, 'v') +
           R"("}],"Value":1})",
       "MetricData[0].Dimensions[0].Value: length must be 1..1024 characters (got 1025)"},
      {R"({"MetricName":"m","Dimensions":[{"Name":"a","Value":"  "}],"Value":1})",
       "MetricData[0].Dimensions[0].Value: must contain at least one non-whitespace character"},
      {R"({"MetricName":"m","Dimensions":[{"Name":"a","Value":"\u00e9"}],"Value":1})",
       "MetricData[0].Dimensions[0].Value: must contain only ASCII characters"},
      {R"({"MetricName":"m","Dimensions":[{"Name":"a","Value":"x\ty"}],"Value":1})",
       "MetricData[0].Dimensions[0].Value: must not contain ASCII control characters"},
      {R"({"MetricName":"m"})",
       "MetricData[0]: one of Value, Values or StatisticValues is required"},
      {R"({"MetricName":"m","Value":1,"Values":[1]})",
       "MetricData[0]: Value, Values and StatisticValues are mutually exclusive: give one"},
      {R"({"MetricName":"m","Value":1,"Counts":[1]})",
       "MetricData[0].Counts: is only allowed with Values"},
      {R"({"MetricName":"m","Value":"NaN"})",
       "MetricData[0].Value: must be a finite number: CloudWatch does not accept NaN or "
       "infinities"},
      // 2^-260 ~= 5.3976e-79
      {R"({"MetricName":"m","Value":5.397605346934028e-79})", ""},
      {R"({"MetricName":"m","Value":-5.39e-79})",
       "MetricData[0].Value: -5.39e-79 is out of CloudWatch's range: |value| must be 0 or >= "
       "2^-260"},
      {R"({"MetricName":"m","Value":0})", ""},
      {R"({"MetricName":"m","Value":-0.0})", ""},
      {R"({"MetricName":"m","Values":[]})",
       "MetricData[0].Values: must have 1..150 values (got 0)"},
      {R"({"MetricName":"m","Values":[)" + values151 + "]}",
       "MetricData[0].Values: must have 1..150 values (got 151)"},
      {R"({"MetricName":"m","Values":[1,2],"Counts":[1]})",
       "MetricData[0].Counts: must have as many items as Values (1 vs 2)"},
      {R"({"MetricName":"m","Values":[1,2],"Counts":[1,-1]})",
       "MetricData[0].Counts[1]: must be a number >= 0"},
      {R"({"MetricName":"m","Values":[1,2],"Counts":[0,0]})",
       "MetricData[0].Counts: the total count must be > 0"},
      {R"({"MetricName":"m","Values":[1,1e200]})",
       "MetricData[0].Values[1]: 1e+200 is out of CloudWatch's range: |value| must be <= 2^360"},
      {R"({"MetricName":"m","StatisticValues":{"SampleCount":0,"Sum":1,"Minimum":1,)"
       R"("Maximum":1}})",
       "MetricData[0].StatisticValues.SampleCount: must be > 0"},
      {R"({"MetricName":"m","StatisticValues":{"SampleCount":2,"Sum":1,"Minimum":3,)"
       R"("Maximum":1}})",
       "MetricData[0].StatisticValues: Minimum (3) must be <= Maximum (1)"},
      {R"({"MetricName":"m","StatisticValues":{"SampleCount":2,"Sum":1,"Minimum":1}})",
       "MetricData[0].StatisticValues.Maximum: is required"},
      {R"({"MetricName":"m","Value":1,"Unit":"Furlongs"})",
       "MetricData[0].Unit: \"Furlongs\" is not a CloudWatch unit (Seconds, Milliseconds, Bytes, "
       "Percent, Count, Count/Second, None, ...)"},
      {R"({"MetricName":"m","Value":1,"StorageResolution":5})",
       "MetricData[0].StorageResolution: must be 1 (high resolution) or 60 (standard)"},
      {R"({"MetricName":"m","Value":1,"StorageResolution":60})", ""},
      {R"({"MetricName":"m","Value":1,"Timestamp":"yesterday"})",
       "MetricData[0].Timestamp: \"yesterday\" is not an ISO-8601 date-time "
       "(YYYY-MM-DDThh:mm:ss[.fff][Z|+hh:mm]): bad date"},
      {R"({"MetricName":"m","Value":1,"Timestamp":true})",
       "MetricData[0].Timestamp: must be epoch seconds (a number) or an ISO-8601 date-time "
       "string"},
      {R"(5)", "MetricData[0]: must be an object (a MetricDatum)"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(item_error(c.item), c.error) << c.item.substr(0, 200);
  }
  // 2^360 ~= 2.3485e108: the boundary itself is accepted, just above is not.
  EXPECT_EQ(item_error(R"({"MetricName":"m","Value":2.3485425827738332e108})"), "");
  EXPECT_EQ(item_error(R"({"MetricName":"m","Value":-2.35e108})"),
            "MetricData[0].Value: -2.35e+108 is out of CloudWatch's range: |value| must be <= "
            "2^360");
}

TEST(PutMetricDataTest, BadItemsAreSkippedAndGoodOnesKept) {
  MetricBatch out;
  ASSERT_TRUE(decode_put_metric_data(req(R"({"MetricName":"a","Value":1},)"
                                         R"({"MetricName":"b"},)"
                                         R"({"MetricName":"c","Value":3,"Unit":"Bad"},)"
                                         R"({"MetricName":"d","Value":4})"),
                                     kNow, &out)
                  .ok());
  ASSERT_EQ(out.series.size(), 2u);
  EXPECT_EQ(out.series[0].item, "MetricData[0]");
  EXPECT_EQ(out.series[1].item, "MetricData[3]");
  ASSERT_EQ(out.errors.size(), 2u);
  EXPECT_EQ(out.errors[0].item, "MetricData[1]");
  EXPECT_EQ(out.errors[1].item, "MetricData[2].Unit");
  EXPECT_TRUE(out.metadata.empty());  // the unit of a rejected item is not recorded
}

TEST(PutMetricDataTest, Iso8601Timestamps) {
  EXPECT_EQ(*parse_iso8601_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*parse_iso8601_ms("2023-11-14T22:13:20Z"), 1700000000000);
  EXPECT_EQ(*parse_iso8601_ms("2023-11-14T22:13:20.250Z"), 1700000000250);
  EXPECT_EQ(*parse_iso8601_ms("2023-11-14T22:13:20.2509Z"), 1700000000250);
  EXPECT_EQ(*parse_iso8601_ms("2023-11-14T22:13:20"), 1700000000000);
  EXPECT_EQ(*parse_iso8601_ms("2023-11-15T00:13:20+02:00"), 1700000000000);
  EXPECT_EQ(*parse_iso8601_ms("2023-11-14T20:13:20-0200"), 1700000000000);
  EXPECT_EQ(*parse_iso8601_ms("2024-02-29T00:00:00Z"), 1709164800000);
  EXPECT_EQ(*parse_iso8601_ms("1969-12-31T23:59:59Z"), -1000);
  EXPECT_FALSE(parse_iso8601_ms("2023-02-29T00:00:00Z").ok());
  EXPECT_FALSE(parse_iso8601_ms("2023-13-01T00:00:00Z").ok());
  EXPECT_FALSE(parse_iso8601_ms("2023-11-14T24:00:00Z").ok());
  EXPECT_FALSE(parse_iso8601_ms("2023-11-14T22:13:20Zjunk").ok());
  EXPECT_FALSE(parse_iso8601_ms("2023-11-14").ok());
  EXPECT_FALSE(parse_iso8601_ms("2023-11-14T22:13:20.Z").ok());
  EXPECT_FALSE(parse_iso8601_ms("").ok());
}

}  // namespace
}  // namespace opsight::ingest::aws
