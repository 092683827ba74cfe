#pragma once
// `opsight demo`: runs the simulated shop (shop.h) and sends its telemetry to an opsight server
// over OTLP/HTTP protobuf (POST /v1/traces, /v1/metrics, /v1/logs).
//
// Time: with `backfill_ms` > 0 the demo first generates the past [now - backfill, now) as fast
// as the server takes it (windows of up to 10 s of data per request), then goes on live, one
// window per second, until `duration_ms` of live time has passed (0 = only the backfill; < 0 =
// until stop is set). Fault START offsets count from the start of the data (now - backfill).
// Metrics are sent every `metrics_interval_ms` of simulated time.
//
// A request answered 429/503 or not answered is retried (up to 5 times, with backoff); any
// other non-2xx is reported and counted as failed, and the demo goes on.
//
// Thread safety: run() blocks; `stop` may be set from another thread (a signal handler's flag).

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "demo/faults.h"

namespace opsight::demo {

struct DemoOptions {
  std::string target = "http://127.0.0.1:4318";
  double rps = 10;
  uint64_t seed = 1;
  int64_t backfill_ms = 0;
  int64_t duration_ms = -1;
  int64_t metrics_interval_ms = 10'000;
  std::vector<std::string> faults;  // specs, see faults.h
  std::string ground_truth_path;    // written at start when not empty
  bool send_traces = true;
  bool send_metrics = true;
  bool send_logs = true;
  // When not empty: the hex id of every `trace_id_every`-th trace is appended to this file
  // (one per line), for benchmarks and tests that look traces up by id.
  std::string trace_ids_path;
  uint64_t trace_id_every = 1000;
  const std::atomic<bool>* stop = nullptr;
  std::function<void(const std::string&)> progress;  // one line per report; may be empty
};

struct DemoStats {
  uint64_t requests = 0;  // simulated shop requests
  uint64_t spans = 0;
  uint64_t logs = 0;
  uint64_t metric_points = 0;
  uint64_t posts = 0;         // OTLP requests acknowledged
  uint64_t failed_posts = 0;  // given up on
};

// InvalidArgument for a bad fault spec or option; otherwise runs and returns the counts.
Result<DemoStats> run_demo(const DemoOptions& options);

}  // namespace opsight::demo
