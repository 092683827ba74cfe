#include "aiops/investigate/change_analysis.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "events/change_event.h"
#include "events/event_store.h"
#include "testing/temp_dir.h"

namespace opsight::aiops {
namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kStart = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
constexpr int64_t kEnd = kStart + 15 * kMinute;

AnalysisWindow window() {
  return AnalysisWindow{storage::Tenant{}, kStart - 60 * kMinute, kStart, kEnd};
}

class ChangeAnalysisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = events::EventStore::open({dir_.path() + "/events.db"});
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(*s);
  }
  void record(const std::string& service, const std::string& kind, const std::string& version,
              int64_t t, const storage::Tenant& tenant = {}) {
    events::ChangeEvent c;
    c.service = service;
    c.kind = kind;
    c.version = version;
    c.author = "ci";
    c.time_ms = t;
    ASSERT_TRUE(store_->put(events::change_to_event(tenant, c)).ok());
  }

  testing::TempDir dir_{"change_analysis_test"};
  std::unique_ptr<events::EventStore> store_;
};

TEST_F(ChangeAnalysisTest, DeployJustBeforeTheWindowIsAStrongFinding) {
  record("svc-a", "deploy", "v2.3.1", kStart - 2 * kMinute);
  auto found = analyze_changes(*store_, window());
  ASSERT_TRUE(found.ok()) << found.status().to_string();
  ASSERT_EQ(found->size(), 1u);
  const ComponentFinding& f = (*found)[0];
  EXPECT_EQ(f.component, "svc-a");
  EXPECT_EQ(f.component_type, "service");
  EXPECT_EQ(f.kind, "change");
  EXPECT_NEAR(f.strength, 0.9, 1e-9);
  EXPECT_EQ(f.onset_ms, kStart - 2 * kMinute);
  EXPECT_NEAR(f.facts.at("minutes_before_start"), 2, 1e-9);
  EXPECT_EQ(f.clause, "svc-a was deployed v2.3.1 at 22:11:20");
  ASSERT_EQ(f.evidence.size(), 1u);
  const Evidence& e = f.evidence[0];
  EXPECT_EQ(e.type, "change");
  EXPECT_EQ(e.data_json.rfind("{\"event\":{", 0), 0u) << e.data_json;
  EXPECT_NE(e.data_json.find("\"source\":\"opsight.change\""), std::string::npos);
  EXPECT_NE(e.data_json.find("v2.3.1"), std::string::npos);
  EXPECT_EQ(e.link, "/api/v1/events/change?service=svc-a&start=" +
                        std::to_string(kStart - 30 * kMinute) + "&end=" + std::to_string(kEnd));
}

TEST_F(ChangeAnalysisTest, OldChangesAndOtherTenantsGiveNothing) {
  record("svc-a", "deploy", "v1", kStart - 180 * kMinute);
  record("svc-b", "deploy", "v9", kStart - 2 * kMinute, storage::Tenant{"111122223333", "local"});
  auto found = analyze_changes(*store_, window());
  ASSERT_TRUE(found.ok()) << found.status().to_string();
  EXPECT_TRUE(found->empty());
}

TEST_F(ChangeAnalysisTest, StrengthDecaysAwayFromTheStart) {
  record("early", "config", "c7", kStart - 25 * kMinute);  // 10 min before the peak interval
  record("late", "scale", "", kStart + 10 * kMinute);      // 5 min after it
  record("near", "flag", "", kStart);
  auto found = analyze_changes(*store_, window());
  ASSERT_TRUE(found.ok()) << found.status().to_string();
  ASSERT_EQ(found->size(), 3u);
  EXPECT_EQ((*found)[0].component, "near");
  EXPECT_NEAR((*found)[0].strength, 0.9, 1e-9);
  EXPECT_EQ((*found)[0].clause, "a feature flag of near was flipped at 22:13:20");
  EXPECT_EQ((*found)[1].component, "late");
  EXPECT_NEAR((*found)[1].strength, 0.9 * std::exp(-0.5), 1e-9);
  EXPECT_EQ((*found)[2].component, "early");
  EXPECT_NEAR((*found)[2].strength, 0.9 * std::exp(-2.0), 1e-9);
  EXPECT_EQ((*found)[2].clause, "early's configuration changed (c7) at 21:48:20");
}

TEST_F(ChangeAnalysisTest, SeveralChangesOfOneServiceAreOneFinding) {
  record("svc-a", "deploy", "v2", kStart - 20 * kMinute);
  record("svc-a", "deploy", "v3", kStart - 5 * kMinute);
  auto found = analyze_changes(*store_, window());
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].clause, "svc-a was deployed v3 at 22:08:20");
  EXPECT_EQ((*found)[0].facts.at("changes"), 2.0);
  EXPECT_EQ((*found)[0].evidence.size(), 2u);
}

}  // namespace
}  // namespace opsight::aiops
