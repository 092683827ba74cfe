// The trace store (storage/tracestore) and OTLP/HTTP protobuf trace ingest on a deterministic,
// realistic workload: a small shop (frontend -> checkout -> payment / inventory, a PostgreSQL
// database and a Kafka queue), ~10 spans per trace with OTel semantic-convention attributes,
// nanosecond timestamps and 2% errors, sent as ExportTraceServiceRequests of ~1,000 spans.
//
//   build-rel/bench/tracestore_bench --benchmark_counters_tabular=true
//
// BM_OtlpIngest: decode_traces_protobuf + append + commit of every request (WAL policy interval,
//   so the figure is CPU, not fsync latency), then one flush. Counters: spans_per_cpu_s (process
//   CPU of all threads, from getrusage), flush_spans_per_cpu_s (the flush into blocks),
//   bytes_per_span (block bytes on disk / spans),
//   wire_bytes_per_span (protobuf request bytes / spans).
// BM_GetTrace: get_trace of random trace ids of the flushed store; the time is per lookup.
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "common/clock.h"
#include "ingest/traces/otlp_traces_pb.h"
#include "storage/tracestore/store.h"
#include "wire/protobuf.h"

namespace {

namespace ts = opsight::storage::tracestore;
using opsight::wire::pb::Writer;

constexpr int kTraces = 20'000;

double process_cpu_s() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::string kv_str(std::string_view k, std::string_view v) {
  Writer any;
  any.bytes(1, v);
  Writer w;
  w.bytes(1, k);
  w.message(2, any.str());
  return w.take();
}
std::string kv_int(std::string_view k, int64_t v) {
  Writer any;
  any.varint(3, static_cast<uint64_t>(v));
  Writer w;
  w.bytes(1, k);
  w.message(2, any.str());
  return w.take();
}

struct GenSpan {
  std::string trace_id, span_id, parent;
  std::string name;
  int kind;
  int64_t start, end;
  bool error;
  std::vector<std::string> attrs;  // encoded KeyValues
};

struct Service {
  const char* name;
  const char* version;
  std::vector<std::string> resource;
  std::vector<std::string> scope_spans;  // encoded spans, grouped for the current request
};

struct Workload {
  std::vector<std::string> requests;
  std::vector<std::string> trace_ids;
  uint64_t spans = 0;
  uint64_t wire_bytes = 0;
};

std::string rand_id(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t x = rng();
    std::memcpy(s.data() + i, &x, std::min<size_t>(8, n - i));
  }
  return s;
}

const Workload& workload() {
  static const Workload* w = [] {
    auto* w = new Workload;
    std::mt19937_64 rng(11);
    std::vector<Service> svc = {{"frontend", "1.4.2", {}, {}},
                                {"checkout", "2.0.1", {}, {}},
                                {"payment", "0.9.7", {}, {}},
                                {"inventory", "3.1.0", {}, {}}};
    for (auto& s : svc) {
      s.resource = {kv_str("service.name", s.name),
                    kv_str("service.version", s.version),
                    kv_str("host.name", std::string("ip-10-0-1-") + std::to_string(rng() % 4)),
                    kv_str("telemetry.sdk.language", "nodejs"),
                    kv_str("telemetry.sdk.name", "opentelemetry"),
                    kv_str("telemetry.sdk.version", "1.18.1"),
                    kv_str("deployment.environment", "production")};
    }
    auto encode = [](const GenSpan& g) {
      Writer s;
      s.bytes(1, g.trace_id);
      s.bytes(2, g.span_id);
      if (!g.parent.empty()) s.bytes(4, g.parent);
      s.bytes(5, g.name);
      s.varint(6, static_cast<uint64_t>(g.kind));
      s.fixed64(7, static_cast<uint64_t>(g.start));
      s.fixed64(8, static_cast<uint64_t>(g.end));
      for (const auto& a : g.attrs) s.message(9, a);
      if (g.error) {
        Writer st;
        st.varint(3, 2);
        s.message(15, st.str());
      }
      s.fixed32(16, 1);
      return s.take();
    };
    static const char* kRoutes[] = {"/", "/api/cart", "/api/checkout", "/api/products/:id",
                                    "/api/search"};
    // Two hours ago, inside the default retention.
    int64_t t = (opsight::Clock::real()->now_ms() - 2 * 3'600'000) * 1'000'000;
    size_t pending = 0;
    auto flush_request = [&] {
      Writer req;
      for (auto& s : svc) {
        if (s.scope_spans.empty()) continue;
        Writer scope;
        Writer sc;
        sc.bytes(1, "@opentelemetry/instrumentation-http");
        sc.bytes(2, "0.45.1");
        scope.message(1, sc.str());
        for (const auto& sp : s.scope_spans) scope.message(2, sp);
        Writer res;
        for (const auto& a : s.resource) res.message(1, a);
        Writer rs;
        rs.message(1, res.str());
        rs.message(2, scope.str());
        req.message(1, rs.str());
        s.scope_spans.clear();
      }
      w->wire_bytes += req.str().size();
      w->requests.push_back(req.take());
      pending = 0;
    };
    for (int tr = 0; tr < kTraces; tr++) {
      t += static_cast<int64_t>(rng() % 40'000'000);  // ~50 traces/s
      const std::string tid = rand_id(rng, 16);
      w->trace_ids.push_back(tid);
      const bool fail = rng() % 50 == 0;
      const char* route = kRoutes[rng() % 5];
      std::vector<GenSpan> spans;
      auto add = [&](int service, std::string name, int kind, const std::string& parent,
                     int64_t start, int64_t dur, std::vector<std::string> attrs) {
        GenSpan g{tid,   rand_id(rng, 8), parent, std::move(name), kind,
                  start, start + dur,     false,  std::move(attrs)};
        spans.push_back(g);
        svc[service].scope_spans.push_back(std::string());  // placeholder, filled below
        return spans.size() - 1;
      };
      std::vector<int> owner;
      auto jitter = [&](int64_t base) {
        return base + static_cast<int64_t>(rng() % (base / 2 + 1));
      };
      const int64_t total = jitter(40'000'000);
      size_t root =
          add(0, std::string("GET ") + route, 2, "", t, total,
              {kv_str("http.request.method", "GET"), kv_str("http.route", route),
               kv_int("http.response.status_code", fail ? 500 : 200), kv_str("url.scheme", "https"),
               kv_str("server.address", "shop.example.com"),
               kv_str("user_agent.original",
                      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/119.0")});
      owner.push_back(0);
      size_t call =
          add(0, "POST", 3, spans[root].span_id, t + jitter(300'000), jitter(30'000'000),
              {kv_str("http.request.method", "POST"), kv_str("server.address", "checkout"),
               kv_int("server.port", 8080), kv_int("http.response.status_code", fail ? 500 : 200)});
      owner.push_back(0);
      size_t co = add(1, "POST /checkout", 2, spans[call].span_id,
                      spans[call].start + jitter(200'000), jitter(25'000'000),
                      {kv_str("http.request.method", "POST"), kv_str("http.route", "/checkout"),
                       kv_int("http.response.status_code", fail ? 500 : 200)});
      owner.push_back(1);
      const int64_t cs = spans[co].start;
      add(1, "SELECT shop.carts", 3, spans[co].span_id, cs + jitter(100'000), jitter(2'000'000),
          {kv_str("db.system", "postgresql"), kv_str("db.name", "shop"),
           kv_str("db.operation", "SELECT"),
           kv_str("db.statement", "SELECT * FROM carts WHERE user_id = $1"),
           kv_str("server.address", "db.internal")});
      owner.push_back(1);
      size_t inv =
          add(3, "GET /inventory/reserve", 2, spans[co].span_id, cs + jitter(3'000'000),
              jitter(5'000'000),
              {kv_str("http.request.method", "GET"), kv_str("http.route", "/inventory/reserve"),
               kv_int("http.response.status_code", 200)});
      owner.push_back(3);
      add(3, "UPDATE shop.stock", 3, spans[inv].span_id, spans[inv].start + jitter(200'000),
          jitter(1'500'000),
          {kv_str("db.system", "postgresql"), kv_str("db.name", "shop"),
           kv_str("db.operation", "UPDATE"),
           kv_str("db.statement", "UPDATE stock SET reserved = reserved + $1 WHERE sku = $2"),
           kv_str("server.address", "db.internal")});
      owner.push_back(3);
      size_t pay =
          add(2, "POST /charge", 2, spans[co].span_id, cs + jitter(9'000'000), jitter(8'000'000),
              {kv_str("http.request.method", "POST"), kv_str("http.route", "/charge"),
               kv_int("http.response.status_code", fail ? 502 : 200)});
      owner.push_back(2);
      add(2, "charge card", 1, spans[pay].span_id, spans[pay].start + jitter(100'000),
          jitter(6'000'000), {kv_str("payment.provider", "stripe")});
      owner.push_back(2);
      add(1, "orders publish", 4, spans[co].span_id, cs + jitter(18'000'000), jitter(800'000),
          {kv_str("messaging.system", "kafka"), kv_str("messaging.destination.name", "orders"),
           kv_str("messaging.operation", "publish")});
      owner.push_back(1);
      add(0, "render", 1, spans[root].span_id, t + jitter(32'000'000), jitter(2'000'000), {});
      owner.push_back(0);
      if (fail) {
        spans[root].error = true;
        spans[pay].error = true;
        spans[co].error = true;
      }
      // Replace each service's placeholders (in order) by the encoded spans.
      std::vector<size_t> next(svc.size(), 0);
      for (auto& s : svc) next[&s - svc.data()] = s.scope_spans.size();
      for (size_t i = spans.size(); i-- > 0;) {
        auto& list = svc[owner[i]].scope_spans;
        list[--next[owner[i]]] = encode(spans[i]);
      }
      w->spans += spans.size();
      pending += spans.size();
      if (pending >= 1000) flush_request();
    }
    if (pending > 0) flush_request();
    return w;
  }();
  return *w;
}

std::string temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "tracestore_bench_XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  return tmpl;
}

std::unique_ptr<ts::Store> open_store(const std::string& dir) {
  ts::Options o;
  o.dir = dir;
  o.background = false;
  o.wal_sync = opsight::storage::wal::SyncPolicy::kInterval;
  o.head_max_bytes = 4ull << 30;  // one flush at the end
  auto s = ts::Store::open(o);
  if (!s.ok()) std::abort();
  return std::move(*s);
}

void BM_OtlpIngest(benchmark::State& state) {
  const Workload& w = workload();
  uint64_t block_bytes = 0;
  double cpu = 0, flush_cpu = 0;
  for (auto _ : state) {
    const std::string dir = temp_dir();
    auto store = open_store(dir);
    const double c0 = process_cpu_s();
    for (const auto& body : w.requests) {
      opsight::ingest::traces::TraceBatch batch;
      opsight::ingest::traces::OtlpTracesResult result;
      if (!opsight::ingest::traces::decode_traces_protobuf(body, {}, &batch, &result).ok() ||
          result.rejected_spans != 0) {
        state.SkipWithError("decode failed");
        return;
      }
      auto app = store->appender({});
      if (!app->append(batch.spans).ok() || !app->commit().ok()) {
        state.SkipWithError("append failed");
        return;
      }
    }
    const double c1 = process_cpu_s();
    cpu += c1 - c0;
    if (!store->flush().ok()) state.SkipWithError("flush failed");
    flush_cpu += process_cpu_s() - c1;
    const auto st = store->stats();
    if (st.block_spans != w.spans) state.SkipWithError("not every span reached a block");
    block_bytes = st.block_bytes;
    (void)store->close();
    store.reset();
    std::filesystem::remove_all(dir);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * w.spans));
  state.counters["spans_per_cpu_s"] =
      static_cast<double>(state.iterations() * w.spans) / std::max(cpu, 1e-9);
  state.counters["flush_spans_per_cpu_s"] =
      static_cast<double>(state.iterations() * w.spans) / std::max(flush_cpu, 1e-9);
  state.counters["bytes_per_span"] =
      static_cast<double>(block_bytes) / static_cast<double>(w.spans);
  state.counters["wire_bytes_per_span"] =
      static_cast<double>(w.wire_bytes) / static_cast<double>(w.spans);
}
BENCHMARK(BM_OtlpIngest)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_GetTrace(benchmark::State& state) {
  const Workload& w = workload();
  static const std::string dir = temp_dir();
  static std::unique_ptr<ts::Store> store = [] {
    auto s = open_store(dir);
    for (const auto& body : workload().requests) {
      opsight::ingest::traces::TraceBatch batch;
      opsight::ingest::traces::OtlpTracesResult result;
      (void)opsight::ingest::traces::decode_traces_protobuf(body, {}, &batch, &result);
      auto app = s->appender({});
      (void)app->append(batch.spans);
      (void)app->commit();
    }
    (void)s->flush();
    return s;
  }();
  std::mt19937_64 rng(5);
  size_t spans = 0;
  for (auto _ : state) {
    auto r = store->get_trace({}, w.trace_ids[rng() % w.trace_ids.size()]);
    if (!r.ok() || r->size() != 10) state.SkipWithError("trace not found whole");
    spans += r.ok() ? r->size() : 0;
  }
  benchmark::DoNotOptimize(spans);
  state.counters["blocks"] = static_cast<double>(store->stats().blocks);
}
BENCHMARK(BM_GetTrace)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
