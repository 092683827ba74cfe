#include "resources/query_definitions.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace opsight::resources {
namespace {

class QueryDefinitionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = storage::meta::MetaStore::open(dir_.file("meta.db"), &clock_);
    ASSERT_TRUE(m.ok());
    meta_ = std::move(*m);
    store_ = std::make_unique<QueryDefinitionStore>(meta_.get());
  }
  testing::TempDir dir_{"query_definitions"};
  ManualClock clock_{5'000};
  std::unique_ptr<storage::meta::MetaStore> meta_;
  std::unique_ptr<QueryDefinitionStore> store_;
  storage::Tenant tenant_;
};

TEST_F(QueryDefinitionStoreTest, CreateReplaceListDelete) {
  auto id = store_->put(tenant_, {"", "errors/web", "filter @message like /ERROR/", {"/web"}, 0});
  ASSERT_TRUE(id.ok()) << id.status().to_string();
  EXPECT_EQ(id->size(), 36u);
  EXPECT_EQ((*id)[14], '4');  // version-4 UUID
  auto id2 = store_->put(tenant_, {"", "all", "fields @message", {}, 0});
  ASSERT_TRUE(id2.ok());
  EXPECT_NE(*id, *id2);

  clock_.set_ms(9'000);
  auto replaced = store_->put(tenant_, {*id, "errors/api", "fields @timestamp", {"/api"}, 0});
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(*replaced, *id);

  auto list = store_->list(tenant_, "");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "all");
  EXPECT_EQ((*list)[1].name, "errors/api");
  EXPECT_EQ((*list)[1].query_string, "fields @timestamp");
  EXPECT_EQ((*list)[1].log_group_names, std::vector<std::string>{"/api"});
  EXPECT_EQ((*list)[1].last_modified_ms, 9'000);
  EXPECT_EQ(store_->list(tenant_, "errors")->size(), 1u);
  EXPECT_TRUE(store_->list(storage::Tenant{"111111111111", "local"}, "")->empty());

  auto unknown = store_->put(tenant_, {"no-such-id", "x", "y", {}, 0});
  EXPECT_EQ(unknown.status().code(), Code::kNotFound);
  EXPECT_TRUE(unknown.status().message().starts_with("ResourceNotFoundException: "));

  ASSERT_TRUE(store_->remove(tenant_, *id).ok());
  EXPECT_EQ(store_->remove(tenant_, *id).code(), Code::kNotFound);
  EXPECT_EQ(store_->list(tenant_, "")->size(), 1u);
}

TEST(QueryDefinitionRules, ValidatesTheDocumentedConstraints) {
  auto valid = [](QueryDefinition d) { return validate_query_definition(d).ok(); };
  EXPECT_TRUE(valid({"", "a/b/c", "fields @message", {"/g"}, 0}));
  EXPECT_FALSE(valid({"", "", "q", {}, 0}));
  EXPECT_FALSE(valid({"", "/leading", "q", {}, 0}));
  EXPECT_FALSE(valid({"", "trailing/", "q", {}, 0}));
  EXPECT_FALSE(valid({"", "a*b", "q", {}, 0}));
  EXPECT_FALSE(valid({"", "a:b", "q", {}, 0}));
  EXPECT_FALSE(valid({"", std::string(256, 'n'), "q", {}, 0}));
  EXPECT_FALSE(valid({"", "n", "", {}, 0}));
  EXPECT_FALSE(valid({"", "n", std::string(10'001, 'q'), {}, 0}));
  EXPECT_FALSE(valid({"", "n", "q", {"bad group!"}, 0}));
  EXPECT_FALSE(valid({"", "n", "q", std::vector<std::string>(51, "/g"), 0}));
  Status st = validate_query_definition({"", "", "q", {}, 0});
  EXPECT_TRUE(st.message().starts_with("InvalidParameterException: "));
}

}  // namespace
}  // namespace opsight::resources
