#include "aiops/watch/log_watcher.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>
#include <unordered_map>

#include "query/patterns/pattern_miner.h"

namespace opsight::aiops::watch {
namespace {

constexpr std::string_view kOtelPrefix = "/otel/";
constexpr size_t kMaxServiceValues = 64;  // distinct service names counted per pass

// A level word of a template ("ERROR", "[WARN]", "level=error"), when its lines carry none.
LogLevel level_of_template(std::string_view text) {
  LogLevel best = LogLevel::kUnknown;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !std::isalpha(static_cast<unsigned char>(text[i]))) i++;
    size_t j = i;
    while (j < text.size() && std::isalpha(static_cast<unsigned char>(text[j]))) j++;
    if (j > i) {
      std::string word(text.substr(i, j - i));
      for (char& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (word == "ERROR" || word == "ERR" || word == "FATAL" || word == "CRITICAL" ||
          word == "SEVERE" || word == "PANIC") {
        return LogLevel::kError;
      }
      if (word == "WARN" || word == "WARNING") best = LogLevel::kWarn;
    }
    i = j;
  }
  return best;
}

}  // namespace

std::string service_of_group(std::string_view group) {
  if (group.substr(0, kOtelPrefix.size()) != kOtelPrefix) return "";
  std::string_view rest = group.substr(kOtelPrefix.size());
  if (rest.empty() || rest == "unknown_service") return "";
  return std::string(rest);
}

std::vector<PatternObservation> mine_batch(const GroupBatch& batch) {
  std::vector<PatternObservation> out;
  if (batch.lines.empty()) return out;
  std::vector<std::string_view> views(batch.lines.begin(), batch.lines.end());
  query::patterns::MinerOptions mo;
  mo.max_samples = 1;
  query::patterns::MiningResult r = query::patterns::mine(views, mo);
  const double scale = static_cast<double>(std::max<uint64_t>(batch.total, batch.lines.size())) /
                       static_cast<double>(batch.lines.size());
  std::vector<LogLevel> levels(r.patterns.size(), LogLevel::kUnknown);
  for (size_t i = 0; i < r.line_pattern.size() && i < batch.levels.size(); i++) {
    LogLevel& l = levels[r.line_pattern[i]];
    l = std::max(l, batch.levels[i]);
  }
  out.reserve(r.patterns.size());
  for (size_t k = 0; k < r.patterns.size(); k++) {
    auto& p = r.patterns[k];
    PatternObservation o;
    o.id = p.id;
    o.template_text = std::move(p.template_text);
    o.count = static_cast<double>(p.count) * scale;
    o.level = levels[k] != LogLevel::kUnknown ? levels[k] : level_of_template(o.template_text);
    if (!p.samples.empty()) o.sample = std::move(p.samples[0]);
    out.push_back(std::move(o));
  }
  return out;
}

LogWatcher::LogWatcher(storage::LogStore* store, SignalSink sink, LogWatcherOptions options)
    : store_(store), sink_(std::move(sink)), opts_(std::move(options)) {}

LogWatcher::~LogWatcher() = default;

Result<GroupBatch> LogWatcher::read_batch(storage::LogStore* store, const storage::Tenant& tenant,
                                          const std::string& group, int64_t from_ms, int64_t to_ms,
                                          const LogWatcherOptions& options) {
  GroupBatch batch;
  storage::LogScan scan;
  scan.groups = {group};
  scan.start_ms = from_ms - options.late_event_ms;
  scan.end_ms = to_ms + options.future_event_ms;
  scan.need_message = true;
  const bool want_service = service_of_group(group).empty();
  scan.need_fields = want_service;
  ASSIGN_OR_RETURN(auto scanner, store->scan(tenant, scan));

  const size_t max_keep = std::max<size_t>(options.max_events_per_group, 1);
  uint64_t stride = 1;
  std::unordered_map<std::string, uint64_t> services;
  storage::LogRecord rec;
  while (true) {
    ASSIGN_OR_RETURN(bool more, scanner->next(&rec));
    if (!more) break;
    if (rec.ingestion_time_ms < from_ms || rec.ingestion_time_ms >= to_ms) continue;
    const uint64_t index = batch.total++;
    if (want_service) {
      for (const auto& f : rec.fields) {
        if (f.name != "service.name" && f.name != "service") continue;
        if (f.value.empty()) continue;
        auto it = services.find(std::string(f.value));
        if (it != services.end()) {
          it->second += f.name == "service.name" ? 2 : 1;  // the OTel attribute wins ties
        } else if (services.size() < kMaxServiceValues) {
          services.emplace(std::string(f.value), f.name == "service.name" ? 2 : 1);
        }
        break;
      }
    }
    if (index % stride != 0) continue;
    batch.lines.emplace_back(rec.message.substr(0, options.max_line_bytes));
    batch.levels.push_back(log_level(rec.severity_number, rec.severity_text));
    if (batch.lines.size() >= 2 * max_keep) {
      // Keep every other line: the kept ones are again every (2 x stride)-th event.
      size_t w = 0;
      for (size_t r = 0; r < batch.lines.size(); r += 2, w++) {
        if (w == r) continue;  // no self-move
        batch.lines[w] = std::move(batch.lines[r]);
        batch.levels[w] = batch.levels[r];
      }
      batch.lines.resize(w);
      batch.levels.resize(w);
      stride *= 2;
    }
  }
  if (batch.lines.size() > max_keep) {
    // Evenly spread: line floor(k * n / max_keep) for k < max_keep.
    const size_t n = batch.lines.size();
    for (size_t k = 0; k < max_keep; k++) {
      const size_t from = k * n / max_keep;
      if (from != k) {
        batch.lines[k] = std::move(batch.lines[from]);
        batch.levels[k] = batch.levels[from];
      }
    }
    batch.lines.resize(max_keep);
    batch.levels.resize(max_keep);
  }
  uint64_t best = 0;
  for (const auto& [name, n] : services) {
    if (n > best || (n == best && name < batch.service)) {
      best = n;
      batch.service = name;
    }
  }
  return batch;
}

Status LogWatcher::run_once(int64_t now_ms) {
  Status first_error;
  LogWatcherStats d;  // this pass's increments
  auto fail = [&](Status st) {
    d.scan_errors++;
    d.last_error = st.to_string();
    if (first_error.ok()) first_error = std::move(st);
  };
  const int64_t to_ms = now_ms - opts_.settle_ms;
  std::set<storage::Tenant> tenants_seen;
  for (const storage::Tenant& tenant : opts_.tenants()) {
    tenants_seen.insert(tenant);
    auto groups = store_->describe_groups(tenant, "");
    if (!groups.ok()) {
      fail(groups.status().with_prefix(
          fmt::format("log watcher, tenant {}/{}", tenant.account, tenant.region)));
      continue;
    }
    std::vector<std::string> names;
    for (const auto& g : *groups) names.push_back(g.name);
    std::sort(names.begin(), names.end());
    // Forget the groups of this tenant that are gone.
    for (auto it = groups_.lower_bound(GroupKey{tenant, ""});
         it != groups_.end() && it->first.first == tenant;) {
      it = std::binary_search(names.begin(), names.end(), it->first.second) ? std::next(it)
                                                                            : groups_.erase(it);
    }
    for (size_t i = 0; i < names.size(); i++) {
      const std::string& name = names[i];
      if (i >= opts_.max_groups) {
        d.groups_skipped++;
        continue;
      }
      GroupState& gs = groups_[GroupKey{tenant, name}];
      if (gs.model == nullptr) {
        gs.model = std::make_unique<LogGroupModel>(opts_.rules);
        gs.read_upto_ms = to_ms - opts_.first_pass_ms;
        gs.service = service_of_group(name);
      }
      if (to_ms <= gs.read_upto_ms) continue;
      auto batch = read_batch(store_, tenant, name, gs.read_upto_ms, to_ms, opts_);
      if (!batch.ok()) {
        fail(batch.status().with_prefix(fmt::format("log watcher, group {}", name)));
        continue;
      }
      d.groups_scanned++;
      d.events_read += batch->total;
      d.events_mined += batch->lines.size();
      if (!batch->service.empty() && service_of_group(name).empty()) gs.service = batch->service;
      std::vector<PatternObservation> patterns = mine_batch(*batch);
      auto emit = [&](const LogFinding& f) {
        return sink_(log_signal(tenant, name, gs.service, f, now_ms));
      };
      LogGroupModel::PassCounts c =
          gs.model->observe(patterns, to_ms, to_ms - gs.read_upto_ms, emit);
      gs.read_upto_ms = to_ms;
      d.new_patterns += c.new_patterns;
      d.spikes += c.spikes;
      d.recoveries += c.recoveries;
      d.deferred += c.deferred;
      d.sink_rejected += c.rejected;
    }
  }
  for (auto it = groups_.begin(); it != groups_.end();) {
    it = tenants_seen.count(it->first.first) ? std::next(it) : groups_.erase(it);
  }
  size_t patterns_tracked = 0;
  for (const auto& [key, gs] : groups_) patterns_tracked += gs.model->num_patterns();

  std::lock_guard<std::mutex> lock(stats_mu_);
  stats_.passes++;
  stats_.groups_scanned += d.groups_scanned;
  stats_.groups_skipped += d.groups_skipped;
  stats_.events_read += d.events_read;
  stats_.events_mined += d.events_mined;
  stats_.new_patterns += d.new_patterns;
  stats_.spikes += d.spikes;
  stats_.recoveries += d.recoveries;
  stats_.deferred += d.deferred;
  stats_.sink_rejected += d.sink_rejected;
  stats_.scan_errors += d.scan_errors;
  stats_.groups_tracked = groups_.size();
  stats_.patterns_tracked = patterns_tracked;
  if (!d.last_error.empty()) stats_.last_error = std::move(d.last_error);
  return first_error;
}

LogWatcherStats LogWatcher::stats() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  return stats_;
}

}  // namespace opsight::aiops::watch
