// /api/v1/rules and /api/v1/alerts bodies: Prometheus 2.42's field names, order and value
// formats, and the type / rule_name[] / rule_group[] / file[] filters.
#include "api/prom/rules_api.h"

#include <gtest/gtest.h>

#include "rules/rule_file.h"

namespace opsight::api {
namespace {

std::vector<rules::GroupStatus> sample_groups() {
  auto specs = rules::parse_rule_file(R"yaml(
groups:
  - name: g1
    interval: 30s
    rules:
      - record: job:up:sum
        expr: sum by(job)(up)
      - alert: Down
        expr: up == 0
        for: 5m
        labels: {severity: page}
        annotations: {summary: "{{ $labels.instance }}"}
  - name: g2
    rules:
      - record: two
        expr: "2"
        labels: {a: b}
)yaml",
                                      "/etc/rules.yml");
  EXPECT_TRUE(specs.ok()) << specs.status().to_string();
  std::vector<rules::GroupStatus> out;
  for (const auto& s : *specs) {
    rules::GroupStatus g;
    g.name = s.name;
    g.file = s.file;
    g.interval_ms = s.interval_ms ? s.interval_ms : 60'000;
    g.eval_seconds = 0.25;
    g.last_eval_ms = 1'700'000'000'500;
    for (const auto& r : s.rules) {
      rules::RuleStatus rs;
      rs.spec = r;
      rs.health = rules::RuleHealth::kOk;
      rs.eval_seconds = 0.001;
      rs.last_eval_ms = 1'700'000'000'000;
      if (r->type == rules::RuleType::kAlerting) {
        rules::Alert a;
        a.state = rules::AlertState::kFiring;
        a.labels = Labels{{"alertname", "Down"}, {"instance", "h1"}, {"severity", "page"}};
        a.annotations = Labels{{"summary", "h1"}};
        a.value = 0;
        a.active_at_ms = 1'699'999'700'000;
        rs.state = a.state;
        rs.alerts.push_back(a);
      }
      g.rules.push_back(std::move(rs));
    }
    out.push_back(std::move(g));
  }
  out[1].rules[0].health = rules::RuleHealth::kErr;
  out[1].rules[0].last_error = "boom";
  out[1].last_eval_ms = 0;
  return out;
}

HttpRequest request(std::vector<std::pair<std::string, std::string>> params) {
  HttpRequest r;
  r.method = "GET";
  r.params = std::move(params);
  return r;
}

TEST(RulesApi, RulesJsonHasPrometheusShape) {
  auto body = rules_json(sample_groups(), request({}));
  ASSERT_TRUE(body.ok());
  const char* alert = R"j({"labels":{"alertname":"Down","instance":"h1","severity":"page"},)j"
                      R"j("annotations":{"summary":"h1"},"state":"firing",)j"
                      R"j("activeAt":"2023-11-14T22:08:20Z","value":"0e+00"})j";
  std::string want =
      std::string(R"j({"groups":[{"name":"g1","file":"/etc/rules.yml","rules":[)j") +
      R"j({"name":"job:up:sum","query":"sum by (job) (up)","health":"ok",)j"
      R"j("evaluationTime":0.001,"lastEvaluation":"2023-11-14T22:13:20Z","type":"recording"},)j"
      R"j({"state":"firing","name":"Down","query":"up == 0","duration":300,"keepFiringFor":0,)j"
      R"j("labels":{"severity":"page"},"annotations":{"summary":"{{ $labels.instance }}"},)j"
      R"j("alerts":[)j" +
      alert +
      R"j(],"health":"ok","evaluationTime":0.001,"lastEvaluation":"2023-11-14T22:13:20Z",)j"
      R"j("type":"alerting"}],"interval":30,"limit":0,"evaluationTime":0.25,)j"
      R"j("lastEvaluation":"2023-11-14T22:13:20.5Z"},)j"
      R"j({"name":"g2","file":"/etc/rules.yml","rules":[{"name":"two","query":"2",)j"
      R"j("labels":{"a":"b"},"health":"err","lastError":"boom","evaluationTime":0.001,)j"
      R"j("lastEvaluation":"2023-11-14T22:13:20Z","type":"recording"}],"interval":60,"limit":0,)j"
      R"j("evaluationTime":0.25,"lastEvaluation":"0001-01-01T00:00:00Z"}]})j";
  EXPECT_EQ(*body, want);
  EXPECT_EQ(alerts_json(sample_groups()), std::string(R"j({"alerts":[)j") + alert + "]}");
}

TEST(RulesApi, Filters) {
  auto g = sample_groups();
  auto only_alerts = rules_json(g, request({{"type", "alert"}}));
  ASSERT_TRUE(only_alerts.ok());
  EXPECT_EQ(only_alerts->find("recording"), std::string::npos);
  EXPECT_EQ(only_alerts->find("\"g2\""), std::string::npos);  // left without rules
  auto records = rules_json(g, request({{"type", "record"}}));
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->find("alerting"), std::string::npos);
  EXPECT_NE(records->find("\"two\""), std::string::npos);
  auto by_name = rules_json(g, request({{"rule_name[]", "two"}, {"rule_name[]", "Down"}}));
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(by_name->find("job:up:sum"), std::string::npos);
  EXPECT_NE(by_name->find("\"Down\""), std::string::npos);
  auto by_group = rules_json(g, request({{"rule_group[]", "g2"}}));
  ASSERT_TRUE(by_group.ok());
  EXPECT_EQ(by_group->find("\"g1\""), std::string::npos);
  auto by_file = rules_json(g, request({{"file[]", "/other.yml"}}));
  ASSERT_TRUE(by_file.ok());
  EXPECT_EQ(*by_file, R"j({"groups":[]})j");
  auto bad = rules_json(g, request({{"type", "alerts"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "not supported value \"alerts\"");
}

}  // namespace
}  // namespace opsight::api
