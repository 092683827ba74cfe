// Evaluation of filter expressions over hand-built traces: each case is a filter and the traces
// it must match, out of a small shop (an OTel fault trace, an OTel fast trace, an X-Ray trace
// and a partial trace).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "apm/span_builder.h"
#include "query/tracefilter/eval.h"
#include "query/tracefilter/parser.h"

namespace opsight::query::tracefilter {
namespace {

using storage::AttrType;
using storage::Span;
using testing::SpanBuilder;

std::map<std::string, std::vector<Span>> shop() {
  std::map<std::string, std::vector<Span>> t;
  // T1: frontend -> checkout (fault) -> postgres "orders" and kafka "events".
  t["T1"] = {
      SpanBuilder("T1", "fe", "frontend")
          .name("GET /checkout")
          .time_ms(0, 1200)
          .http("GET", "https://shop.example.com/checkout?x=1", 500)
          .attr("user_agent.original", "curl/8.0")
          .attr("client.address", "10.0.0.7")
          .attr("enduser.id", "alice"),
      SpanBuilder("T1", "fe-cli", "frontend")
          .parent("fe")
          .client()
          .name("POST checkout")
          .time_ms(10, 1100)
          .http("POST", "http://checkout:8080/pay", 500)
          .error(),
      SpanBuilder("T1", "co", "checkout")
          .parent("fe-cli")
          .name("POST /pay")
          .time_ms(20, 1000)
          .attr("http.response.status_code", "500", AttrType::kInt)
          .attr("order.id", "42")
          .attr("order.total", "99.5", AttrType::kDouble)
          .error(),
      SpanBuilder("T1", "co-db", "checkout")
          .parent("co")
          .client()
          .name("SELECT orders")
          .time_ms(30, 50)
          .attr("db.system", "postgresql")
          .attr("db.name", "orders"),
      SpanBuilder("T1", "co-q", "checkout")
          .parent("co")
          .producer()
          .name("events publish")
          .time_ms(90, 5)
          .attr("messaging.system", "kafka")
          .attr("messaging.destination.name", "events"),
  };
  // T2: a fast, ok request frontend -> catalog.
  t["T2"] = {
      SpanBuilder("T2", "fe", "frontend")
          .name("GET /products")
          .time_ms(5000, 50)
          .http("GET", "https://shop.example.com/products", 200),
      SpanBuilder("T2", "fe-cli", "frontend")
          .parent("fe")
          .client()
          .name("GET catalog")
          .time_ms(5005, 30)
          .http("GET", "http://catalog/list", 200),
      SpanBuilder("T2", "cat", "catalog")
          .parent("fe-cli")
          .name("GET /list")
          .time_ms(5010, 20)
          .attr("http.response.status_code", "200", AttrType::kInt),
  };
  // T3: an X-Ray segment throttled (429) with annotations, calling DynamoDB.
  t["T3"] = {
      SpanBuilder("T3", "seg", "api")
          .xray()
          .name("api")
          .time_ms(9000, 300)
          .http("PUT", "https://api.example.com/v2/items", 429)
          .attr("xray.error", "true", AttrType::kBool)
          .attr("xray.throttle", "true", AttrType::kBool)
          .attr("annotation.customer", "acme")
          .attr("annotation.tier", "2", AttrType::kInt)
          .attr("annotation.beta", "true", AttrType::kBool),
      SpanBuilder("T3", "ddb", "api")
          .xray()
          .parent("seg")
          .client()
          .name("DynamoDB")
          .time_ms(9010, 100)
          .attr("aws.operation", "PutItem"),
  };
  // T4: partial (the parent of "orphan" is missing), an internal error without HTTP.
  t["T4"] = {
      SpanBuilder("T4", "orphan", "worker")
          .parent("missing")
          .consumer()
          .name("job")
          .time_ms(20000, 7000)
          .error(),
  };
  return t;
}

struct EvalCase {
  const char* filter;
  const char* want;  // matching traces, space separated, in name order
};

constexpr EvalCase kCases[] = {
    {"", "T1 T2 T3 T4"},
    // Trace level: the root span's facts.
    {"fault", "T1 T4"},
    {"!fault", "T2 T3"},
    {"fault = false", "T2 T3"},
    {"error", "T3"},
    {"throttle", "T3"},
    {"ok", "T2"},
    {"!ok", "T1 T3 T4"},
    {"partial", "T4"},
    {"ok !partial duration < 3", "T2"},
    {"responsetime > 1", "T1 T4"},
    {"responsetime >= 0.3 and responsetime <= 0.3", "T3"},
    {"duration >= 5", "T4"},
    {"duration < 0.1", "T2"},
    {"http.status = 500", "T1"},
    {"http.status != 500", "T2 T3"},  // T4 has no HTTP status: every comparison is false
    {"http.status >= 400", "T1 T3"},
    {"http.url CONTAINS \"/v2/\"", "T3"},
    {"http.url BEGINSWITH \"https://shop.example.com/\"", "T1 T2"},
    {"http.url ENDSWITH \"?x=1\"", "T1"},
    {"http.method = \"PUT\"", "T3"},
    {"http.useragent contains \"curl\"", "T1"},
    {"http.clientip = \"10.0.0.7\"", "T1"},
    {"user = \"alice\"", "T1"},
    {"name = \"GET /products\"", "T2"},
    // Annotations: any span; OTel attributes and X-Ray "annotation.<key>".
    {"annotation.order.id = \"42\"", "T1"},
    {"annotation.order.total > 50", "T1"},
    {"annotation.order.total > 100", ""},
    {"annotation.customer = \"acme\"", "T3"},
    {"annotation[customer] beginswith \"ac\"", "T3"},
    {"annotation.tier = 2", "T3"},
    {"annotation.tier < 2", ""},
    {"annotation.beta = true", "T3"},
    {"annotation.beta != true", ""},
    {"annotation.customer", "T3"},
    {"annotation.nothing", ""},
    // service(): any span of the service, or an inferred peer.
    {"service(\"checkout\")", "T1"},
    {"!service(\"checkout\")", "T2 T3 T4"},
    {"service(\"frontend\") { fault }", "T1"},
    {"service(\"frontend\") { responsetime > 1.15 }", "T1"},
    {"service(\"checkout\") { annotation.order.id = \"42\" and http.status = 500 }", "T1"},
    {"service(\"catalog\") { fault = true OR responsetime > 2.5 }", ""},
    {"service(\"orders\")", "T1"},
    {"service(id(name: \"orders\", type: \"database\"))", "T1"},
    {"service(id(name: \"orders\", type: \"queue\"))", ""},
    {"service(id(type: \"queue\"))", "T1"},
    {"id(name: \"events\", type: \"queue\")", "T1"},
    {"service(\"DynamoDB\")", "T3"},
    {"service(id(name: \"DynamoDB\", type: \"remote\")) { responsetime >= 0.1 }", "T3"},
    {"service()", "T1 T2 T3 T4"},
    {"service(\"nope\")", ""},
    // edge(): calls between nodes.
    {"edge(\"frontend\", \"checkout\")", "T1"},
    {"edge(\"frontend\", \"checkout\") { fault }", "T1"},
    {"edge(\"frontend\", \"catalog\") { fault }", ""},
    {"edge(\"frontend\", \"catalog\") { responsetime < 0.05 }", "T2"},  // the client's 30 ms
    {"edge(\"checkout\", \"orders\")", "T1"},
    {"edge(\"checkout\", id(name: \"orders\", type: \"database\")) { name = \"SELECT orders\" }",
     "T1"},
    {"edge(\"checkout\", \"frontend\")", ""},
    {"edge(\"api\", \"DynamoDB\")", "T3"},
    // Combinations.
    {"service(\"frontend\") and not fault", "T2"},
    {"(error or partial) and !throttle", "T4"},
    {"http.url CONTAINS \"/v2/\" AND !service(\"api.example.com\")", "T3"},
};

TEST(TraceFilterEval, Cases) {
  const auto traces = shop();
  for (const EvalCase& c : kCases) {
    auto f = parse_filter(c.filter);
    ASSERT_TRUE(f.ok()) << c.filter << ": " << f.status().message();
    std::string got;
    for (const auto& [name, spans] : traces) {
      if (evaluate(*f, TraceView(spans))) got += (got.empty() ? "" : " ") + name;
    }
    EXPECT_EQ(got, c.want) << c.filter;
  }
}

TEST(TraceFilterEval, TraceViewFacts) {
  const auto traces = shop();
  TraceView v(traces.at("T1"));
  EXPECT_EQ(v.spans()[v.root()].name, "GET /checkout");
  EXPECT_FALSE(v.partial());
  EXPECT_EQ(v.end_ns() - v.start_ns(), 1'200'000'000);
  // frontend -> checkout, checkout -> orders (database), checkout -> events (queue).
  std::vector<std::string> calls;
  for (const Call& c : v.calls()) {
    calls.push_back(v.spans()[c.caller].service + "->" + c.peer_name + ":" +
                    std::string(c.peer_type));
  }
  std::sort(calls.begin(), calls.end());
  EXPECT_EQ(calls, (std::vector<std::string>{"checkout->events:queue", "checkout->orders:database",
                                             "frontend->checkout:service"}));
}

TEST(TraceFilterEval, DuplicateSpanIdKeepsTheLastToEnd) {
  // An X-Ray in-progress segment, then its completed form.
  std::vector<Span> spans = {
      SpanBuilder("T5", "seg", "api").xray().time_ms(0, 0).attr("xray.in_progress", "true"),
      SpanBuilder("T5", "seg", "api").xray().time_ms(0, 2000).http("GET", "https://a/", 200),
  };
  TraceView v(spans);
  EXPECT_EQ(v.live().size(), 1u);
  EXPECT_FALSE(v.partial());
  auto f = parse_filter("responsetime > 1 and ok");
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(evaluate(*f, v));

  std::vector<Span> in_progress = {spans[0]};
  auto p = parse_filter("partial");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(evaluate(*p, TraceView(in_progress)));
}

}  // namespace
}  // namespace opsight::query::tracefilter
