#include "aiops/investigate/investigation_store.h"

#include <gtest/gtest.h>

#include <set>

#include "testing/temp_dir.h"

namespace opsight::aiops {
namespace {

constexpr int64_t kDay = 24LL * 3600 * 1000;
constexpr int64_t kT = 1'700'000'000'000;

InvestigationRecord record(std::string id, int64_t created_ms, storage::Tenant tenant = {}) {
  InvestigationRecord r;
  r.id = std::move(id);
  r.tenant = std::move(tenant);
  r.request_json = R"({"start":1,"end":2})";
  r.status = "running";
  r.created_ms = created_ms;
  return r;
}

class InvestigationStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void open() {
    store_.reset();
    auto s = InvestigationStore::open(dir_.file("investigations.db"));
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(*s);
  }
  testing::TempDir dir_{"investigation_store_test"};
  std::unique_ptr<InvestigationStore> store_;
};

TEST_F(InvestigationStoreTest, PutGetAndUpdate) {
  InvestigationRecord r = record("00000000000000a1", kT);
  ASSERT_TRUE(store_->put(r).ok());
  auto got = store_->get({}, r.id);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(*got, r);
  r.status = "complete";
  r.result_json = R"({"id":"00000000000000a1","hypotheses":[]})";
  r.completed_ms = kT + 900;
  ASSERT_TRUE(store_->put(r).ok());
  got = store_->get({}, r.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, r);
  // Another tenant does not see it.
  got = store_->get({"000000000002", "local"}, r.id);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Code::kNotFound);
  EXPECT_EQ(store_->get({}, "ffffffffffffffff").status().code(), Code::kNotFound);
}

TEST_F(InvestigationStoreTest, RejectsBadRecords) {
  InvestigationRecord r = record("", kT);
  EXPECT_EQ(store_->put(r).code(), Code::kInvalidArgument);
  r.id = "00000000000000a1";
  r.status = "done";
  Status st = store_->put(r);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("status"), std::string::npos);
  EXPECT_EQ(store_->list({}, 0).status().code(), Code::kInvalidArgument);
}

TEST_F(InvestigationStoreTest, ListsNewestFirstPerTenant) {
  ASSERT_TRUE(store_->put(record("0000000000000001", kT)).ok());
  ASSERT_TRUE(store_->put(record("0000000000000002", kT + 2000)).ok());
  ASSERT_TRUE(store_->put(record("0000000000000003", kT + 1000)).ok());
  ASSERT_TRUE(store_->put(record("0000000000000004", kT + 5000, {"000000000002", "local"})).ok());
  auto l = store_->list({}, 10);
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->size(), 3u);
  EXPECT_EQ((*l)[0].id, "0000000000000002");
  EXPECT_EQ((*l)[1].id, "0000000000000003");
  EXPECT_EQ((*l)[2].id, "0000000000000001");
  l = store_->list({}, 2);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->size(), 2u);
}

TEST_F(InvestigationStoreTest, PurgesPastTheRetentionAndSurvivesReopen) {
  ASSERT_TRUE(store_->put(record("0000000000000001", kT - 31 * kDay)).ok());
  ASSERT_TRUE(store_->put(record("0000000000000002", kT - 29 * kDay)).ok());
  auto n = store_->purge_expired(kT);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1u);
  open();
  auto l = store_->list({}, 10);
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->size(), 1u);
  EXPECT_EQ((*l)[0].id, "0000000000000002");
  EXPECT_EQ((*l)[0].request_json, R"({"start":1,"end":2})");
}

TEST(InvestigationIdTest, SixteenHexDigitsAndDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 100; i++) {
    const std::string id = new_investigation_id();
    ASSERT_EQ(id.size(), 16u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 100u);
}

}  // namespace
}  // namespace opsight::aiops
