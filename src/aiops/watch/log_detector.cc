#include "aiops/watch/log_detector.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

namespace opsight::aiops::watch {
namespace {

constexpr std::string_view kVariable = "<*>";
constexpr size_t kMaxSummaryTemplate = 200;

std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) i++;
    size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) j++;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

size_t token_count(std::string_view s) {
  return split_ws(s).size();
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); i++) {
    if (std::toupper(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

double level_bonus(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return 0.25;
    case LogLevel::kWarn:
      return 0.1;
    default:
      return 0;
  }
}

std::string shorten(std::string_view text) {
  if (text.size() <= kMaxSummaryTemplate) return std::string(text);
  return std::string(text.substr(0, kMaxSummaryTemplate)) + "...";
}

}  // namespace

Status LogRules::validate() const {
  auto bad = [](std::string_view field, std::string_view rule) {
    return Status::invalid_argument(fmt::format("log watcher rule {}: {}", field, rule));
  };
  if (warmup_ms < 0) return bad("warmup_ms", "must not be negative");
  if (new_period_ms < 0) return bad("new_period_ms", "must not be negative");
  if (relearn_after_ms < 0) return bad("relearn_after_ms", "must not be negative");
  if (ewma_tau_ms <= 0) return bad("ewma_tau_ms", "must be positive");
  if (!(new_min_events >= 0)) return bad("new_min_events", "must not be negative");
  if (!(spike_min_events >= 0)) return bad("spike_min_events", "must not be negative");
  if (!(spike_factor > 1)) return bad("spike_factor", "must be above 1");
  if (recovery_passes < 1) return bad("recovery_passes", "must be at least 1");
  if (max_patterns == 0) return bad("max_patterns", "must be at least 1");
  return OkStatus();
}

LogLevel log_level(int32_t severity_number, std::string_view severity_text) {
  if (severity_number >= 17) return LogLevel::kError;  // ERROR, FATAL
  if (severity_number >= 13) return LogLevel::kWarn;
  if (severity_number >= 1) return LogLevel::kInfo;  // TRACE, DEBUG, INFO
  if (severity_text.empty()) return LogLevel::kUnknown;
  for (std::string_view p : {"ERR", "FATAL", "CRIT", "EMERG", "ALERT", "PANIC", "SEVERE"}) {
    if (starts_with_ci(severity_text, p)) return LogLevel::kError;
  }
  if (starts_with_ci(severity_text, "WARN")) return LogLevel::kWarn;
  if (severity_text.size() == 1) {
    const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(severity_text[0])));
    if (c == 'E' || c == 'F' || c == 'C') return LogLevel::kError;
    if (c == 'W') return LogLevel::kWarn;
  }
  return LogLevel::kInfo;
}

bool template_covers(std::string_view general, std::string_view specific) {
  if (general == specific) return true;
  std::vector<std::string_view> g = split_ws(general), s = split_ws(specific);
  if (g.size() != s.size() || g.empty()) return false;
  size_t words = 0, generalised = 0;
  for (size_t i = 0; i < g.size(); i++) {
    if (g[i] == s[i]) {
      if (g[i] != kVariable) words++;
    } else if (g[i] == kVariable) {
      generalised++;
    } else {
      return false;
    }
  }
  return words > 0 && generalised <= std::max<size_t>(1, g.size() / 2);
}

Signal log_signal(const storage::Tenant& tenant, std::string_view group, std::string_view service,
                  const LogFinding& f, int64_t now_ms) {
  Signal s;
  s.tenant = tenant;
  s.kind = SignalKind::kLogAnomaly;
  s.source = fmt::format("{}#{:016x}", group, f.pattern_id);
  s.service = std::string(service);
  s.dimensions["log_group"] = std::string(group);
  s.time_ms = now_ms;
  s.severity = f.severity;
  const std::string tmpl = shorten(f.template_text);
  const double count = std::round(f.count);
  switch (f.kind) {
    case LogFinding::Kind::kNewPattern:
      s.state = "ALARM";
      s.summary = fmt::format("new log pattern in {}: \"{}\" ({} event{})", group, tmpl, count,
                              count == 1 ? "" : "s");
      break;
    case LogFinding::Kind::kSpike:
      s.state = "ALARM";
      if (f.baseline_per_min < 0.01) {
        s.summary = fmt::format("log pattern spike in {}: \"{}\" ({} events, usually none)", group,
                                tmpl, count);
      } else {
        s.summary =
            fmt::format("log pattern spike in {}: \"{}\" ({} events, x{:.1f} its usual rate)",
                        group, tmpl, count, f.rate_per_min / f.baseline_per_min);
      }
      break;
    case LogFinding::Kind::kRecovered:
      s.state = "OK";
      s.summary = fmt::format("log pattern back to normal in {}: \"{}\"", group, tmpl);
      break;
  }
  return s;
}

size_t LogGroupModel::num_alarming() const {
  size_t n = 0;
  for (const auto& [id, st] : patterns_) n += st.alarming ? 1 : 0;
  return n;
}

double LogGroupModel::ewma_of(uint64_t id) const {
  auto it = patterns_.find(id);
  return it == patterns_.end() ? -1 : it->second.ewma;
}

uint64_t LogGroupModel::resolve(const PatternObservation& p, int64_t now_ms, bool warm,
                                bool* created) {
  *created = false;
  if (patterns_.count(p.id)) return p.id;
  const size_t n = token_count(p.template_text);
  // A known template that covers it: the most used one (ties: the smaller id).
  uint64_t best = 0;
  double best_total = -1;
  std::vector<uint64_t> covered;
  for (const auto& [id, st] : patterns_) {
    if (token_count(st.template_text) != n) continue;
    if (template_covers(st.template_text, p.template_text)) {
      if (st.total > best_total || (st.total == best_total && id < best)) {
        best = id;
        best_total = st.total;
      }
    } else if (template_covers(p.template_text, st.template_text)) {
      covered.push_back(id);
    }
  }
  if (best_total >= 0) return best;
  PatternState st;
  st.template_text = p.template_text;
  st.first_seen_ms = now_ms;
  if (covered.empty()) {
    *created = true;
    st.new_eligible = warm;
  } else {
    // A generalisation of known templates: known, with their history.
    for (uint64_t id : covered) {
      const PatternState& c = patterns_[id];
      st.ewma += c.ewma;
      st.first_seen_ms = std::min(st.first_seen_ms, c.first_seen_ms);
    }
  }
  patterns_.emplace(p.id, std::move(st));
  return p.id;
}

void LogGroupModel::evict(size_t limit) {
  if (patterns_.size() <= limit) return;
  std::vector<std::pair<int64_t, uint64_t>> idle;  // (last seen, id) of patterns not in ALARM
  for (const auto& [id, st] : patterns_) {
    if (!st.alarming) idle.emplace_back(st.last_seen_ms, id);
  }
  const size_t excess = std::min(patterns_.size() - limit, idle.size());
  std::partial_sort(idle.begin(), idle.begin() + static_cast<std::ptrdiff_t>(excess), idle.end());
  for (size_t i = 0; i < excess; i++) patterns_.erase(idle[i].second);
}

LogGroupModel::PassCounts LogGroupModel::observe(
    std::span<const PatternObservation> patterns, int64_t now_ms, int64_t elapsed_ms,
    const std::function<bool(const LogFinding&)>& emit) {
  PassCounts counts;
  elapsed_ms = std::max<int64_t>(elapsed_ms, 1);
  if (known_since_ms_ == 0) known_since_ms_ = now_ms - elapsed_ms;
  const bool is_warm = warm(now_ms);
  const double minutes = static_cast<double>(elapsed_ms) / 60'000.0;
  const double alpha =
      1 - std::exp(-static_cast<double>(elapsed_ms) / static_cast<double>(rules_.ewma_tau_ms));

  struct Agg {
    double count = 0;
    LogLevel level = LogLevel::kUnknown;
    std::string sample;
    bool fresh = false;  // never seen before this pass
  };
  std::unordered_map<uint64_t, Agg> agg;
  for (const PatternObservation& p : patterns) {
    bool created = false;
    const uint64_t id = resolve(p, now_ms, is_warm, &created);
    Agg& a = agg[id];
    a.count += p.count;
    a.level = std::max(a.level, p.level);
    if (a.sample.empty()) a.sample = p.sample;
    a.fresh = a.fresh || created;
  }

  std::vector<uint64_t> ids;
  ids.reserve(patterns_.size());
  for (const auto& [id, st] : patterns_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  std::vector<LogFinding> candidates;
  for (uint64_t id : ids) {
    PatternState& st = patterns_[id];
    auto a = agg.find(id);
    const double count = a == agg.end() ? 0 : a->second.count;
    const double rate = count / minutes;
    const double before = st.ewma;
    const bool fresh = a != agg.end() && a->second.fresh;
    st.ewma = fresh ? rate : st.ewma + alpha * (rate - st.ewma);
    st.total += count;
    if (count > 0) st.last_seen_ms = now_ms;
    if (!is_warm) continue;

    LogFinding f;
    f.pattern_id = id;
    f.template_text = st.template_text;
    f.rate_per_min = rate;
    if (a != agg.end()) {
      f.level = a->second.level;
      f.sample = a->second.sample;
    }
    if (st.alarming) {
      const bool within =
          st.alarm_kind == LogFinding::Kind::kNewPattern
              ? count == 0
              : (count < rules_.spike_min_events || rate < rules_.spike_factor * st.alarm_baseline);
      st.ok_passes = within ? st.ok_passes + 1 : 0;
      if (st.ok_passes < rules_.recovery_passes &&
          now_ms - st.alarm_since_ms < rules_.relearn_after_ms) {
        continue;
      }
      f.kind = LogFinding::Kind::kRecovered;
      f.alarm_kind = st.alarm_kind;
      f.count = count;
      f.baseline_per_min = st.alarm_baseline;
      if (emit(f)) {
        st.alarming = false;
        st.ok_passes = 0;
        counts.recoveries++;
      } else {
        counts.rejected++;
      }
      continue;
    }
    if (st.new_eligible && now_ms - st.first_seen_ms > rules_.new_period_ms) {
      st.new_eligible = false;
    }
    if (st.new_eligible && st.total >= rules_.new_min_events) {
      f.kind = LogFinding::Kind::kNewPattern;
      f.count = st.total;
      f.baseline_per_min = 0;
      f.severity = std::clamp(
          0.45 + level_bonus(f.level) + std::min(0.2, 0.05 * std::log10(std::max(1.0, f.count))),
          0.0, 1.0);
      candidates.push_back(std::move(f));
    } else if (!fresh && count >= rules_.spike_min_events && rate >= rules_.spike_factor * before) {
      f.kind = LogFinding::Kind::kSpike;
      f.count = count;
      f.baseline_per_min = before;
      const double factor = before > 0 ? rate / before : 1e6;
      f.severity = std::clamp(
          0.4 + level_bonus(f.level) + std::min(0.2, 0.1 * std::log2(factor / rules_.spike_factor)),
          0.0, 1.0);
      candidates.push_back(std::move(f));
    }
  }

  // The strongest first (most events), so the per-pass cap keeps what matters.
  std::sort(candidates.begin(), candidates.end(), [](const LogFinding& x, const LogFinding& y) {
    return x.count != y.count ? x.count > y.count : x.pattern_id < y.pattern_id;
  });
  for (size_t i = 0; i < candidates.size(); i++) {
    const LogFinding& f = candidates[i];
    if (i >= rules_.max_alarms_per_pass) {
      counts.deferred++;
      continue;
    }
    if (!emit(f)) {
      counts.rejected++;
      continue;
    }
    PatternState& st = patterns_[f.pattern_id];
    st.alarming = true;
    st.alarm_kind = f.kind;
    st.alarm_since_ms = now_ms;
    st.alarm_baseline = f.baseline_per_min;
    st.ok_passes = 0;
    st.new_eligible = false;
    (f.kind == LogFinding::Kind::kNewPattern ? counts.new_patterns : counts.spikes)++;
  }
  evict(rules_.max_patterns);
  return counts;
}

}  // namespace opsight::aiops::watch
