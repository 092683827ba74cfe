#include "aiops/investigate/metric_analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "common/json_writer.h"
#include "common/labels.h"
#include "common/time_util.h"
#include "net/http_client.h"
#include "storage/matcher.h"

namespace opsight::aiops {
namespace {

constexpr std::string_view kServiceLabels[] = {"service", "service_name", "service.name", "job"};
constexpr std::string_view kSaturationTokens[] = {
    "cpu",         "memory",     "mem",         "heap",    "utilization",
    "utilisation", "saturation", "connections", "threads", "gc"};
constexpr std::string_view kQueueTokens[] = {"depth", "size", "length"};
// A cheap pre-filter for the store; the token rule above decides.
constexpr std::string_view kNamePrefilter =
    "(?i).*(cpu|mem|heap|utili[sz]ation|saturation|queue|connections|threads|gc).*";

double median_inplace(std::vector<double>& v) {
  if (v.empty()) return 0;
  size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  double hi = v[mid];
  if (v.size() % 2 == 1) return hi;
  double lo = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lo + hi) / 2;
}

double mad_sigma(const std::vector<double>& v, double center) {
  std::vector<double> d;
  d.reserve(v.size());
  for (double x : v) d.push_back(std::fabs(x - center));
  return 1.4826 * median_inplace(d);
}

std::string_view service_of(const Labels& labels) {
  for (std::string_view name : kServiceLabels) {
    std::string_view v = labels.get(name);
    if (!v.empty()) return v;
  }
  return {};
}

std::vector<std::string> name_tokens(std::string_view name) {
  std::vector<std::string> tokens(1);
  for (char c : name) {
    if (c == '_' || c == '.' || c == ':' || c == '-') {
      if (!tokens.back().empty()) tokens.emplace_back();
      continue;
    }
    tokens.back().push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (tokens.back().empty()) tokens.pop_back();
  return tokens;
}

bool is_saturation_name(std::string_view name) {
  std::vector<std::string> tokens = name_tokens(name);
  if (!tokens.empty() && tokens.back() == "bucket") return false;
  for (size_t i = 0; i < tokens.size(); i++) {
    for (std::string_view t : kSaturationTokens) {
      if (tokens[i] == t) return true;
    }
    if (tokens[i] == "queue" && i + 1 < tokens.size()) {
      for (std::string_view t : kQueueTokens) {
        if (tokens[i + 1] == t) return true;
      }
    }
  }
  return false;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_counter(std::string_view name, storage::Querier& q) {
  if (ends_with(name, "_total") || ends_with(name, "_sum") || ends_with(name, "_count")) {
    return true;
  }
  auto meta = q.metadata(name);
  return meta.has_value() && meta->type == "counter";
}

// Per-second rate between consecutive samples; a decrease is a counter reset.
std::vector<storage::ValuePoint> to_rate(const std::vector<storage::ValuePoint>& in) {
  std::vector<storage::ValuePoint> out;
  for (size_t i = 1; i < in.size(); i++) {
    int64_t dt = in[i].t - in[i - 1].t;
    if (dt <= 0) continue;
    double inc = in[i].v >= in[i - 1].v ? in[i].v - in[i - 1].v : in[i].v;
    out.push_back({in[i].t, inc * 1000.0 / static_cast<double>(dt)});
  }
  return out;
}

std::string fmt_num(double v) {
  return fmt::format("{:.3g}", v);
}

std::string clock_time(int64_t ms) {
  std::string s = format_rfc3339_ms(ms);  // 2024-01-02T03:04:05.123Z
  return s.size() >= 19 ? s.substr(11, 8) : s;
}

std::string seconds_param(int64_t ms) {
  return fmt::format("{}.{:03d}", ms / 1000, static_cast<int>(ms % 1000));
}

// One series that deviates.
struct Deviation {
  std::string service;
  Labels labels;
  bool counter = false;
  std::string unit;
  double baseline = 0, window = 0, z = 0, ratio = 0, strength = 0;
  int64_t onset_ms = 0;
  std::vector<storage::ValuePoint> points;  // B + W (rates for counters)
};

std::string selector_of(const Labels& labels) {
  std::string sel(labels.metric_name());
  sel += '{';
  bool first = true;
  for (const auto& l : labels) {
    if (l.name == kMetricName) continue;
    if (!first) sel += ',';
    first = false;
    sel += l.name;
    sel += '=';
    append_quoted(sel, l.value);
  }
  sel += '}';
  return sel;
}

Evidence metric_evidence(const Deviation& d, const AnalysisWindow& w) {
  const int64_t span = std::max<int64_t>(1, w.end_ms - w.baseline_start_ms);
  const int64_t step = std::max<int64_t>(
      1000, (span + kMaxEvidencePoints - 1) / static_cast<int64_t>(kMaxEvidencePoints));
  json::Writer j;
  j.begin_object().kv("name", std::string(d.labels.metric_name()));
  j.key("labels").begin_object();
  for (const auto& l : d.labels) {
    if (l.name != kMetricName) j.kv(l.name, l.value);
  }
  j.end_object();
  j.kv("unit", d.unit).kv("baseline", d.baseline).kv("window", d.window).kv("ratio", d.ratio);
  if (d.counter) j.kv("rate", true);
  j.key("points").begin_array();
  // Bucket means over [baseline_start, end) in `step` buckets: at most kMaxEvidencePoints.
  size_t i = 0;
  while (i < d.points.size()) {
    int64_t bucket = (d.points[i].t - w.baseline_start_ms) / step;
    double sum = 0;
    size_t n = 0;
    int64_t t0 = d.points[i].t;
    while (i < d.points.size() && (d.points[i].t - w.baseline_start_ms) / step == bucket) {
      sum += d.points[i].v;
      n++;
      i++;
    }
    j.begin_array().value(t0).value(sum / static_cast<double>(n)).end_array();
  }
  j.end_array().end_object();

  std::string selector = selector_of(d.labels);
  std::string query =
      d.counter ? fmt::format("rate({}[{}s])", selector, std::max<int64_t>(60, 2 * step / 1000))
                : selector;
  Evidence e;
  e.type = "metric";
  e.title = fmt::format("{} {}{} {} -> {}{}", d.service, d.labels.metric_name(),
                        d.counter ? " (rate/s)" : "", fmt_num(d.baseline), fmt_num(d.window),
                        d.unit.empty() ? "" : " " + d.unit);
  e.link =
      fmt::format("/api/v1/query_range?query={}&start={}&end={}&step={}", net::url_encode(query),
                  seconds_param(w.baseline_start_ms), seconds_param(w.end_ms), seconds_param(step));
  e.data_json = j.take();
  return e;
}

// Compares B and W of one series; true (and *d filled) when it rose beyond the threshold.
bool deviates(const std::vector<storage::ValuePoint>& points, const AnalysisWindow& w,
              Deviation* d) {
  std::vector<double> b, win;
  for (const auto& p : points) {
    if (p.t < w.start_ms) {
      b.push_back(p.v);
    } else {
      win.push_back(p.v);
    }
  }
  if (b.size() < kMinBaselinePoints || win.size() < kMinWindowPoints) return false;
  const double m_b = median_inplace(b);
  const double s_b = mad_sigma(b, m_b);
  const double m_w = median_inplace(win);
  const double scale = std::max({s_b, 0.025 * std::fabs(m_b), 1e-9});
  const double threshold = 4 * scale;  // max(4 s_B, 0.1 |m_B|), floored
  const double shift = m_w - m_b;
  if (!(shift > threshold)) return false;
  const double z = shift / scale;
  const double rel = m_b == 0 ? std::numeric_limits<double>::infinity() : shift / std::fabs(m_b);
  d->baseline = m_b;
  d->window = m_w;
  d->z = z;
  d->ratio = m_b == 0 ? 0 : m_w / m_b;
  d->strength = (1 - std::exp(-z / 6)) * (1 - std::exp(-rel / 0.5));
  for (const auto& p : points) {
    if (p.t >= w.start_ms && p.v > m_b + threshold) {
      d->onset_ms = p.t;
      break;
    }
  }
  return true;
}

ComponentFinding finding_of(std::vector<Deviation>& devs, const AnalysisWindow& w) {
  std::sort(devs.begin(), devs.end(),
            [](const Deviation& a, const Deviation& b) { return a.strength > b.strength; });
  const Deviation& top = devs.front();
  ComponentFinding f;
  f.component = top.service;
  f.component_type = "service";
  f.kind = "saturation";
  f.strength = std::clamp(top.strength, 0.0, 1.0);
  f.onset_ms = top.onset_ms;
  f.facts = {{"baseline", top.baseline},
             {"window", top.window},
             {"ratio", top.ratio},
             {"z", top.z},
             {"series", static_cast<double>(devs.size())}};
  std::string ratio = top.ratio > 0 ? fmt::format(" ({}x)", fmt_num(top.ratio)) : "";
  f.clause =
      fmt::format("{} {}{} rose {} -> {}{}{}", top.service, top.labels.metric_name(),
                  top.counter ? " rate" : "", fmt_num(top.baseline), fmt_num(top.window), ratio,
                  top.onset_ms != 0 ? " at " + clock_time(top.onset_ms) : std::string());
  for (size_t i = 0; i < devs.size() && i < 3; i++) {
    f.evidence.push_back(metric_evidence(devs[i], w));
  }
  return f;
}

}  // namespace

Result<std::vector<ComponentFinding>> analyze_metrics(storage::MetricStore& metrics,
                                                      const AnalysisWindow& w,
                                                      InvestigationStats* stats) {
  if (w.end_ms <= w.start_ms || w.baseline_start_ms > w.start_ms) {
    return Status::invalid_argument(
        fmt::format("analysis window: need baseline_start <= start < end, got {}, {}, {}",
                    w.baseline_start_ms, w.start_ms, w.end_ms));
  }
  storage::QueryScope scope;
  scope.tenants = {w.tenant};
  ASSIGN_OR_RETURN(auto querier, metrics.querier(scope, w.baseline_start_ms, w.end_ms - 1));
  ASSIGN_OR_RETURN(auto name_matcher,
                   storage::Matcher::make(storage::MatchType::kRegexMatch, std::string(kMetricName),
                                          std::string(kNamePrefilter)));
  std::vector<storage::Matcher> matchers = {std::move(name_matcher)};
  storage::SelectHints hints;
  hints.start = w.baseline_start_ms;
  hints.end = w.end_ms - 1;
  auto set = querier->select(false, hints, matchers);

  std::map<std::string, std::vector<Deviation>> by_service;
  std::map<std::string, bool, std::less<>> counter_names;
  size_t read = 0;
  bool cut = false;
  std::vector<storage::ValuePoint> raw;
  while (set->next()) {
    const storage::Series& s = set->at();
    const Labels& labels = s.labels();
    std::string_view name = labels.metric_name();
    std::string_view service = service_of(labels);
    if (service.empty() || labels.has("le") || labels.has("quantile") ||
        !is_saturation_name(name)) {
      continue;
    }
    if (read == kMaxMetricSeries) {
      cut = true;
      break;
    }
    read++;
    auto it = counter_names.find(name);
    if (it == counter_names.end()) {
      it = counter_names.emplace(std::string(name), is_counter(name, *querier)).first;
    }
    raw.clear();
    RETURN_IF_ERROR(s.append_values(&raw));
    std::erase_if(raw, [](const storage::ValuePoint& p) { return !std::isfinite(p.v); });
    Deviation d;
    d.counter = it->second;
    d.points = d.counter ? to_rate(raw) : raw;
    if (!deviates(d.points, w, &d)) continue;
    d.service = std::string(service);
    d.labels = labels;
    if (auto meta = querier->metadata(name); meta.has_value()) d.unit = meta->unit;
    by_service[d.service].push_back(std::move(d));
  }
  RETURN_IF_ERROR(set->err());
  if (stats != nullptr) {
    stats->series_read += read;
    if (cut) {
      stats->complete = false;
      if (stats->stopped_by.empty()) stats->stopped_by = "metric series limit";
    }
  }
  std::vector<ComponentFinding> out;
  for (auto& [service, devs] : by_service) out.push_back(finding_of(devs, w));
  std::stable_sort(
      out.begin(), out.end(),
      [](const ComponentFinding& a, const ComponentFinding& b) { return a.strength > b.strength; });
  return out;
}

}  // namespace opsight::aiops
