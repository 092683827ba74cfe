#include "storage/tsdb/exemplar_store.h"

#include <algorithm>

namespace opsight::storage::tsdb {

bool ExemplarStore::add(const Tenant& tenant, const Labels& series, const Exemplar& e) {
  if (capacity_ == 0) return false;
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = series_.try_emplace(SeriesKey{tenant, series});
  SeriesState& st = it->second;
  if (!inserted && st.live > 0 && e.t <= st.newest_t) {
    // Prometheus: a repeat of the newest is a no-op, an older one "out of order".
    return false;
  }
  st.newest_t = e.t;
  st.newest_v = e.value;
  ++st.live;
  if (ring_.size() < capacity_) {
    ring_.push_back(Entry{it, e});
    return true;
  }
  Entry& slot = ring_[next_];
  if (--slot.series->second.live == 0) series_.erase(slot.series);
  slot = Entry{it, e};
  next_ = (next_ + 1) % capacity_;
  return true;
}

std::vector<SeriesExemplars> ExemplarStore::select(
    const std::vector<Tenant>& tenants, int64_t mint, int64_t maxt,
    std::span<const std::vector<Matcher>> selectors) const {
  auto matches = [&](const SeriesKey& k) {
    if (std::find(tenants.begin(), tenants.end(), k.tenant) == tenants.end()) return false;
    for (const auto& sel : selectors) {
      bool all = std::all_of(sel.begin(), sel.end(),
                             [&](const Matcher& m) { return m.matches(k.labels.get(m.name())); });
      if (all) return true;
    }
    return false;
  };
  std::vector<SeriesExemplars> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<const SeriesKey*, size_t> index;  // series -> position in out
    // Oldest first: from next_ to the end, then from the start.
    for (size_t i = 0; i < ring_.size(); ++i) {
      const Entry& en = ring_[(next_ + i) % ring_.size()];
      if (en.exemplar.t < mint || en.exemplar.t > maxt) continue;
      const SeriesKey& key = en.series->first;
      if (!matches(key)) continue;
      auto [pos, fresh] = index.try_emplace(&key, out.size());
      if (fresh) out.push_back(SeriesExemplars{key.labels, {}});
      out[pos->second].exemplars.push_back(en.exemplar);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const SeriesExemplars& a, const SeriesExemplars& b) { return a.series < b.series; });
  return out;
}

size_t ExemplarStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ring_.size();
}

}  // namespace opsight::storage::tsdb
