#include "ingest/prometheus/text_format.h"

#include <gtest/gtest.h>

#include <cmath>

#include "storage/sample.h"

namespace opsight::ingest::prometheus {
namespace {

TextParseResult parse(std::string_view body, TextFormat f = TextFormat::kText004,
                      int64_t default_t = 1000) {
  TextParseResult r;
  TextParseOptions o;
  o.format = f;
  o.default_t_ms = default_t;
  parse_text(body, o, &r);
  return r;
}

std::string errors_of(const TextParseResult& r) {
  std::string out;
  for (const auto& e : r.batch.errors) out += e.item + ": " + e.message + "\n";
  return out;
}

const storage::MetricMetadata* meta(const TextParseResult& r, std::string_view name) {
  for (const auto& m : r.batch.metadata) {
    if (m.metric == name) return &m.meta;
  }
  return nullptr;
}

TEST(TextFormat004, SamplesLabelsTimestampsAndMetadata) {
  auto r = parse(R"(# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# Escaping in label values:
msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9

# Minimalistic line:
metric_without_timestamp_and_labels 12.47
something_weird{problem="division by zero"} +Inf -3982045
# A histogram, which has a pretty complex representation in the text format:
# HELP http_request_duration_seconds A histogram of the request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320
)");
  ASSERT_TRUE(r.batch.errors.empty()) << errors_of(r);
  ASSERT_EQ(r.batch.series.size(), 9u);
  const auto& s0 = r.batch.series[0];
  EXPECT_EQ(s0.labels.to_string(), R"(http_requests_total{code="200", method="post"})");
  EXPECT_EQ(s0.samples[0].t, 1395066363000);
  EXPECT_EQ(s0.samples[0].v, 1027);
  EXPECT_TRUE(r.has_timestamp[0]);
  EXPECT_EQ(s0.item, "line 3");
  EXPECT_EQ(r.batch.series[2].labels.get("path"), "C:\\DIR\\FILE.TXT");
  EXPECT_EQ(r.batch.series[2].labels.get("error"), "Cannot find file:\n\"FILE.TXT\"");
  EXPECT_EQ(r.batch.series[3].samples[0].t, 1000);  // the default timestamp
  EXPECT_FALSE(r.has_timestamp[3]);
  EXPECT_TRUE(std::isinf(r.batch.series[4].samples[0].v));
  EXPECT_EQ(r.batch.series[4].samples[0].t, -3982045);
  ASSERT_NE(meta(r, "http_requests_total"), nullptr);
  EXPECT_EQ(meta(r, "http_requests_total")->type, "counter");
  EXPECT_EQ(meta(r, "http_requests_total")->help, "The total number of HTTP requests.");
  EXPECT_EQ(meta(r, "http_request_duration_seconds")->type, "histogram");
}

TEST(TextFormat004, SpecialValuesAndBlanks) {
  auto r = parse("a NaN\nb -Inf\nc +inf\nd 1e-3\n\t e{x=\"1\",} \t 2 \n f{} 3\ng{ x = \"y\" } 4\n");
  ASSERT_TRUE(r.batch.errors.empty()) << errors_of(r);
  ASSERT_EQ(r.batch.series.size(), 7u);
  EXPECT_TRUE(std::isnan(r.batch.series[0].samples[0].v));
  EXPECT_FALSE(storage::is_stale_nan(r.batch.series[0].samples[0].v));
  EXPECT_EQ(r.batch.series[1].samples[0].v, -INFINITY);
  EXPECT_EQ(r.batch.series[2].samples[0].v, INFINITY);
  EXPECT_EQ(r.batch.series[3].samples[0].v, 0.001);
  EXPECT_EQ(r.batch.series[4].labels.to_string(), R"(e{x="1"})");
  EXPECT_EQ(r.batch.series[6].labels.get("x"), "y");
}

TEST(TextFormat004, HelpEscapesAndUntyped) {
  auto r = parse("# HELP m a\\\\b\\nc \\\"q\\\"\n# TYPE m untyped\nm 1\n");
  ASSERT_TRUE(r.batch.errors.empty()) << errors_of(r);
  EXPECT_EQ(meta(r, "m")->help, "a\\b\nc \\\"q\\\"");  // \" is not an escape in 0.0.4 HELP
  EXPECT_EQ(meta(r, "m")->type, "unknown");
}

TEST(TextFormat004, EachBadLineIsAnErrorAndGoodLinesAreKept) {
  std::string body = R"(good 1
1bad 2
bad{a="1" 3
bad{a="1",a="2"} 3
bad{__name__="x"} 3
bad_value abc
bad_ts 1 12.5
too_many 1 2 3
# TYPE good counter
# TYPE other summary
# TYPE other gauge
# TYPE t bogus
# HELP h x
# HELP h y
good2{v="@"} 1
good 1
also_good 2
)";
  body[body.find('@')] = '\xff';
  auto r = parse(body);
  ASSERT_EQ(r.batch.series.size(), 2u) << errors_of(r);
  EXPECT_EQ(r.batch.series[0].labels.metric_name(), "good");
  EXPECT_EQ(r.batch.series[1].labels.metric_name(), "also_good");
  std::string e = errors_of(r);
  EXPECT_NE(e.find("line 2: invalid metric name"), std::string::npos) << e;
  EXPECT_NE(e.find("line 3: expected , or }"), std::string::npos) << e;
  EXPECT_NE(e.find("line 4: duplicate label name a"), std::string::npos) << e;
  EXPECT_NE(e.find("line 5: label name __name__ is reserved"), std::string::npos) << e;
  EXPECT_NE(e.find("line 6: invalid value \"abc\""), std::string::npos) << e;
  EXPECT_NE(e.find("line 7: invalid timestamp \"12.5\""), std::string::npos) << e;
  EXPECT_NE(e.find("line 8: unexpected text \"3\""), std::string::npos) << e;
  EXPECT_NE(e.find("line 9: # TYPE line for good after its samples"), std::string::npos) << e;
  EXPECT_NE(e.find("line 11: second # TYPE line for other"), std::string::npos) << e;
  EXPECT_NE(e.find("line 12: unknown metric type \"bogus\""), std::string::npos) << e;
  EXPECT_NE(e.find("line 14: second # HELP line for h"), std::string::npos) << e;
  EXPECT_NE(e.find("line 15: value of label v is not valid UTF-8"), std::string::npos) << e;
  EXPECT_NE(e.find("line 16: duplicate sample for series good{} (first on line 1)"),
            std::string::npos)
      << e;
  EXPECT_EQ(r.batch.errors.size(), 13u) << e;
}

TEST(TextFormat004, SummarySuffixesBelongToTheirFamily) {
  // A TYPE for the family after a sample named like a member of it is fine when the family was
  // not declared yet: foo_sum is then its own family.
  auto r = parse(
      "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 2\ns_count 3\nx_sum 1\n# TYPE x gauge\n");
  EXPECT_TRUE(r.batch.errors.empty()) << errors_of(r);
  EXPECT_EQ(r.batch.series.size(), 4u);
}

TEST(TextFormat004, RejectTimestampsForPush) {
  TextParseResult r;
  TextParseOptions o;
  o.reject_timestamps = true;
  parse_text("a 1\nb 2 1700000000000\n", o, &r);
  ASSERT_EQ(r.batch.series.size(), 1u);
  ASSERT_EQ(r.batch.errors.size(), 1u);
  EXPECT_EQ(r.batch.errors[0].item, "line 2");
  EXPECT_EQ(r.batch.errors[0].message, "pushed samples must not carry a timestamp");
}

TEST(OpenMetrics, CounterHistogramExemplarsUnitAndEof) {
  auto r = parse(R"(# TYPE acme_http_router_request_seconds summary
# UNIT acme_http_router_request_seconds seconds
# HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.
acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32
acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0
acme_http_router_request_seconds_created{path="/api/v1",method="GET"} 1605281325.0
# TYPE foo counter
foo_total 17.0 1520879607.789 # {trace_id="KOO5S4vxi0o"} 0.67
foo_created 1520430000.123
# TYPE h histogram
h_bucket{le="0.1"} 8 # {trace_id="abc"} 0.054 1520879607.7
h_bucket{le="+Inf"} 17
h_count 17
h_sum 324789.3
# TYPE g gauge
g NaN
# TYPE i info
i_info{version="1.2"} 1
# TYPE st stateset
st{st="a"} 1
st{st="b"} 0
# EOF
)",
                 TextFormat::kOpenMetrics, 5000);
  ASSERT_TRUE(r.batch.errors.empty()) << errors_of(r);
  ASSERT_EQ(r.batch.series.size(), 13u);
  EXPECT_EQ(meta(r, "acme_http_router_request_seconds")->unit, "seconds");
  EXPECT_EQ(meta(r, "acme_http_router_request_seconds")->type, "summary");
  const auto& foo = r.batch.series[3];
  EXPECT_EQ(foo.labels.metric_name(), "foo_total");
  EXPECT_EQ(foo.samples[0].t, 1520879607789);  // float seconds -> ms
  ASSERT_EQ(foo.exemplars.size(), 1u);
  EXPECT_EQ(foo.exemplars[0].labels.get("trace_id"), "KOO5S4vxi0o");
  EXPECT_EQ(foo.exemplars[0].value, 0.67);
  EXPECT_EQ(foo.exemplars[0].t, 1520879607789);  // the sample's timestamp
  const auto& h = r.batch.series[5];
  ASSERT_EQ(h.exemplars.size(), 1u);
  EXPECT_EQ(h.exemplars[0].t, 1520879607700);
  EXPECT_EQ(h.samples[0].t, 5000);
  EXPECT_EQ(meta(r, "foo")->type, "counter");
  EXPECT_EQ(meta(r, "st")->type, "stateset");
}

TEST(OpenMetrics, RulesOfTheFormat) {
  auto r = parse(R"(# TYPE c counter
c 1
c_total 1

# a comment
# TYPE d gauge
d{a="1",} 1
d  2
d{a="\t"} 3
d 4 # {x="y"} 1
# TYPE u-x counter
# UNIT q_bytes seconds
q_bytes 1
# TYPE h histogram
h_bucket 1
# TYPE s summary
s 1
c_total 5
# HELP late x
late 1
# HELP late again
# EOF
trailing 1
)",
                 TextFormat::kOpenMetrics);
  std::string e = errors_of(r);
  EXPECT_NE(e.find("line 2: sample c is not allowed in counter family c"), std::string::npos) << e;
  EXPECT_NE(e.find("line 4: empty line"), std::string::npos) << e;
  EXPECT_NE(e.find("line 5: unknown comment"), std::string::npos) << e;
  EXPECT_NE(e.find("line 7: trailing comma"), std::string::npos) << e;
  EXPECT_NE(e.find("line 8: tokens must be separated by exactly one space"), std::string::npos)
      << e;
  EXPECT_NE(e.find("line 9: invalid escape \\t"), std::string::npos) << e;
  EXPECT_NE(e.find("line 10: exemplar on d"), std::string::npos) << e;
  EXPECT_NE(e.find("line 11: invalid metric name in # TYPE"), std::string::npos) << e;
  EXPECT_NE(e.find("line 12: # UNIT seconds does not match the family name q_bytes"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("line 15: bucket sample h_bucket has no le label"), std::string::npos) << e;
  EXPECT_NE(e.find("line 17: summary sample s has no quantile label"), std::string::npos) << e;
  EXPECT_NE(e.find("line 18: sample c_total appears after other families"), std::string::npos) << e;
  EXPECT_NE(e.find("line 21: # HELP for late after its samples"), std::string::npos) << e;
  EXPECT_NE(e.find("line 23: content after # EOF"), std::string::npos) << e;
  // Good lines survive: c_total (line 3), q_bytes, late.
  std::vector<std::string> names;
  for (const auto& s : r.batch.series) names.emplace_back(s.labels.metric_name());
  EXPECT_EQ(names, (std::vector<std::string>{"c_total", "q_bytes", "late"}));
}

TEST(OpenMetrics, MissingEofAndBadExemplar) {
  auto r =
      parse("# TYPE c counter\nc_total 1 # {a=\"" + std::string(130, 'x') + "\"} 1\nc_created 2\n",
            TextFormat::kOpenMetrics);
  std::string e = errors_of(r);
  EXPECT_NE(e.find("line 2: exemplar label set has 131 characters > 128"), std::string::npos) << e;
  EXPECT_NE(e.find("line 4: missing # EOF"), std::string::npos) << e;
  ASSERT_EQ(r.batch.series.size(), 1u);
}

TEST(TextFormat, ContentTypes) {
  EXPECT_EQ(text_format_for_content_type("application/openmetrics-text; version=1.0.0"),
            TextFormat::kOpenMetrics);
  EXPECT_EQ(text_format_for_content_type("text/plain; version=0.0.4"), TextFormat::kText004);
  EXPECT_EQ(text_format_for_content_type(""), TextFormat::kText004);
  EXPECT_TRUE(is_protobuf_exposition(
      "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
      "encoding=delimited"));
}

TEST(TextFormat, EncodeRoundTrips) {
  auto r = parse(
      "# HELP h Help with \\\\ and \\n.\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_sum 0.1\n"
      "h_count 2\nx{a=\"q\\\"\\\\\\n\"} -Inf 17\ny NaN\nz 1e+300\n");
  ASSERT_TRUE(r.batch.errors.empty()) << errors_of(r);
  std::string text = encode_text(r.batch.series, r.batch.metadata, true);
  auto again = parse(text);
  ASSERT_TRUE(again.batch.errors.empty()) << errors_of(again) << text;
  ASSERT_EQ(again.batch.series.size(), r.batch.series.size());
  for (size_t i = 0; i < r.batch.series.size(); i++) {
    EXPECT_EQ(again.batch.series[i].labels, r.batch.series[i].labels);
    const auto& a = again.batch.series[i].samples[0];
    const auto& b = r.batch.series[i].samples[0];
    EXPECT_EQ(a.t, b.t);
    EXPECT_TRUE(a.v == b.v || (std::isnan(a.v) && std::isnan(b.v)));
  }
  EXPECT_EQ(meta(again, "h")->help, "Help with \\ and \n.");
  EXPECT_EQ(meta(again, "h")->type, "histogram");
}

}  // namespace
}  // namespace opsight::ingest::prometheus
