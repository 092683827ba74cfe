#include "ingest/logs/emf.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace opsight::ingest::logs {
namespace {

using storage::Sample;
using storage::StatSet;

std::string doc(std::string_view directive, std::string_view members,
                std::string_view ts = "1700000000000") {
  return fmt::format(R"({{"_aws":{{"Timestamp":{},"CloudWatchMetrics":[{}]}}{}}})", ts, directive,
                     members);
}

// The single error of an EMF document ("" when it decodes).
std::string emf_error(const std::string& message) {
  MetricBatch out;
  EXPECT_TRUE(extract_emf_metrics(message, "event[0]", &out));
  if (out.errors.empty()) return "";
  EXPECT_TRUE(out.series.empty());
  return out.errors[0].item + ": " + out.errors[0].message;
}

TEST(EmfTest, DimensionSetsAndValues) {
  std::string m = doc(
      R"({"Namespace":"App","Dimensions":[["Service"],["Service","Op"]],)"
      R"("Metrics":[{"Name":"Latency","Unit":"Milliseconds","StorageResolution":1},{"Name":"Hits"}]})",
      R"(,"Service":"api","Op":"get","Latency":[12,15.5,3],"Hits":1,"note":"x")");
  MetricBatch out;
  ASSERT_TRUE(extract_emf_metrics(m, "event[0]", &out));
  ASSERT_TRUE(out.errors.empty()) << out.errors[0].message;
  ASSERT_EQ(out.series.size(), 4u);
  EXPECT_EQ(out.series[0].labels,
            (Labels{{"__name__", "Latency"}, {"Namespace", "App"}, {"Service", "api"}}));
  EXPECT_EQ(
      out.series[1].labels,
      (Labels{{"__name__", "Latency"}, {"Namespace", "App"}, {"Service", "api"}, {"Op", "get"}}));
  EXPECT_EQ(out.series[0].item, "event[0]");
  StatSet s;
  s.count = 3;
  s.sum = 30.5;
  s.min = 3;
  s.max = 15.5;
  EXPECT_TRUE(out.series[0].samples[0].same_as(Sample::stat_set(1'700'000'000'000, s)));
  EXPECT_TRUE(out.series[2].samples[0].same_as(Sample::value(1'700'000'000'000, 1)));
  EXPECT_EQ(out.series[2].labels.get("__name__"), "Hits");
  ASSERT_EQ(out.metadata.size(), 1u);
  EXPECT_EQ(out.metadata[0].metric, "Latency");
  EXPECT_EQ(out.metadata[0].meta.unit, "Milliseconds");
}

TEST(EmfTest, EmptyDimensionsIsOneDimensionlessSeries) {
  MetricBatch out;
  ASSERT_TRUE(extract_emf_metrics(
      doc(R"({"Namespace":"N","Dimensions":[],"Metrics":[{"Name":"m"}]})", R"(,"m":2.5)"), "e",
      &out));
  ASSERT_EQ(out.series.size(), 1u);
  EXPECT_EQ(out.series[0].labels, (Labels{{"__name__", "m"}, {"Namespace", "N"}}));
}

TEST(EmfTest, NotEmfIsIgnored) {
  MetricBatch out;
  EXPECT_FALSE(extract_emf_metrics("plain text", "e", &out));
  EXPECT_FALSE(extract_emf_metrics(R"({"level":"info"})", "e", &out));
  EXPECT_FALSE(extract_emf_metrics(R"({"_aws":{"Timestamp":1}})", "e", &out));
  EXPECT_FALSE(extract_emf_metrics(R"({"_aws":{"CloudWatchMetrics":[]} garbage)", "e", &out));
  EXPECT_TRUE(out.series.empty());
  EXPECT_TRUE(out.errors.empty());
}

TEST(EmfTest, EachRuleNamesTheMember) {
  const std::string ok_members = R"(,"S":"a","m":1)";
  auto dir = [](std::string_view body) { return std::string(body); };
  EXPECT_EQ(emf_error(R"({"_aws":{"CloudWatchMetrics":[]}})"),
            "event[0]._aws.Timestamp: is required");
  EXPECT_EQ(emf_error(doc(dir(R"({"Namespace":"N","Dimensions":[],"Metrics":[]})"), "", "\"x\"")),
            "event[0]._aws.Timestamp: must be a number of epoch milliseconds >= 0");
  EXPECT_EQ(emf_error(R"({"_aws":{"Timestamp":1,"CloudWatchMetrics":{}}})"),
            "event[0]._aws.CloudWatchMetrics: must be an array of MetricDirectives");
  EXPECT_EQ(emf_error(doc("", "")),
            "event[0]._aws.CloudWatchMetrics: must have 1..100 MetricDirectives (got 0)");
  EXPECT_EQ(emf_error(doc(R"({"Dimensions":[],"Metrics":[]})", "")),
            "event[0]._aws.CloudWatchMetrics[0].Namespace: is required");
  EXPECT_EQ(emf_error(doc(R"({"Namespace":"","Dimensions":[],"Metrics":[]})", "")),
            "event[0]._aws.CloudWatchMetrics[0].Namespace: length must be 1..255 characters (got "
            "0)");
  EXPECT_EQ(emf_error(doc(R"({"Namespace":"N","Metrics":[]})", "")),
            "event[0]._aws.CloudWatchMetrics[0].Dimensions: is required");
  EXPECT_EQ(emf_error(doc(R"({"Namespace":"N","Dimensions":[["Missing"]],"Metrics":[]})", "")),
            "event[0]._aws.CloudWatchMetrics[0].Dimensions[0][0]: dimension \"Missing\" has no "
            "member in the document root");
  EXPECT_EQ(emf_error(doc(R"({"Namespace":"N","Dimensions":[["m"]],"Metrics":[]})", ok_members)),
            "event[0]._aws.CloudWatchMetrics[0].Dimensions[0][0]: the value of dimension \"m\" "
            "must be a string");
  EXPECT_EQ(emf_error(doc(R"({"Namespace":"N","Dimensions":[["Namespace"]],"Metrics":[]})",
                          R"(,"Namespace":"x")")),
            "event[0]._aws.CloudWatchMetrics[0].Dimensions[0][0]: \"Namespace\" is reserved: "
            "opsight stores the namespace as a label of that name");
  std::string many = "[";
  for (int i = 0; i < 31; i++) many += (i ? ",\"S\"" : "\"S\"");
  many += "]";
  EXPECT_EQ(
      emf_error(doc(fmt::format(R"({{"Namespace":"N","Dimensions":[{}],"Metrics":[]}})", many),
                    ok_members)),
      "event[0]._aws.CloudWatchMetrics[0].Dimensions[0]: 31 dimensions: at most 30 are "
      "allowed");
  EXPECT_EQ(
      emf_error(doc(R"({"Namespace":"N","Dimensions":[],"Metrics":[{"Name":"x"}]})", ok_members)),
      "event[0]._aws.CloudWatchMetrics[0].Metrics[0].Name: metric \"x\" has no member in "
      "the document root");
  EXPECT_EQ(
      emf_error(doc(R"({"Namespace":"N","Dimensions":[],"Metrics":[{"Name":"S"}]})", ok_members)),
      "event[0]._aws.CloudWatchMetrics[0].Metrics[0].Name: metric \"S\": value must be a "
      "number or an array of numbers");
  EXPECT_EQ(
      emf_error(doc(R"({"Namespace":"N","Dimensions":[],"Metrics":[{"Name":"v"}]})", R"(,"v":[])")),
      "event[0]._aws.CloudWatchMetrics[0].Metrics[0].Name: metric \"v\": value array must "
      "have 1..100 numbers (got 0)");
  EXPECT_EQ(emf_error(doc(
                R"({"Namespace":"N","Dimensions":[],"Metrics":[{"Name":"m","Unit":"Furlongs"}]})",
                ok_members)),
            "event[0]._aws.CloudWatchMetrics[0].Metrics[0].Unit: \"Furlongs\" is not a CloudWatch "
            "unit (Seconds, Milliseconds, Bytes, Percent, Count, Count/Second, None, ...)");
  EXPECT_EQ(
      emf_error(
          doc(R"({"Namespace":"N","Dimensions":[],"Metrics":[{"Name":"m","StorageResolution":5}]})",
              ok_members)),
      "event[0]._aws.CloudWatchMetrics[0].Metrics[0].StorageResolution: must be 1 (high "
      "resolution) or 60");
}

TEST(EmfTest, InvalidDirectiveDropsTheWholeDocument) {
  MetricBatch out;
  ASSERT_TRUE(extract_emf_metrics(
      doc(R"({"Namespace":"N","Dimensions":[],"Metrics":[{"Name":"m"}]},{"Namespace":"N2"})",
          R"(,"m":1)"),
      "e", &out));
  EXPECT_TRUE(out.series.empty());
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].item, "e._aws.CloudWatchMetrics[1].Dimensions");
}

}  // namespace
}  // namespace opsight::ingest::logs
