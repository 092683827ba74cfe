#include "collect/target.h"

#include <gtest/gtest.h>

namespace opsight::collect {
namespace {

ScrapeConfig job() {
  ScrapeConfig c;
  c.job_name = "node";
  c.scrape_interval_ms = 15'000;
  c.scrape_timeout_ms = 10'000;
  c.static_configs.push_back({{"127.0.0.1:9100", "example.org"}, Labels{{"env", "prod"}}});
  return c;
}

TEST(Targets, PopulateLabelsAsPrometheus) {
  ScrapeConfig c = job();
  c.params = {{"module", {"m1", "m2"}}};
  auto ts = build_targets(c, {}, Relabeler(), static_groups(c));
  ASSERT_EQ(ts.size(), 2u);
  const Target& t = ts[0];
  EXPECT_TRUE(t.error.empty()) << t.error;
  EXPECT_EQ(t.discovered.to_string(),
            R"({__address__="127.0.0.1:9100", __metrics_path__="/metrics", __param_module="m1", )"
            R"(__scheme__="http", __scrape_interval__="15s", __scrape_timeout__="10s", )"
            R"(env="prod", job="node"})");
  EXPECT_EQ(t.public_labels().to_string(),
            R"({env="prod", instance="127.0.0.1:9100", job="node"})");
  EXPECT_EQ(t.url, "http://127.0.0.1:9100/metrics?module=m1&module=m2");
  EXPECT_EQ(t.interval_ms, 15'000);
  // A missing port becomes :80.
  EXPECT_EQ(ts[1].labels.get("__address__"), "example.org:80");
  EXPECT_EQ(ts[1].public_labels().get("instance"), "example.org:80");
}

TEST(Targets, RelabelingChangesAddressPathParamsAndDrops) {
  ScrapeConfig c = job();
  RelabelConfig keep;
  keep.action = RelabelAction::kKeep;
  keep.source_labels = {"__address__"};
  keep.regex = "127\\..*";
  RelabelConfig path;
  path.source_labels = {"env"};
  path.target_label = "__metrics_path__";
  path.replacement = "/federate/$1";
  RelabelConfig param;
  param.target_label = "__param_target";
  param.replacement = "x y";
  RelabelConfig inst;
  inst.source_labels = {"__address__"};
  inst.regex = "(.*):.*";
  inst.target_label = "instance";
  RelabelConfig interval;
  interval.target_label = "__scrape_interval__";
  interval.replacement = "30s";
  RelabelConfig meta;  // __meta_ labels never reach the target
  meta.target_label = "__meta_x";
  meta.replacement = "1";
  auto r = Relabeler::compile({keep, path, param, inst, interval, meta}, "relabel_configs");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  auto ts = build_targets(c, {}, *r, static_groups(c));
  ASSERT_EQ(ts.size(), 2u);
  EXPECT_TRUE(ts[1].dropped);
  const Target& t = ts[0];
  EXPECT_EQ(t.url, "http://127.0.0.1:9100/federate/prod?target=x%20y");
  EXPECT_EQ(t.public_labels().to_string(), R"({env="prod", instance="127.0.0.1", job="node"})");
  EXPECT_EQ(t.interval_ms, 30'000);
  EXPECT_FALSE(t.labels.has("__meta_x"));
}

TEST(Targets, BadTargetsCarryAnError) {
  ScrapeConfig c = job();
  RelabelConfig wipe;
  wipe.target_label = "__address__";
  wipe.source_labels = {"nothing"};
  auto r = Relabeler::compile({wipe}, "relabel_configs");
  ASSERT_TRUE(r.ok());
  auto ts = build_targets(c, {}, *r, static_groups(c));
  ASSERT_EQ(ts.size(), 2u);
  EXPECT_NE(ts[0].error.find("no address"), std::string::npos);
  RelabelConfig slow;
  slow.target_label = "__scrape_timeout__";
  slow.replacement = "1m";
  r = Relabeler::compile({slow}, "relabel_configs");
  ts = build_targets(c, {}, *r, static_groups(c));
  EXPECT_NE(ts[0].error.find("greater than interval"), std::string::npos);
}

}  // namespace
}  // namespace opsight::collect
