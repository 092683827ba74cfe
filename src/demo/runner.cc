#include "demo/runner.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

#include "common/clock.h"
#include "common/hex.h"
#include "common/time_util.h"
#include "demo/otlp_encode.h"
#include "demo/shop.h"
#include "net/http_client.h"

namespace opsight::demo {
namespace {

constexpr int64_t kLiveWindowMs = 1'000;
constexpr int64_t kMaxBackfillWindowMs = 10'000;
constexpr double kSpansPerRequest = 6;       // the shop's average, for sizing windows
constexpr double kMaxSpansPerPost = 20'000;  // well under the server's per-request limits
constexpr int kMaxAttempts = 6;

bool stopped(const DemoOptions& o) {
  return o.stop != nullptr && o.stop->load();
}

// Sleeps up to ms, waking early when stop is set.
void nap(const DemoOptions& o, int64_t ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!stopped(o) && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(ms, 100)));
  }
}

class Sender {
 public:
  Sender(const DemoOptions& o, DemoStats* stats) : o_(o), stats_(stats) {}

  void post(const std::string& path, const std::string& body) {
    if (body.empty()) return;
    const std::string url = o_.target + path;
    int64_t backoff_ms = 200;
    for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
      auto r = net::http_request("POST", url, body, {{"Content-Type", "application/x-protobuf"}},
                                 60'000);
      if (r.ok() && r->status / 100 == 2) {
        ++stats_->posts;
        return;
      }
      const bool retry = !r.ok() || r->status == 429 || r->status == 503;
      const std::string why =
          r.ok() ? "HTTP " + std::to_string(r->status) + ": " + r->body.substr(0, 300)
                 : r.status().to_string();
      if (!retry || attempt == kMaxAttempts || stopped(o_)) {
        report("POST " + path + " failed: " + why);
        ++stats_->failed_posts;
        return;
      }
      nap(o_, backoff_ms);
      backoff_ms = std::min<int64_t>(backoff_ms * 2, 5'000);
    }
  }

  void report(const std::string& line) const {
    if (o_.progress) o_.progress(line);
  }

 private:
  const DemoOptions& o_;
  DemoStats* stats_;
};

// Appends the hex id of every `every`-th root span's trace.
void write_trace_ids(const Telemetry& tel, uint64_t every, uint64_t* seq, std::ofstream* out) {
  for (const auto& [name, svc] : tel) {
    for (const auto& s : svc.spans) {
      if (!s.parent_span_id.empty() || (*seq)++ % std::max<uint64_t>(every, 1) != 0) continue;
      *out << hex_encode(s.trace_id) << '\n';
    }
  }
  out->flush();
}

}  // namespace

Result<DemoStats> run_demo(const DemoOptions& o) {
  if (!(o.rps > 0 && o.rps <= 100'000)) {
    return Status::invalid_argument("--rps must be in (0, 100000]");
  }
  if (o.metrics_interval_ms < 1'000)
    return Status::invalid_argument("--metrics-interval must be >= 1s");
  if (o.backfill_ms < 0) return Status::invalid_argument("--backfill must not be negative");
  if (o.backfill_ms > 14 * 86'400'000LL) {
    return Status::invalid_argument(
        "--backfill must be at most 14d (the ingest window for past data)");
  }
  Clock* clock = Clock::real();
  const int64_t now0 = clock->now_ms() / 1000 * 1000;
  const int64_t origin = now0 - o.backfill_ms;
  std::vector<Fault> faults;
  for (const std::string& spec : o.faults) {
    ASSIGN_OR_RETURN(Fault f, parse_fault(spec, origin));
    faults.push_back(std::move(f));
  }
  if (!o.ground_truth_path.empty()) {
    std::ofstream f(o.ground_truth_path, std::ios::trunc);
    f << ground_truth_json(origin, faults) << "\n";
    if (!f.good())
      return Status::internal("cannot write the ground truth to " + o.ground_truth_path);
  }

  std::ofstream ids_out;
  if (!o.trace_ids_path.empty()) {
    ids_out.open(o.trace_ids_path, std::ios::trunc);
    if (!ids_out.is_open()) return Status::internal("cannot write " + o.trace_ids_path);
  }
  uint64_t trace_seq = 0;

  DemoStats stats;
  Sender sender(o, &stats);
  Shop shop(ShopOptions{o.rps, o.seed, faults});
  const int64_t end = o.duration_ms < 0 ? INT64_MAX : now0 + o.duration_ms;
  const int64_t backfill_window = std::clamp<int64_t>(
      static_cast<int64_t>(kMaxSpansPerPost / (o.rps * kSpansPerRequest) * 1000), kLiveWindowMs,
      kMaxBackfillWindowMs);
  int64_t t = origin;
  int64_t next_metrics = origin;
  int64_t last_report = clock->mono_ns();
  while (t < end && !stopped(o)) {
    int64_t window = std::min(backfill_window, end - t);
    if (t + window > clock->now_ms()) {  // live: one second at a time, as it happens
      window = std::min(kLiveWindowMs, end - t);
      nap(o, t + window - clock->now_ms());
      if (stopped(o)) break;
    }
    Telemetry tel;
    shop.simulate(t, t + window, &tel);
    Telemetry metrics;
    while (next_metrics <= t + window) {
      shop.metrics(next_metrics, &metrics);
      next_metrics += o.metrics_interval_ms;
    }
    if (o.send_traces) {
      for (const auto& [name, svc] : tel) stats.spans += svc.spans.size();
      sender.post("/v1/traces", encode_traces(tel));
      if (ids_out.is_open()) write_trace_ids(tel, o.trace_id_every, &trace_seq, &ids_out);
    }
    if (o.send_logs) {
      for (const auto& [name, svc] : tel) stats.logs += svc.logs.size();
      sender.post("/v1/logs", encode_logs(tel));
    }
    if (o.send_metrics) {
      for (const auto& [name, svc] : metrics) stats.metric_points += svc.metrics.size();
      sender.post("/v1/metrics", encode_metrics(metrics));
    }
    t += window;
    stats.requests = shop.requests();
    if (clock->mono_ns() - last_report >= 10'000'000'000LL) {
      last_report = clock->mono_ns();
      sender.report("demo: up to " + format_rfc3339_ms(t) + ": " + std::to_string(stats.requests) +
                    " requests, " + std::to_string(stats.spans) + " spans, " +
                    std::to_string(stats.logs) + " log records, " +
                    std::to_string(stats.metric_points) + " metric points sent (" +
                    std::to_string(stats.failed_posts) + " posts failed)");
    }
  }
  return stats;
}

}  // namespace opsight::demo
