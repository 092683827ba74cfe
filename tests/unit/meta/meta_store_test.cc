#include "storage/meta/meta_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

namespace opsight::storage::meta {
namespace {

class MetaStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/opsight-meta-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    clock_.set_ms(1'700'000'000'000);
    reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void reopen() {
    store_.reset();
    auto s = MetaStore::open(dir_ + "/meta.db", &clock_);
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(*s);
  }

  std::string dir_;
  ManualClock clock_{0};
  std::unique_ptr<MetaStore> store_;
  Tenant t_;
};

TEST_F(MetaStoreTest, PutGetListDeleteSurviveReopen) {
  auto a = store_->put(t_, "alarm", "cpu", R"({"threshold":90})");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->version, 1);
  EXPECT_EQ(a->created_ms, 1'700'000'000'000);
  clock_.advance_ms(5000);
  auto b = store_->put(t_, "alarm", "cpu", R"({"threshold":95})");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->version, 2);
  EXPECT_EQ(b->created_ms, 1'700'000'000'000);
  EXPECT_EQ(b->updated_ms, 1'700'000'005'000);
  ASSERT_TRUE(store_->put(t_, "alarm", "disk", "{}").ok());
  ASSERT_TRUE(store_->put(t_, "dashboard", "main", "{}").ok());

  reopen();
  auto got = store_->get(t_, "alarm", "cpu");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, *b);
  auto list = store_->list(t_, "alarm");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "cpu");
  EXPECT_EQ((*list)[1].name, "disk");

  auto gone = store_->remove(t_, "alarm", "cpu");
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->doc, R"({"threshold":95})");
  EXPECT_EQ(store_->get(t_, "alarm", "cpu").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->remove(t_, "alarm", "cpu").status().code(), Code::kNotFound);
}

TEST_F(MetaStoreTest, ExpectedVersion) {
  ASSERT_TRUE(store_->put(t_, "k", "n", "1", int64_t{0}).ok());
  EXPECT_EQ(store_->put(t_, "k", "n", "2", int64_t{0}).status().code(), Code::kAlreadyExists);
  auto stale = store_->put(t_, "k", "n", "2", int64_t{7});
  EXPECT_EQ(stale.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(stale.status().message(), "k \"n\" is at version 1, not the expected 7");
  ASSERT_TRUE(store_->put(t_, "k", "n", "2", int64_t{1}).ok());
  EXPECT_EQ(store_->put(t_, "k", "other", "x", int64_t{1}).status().code(), Code::kNotFound);
  EXPECT_EQ(store_->remove(t_, "k", "n", int64_t{1}).status().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(store_->remove(t_, "k", "n", int64_t{2}).ok());
  // A failed conditional write leaves the store unchanged.
  EXPECT_EQ(store_->get(t_, "k", "other").status().code(), Code::kNotFound);
}

TEST_F(MetaStoreTest, TenantsAreSeparate) {
  Tenant other{"123456789012", "eu-west-1"};
  ASSERT_TRUE(store_->put(t_, "k", "n", "mine").ok());
  ASSERT_TRUE(store_->put(other, "k", "n", "theirs").ok());
  EXPECT_EQ(store_->get(t_, "k", "n")->doc, "mine");
  EXPECT_EQ(store_->get(other, "k", "n")->doc, "theirs");
  EXPECT_EQ(store_->list(other, "k")->size(), 1u);
}

TEST_F(MetaStoreTest, BadKeysAreRefused) {
  EXPECT_EQ(store_->put(t_, "", "n", "{}").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(store_->put(t_, "k", std::string(kMaxMetaKeyBytes + 1, 'x'), "{}").status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(store_->put(t_, "k", "n", std::string(kMaxMetaDocBytes + 1, ' ')).status().code(),
            Code::kInvalidArgument);
}

TEST_F(MetaStoreTest, ConcurrentConditionalWritesLoseNoUpdate) {
  ASSERT_TRUE(store_->put(t_, "counter", "c", "0").ok());
  constexpr int kThreads = 4, kIncrements = 25;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; i++) {
    threads.emplace_back([&] {
      for (int done = 0; done < kIncrements;) {
        auto cur = store_->get(t_, "counter", "c");
        ASSERT_TRUE(cur.ok());
        const int v = std::stoi(cur->doc);
        if (store_->put(t_, "counter", "c", std::to_string(v + 1), cur->version).ok()) done++;
      }
    });
  }
  for (auto& t : threads) t.join();
  auto final_value = store_->get(t_, "counter", "c");
  ASSERT_TRUE(final_value.ok());
  EXPECT_EQ(final_value->doc, std::to_string(kThreads * kIncrements));
  EXPECT_EQ(final_value->version, 1 + kThreads * kIncrements);
}

TEST_F(MetaStoreTest, UsesWalMode) {
  ASSERT_TRUE(store_->put(t_, "k", "n", "{}").ok());
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/meta.db-wal"));
}

}  // namespace
}  // namespace opsight::storage::meta
