// The log store (storage/logstore) on a deterministic, realistic workload: web access lines and
// JSON application logs (levels, latency, status, user ids, occasional stack traces) over 20
// streams of one group.
//
//   build-rel/bench/logstore_bench --benchmark_counters_tabular=true
//
// BM_Ingest: append + commit in batches of 1,000 events (WAL policy interval, so the figure is
//   CPU, not fsync latency), then flush into blocks and compact. bytes_per_second = raw message
//   bytes per CPU-second. Counters: disk_ratio = block bytes / raw message bytes.
// BM_Scan: a full scan of the flushed store (every record decoded), bytes_per_second = bytes
//   scanned (message + fields) per CPU-second.
// BM_ScanRare: a scan with a required substring that only a few blocks contain (token filter).
// BM_ScanKeysOnly / BM_ScanMessagesOnly: projection (LogScan.need_message / need_fields off), as
//   for `stats count(*) by bin(5m)` and `filter @message like ...`; bytes_per_second still counts
//   the bytes the records account for (message + attributes), so it compares with BM_Scan.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "storage/logstore/store.h"

namespace {

namespace ls = opsight::storage::logstore;
using opsight::storage::LogEvent;
using opsight::storage::LogRecord;
using opsight::storage::LogScan;

constexpr int64_t kStart = 1'700'000'000'000;
constexpr int kStreams = 20;

struct Workload {
  std::vector<std::vector<LogEvent>> batches;  // 1,000 events each, one stream per batch
  std::vector<int> stream_of;
  uint64_t raw_bytes = 0;
  size_t events = 0;
};

const Workload& workload() {
  static const Workload* w = [] {
    auto* w = new Workload;
    std::mt19937_64 rng(7);
    static const char* kPaths[] = {"/",           "/api/cart", "/api/checkout", "/static/app.js",
                                   "/api/items/", "/login",    "/api/search?q="};
    static const char* kLevels[] = {"INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"};
    static const char* kServices[] = {"cart", "checkout", "search", "auth", "frontend"};
    int64_t t = kStart;
    for (int b = 0; b < 200; b++) {
      std::vector<LogEvent> batch;
      const int stream = b % kStreams;
      for (int i = 0; i < 1000; i++) {
        t += static_cast<int64_t>(rng() % 20);
        LogEvent e;
        e.timestamp_ms = t;
        if (stream % 2 == 0) {
          char line[256];
          const int status = (rng() % 50 == 0) ? 500 : ((rng() % 10 == 0) ? 404 : 200);
          snprintf(line, sizeof line,
                   "10.%d.%d.%d - - [14/Nov/2023:22:13:%02d +0000] \"GET %s%d HTTP/1.1\" %d %d "
                   "\"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"",
                   static_cast<int>(rng() % 8), static_cast<int>(rng() % 256),
                   static_cast<int>(rng() % 256), static_cast<int>(rng() % 60), kPaths[rng() % 7],
                   static_cast<int>(rng() % 5000), status, static_cast<int>(rng() % 40000));
          e.message = line;
        } else {
          const char* level = kLevels[rng() % 6];
          char line[320];
          snprintf(
              line, sizeof line,
              "{\"level\":\"%s\",\"service\":\"%s\",\"msg\":\"request handled\",\"latency_ms\":"
              "%d,\"status\":%d,\"user\":\"u%05d\",\"trace_id\":\"%016llx%016llx\"}",
              level, kServices[rng() % 5], static_cast<int>(rng() % 900),
              (rng() % 30 == 0) ? 500 : 200, static_cast<int>(rng() % 20000),
              static_cast<unsigned long long>(rng()), static_cast<unsigned long long>(rng()));
          e.message = line;
          if (level[0] == 'E' && rng() % 4 == 0) {
            e.message =
                "java.lang.IllegalStateException: cart is empty\n\tat com.shop.Cart.check"
                "out(Cart.java:" +
                std::to_string(rng() % 400) + ")\n\tat com.shop.Api.handle(Api.java:88)";
          }
        }
        if (b == 150 && i == 500) e.message = "FATAL: needle-in-the-haystack disk failure";
        w->raw_bytes += e.message.size();
        batch.push_back(std::move(e));
      }
      w->events += batch.size();
      w->batches.push_back(std::move(batch));
      w->stream_of.push_back(stream);
    }
    return w;
  }();
  return *w;
}

std::string temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "logstore_bench_XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) abort();
  return tmpl;
}

ls::Options options(const std::string& dir) {
  ls::Options o;
  o.dir = dir;
  o.background = false;
  o.wal_sync = opsight::storage::wal::SyncPolicy::kInterval;
  return o;
}

void ingest(ls::Store* store) {
  const Workload& w = workload();
  auto app = store->appender({});
  for (size_t b = 0; b < w.batches.size(); b++) {
    if (!app->append("/bench", "stream-" + std::to_string(w.stream_of[b]), w.batches[b], true)
             .ok() ||
        !app->commit().ok()) {
      abort();
    }
  }
  if (!store->flush().ok() || !store->compact().ok()) abort();
}

void BM_Ingest(benchmark::State& state) {
  const Workload& w = workload();
  uint64_t disk = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::string dir = temp_dir();
    state.ResumeTiming();
    {
      auto store = ls::Store::open(options(dir));
      if (!store.ok()) abort();
      ingest(store->get());
      disk = 0;
      for (const auto& b : (*store)->blocks()) disk += b.file_bytes;
      if ((*store)->blocks().empty()) state.SkipWithError("no blocks written");
      (void)(*store)->close();
    }
    state.PauseTiming();
    std::filesystem::remove_all(dir);
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * w.raw_bytes));
  state.counters["events"] = static_cast<double>(w.events);
  state.counters["raw_MB"] = static_cast<double>(w.raw_bytes) / 1e6;
  state.counters["disk_ratio"] = static_cast<double>(disk) / static_cast<double>(w.raw_bytes);
}
BENCHMARK(BM_Ingest)->Unit(benchmark::kMillisecond)->Iterations(3);

struct Prepared {
  std::string dir;
  std::unique_ptr<ls::Store> store;
};

Prepared& prepared() {
  static Prepared* p = [] {
    auto* p = new Prepared;
    p->dir = temp_dir();
    auto s = ls::Store::open(options(p->dir));
    if (!s.ok()) abort();
    p->store = std::move(*s);
    ingest(p->store.get());
    std::atexit([] {
      Prepared& q = prepared();
      q.store.reset();
      std::filesystem::remove_all(q.dir);
    });
    return p;
  }();
  return *p;
}

void run_scan(benchmark::State& state, std::vector<std::string> substrings, bool newest_first,
              bool need_message = true, bool need_fields = true) {
  ls::Store* store = prepared().store.get();
  uint64_t bytes = 0, records = 0, skipped = 0;
  for (auto _ : state) {
    LogScan scan;
    scan.groups = {"/bench"};
    scan.start_ms = INT64_MIN;
    scan.end_ms = INT64_MAX;
    scan.required_substrings = substrings;
    scan.newest_first = newest_first;
    scan.need_message = need_message;
    scan.need_fields = need_fields;
    auto sc = store->scan({}, scan);
    if (!sc.ok()) abort();
    LogRecord r;
    while (true) {
      auto more = (*sc)->next(&r);
      if (!more.ok()) abort();
      if (!*more) break;
      benchmark::DoNotOptimize(r.message.data());
    }
    bytes += (*sc)->stats().bytes_scanned;
    records = (*sc)->stats().records_scanned;
    skipped = (*sc)->stats().blocks_skipped;
  }
  if (substrings.empty() && records != workload().events) state.SkipWithError("scan lost records");
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["records"] = static_cast<double>(records);
  state.counters["blocks"] = static_cast<double>(store->blocks().size());
  state.counters["skipped"] = static_cast<double>(skipped);
}

void BM_Scan(benchmark::State& state) {
  run_scan(state, {}, false);
}
BENCHMARK(BM_Scan)->Unit(benchmark::kMillisecond);

void BM_ScanNewestFirst(benchmark::State& state) {
  run_scan(state, {}, true);
}
BENCHMARK(BM_ScanNewestFirst)->Unit(benchmark::kMillisecond);

void BM_ScanRare(benchmark::State& state) {
  run_scan(state, {"needle-in-the"}, false);
}
BENCHMARK(BM_ScanRare)->Unit(benchmark::kMillisecond);

void BM_ScanKeysOnly(benchmark::State& state) {
  run_scan(state, {}, false, false, false);
}
BENCHMARK(BM_ScanKeysOnly)->Unit(benchmark::kMillisecond);

void BM_ScanMessagesOnly(benchmark::State& state) {
  run_scan(state, {}, false, true, false);
}
BENCHMARK(BM_ScanMessagesOnly)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
