#pragma once
// Pushgateway-style metric groups (github.com/prometheus/pushgateway README, "API"):
// a group is identified by its grouping labels (job plus optional label/value pairs from the
// URL) and holds metric families pushed in the text format.
//   PUT     replaces the whole group with the pushed families;
//   POST    replaces only the families with the same names as pushed ones;
//   DELETE  removes the group.
// Grouping labels override the same labels in the pushed samples. Pushed samples must not carry
// timestamps. Each group also reports push_time_seconds (last successful push) and
// push_failure_time_seconds (last failed push, 0 if none), labelled with its grouping labels.
//
// Query semantics: Prometheus scrapes a Pushgateway (with honor_labels), so the last pushed
// value stays visible for as long as it is not deleted. The registry does the same as a virtual
// scrape target: every `interval_ms` it writes the current value of every pushed series at the
// current time; on a push it writes the group's samples at once (durable before push()
// returns), and staleness markers for series that a PUT/POST replaced away or a DELETE removed.
//
// A push is all-or-nothing (as in the Pushgateway): one bad line or label rejects it with every
// bad line named, the group is unchanged and its push_failure_time_seconds is set.
//
// Persistence: one file per group, <dir>/<hash of the grouping labels>.prom, written
// atomically (temp file, fsync, rename) before push() returns; it holds two header series
// (the grouping labels with the push and failure times) and the families in text format
// 0.0.4. Groups are loaded again by open(). A grouping label with an empty value is the same as
// an absent one (labels with empty values do not exist in opsight).
//
// Thread safety: all public methods are thread-safe; pushes and the periodic write are
// serialized by one mutex (the write of a push happens under it, so writes stay ordered).

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/labels.h"
#include "common/status.h"
#include "ingest/metric_batch.h"
#include "ingest/prometheus/text_format.h"
#include "storage/metric_store.h"

namespace opsight::collect {

struct PushOptions {
  std::string dir;  // where groups are persisted (created if missing)
  int64_t interval_ms = 15'000;
  size_t max_groups = 10'000;
  storage::Tenant tenant;
  ingest::Limits limits;  // labels per series, name/value lengths, series per push
};

enum class PushMethod { kPut, kPost };

class PushRegistry {
 public:
  static Result<std::unique_ptr<PushRegistry>> open(const PushOptions& options,
                                                    storage::MetricStore* store, Clock* clock);
  ~PushRegistry();
  PushRegistry(const PushRegistry&) = delete;
  PushRegistry& operator=(const PushRegistry&) = delete;

  // Starts the periodic writer. stop() ends it (idempotent; nothing is written after it).
  void start();
  void stop();

  // Applies a push of `body` (already decompressed) to the group `grouping` (must contain a
  // non-empty job). InvalidArgument lists the bad lines in *errors; ResourceExhausted when a new
  // group would exceed max_groups; Unavailable/IOError when the write or the file failed.
  Status push(PushMethod method, const Labels& grouping, std::string_view body,
              ingest::prometheus::TextFormat format, std::vector<ingest::ItemError>* errors);
  // Removes the group (staleness markers for all of its series). Ok when it did not exist.
  Status remove(const Labels& grouping);
  // Writes every group's current samples at the clock's time (the periodic write).
  Status write_all();

  size_t num_groups() const;
  // The series (full labels) a group currently holds, sorted; empty if no such group.
  std::vector<Labels> series_of(const Labels& grouping) const;

 private:
  struct Family {
    storage::MetricMetadata meta;
    bool has_meta = false;
    std::vector<std::pair<Labels, double>> samples;
  };
  struct Group {
    Labels grouping;
    std::map<std::string, Family> families;
    int64_t push_time_ms = 0;
    int64_t failure_time_ms = 0;
  };

  PushRegistry(PushOptions options, storage::MetricStore* store, Clock* clock)
      : opts_(std::move(options)), store_(store), clock_(clock) {}
  Status load();
  std::string path_of(const Labels& grouping) const;
  Status persist(const Group& g);
  void add_group_samples(const Group& g, int64_t t, ingest::MetricBatch* b) const;
  Status write(ingest::MetricBatch b);
  void run();

  const PushOptions opts_;
  storage::MetricStore* const store_;
  Clock* const clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<Labels, Group> groups_;  // GUARDED_BY(mu_)
  bool stopping_ = false;           // GUARDED_BY(mu_)
  std::thread writer_;
};

}  // namespace opsight::collect
