// Rule file parsing and validation (the checks of `promtool check rules`).
#include "rules/rule_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace opsight::rules {
namespace {

constexpr const char* kGood = R"yaml(
groups:
  - name: node
    interval: 30s
    limit: 10
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
        labels:
          source: rules
      - alert: InstanceDown
        expr: up == 0
        for: 5m
        keep_firing_for: 1m
        labels:
          severity: "{{ if eq $labels.job \"db\" }}page{{ else }}ticket{{ end }}"
        annotations:
          summary: "{{ $labels.instance }} down ({{ $value }})"
  - name: empty
)yaml";

Status error_of(std::string_view yaml) {
  return parse_rule_file(yaml, "rules.yml").status();
}

void expect_error(std::string_view yaml, std::string_view want) {
  Status st = error_of(yaml);
  ASSERT_FALSE(st.ok()) << "expected an error containing: " << want;
  EXPECT_NE(st.message().find(want), std::string::npos) << st.message();
}

TEST(RuleFileTest, ParsesGroupsAndRules) {
  auto gs = parse_rule_file(kGood, "rules.yml");
  ASSERT_TRUE(gs.ok()) << gs.status().to_string();
  ASSERT_EQ(gs->size(), 2u);
  const GroupSpec& g = (*gs)[0];
  EXPECT_EQ(g.name, "node");
  EXPECT_EQ(g.file, "rules.yml");
  EXPECT_EQ(g.interval_ms, 30'000);
  EXPECT_EQ(g.limit, 10);
  ASSERT_EQ(g.rules.size(), 2u);
  const RuleSpec& rec = *g.rules[0];
  EXPECT_EQ(rec.type, RuleType::kRecording);
  EXPECT_EQ(rec.name, "job:up:sum");
  EXPECT_EQ(rec.query, "sum by (job) (up)");
  EXPECT_EQ(rec.labels.get("source"), "rules");
  const RuleSpec& al = *g.rules[1];
  EXPECT_EQ(al.type, RuleType::kAlerting);
  EXPECT_EQ(al.name, "InstanceDown");
  EXPECT_EQ(al.for_ms, 300'000);
  EXPECT_EQ(al.keep_firing_for_ms, 60'000);
  EXPECT_EQ(al.label_templates.size(), 1u);
  EXPECT_EQ(al.annotation_templates.size(), 1u);
  EXPECT_EQ((*gs)[1].name, "empty");
  EXPECT_EQ((*gs)[1].interval_ms, 0);  // the global default
  EXPECT_TRUE((*gs)[1].rules.empty());
}

TEST(RuleFileTest, EmptyFileHasNoGroups) {
  auto gs = parse_rule_file("", "x.yml");
  ASSERT_TRUE(gs.ok());
  EXPECT_TRUE(gs->empty());
  gs = parse_rule_file("groups: []\n", "x.yml");
  ASSERT_TRUE(gs.ok());
}

TEST(RuleFileTest, ValidationErrorsNameFileGroupAndRule) {
  expect_error("groups:\n  - name: g\n    rules:\n      - record: 'bad name'\n        expr: up\n",
               "rules.yml: 4:17: group \"g\", rule 1, \"bad name\": invalid recording rule name: "
               "bad name");
  expect_error(
      "groups:\n  - name: g\n    rules:\n      - record: a\n        alert: b\n        "
      "expr: up\n",
      "only one of 'record' and 'alert' must be set");
  expect_error("groups:\n  - name: g\n    rules:\n      - expr: up\n",
               "group \"g\", rule 1: one of 'record' or 'alert' must be set");
  expect_error("groups:\n  - name: g\n    rules:\n      - record: a\n", "field 'expr' must be set");
  expect_error("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sum(up\n",
               "could not parse expression: ");
  expect_error(
      "groups:\n  - name: g\n    rules:\n      - record: a\n        expr: up\n        "
      "for: 1m\n",
      "invalid field 'for' in recording rule");
  expect_error(
      "groups:\n  - name: g\n    rules:\n      - record: a\n        expr: up\n        "
      "annotations: {x: y}\n",
      "invalid field 'annotations' in recording rule");
  expect_error(
      "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        "
      "labels: {__name__: x}\n",
      "invalid label name: __name__");
  expect_error(
      "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        "
      "annotations: {summary: '{{ humanise $value }}'}\n",
      "template annotation summary: function \"humanise\" not defined");
}

TEST(RuleFileTest, StrictKeysAndGroups) {
  expect_error(
      "groups:\n  - name: g\n    rules:\n      - record: a\n        expr: up\n        "
      "lables: {}\n",
      "unknown key \"lables\" in rule");
  expect_error("groups:\n  - name: g\n    intervl: 1m\n", "unknown key \"intervl\" in group");
  expect_error("group:\n  - name: g\n", "unknown key \"group\" in rule file");
  expect_error("groups:\n  - name: g\n  - name: g\n",
               "groupname: \"g\" is repeated in the same file");
  expect_error("groups:\n  - rules: []\n", "Groupname must not be empty");
  expect_error("groups:\n  - name: g\n    interval: soon\n", "invalid \"interval\" duration");
  expect_error("groups:\n  - name: g\n    limit: many\n", "limit must be a whole number");
  expect_error("groups: [\n", "invalid YAML");
}

TEST(RuleFileTest, ReportsEveryProblem) {
  Status st = error_of(
      "groups:\n  - name: g\n    rules:\n      - record: 'x y'\n        expr: up\n      - alert: "
      "A\n        expr: up +\n");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("rule 1"), std::string::npos);
  EXPECT_NE(st.message().find("rule 2"), std::string::npos);
  EXPECT_NE(st.message().find('\n'), std::string::npos);
}

TEST(RuleFileTest, LoadsGlobsRelativeToBaseDir) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "rules_test_XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  std::filesystem::create_directories(tmpl + "/rules.d");
  std::ofstream(tmpl + "/rules.d/a.yml") << kGood;
  std::ofstream(tmpl + "/rules.d/b.yml") << "groups:\n  - name: other\n";
  auto gs = load_rule_files({"rules.d/*.yml", "missing/*.yml"}, tmpl);
  ASSERT_TRUE(gs.ok()) << gs.status().to_string();
  ASSERT_EQ(gs->size(), 3u);
  EXPECT_EQ((*gs)[0].file, tmpl + "/rules.d/a.yml");
  EXPECT_EQ((*gs)[2].name, "other");
  std::ofstream(tmpl + "/rules.d/c.yml") << "groups:\n  - nam: x\n";
  auto bad = load_rule_files({"rules.d/*.yml"}, tmpl);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(tmpl + "/rules.d/c.yml: 2:"), std::string::npos)
      << bad.status().message();
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace opsight::rules
