// The read side of tsdb::Db: select over blocks + frozen head + active head, label queries,
// metadata.
#include <algorithm>
#include <set>

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

class DbSeries final : public Series {
 public:
  const Labels& labels() const override { return labels_; }
  const Tenant& tenant() const override { return tenant_; }
  std::unique_ptr<SeriesIterator> iterator() const override {
    return std::make_unique<VectorIterator>(samples_);
  }
  Labels labels_;
  Tenant tenant_;
  std::shared_ptr<const std::vector<Sample>> samples_;
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
      auto samples = std::make_shared<std::vector<Sample>>();
      Status st = Db::materialize(e.sel, mint_, maxt_, samples.get());
      e.sel = {};  // release the snapshot
      if (!st.ok()) {
        err_ = st.with_prefix("series " + e.labels.to_string());
        return false;
      }
      if (samples->empty()) continue;
      cur_.labels_ = std::move(e.labels);
      cur_.tenant_ = std::move(e.tenant);
      cur_.samples_ = std::move(samples);
      returned_++;
      return true;
    }
    return false;
  }
  const Series& at() const override { return cur_; }
  Status err() const override { return err_; }

 private:
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
    // Always sorted (cheap next to decoding): label order, tenant as the tiebreaker.
    std::sort(out.begin(), out.end(), [](const OutputEntry& a, const OutputEntry& b) {
      if (a.labels == b.labels) return a.tenant < b.tenant;
      return a.labels < b.labels;
    });
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
  std::map<Labels, SelectedSeries> by_labels;
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
        SelectedSeries& e = by_labels[*l];
        e.labels = *l;
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
        Labels l = r.series_labels(id);
        SelectedSeries& e = by_labels[l];
        if (e.labels.empty()) e.labels = std::move(l);
        e.blocks.emplace_back(b, id);
      }
    }
  }
  std::vector<SelectedSeries> out;
  out.reserve(by_labels.size());
  for (auto& [l, s] : by_labels) out.push_back(std::move(s));
  return out;
}

Status Db::materialize(const SelectedSeries& s, int64_t mint, int64_t maxt,
                       std::vector<Sample>* out) {
  std::vector<Sample> part;
  for (const auto& [block, id] : s.blocks) {
    part.clear();
    RETURN_IF_ERROR(block->reader().series_samples(id, mint, maxt, &part));
    merge_newer(out, part);
  }
  for (const auto& h : s.heads) {
    part.clear();
    RETURN_IF_ERROR(h.samples(mint, maxt, &part));
    merge_newer(out, part);
  }
  return OkStatus();
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
