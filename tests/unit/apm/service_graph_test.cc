// The service map over hand-built spans: service edges, inferred database/queue/remote peers,
// counts and histograms, and the bounds of build_service_graph.
#include "apm/service_graph.h"

#include <gtest/gtest.h>

#include "apm/fake_trace_store.h"
#include "apm/span_builder.h"

namespace opsight::apm {
namespace {

using storage::AttrType;
using testing::SpanBuilder;

const GraphNode* node(const ServiceGraph& g, std::string_view name) {
  for (const auto& n : g.nodes) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

const GraphEdge* edge(const ServiceGraph& g, std::string_view from, std::string_view to) {
  for (const auto& e : g.edges) {
    if (e.source == from && e.target == to) return &e;
  }
  return nullptr;
}

// frontend -> checkout (HTTP), checkout -> postgres (db) and -> kafka (queue), checkout ->
// payments.example.com (uninstrumented remote), and one trace frontend -> checkout -> 429.
std::vector<storage::Span> shop(int traces) {
  std::vector<storage::Span> out;
  for (int i = 0; i < traces; i++) {
    const std::string t = "t" + std::to_string(i);
    const int status = i == 0 ? 500 : i == 1 ? 429 : i == 2 ? 404 : 200;
    out.push_back(SpanBuilder(t, "fe", "frontend").time_ms(i * 1000, 400).http("GET", "/", status));
    auto cli = SpanBuilder(t, "fe-cli", "frontend")
                   .parent("fe")
                   .client()
                   .time_ms(i * 1000 + 1, 300)  // 0.3 s: bucket le=0.5
                   .http("POST", "http://checkout/pay", status);
    if (status >= 400) cli.error();
    out.push_back(cli);
    auto co = SpanBuilder(t, "co", "checkout").parent("fe-cli").time_ms(i * 1000 + 2, 290);
    co.attr("http.response.status_code", std::to_string(status), AttrType::kInt);
    if (status >= 500) co.error();
    out.push_back(co);
    out.push_back(SpanBuilder(t, "db", "checkout")
                      .parent("co")
                      .client()
                      .time_ms(i * 1000 + 3, 4)  // bucket le=0.005
                      .attr("db.system", "postgresql"));
    out.push_back(SpanBuilder(t, "q", "checkout")
                      .parent("co")
                      .producer()
                      .time_ms(i * 1000 + 8, 1)
                      .attr("messaging.system", "kafka")
                      .attr("messaging.destination.name", "orders"));
    auto pay = SpanBuilder(t, "pay", "checkout")
                   .parent("co")
                   .client()
                   .time_ms(i * 1000 + 10, 20000)  // 20 s: +Inf
                   .attr("server.address", "payments.example.com");
    if (i == 0) pay.error();
    out.push_back(pay);
    out.push_back(SpanBuilder(t, "inner", "checkout").parent("co").internal().time_ms(i * 1000, 1));
  }
  return out;
}

TEST(ServiceGraph, EdgesAndInferredPeers) {
  ServiceGraphBuilder b;
  for (const auto& s : shop(5)) b.add(s);
  ServiceGraph g = b.finish();
  EXPECT_EQ(g.spans, 35u);
  ASSERT_EQ(g.nodes.size(), 5u);
  // Sorted by (type, name).
  EXPECT_EQ(g.nodes[0].name, "postgresql");
  EXPECT_EQ(g.nodes[0].type, "database");
  EXPECT_TRUE(g.nodes[0].inferred);
  EXPECT_EQ(g.nodes[1].name, "orders");
  EXPECT_EQ(g.nodes[1].type, "queue");
  EXPECT_EQ(g.nodes[2].name, "payments.example.com");
  EXPECT_EQ(g.nodes[2].type, "remote");
  EXPECT_EQ(g.nodes[3].name, "checkout");
  EXPECT_EQ(g.nodes[4].name, "frontend");
  EXPECT_FALSE(g.nodes[4].inferred);

  const GraphEdge* fc = edge(g, "frontend", "checkout");
  ASSERT_NE(fc, nullptr);
  EXPECT_EQ(fc->target_type, "service");
  EXPECT_EQ(fc->stats.requests, 5u);
  EXPECT_EQ(fc->stats.faults, 1u);  // 500
  EXPECT_EQ(fc->stats.errors, 2u);  // 429, 404
  EXPECT_EQ(fc->stats.throttles, 1u);
  EXPECT_NEAR(fc->stats.total_seconds, 1.5, 1e-9);  // the client's 0.3 s each
  EXPECT_EQ(fc->stats.histogram[6], 5u);            // le=0.5

  const GraphEdge* db = edge(g, "checkout", "postgresql");
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->target_type, "database");
  EXPECT_EQ(db->stats.requests, 5u);
  EXPECT_EQ(db->stats.histogram[0], 5u);  // le=0.005
  const GraphEdge* q = edge(g, "checkout", "orders");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->target_type, "queue");
  const GraphEdge* pay = edge(g, "checkout", "payments.example.com");
  ASSERT_NE(pay, nullptr);
  EXPECT_EQ(pay->stats.faults, 1u);
  EXPECT_EQ(pay->stats.histogram.back(), 5u);  // +Inf
  EXPECT_EQ(g.edges.size(), 4u);

  // Node stats: services count entry spans, peers their incoming edges.
  EXPECT_EQ(node(g, "frontend")->stats.requests, 5u);
  EXPECT_EQ(node(g, "checkout")->stats.requests, 5u);
  EXPECT_EQ(node(g, "checkout")->stats.faults, 1u);
  EXPECT_EQ(node(g, "payments.example.com")->stats.requests, 5u);
  EXPECT_EQ(node(g, "payments.example.com")->stats.faults, 1u);
}

TEST(ServiceGraph, PeerNamedAfterAnInstrumentedServiceJoinsIt) {
  ServiceGraphBuilder b;
  b.add(SpanBuilder("t", "a", "web").client().attr("peer.service", "auth"));  // a root client
  b.add(SpanBuilder("u", "s", "auth"));
  ServiceGraph g = b.finish();
  ASSERT_EQ(g.edges.size(), 1u);
  EXPECT_EQ(g.edges[0].source, "web");
  EXPECT_EQ(g.edges[0].target, "auth");
  EXPECT_EQ(g.edges[0].target_type, "service");
  EXPECT_EQ(g.nodes.size(), 2u);
}

TEST(ServiceGraph, ServerToServerWithoutClientSpanUsesTheCallee) {
  ServiceGraphBuilder b;
  b.add(SpanBuilder("t", "a", "gateway").time_ms(0, 100));
  b.add(SpanBuilder("t", "b", "users").parent("a").time_ms(1, 30).error());
  ServiceGraph g = b.finish();
  const GraphEdge* e = edge(g, "gateway", "users");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->stats.faults, 1u);
  EXPECT_NEAR(e->stats.total_seconds, 0.03, 1e-9);
}

TEST(ServiceGraph, BuildFromStoreIsBounded) {
  testing::FakeTraceStore store;
  store.spans = shop(5);
  ManualClock clock(0);
  ServiceGraphOptions o;
  auto g = build_service_graph(&store, {}, SpanBuilder::kBaseNs,
                               SpanBuilder::kBaseNs + 3'600'000'000'000, o, &clock);
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_TRUE(g->complete);
  EXPECT_EQ(g->spans, 35u);
  EXPECT_EQ(g->edges.size(), 4u);
  EXPECT_EQ(store.scans.size(), 1u);

  o.max_spans = 10;
  g = build_service_graph(&store, {}, SpanBuilder::kBaseNs,
                          SpanBuilder::kBaseNs + 3'600'000'000'000, o, &clock);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(g->complete);
  EXPECT_EQ(g->stopped_by, "max_spans");
  EXPECT_EQ(g->spans, 10u);

  auto bad = build_service_graph(&store, {}, 10, 10, o, &clock);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
}

TEST(SpanFacts, ClassifyAndPeers) {
  using testing::SpanBuilder;
  EXPECT_TRUE(classify(SpanBuilder("t", "a", "s").http("GET", "/", 503)).fault);
  SpanClass c = classify(SpanBuilder("t", "a", "s").client().http("GET", "/", 404).error());
  EXPECT_TRUE(c.error);
  EXPECT_FALSE(c.fault);  // ERROR explained by the 4xx
  c = classify(SpanBuilder("t", "a", "s").http("GET", "/", 429));
  EXPECT_TRUE(c.error && c.throttle && !c.fault);
  EXPECT_TRUE(classify(SpanBuilder("t", "a", "s").error()).fault);
  EXPECT_TRUE(classify(SpanBuilder("t", "a", "s")).ok());
  c = classify(SpanBuilder("t", "a", "s").xray().attr("xray.fault", "true", AttrType::kBool));
  EXPECT_TRUE(c.fault);

  auto p = infer_peer(SpanBuilder("t", "a", "s").client().attr("db.system", "redis"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "redis");
  EXPECT_EQ(p->type, kDatabaseType);
  p = infer_peer(
      SpanBuilder("t", "a", "s").client().attr("url.full", "https://u:p@h.example:8443/x"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "h.example");
  EXPECT_FALSE(infer_peer(SpanBuilder("t", "a", "s").attr("db.system", "redis")));  // a server
  EXPECT_FALSE(infer_peer(SpanBuilder("t", "a", "s").client()));

  HttpFacts h = http_facts(SpanBuilder("t", "a", "s")
                               .attr("http.method", "GET")
                               .attr("url.scheme", "https")
                               .attr("server.address", "shop")
                               .attr("server.port", "8443")
                               .attr("url.path", "/cart")
                               .attr("url.query", "id=1")
                               .attr("http.status_code", "201"));
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.url, "https://shop:8443/cart?id=1");
  EXPECT_EQ(h.status, 201);
}

}  // namespace
}  // namespace opsight::apm
