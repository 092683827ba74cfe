#include "aiops/investigate/log_analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>

#include "common/hash.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "net/http_client.h"
#include "query/patterns/pattern_miner.h"

namespace opsight::aiops {
namespace {

constexpr std::string_view kOtelGroupPrefix = "/otel/";
constexpr std::string_view kServiceFields[] = {"service.name", "service_name", "service"};
constexpr std::string_view kSevereWords[] = {"error",   "exception", "fail",
                                             "timeout", "timed out", "refused"};
constexpr std::string_view kSevereTexts[] = {"WARN",   "ERR",   "FATAL", "CRIT",
                                             "SEVERE", "ALERT", "EMERG"};
constexpr size_t kMinPatternCount = 3;
constexpr double kMinRatio = 3;
constexpr double kMaxPValue = 0.001;
constexpr int64_t kMinBaselineMs = 60'000;
constexpr size_t kMaxPatternsPerFinding = 3;
constexpr size_t kMaxSamples = 3;

struct Line {
  int64_t ts = 0;
  std::string message;
  bool severe = false;
};

// What was read of one period of one group.
struct PeriodSample {
  std::vector<Line> lines;  // oldest first
  uint64_t scanned = 0;
  int64_t covered_ms = 0;
};

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); i++) {
    if (std::toupper(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

bool severe_record(const storage::LogRecord& r) {
  if (r.severity_number >= 13) return true;
  for (std::string_view t : kSevereTexts) {
    if (starts_with_ci(r.severity_text, t)) return true;
  }
  return false;
}

bool severe_words(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view w : kSevereWords) {
    if (lower.find(w) != std::string::npos) return true;
  }
  return false;
}

Line line_of(const storage::LogRecord& r) {
  Line l;
  l.ts = r.timestamp_ms;
  l.message = std::string(r.message.substr(0, kMaxLogLineBytes));
  l.severe = severe_record(r);
  return l;
}

// P(X >= k) for X ~ Poisson(lambda), summed from k upwards in log space.
double poisson_tail(uint64_t k, double lambda) {
  if (k == 0) return 1;
  if (lambda <= 0) return 0;
  if (static_cast<double>(k) <= lambda) return 1;  // not a rise; the caller only asks for rises
  double log_term =
      -lambda + static_cast<double>(k) * std::log(lambda) - std::lgamma(static_cast<double>(k) + 1);
  double sum = 0;
  for (uint64_t i = k; i < k + 10'000; i++) {
    double term = std::exp(log_term);
    sum += term;
    if (term < sum * 1e-12) break;
    log_term += std::log(lambda) - std::log(static_cast<double>(i + 1));
  }
  return std::min(1.0, sum);
}

std::string clock_time(int64_t ms) {
  std::string s = format_rfc3339_ms(ms);  // 2024-01-02T03:04:05.123Z
  return s.size() >= 19 ? s.substr(11, 8) : s;
}

std::string short_template(std::string_view t) {
  constexpr size_t kMax = 80;
  if (t.size() <= kMax) return std::string(t);
  return std::string(t.substr(0, kMax - 3)) + "...";
}

// The scan budget shared by all groups of one call; `cut` when a bound left events of W (or a
// group) unread. Keeping only the newest events of B is by design and is not a cut.
struct Budget {
  uint64_t left = kMaxLogEventsScanned;
  bool cut = false;
};

// Scans B newest first, keeping the newest kLogSampleEvents events.
Result<PeriodSample> sample_baseline(storage::LogStore& logs, const AnalysisWindow& w,
                                     const std::string& group, Budget* budget) {
  storage::LogScan scan;
  scan.groups = {group};
  scan.start_ms = w.baseline_start_ms;
  scan.end_ms = w.start_ms;
  scan.newest_first = true;
  scan.need_fields = false;
  ASSIGN_OR_RETURN(auto scanner, logs.scan(w.tenant, scan));
  PeriodSample out;
  storage::LogRecord rec;
  bool full = true;
  while (true) {
    if (out.lines.size() == kLogSampleEvents || budget->left == 0) {
      if (budget->left == 0) budget->cut = true;
      full = false;
      break;
    }
    ASSIGN_OR_RETURN(bool more, scanner->next(&rec));
    if (!more) break;
    budget->left--;
    out.scanned++;
    out.lines.push_back(line_of(rec));
  }
  std::reverse(out.lines.begin(), out.lines.end());
  out.covered_ms = full || out.lines.empty() ? w.start_ms - w.baseline_start_ms
                                             : w.start_ms - out.lines.front().ts;
  return out;
}

// Scans W oldest first; keeps a reservoir sample. *service gets the most frequent service field
// when `want_service`.
Result<PeriodSample> sample_window(storage::LogStore& logs, const AnalysisWindow& w,
                                   const std::string& group, bool want_service, Budget* budget,
                                   std::string* service) {
  storage::LogScan scan;
  scan.groups = {group};
  scan.start_ms = w.start_ms;
  scan.end_ms = w.end_ms;
  scan.need_fields = want_service;
  ASSIGN_OR_RETURN(auto scanner, logs.scan(w.tenant, scan));
  PeriodSample out;
  std::mt19937_64 rng(xxhash64(group));
  std::map<std::string, uint64_t, std::less<>> services;
  storage::LogRecord rec;
  int64_t last_ts = w.start_ms;
  bool full = true;
  while (true) {
    if (out.scanned == kMaxLogWindowScan || budget->left == 0) {
      budget->cut = true;  // the tail of W was not read
      full = false;
      break;
    }
    ASSIGN_OR_RETURN(bool more, scanner->next(&rec));
    if (!more) break;
    budget->left--;
    out.scanned++;
    last_ts = rec.timestamp_ms;
    if (want_service) {
      for (const auto& f : rec.fields) {
        if (std::find(std::begin(kServiceFields), std::end(kServiceFields), f.name) !=
                std::end(kServiceFields) &&
            !f.value.empty()) {
          auto it = services.find(f.value);
          if (it == services.end()) it = services.emplace(std::string(f.value), 0).first;
          it->second++;
          break;
        }
      }
    }
    if (out.lines.size() < kLogSampleEvents) {
      out.lines.push_back(line_of(rec));
    } else {
      uint64_t j = rng() % out.scanned;
      if (j < kLogSampleEvents) out.lines[j] = line_of(rec);
    }
  }
  std::stable_sort(out.lines.begin(), out.lines.end(),
                   [](const Line& a, const Line& b) { return a.ts < b.ts; });
  out.covered_ms = full ? w.end_ms - w.start_ms : std::max<int64_t>(1, last_ts - w.start_ms + 1);
  uint64_t best = 0;
  for (const auto& [name, n] : services) {
    if (n > best) {
      best = n;
      *service = name;
    }
  }
  return out;
}

struct PatternStat {
  size_t index = 0;  // into MiningResult::patterns
  uint64_t count_b = 0, count_w = 0, severe_w = 0;
  int64_t first_w = 0;
  std::vector<std::string> samples;
  double window_count = 0, ratio = 0, strength = 0;
  bool is_new = false;
  bool severe = false;
};

Evidence pattern_evidence(const PatternStat& p, const query::patterns::Pattern& pat,
                          const std::string& group, const std::string& service,
                          const AnalysisWindow& w) {
  json::Writer j;
  j.begin_object()
      .kv("log_group", group)
      .kv("pattern", pat.template_text)
      .kv("pattern_id", fmt::format("{:016x}", pat.id))
      .kv("baseline_count", p.count_b)
      .kv("window_count", static_cast<uint64_t>(std::llround(p.window_count)))
      .kv("new", p.is_new)
      .kv("ratio", p.ratio);
  j.key("samples").begin_array();
  for (const auto& s : p.samples) j.value(s);
  j.end_array().end_object();
  Evidence e;
  e.type = "log_pattern";
  e.title = p.is_new
                ? fmt::format("{}: new {}pattern \"{}\" ({} in window)", service,
                              p.severe ? "error " : "", short_template(pat.template_text),
                              std::llround(p.window_count))
                : fmt::format("{}: pattern \"{}\" {}x ({} -> {})", service,
                              short_template(pat.template_text), fmt::format("{:.3g}", p.ratio),
                              p.count_b, std::llround(p.window_count));
  e.link = fmt::format("/api/v1/logs/patterns?group={}&start={}&end={}", net::url_encode(group),
                       w.start_ms, w.end_ms);
  e.data_json = j.take();
  return e;
}

// The finding of one group, if any of its patterns rose.
std::optional<ComponentFinding> analyze_group(const std::string& group, const std::string& service,
                                              const PeriodSample& b, const PeriodSample& win,
                                              const AnalysisWindow& w) {
  if (b.lines.empty() || b.covered_ms < kMinBaselineMs || win.lines.empty()) return std::nullopt;
  std::vector<std::string_view> lines;
  lines.reserve(b.lines.size() + win.lines.size());
  for (const auto& l : b.lines) lines.push_back(l.message);
  for (const auto& l : win.lines) lines.push_back(l.message);
  query::patterns::MiningResult mined = query::patterns::mine(lines);

  std::vector<PatternStat> stats(mined.patterns.size());
  for (size_t i = 0; i < stats.size(); i++) stats[i].index = i;
  for (size_t i = 0; i < b.lines.size(); i++) stats[mined.line_pattern[i]].count_b++;
  for (size_t i = 0; i < win.lines.size(); i++) {
    PatternStat& p = stats[mined.line_pattern[b.lines.size() + i]];
    if (p.count_w == 0) p.first_w = win.lines[i].ts;
    p.count_w++;
    if (win.lines[i].severe) p.severe_w++;
    if (p.samples.size() < kMaxSamples) p.samples.push_back(win.lines[i].message);
  }

  const double f = static_cast<double>(win.scanned) / static_cast<double>(win.lines.size());
  const double d_w = static_cast<double>(std::max<int64_t>(1, win.covered_ms));
  const double d_b = static_cast<double>(b.covered_ms);
  std::vector<PatternStat> risen;
  for (PatternStat& p : stats) {
    if (p.count_w < kMinPatternCount) continue;
    p.is_new = p.count_b == 0;
    const double rate_b = std::max(static_cast<double>(p.count_b), 0.5) / d_b;
    const double lambda = rate_b * d_w / f;
    p.window_count = static_cast<double>(p.count_w) * f;
    p.ratio = (p.window_count / d_w) / rate_b;
    if (p.ratio < kMinRatio || poisson_tail(p.count_w, lambda) > kMaxPValue) continue;
    p.severe = 2 * p.severe_w > p.count_w || severe_words(mined.patterns[p.index].template_text);
    const double weight = p.severe ? 1.0 : 0.5;
    const double magnitude = p.is_new ? 1.0 : std::min(1.0, std::log2(p.ratio) / 6);
    p.strength = weight * magnitude * (1 - std::exp(-p.window_count / 10));
    risen.push_back(std::move(p));
  }
  if (risen.empty()) return std::nullopt;
  std::stable_sort(risen.begin(), risen.end(), [](const PatternStat& a, const PatternStat& b) {
    return a.strength > b.strength;
  });
  if (risen.size() > kMaxPatternsPerFinding) risen.resize(kMaxPatternsPerFinding);

  ComponentFinding out;
  out.component = service;
  out.component_type = "service";
  out.kind = "logs";
  double miss = 1;
  out.onset_ms = risen.front().first_w;
  for (const PatternStat& p : risen) {
    miss *= 1 - std::clamp(p.strength, 0.0, 1.0);
    out.onset_ms = std::min(out.onset_ms, p.first_w);
    out.evidence.push_back(pattern_evidence(p, mined.patterns[p.index], group, service, w));
  }
  out.strength = std::clamp(1 - miss, 0.0, 1.0);
  const PatternStat& top = risen.front();
  const std::string& tmpl = mined.patterns[top.index].template_text;
  out.facts = {{"window_count", top.window_count},
               {"baseline_count", static_cast<double>(top.count_b)},
               {"ratio", top.ratio},
               {"new", top.is_new ? 1.0 : 0.0},
               {"patterns", static_cast<double>(risen.size())}};
  std::string what =
      top.is_new ? fmt::format("new {}pattern \"{}\" ({} in window)", top.severe ? "error " : "",
                               short_template(tmpl), std::llround(top.window_count))
                 : fmt::format("pattern \"{}\" rose {:.3g}x", short_template(tmpl), top.ratio);
  out.clause = fmt::format("{} logs: {} from {}", service, what, clock_time(out.onset_ms));
  return out;
}

}  // namespace

Result<std::vector<ComponentFinding>> analyze_logs(storage::LogStore& logs, const AnalysisWindow& w,
                                                   InvestigationStats* stats) {
  if (w.end_ms <= w.start_ms || w.baseline_start_ms > w.start_ms) {
    return Status::invalid_argument(
        fmt::format("analysis window: need baseline_start <= start < end, got {}, {}, {}",
                    w.baseline_start_ms, w.start_ms, w.end_ms));
  }
  ASSIGN_OR_RETURN(auto groups, logs.describe_groups(w.tenant, ""));
  Budget budget;
  bool groups_cut = false;
  if (groups.size() > kMaxLogGroups) {
    groups.resize(kMaxLogGroups);
    groups_cut = true;
  }
  std::vector<ComponentFinding> out;
  uint64_t scanned = 0;
  for (const auto& g : groups) {
    if (budget.left == 0) {
      budget.cut = true;
      break;
    }
    const bool otel =
        g.name.starts_with(kOtelGroupPrefix) && g.name.size() > kOtelGroupPrefix.size();
    std::string service = otel ? g.name.substr(kOtelGroupPrefix.size()) : std::string();
    auto win = sample_window(logs, w, g.name, !otel, &budget, &service);
    if (!win.ok() && win.status().code() == Code::kNotFound) continue;  // deleted meanwhile
    if (!win.ok()) return win.status();
    scanned += win->scanned;
    if (win->lines.empty()) continue;
    auto base = sample_baseline(logs, w, g.name, &budget);
    if (!base.ok() && base.status().code() == Code::kNotFound) continue;
    if (!base.ok()) return base.status();
    scanned += base->scanned;
    if (service.empty()) service = g.name;
    if (auto f = analyze_group(g.name, service, *base, *win, w); f.has_value()) {
      out.push_back(std::move(*f));
    }
  }
  if (stats != nullptr) {
    stats->log_events_scanned += scanned;
    if (budget.cut || groups_cut) {
      stats->complete = false;
      if (stats->stopped_by.empty()) stats->stopped_by = "log events limit";
    }
  }
  std::stable_sort(
      out.begin(), out.end(),
      [](const ComponentFinding& a, const ComponentFinding& b) { return a.strength > b.strength; });
  return out;
}

}  // namespace opsight::aiops
