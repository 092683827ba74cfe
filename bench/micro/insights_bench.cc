// Logs Insights executor cost per record, without the store: the five queries of the logs
// benchmark (docs/benchmarks.md, "Logs: opsight vs ClickHouse") over records shaped like its
// workload (bench/e2e/log_workload_gen.py: nginx access lines, JSON app logs whose keys are
// discovered fields), generated here with a fixed seed. Each record is handed over as a scanner
// would, honouring scan_hints (no message / no fields when the query needs none). The store's
// block filter skips whole blocks only; in the workload every block holds some match of the
// term, so every record reaches the executor, as here.
//
// Run: bench/insights_bench (Release, without OPSIGHT_SANITIZE). items/s = records/s.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "query/insights/insights.h"
#include "storage/log_store.h"

namespace {

using opsight::query::insights::ExecOptions;
using opsight::query::insights::Execution;
using opsight::query::insights::parse_query;
using opsight::query::insights::ResultTable;
using opsight::query::insights::scan_hints;
using opsight::query::insights::ScanHints;
using opsight::storage::LogField;
using opsight::storage::LogRecord;

struct Event {
  std::string group, stream, message;
  int64_t ts = 0;
  std::vector<std::pair<std::string, std::string>> fields;
};

std::vector<Event> make_events(size_t n) {
  std::mt19937_64 rng(1);
  auto pick = [&](std::initializer_list<const char*> l) {
    return std::string(l.begin()[rng() % l.size()]);
  };
  std::vector<Event> out;
  out.reserve(n);
  const int64_t t0 = 1'795'293'840'000;
  for (size_t i = 0; i < n; i++) {
    Event e;
    e.ts = t0 + static_cast<int64_t>(i) * 7;  // 2 h for 1M records
    std::string user = "user_" + std::to_string(rng() % 100000);
    std::string status = pick({"200", "200", "200", "304", "404", "500", "502"});
    std::string route = pick({"/api/v1/cart", "/api/v1/orders", "/static/js/app.js", "/login"});
    if (i % 2 == 0) {
      e.group = "bench-nginx";
      e.stream = "web-0" + std::to_string(1 + rng() % 5) + "/access.log";
      char ip[32];
      std::snprintf(ip, sizeof(ip), "%u.%u.%u.%u", unsigned(rng() % 256), unsigned(rng() % 256),
                    unsigned(rng() % 256), unsigned(rng() % 256));
      e.message = std::string(ip) + " - " + user + " [21/Nov/2026:20:44:00 +0000] \"GET " + route +
                  " HTTP/1.1\" " + status + " " + std::to_string(rng() % 20000) +
                  " \"https://shop.example.com/products\" \"Mozilla/5.0 (X11; Linux x86_64) "
                  "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\"";
    } else {
      std::string service = pick({"api", "orders", "payments", "auth"});
      e.group = "bench-app";
      e.stream = service + "/web-0" + std::to_string(1 + rng() % 5);
      std::string level = pick({"debug", "info", "info", "info", "warn", "error"});
      std::string latency = std::to_string(rng() % 2000) + "." + std::to_string(rng() % 10);
      std::string text = rng() % 300 == 0 ? "upstream timeout after 30s" : "cache miss for key p";
      e.fields = {{"level", level},   {"service", service},    {"host", "web-01"},
                  {"user_id", user},  {"method", "GET"},       {"route", route},
                  {"status", status}, {"latency_ms", latency}, {"message", text}};
      e.message = "{";
      for (const auto& [k, v] : e.fields) {
        bool num = k == "status" || k == "latency_ms";
        if (e.message.size() > 1) e.message += ",";
        e.message += "\"" + k + "\":" + (num ? v : "\"" + v + "\"");
      }
      e.message += "}";
    }
    out.push_back(std::move(e));
  }
  return out;
}

const std::vector<Event>& events() {
  static const std::vector<Event> kEvents = make_events(200'000);
  return kEvents;
}

void run(benchmark::State& state, const char* text, const char* only_group) {
  auto q = parse_query(text);
  if (!q.ok()) {
    state.SkipWithError(q.status().to_string().c_str());
    return;
  }
  ScanHints hints = scan_hints(*q);
  std::vector<const Event*> input;  // what the store hands over: the records of the groups
  for (const auto& e : events()) {
    if (!only_group || e.group == only_group) input.push_back(&e);
  }
  std::vector<LogField> fields;
  size_t rows = 0;
  for (auto _ : state) {
    Execution exec(*q, ExecOptions{});
    for (const Event* e : input) {
      fields.clear();
      if (hints.needs_fields) {
        for (const auto& [k, v] : e->fields) fields.push_back({k, v});
      }
      LogRecord r;
      r.log_group = e->group;
      r.log_stream = e->stream;
      r.timestamp_ms = e->ts;
      r.ingestion_time_ms = e->ts;
      if (hints.needs_message) r.message = e->message;
      r.fields = fields;
      if (!exec.add(r).ok()) break;
    }
    ResultTable t = exec.finish();
    if (!exec.status().ok()) state.SkipWithError(exec.status().to_string().c_str());
    rows = t.rows.size();
    benchmark::DoNotOptimize(t);
  }
  if (rows == 0) state.SkipWithError("the query produced no rows");
  state.counters["rows"] = static_cast<double>(rows);
  state.counters["input"] = static_cast<double>(input.size());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * events().size()));
}

void BM_Term(benchmark::State& s) {
  run(s, "filter @message like \"timeout\" | stats count(*) as n", nullptr);
}
void BM_Regex(benchmark::State& s) {
  run(s, "filter @message like /user_[0-9]+7 / | stats count(*) as n", nullptr);
}
void BM_Bin5m(benchmark::State& s) {
  run(s, "stats count(*) as n by bin(5m) as t", nullptr);
}
void BM_P99ByService(benchmark::State& s) {
  run(s, "filter ispresent(latency_ms) | stats pct(latency_ms, 99) as p99 by service", "bench-app");
}
void BM_ParseStatus(benchmark::State& s) {
  run(s, "parse @message /\" (?<status>[0-9]{3}) / | stats count(*) as n by status", "bench-nginx");
}
void BM_FieldsSortLimit(benchmark::State& s) {
  run(s,
      "fields @timestamp, @message, level | filter level = \"error\" | sort @timestamp desc "
      "| limit 20",
      nullptr);
}
BENCHMARK(BM_Term)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Regex)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Bin5m)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_P99ByService)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseStatus)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FieldsSortLimit)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
