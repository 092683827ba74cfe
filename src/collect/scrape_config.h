#pragma once
// The scrape configuration: `global:` and `scrape_configs:` with the keys, defaults and checks
// of Prometheus's configuration (prometheus.io/docs/prometheus/latest/configuration/
// configuration/, 2.42), so a prometheus.yml section can be pasted into opsight's config.
//
// Supported per job: job_name, scrape_interval, scrape_timeout, metrics_path, scheme (http;
// https is refused with a clear error until TLS exists), params, honor_labels,
// honor_timestamps, static_configs, file_sd_configs, relabel_configs, metric_relabel_configs,
// sample_limit, label_limit, label_name_length_limit, label_value_length_limit, target_limit,
// body_size_limit. Prometheus keys opsight does not implement (basic_auth, tls_config,
// kubernetes_sd_configs, ...) are errors that say so; any other unknown key is an error too.
//
// From `global:` the scrape keys are scrape_interval (default 1m) and scrape_timeout (default
// 10s, at most the interval); the server's config parser fills GlobalConfig (the other global
// keys belong to rules). As in Prometheus, global.external_labels are not added to locally
// stored series.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collect/relabel.h"
#include "common/labels.h"
#include "common/status.h"

namespace opsight::collect {

struct StaticConfig {
  std::vector<std::string> targets;  // host:port
  Labels labels;
};

struct FileSdConfig {
  std::vector<std::string> files;  // paths or globs (*, ?, [..] in the last path element)
  int64_t refresh_interval_ms = 5 * 60'000;
};

struct ScrapeConfig {
  std::string job_name;
  int64_t scrape_interval_ms = 0;  // 0: from global
  int64_t scrape_timeout_ms = 0;   // 0: from global, capped at the interval
  std::string metrics_path = "/metrics";
  std::string scheme = "http";
  std::vector<std::pair<std::string, std::vector<std::string>>> params;
  bool honor_labels = false;
  bool honor_timestamps = true;
  std::vector<StaticConfig> static_configs;
  std::vector<FileSdConfig> file_sd_configs;
  std::vector<RelabelConfig> relabel_configs;
  std::vector<RelabelConfig> metric_relabel_configs;
  uint64_t sample_limit = 0;  // 0 = no limit (each of these)
  uint64_t label_limit = 0;
  uint64_t label_name_length_limit = 0;
  uint64_t label_value_length_limit = 0;
  uint64_t target_limit = 0;
  uint64_t body_size_limit = 0;  // bytes (uncompressed)
};

struct GlobalConfig {
  int64_t scrape_interval_ms = 0;      // 0: 1m
  int64_t scrape_timeout_ms = 0;       // 0: 10s, at most the interval
  int64_t evaluation_interval_ms = 0;  // 0: 1m
  Labels external_labels;
};

struct ScrapeSettings {
  GlobalConfig global;
  std::vector<ScrapeConfig> scrape_configs;
};

// Parses the value of `scrape_configs:` (YAML text of that sequence), replacing *out.
Status parse_scrape_configs_yaml(std::string_view yaml, std::vector<ScrapeConfig>* out);

// Effective values after the global defaults (Prometheus's rules).
int64_t global_interval_ms(const GlobalConfig& g);
int64_t global_timeout_ms(const GlobalConfig& g);
int64_t job_interval_ms(const ScrapeConfig& c, const GlobalConfig& g);
int64_t job_timeout_ms(const ScrapeConfig& c, const GlobalConfig& g);

// Checks the whole configuration: unique non-empty job names, timeouts not above intervals,
// scheme http, valid relabel rules. Errors name the job and the rule.
Status validate_scrape_settings(const ScrapeSettings& s);

}  // namespace opsight::collect
