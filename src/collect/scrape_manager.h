#pragma once
// The scrape manager: discovery (static_configs, file_sd_configs), target reconciliation and the
// schedule, over a bounded pool of workers.
//
// Design:
//   - One scheduler thread. Every `file_sd_poll_ms` it re-runs discovery; targets that appear
//     are scheduled, targets that disappear get staleness markers for all their series (as
//     Prometheus does at the end of a scrape loop). Each target is scraped every interval at a
//     fixed offset inside the interval (hash of the target, so many targets do not scrape at
//     the same instant and a target keeps its phase across restarts).
//   - Scrapes run on a WorkQueue of `workers` threads with at most `max_queued` waiting: never
//     a thread per target. A target whose previous scrape is still running, or that finds the
//     queue full, skips that round (opsight_scrape_skipped_total).
//   - stop() cancels in-flight scrapes (their HTTP exchange aborts within 50 ms), writes
//     nothing more and joins; no staleness markers at shutdown (as Prometheus).
// Limitations: the configuration is fixed for the manager's life (no reload); file_sd changes
// are picked up by polling (stat), not inotify.
//
// Thread safety: every public method is thread-safe.

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "collect/file_sd.h"
#include "collect/scrape_config.h"
#include "collect/scrape_loop.h"
#include "common/clock.h"
#include "common/work_queue.h"
#include "storage/metric_store.h"

namespace opsight::collect {

struct ScrapeManagerOptions {
  size_t workers = 4;          // scrapes running at once, at most
  size_t max_queued = 10'000;  // scrapes waiting for a worker, at most
  int64_t file_sd_poll_ms = 1000;
  storage::Tenant tenant;
  ingest::Limits limits;  // labels and sizes of what is written; max_decoded_bytes bounds bodies
};

struct ActiveTargetStatus {
  std::string pool;  // job_name
  Labels discovered;
  Labels labels;  // public labels
  std::string url;
  int64_t interval_ms = 0;
  int64_t timeout_ms = 0;
  TargetHealth health;
};

struct DroppedTargetStatus {
  std::string pool;
  Labels discovered;
};

struct TargetsSnapshot {
  std::vector<ActiveTargetStatus> active;  // by pool, then URL
  std::vector<DroppedTargetStatus> dropped;
};

class ScrapeManager {
 public:
  // Validates `settings` and prepares the jobs; no thread runs until start().
  static Result<std::unique_ptr<ScrapeManager>> create(const ScrapeSettings& settings,
                                                       const ScrapeManagerOptions& options,
                                                       storage::MetricStore* store, Clock* clock,
                                                       std::unique_ptr<Fetcher> fetcher);
  ~ScrapeManager();
  ScrapeManager(const ScrapeManager&) = delete;
  ScrapeManager& operator=(const ScrapeManager&) = delete;

  void start();
  // See the design notes. Idempotent.
  void stop();

  // Runs discovery now (on the calling thread); removed targets get their staleness markers
  // before it returns. For tests and the scheduler.
  void sync_targets();
  // Scrapes every current target once, on the calling thread. For tests.
  void scrape_all_now();

  TargetsSnapshot targets() const;
  size_t num_jobs() const { return jobs_.size(); }

 private:
  struct Job {
    std::shared_ptr<JobContext> ctx;
    Relabeler relabel;
    std::vector<std::unique_ptr<FileSd>> file_sds;
    bool synced = false;
  };
  struct Entry {
    std::string job;
    std::shared_ptr<TargetScraper> scraper;
    std::shared_ptr<std::atomic<bool>> running;
    int64_t next_due_ms = 0;
  };

  ScrapeManager(ScrapeManagerOptions options, storage::MetricStore* store, Clock* clock,
                std::unique_ptr<Fetcher> fetcher);
  void run();
  void submit_scrape(Entry& e);

  const ScrapeManagerOptions opts_;
  storage::MetricStore* const store_;
  Clock* const clock_;
  const std::unique_ptr<Fetcher> fetcher_;
  std::map<std::string, Job> jobs_;  // fixed after create(); FileSd used by sync_targets only

  std::mutex sync_mu_;  // one discovery run at a time
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Entry> targets_;  // key: job \xff target hash. GUARDED_BY(mu_)
  std::map<std::string, std::vector<DroppedTargetStatus>> dropped_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                                            // GUARDED_BY(mu_)
  std::atomic<bool> cancel_{false};
  std::unique_ptr<WorkQueue> pool_;
  std::thread scheduler_;
  bool started_ = false;
};

}  // namespace opsight::collect
