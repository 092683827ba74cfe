#include "rules/manager.h"

#include <chrono>
#include <map>

#include "common/logging.h"

namespace opsight::rules {

Manager::Manager(ManagerOptions options) : opts_(std::move(options)), engine_(opts_.engine) {}

Manager::~Manager() {
  stop();
}

Status Manager::reload() {
  std::lock_guard<std::mutex> rl(reload_mu_);
  ASSIGN_OR_RETURN(std::vector<GroupSpec> specs, load_rule_files(opts_.rule_files, opts_.base_dir));
  GroupOptions go;
  go.store = opts_.store;
  go.tenant = opts_.tenant;
  go.engine = &engine_;
  go.clock = opts_.clock;
  go.default_interval_ms = opts_.default_interval_ms;
  go.external_labels = opts_.external_labels;
  go.external_url = opts_.external_url;
  go.resend_delay_ms = opts_.resend_delay_ms;
  if (opts_.notifier) {
    Notifier* n = opts_.notifier;
    go.notify = [n](std::vector<NotifyAlert> alerts) { n->send(std::move(alerts)); };
  }
  std::vector<std::shared_ptr<Group>> fresh;
  size_t rules = 0;
  for (auto& s : specs) {
    rules += s.rules.size();
    fresh.push_back(std::make_shared<Group>(std::move(s), go));
  }

  // Stop the old runners first so that no evaluation races the state hand-over.
  std::vector<Runner> old;
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
    old = std::move(runners_);
    runners_.clear();
  }
  cv_.notify_all();
  stop_runners(&old);

  std::map<std::pair<std::string, std::string>, std::shared_ptr<Group>> by_key;
  for (auto& r : old) by_key[{r.group->file(), r.group->name()}] = r.group;
  for (auto& g : fresh) {
    auto it = by_key.find({g->file(), g->name()});
    if (it == by_key.end()) continue;
    g->copy_state_from(*it->second);
    by_key.erase(it);
  }
  int64_t now = opts_.clock->now_ms();
  for (auto& [key, g] : by_key) g->mark_stale(now);

  std::lock_guard<std::mutex> l(mu_);
  stopping_ = false;
  for (auto& g : fresh) {
    Runner r;
    r.group = g;
    if (opts_.run_threads) r.thread = std::thread([this, g] { run(g); });
    runners_.push_back(std::move(r));
  }
  log::info("rules: loaded {} group(s) with {} rule(s) from {} pattern(s)", fresh.size(), rules,
            opts_.rule_files.size());
  return OkStatus();
}

void Manager::stop_runners(std::vector<Runner>* runners) {
  for (auto& r : *runners) {
    if (r.thread.joinable()) r.thread.join();
  }
}

void Manager::stop() {
  std::lock_guard<std::mutex> rl(reload_mu_);
  std::vector<Runner> old;
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
    old = std::move(runners_);
    runners_.clear();
  }
  cv_.notify_all();
  stop_runners(&old);
}

void Manager::run(std::shared_ptr<Group> g) {
  const int64_t interval = g->interval_ms();
  int64_t next = g->eval_timestamp(opts_.clock->now_ms()) + interval;
  while (true) {
    {
      std::unique_lock<std::mutex> l(mu_);
      while (!stopping_) {
        int64_t wait = next - opts_.clock->now_ms();
        if (wait <= 0) break;
        cv_.wait_for(l, std::chrono::milliseconds(wait));
      }
      if (stopping_) return;
    }
    g->eval(next);
    // Skip the slots that passed while evaluating (Prometheus counts them as missed).
    int64_t missed = std::max<int64_t>(opts_.clock->now_ms() - next, 0) / interval;
    if (missed > 0) g->add_missed(missed);
    next += (missed + 1) * interval;
  }
}

void Manager::evaluate_all(int64_t now_ms) {
  std::vector<std::shared_ptr<Group>> gs;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& r : runners_) gs.push_back(r.group);
  }
  for (auto& g : gs) g->eval(g->eval_timestamp(now_ms));
}

std::vector<GroupStatus> Manager::groups() const {
  std::vector<std::shared_ptr<Group>> gs;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& r : runners_) gs.push_back(r.group);
  }
  std::vector<GroupStatus> out;
  out.reserve(gs.size());
  for (auto& g : gs) out.push_back(g->status());
  return out;
}

}  // namespace opsight::rules
