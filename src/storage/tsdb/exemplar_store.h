#pragma once
// In-memory exemplar storage of the metrics engine: a ring of the last `capacity` exemplars over
// all series, like Prometheus's circular exemplar storage (tsdb/exemplar.go; flag
// storage.exemplars.max-exemplars, default 100,000). Exemplars are made durable by the WAL
// record of their commit; before the WAL is cut after a head flush, and at close, the ring is
// written to a snapshot file (Db), so a restart finds snapshot + WAL replay.
//
// Per series only exemplars newer than its newest one are kept (a repeat or an older one is
// dropped), so each series' exemplars stay in time order.
//
// Thread safety: all methods may be called concurrently.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "common/labels.h"
#include "storage/metric_store.h"

namespace opsight::storage::tsdb {

class ExemplarStore {
 public:
  explicit ExemplarStore(size_t capacity) : capacity_(capacity) {}

  // `series`: labels without tenant labels. Returns false when dropped (capacity 0, a repeat or
  // out of order).
  bool add(const Tenant& tenant, const Labels& series, const Exemplar& e);
  // Exemplars with mint <= t <= maxt of the series of `tenants` matching any selector.
  std::vector<SeriesExemplars> select(const std::vector<Tenant>& tenants, int64_t mint,
                                      int64_t maxt,
                                      std::span<const std::vector<Matcher>> selectors) const;
  size_t size() const;
  // Calls fn(tenant, series, exemplar) for every exemplar, oldest first (snapshots).
  template <typename Fn>
  void for_each(Fn&& fn) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < ring_.size(); ++i) {
      const Entry& en = ring_[(next_ + i) % ring_.size()];
      fn(en.series->first.tenant, en.series->first.labels, en.exemplar);
    }
  }

 private:
  struct SeriesKey {
    Tenant tenant;
    Labels labels;
    bool operator<(const SeriesKey& o) const {
      return tenant != o.tenant ? tenant < o.tenant : labels < o.labels;
    }
  };
  struct SeriesState {
    int64_t newest_t = 0;
    double newest_v = 0;
    size_t live = 0;  // entries of the ring that belong to the series
  };
  using SeriesMap = std::map<SeriesKey, SeriesState>;
  struct Entry {
    SeriesMap::iterator series;
    Exemplar exemplar;
  };

  const size_t capacity_;
  mutable std::mutex mu_;
  SeriesMap series_;
  std::vector<Entry> ring_;  // grows to capacity_, then overwritten from next_
  size_t next_ = 0;
};

}  // namespace opsight::storage::tsdb
