#include "cli/demo_command.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "common/time_util.h"
#include "demo/runner.h"

namespace opsight::cli {
namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) {
  g_stop.store(true);
}

int64_t duration_or_exit(const std::string& flag, const std::string& text) {
  auto ms = parse_duration_ms(text);
  if (!ms.ok()) {
    std::fprintf(stderr, "opsight demo: %s: %s\n", flag.c_str(), ms.status().message().c_str());
    std::exit(2);
  }
  return *ms;
}

}  // namespace

void add_demo_command(CLI::App& app) {
  struct Flags {
    std::string target = "http://127.0.0.1:4318";
    double rps = 10;
    uint64_t seed = 1;
    std::string backfill = "0s";
    std::string duration;
    std::string metrics_interval = "10s";
    std::vector<std::string> faults;
    std::string ground_truth = "demo-ground-truth.json";
    std::string signals = "traces,metrics,logs";
    std::string trace_ids;
    uint64_t trace_id_every = 1000;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "demo", "Run a simulated shop that sends traces, metrics and logs over OTLP");
  cmd->add_option("--target", flags->target, "opsight's OTLP/HTTP base URL")->capture_default_str();
  cmd->add_option("--rps", flags->rps, "Shop requests per second")->capture_default_str();
  cmd->add_option("--seed", flags->seed, "Random seed")->capture_default_str();
  cmd->add_option("--backfill", flags->backfill,
                  "Generate this much past data first, as fast as the server takes it (e.g. 2h)")
      ->capture_default_str();
  cmd->add_option("--duration", flags->duration,
                  "Live time to run after the backfill (default: until Ctrl-C; 0 = backfill only)");
  cmd->add_option("--metrics-interval", flags->metrics_interval, "Metric export interval")
      ->capture_default_str();
  cmd->add_option("--fault", flags->faults,
                  "KIND:TARGET[@START][/DURATION], kind latency|errors|cpu, target "
                  "frontend|checkout|payment|inventory|db|queue, START from the data's start "
                  "(e.g. latency:payment@10m/5m); repeatable");
  cmd->add_option("--ground-truth", flags->ground_truth,
                  "Where to write the injected faults as JSON (empty: nowhere)")
      ->capture_default_str();
  cmd->add_option("--signals", flags->signals, "Which signals to send")->capture_default_str();
  cmd->add_option("--trace-ids", flags->trace_ids,
                  "Append the id of every Nth trace to this file (see --trace-id-every)");
  cmd->add_option("--trace-id-every", flags->trace_id_every, "N for --trace-ids")
      ->capture_default_str();
  cmd->callback([flags] {
    demo::DemoOptions o;
    o.target = flags->target;
    while (!o.target.empty() && o.target.back() == '/') o.target.pop_back();
    o.rps = flags->rps;
    o.seed = flags->seed;
    o.backfill_ms = duration_or_exit("--backfill", flags->backfill);
    o.duration_ms = flags->duration.empty() ? -1 : duration_or_exit("--duration", flags->duration);
    o.metrics_interval_ms = duration_or_exit("--metrics-interval", flags->metrics_interval);
    o.faults = flags->faults;
    o.ground_truth_path = flags->ground_truth;
    o.send_traces = o.send_metrics = o.send_logs = false;
    for (std::string_view rest = flags->signals; !rest.empty();) {
      const size_t comma = rest.find(',');
      const std::string_view s = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
      if (s == "traces") {
        o.send_traces = true;
      } else if (s == "metrics") {
        o.send_metrics = true;
      } else if (s == "logs") {
        o.send_logs = true;
      } else {
        std::fprintf(stderr, "opsight demo: --signals: \"%.*s\" is not traces, metrics or logs\n",
                     static_cast<int>(s.size()), s.data());
        std::exit(2);
      }
    }
    o.trace_ids_path = flags->trace_ids;
    o.trace_id_every = flags->trace_id_every;
    o.stop = &g_stop;
    o.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::fprintf(stderr, "opsight demo: sending to %s at %.1f requests/s%s\n", o.target.c_str(),
                 o.rps, o.faults.empty() ? "" : " with faults");
    auto stats = demo::run_demo(o);
    if (!stats.ok()) {
      std::fprintf(stderr, "opsight demo: %s\n", stats.status().message().c_str());
      std::exit(2);
    }
    std::printf(
        "{\"requests\": %llu, \"spans\": %llu, \"logs\": %llu, \"metric_points\": %llu, "
        "\"posts\": %llu, \"failed_posts\": %llu}\n",
        static_cast<unsigned long long>(stats->requests),
        static_cast<unsigned long long>(stats->spans), static_cast<unsigned long long>(stats->logs),
        static_cast<unsigned long long>(stats->metric_points),
        static_cast<unsigned long long>(stats->posts),
        static_cast<unsigned long long>(stats->failed_posts));
    std::exit(stats->failed_posts == 0 ? 0 : 1);
  });
}

}  // namespace opsight::cli
