// Unit tests of the Metric Math pieces that the scripts do not reach directly: the parser's
// tree shape and limits, search tokens, the JSON codec, SEARCH truncation and the anomaly
// callback contract.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "metricmath/metricmath_test_util.h"
#include "query/metricmath/json_codec.h"
#include "query/metricmath/parser.h"
#include "query/metricmath/search_expression.h"

namespace opsight::query::metricmath {
namespace {

std::string show(const Node& n) {
  switch (n.kind) {
    case Node::Kind::kNumber:
      return fmt::format("{}", n.number);
    case Node::Kind::kString:
      return "'" + n.text + "'";
    case Node::Kind::kIdent:
      return n.text;
    case Node::Kind::kNegate:
      return "(-" + show(*n.args[0]) + ")";
    case Node::Kind::kBinary:
      return "(" + show(*n.args[0]) + " " + op_name(n.op) + " " + show(*n.args[1]) + ")";
    case Node::Kind::kCall:
    case Node::Kind::kArray: {
      std::string s = n.kind == Node::Kind::kCall ? n.text + "(" : "[";
      for (size_t i = 0; i < n.args.size(); i++) s += (i ? ", " : "") + show(*n.args[i]);
      return s + (n.kind == Node::Kind::kCall ? ")" : "]");
    }
  }
  return "?";
}

std::string parsed(std::string_view e) {
  auto r = parse_expression(e);
  return r.ok() ? show(**r) : "error: " + r.status().message();
}

TEST(MetricMathParser, PrecedenceAndShapes) {
  EXPECT_EQ(parsed("a + b * c ^ 2"), "(a + (b * (c ^ 2)))");
  EXPECT_EQ(parsed("-2 ^ 2"), "(-(2 ^ 2))");
  EXPECT_EQ(parsed("2 ^ 3 ^ 2"), "(2 ^ (3 ^ 2))");
  EXPECT_EQ(parsed("a - b - c"), "((a - b) - c)");
  EXPECT_EQ(parsed("a > 1 AND b < 2 OR c == 3"), "(((a > 1) AND (b < 2)) OR (c == 3))");
  EXPECT_EQ(parsed("a && b || c"), "((a AND b) OR c)");
  EXPECT_EQ(parsed("sum([m1, m2]) / 1e3"), "(SUM([m1, m2]) / 1000)");
  EXPECT_EQ(parsed("FILL(m1, REPEAT)"), "FILL(m1, REPEAT)");
  EXPECT_EQ(parsed("METRICS()"), "METRICS()");
  EXPECT_EQ(parsed("SEARCH('{A,B} x=\"y\"', \"Sum\", 60)"), "SEARCH('{A,B} x=\"y\"', 'Sum', 60)");
  EXPECT_EQ(parsed(".5 + +1"), "(0.5 + 1)");
}

TEST(MetricMathParser, ErrorsAndLimits) {
  EXPECT_EQ(parsed(""), "error: syntax error at end of expression: expected a value");
  EXPECT_EQ(parsed("m1 m2"), "error: syntax error at position 3: unexpected \"m2\"");
  EXPECT_EQ(parsed("[]"), "error: syntax error at position 1: unexpected \"]\"");
  EXPECT_EQ(parsed("FOO(1,)"), "error: syntax error at position 6: unexpected \")\"");
  EXPECT_EQ(parsed("1.2.3"), "error: syntax error: invalid number \"1.2.3\" at position 0");
  EXPECT_EQ(parsed("12abc"), "error: syntax error: invalid number \"12a\" at position 0");
  // Deep nesting is an error, not a stack overflow.
  std::string deep(5000, '(');
  EXPECT_NE(parsed(deep + "1" + std::string(5000, ')')).find("nested too deeply"),
            std::string::npos);
  std::string negs(5000, '-');
  EXPECT_NE(parsed(negs + "1").find("nested too deeply"), std::string::npos);
  auto n = parse_expression("m1 + FILL(e2, REPEAT) * m1 - SUM(METRICS())");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(referenced_ids(**n), (std::vector<std::string>{"m1", "e2"}));
}

TEST(SearchExpression, TokensAndMatching) {
  EXPECT_EQ(search_tokens("CPUUtilization"), (std::vector<std::string>{"cpu", "utilization"}));
  EXPECT_EQ(search_tokens("my-app.requestCount_5xx"),
            (std::vector<std::string>{"my", "app", "request", "count", "5xx"}));
  auto s = SearchExpression::parse("{AWS/EC2,\"Instance Id\"} cpu NOT MetricName=\"CPUCredit\"");
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  Labels a{{"__name__", "CPUUtilization"}, {"Namespace", "AWS/EC2"}, {"Instance Id", "i-1"}};
  Labels b{{"__name__", "CPUCredit"}, {"Namespace", "AWS/EC2"}, {"Instance Id", "i-1"}};
  Labels c{{"__name__", "CPUUtilization"}, {"Namespace", "AWS/EC2"}};
  EXPECT_TRUE(s->matches(a));
  EXPECT_FALSE(s->matches(b));
  EXPECT_FALSE(s->matches(c));  // fewer dimensions than the schema
  EXPECT_EQ(s->schema_dimensions(), (std::vector<std::string>{"Instance Id"}));
  for (const char* bad : {"{", "{A,", "x=", "(a", "a OR", "\"open"}) {
    EXPECT_FALSE(SearchExpression::parse(bad).ok()) << bad;
  }
}

TEST(GetMetricDataJson, ParseAndEncode) {
  auto r = parse_get_metric_data_json(
      R"({"MetricDataQueries":[{"Id":"m1","MetricStat":{"Metric":{"Namespace":"App",
      "MetricName":"Lat","Dimensions":[{"Name":"Host","Value":"a"}]},"Period":60,"Stat":"p99",
      "Unit":"Milliseconds"},"ReturnData":false,"AccountId":"123456789012"},
      {"Id":"e1","Expression":"m1*2","Label":"x","Period":300}],
      "StartTime":1700000000.5,"EndTime":"2023-11-14T23:13:20Z","ScanBy":"TimestampAscending",
      "MaxDatapoints":10,"NextToken":"t","LabelOptions":{"Timezone":"-0500"},"Other":1})",
      0);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->queries.size(), 2u);
  const auto& m = r->queries[0];
  ASSERT_TRUE(m.metric_stat.has_value());
  EXPECT_EQ(m.metric_stat->metric.namespace_name, "App");
  EXPECT_EQ(m.metric_stat->metric.dimensions[0].value, "a");
  EXPECT_EQ(m.metric_stat->stat, "p99");
  EXPECT_EQ(m.metric_stat->unit, "Milliseconds");
  EXPECT_FALSE(m.return_data);
  EXPECT_EQ(m.account_id, "123456789012");
  EXPECT_EQ(r->queries[1].expression, "m1*2");
  EXPECT_EQ(r->queries[1].period_s, 300);
  EXPECT_EQ(r->start_ms, 1700000000500);
  EXPECT_EQ(r->end_ms, 1700003600000);
  EXPECT_EQ(r->scan_by, ScanBy::kTimestampAscending);
  EXPECT_EQ(r->max_datapoints, 10);
  EXPECT_EQ(r->timezone, "-0500");
  // Relative times.
  auto rel = parse_get_metric_data_json(
      R"({"MetricDataQueries":[{"Id":"e1","Expression":"1"}],"StartTime":"now-1h","EndTime":"now"})",
      7'200'000);
  ASSERT_TRUE(rel.ok()) << rel.status().to_string();
  EXPECT_EQ(rel->start_ms, 3'600'000);
  // Errors name the member.
  auto bad = parse_get_metric_data_json(
      R"({"MetricDataQueries":[{"Id":"m1","MetricStat":{"Metric":{},"Period":"60"}}],"StartTime":0,"EndTime":1})",
      0);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "MetricDataQueries[0].MetricStat.Period: must be an integer");
  EXPECT_FALSE(parse_get_metric_data_json("[1,", 0).ok());
  auto alarm = parse_metric_data_queries_json(
      R"([{"Id":"m1","MetricStat":{"Metric":{"Namespace":"A","MetricName":"B"},"Period":60,
      "Stat":"Sum"},"ReturnData":false},{"Id":"e1","Expression":"m1 * 2"}])");
  ASSERT_TRUE(alarm.ok()) << alarm.status().to_string();
  EXPECT_TRUE(validate_metric_data_queries(*alarm, {}).ok());
  (*alarm)[1].expression = "m2 * 2";
  EXPECT_EQ(validate_metric_data_queries(*alarm, {}).message(),
            "query \"e1\": unknown metric or expression id \"m2\"");
  auto metrics = parse_metric_data_queries_json(R"([{"Id":"e1","Expression":"1"},{"Id":7}])");
  ASSERT_FALSE(metrics.ok());
  EXPECT_EQ(metrics.status().message(), "Metrics[1].Id: must be a string");

  GetMetricDataResult res;
  MetricDataResult a;
  a.id = "e1";
  a.label = "x \"q\"";
  a.timestamps = {60'000, 1'500};
  a.values = {1.5, 2};
  a.status = StatusCode::kPartialData;
  a.messages = {{"Warning", "w"}};
  res.results.push_back(a);
  res.next_token = "4.ab";
  EXPECT_EQ(encode_get_metric_data_result(res),
            R"({"MetricDataResults":[{"Id":"e1","Label":"x \"q\"","Timestamps":[60,1.5],)"
            R"("Values":[1.5,2],"StatusCode":"PartialData","Messages":[{"Code":"Warning",)"
            R"("Value":"w"}]}],"NextToken":"4.ab","Messages":[]})");
  EXPECT_NE(encode_get_metric_data_result(res, TimestampFormat::kIso8601)
                .find(R"("Timestamps":["1970-01-01T00:01:00.000Z","1970-01-01T00:00:01.500Z"])"),
            std::string::npos);
}

// Deterministic mutations of valid inputs (fixed seed): the parsers return errors, never crash
// (run under ASan/UBSan in CI). A stand-in until a libFuzzer target links opsight_metricmath.
TEST(MetricMathParser, MutatedInputsDoNotCrash) {
  const std::vector<std::string> seeds = {
      "SUM(METRICS('cpu')) / PERIOD(m1) * 100",
      "IF(m1 > 2 AND m2 <= 3 || m3 != 1, FILL(m1, LINEAR), -m2 ^ 2)",
      "SLICE(SORT(SEARCH('{AWS/EC2,InstanceId} MetricName=\"CPU\" NOT (a OR b)', 'p99', 60), "
      "AVG, DESC, 3), 0, 2)",
      "[m1, e2, 1.5e3, \"str\"]",
  };
  std::mt19937 rng(42);
  const std::string alphabet = "()[],'\"{}=<>!&|^*/+-. 0123456789aeAZ_\\";
  for (int iter = 0; iter < 4000; iter++) {
    std::string s = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !s.empty(); e++) {
      size_t pos = rng() % s.size();
      switch (rng() % 3) {
        case 0:
          s.erase(pos, 1 + rng() % 3);
          break;
        case 1:
          s.insert(pos, 1, alphabet[rng() % alphabet.size()]);
          break;
        default:
          s[pos] = alphabet[rng() % alphabet.size()];
      }
    }
    auto n = parse_expression(s);
    if (n.ok()) (void)referenced_ids(**n);
    (void)SearchExpression::parse(s);
    (void)parse_get_metric_data_json(s, 0);
  }
}

class GetMetricDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 5; i++) {
      Labels l{{"__name__", "Req"}, {"Namespace", "App"}, {"Host", fmt::format("h{}", i)}};
      ASSERT_TRUE(
          store_.append(l, {storage::Sample::value(0, i), storage::Sample::value(60'000, i)}).ok());
    }
  }
  GetMetricDataRequest request(std::string expr) {
    GetMetricDataRequest req;
    MetricDataQuery q;
    q.id = "e1";
    q.expression = std::move(expr);
    req.queries.push_back(q);
    req.start_ms = 0;
    req.end_ms = 120'000;
    return req;
  }
  testing::TestStore store_;
};

TEST_F(GetMetricDataTest, SearchIsTruncatedWithAMessage) {
  MetricMathOptions opts;
  opts.max_search_series = 3;
  auto r = store_.run(request("SEARCH('{App,Host} Req', 'Sum', 60)"), opts);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->results.size(), 3u);
  EXPECT_EQ(r->results[2].label, "h2");
  ASSERT_EQ(r->results[0].messages.size(), 1u);
  EXPECT_NE(r->results[0].messages[0].value.find("more than 3 metrics"), std::string::npos);
}

TEST_F(GetMetricDataTest, TotalDatapointLimit) {
  MetricMathOptions opts;
  opts.max_total_datapoints = 5;
  auto r = store_.run(request("SEARCH('{App,Host}', 'Sum', 60)"), opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kResourceExhausted);
}

TEST_F(GetMetricDataTest, AnomalyCallbackContract) {
  MetricMathOptions opts;
  TimeSeries seen;
  double seen_k = 0;
  int64_t seen_period = 0;
  opts.anomaly_band = [&](const TimeSeries& in, double k, int64_t period) -> Result<Band> {
    seen = in;
    seen_k = k;
    seen_period = period;
    return Band{{1}, {2}, {3}};  // wrong length: 1 value for 2 points
  };
  auto req = request("ANOMALY_DETECTION_BAND(m1, 1.5)");
  MetricDataQuery m;
  m.id = "m1";
  m.metric_stat = MetricStat{{"App", "Req", {{"Host", "h3"}}}, 60, "Sum", ""};
  req.queries.insert(req.queries.begin(), m);
  auto r = store_.run(req, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "query \"e1\": ANOMALY_DETECTION_BAND: the anomaly model returned 1 lower and 1 upper "
            "values for 2 points");
  // The callback sees the metric's identity, statistic and period.
  EXPECT_EQ(seen.labels.get("Host"), "h3");
  EXPECT_EQ(seen.stat, "Sum");
  EXPECT_EQ(seen.values, (std::vector<double>{3, 3}));
  EXPECT_EQ(seen_k, 1.5);
  EXPECT_EQ(seen_period, 60'000);
  // A model error is passed on with the query id.
  opts.anomaly_band = [](const TimeSeries&, double, int64_t) -> Result<Band> {
    return Status::failed_precondition("model not trained yet");
  };
  r = store_.run(req, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("model not trained yet"), std::string::npos);
}

}  // namespace
}  // namespace opsight::query::metricmath
