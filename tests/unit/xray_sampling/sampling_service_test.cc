#include "apm/xray_sampling/sampling_service.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <filesystem>
#include <random>

namespace opsight::apm::xray {
namespace {

constexpr std::string_view kClientA = "aaaaaaaaaaaaaaaaaaaaaaaa";
constexpr std::string_view kClientB = "bbbbbbbbbbbbbbbbbbbbbbbb";

SamplingRule rule(std::string name, int64_t priority, double rate, int64_t reservoir) {
  SamplingRule r;
  r.rule_name = std::move(name);
  r.priority = priority;
  r.fixed_rate = rate;
  r.reservoir_size = reservoir;
  r.service_name = "checkout";
  return r;
}

SamplingStatisticsDocument stats(std::string_view rule_name, std::string_view client,
                                 int64_t requests = 0, int64_t sampled = 0) {
  return {std::string(rule_name), std::string(client), requests, sampled, 0, 0};
}

class SamplingServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/opsight-sampling-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto m = storage::meta::MetaStore::open(dir_ + "/meta.db", &clock_);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    meta_ = std::move(*m);
    service_ = std::make_unique<SamplingService>(meta_.get(), &clock_);
  }
  void TearDown() override {
    service_.reset();
    meta_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  ManualClock clock_{1'700'000'000'000};
  std::unique_ptr<storage::meta::MetaStore> meta_;
  std::unique_ptr<SamplingService> service_;
  storage::Tenant t_;
};

TEST(SamplingArithmeticTest, FleetRate) {
  // The issue's example: reservoir 50, rate 10%, 100 matching requests/s -> 55 sampled/s.
  EXPECT_DOUBLE_EQ(expected_sampled_per_second(50, 0.1, 100), 55);
  EXPECT_DOUBLE_EQ(expected_sampled_per_second(50, 0.1, 30), 30);
  EXPECT_DOUBLE_EQ(expected_sampled_per_second(0, 1.0, 30), 30);
  EXPECT_DOUBLE_EQ(expected_sampled_per_second(1, 0.05, 21), 2);
}

TEST(SamplingArithmeticTest, ReservoirSharesAddUp) {
  EXPECT_EQ(reservoir_share(50, 2, 0), 25);
  EXPECT_EQ(reservoir_share(50, 2, 1), 25);
  EXPECT_EQ(reservoir_share(5, 3, 0) + reservoir_share(5, 3, 1) + reservoir_share(5, 3, 2), 5);
  EXPECT_EQ(reservoir_share(5, 3, 0), 2);
  EXPECT_EQ(reservoir_share(5, 3, 2), 1);
  EXPECT_EQ(reservoir_share(1, 4, 3), 0);
  EXPECT_EQ(reservoir_share(10, 0, 0), 0);
}

TEST_F(SamplingServiceTest, DefaultRuleAlwaysExists) {
  auto rules = service_->rules(t_);
  ASSERT_TRUE(rules.ok());
  ASSERT_EQ(rules->size(), 1u);
  EXPECT_EQ((*rules)[0].rule, default_sampling_rule());
  EXPECT_EQ((*rules)[0].rule.priority, 10000);
  EXPECT_EQ((*rules)[0].rule.reservoir_size, 1);
  EXPECT_DOUBLE_EQ((*rules)[0].rule.fixed_rate, 0.05);
  EXPECT_EQ(service_->delete_rule(t_, "Default").status().code(), Code::kInvalidArgument);
  // It can change rate and reservoir only.
  SamplingRuleUpdate u;
  u.rule_name = "Default";
  u.fixed_rate = 0.5;
  ASSERT_TRUE(service_->update_rule(t_, u).ok());
  u.service_name = "x";
  EXPECT_EQ(service_->update_rule(t_, u).status().code(), Code::kInvalidArgument);
  EXPECT_DOUBLE_EQ(service_->rules(t_)->back().rule.fixed_rate, 0.5);
}

TEST_F(SamplingServiceTest, CreateUpdateDeleteAndOrder) {
  ASSERT_TRUE(service_->create_rule(t_, rule("b", 5, 0.1, 2)).ok());
  ASSERT_TRUE(service_->create_rule(t_, rule("a", 5, 0.1, 2)).ok());
  ASSERT_TRUE(service_->create_rule(t_, rule("first", 1, 0.1, 2)).ok());
  EXPECT_EQ(service_->create_rule(t_, rule("a", 7, 0.1, 2)).status().code(), Code::kAlreadyExists);
  auto bad = service_->create_rule(t_, rule("c", 0, 0.1, 2));
  EXPECT_EQ(bad.status().message(), "Priority must be 1..9999 (got 0)");
  EXPECT_EQ(service_->create_rule(t_, rule("c", 1, 1.5, 2)).status().message(),
            "FixedRate must be 0..1 (got 1.5)");
  auto rules = service_->rules(t_);
  ASSERT_TRUE(rules.ok());
  std::vector<std::string> names;
  for (const auto& r : *rules) names.push_back(r.rule.rule_name);
  EXPECT_EQ(names, (std::vector<std::string>{"first", "a", "b", "Default"}));

  const int64_t before = service_->last_rule_modification_ms(t_);
  clock_.advance_ms(1000);
  SamplingRuleUpdate u;
  u.rule_name = "a";
  u.reservoir_size = 9;
  auto updated = service_->update_rule(t_, u);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->rule.reservoir_size, 9);
  EXPECT_EQ(updated->rule.service_name, "checkout");
  EXPECT_EQ(updated->modified_ms, clock_.now_ms());
  EXPECT_GT(service_->last_rule_modification_ms(t_), before);
  u.rule_name = "zzz";
  EXPECT_EQ(service_->update_rule(t_, u).status().code(), Code::kNotFound);
  ASSERT_TRUE(service_->delete_rule(t_, "a").ok());
  EXPECT_EQ(service_->delete_rule(t_, "a").status().code(), Code::kNotFound);
  EXPECT_EQ(service_->rules(t_)->size(), 3u);
}

TEST_F(SamplingServiceTest, ReservoirIsDividedAmongActiveClients) {
  ASSERT_TRUE(service_->create_rule(t_, rule("r", 1, 0.1, 50)).ok());
  // One client alone gets the whole reservoir.
  std::vector<SamplingStatisticsDocument> docs = {stats("r", kClientA, 100, 55)};
  auto t = service_->targets(t_, docs);
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->documents.size(), 1u);
  EXPECT_EQ(t->documents[0].reservoir_quota, 50);
  EXPECT_DOUBLE_EQ(t->documents[0].fixed_rate, 0.1);
  EXPECT_EQ(t->documents[0].reservoir_quota_ttl_ms, clock_.now_ms() + 60'000);
  EXPECT_EQ(t->documents[0].interval_s, 10);
  // A second client reports: each gets half.
  clock_.advance_ms(10'000);
  docs = {stats("r", kClientB, 50, 27)};
  t = service_->targets(t_, docs);
  EXPECT_EQ(t->documents[0].reservoir_quota, 25);
  docs = {stats("r", kClientA, 50, 27)};
  t = service_->targets(t_, docs);
  EXPECT_EQ(t->documents[0].reservoir_quota, 25);
  // B stops reporting; after the client TTL A has the whole reservoir again.
  clock_.advance_ms(31'000);
  t = service_->targets(t_, docs);
  EXPECT_EQ(t->documents[0].reservoir_quota, 50);
}

// Two simulated SDK clients at 50 req/s each, following the SDK's decision (take from the quota,
// then FixedRate), sample 55/s together: reservoir 50 split 25/25, plus 10% of the rest.
TEST_F(SamplingServiceTest, FleetOfTwoSamplesFiftyFivePerSecond) {
  ASSERT_TRUE(service_->create_rule(t_, rule("r", 1, 0.1, 50)).ok());
  std::vector<SamplingStatisticsDocument> docs = {stats("r", kClientA), stats("r", kClientB)};
  auto t = service_->targets(t_, docs);
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->documents.size(), 2u);
  const int64_t quotas[2] = {t->documents[0].reservoir_quota, t->documents[1].reservoir_quota};
  EXPECT_EQ(quotas[0], 25);
  EXPECT_EQ(quotas[1], 25);
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0, 1);
  constexpr int kSeconds = 2000;
  int64_t sampled = 0;
  for (int sec = 0; sec < kSeconds; sec++) {
    for (int c = 0; c < 2; c++) {
      int64_t taken = 0;
      for (int req = 0; req < 50; req++) {
        if (taken < quotas[c]) {
          taken++;
          sampled++;
        } else if (u(rng) < t->documents[c].fixed_rate) {
          sampled++;
        }
      }
    }
  }
  const double per_second = static_cast<double>(sampled) / kSeconds;
  EXPECT_NEAR(per_second, expected_sampled_per_second(50, 0.1, 100), 0.5);
}

TEST_F(SamplingServiceTest, UnknownRulesAreUnprocessedAndStatisticsAreSummed) {
  ASSERT_TRUE(service_->create_rule(t_, rule("r", 1, 0.1, 2)).ok());
  std::vector<SamplingStatisticsDocument> docs = {stats("r", kClientA, 10, 3),
                                                  stats("nope", kClientA, 1, 1)};
  docs[0].borrow_count = 1;
  auto t = service_->targets(t_, docs);
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->unprocessed.size(), 1u);
  EXPECT_EQ(t->unprocessed[0].rule_name, "nope");
  EXPECT_EQ(t->unprocessed[0].error_code, "400");
  docs.pop_back();
  ASSERT_TRUE(service_->targets(t_, docs).ok());
  auto s = service_->statistic_summaries(t_);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].rule_name, "r");
  EXPECT_EQ(s[0].request_count, 20);
  EXPECT_EQ(s[0].sampled_count, 6);
  EXPECT_EQ(s[0].borrow_count, 2);
}

TEST(SamplingJsonTest, CreateRequestAndRuleRecords) {
  auto r = parse_create_sampling_rule_request(R"({"SamplingRule": {
      "RuleName": "checkout", "ResourceARN": "*", "Priority": 100, "FixedRate": 0.1,
      "ReservoirSize": 50, "ServiceName": "checkout", "ServiceType": "*", "Host": "*",
      "HTTPMethod": "POST", "URLPath": "/api/*", "Version": 1}})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->rule_name, "checkout");
  EXPECT_EQ(r->http_method, "POST");
  auto missing = parse_create_sampling_rule_request(R"({"SamplingRule": {"RuleName": "x"}})");
  EXPECT_EQ(missing.status().message(), "ResourceARN is required");
  storage::Tenant t;
  SamplingRuleRecord rec{*r, 1'700'000'000'000, 1'700'000'001'500};
  const std::string body =
      get_sampling_rules_response(std::span(&rec, 1), t, TimeStyle::kEpochSeconds);
  // What aws-xray-sdk-core's isRuleValid requires: Version 1, ResourceARN "*", empty
  // Attributes, a ServiceType, RuleName, Priority, numeric FixedRate.
  simdjson::dom::parser p;
  auto doc = p.parse(body);
  auto sr = doc["SamplingRuleRecords"].at(0)["SamplingRule"];
  EXPECT_EQ(int64_t(sr["Version"]), 1);
  EXPECT_EQ(std::string_view(sr["ResourceARN"]), "*");
  EXPECT_EQ(simdjson::dom::object(sr["Attributes"]).size(), 0u);
  EXPECT_EQ(std::string_view(sr["RuleARN"]),
            "arn:aws:xray:local:000000000000:sampling-rule/checkout");
  EXPECT_DOUBLE_EQ(double(doc["SamplingRuleRecords"].at(0)["ModifiedAt"]), 1700000001.5);
}

TEST(SamplingJsonTest, TargetsInBothTimeStyles) {
  SamplingTargets t;
  t.last_rule_modification_ms = 1'700'000'000'250;
  t.documents.push_back({"r", 0.1, 25, 1'700'000'060'000, 10});
  t.documents.push_back({"zero", 1.0, 0, 1'700'000'060'000, 10});
  EXPECT_EQ(
      sampling_targets_response(t, TimeStyle::kEpochSeconds),
      R"({"SamplingTargetDocuments":[)"
      R"({"RuleName":"r","FixedRate":0.1,"ReservoirQuota":25,"ReservoirQuotaTTL":1700000060,"Interval":10},)"
      R"({"RuleName":"zero","FixedRate":1,"ReservoirQuota":0,"ReservoirQuotaTTL":1700000060,"Interval":10}],)"
      R"("LastRuleModification":1700000000.25,"UnprocessedStatistics":[]})");
  EXPECT_EQ(
      sampling_targets_response(t, TimeStyle::kXraySdkNode),
      R"({"SamplingTargetDocuments":[)"
      R"({"RuleName":"r","FixedRate":0.1,"ReservoirQuota":25,"ReservoirQuotaTTL":"2023-11-14T22:14:20.000Z","Interval":10},)"
      R"({"RuleName":"zero","FixedRate":1,"Interval":10}],)"
      R"("LastRuleModification":1700000000250,"UnprocessedStatistics":[]})");
}

TEST(SamplingJsonTest, TargetsRequest) {
  auto docs = parse_sampling_targets_request(R"({"SamplingStatisticsDocuments":[
      {"RuleName":"Default","ClientID":"0123456789abcdef01234567","RequestCount":10,
       "BorrowCount":1,"SampledCount":2,"Timestamp":1700000000}]})");
  ASSERT_TRUE(docs.ok()) << docs.status().to_string();
  ASSERT_EQ(docs->size(), 1u);
  EXPECT_EQ((*docs)[0].timestamp_ms, 1'700'000'000'000);
  EXPECT_EQ((*docs)[0].borrow_count, 1);
  auto bad = parse_sampling_targets_request(R"({"SamplingStatisticsDocuments":[
      {"RuleName":"Default","ClientID":"short","RequestCount":1,"SampledCount":1}]})");
  EXPECT_EQ(bad.status().message(),
            "SamplingStatisticsDocuments[0]: ClientID must be 24 characters (got 5)");
}

}  // namespace
}  // namespace opsight::apm::xray
