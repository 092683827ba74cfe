#include "query/insights/query_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>

namespace opsight::query::insights {

std::string_view status_name(QueryStatus status) {
  switch (status) {
    case QueryStatus::kScheduled:
      return "Scheduled";
    case QueryStatus::kRunning:
      return "Running";
    case QueryStatus::kComplete:
      return "Complete";
    case QueryStatus::kFailed:
      return "Failed";
    case QueryStatus::kCancelled:
      return "Cancelled";
    case QueryStatus::kTimeout:
      return "Timeout";
  }
  return "Unknown";
}

namespace {

bool finished(QueryStatus s) {
  return s != QueryStatus::kScheduled && s != QueryStatus::kRunning;
}

// Records between checks of the cancel flag, the deadline and the snapshot interval.
constexpr uint64_t kCheckEvery = 1024;

}  // namespace

struct LogQueryService::Impl {
  struct Entry {
    QueryState state;  // guarded by Impl::mu
    Query query;
    std::atomic<bool> cancel{false};
    int64_t finished_mono_ns = 0;  // guarded by Impl::mu
  };

  storage::LogStore* store;
  Clock* clock;
  QueryServiceOptions opts;
  std::mutex mu;
  std::condition_variable work_cv;      // a query was scheduled, or stopping
  std::condition_variable finished_cv;  // a query finished
  std::map<std::string, std::shared_ptr<Entry>> queries;
  std::deque<std::shared_ptr<Entry>> pending;
  size_t active = 0;  // scheduled + running
  bool stopping = false;
  std::mt19937_64 rng{std::random_device{}()};
  std::vector<std::thread> workers;

  Impl(storage::LogStore* s, Clock* c, QueryServiceOptions o) : store(s), clock(c), opts(o) {
    for (size_t i = 0; i < std::max<size_t>(1, opts.workers); i++) {
      workers.emplace_back([this] { work(); });
    }
  }

  ~Impl() {
    {
      std::lock_guard<std::mutex> lock(mu);
      stopping = true;
      for (auto& [id, e] : queries) e->cancel = true;
    }
    work_cv.notify_all();
    for (auto& t : workers) t.join();
  }

  std::string new_id() {
    // 32 hex digits, like CloudWatch's query ids.
    return fmt::format("{:016x}{:016x}", rng(), rng());
  }

  void forget_old_locked() {
    const int64_t now = clock->mono_ns();
    for (auto it = queries.begin(); it != queries.end();) {
      const Entry& e = *it->second;
      if (finished(e.state.status) && now - e.finished_mono_ns > opts.keep_ms * 1'000'000) {
        it = queries.erase(it);
      } else {
        ++it;
      }
    }
  }

  void finish(Entry& e, QueryStatus status, std::string error) {
    std::lock_guard<std::mutex> lock(mu);
    e.state.status = status;
    e.state.error = std::move(error);
    e.finished_mono_ns = clock->mono_ns();
    active--;
    finished_cv.notify_all();
  }

  void work() {
    while (true) {
      std::shared_ptr<Entry> e;
      {
        std::unique_lock<std::mutex> lock(mu);
        work_cv.wait(lock, [&] { return stopping || !pending.empty(); });
        if (stopping) {
          for (auto& p : pending) {
            p->state.status = QueryStatus::kCancelled;
            p->finished_mono_ns = clock->mono_ns();
            active--;
          }
          pending.clear();
          finished_cv.notify_all();
          return;
        }
        e = pending.front();
        pending.pop_front();
        if (e->cancel) {
          e->state.status = QueryStatus::kCancelled;
          e->finished_mono_ns = clock->mono_ns();
          active--;
          finished_cv.notify_all();
          continue;
        }
        e->state.status = QueryStatus::kRunning;
      }
      run(*e);
    }
  }

  // One tenant's scan in a (possibly cross-account) query: its scanner and its current record.
  struct Source {
    storage::Tenant tenant;
    std::vector<std::string> groups;
    std::unique_ptr<storage::LogScanner> scanner;
    storage::LogRecord rec;
    bool live = false;  // rec holds a record not yet given to the execution
    RecordOrigin origin;
  };

  // The request's groups by tenant, tenants in order of first appearance.
  static std::vector<Source> sources_of(const QueryRequest& req) {
    std::vector<Source> out;
    if (req.account_groups.empty()) {
      out.emplace_back();
      out.back().tenant = req.tenant;
      out.back().groups = req.groups;
      return out;
    }
    for (const auto& g : req.account_groups) {
      auto it = std::find_if(out.begin(), out.end(),
                             [&](const Source& s) { return s.tenant == g.tenant; });
      if (it == out.end()) {
        out.emplace_back();
        out.back().tenant = g.tenant;
        it = out.end() - 1;
      }
      if (std::find(it->groups.begin(), it->groups.end(), g.name) == it->groups.end()) {
        it->groups.push_back(g.name);
      }
    }
    return out;
  }

  void run(Entry& e) {
    const QueryRequest& req = e.state.request;
    const bool cross_account = !req.account_groups.empty();
    const int64_t deadline = clock->mono_ns() + opts.deadline_ms * 1'000'000;
    ScanHints hints = scan_hints(e.query);
    std::vector<Source> sources = sources_of(req);  // not resized below: origins point into it
    for (auto& src : sources) {
      storage::LogScan scan;
      scan.groups = src.groups;
      scan.start_ms = req.start_ms;
      scan.end_ms = req.end_ms == INT64_MAX ? INT64_MAX : req.end_ms + 1;
      scan.required_substrings = hints.required_substrings;
      scan.newest_first = hints.newest_first;
      scan.need_message = hints.needs_message;
      scan.need_fields = hints.needs_fields;
      scan.max_bytes_scanned = opts.max_bytes_scanned;
      auto scanner = store->scan(src.tenant, scan);
      if (!scanner.ok()) return finish(e, QueryStatus::kFailed, scanner.status().message());
      src.scanner = std::move(*scanner);
      src.origin = RecordOrigin{src.tenant.account, src.tenant.region};
    }
    ExecOptions eo;
    eo.max_rows = req.limit;
    Execution exec(e.query, eo);
    uint64_t n = 0;
    int64_t next_snapshot = clock->mono_ns() + opts.snapshot_interval_ms * 1'000'000;
    auto total_stats = [&] {
      storage::LogScanStats sum;
      for (const auto& src : sources) {
        auto st = src.scanner->stats();
        sum.records_scanned += st.records_scanned;
        sum.bytes_scanned += st.bytes_scanned;
      }
      return sum;
    };
    auto publish = [&](ResultTable results) {
      auto st = total_stats();
      std::lock_guard<std::mutex> lock(mu);
      e.state.statistics.records_scanned = st.records_scanned;
      e.state.statistics.bytes_scanned = st.bytes_scanned;
      e.state.statistics.records_matched = results.records_matched;
      e.state.results = std::move(results);
    };
    auto pull = [](Source& src) -> Status {
      ASSIGN_OR_RETURN(src.live, src.scanner->next(&src.rec));
      return OkStatus();
    };
    for (auto& src : sources) {
      if (Status st = pull(src); !st.ok()) {
        publish(exec.snapshot());
        return finish(e, QueryStatus::kFailed, st.message());
      }
    }
    while (true) {
      // The next record in scan order over all tenants: each scanner is ordered, so the merge
      // takes the newest (or oldest) of their current records. Only the chosen scanner
      // advances, so the other records' views stay valid.
      Source* next = nullptr;
      for (auto& src : sources) {
        if (!src.live) continue;
        if (next == nullptr ||
            (hints.newest_first ? src.rec.timestamp_ms > next->rec.timestamp_ms
                                : src.rec.timestamp_ms < next->rec.timestamp_ms)) {
          next = &src;
        }
      }
      if (next == nullptr) break;
      Status added = cross_account ? exec.add(next->rec, next->origin) : exec.add(next->rec);
      if (!added.ok()) {
        publish(exec.snapshot());
        return finish(e, QueryStatus::kFailed, added.message());
      }
      if (exec.done_early()) break;
      if (Status st = pull(*next); !st.ok()) {
        publish(exec.snapshot());
        return finish(e, QueryStatus::kFailed, st.message());
      }
      if (++n % kCheckEvery != 0) continue;
      if (e.cancel) {
        publish(exec.snapshot());
        return finish(e, QueryStatus::kCancelled, "");
      }
      if (sources.size() > 1 && opts.max_bytes_scanned != 0 &&
          total_stats().bytes_scanned > opts.max_bytes_scanned) {
        publish(exec.snapshot());
        return finish(e, QueryStatus::kFailed,
                      fmt::format("the query scanned more than {} bytes over all its accounts "
                                  "(max_bytes_scanned)",
                                  opts.max_bytes_scanned));
      }
      const int64_t now = clock->mono_ns();
      if (now > deadline) {
        publish(exec.snapshot());
        return finish(e, QueryStatus::kTimeout,
                      fmt::format("query ran longer than its deadline of {} ms "
                                  "(logs.query_deadline)",
                                  opts.deadline_ms));
      }
      if (now >= next_snapshot) {
        publish(exec.snapshot());
        next_snapshot = now + opts.snapshot_interval_ms * 1'000'000;
      }
    }
    publish(exec.finish());
    finish(e, QueryStatus::kComplete, "");
  }

  std::shared_ptr<Entry> find_locked(const storage::Tenant& tenant, const std::string& id) {
    auto it = queries.find(id);
    if (it == queries.end() || it->second->state.request.tenant != tenant) return nullptr;
    return it->second;
  }
};

LogQueryService::LogQueryService(storage::LogStore* store, Clock* clock,
                                 QueryServiceOptions options)
    : impl_(std::make_unique<Impl>(store, clock, options)) {}

LogQueryService::~LogQueryService() = default;

Result<std::string> LogQueryService::start(QueryRequest request) {
  if (request.groups.empty() && request.account_groups.empty()) {
    return Status::invalid_argument("a query needs at least one log group (logGroupNames)");
  }
  if (!request.groups.empty() && !request.account_groups.empty()) {
    return Status::invalid_argument(
        "a query names its log groups either by name or by account, not both");
  }
  if (request.end_ms < request.start_ms) {
    return Status::invalid_argument(
        fmt::format("endTime {} is before startTime {}", request.end_ms, request.start_ms));
  }
  if (request.limit == 0) request.limit = impl_->opts.default_rows;
  if (request.limit > impl_->opts.max_rows) {
    return Status::invalid_argument(fmt::format("limit {} is over the maximum of {} rows",
                                                request.limit, impl_->opts.max_rows));
  }
  ASSIGN_OR_RETURN(Query query, parse_query(request.query));
  // Unknown groups fail here, not later in the worker (CloudWatch: ResourceNotFoundException).
  for (const auto& src : Impl::sources_of(request)) {
    ASSIGN_OR_RETURN(auto groups, impl_->store->describe_groups(src.tenant, ""));
    for (const auto& g : src.groups) {
      bool found = std::any_of(groups.begin(), groups.end(),
                               [&](const storage::LogGroupInfo& i) { return i.name == g; });
      if (found) continue;
      if (src.tenant == request.tenant) {
        return Status::not_found(fmt::format("log group \"{}\" does not exist", g));
      }
      return Status::not_found(
          fmt::format("log group \"{}\" of account {} does not exist", g, src.tenant.account));
    }
  }
  auto e = std::make_shared<Impl::Entry>();
  e->query = std::move(query);
  e->state.request = std::move(request);
  e->state.create_time_ms = impl_->clock->now_ms();
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->forget_old_locked();
  if (impl_->stopping) return Status::unavailable("query service is shutting down");
  if (impl_->active >= impl_->opts.max_queries) {
    return Status::resource_exhausted(
        fmt::format("{} queries are already running or scheduled (limit logs.max_queries = {})",
                    impl_->active, impl_->opts.max_queries));
  }
  e->state.id = impl_->new_id();
  impl_->queries.emplace(e->state.id, e);
  impl_->pending.push_back(e);
  impl_->active++;
  impl_->work_cv.notify_one();
  return e->state.id;
}

Result<QueryState> LogQueryService::get(const storage::Tenant& tenant, const std::string& id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto e = impl_->find_locked(tenant, id);
  if (e == nullptr) return Status::not_found(fmt::format("query \"{}\" does not exist", id));
  return e->state;
}

Status LogQueryService::cancel(const storage::Tenant& tenant, const std::string& id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto e = impl_->find_locked(tenant, id);
  if (e == nullptr) return Status::not_found(fmt::format("query \"{}\" does not exist", id));
  if (finished(e->state.status)) {
    return Status::invalid_argument(
        fmt::format("query \"{}\" has already finished ({})", id, status_name(e->state.status)));
  }
  e->cancel = true;
  return OkStatus();
}

Result<QueryState> LogQueryService::wait(const storage::Tenant& tenant, const std::string& id,
                                         int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  auto e = impl_->find_locked(tenant, id);
  if (e == nullptr) return Status::not_found(fmt::format("query \"{}\" does not exist", id));
  impl_->finished_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                              [&] { return finished(e->state.status); });
  return e->state;
}

std::vector<QueryState> LogQueryService::list(const storage::Tenant& tenant) {
  std::vector<QueryState> out;
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (const auto& [id, e] : impl_->queries) {
    if (e->state.request.tenant == tenant) out.push_back(e->state);
  }
  std::sort(out.begin(), out.end(), [](const QueryState& a, const QueryState& b) {
    return a.create_time_ms > b.create_time_ms;
  });
  return out;
}

}  // namespace opsight::query::insights
