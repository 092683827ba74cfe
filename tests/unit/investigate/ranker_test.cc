#include "aiops/investigate/ranker.h"

#include <gtest/gtest.h>

namespace opsight::aiops {
namespace {

constexpr int64_t kT = 1'700'000'000'000;

ComponentFinding finding(std::string component, std::string kind, double strength,
                         int64_t onset_ms) {
  ComponentFinding f;
  f.component = std::move(component);
  f.kind = std::move(kind);
  f.strength = strength;
  f.onset_ms = onset_ms;
  f.clause = f.component + " " + f.kind + " clause";
  return f;
}

const Hypothesis* find(const std::vector<Hypothesis>& hs, const std::string& service) {
  for (const Hypothesis& h : hs) {
    if (h.service == service) return &h;
  }
  return nullptr;
}

TEST(RankerTest, CombinesFindingsWithANoisyOr) {
  auto hs = rank({finding("a", "errors", 0.5, kT), finding("a", "latency", 0.5, kT),
                  finding("b", "saturation", 0.5, kT), finding("c", "logs", 0.4, kT)},
                 {}, {}, 5);
  ASSERT_EQ(hs.size(), 3u);
  EXPECT_EQ(hs[0].service, "a");
  EXPECT_DOUBLE_EQ(hs[0].score, 0.75);
  EXPECT_EQ(hs[0].rank, 1);
  EXPECT_EQ(hs[1].service, "b");
  EXPECT_DOUBLE_EQ(hs[1].score, 0.3);  // 0.6 x 0.5
  EXPECT_EQ(hs[2].service, "c");
  EXPECT_DOUBLE_EQ(hs[2].score, 0.2);  // 0.5 x 0.4
  EXPECT_EQ(hs[2].rank, 3);
  EXPECT_EQ(
      rank({finding("a", "errors", 0.5, kT), finding("b", "errors", 0.4, kT)}, {}, {}, 1).size(),
      1u);
}

TEST(RankerTest, OnsetOrderingDemotesTheCallerOfAnEarlierCallee) {
  const std::set<CallEdge> edges = {{"frontend", "checkout"}, {"checkout", "payment"}};
  // checkout's latency is stronger, but payment (its callee) deviated 40 s earlier.
  auto hs = rank(
      {finding("checkout", "latency", 0.8, kT + 40'000), finding("payment", "latency", 0.7, kT)},
      edges, {}, 5);
  ASSERT_EQ(hs.size(), 2u);
  EXPECT_EQ(hs[0].service, "payment");
  EXPECT_DOUBLE_EQ(hs[0].score, 0.7);
  EXPECT_EQ(hs[1].service, "checkout");
  EXPECT_DOUBLE_EQ(hs[1].score, 0.4);
  // Reached through another service: frontend -> checkout -> payment.
  hs = rank({finding("frontend", "errors", 0.9, kT), finding("payment", "dependency", 0.6, kT)},
            edges, {}, 5);
  EXPECT_EQ(hs[0].service, "payment");
  EXPECT_DOUBLE_EQ(find(hs, "frontend")->score, 0.45);
}

TEST(RankerTest, ACallerThatDeviatedFirstKeepsItsScore) {
  const std::set<CallEdge> edges = {{"checkout", "payment"}};
  auto hs = rank(
      {finding("checkout", "latency", 0.8, kT), finding("payment", "latency", 0.7, kT + 40'000)},
      edges, {}, 5);
  EXPECT_EQ(hs[0].service, "checkout");
  EXPECT_DOUBLE_EQ(hs[0].score, 0.8);
  // A different kind of deviation in the callee does not make the caller a victim.
  hs = rank(
      {finding("checkout", "latency", 0.8, kT + 40'000), finding("payment", "errors", 0.7, kT)},
      edges, {}, 5);
  EXPECT_DOUBLE_EQ(find(hs, "checkout")->score, 0.8);
  // Nor does a much weaker one.
  hs = rank(
      {finding("checkout", "latency", 0.8, kT + 40'000), finding("payment", "latency", 0.3, kT)},
      edges, {}, 5);
  EXPECT_DOUBLE_EQ(find(hs, "checkout")->score, 0.8);
}

TEST(RankerTest, TheServiceHintBoostsItAndWhatItCalls) {
  const std::set<CallEdge> edges = {{"checkout", "payment"}};
  const std::vector<ComponentFinding> fs = {finding("payment", "latency", 0.5, kT),
                                            finding("inventory", "latency", 0.55, kT)};
  auto hs = rank(fs, edges, {}, 5);
  EXPECT_EQ(hs[0].service, "inventory");
  InvestigationRequest req;
  req.service = "checkout";  // reaches payment
  hs = rank(fs, edges, req, 5);
  EXPECT_EQ(hs[0].service, "payment");
  EXPECT_DOUBLE_EQ(hs[0].score, 0.6);
  req.service = "inventory";
  hs = rank({finding("inventory", "errors", 0.95, kT)}, edges, req, 5);
  EXPECT_DOUBLE_EQ(hs[0].score, 1.0);  // clipped
}

TEST(RankerTest, AChangeIsABoostOnly) {
  // A change alone, long before anything else deviated: no hypothesis of its own.
  auto hs = rank(
      {finding("payment", "latency", 0.6, kT), finding("search", "change", 0.9, kT - 3'600'000)},
      {}, {}, 5);
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_EQ(hs[0].service, "payment");
  // Shortly before the onset it counts.
  hs = rank({finding("payment", "latency", 0.6, kT), finding("search", "change", 0.9, kT - 60'000)},
            {}, {}, 5);
  ASSERT_EQ(hs.size(), 2u);
  EXPECT_DOUBLE_EQ(find(hs, "search")->score, 0.45);
  // With another finding of the same component it boosts it.
  hs = rank(
      {finding("payment", "latency", 0.6, kT), finding("payment", "change", 0.8, kT - 3'600'000)},
      {}, {}, 5);
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_DOUBLE_EQ(hs[0].score, 1 - 0.4 * 0.6);
  EXPECT_EQ(hs[0].kind, "latency");
  EXPECT_NE(hs[0].explanation.find("payment change clause"), std::string::npos);
}

TEST(RankerTest, SymptomsOnlyExplain) {
  const std::set<CallEdge> edges = {{"checkout", "payment"}};
  ComponentFinding lead = finding("payment", "latency", 0.9, kT);
  lead.operation = "POST /charges";
  lead.clause = "payment latency rose 8.1x at 22:13:20";
  lead.facts = {{"share", 0.92}, {"measure", 0}};
  Evidence e;
  e.type = "trace";
  e.link = "/api/v1/traces/00";
  lead.evidence.push_back(e);
  ComponentFinding symptom = finding("checkout", "symptom", 0, kT + 40'000);
  symptom.facts = {{"measure", 1}};
  ComponentFinding change = finding("payment", "change", 0.7, kT - 40'000);
  change.clause = "payment was deployed v2.3.1 at 22:12:40";
  auto hs = rank({lead, symptom, change}, edges, {}, 5);
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_EQ(hs[0].component, "payment POST /charges");
  EXPECT_EQ(hs[0].onset_ms, kT);
  EXPECT_EQ(hs[0].evidence.size(), 1u);
  EXPECT_EQ(hs[0].explanation,
            "payment latency rose 8.1x at 22:13:20, 40 s before checkout's errors; 92% of the "
            "window's extra time is spent in payment POST /charges; payment was deployed v2.3.1 "
            "at 22:12:40");
}

}  // namespace
}  // namespace opsight::aiops
