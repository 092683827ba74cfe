#include "server/config.h"

#include <gtest/gtest.h>

namespace opsight::server {
namespace {

TEST(ParseConfigYaml, OverridesDefaults) {
  ServerConfig cfg;
  auto st = parse_config_yaml(R"(
data_dir: /var/lib/opsight
http:
  listen: 0.0.0.0:9000
  max_body_bytes: 8MiB
wal:
  sync: interval
  sync_interval: 200ms
metrics:
  retention: 30d
limits:
  max_labels_per_series: 10
)",
                              &cfg);
  ASSERT_TRUE(st.ok()) << st.to_string();
  EXPECT_EQ(cfg.data_dir, "/var/lib/opsight");
  EXPECT_EQ(cfg.http.listen, "0.0.0.0:9000");
  EXPECT_EQ(cfg.http.max_body_bytes, 8u << 20);
  EXPECT_FALSE(cfg.wal.fsync);
  EXPECT_EQ(cfg.wal.sync_interval_ms, 200);
  EXPECT_EQ(cfg.metrics.retention_ms, 30LL * 86'400'000);
  EXPECT_EQ(cfg.limits.max_labels_per_series, 10u);
  EXPECT_EQ(cfg.metrics.block_range_ms, 2LL * 3'600'000);  // untouched default
}

TEST(ParseConfigYaml, UnknownKeysAndBadValuesAreErrors) {
  ServerConfig cfg;
  auto st = parse_config_yaml("metrics:\n  retension: 30d\n", &cfg);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("unknown key \"metrics.retension\""), std::string::npos);
  st = parse_config_yaml("wal:\n  sync: sometimes\n", &cfg);
  EXPECT_NE(st.message().find("wal.sync must be fsync or interval"), std::string::npos);
  st = parse_config_yaml("metrics:\n  retention: 3 weeks\n", &cfg);
  EXPECT_FALSE(st.ok());
  st = parse_config_yaml("http: [1, 2\n", &cfg);
  EXPECT_NE(st.message().find("invalid YAML"), std::string::npos);
}

TEST(ParseConfigYaml, ScrapeConfigsGlobalAndPush) {
  ServerConfig cfg;
  auto st = parse_config_yaml(R"(
global:
  scrape_interval: 5s
  scrape_timeout: 2s
push:
  interval: 30s
  max_groups: 10
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ["127.0.0.1:9100"]
    metric_relabel_configs:
      - action: drop
        source_labels: [__name__]
        regex: go_.*
)",
                              &cfg);
  ASSERT_TRUE(st.ok()) << st.to_string();
  EXPECT_EQ(cfg.scrape.global.scrape_interval_ms, 5000);
  EXPECT_EQ(cfg.scrape.global.scrape_timeout_ms, 2000);
  ASSERT_EQ(cfg.scrape.scrape_configs.size(), 1u);
  EXPECT_EQ(cfg.scrape.scrape_configs[0].job_name, "node");
  EXPECT_EQ(cfg.push.interval_ms, 30'000);
  EXPECT_EQ(cfg.push.max_groups, 10u);
  st = parse_config_yaml("scrape_configs:\n  - job_name: a\n    scheme: https\n", &cfg);
  EXPECT_NE(st.message().find("scheme https is not supported"), std::string::npos);
  st = parse_config_yaml("scrape_configs:\n  - job_name: a\n    bogus: 1\n", &cfg);
  EXPECT_NE(st.message().find("unknown key \"scrape_configs[0].bogus\""), std::string::npos);
}

TEST(ParseBytes, Units) {
  EXPECT_EQ(*parse_bytes("64MiB"), 64u << 20);
  EXPECT_EQ(*parse_bytes("1GB"), 1'000'000'000u);
  EXPECT_EQ(*parse_bytes("512"), 512u);
  EXPECT_FALSE(parse_bytes("12 parsecs").ok());
}

}  // namespace
}  // namespace opsight::server
