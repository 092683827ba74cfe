#include "collect/scrape_config.h"

#include <gtest/gtest.h>

namespace opsight::collect {
namespace {

TEST(ScrapeConfig, ParsesAPrometheusJob) {
  std::vector<ScrapeConfig> jobs;
  auto st = parse_scrape_configs_yaml(R"(
- job_name: node
  scrape_interval: 5s
  scrape_timeout: 2s
  metrics_path: /probe
  honor_labels: true
  honor_timestamps: false
  params:
    module: [http_2xx, other]
  static_configs:
    - targets: ["127.0.0.1:9100", "localhost:9200"]
      labels:
        env: prod
  file_sd_configs:
    - files: [/etc/opsight/targets/*.json]
      refresh_interval: 30s
  relabel_configs:
    - source_labels: [__address__]
      regex: "(.*):.*"
      target_label: host
    - action: hashmod
      source_labels: [__address__]
      modulus: 4
      target_label: shard
  metric_relabel_configs:
    - action: drop
      source_labels: [__name__]
      regex: go_.*
  sample_limit: 5000
  label_limit: 30
  body_size_limit: 10MB
- job_name: second
  static_configs:
    - targets: [a:1]
)",
                                      &jobs);
  ASSERT_TRUE(st.ok()) << st.to_string();
  ASSERT_EQ(jobs.size(), 2u);
  const auto& j = jobs[0];
  EXPECT_EQ(j.job_name, "node");
  EXPECT_EQ(j.scrape_interval_ms, 5000);
  EXPECT_EQ(j.scrape_timeout_ms, 2000);
  EXPECT_EQ(j.metrics_path, "/probe");
  EXPECT_TRUE(j.honor_labels);
  EXPECT_FALSE(j.honor_timestamps);
  ASSERT_EQ(j.params.size(), 1u);
  EXPECT_EQ(j.params[0].second, (std::vector<std::string>{"http_2xx", "other"}));
  ASSERT_EQ(j.static_configs.size(), 1u);
  EXPECT_EQ(j.static_configs[0].targets.size(), 2u);
  EXPECT_EQ(j.static_configs[0].labels.get("env"), "prod");
  ASSERT_EQ(j.file_sd_configs.size(), 1u);
  EXPECT_EQ(j.file_sd_configs[0].refresh_interval_ms, 30'000);
  ASSERT_EQ(j.relabel_configs.size(), 2u);
  EXPECT_EQ(j.relabel_configs[1].action, RelabelAction::kHashMod);
  EXPECT_EQ(j.relabel_configs[1].modulus, 4u);
  EXPECT_EQ(j.metric_relabel_configs[0].action, RelabelAction::kDrop);
  EXPECT_EQ(j.sample_limit, 5000u);
  EXPECT_EQ(j.body_size_limit, 10u << 20);
  // Defaults as Prometheus.
  const auto& d = jobs[1];
  EXPECT_EQ(d.metrics_path, "/metrics");
  EXPECT_EQ(d.scheme, "http");
  EXPECT_TRUE(d.honor_timestamps);
  EXPECT_FALSE(d.honor_labels);
  ScrapeSettings s{GlobalConfig{}, jobs};
  EXPECT_TRUE(validate_scrape_settings(s).ok());
  EXPECT_EQ(job_interval_ms(d, s.global), 60'000);
  EXPECT_EQ(job_timeout_ms(d, s.global), 10'000);
  s.global.scrape_interval_ms = 5000;  // the timeout defaults to at most the interval
  EXPECT_EQ(job_timeout_ms(d, s.global), 5000);
}

std::string error_of(std::string_view yaml) {
  std::vector<ScrapeConfig> jobs;
  Status st = parse_scrape_configs_yaml(yaml, &jobs);
  if (st.ok()) st = validate_scrape_settings(ScrapeSettings{GlobalConfig{}, jobs});
  return st.ok() ? "ok" : st.message();
}

TEST(ScrapeConfig, ErrorsNameTheKeyAndTheRule) {
  EXPECT_EQ(error_of("- job_name: a\n  scrape_intervall: 5s\n"),
            "config: unknown key \"scrape_configs[0].scrape_intervall\"");
  EXPECT_NE(error_of("- job_name: a\n  basic_auth: {username: u}\n")
                .find("scrape_configs[0].basic_auth: not supported"),
            std::string::npos);
  EXPECT_NE(error_of("- job_name: a\n  kubernetes_sd_configs: []\n")
                .find("use static_configs or file_sd_configs"),
            std::string::npos);
  EXPECT_NE(error_of("- job_name: a\n  scheme: https\n").find("scheme https is not supported"),
            std::string::npos);
  EXPECT_NE(error_of("- job_name: a\n  scrape_interval: 5s\n  scrape_timeout: 10s\n")
                .find("scrape_timeout is greater than scrape_interval"),
            std::string::npos);
  EXPECT_NE(error_of("- job_name: a\n- job_name: a\n").find("job_name is used twice"),
            std::string::npos);
  EXPECT_NE(error_of("- scrape_interval: 5s\n").find("job_name is required"), std::string::npos);
  EXPECT_NE(error_of("- job_name: a\n  relabel_configs:\n    - action: explode\n")
                .find("scrape_configs[0].relabel_configs[0].action: unknown relabel action"),
            std::string::npos);
  EXPECT_NE(error_of("- job_name: a\n  metric_relabel_configs:\n    - action: hashmod\n      "
                     "target_label: x\n")
                .find("metric_relabel_configs[0]: relabel configuration for hashmod requires "
                      "non-zero modulus"),
            std::string::npos);
  EXPECT_NE(error_of("- job_name: a\n  file_sd_configs:\n    - files: [a.txt]\n")
                .find("must end in .json, .yml or .yaml"),
            std::string::npos);
  EXPECT_NE(error_of("- job_name: a\n  static_configs:\n    - targets: [\"http://x:1/\"]\n")
                .find("is not a valid target address"),
            std::string::npos);
}

}  // namespace
}  // namespace opsight::collect
