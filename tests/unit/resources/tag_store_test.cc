#include "resources/tag_store.h"

#include <gtest/gtest.h>

#include <string>

#include "testing/temp_dir.h"

namespace opsight::resources {
namespace {

constexpr std::string_view kArn = "arn:aws:cloudwatch:local:000000000000:alarm:cpu";

class TagStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = storage::meta::MetaStore::open(dir_.file("meta.db"), &clock_);
    ASSERT_TRUE(m.ok());
    meta_ = std::move(*m);
    store_ = std::make_unique<TagStore>(meta_.get());
  }
  testing::TempDir dir_{"tag_store"};
  ManualClock clock_{5'000};
  std::unique_ptr<storage::meta::MetaStore> meta_;
  std::unique_ptr<TagStore> store_;
  storage::Tenant tenant_;
};

TEST_F(TagStoreTest, TagOverwriteUntagAndRemoveAll) {
  ASSERT_TRUE(store_->tag(tenant_, kArn, {{"team", "web"}, {"env", "prod"}}).ok());
  ASSERT_TRUE(store_->tag(tenant_, kArn, {{"env", "dev"}}).ok());
  auto tags = store_->list(tenant_, kArn);
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(*tags, (Tags{{"env", "dev"}, {"team", "web"}}));

  ASSERT_TRUE(store_->untag(tenant_, kArn, {"team", "absent"}).ok());
  EXPECT_EQ(*store_->list(tenant_, kArn), (Tags{{"env", "dev"}}));

  // Another tenant does not see them.
  storage::Tenant other{"111111111111", "local"};
  EXPECT_TRUE(store_->list(other, kArn)->empty());

  // Untagging the last key leaves no object behind; remove_all of nothing is fine.
  ASSERT_TRUE(store_->untag(tenant_, kArn, {"env"}).ok());
  EXPECT_EQ(meta_->get(tenant_, "tags", kArn).status().code(), Code::kNotFound);
  ASSERT_TRUE(store_->tag(tenant_, kArn, {{"a", "1"}}).ok());
  ASSERT_TRUE(store_->remove_all(tenant_, kArn).ok());
  EXPECT_TRUE(store_->list(tenant_, kArn)->empty());
  EXPECT_TRUE(store_->remove_all(tenant_, kArn).ok());
}

TEST_F(TagStoreTest, RulesRejectTheWholeCall) {
  auto reserved = store_->tag(tenant_, kArn, {{"ok", "1"}, {"aws:owner", "x"}});
  EXPECT_EQ(reserved.code(), Code::kInvalidArgument);
  EXPECT_NE(reserved.message().find("aws:owner"), std::string::npos);
  EXPECT_TRUE(store_->list(tenant_, kArn)->empty());  // "ok" was not applied either

  EXPECT_EQ(store_->tag(tenant_, kArn, {{"", "v"}}).code(), Code::kInvalidArgument);
  EXPECT_EQ(store_->tag(tenant_, kArn, {{"k", std::string(257, 'v')}}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(store_->tag(tenant_, kArn, {{std::string(129, 'k'), "v"}}).code(),
            Code::kInvalidArgument);

  Tags fifty;
  for (int i = 0; i < 50; ++i) fifty.emplace("k" + std::to_string(i), "v");
  ASSERT_TRUE(store_->tag(tenant_, kArn, fifty).ok());
  auto over = store_->tag(tenant_, kArn, {{"one-more", "v"}});
  EXPECT_EQ(over.code(), Code::kInvalidArgument);
  EXPECT_NE(over.message().find("LimitExceeded"), std::string::npos);
  EXPECT_EQ(store_->list(tenant_, kArn)->size(), 50u);
  // Overwriting an existing key at the limit is fine.
  EXPECT_TRUE(store_->tag(tenant_, kArn, {{"k0", "w"}}).ok());
}

}  // namespace
}  // namespace opsight::resources
