#include "collect/push_registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <unordered_map>

#include "common/env.h"
#include "common/hash.h"
#include "common/logging.h"
#include "storage/sample.h"

namespace opsight::collect {
namespace {

constexpr std::string_view kGroupHeader = "opsight_push_group";
constexpr std::string_view kFailureHeader = "opsight_push_failure";
constexpr std::string_view kPushTime = "push_time_seconds";
constexpr std::string_view kFailureTime = "push_failure_time_seconds";

using MetaMap = std::unordered_map<std::string_view, const storage::MetricMetadata*>;

// The family a sample belongs to in text 0.0.4: a histogram/summary named without the suffix,
// else its own name (the same rule as the parser).
std::string family_of(std::string_view name, const MetaMap& meta) {
  for (std::string_view suf : {"_bucket", "_count", "_sum"}) {
    if (!name.ends_with(suf)) continue;
    auto it = meta.find(name.substr(0, name.size() - suf.size()));
    if (it != meta.end() && (it->second->type == "histogram" || it->second->type == "summary")) {
      return std::string(it->first);
    }
  }
  return std::string(name);
}

Labels named(const Labels& base, std::string_view name) {
  LabelsBuilder b(base);
  b.set(kMetricName, name);
  return b.build();
}

ingest::SeriesSamples series(Labels ls, int64_t t, double v, std::string item) {
  ingest::SeriesSamples s;
  s.labels = std::move(ls);
  s.samples.push_back(storage::Sample::value(t, v));
  s.item = std::move(item);
  return s;
}

}  // namespace

Result<std::unique_ptr<PushRegistry>> PushRegistry::open(const PushOptions& options,
                                                         storage::MetricStore* store,
                                                         Clock* clock) {
  if (options.dir.empty()) return Status::invalid_argument("push: dir is empty");
  if (options.interval_ms <= 0) return Status::invalid_argument("push.interval must be positive");
  std::unique_ptr<PushRegistry> r(new PushRegistry(options, store, clock));
  RETURN_IF_ERROR(Env::posix()->create_dirs(options.dir));
  RETURN_IF_ERROR(r->load());
  return r;
}

PushRegistry::~PushRegistry() {
  stop();
}

Status PushRegistry::load() {
  Env* env = Env::posix();
  ASSIGN_OR_RETURN(auto names, env->get_children(opts_.dir));
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& name : names) {
    if (!name.ends_with(".prom")) continue;
    std::string path = join_path(opts_.dir, name);
    auto content = env->read_file(path);
    if (!content.ok()) return content.status();
    ingest::prometheus::TextParseResult r;
    ingest::prometheus::parse_text(*content, {}, &r);
    auto& ss = r.batch.series;
    if (!r.batch.errors.empty() || ss.size() < 2 || ss[0].labels.metric_name() != kGroupHeader ||
        ss[1].labels.metric_name() != kFailureHeader) {
      log::warn("push: ignoring {}: not a push group file{}", path,
                r.batch.errors.empty()
                    ? ""
                    : " (" + r.batch.errors[0].item + ": " + r.batch.errors[0].message + ")");
      continue;
    }
    Group g;
    LabelsBuilder gb(ss[0].labels);
    gb.del(kMetricName);
    g.grouping = gb.build();
    g.push_time_ms = static_cast<int64_t>(ss[0].samples[0].v);
    g.failure_time_ms = static_cast<int64_t>(ss[1].samples[0].v);
    MetaMap meta;
    for (const auto& m : r.batch.metadata) meta.emplace(m.metric, &m.meta);
    for (const auto& m : r.batch.metadata) {
      Family& f = g.families[m.metric];
      f.meta = m.meta;
      f.has_meta = true;
    }
    for (size_t i = 2; i < ss.size(); i++) {
      g.families[family_of(ss[i].labels.metric_name(), meta)].samples.emplace_back(
          ss[i].labels, ss[i].samples[0].v);
    }
    Labels key = g.grouping;
    groups_.emplace(std::move(key), std::move(g));
  }
  if (!groups_.empty()) log::info("push: {} groups loaded from {}", groups_.size(), opts_.dir);
  return OkStatus();
}

std::string PushRegistry::path_of(const Labels& grouping) const {
  return join_path(opts_.dir, fmt::format("{:016x}.prom", grouping.hash()));
}

Status PushRegistry::persist(const Group& g) {
  std::vector<ingest::SeriesSamples> out;
  std::vector<ingest::MetadataEntry> meta;
  out.push_back(
      series(named(g.grouping, kGroupHeader), 0, static_cast<double>(g.push_time_ms), ""));
  out.push_back(
      series(named(g.grouping, kFailureHeader), 0, static_cast<double>(g.failure_time_ms), ""));
  for (const auto& [name, f] : g.families) {
    if (f.has_meta) meta.push_back({name, f.meta});
    for (const auto& [ls, v] : f.samples) out.push_back(series(ls, 0, v, ""));
  }
  std::string text = ingest::prometheus::encode_text(out, meta, false);
  return Env::posix()->write_file_atomic(path_of(g.grouping), text);
}

void PushRegistry::add_group_samples(const Group& g, int64_t t, ingest::MetricBatch* b) const {
  for (const auto& [name, f] : g.families) {
    for (const auto& [ls, v] : f.samples) b->series.push_back(series(ls, t, v, name));
  }
  b->series.push_back(series(named(g.grouping, kPushTime), t,
                             static_cast<double>(g.push_time_ms) / 1000.0, std::string(kPushTime)));
  b->series.push_back(series(named(g.grouping, kFailureTime), t,
                             static_cast<double>(g.failure_time_ms) / 1000.0,
                             std::string(kFailureTime)));
}

Status PushRegistry::write(ingest::MetricBatch b) {
  // In chunks that respect the per-request series limit.
  size_t chunk = std::max<size_t>(1, opts_.limits.max_series_per_request);
  size_t i = 0;
  do {
    ingest::MetricBatch part;
    size_t end = std::min(b.series.size(), i + chunk);
    part.series.assign(std::make_move_iterator(b.series.begin() + static_cast<ptrdiff_t>(i)),
                       std::make_move_iterator(b.series.begin() + static_cast<ptrdiff_t>(end)));
    if (i == 0) part.metadata = std::move(b.metadata);
    auto out = ingest::write_batch(*store_, opts_.tenant, std::move(part), opts_.limits);
    if (!out.status.ok()) return out.status;
    i = end;
  } while (i < b.series.size());
  return OkStatus();
}

Status PushRegistry::push(PushMethod method, const Labels& grouping, std::string_view body,
                          ingest::prometheus::TextFormat format,
                          std::vector<ingest::ItemError>* errors) {
  if (grouping.get("job").empty()) return Status::invalid_argument("push: job name is required");
  int64_t now = clock_->now_ms();
  ingest::prometheus::TextParseResult r;
  ingest::prometheus::TextParseOptions o;
  o.format = format;
  o.default_t_ms = now;
  o.reject_timestamps = true;
  ingest::prometheus::parse_text(body, o, &r);
  *errors = std::move(r.batch.errors);

  MetaMap meta;
  for (const auto& m : r.batch.metadata) meta.emplace(m.metric, &m.meta);
  std::map<std::string, Family> pushed;
  for (const auto& m : r.batch.metadata) {
    Family& f = pushed[m.metric];
    f.meta = m.meta;
    f.has_meta = true;
  }
  const ingest::Limits& lim = opts_.limits;
  std::set<Labels> seen;
  for (auto& s : r.batch.series) {
    std::string_view name = s.labels.metric_name();
    if (name == kPushTime || name == kFailureTime) {
      errors->push_back({s.item, fmt::format("metric name {} is reserved: the registry reports "
                                             "it for each group",
                                             name)});
      continue;
    }
    LabelsBuilder b(s.labels);
    for (const auto& l : grouping) b.set(l.name, l.value);  // grouping labels win
    Labels ls = b.build();
    std::string err;
    if (ls.size() > lim.max_labels_per_series) {
      err = fmt::format("too many labels: {} > limit {} (limits.max_labels_per_series)", ls.size(),
                        lim.max_labels_per_series);
    }
    for (const auto& l : ls) {
      if (!err.empty()) break;
      if (l.name.size() > lim.max_label_name_length) {
        err = fmt::format("label name {} is longer than {} (limits.max_label_name_length)", l.name,
                          lim.max_label_name_length);
      } else if (l.value.size() > lim.max_label_value_length) {
        err = fmt::format("value of label {} is longer than {} (limits.max_label_value_length)",
                          l.name, lim.max_label_value_length);
      }
    }
    if (err.empty() && !seen.insert(ls).second) {
      err = "duplicate series " + ls.to_string() + " once the grouping labels are applied";
    }
    if (!err.empty()) {
      errors->push_back({s.item, std::move(err)});
      continue;
    }
    pushed[family_of(name, meta)].samples.emplace_back(std::move(ls), s.samples[0].v);
  }
  if (seen.size() > lim.max_series_per_request) {
    errors->push_back({"body", fmt::format("{} series > limit {} (limits.max_series_per_request)",
                                           seen.size(), lim.max_series_per_request)});
  }

  std::lock_guard<std::mutex> l(mu_);
  auto it = groups_.find(grouping);
  if (!errors->empty()) {
    if (it != groups_.end()) {
      it->second.failure_time_ms = now;
      ingest::MetricBatch b;
      b.series.push_back(series(named(grouping, kFailureTime), now,
                                static_cast<double>(now) / 1000.0, std::string(kFailureTime)));
      Status st = write(std::move(b));
      if (st.ok()) st = persist(it->second);
      if (!st.ok()) log::warn("push: cannot record the failed push: {}", st.to_string());
    }
    return Status::invalid_argument(
        fmt::format("push to {} rejected: {} bad line(s); nothing was changed",
                    grouping.to_string(), errors->size()));
  }
  if (it == groups_.end() && groups_.size() >= opts_.max_groups) {
    return Status::resource_exhausted(fmt::format(
        "push: {} groups already exist (push.max_groups); delete one first", groups_.size()));
  }
  Group g;
  std::set<Labels> before;
  if (it != groups_.end()) {
    g = it->second;
    for (const auto& [n, f] : g.families) {
      for (const auto& [ls, v] : f.samples) before.insert(ls);
    }
  } else {
    g.grouping = grouping;
  }
  if (method == PushMethod::kPut) {
    g.families = std::move(pushed);
  } else {
    for (auto& [n, f] : pushed) g.families[n] = std::move(f);
  }
  g.push_time_ms = now;
  ingest::MetricBatch b;
  add_group_samples(g, now, &b);
  for (const auto& [n, f] : g.families) {
    if (f.has_meta) b.metadata.push_back({n, f.meta});
    for (const auto& [ls, v] : f.samples) before.erase(ls);
  }
  for (const auto& ls : before) {
    b.series.push_back(series(ls, now, storage::stale_nan(), "staleness marker"));
  }
  RETURN_IF_ERROR(write(std::move(b)));
  RETURN_IF_ERROR(persist(g));
  groups_[grouping] = std::move(g);
  return OkStatus();
}

Status PushRegistry::remove(const Labels& grouping) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = groups_.find(grouping);
  if (it == groups_.end()) return OkStatus();
  int64_t now = clock_->now_ms();
  ingest::MetricBatch b;
  for (const auto& [n, f] : it->second.families) {
    for (const auto& [ls, v] : f.samples) {
      b.series.push_back(series(ls, now, storage::stale_nan(), "staleness marker"));
    }
  }
  for (std::string_view name : {kPushTime, kFailureTime}) {
    b.series.push_back(
        series(named(grouping, name), now, storage::stale_nan(), "staleness marker"));
  }
  RETURN_IF_ERROR(write(std::move(b)));
  Status st = Env::posix()->remove_file(path_of(grouping));
  if (!st.ok() && st.code() != Code::kNotFound) return st;
  groups_.erase(it);
  return OkStatus();
}

Status PushRegistry::write_all() {
  std::lock_guard<std::mutex> l(mu_);
  if (groups_.empty()) return OkStatus();
  int64_t now = clock_->now_ms();
  ingest::MetricBatch b;
  for (const auto& [k, g] : groups_) add_group_samples(g, now, &b);
  return write(std::move(b));
}

size_t PushRegistry::num_groups() const {
  std::lock_guard<std::mutex> l(mu_);
  return groups_.size();
}

std::vector<Labels> PushRegistry::series_of(const Labels& grouping) const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<Labels> out;
  auto it = groups_.find(grouping);
  if (it == groups_.end()) return out;
  for (const auto& [n, f] : it->second.families) {
    for (const auto& [ls, v] : f.samples) out.push_back(ls);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void PushRegistry::start() {
  std::lock_guard<std::mutex> l(mu_);
  if (writer_.joinable() || stopping_) return;
  writer_ = std::thread([this] { run(); });
}

void PushRegistry::stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

void PushRegistry::run() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stopping_) {
    cv_.wait_for(l, std::chrono::milliseconds(opts_.interval_ms), [this] { return stopping_; });
    if (stopping_) break;
    l.unlock();
    Status st = write_all();
    if (!st.ok()) log::warn("push: periodic write failed: {}", st.to_string());
    l.lock();
  }
}

}  // namespace opsight::collect
