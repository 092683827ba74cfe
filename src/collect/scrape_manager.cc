#include "collect/scrape_manager.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/hash.h"
#include "common/logging.h"
#include "common/self_metrics.h"

namespace opsight::collect {
namespace {

metrics::Counter* skipped_counter() {
  static metrics::Counter* c = metrics::Registry::global().counter(
      "opsight_scrape_skipped_total",
      "Scrapes skipped because the previous one of the target was still running or the scrape "
      "queue was full");
  return c;
}

metrics::Gauge* targets_gauge() {
  static metrics::Gauge* g =
      metrics::Registry::global().gauge("opsight_scrape_targets", "Active scrape targets");
  return g;
}

// The first time >= now at which a target with this hash is due: a fixed offset inside each
// interval, aligned on the wall clock.
int64_t first_due(uint64_t hash, int64_t interval, int64_t now) {
  int64_t offset = static_cast<int64_t>(hash % static_cast<uint64_t>(interval));
  int64_t base = now - (now % interval) + offset;
  return base < now ? base + interval : base;
}

std::string target_key(const std::string& job, const Target& t) {
  uint64_t h = t.labels.hash() ^ (xxhash64(t.url) * 31);
  return fmt::format("{}\xff{:016x}", job, h);
}

}  // namespace

ScrapeManager::ScrapeManager(ScrapeManagerOptions options, storage::MetricStore* store,
                             Clock* clock, std::unique_ptr<Fetcher> fetcher)
    : opts_(std::move(options)), store_(store), clock_(clock), fetcher_(std::move(fetcher)) {}

Result<std::unique_ptr<ScrapeManager>> ScrapeManager::create(const ScrapeSettings& settings,
                                                             const ScrapeManagerOptions& options,
                                                             storage::MetricStore* store,
                                                             Clock* clock,
                                                             std::unique_ptr<Fetcher> fetcher) {
  RETURN_IF_ERROR(validate_scrape_settings(settings));
  std::unique_ptr<ScrapeManager> m(new ScrapeManager(options, store, clock, std::move(fetcher)));
  for (size_t i = 0; i < settings.scrape_configs.size(); i++) {
    ScrapeConfig c = settings.scrape_configs[i];
    std::string where = fmt::format("scrape_configs[{}] (job {})", i, c.job_name);
    Job job;
    ASSIGN_OR_RETURN(job.relabel,
                     Relabeler::compile(c.relabel_configs, where + ".relabel_configs"));
    job.ctx = std::make_shared<JobContext>();
    ASSIGN_OR_RETURN(
        job.ctx->metric_relabel,
        Relabeler::compile(c.metric_relabel_configs, where + ".metric_relabel_configs"));
    // Interval and timeout resolved against global, so targets need no GlobalConfig.
    c.scrape_interval_ms = job_interval_ms(c, settings.global);
    c.scrape_timeout_ms = job_timeout_ms(c, settings.global);
    for (const auto& f : c.file_sd_configs) job.file_sds.push_back(std::make_unique<FileSd>(f));
    job.ctx->config = std::move(c);
    job.ctx->tenant = options.tenant;
    job.ctx->limits = options.limits;
    job.ctx->default_body_limit = options.limits.max_decoded_bytes;
    std::string name = job.ctx->config.job_name;
    m->jobs_.emplace(std::move(name), std::move(job));
  }
  return m;
}

ScrapeManager::~ScrapeManager() {
  stop();
}

void ScrapeManager::start() {
  std::lock_guard<std::mutex> l(mu_);
  if (started_ || stopping_ || jobs_.empty()) return;
  started_ = true;
  pool_ = std::make_unique<WorkQueue>(std::max<size_t>(1, opts_.workers), opts_.max_queued);
  scheduler_ = std::thread([this] { run(); });
}

void ScrapeManager::stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cancel_ = true;
  cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  if (pool_) pool_->shutdown();  // queued tasks see cancel_ and return at once
}

void ScrapeManager::sync_targets() {
  std::lock_guard<std::mutex> sync(sync_mu_);
  int64_t now = clock_->now_ms();
  GlobalConfig resolved;  // intervals are already resolved in each job's config
  for (auto& [name, job] : jobs_) {
    bool changed = !job.synced;
    for (auto& f : job.file_sds) changed = f->refresh(now) || changed;
    job.synced = true;
    if (!changed) continue;
    std::vector<TargetGroup> groups = static_groups(job.ctx->config);
    for (auto& f : job.file_sds) {
      auto g = f->groups();
      groups.insert(groups.end(), g.begin(), g.end());
      std::string err = f->last_error();
      if (!err.empty()) log::warn("scrape job {}: file_sd: {}", name, err);
    }
    std::vector<Target> built = build_targets(job.ctx->config, resolved, job.relabel, groups);
    std::map<std::string, Target> active;
    std::vector<DroppedTargetStatus> dropped;
    for (auto& t : built) {
      if (t.dropped) {
        dropped.push_back({name, t.discovered});
      } else if (!t.error.empty()) {
        log::warn("scrape job {}: target {} skipped: {}", name, t.discovered.to_string(), t.error);
      } else {
        std::string key = target_key(name, t);
        active.emplace(std::move(key), std::move(t));
      }
    }
    uint64_t limit = job.ctx->config.target_limit;
    job.ctx->target_limit_exceeded = limit > 0 && active.size() > limit;
    std::vector<std::shared_ptr<TargetScraper>> removed;
    {
      std::lock_guard<std::mutex> l(mu_);
      dropped_[name] = std::move(dropped);
      std::string prefix = name + "\xff";
      for (auto it = targets_.lower_bound(prefix);
           it != targets_.end() && it->first.starts_with(prefix);) {
        if (active.contains(it->first)) {
          active.erase(it->first);  // unchanged: keeps its state and schedule
          ++it;
        } else {
          removed.push_back(it->second.scraper);
          it = targets_.erase(it);
        }
      }
      for (auto& [key, t] : active) {
        Entry e;
        e.job = name;
        e.next_due_ms = first_due(xxhash64(key), t.interval_ms, now);
        e.scraper = std::make_shared<TargetScraper>(job.ctx, std::move(t));
        e.running = std::make_shared<std::atomic<bool>>(false);
        targets_.emplace(key, std::move(e));
      }
      targets_gauge()->set(static_cast<double>(targets_.size()));
    }
    for (auto& s : removed) s->write_stale_markers(*store_, clock_->now_ms());
  }
  cv_.notify_all();
}

void ScrapeManager::scrape_all_now() {
  std::vector<std::shared_ptr<TargetScraper>> all;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& [k, e] : targets_) all.push_back(e.scraper);
  }
  for (auto& s : all) s->scrape(*fetcher_, *store_, *clock_, &cancel_);
}

void ScrapeManager::submit_scrape(Entry& e) {
  if (e.running->load()) {
    skipped_counter()->inc();
    return;
  }
  e.running->store(true);
  auto scraper = e.scraper;
  auto running = e.running;
  bool ok = pool_->try_submit([this, scraper, running] {
    if (!cancel_.load()) scraper->scrape(*fetcher_, *store_, *clock_, &cancel_);
    running->store(false);
  });
  if (!ok) {
    running->store(false);
    skipped_counter()->inc();
  }
}

void ScrapeManager::run() {
  int64_t next_sd = 0;
  std::unique_lock<std::mutex> l(mu_);
  while (!stopping_) {
    int64_t now = clock_->now_ms();
    if (now >= next_sd) {
      l.unlock();
      sync_targets();
      l.lock();
      next_sd = clock_->now_ms() + opts_.file_sd_poll_ms;
      continue;
    }
    int64_t wake = next_sd;
    for (auto& [key, e] : targets_) {
      int64_t interval = e.scraper->target().interval_ms;
      if (e.next_due_ms <= now) {
        submit_scrape(e);
        e.next_due_ms += ((now - e.next_due_ms) / interval + 1) * interval;
      }
      wake = std::min(wake, e.next_due_ms);
    }
    cv_.wait_for(l, std::chrono::milliseconds(std::max<int64_t>(1, wake - now)));
  }
}

TargetsSnapshot ScrapeManager::targets() const {
  TargetsSnapshot out;
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [key, e] : targets_) {
    const Target& t = e.scraper->target();
    out.active.push_back({e.job, t.discovered, t.public_labels(), t.url, t.interval_ms,
                          t.timeout_ms, e.scraper->health()});
  }
  std::stable_sort(out.active.begin(), out.active.end(), [](const auto& a, const auto& b) {
    return std::tie(a.pool, a.url) < std::tie(b.pool, b.url);
  });
  for (const auto& [job, d] : dropped_) out.dropped.insert(out.dropped.end(), d.begin(), d.end());
  return out;
}

}  // namespace opsight::collect
