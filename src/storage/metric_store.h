#pragma once
// The storage contract for metrics (cf. Prometheus's Appendable / Queryable): everything above
// storage (ingest, query languages, alarms, the APIs) uses only these interfaces, so the embedded
// engine (tsdb::Db) and a ClickHouse backend are interchangeable.
//
// Tenancy: every series belongs to one Tenant (account, region). An Appender writes for one
// tenant; a Querier sees the tenants of its scope (one account, or a monitoring account with its
// linked source accounts). Labels returned by a Querier never carry reserved tenant labels; the
// tenant is reported beside them.
//
// Thread safety: MetricStore is thread-safe. An Appender, Querier, SeriesSet or SeriesIterator
// is used by one thread at a time.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/labels.h"
#include "common/status.h"
#include "storage/matcher.h"
#include "storage/sample.h"

namespace opsight::storage {

inline constexpr std::string_view kDefaultAccount = "000000000000";
inline constexpr std::string_view kDefaultRegion = "local";

struct Tenant {
  std::string account{kDefaultAccount};
  std::string region{kDefaultRegion};
  bool operator==(const Tenant&) const = default;
  auto operator<=>(const Tenant&) const = default;
};

// Per metric name, per tenant (Prometheus metadata; CloudWatch Unit).
struct MetricMetadata {
  std::string type;  // counter, gauge, histogram, summary, gaugehistogram, info, stateset, unknown
  std::string help;
  std::string unit;  // "seconds", "bytes", or a CloudWatch unit ("Count", "Percent", ...)
  bool operator==(const MetricMetadata&) const = default;
};

// An exemplar (OpenMetrics 1.0): one observation of a series with labels of its own, typically
// the trace that produced it ({trace_id="...", span_id="..."}).
struct Exemplar {
  Labels labels;
  double value = 0;
  int64_t t = 0;  // ms
  bool operator==(const Exemplar&) const = default;
};

// The exemplars of one series (labels without tenant labels), ascending by time.
struct SeriesExemplars {
  Labels series;
  std::vector<Exemplar> exemplars;
};

struct SampleError {
  size_t index;  // position in the span passed to append()
  Status status;
};

class Appender {
 public:
  virtual ~Appender() = default;
  // Stages samples of one series (samples in any order; duplicates of a timestamp: the last
  // wins). Samples outside the accepted time window are rejected one by one into *errors (with
  // their index) and the rest are staged. Returns a non-ok Status only when the whole series is
  // refused (e.g. invalid labels).
  virtual Status append(const Labels& labels, std::span<const Sample> samples,
                        std::vector<SampleError>* errors) = 0;
  // The same for a borrowed label set (the ingest hot path: no allocation for a series the
  // store already holds). `labels` must be sorted by name with unique names and no empty
  // values; the strings they view must stay valid until commit() or rollback() returns (the
  // span itself and `samples` are copied).
  virtual Status append_views(std::span<const LabelView> labels, std::span<const Sample> samples,
                              std::vector<SampleError>* errors) = 0;
  virtual Status append_metadata(std::string_view metric_name, const MetricMetadata& meta) = 0;
  // Stages an exemplar of the series `labels` (sorted, unique names, no tenant labels; copied).
  // Exemplars are kept in a bounded buffer (the oldest go first), like Prometheus's exemplar
  // storage; one that repeats or is older than its series' newest exemplar is dropped silently.
  virtual Status append_exemplar(std::span<const LabelView> labels, const Exemplar& exemplar) = 0;
  // Makes everything staged durable (per the WAL policy) and visible to queries. Returns only
  // once durable: an HTTP 2xx may be sent after an ok commit().
  virtual Status commit() = 0;
  // Drops everything staged. Also done by the destructor when commit() was not called.
  virtual void rollback() = 0;
};

struct QueryScope {
  std::vector<Tenant> tenants{Tenant{}};
};

struct SelectHints {
  int64_t start = 0;  // ms, inclusive
  int64_t end = 0;    // ms, inclusive
  int64_t step = 0;   // ms, 0 if not a range query
  size_t limit = 0;   // max series, 0 = no limit
};

// A value sample without the statistic-set fields: what a query engine reads in bulk.
struct ValuePoint {
  int64_t t = 0;  // ms
  double v = 0;
};

class SeriesIterator {
 public:
  virtual ~SeriesIterator() = default;
  // Moves to the next sample; false at the end (or on error, see err()).
  virtual bool next() = 0;
  // Moves to the first sample with t >= target, which may be the current one; false if none.
  virtual bool seek(int64_t target) = 0;
  // The current sample; valid after next()/seek() returned true.
  virtual const Sample& at() const = 0;
  virtual Status err() const { return OkStatus(); }
};

class Series {
 public:
  virtual ~Series() = default;
  virtual const Labels& labels() const = 0;
  virtual const Tenant& tenant() const = 0;
  // Samples in ascending time order, without duplicates, within the querier's [mint, maxt].
  virtual std::unique_ptr<SeriesIterator> iterator() const = 0;
  // Bulk read for query engines: appends the samples of iterator() that are values (statistic
  // sets are skipped) to *out, in the same order. The default walks iterator(); a store that
  // holds the samples in memory copies them in one pass. Returns the iterator's error.
  virtual Status append_values(std::vector<ValuePoint>* out) const {
    auto it = iterator();
    while (it->next()) {
      const Sample& s = it->at();
      if (!s.is_stats) out->push_back({s.t, s.v});
    }
    return it->err();
  }
};

class SeriesSet {
 public:
  virtual ~SeriesSet() = default;
  virtual bool next() = 0;
  // Valid until the next call to next().
  virtual const Series& at() const = 0;
  virtual Status err() const = 0;
};

class Querier {
 public:
  virtual ~Querier() = default;
  // Series matching all matchers (at least one matcher must not match the empty string).
  // When `sorted`, series come in label order (tenant as a tiebreaker).
  virtual std::unique_ptr<SeriesSet> select(bool sorted, const SelectHints& hints,
                                            std::span<const Matcher> matchers) = 0;
  // Sorted, unique label names of the series matching `matchers` (all series if empty).
  virtual Result<std::vector<std::string>> label_names(std::span<const Matcher> matchers) = 0;
  // Sorted, unique values of `name`.
  virtual Result<std::vector<std::string>> label_values(std::string_view name,
                                                        std::span<const Matcher> matchers) = 0;
  // Metadata of a metric name, if known.
  virtual std::optional<MetricMetadata> metadata(std::string_view metric_name) = 0;
  // Exemplars within the querier's [mint, maxt] of the series matching any of the selectors
  // (each a conjunction of matchers), sorted by series labels.
  virtual Result<std::vector<SeriesExemplars>> exemplars(
      std::span<const std::vector<Matcher>> selectors) {
    return Status::unimplemented("this store keeps no exemplars");
  }
};

struct StoreStats {
  uint64_t num_series = 0;
  uint64_t head_samples = 0;
  uint64_t num_blocks = 0;
  uint64_t block_bytes = 0;
  uint64_t block_samples = 0;
  int64_t min_time = 0;
  int64_t max_time = 0;
};

class MetricStore {
 public:
  virtual ~MetricStore() = default;
  virtual std::unique_ptr<Appender> appender(const Tenant& tenant) = 0;
  // A querier over [mint, maxt] (ms, inclusive) for the tenants of the scope.
  virtual Result<std::unique_ptr<Querier>> querier(const QueryScope& scope, int64_t mint,
                                                   int64_t maxt) = 0;
  virtual StoreStats stats() = 0;
  // Flushes in-memory data and fsyncs; later appends fail with Unavailable.
  virtual Status close() = 0;
};

}  // namespace opsight::storage
