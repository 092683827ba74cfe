// The respond part of the server config (incidents.notify, runbooks, summarizer) parsed from
// YAML; errors name the key and the rule.
#include "server/respond_config.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace opsight::server {
namespace {

namespace respond = aiops::respond;

Result<respond::RespondConfig> parse(const std::string& yaml) {
  return parse_respond_config(YAML::Load(yaml));
}

TEST(RespondConfigTest, ParsesEverySection) {
  auto c = parse(R"(
incidents:
  quiet_period: 10m          # not ours: ignored here
  notify:
    - {name: oncall, type: pagerduty, url: "http://pd:8080/v2/enqueue", routing_key: R0123,
       on: [opened, resolved]}
    - name: tickets
      type: jira
      url: http://jira:8081
      project_key: OPS
      issue_type: Bug
      headers: {Authorization: "Basic dTpw"}
      timeout_ms: 5000
runbooks:
  - {name: restart-payment, type: command, argv: [systemctl, restart, payment], timeout_ms: 30000}
  - name: scale
    type: http
    url: http://deployer:8080/scale
    method: PUT
    body: '{"id": "{{incident.id}}"}'
    max_output_bytes: 4KiB
summarizer: {url: "http://127.0.0.1:8000/v1/chat/completions", model: m, api_key_env: LLM_KEY}
)");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->notify.size(), 2u);
  EXPECT_EQ(c->notify[0].type, respond::NotifyType::kPagerDuty);
  EXPECT_EQ(c->notify[0].routing_key, "R0123");
  EXPECT_EQ(c->notify[0].on,
            (std::vector<respond::IncidentChange>{respond::IncidentChange::kOpened,
                                                  respond::IncidentChange::kResolved}));
  EXPECT_EQ(c->notify[1].issue_type, "Bug");
  EXPECT_EQ(c->notify[1].headers[0].second, "Basic dTpw");
  EXPECT_EQ(c->notify[1].timeout_ms, 5000);
  ASSERT_EQ(c->runbooks.size(), 2u);
  EXPECT_EQ(c->runbooks[0].argv, (std::vector<std::string>{"systemctl", "restart", "payment"}));
  EXPECT_EQ(c->runbooks[0].timeout_ms, 30000);
  EXPECT_EQ(c->runbooks[1].type, respond::RunbookType::kHttp);
  EXPECT_EQ(c->runbooks[1].method, "PUT");
  EXPECT_EQ(c->runbooks[1].max_output_bytes, 4096u);
  EXPECT_EQ(c->summarizer.model, "m");
  EXPECT_EQ(c->summarizer.api_key_env, "LLM_KEY");
}

TEST(RespondConfigTest, AbsentMeansOff) {
  auto c = parse("data_dir: /tmp/x\n");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->notify.empty());
  EXPECT_TRUE(c->runbooks.empty());
  EXPECT_TRUE(c->summarizer.url.empty());
}

TEST(RespondConfigTest, ErrorsNameTheKeyAndRule) {
  auto expect_error = [](const std::string& yaml, const std::string& text) {
    auto c = parse(yaml);
    ASSERT_FALSE(c.ok()) << yaml;
    EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
    EXPECT_NE(c.status().message().find(text), std::string::npos) << c.status().message();
  };
  expect_error("incidents: {notify: [{name: a, type: pagerduty, url: 'http://x:1'}]}",
               "config: incidents.notify[0].routing_key is required");
  expect_error("incidents: {notify: [{name: a, type: teams, url: 'http://x:1'}]}",
               "incidents.notify[0].type \"teams\" must be one of");
  expect_error("incidents: {notify: [{name: a, type: slack, url: 'http://x:1', colour: red}]}",
               "unknown key \"incidents.notify[0].colour\"");
  expect_error("incidents: {notify: [{name: a, type: slack, url: 'http://x:1', on: [closed]}]}",
               "incidents.notify[0].on \"closed\"");
  expect_error("runbooks: [{name: x, type: command, argv: [/bin/true], timeout_ms: 600000}]",
               "config: runbooks[0].timeout_ms must be between");
  expect_error("runbooks: [{name: x, type: command, argv: [/bin/true], timeout_ms: soon}]",
               "runbooks[0].timeout_ms must be a whole number");
  expect_error("runbooks: [{name: x, type: shell, argv: [ls]}]",
               "runbooks[0].type \"shell\" must be http or command");
  expect_error(
      "runbooks: [{name: x, type: command, argv: [a]}, {name: x, type: command, "
      "argv: [b]}]",
      "runbooks[1].name \"x\" is used twice");
  expect_error("summarizer: {url: 'https://api.openai.com/v1/chat/completions', model: m}",
               "summarizer.url is https://");
  expect_error("summarizer: {url: 'http://x:1/v1/chat/completions', model: m, temp: 1}",
               "unknown key \"summarizer.temp\"");
}

}  // namespace
}  // namespace opsight::server
