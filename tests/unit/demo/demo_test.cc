// The demo shop: fault specs, the shape of its traces, what faults do, and its OTLP encoding
// read back by opsight's own decoders.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "demo/faults.h"
#include "demo/otlp_encode.h"
#include "demo/shop.h"
#include "ingest/logs/otlp_logs_pb.h"
#include "ingest/otlp/otlp_metrics_pb.h"
#include "ingest/traces/otlp_traces_pb.h"

namespace opsight::demo {
namespace {

constexpr int64_t kOrigin = 1'700'000'000'000;  // ms
constexpr int64_t kMin = 60'000;

Telemetry run(ShopOptions o, int64_t from_ms, int64_t to_ms, Shop* shop_out = nullptr) {
  Shop shop(std::move(o));
  Telemetry t;
  for (int64_t w = from_ms; w < to_ms; w += 10'000) shop.simulate(w, w + 10'000, &t);
  if (shop_out != nullptr) *shop_out = shop;
  return t;
}

std::vector<storage::Span> all_spans(const Telemetry& t) {
  std::vector<storage::Span> out;
  for (const auto& [name, svc] : t) out.insert(out.end(), svc.spans.begin(), svc.spans.end());
  return out;
}

std::string attr_of(const storage::Span& s, std::string_view key) {
  for (const auto& a : s.attributes) {
    if (a.key == key) return a.value;
  }
  return "";
}

TEST(DemoFaults, ParsesKindTargetStartAndDuration) {
  auto f = parse_fault("latency:payment@10m/5m", kOrigin);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ(f->kind, FaultKind::kLatency);
  EXPECT_EQ(f->target, "payment");
  EXPECT_EQ(f->start_ms, kOrigin + 10 * kMin);
  EXPECT_EQ(f->end_ms, kOrigin + 15 * kMin);
  EXPECT_FALSE(f->active(kOrigin));
  EXPECT_TRUE(f->active(kOrigin + 12 * kMin));
  EXPECT_FALSE(f->active(kOrigin + 15 * kMin));

  auto open = parse_fault("cpu:db", kOrigin);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->start_ms, kOrigin);
  EXPECT_TRUE(open->active(kOrigin + 1000 * kMin));
}

TEST(DemoFaults, BadSpecsNameTheSpecAndTheRule) {
  auto expect_error = [](std::string_view spec, std::string_view rule) {
    auto f = parse_fault(spec, kOrigin);
    ASSERT_FALSE(f.ok()) << spec;
    EXPECT_NE(f.status().message().find(std::string(spec)), std::string::npos);
    EXPECT_NE(f.status().message().find(std::string(rule)), std::string::npos)
        << f.status().message();
  };
  expect_error("latency", "missing ':'");
  expect_error("slow:payment", "kind must be");
  expect_error("errors:billing", "target must be");
  expect_error("errors:payment@", "empty start");
  expect_error("errors:payment@10x", "start:");
  expect_error("errors:payment/0s", "duration must be positive");
}

TEST(DemoFaults, GroundTruthListsEveryFault) {
  std::vector<Fault> faults = {*parse_fault("errors:inventory@1m/2m", kOrigin),
                               *parse_fault("cpu:db", kOrigin)};
  std::string json = ground_truth_json(kOrigin, faults);
  EXPECT_NE(json.find(R"("kind":"errors","target":"inventory","spec":"errors:inventory@1m/2m")"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("start_ms":1700000060000,"end":"2023-11-14T22:16:20.000Z")"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("end":null,"end_ms":null)"), std::string::npos) << json;
}

TEST(DemoShop, SameSeedSameTelemetry) {
  auto a = encode_traces(run({20, 7, {}}, kOrigin, kOrigin + kMin));
  auto b = encode_traces(run({20, 7, {}}, kOrigin, kOrigin + kMin));
  auto c = encode_traces(run({20, 8, {}}, kOrigin, kOrigin + kMin));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(DemoShop, TracesAreWellFormedTreesOverTheShop) {
  Shop shop({20, 1, {}});
  Telemetry t = run({20, 1, {}}, kOrigin, kOrigin + 5 * kMin, &shop);
  auto spans = all_spans(t);
  // ~20 rps x 300 s; a Poisson count within 10% of its mean.
  EXPECT_NEAR(static_cast<double>(shop.requests()), 6000, 600);
  EXPECT_EQ(spans.size(), shop.spans());
  std::map<std::string, std::vector<const storage::Span*>> traces;
  for (const auto& s : spans) {
    EXPECT_EQ(storage::check_span(s), "") << s.name;
    traces[s.trace_id].push_back(&s);
  }
  EXPECT_EQ(traces.size(), shop.requests());
  std::set<std::string> services, peers;
  for (const auto& [id, list] : traces) {
    std::set<std::string> ids;
    for (const auto* s : list) ids.insert(s->span_id);
    int roots = 0;
    for (const auto* s : list) {
      services.insert(s->service);
      if (s->parent_span_id.empty()) {
        ++roots;
        EXPECT_EQ(s->service, "frontend");
        EXPECT_EQ(s->kind, storage::SpanKind::kServer);
      } else {
        EXPECT_TRUE(ids.count(s->parent_span_id)) << "orphan span " << s->name;
      }
      if (!attr_of(*s, "db.system").empty()) peers.insert("db:" + attr_of(*s, "server.address"));
      if (!attr_of(*s, "messaging.system").empty()) {
        EXPECT_EQ(s->kind, storage::SpanKind::kProducer);
        peers.insert("queue:" + attr_of(*s, "server.address"));
      }
    }
    EXPECT_EQ(roots, 1);
    // The trace id starts with the request's Unix seconds (an X-Ray id).
    uint32_t secs = 0;
    for (int i = 0; i < 4; ++i) secs = secs << 8 | static_cast<uint8_t>(id[i]);
    EXPECT_GE(secs, kOrigin / 1000);
    EXPECT_LT(secs, (kOrigin + 5 * kMin) / 1000 + 1);
  }
  EXPECT_EQ(services, (std::set<std::string>{"checkout", "frontend", "inventory", "payment"}));
  EXPECT_EQ(peers, (std::set<std::string>{"db:orders-db", "queue:orders-queue"}));
  // One log record per server span, correlated by ids.
  size_t server_spans = 0, logs = 0;
  for (const auto& [name, svc] : t) {
    logs += svc.logs.size();
    for (const auto& s : svc.spans) server_spans += s.kind == storage::SpanKind::kServer;
    for (const auto& l : svc.logs) EXPECT_EQ(l.trace_id.size(), 16u);
  }
  EXPECT_EQ(logs, server_spans);
}

// Fraction of `service`'s server spans starting in [from, to) with 5xx, and their median ms.
struct ServerStats {
  double fault_share = 0;
  double median_ms = 0;
  size_t n = 0;
};
ServerStats server_stats(const Telemetry& t, const std::string& service, int64_t from_ms,
                         int64_t to_ms) {
  std::vector<double> ms;
  size_t faults = 0;
  for (const auto& s : t.at(service).spans) {
    if (s.kind != storage::SpanKind::kServer) continue;
    if (s.start_ns < from_ms * 1'000'000 || s.start_ns >= to_ms * 1'000'000) continue;
    ms.push_back(static_cast<double>(s.duration_ns()) / 1e6);
    faults += attr_of(s, "http.response.status_code")[0] == '5';
  }
  ServerStats st;
  st.n = ms.size();
  if (ms.empty()) return st;
  std::sort(ms.begin(), ms.end());
  st.median_ms = ms[ms.size() / 2];
  st.fault_share = static_cast<double>(faults) / ms.size();
  return st;
}

TEST(DemoShop, ErrorsFaultFailsItsTargetOnlyWhileActive) {
  ShopOptions o{30, 3, {*parse_fault("errors:inventory@5m/5m", kOrigin)}};
  Telemetry t = run(o, kOrigin, kOrigin + 15 * kMin);
  auto before = server_stats(t, "inventory", kOrigin, kOrigin + 5 * kMin);
  auto during = server_stats(t, "inventory", kOrigin + 5 * kMin, kOrigin + 10 * kMin);
  auto after = server_stats(t, "inventory", kOrigin + 10 * kMin, kOrigin + 15 * kMin);
  EXPECT_GT(during.n, 1000u);
  EXPECT_NEAR(during.fault_share, 0.30, 0.05);
  EXPECT_LT(before.fault_share, 0.02);
  EXPECT_LT(after.fault_share, 0.02);
  // Callers answer 502: the frontend's failures follow inventory's.
  auto front = server_stats(t, "frontend", kOrigin + 5 * kMin, kOrigin + 10 * kMin);
  EXPECT_GT(front.fault_share, 0.2);
  size_t exceptions = 0;
  for (const auto& s : t.at("inventory").spans) {
    for (const auto& e : s.events) exceptions += e.name == "exception";
  }
  EXPECT_GT(exceptions, 0u);
}

TEST(DemoShop, LatencyFaultSlowsItsTargetAndItsCallers) {
  ShopOptions o{30, 4, {*parse_fault("latency:payment@5m/5m", kOrigin)}};
  Telemetry t = run(o, kOrigin, kOrigin + 10 * kMin);
  auto before = server_stats(t, "payment", kOrigin, kOrigin + 5 * kMin);
  auto during = server_stats(t, "payment", kOrigin + 5 * kMin, kOrigin + 10 * kMin);
  EXPECT_LT(before.median_ms, 100);
  EXPECT_GT(during.median_ms, 300);
  auto checkout = server_stats(t, "checkout", kOrigin + 5 * kMin, kOrigin + 10 * kMin);
  EXPECT_GT(checkout.median_ms, 300);
  EXPECT_LT(during.fault_share, 0.02);
}

TEST(DemoShop, CpuFaultOnTheDatabaseShowsInItsMetricsAndQueries) {
  ShopOptions o{30, 5, {*parse_fault("cpu:db@5m", kOrigin)}};
  Shop shop(o);
  Telemetry before, during;
  for (int64_t w = kOrigin; w < kOrigin + 5 * kMin; w += 10'000)
    shop.simulate(w, w + 10'000, &before);
  shop.metrics(kOrigin + 5 * kMin - 1, &before);
  for (int64_t w = kOrigin + 5 * kMin; w < kOrigin + 10 * kMin; w += 10'000) {
    shop.simulate(w, w + 10'000, &during);
  }
  shop.metrics(kOrigin + 10 * kMin, &during);
  auto cpu = [](const Telemetry& t) {
    for (const auto& p : t.at("orders-db").metrics) {
      if (p.name == "process.cpu.utilization") return p.value;
    }
    return -1.0;
  };
  EXPECT_LT(cpu(before), 0.5);
  EXPECT_GT(cpu(during), 0.9);
  auto db_median = [](const Telemetry& t) {
    std::vector<double> ms;
    for (const auto& s : t.at("inventory").spans) {
      if (attr_of(s, "db.system") == "postgresql") ms.push_back(s.duration_ns() / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
  };
  EXPECT_GT(db_median(during), 3 * db_median(before));
}

TEST(DemoEncode, TracesReadBackThroughTheOtlpDecoder) {
  Telemetry t = run({10, 9, {*parse_fault("errors:payment", kOrigin)}}, kOrigin, kOrigin + kMin);
  std::string body = encode_traces(t);
  ingest::traces::TraceBatch batch;
  ingest::traces::OtlpTracesResult result;
  ASSERT_TRUE(ingest::traces::decode_traces_protobuf(body, {}, &batch, &result).ok());
  EXPECT_EQ(result.rejected_spans, 0u);
  auto want = all_spans(t);
  ASSERT_EQ(batch.spans.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    storage::Span got = batch.spans[i];
    EXPECT_EQ(got.service, want[i].service);
    EXPECT_FALSE(got.resource_attributes.empty());
    got.resource_attributes.clear();  // the demo keeps them per service, not per span
    const storage::Span& w = want[i];
    EXPECT_EQ(got.trace_id, w.trace_id);
    EXPECT_EQ(got.span_id, w.span_id);
    EXPECT_EQ(got.parent_span_id, w.parent_span_id);
    EXPECT_EQ(got.name, w.name);
    EXPECT_EQ(got.kind, w.kind);
    EXPECT_EQ(got.start_ns, w.start_ns);
    EXPECT_EQ(got.end_ns, w.end_ns);
    EXPECT_EQ(got.status_code, w.status_code);
    EXPECT_EQ(got.status_message, w.status_message);
    EXPECT_EQ(got.attributes, w.attributes);
    EXPECT_EQ(got.events, w.events);
    EXPECT_EQ(got.scope_name, w.scope_name);
    EXPECT_EQ(got.scope_version, w.scope_version);
    EXPECT_EQ(got.tenant.account, w.tenant.account);
    EXPECT_EQ(got, w) << i << " " << w.name;
    if (::testing::Test::HasFailure()) break;
  }
}

TEST(DemoEncode, MetricsAndLogsReadBackThroughTheOtlpDecoders) {
  Shop shop({10, 2, {}});
  Telemetry t;
  shop.simulate(kOrigin, kOrigin + kMin, &t);
  Telemetry m;
  shop.metrics(kOrigin + kMin, &m);

  ingest::otlp::ExportMetricsRequest req;
  ASSERT_TRUE(ingest::otlp::parse_metrics_request_protobuf(encode_metrics(m), &req).ok());
  size_t points = 0, histogram_count = 0;
  for (const auto& rm : req.resource_metrics) {
    for (const auto& sm : rm.scope_metrics) {
      for (const auto& metric : sm.metrics) {
        points += metric.point_count();
        for (const auto& hp : metric.histogram_points) histogram_count += hp.count;
      }
    }
  }
  size_t want_points = 0;
  for (const auto& [name, svc] : m) want_points += svc.metrics.size();
  EXPECT_EQ(points, want_points);
  size_t server_spans = 0;
  for (const auto& s : all_spans(t)) server_spans += s.kind == storage::SpanKind::kServer;
  EXPECT_EQ(histogram_count, server_spans);  // one observation per server span

  ingest::LogBatch batch;
  ingest::logs::OtlpLogsResult lr;
  ASSERT_TRUE(
      ingest::logs::decode_logs_protobuf(encode_logs(t), kOrigin + kMin, {}, &batch, &lr).ok());
  EXPECT_EQ(lr.rejected_log_records, 0u);
  EXPECT_EQ(batch.event_count(), server_spans);
  std::set<std::string> groups;
  for (const auto& s : batch.streams) {
    groups.insert(s.group);
    for (const auto& e : s.events) {
      EXPECT_EQ(e.trace_id.size(), 32u);
      EXPECT_FALSE(e.message.empty());
    }
  }
  EXPECT_EQ(groups, (std::set<std::string>{"/otel/checkout", "/otel/frontend", "/otel/inventory",
                                           "/otel/payment"}));
}

}  // namespace
}  // namespace opsight::demo
