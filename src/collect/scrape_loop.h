#pragma once
// Scraping one target (Prometheus's scrape loop, scrape/scrape.go in 2.42, re-implemented):
//   fetch  GET <url> with Accept (OpenMetrics 1.0, then text 0.0.4), Accept-Encoding: gzip,
//          X-Prometheus-Scrape-Timeout-Seconds; the timeout bounds the whole exchange; the body
//          (after gzip) is limited by body_size_limit (or the server's decoded-body limit).
//   parse  text 0.0.4 or OpenMetrics by Content-Type (protobuf answers are a scrape error).
//          Bad lines are item errors: the good lines are stored and the errors show up in the
//          target's lastError while it stays "up" (Prometheus fails the whole scrape instead;
//          opsight keeps the good samples, like every other ingest path).
//   labels target labels are attached (honor_labels: scraped labels win; otherwise target labels
//          win and conflicting scraped labels are kept as exported_<name>), then
//          metric_relabel_configs; sample_limit / label_limit / label_*_length_limit violations
//          fail the scrape.
//   write  samples (timestamp of the scrape start, or the exposed one with honor_timestamps),
//          a staleness marker for every series of the previous scrape that is missing now (for
//          all of them when the scrape failed), metadata when it changed, and the report series
//          up, scrape_duration_seconds, scrape_samples_scraped,
//          scrape_samples_post_metric_relabeling, scrape_series_added -- one commit per scrape.
// Series with explicit (honored) timestamps get no staleness markers, as in Prometheus.
//
// Thread safety: a TargetScraper may be used from several threads; scrape() and
// write_stale_markers() serialize on an internal mutex, health() never waits for a scrape.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "collect/relabel.h"
#include "collect/scrape_config.h"
#include "collect/target.h"
#include "common/clock.h"
#include "ingest/metric_batch.h"
#include "net/http_client.h"
#include "storage/metric_store.h"

namespace opsight::collect {

struct FetchRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t timeout_ms = 10'000;
  uint64_t max_body_bytes = 0;
  const std::atomic<bool>* cancel = nullptr;
};

// How a scrape gets its bytes: HTTP in production, a fake in tests. Thread-safe.
class Fetcher {
 public:
  virtual ~Fetcher() = default;
  virtual Result<net::ClientResponse> fetch(const FetchRequest& req) = 0;
};

// The real one, over net::http_fetch.
std::unique_ptr<Fetcher> http_fetcher();

// What every target of a job shares. Immutable after construction.
struct JobContext {
  ScrapeConfig config;
  Relabeler metric_relabel;
  storage::Tenant tenant;
  ingest::Limits limits;
  uint64_t default_body_limit = 256ull << 20;  // when body_size_limit is 0
  // Set by the manager when the job has more targets than target_limit.
  std::atomic<bool> target_limit_exceeded{false};
};

struct TargetHealth {
  std::string health = "unknown";  // "up", "down", "unknown" (not scraped yet)
  std::string last_error;
  int64_t last_scrape_ms = 0;  // wall time of the last scrape's start, 0 = never
  double last_duration_s = 0;
  uint64_t last_samples = 0;  // after metric relabeling
};

class TargetScraper {
 public:
  TargetScraper(std::shared_ptr<JobContext> job, Target target);

  // Scrapes once at the clock's current time and writes the result (see the file comment).
  void scrape(Fetcher& fetcher, storage::MetricStore& store, Clock& clock,
              const std::atomic<bool>* cancel);
  // The target went away: a staleness marker at `t_ms` for every series it last reported,
  // report series included. Later calls write nothing.
  void write_stale_markers(storage::MetricStore& store, int64_t t_ms);

  TargetHealth health() const;
  const Target& target() const { return target_; }
  const JobContext& job() const { return *job_; }

 private:
  struct Scraped {
    ingest::MetricBatch batch;
    std::vector<bool> track;  // parallel to batch.series: staleness-tracked
    uint64_t scraped = 0;
    std::string error;
    std::string item_errors;  // summary of bad lines
  };
  Scraped fetch_and_parse(Fetcher& fetcher, int64_t t_ms, const std::atomic<bool>* cancel);
  Labels sample_labels(const Labels& scraped) const;
  void add_report(ingest::MetricBatch* b, int64_t t, bool up, double duration, uint64_t scraped,
                  uint64_t post, uint64_t added) const;

  const std::shared_ptr<JobContext> job_;
  const Target target_;
  const Labels public_labels_;

  std::mutex run_mu_;  // one scrape (or the final staleness) at a time
  // Series of the last scrape, for staleness markers (by label hash). GUARDED_BY(run_mu_)
  std::unordered_map<uint64_t, Labels> last_series_;
  std::unordered_map<std::string, storage::MetricMetadata> metadata_;  // GUARDED_BY(run_mu_)
  bool ended_ = false;                                                 // GUARDED_BY(run_mu_)

  mutable std::mutex health_mu_;
  TargetHealth health_;  // GUARDED_BY(health_mu_)
};

}  // namespace opsight::collect
