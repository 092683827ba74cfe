#pragma once
// The rule manager: loads rule files, runs every group on its own schedule, reloads.
//
// Design
// - One runner thread per group (Prometheus runs one goroutine per group). The first
//   evaluation happens at the group's next aligned slot (Group::eval_timestamp + interval); a
//   runner that falls behind skips the missed slots and counts them, as Prometheus does.
// - reload() re-reads the rule files. When any file is invalid, the running groups stay as they
//   are and the error is returned (and shown by /api/v1/rules callers through the log). Otherwise
//   groups with the same file and name take over the state of their predecessor (alerts keep
//   their activeAt), groups that disappeared write staleness markers for their series, and all
//   runners restart.
// - Waiting uses real time; tests drive evaluation with evaluate_all() and run_threads = false.
//
// Thread safety: all public methods are thread-safe.

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "query/promql/engine.h"
#include "rules/group.h"
#include "rules/notifier.h"
#include "storage/metric_store.h"

namespace opsight::rules {

struct ManagerOptions {
  storage::MetricStore* store = nullptr;
  storage::Tenant tenant;
  query::promql::EngineOptions engine;
  Clock* clock = Clock::real();
  int64_t default_interval_ms = 60'000;  // global evaluation_interval
  Labels external_labels;
  std::string external_url;
  int64_t resend_delay_ms = 60'000;
  std::vector<std::string> rule_files;  // paths or globs
  std::string base_dir;                 // relative rule_files are relative to this
  Notifier* notifier = nullptr;         // may be null: alerts are not sent
  bool run_threads = true;
};

class Manager {
 public:
  explicit Manager(ManagerOptions options);
  ~Manager();  // stop()
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // (Re)loads the rule files and (re)starts the runners; see the design note.
  Status reload();
  // Stops all runners (waits for a running evaluation to finish).
  void stop();
  // Evaluates every group once at its own eval_timestamp(now_ms) (tests).
  void evaluate_all(int64_t now_ms);
  // Snapshot for the API, in file order then group order.
  std::vector<GroupStatus> groups() const;

 private:
  struct Runner {
    std::shared_ptr<Group> group;
    std::thread thread;
  };
  void run(std::shared_ptr<Group> g);
  void stop_runners(std::vector<Runner>* runners);

  ManagerOptions opts_;
  query::promql::Engine engine_;
  std::mutex reload_mu_;  // serialises reload() and stop()
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;        // GUARDED_BY(mu_): tells the current runners to exit
  std::vector<Runner> runners_;  // GUARDED_BY(mu_) for the group list
};

}  // namespace opsight::rules
