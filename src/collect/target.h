#pragma once
// Scrape targets: from discovered label sets (static_configs, file_sd_configs) to the final
// target labels and URL, as Prometheus's scrape.PopulateLabels (2.42) does:
//   1. discovered labels + defaults where absent: job, __scheme__, __metrics_path__,
//      __scrape_interval__, __scrape_timeout__; __param_<name> = first value of each param;
//   2. relabel_configs (a dropped target is reported as dropped);
//   3. __address__ must be set; a missing port becomes :80; __address__ must not hold a '/';
//   4. __meta_* labels are removed; instance defaults to __address__;
//   5. the public labels are those not starting with "__".
// The URL is __scheme__://__address____metrics_path__?params, with __param_<name> labels
// replacing the first value of each configured parameter.
//
// Thread safety: plain values and pure functions.

#include <cstdint>
#include <string>
#include <vector>

#include "collect/relabel.h"
#include "collect/scrape_config.h"
#include "common/labels.h"

namespace opsight::collect {

// Label sets found by one discovery source, each with __address__ (plus __meta_* labels).
struct TargetGroup {
  std::string source;  // "static_configs[0]", "file_sd:/etc/targets/a.json:1"
  std::vector<Labels> targets;
  Labels labels;  // group labels; a target's own labels win
};

struct Target {
  Labels discovered;  // before relabeling (the API's discoveredLabels)
  Labels labels;      // after relabeling, including "__" labels (__address__, __scheme__, ...)
  std::string url;
  int64_t interval_ms = 0;
  int64_t timeout_ms = 0;
  bool dropped = false;  // relabel_configs dropped it
  std::string error;     // non-empty: it could not be built (no address, bad interval, ...)

  // Labels without the "__" ones: what every scraped series of the target carries.
  Labels public_labels() const { return labels.without_reserved(); }
};

// The targets of `cfg` for the discovered `groups`. `relabel` is cfg.relabel_configs compiled.
std::vector<Target> build_targets(const ScrapeConfig& cfg, const GlobalConfig& global,
                                  const Relabeler& relabel, const std::vector<TargetGroup>& groups);

// The static_configs of a job as target groups.
std::vector<TargetGroup> static_groups(const ScrapeConfig& cfg);

}  // namespace opsight::collect
