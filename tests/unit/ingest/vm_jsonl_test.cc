#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "ingest/vm/jsonl.h"

namespace opsight::ingest::vm {
namespace {

using storage::Sample;

double bits_to_double(uint64_t b) {
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}

uint64_t double_bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}

TEST(VmJsonlTest, ImportsTheDocumentedExample) {
  std::string body =
      R"({"metric":{"__name__":"up","job":"node_exporter","instance":"localhost:9100"},)"
      R"("values":[0,0,0],"timestamps":[1549891472010,1549891487724,1549891503438]})"
      "\n"
      R"({"metric":{"__name__":"up","job":"prometheus","instance":"localhost:9090"},)"
      R"("values":[1,1.5,-2e3],"timestamps":[1549891461511,1549891476511,1549891491511]})"
      "\n";
  MetricBatch out;
  ASSERT_TRUE(decode_import(body, &out).ok());
  EXPECT_TRUE(out.errors.empty());
  ASSERT_EQ(out.series.size(), 2u);
  EXPECT_EQ(out.series[0].labels,
            (Labels{{"__name__", "up"}, {"instance", "localhost:9100"}, {"job", "node_exporter"}}));
  EXPECT_EQ(out.series[0].item, "line 1");
  ASSERT_EQ(out.series[1].samples.size(), 3u);
  EXPECT_TRUE(out.series[1].samples[0].same_as(Sample::value(1549891461511, 1)));
  EXPECT_TRUE(out.series[1].samples[1].same_as(Sample::value(1549891476511, 1.5)));
  EXPECT_TRUE(out.series[1].samples[2].same_as(Sample::value(1549891491511, -2000)));
  EXPECT_EQ(out.series[1].item, "line 2");
}

TEST(VmJsonlTest, SpecialValuesAsVictoriaMetricsAcceptsThem) {
  std::string body =
      R"({"metric":{"__name__":"x"},"values":[null,"NaN","nan","Inf","-Inf","infinity",)"
      R"("-Infinity","+Inf","StaleNaN"],"timestamps":[1,2,3,4,5,6,7,8,9]})";
  MetricBatch out;
  ASSERT_TRUE(decode_import(body, &out).ok());
  ASSERT_TRUE(out.errors.empty()) << out.errors[0].message;
  ASSERT_EQ(out.series.size(), 1u);
  const auto& s = out.series[0].samples;
  ASSERT_EQ(s.size(), 9u);
  for (int i = 0; i < 3; i++) EXPECT_EQ(double_bits(s[i].v), kNormalNaNBits) << i;
  EXPECT_EQ(s[3].v, std::numeric_limits<double>::infinity());
  EXPECT_EQ(s[4].v, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(s[5].v, std::numeric_limits<double>::infinity());
  EXPECT_EQ(s[6].v, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(s[7].v, std::numeric_limits<double>::infinity());
  EXPECT_TRUE(storage::is_stale_nan(s[8].v));
}

TEST(VmJsonlTest, BadLinesAreItemErrorsAndGoodLinesKept) {
  std::string body =
      R"({"metric":{"__name__":"a"},"values":[1],"timestamps":[1]})"
      "\n\n   \n"                                                           // blank: ignored
      R"({"metric":{"__name__":"b"},"values":[1,2,3],"timestamps":[1,2]})"  // line 4
      "\n"
      R"({"metric":{"__name__":"c"},"values":["1"],"timestamps":[1]})"  // line 5
      "\n"
      R"(not json)"  // line 6
      "\n"
      R"({"metric":{"job":"x"},"values":[1],"timestamps":[1]})"  // line 7
      "\n"
      R"({"metric":{"__name__":"d","a":"1","a":"2"},"values":[1],"timestamps":[1]})"  // 8
      "\n"
      R"({"metric":{"__name__":"e","a":1},"values":[1],"timestamps":[1]})"  // 9
      "\n"
      R"({"metric":{"__name__":"f"},"values":[1],"timestamps":[1.5]})"  // 10
      "\n"
      R"({"metric":{"__name__":"g"},"values":[],"timestamps":[]})"  // 11
      "\n"
      R"({"values":[1],"timestamps":[1]})"  // 12
      "\n"
      R"([1,2])"  // 13
      "\n"
      R"({"metric":{"__name__":"h"},"values":[1e999],"timestamps":[1]})"  // 14
      "\r\n"
      R"({"metric":{"__name__":"z"},"values":[2],"timestamps":[2]})"  // 15, no final newline
      "\r";
  MetricBatch out;
  ASSERT_TRUE(decode_import(body, &out).ok());
  ASSERT_EQ(out.series.size(), 2u);
  EXPECT_EQ(out.series[0].labels.metric_name(), "a");
  EXPECT_EQ(out.series[1].labels.metric_name(), "z");
  EXPECT_EQ(out.series[1].item, "line 15");
  std::vector<std::pair<std::string, std::string>> want = {
      {"line 4", "values and timestamps differ in length (3 vs 2)"},
      {"line 5",
       "values[0]: unsupported string \"1\": a value is a JSON number, null, \"NaN\", \"Inf\" "
       "or \"-Inf\""},
      {"line 6", ""},
      {"line 7", "metric: missing metric name (label __name__)"},
      {"line 8", "metric: duplicate label name \"a\""},
      {"line 9", "metric: value of label \"a\" is not a string"},
      {"line 10", "timestamps[0]: not an integer number of milliseconds"},
      {"line 11", "\"values\" is empty"},
      {"line 12", "missing \"metric\" object"},
      {"line 13", "not a JSON object"},
      {"line 14", ""},
  };
  ASSERT_EQ(out.errors.size(), want.size());
  for (size_t i = 0; i < want.size(); i++) {
    EXPECT_EQ(out.errors[i].item, want[i].first);
    if (!want[i].second.empty()) {
      EXPECT_EQ(out.errors[i].message, want[i].second);
    } else {
      EXPECT_EQ(out.errors[i].message.rfind("invalid JSON: ", 0), 0u) << out.errors[i].message;
    }
  }
}

TEST(VmJsonlTest, EmptyLabelValuesAreDroppedAndUnknownMembersIgnored) {
  std::string body =
      R"({"metric":{"__name__":"a","empty":"","k":"v"},"values":[1],"timestamps":[1],"x":{}})";
  MetricBatch out;
  ASSERT_TRUE(decode_import(body, &out).ok());
  ASSERT_EQ(out.series.size(), 1u);
  EXPECT_EQ(out.series[0].labels, (Labels{{"__name__", "a"}, {"k", "v"}}));
}

TEST(VmJsonlTest, ExportLineFormat) {
  Labels labels{{"__name__", "up"}, {"job", "a\"b"}};
  std::vector<Sample> samples = {Sample::value(1000, 1), Sample::value(2000, 0.1),
                                 Sample::value(3000, bits_to_double(kNormalNaNBits)),
                                 Sample::value(4000, -std::numeric_limits<double>::infinity()),
                                 Sample::value(5000, storage::stale_nan())};
  std::string out;
  encode_export_line(labels, samples, &out);
  EXPECT_EQ(out,
            R"({"metric":{"__name__":"up","job":"a\"b"},"values":[1,0.1,null,"-Inf","StaleNaN"],)"
            R"("timestamps":[1000,2000,3000,4000,5000]})"
            "\n");
  std::string empty;
  encode_export_line(labels, {}, &empty);
  EXPECT_EQ(empty, "");
}

TEST(VmJsonlTest, ExportsStatisticSetsWithAStatisticsMember) {
  Labels labels{{"__name__", "Latency"}, {"Namespace", "App"}};
  std::vector<Sample> samples = {Sample::value(1000, 7), Sample::stat_set(2000, {4, 10, 1, 5})};
  std::string line;
  encode_export_line(labels, samples, &line);
  EXPECT_EQ(line,
            R"({"metric":{"Namespace":"App","__name__":"Latency"},"values":[7,10],)"
            R"("timestamps":[1000,2000],"statistics":[null,{"count":4,"sum":10,"min":1,"max":5}]})"
            "\n");
  MetricBatch out;
  ASSERT_TRUE(decode_import(line, &out).ok());
  ASSERT_EQ(out.series.size(), 1u);
  ASSERT_EQ(out.series[0].samples.size(), 2u);
  EXPECT_TRUE(out.series[0].samples[0].same_as(samples[0]));
  EXPECT_TRUE(out.series[0].samples[1].same_as(samples[1]));
}

TEST(VmJsonlTest, BadStatisticsAreLineErrors) {
  std::string body =
      R"({"metric":{"__name__":"a"},"values":[1,2],"timestamps":[1,2],"statistics":[null]})"
      "\n"
      R"({"metric":{"__name__":"a"},"values":[1],"timestamps":[1],"statistics":[{"count":1}]})";
  MetricBatch out;
  ASSERT_TRUE(decode_import(body, &out).ok());
  ASSERT_EQ(out.errors.size(), 2u);
  EXPECT_EQ(out.errors[0].message, "statistics and values differ in length (1 vs 2)");
  EXPECT_EQ(out.errors[1].message, "statistics[0]: missing \"sum\"");
}

TEST(VmJsonlTest, RoundTripIsBitExact) {
  std::mt19937_64 rng(1234);
  std::string body;
  std::vector<std::pair<Labels, std::vector<Sample>>> in;
  const double specials[] = {0.0,
                             -0.0,
                             1.0,
                             -1.5,
                             0.1,
                             1e300,
                             -1e-300,
                             5e-324,
                             std::numeric_limits<double>::max(),
                             123456789012345680.0,
                             18446744073709551616.0,
                             9007199254740993.0,
                             std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(),
                             bits_to_double(kNormalNaNBits),
                             storage::stale_nan()};
  for (int i = 0; i < 300; i++) {
    Labels labels{{"__name__", "m" + std::to_string(i)},
                  {"quote", "a\"b\\c\n\t\x01 \xc3\xa9"},
                  {"k", std::to_string(rng())}};
    std::vector<Sample> samples;
    int n = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < n; k++) {
      int64_t t = static_cast<int64_t>(rng());
      double v;
      switch (rng() % 3) {
        case 0:
          v = specials[rng() % std::size(specials)];
          break;
        case 1:
          v = bits_to_double(rng());
          if (std::isnan(v)) v = 1;  // arbitrary NaN payloads come back as normal NaN
          break;
        default:
          v = static_cast<double>(static_cast<int64_t>(rng())) / 1000;
      }
      if (rng() % 5 == 0) {
        // (-NaN would be a NaN payload other than the two the format keeps.)
        double min = std::isnan(v) ? v : -v;
        samples.push_back(Sample::stat_set(t, {static_cast<double>(rng() % 100), v, min, v}));
      } else {
        samples.push_back(Sample::value(t, v));
      }
    }
    encode_export_line(labels, samples, &body);
    in.emplace_back(labels, std::move(samples));
  }
  MetricBatch out;
  ASSERT_TRUE(decode_import(body, &out).ok());
  ASSERT_TRUE(out.errors.empty()) << out.errors[0].item << ": " << out.errors[0].message;
  ASSERT_EQ(out.series.size(), in.size());
  for (size_t i = 0; i < in.size(); i++) {
    EXPECT_EQ(out.series[i].labels, in[i].first);
    ASSERT_EQ(out.series[i].samples.size(), in[i].second.size());
    for (size_t k = 0; k < in[i].second.size(); k++) {
      EXPECT_TRUE(out.series[i].samples[k].same_as(in[i].second[k]))
          << "series " << i << " sample " << k << " v=" << in[i].second[k].v;
    }
  }
}

}  // namespace
}  // namespace opsight::ingest::vm
