// The read side of tsdb::Db: select over blocks + frozen head + active head, label queries,
// metadata.
#include <algorithm>
#include <set>
#include <unordered_map>

#include "storage/tsdb/db.h"
#include "storage/tsdb/merge.h"

namespace opsight::storage::tsdb {

namespace {

std::vector<Matcher> with_tenant(std::span<const Matcher> matchers, const Tenant& t) {
  std::vector<Matcher> out(matchers.begin(), matchers.end());
  out.push_back(Matcher::equal(std::string(kAccountLabel), t.account));
  out.push_back(Matcher::equal(std::string(kRegionLabel), t.region));
  return out;
}

Labels strip_tenant(const Labels& l, Tenant* tenant) {
  std::vector<Label> out;
  out.reserve(l.size());
  for (const auto& x : l) {
    if (x.name == kAccountLabel) {
      tenant->account = x.value;
    } else if (x.name == kRegionLabel) {
      tenant->region = x.value;
    } else {
      out.push_back(x);
    }
  }
  return Labels::from_sorted(std::move(out));
}

// One selected series: its value points (the usual case) or, when it holds statistic sets,
// its samples.
class DbSeries final : public Series {
 public:
  const Labels& labels() const override { return labels_; }
  const Tenant& tenant() const override { return tenant_; }
  std::unique_ptr<SeriesIterator> iterator() const override {
    if (samples_ != nullptr) return std::make_unique<VectorIterator>(samples_);
    return std::make_unique<ValuePointIterator>(values_);
  }
  Status append_values(std::vector<ValuePoint>* out) const override {
    if (samples_ == nullptr) {
      out->insert(out->end(), values_->begin(), values_->end());
      return OkStatus();
    }
    for (const auto& x : *samples_) {
      if (!x.is_stats) out->push_back({x.t, x.v});
    }
    return OkStatus();
  }
  Labels labels_;
  Tenant tenant_;
  std::shared_ptr<std::vector<ValuePoint>> values_;     // when samples_ is null
  std::shared_ptr<const std::vector<Sample>> samples_;  // a series with statistic sets
};

struct OutputEntry {
  Labels labels;  // without tenant
  Tenant tenant;
  Db::SelectedSeries sel;
};

class DbSeriesSet final : public SeriesSet {
 public:
  DbSeriesSet(std::vector<OutputEntry> entries, int64_t mint, int64_t maxt, size_t limit)
      : entries_(std::move(entries)), mint_(mint), maxt_(maxt), limit_(limit) {}
  explicit DbSeriesSet(Status err) : err_(std::move(err)) {}

  bool next() override {
    while (err_.ok() && pos_ < entries_.size()) {
      if (limit_ != 0 && returned_ >= limit_) return false;
      OutputEntry& e = entries_[pos_++];
      Status st = read(e);
      e.sel = {};  // release the snapshot
      if (!st.ok()) {
        err_ = st.with_prefix("series " + e.labels.to_string());
        return false;
      }
      if (cur_.samples_ != nullptr ? cur_.samples_->empty() : cur_.values_->empty()) continue;
      cur_.labels_ = std::move(e.labels);
      cur_.tenant_ = std::move(e.tenant);
      returned_++;
      return true;
    }
    return false;
  }
  const Series& at() const override { return cur_; }
  Status err() const override { return err_; }

 private:
  Status read(const OutputEntry& e) {
    // The previous series' points are reused when nobody holds them any more (a reader that
    // copied them out with append_values()), which saves an allocation per series.
    if (cur_.values_ == nullptr || cur_.values_.use_count() > 1) {
      cur_.values_ = std::make_shared<std::vector<ValuePoint>>();
    }
    cur_.values_->clear();
    cur_.samples_ = nullptr;
    ASSIGN_OR_RETURN(bool all_values,
                     Db::materialize_values(e.sel, mint_, maxt_, cur_.values_.get()));
    if (all_values) return OkStatus();
    cur_.values_->clear();
    auto samples = std::make_shared<std::vector<Sample>>();
    RETURN_IF_ERROR(Db::materialize(e.sel, mint_, maxt_, samples.get()));
    cur_.samples_ = std::move(samples);
    return OkStatus();
  }

  std::vector<OutputEntry> entries_;
  int64_t mint_ = 0, maxt_ = 0;
  size_t limit_ = 0;
  size_t pos_ = 0, returned_ = 0;
  DbSeries cur_;
  Status err_;
};

class DbQuerier final : public Querier {
 public:
  DbQuerier(Db* db, std::vector<Tenant> tenants, int64_t mint, int64_t maxt)
      : db_(db), tenants_(std::move(tenants)), mint_(mint), maxt_(maxt) {}

  std::unique_ptr<SeriesSet> select(bool sorted, const SelectHints& hints,
                                    std::span<const Matcher> matchers) override {
    bool any_non_empty = std::any_of(matchers.begin(), matchers.end(),
                                     [](const Matcher& m) { return !m.matches_empty(); });
    if (!any_non_empty) {
      return std::make_unique<DbSeriesSet>(
          Status::invalid_argument("at least one matcher must not match the empty string (got {" +
                                   join_matchers(matchers) + "})"));
    }
    auto sel = db_->select_series(tenants_, mint_, maxt_, matchers);
    if (!sel.ok()) return std::make_unique<DbSeriesSet>(sel.status());
    std::vector<OutputEntry> out;
    out.reserve(sel->size());
    for (auto& s : *sel) {
      OutputEntry e;
      e.labels = strip_tenant(s.labels, &e.tenant);
      e.sel = std::move(s);
      out.push_back(std::move(e));
    }
    // Always sorted: label order, tenant as the tiebreaker. Series usually arrive sorted
    // already (one block's series are in label order), so check before sorting.
    auto less = [](const OutputEntry& a, const OutputEntry& b) {
      if (a.labels == b.labels) return a.tenant < b.tenant;
      return a.labels < b.labels;
    };
    if (!std::is_sorted(out.begin(), out.end(), less)) std::sort(out.begin(), out.end(), less);
    return std::make_unique<DbSeriesSet>(std::move(out), mint_, maxt_, hints.limit);
  }

  Result<std::vector<std::string>> label_names(std::span<const Matcher> matchers) override {
    return db_->label_query(tenants_, mint_, maxt_, matchers, nullptr);
  }

  Result<std::vector<std::string>> label_values(std::string_view name,
                                                std::span<const Matcher> matchers) override {
    std::string n(name);
    return db_->label_query(tenants_, mint_, maxt_, matchers, &n);
  }

  std::optional<MetricMetadata> metadata(std::string_view metric_name) override {
    return db_->metadata(tenants_, metric_name);
  }

  Result<std::vector<SeriesExemplars>> exemplars(
      std::span<const std::vector<Matcher>> selectors) override {
    return db_->exemplar_store().select(tenants_, mint_, maxt_, selectors);
  }

 private:
  static std::string join_matchers(std::span<const Matcher> matchers) {
    std::string out;
    for (const auto& m : matchers) {
      if (!out.empty()) out += ", ";
      out += m.to_string();
    }
    return out;
  }

  Db* db_;
  std::vector<Tenant> tenants_;
  int64_t mint_, maxt_;
};

}  // namespace

Result<std::unique_ptr<Querier>> Db::querier(const QueryScope& scope, int64_t mint, int64_t maxt) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::unavailable("metrics store is closed");
  }
  if (mint > maxt) {
    return Status::invalid_argument("query start " + std::to_string(mint) + " is after end " +
                                    std::to_string(maxt));
  }
  std::vector<Tenant> tenants = scope.tenants;
  std::sort(tenants.begin(), tenants.end());
  tenants.erase(std::unique(tenants.begin(), tenants.end()), tenants.end());
  return std::unique_ptr<Querier>(
      std::make_unique<DbQuerier>(this, std::move(tenants), mint, maxt));
}

Result<std::vector<Db::SelectedSeries>> Db::select_series(const std::vector<Tenant>& tenants,
                                                          int64_t mint, int64_t maxt,
                                                          std::span<const Matcher> matchers) {
  // Series are merged across sources by label hash (a chain per hash for collisions, which
  // are then told apart by comparing labels); a block series' labels are only built when
  // its series is new. The caller sorts.
  std::vector<SelectedSeries> out;
  std::unordered_map<uint64_t, uint32_t> by_hash;  // hash -> first entry with that hash
  std::vector<uint32_t> same_hash_next;            // per entry: next one with its hash, or -1
  constexpr uint32_t kNone = ~uint32_t{0};
  auto find_or_add = [&](uint64_t hash, auto&& equals, auto&& make_labels) -> SelectedSeries& {
    auto [it, inserted] = by_hash.try_emplace(hash, static_cast<uint32_t>(out.size()));
    if (!inserted) {
      uint32_t i = it->second;
      while (true) {
        if (equals(out[i].labels)) return out[i];
        if (same_hash_next[i] == kNone) break;
        i = same_hash_next[i];
      }
      same_hash_next[i] = static_cast<uint32_t>(out.size());
    }
    same_hash_next.push_back(kNone);
    out.emplace_back();
    out.back().labels = make_labels();
    return out.back();
  };
  std::vector<std::shared_ptr<Block>> blocks;
  std::vector<std::vector<Matcher>> scoped;
  for (const auto& t : tenants) scoped.push_back(with_tenant(matchers, t));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::unavailable("metrics store is closed");
    for (const auto& b : blocks_) {
      if (b->overlaps(mint, maxt)) blocks.push_back(b);
    }
    for (const auto& ms : scoped) {
      Bitmap refs = select_postings(index_, ms);
      for (uint32_t ref : refs.to_vector()) {
        HeadSeriesData f, a;
        bool hf = frozen_ != nullptr && frozen_->snapshot(ref, mint, maxt, &f);
        bool ha = head_->snapshot(ref, mint, maxt, &a);
        if (!hf && !ha) continue;
        const Labels* l = index_.labels(ref);
        if (l == nullptr) continue;  // not expected: postings and registry change together
        SelectedSeries& e = find_or_add(
            l->hash(), [&](const Labels& x) { return x == *l; }, [&] { return *l; });
        if (hf) e.heads.push_back(std::move(f));
        if (ha) e.heads.push_back(std::move(a));
      }
    }
  }
  std::sort(blocks.begin(), blocks.end(), [](const auto& a, const auto& b) {
    return a->meta().priority != b->meta().priority ? a->meta().priority < b->meta().priority
                                                    : a->meta().id < b->meta().id;
  });
  for (const auto& b : blocks) {
    const BlockReader& r = b->reader();
    for (const auto& ms : scoped) {
      for (uint32_t id : select_postings(r, ms).to_vector()) {
        if (r.series_max_time(id) < mint || r.series_min_time(id) > maxt) continue;
        SelectedSeries& e = find_or_add(
            r.series_labels_hash(id), [&](const Labels& x) { return r.series_labels_equal(id, x); },
            [&] { return r.series_labels(id); });
        e.blocks.emplace_back(b, id);
      }
    }
  }
  return out;
}

namespace {

// Reads the sources of a selected series in ascending priority into *out. A source whose
// samples all lie after everything read so far (the usual case: blocks of consecutive time
// ranges, then the head) appends straight to *out; only an overlapping one is read aside and
// merged. read_block(reader, id, dst) and read_head(head data, dst) read one source.
template <typename T, typename ReadBlock, typename ReadHead>
Status merge_sources(const Db::SelectedSeries& s, std::vector<T>* out, ReadBlock&& read_block,
                     ReadHead&& read_head) {
  std::vector<T> part;
  auto add = [&](int64_t src_min, auto&& read) -> Status {
    if (out->empty() || out->back().t < src_min) return read(out);
    part.clear();
    RETURN_IF_ERROR(read(&part));
    merge_newer(out, part);
    return OkStatus();
  };
  for (const auto& [block, id] : s.blocks) {
    const BlockReader& r = block->reader();
    RETURN_IF_ERROR(
        add(r.series_min_time(id), [&](std::vector<T>* dst) { return read_block(r, id, dst); }));
  }
  for (const auto& h : s.heads) {
    RETURN_IF_ERROR(add(h.min_time(), [&](std::vector<T>* dst) { return read_head(h, dst); }));
  }
  return OkStatus();
}

}  // namespace

Status Db::materialize(const SelectedSeries& s, int64_t mint, int64_t maxt,
                       std::vector<Sample>* out) {
  return merge_sources(
      s, out,
      [&](const BlockReader& r, uint32_t id, std::vector<Sample>* dst) {
        return r.series_samples(id, mint, maxt, dst);
      },
      [&](const HeadSeriesData& h, std::vector<Sample>* dst) {
        return h.samples(mint, maxt, dst);
      });
}

Result<bool> Db::materialize_values(const SelectedSeries& s, int64_t mint, int64_t maxt,
                                    std::vector<ValuePoint>* out) {
  bool has_stats = false;
  RETURN_IF_ERROR(merge_sources(
      s, out,
      [&](const BlockReader& r, uint32_t id, std::vector<ValuePoint>* dst) {
        if (has_stats) return OkStatus();
        return r.series_values(id, mint, maxt, dst, &has_stats);
      },
      [&](const HeadSeriesData& h, std::vector<ValuePoint>* dst) {
        if (has_stats) return OkStatus();
        return h.values(mint, maxt, dst, &has_stats);
      }));
  return !has_stats;
}

Result<std::vector<std::string>> Db::label_query(const std::vector<Tenant>& tenants, int64_t mint,
                                                 int64_t maxt, std::span<const Matcher> matchers,
                                                 const std::string* values_of) {
  if (values_of != nullptr && (*values_of == kAccountLabel || *values_of == kRegionLabel)) {
    return std::vector<std::string>{};
  }
  std::set<std::string> names;
  auto collect = [&](const IndexReader& ix, const Bitmap& refs) {
    auto v =
        values_of != nullptr ? label_values_of(ix, *values_of, refs) : label_names_of(ix, refs);
    names.insert(v.begin(), v.end());
  };
  std::vector<std::vector<Matcher>> scoped;
  for (const auto& t : tenants) scoped.push_back(with_tenant(matchers, t));
  std::vector<std::shared_ptr<Block>> blocks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::unavailable("metrics store is closed");
    for (const auto& b : blocks_) {
      if (b->overlaps(mint, maxt)) blocks.push_back(b);
    }
    bool head_overlaps = head_->max_time() >= mint && head_->min_time() <= maxt;
    if (frozen_ != nullptr) {
      head_overlaps |= frozen_->max_time() >= mint && frozen_->min_time() <= maxt;
    }
    if (head_overlaps) {
      for (const auto& ms : scoped) collect(index_, select_postings(index_, ms));
    }
  }
  for (const auto& b : blocks) {
    for (const auto& ms : scoped) collect(b->reader(), select_postings(b->reader(), ms));
  }
  names.erase(std::string(kAccountLabel));
  names.erase(std::string(kRegionLabel));
  return std::vector<std::string>(names.begin(), names.end());
}

std::optional<MetricMetadata> Db::metadata(const std::vector<Tenant>& tenants,
                                           std::string_view metric) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& t : tenants) {
    auto it = metadata_.find({t, std::string(metric)});
    if (it != metadata_.end()) return it->second;
  }
  return std::nullopt;
}

}  // namespace opsight::storage::tsdb
