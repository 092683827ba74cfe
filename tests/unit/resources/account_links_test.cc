#include "resources/account_links.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace opsight::resources {
namespace {

constexpr std::string_view kM = "111111111111";
constexpr std::string_view kS1 = "222222222222";
constexpr std::string_view kS2 = "333333333333";

class AccountLinksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = storage::meta::MetaStore::open(dir_.file("meta.db"), &clock_);
    ASSERT_TRUE(m.ok());
    meta_ = std::move(*m);
    links_ = std::make_unique<AccountLinks>(meta_.get(), &clock_);
  }
  std::vector<std::string> sources(AccountLinks& links, std::string_view m) {
    auto r = links.sources(m);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : std::vector<std::string>{};
  }
  testing::TempDir dir_{"account_links"};
  ManualClock clock_{5'000};
  std::unique_ptr<storage::meta::MetaStore> meta_;
  std::unique_ptr<AccountLinks> links_;
};

TEST_F(AccountLinksTest, LinkListSourcesUnlink) {
  EXPECT_TRUE(sources(*links_, kM).empty());
  ASSERT_TRUE(links_->link(kM, kS2).ok());
  ASSERT_TRUE(links_->link(kM, kS1).ok());
  EXPECT_EQ(sources(*links_, kM), (std::vector<std::string>{std::string(kS1), std::string(kS2)}));
  // A source does not see its monitoring account; links are one-way.
  EXPECT_TRUE(sources(*links_, kS1).empty());

  auto all = links_->list();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0], std::make_pair(std::string(kM), std::string(kS1)));
  EXPECT_EQ((*all)[1], std::make_pair(std::string(kM), std::string(kS2)));

  ASSERT_TRUE(links_->unlink(kM, kS1).ok());
  EXPECT_EQ(sources(*links_, kM), (std::vector<std::string>{std::string(kS2)}));
  // Stored under the system tenant, kind account-link, name "<monitoring>/<source>".
  auto obj = meta_->get(kLinkTenant, kAccountLinkKind, "111111111111/333333333333");
  EXPECT_TRUE(obj.ok());
}

TEST_F(AccountLinksTest, DuplicateAndMissing) {
  ASSERT_TRUE(links_->link(kM, kS1).ok());
  EXPECT_EQ(links_->link(kM, kS1).code(), Code::kAlreadyExists);
  EXPECT_EQ(links_->unlink(kM, kS2).code(), Code::kNotFound);
  EXPECT_EQ(links_->unlink(kS1, kM).code(), Code::kNotFound);
}

TEST_F(AccountLinksTest, RejectsMalformedAccounts) {
  EXPECT_EQ(links_->link(kM, kM).code(), Code::kInvalidArgument);
  EXPECT_EQ(links_->link("12345678901", kS1).code(), Code::kInvalidArgument);
  EXPECT_EQ(links_->link(kM, "12345678901a").code(), Code::kInvalidArgument);
  EXPECT_EQ(links_->link("_system", kS1).code(), Code::kInvalidArgument);
  EXPECT_EQ(links_->unlink(kM, "").code(), Code::kInvalidArgument);
  auto st = links_->link(kM, "abc");
  EXPECT_NE(st.message().find("abc"), std::string::npos);
  EXPECT_TRUE(sources(*links_, "not-an-account").empty());
  EXPECT_TRUE(is_account_id("000000000000"));
  EXPECT_FALSE(is_account_id("0000000000000"));
}

TEST_F(AccountLinksTest, OtherWritersShowAfterTheCacheTtl) {
  AccountLinks other(meta_.get(), &clock_);   // e.g. the CLI in another process
  EXPECT_TRUE(sources(*links_, kM).empty());  // cached
  ASSERT_TRUE(other.link(kM, kS1).ok());
  EXPECT_TRUE(sources(*links_, kM).empty());
  clock_.advance_ms(kLinkCacheTtlMs);
  EXPECT_EQ(sources(*links_, kM), (std::vector<std::string>{std::string(kS1)}));
  ASSERT_TRUE(other.unlink(kM, kS1).ok());
  clock_.advance_ms(kLinkCacheTtlMs);
  EXPECT_TRUE(sources(*links_, kM).empty());

  AccountLinks uncached(meta_.get(), &clock_, 0);
  ASSERT_TRUE(other.link(kM, kS2).ok());
  EXPECT_EQ(sources(uncached, kM), (std::vector<std::string>{std::string(kS2)}));
}

}  // namespace
}  // namespace opsight::resources
