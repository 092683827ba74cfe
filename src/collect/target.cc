#include "collect/target.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/time_util.h"
#include "net/http_client.h"

namespace opsight::collect {
namespace {

constexpr std::string_view kAddress = "__address__";
constexpr std::string_view kScheme = "__scheme__";
constexpr std::string_view kMetricsPath = "__metrics_path__";
constexpr std::string_view kInterval = "__scrape_interval__";
constexpr std::string_view kTimeout = "__scrape_timeout__";
constexpr std::string_view kParamPrefix = "__param_";
constexpr std::string_view kMetaPrefix = "__meta_";

// Whether `addr` (host:port, [v6]:port, host) lacks a port.
bool needs_port(std::string_view addr) {
  if (addr.starts_with('[')) return addr.find("]:") == std::string_view::npos;
  size_t colons = std::count(addr.begin(), addr.end(), ':');
  return colons == 0;  // more than one colon without brackets: a bare IPv6 address, left alone
}

Target build_one(const ScrapeConfig& cfg, const GlobalConfig& global, const Relabeler& relabel,
                 const Labels& group_labels, const Labels& target_labels) {
  Target t;
  LabelsBuilder b(group_labels);
  for (const auto& l : target_labels) b.set(l.name, l.value);
  Labels merged = b.build();
  LabelsBuilder d(merged);
  auto set_default = [&](std::string_view name, std::string_view value) {
    if (merged.get(name).empty()) d.set(name, value);
  };
  set_default("job", cfg.job_name);
  set_default(kInterval, format_duration_ms(job_interval_ms(cfg, global)));
  set_default(kTimeout, format_duration_ms(job_timeout_ms(cfg, global)));
  set_default(kMetricsPath, cfg.metrics_path);
  set_default(kScheme, cfg.scheme);
  for (const auto& [name, values] : cfg.params) {
    if (!values.empty()) d.set(std::string(kParamPrefix) + name, values[0]);
  }
  t.discovered = d.build();
  auto relabeled = relabel.apply(t.discovered);
  if (!relabeled) {
    t.dropped = true;
    return t;
  }
  Labels ls = std::move(*relabeled);
  std::string addr(ls.get(kAddress));
  if (addr.empty()) {
    t.error = "no address (__address__ is empty after relabeling)";
    return t;
  }
  std::string scheme(ls.get(kScheme));
  LabelsBuilder out(ls);
  if (needs_port(addr)) {
    if (scheme == "http" || scheme.empty()) {
      addr += ":80";
    } else if (scheme == "https") {
      addr += ":443";
    } else {
      t.error = fmt::format("invalid scheme \"{}\"", scheme);
      return t;
    }
    out.set(kAddress, addr);
  }
  if (addr.find('/') != std::string::npos) {
    t.error = fmt::format("\"{}\" is not a valid hostname", addr);
    return t;
  }
  if (scheme != "http" && !scheme.empty()) {
    t.error = fmt::format("scheme \"{}\" is not supported (opsight scrapes plain http)", scheme);
    return t;
  }
  auto interval = parse_duration_ms(ls.get(kInterval));
  auto timeout = parse_duration_ms(ls.get(kTimeout));
  if (!interval.ok() || *interval <= 0) {
    t.error = fmt::format("invalid {} \"{}\"", kInterval, ls.get(kInterval));
    return t;
  }
  if (!timeout.ok() || *timeout <= 0) {
    t.error = fmt::format("invalid {} \"{}\"", kTimeout, ls.get(kTimeout));
    return t;
  }
  if (*timeout > *interval) {
    t.error = fmt::format("scrape timeout {} greater than interval {}", ls.get(kTimeout),
                          ls.get(kInterval));
    return t;
  }
  t.interval_ms = *interval;
  t.timeout_ms = *timeout;
  for (const auto& l : ls) {
    if (l.name.starts_with(kMetaPrefix)) out.del(l.name);
  }
  if (ls.get("instance").empty()) out.set("instance", addr);
  t.labels = out.build();
  // URL: configured params, overridden by __param_* labels.
  std::vector<std::pair<std::string, std::vector<std::string>>> params = cfg.params;
  for (const auto& l : t.labels) {
    if (!l.name.starts_with(kParamPrefix)) continue;
    std::string name = l.name.substr(kParamPrefix.size());
    bool found = false;
    for (auto& [n, v] : params) {
      if (n != name) continue;
      found = true;
      if (v.empty()) v.push_back(l.value);
      v[0] = l.value;
    }
    if (!found) params.push_back({name, {l.value}});
  }
  std::string path(t.labels.get(kMetricsPath));
  if (path.empty() || path[0] != '/') path = "/" + path;
  t.url = fmt::format("http://{}{}", addr, path);
  char sep = path.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [n, values] : params) {
    for (const auto& v : values) {
      t.url += sep;
      sep = '&';
      t.url += net::url_encode(n) + "=" + net::url_encode(v);
    }
  }
  return t;
}

}  // namespace

std::vector<TargetGroup> static_groups(const ScrapeConfig& cfg) {
  std::vector<TargetGroup> out;
  for (size_t i = 0; i < cfg.static_configs.size(); i++) {
    const auto& sc = cfg.static_configs[i];
    TargetGroup g;
    g.source = fmt::format("static_configs[{}]", i);
    g.labels = sc.labels;
    for (const auto& addr : sc.targets) {
      g.targets.push_back(Labels{{std::string(kAddress), addr}});
    }
    out.push_back(std::move(g));
  }
  return out;
}

std::vector<Target> build_targets(const ScrapeConfig& cfg, const GlobalConfig& global,
                                  const Relabeler& relabel,
                                  const std::vector<TargetGroup>& groups) {
  std::vector<Target> out;
  for (const auto& g : groups) {
    for (const auto& t : g.targets) out.push_back(build_one(cfg, global, relabel, g.labels, t));
  }
  return out;
}

}  // namespace opsight::collect
