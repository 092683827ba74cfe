// DashboardService (resources/dashboards.h) over a real meta store in a temporary directory.
#include "resources/dashboards.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/clock.h"
#include "testing/temp_dir.h"

namespace opsight::resources {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr std::string_view kBody = R"({"widgets":[{"type":"text","x":0,"y":0,"width":6,"height":3,)"
                                   R"("properties":{"markdown":"hello"}}]})";

class DashboardsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = storage::meta::MetaStore::open(dir_.file("meta.db"), &clock_);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    meta_ = std::move(*m);
    service_ = std::make_unique<DashboardService>(meta_.get());
  }

  testing::TempDir dir_{"dashboards_test"};
  ManualClock clock_{kT0};
  std::unique_ptr<storage::meta::MetaStore> meta_;
  std::unique_ptr<DashboardService> service_;
  storage::Tenant tenant_{"123456789012", "local"};
};

TEST_F(DashboardsTest, PutGetRoundTripsTheBodyVerbatim) {
  auto warnings = service_->put(tenant_, "ops-main_1", kBody);
  ASSERT_TRUE(warnings.ok()) << warnings.status().to_string();
  EXPECT_TRUE(warnings->empty());
  auto d = service_->get(tenant_, "ops-main_1");
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(d->body, kBody);
  EXPECT_EQ(d->name, "ops-main_1");
  EXPECT_EQ(d->arn, "arn:aws:cloudwatch::123456789012:dashboard/ops-main_1");
  EXPECT_EQ(d->size, kBody.size());
  EXPECT_EQ(d->last_modified_ms, kT0);
}

TEST_F(DashboardsTest, NameRules) {
  for (std::string bad : {std::string(""), std::string("has space"), std::string("a/b"),
                          std::string("dots.no"), std::string(256, 'a')}) {
    auto r = service_->put(tenant_, bad, kBody);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.status().message().starts_with("InvalidParameterValue: "))
        << r.status().message();
  }
  EXPECT_TRUE(service_->put(tenant_, std::string(255, 'a'), kBody).ok());
}

TEST_F(DashboardsTest, InvalidBodiesAreRejectedWithTheirDataPaths) {
  struct Case {
    std::string body, expect;
  };
  for (const auto& c : std::vector<Case>{
           {"not json", "must be valid JSON"},
           {"[1]", "must be a JSON object"},
           {"{}", "required property 'widgets'"},
           {R"({"widgets":{}})", "[/widgets] Should be an array"},
           {R"({"widgets":[{"properties":{}}]})",
            "[/widgets/0] Should have required property 'type'"},
           {R"({"widgets":[{"type":"pie","properties":{}}]})", "[/widgets/0/type]"},
           {R"({"widgets":[{"type":"text"}]})", "required property 'properties'"},
           {R"({"widgets":[{"type":"text","width":25,"properties":{"markdown":"x"}}]})",
            "[/widgets/0/width] Should be between 1 and 24"},
           {R"({"widgets":[{"type":"text","x":1.5,"properties":{"markdown":"x"}}]})",
            "[/widgets/0/x] Should be an integer"},
           {R"({"widgets":[{"type":"text","height":0,"properties":{"markdown":"x"}}]})",
            "[/widgets/0/height] Should be between 1 and 1000"},
       }) {
    auto r = service_->put(tenant_, "d", c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_TRUE(r.status().message().starts_with("InvalidParameterInput: "))
        << r.status().message();
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos)
        << c.body << " -> " << r.status().message();
  }
  EXPECT_EQ(service_->get(tenant_, "d").status().code(), Code::kNotFound);
}

TEST_F(DashboardsTest, WarningsDoNotStopThePut) {
  auto w = service_->put(
      tenant_, "warn",
      R"({"widgets":[{"type":"metric","x":20,"width":6,"properties":{}},)"
      R"({"type":"text","properties":{}},{"type":"alarm","properties":{"alarms":[]}}]})");
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  ASSERT_EQ(w->size(), 3u);
  EXPECT_EQ((*w)[0].data_path, "/widgets/0");  // past column 24
  EXPECT_EQ((*w)[1].data_path, "/widgets/0/properties");
  EXPECT_NE((*w)[1].message.find("'metrics'"), std::string::npos);
  EXPECT_EQ((*w)[2].data_path, "/widgets/1/properties");
  EXPECT_TRUE(service_->get(tenant_, "warn").ok());
}

TEST_F(DashboardsTest, EmptyWidgetsArrayIsValid) {
  auto w = service_->put(tenant_, "empty", R"({"widgets":[],"start":"-PT6H"})");
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  EXPECT_TRUE(w->empty());
}

TEST_F(DashboardsTest, ListByPrefixWithPagination) {
  for (const char* n : {"b-1", "a-1", "a-2", "a-3", "c"}) {
    ASSERT_TRUE(service_->put(tenant_, n, kBody).ok());
  }
  auto p1 = service_->list(tenant_, "a-", "", 2);
  ASSERT_TRUE(p1.ok()) << p1.status().to_string();
  ASSERT_EQ(p1->entries.size(), 2u);
  EXPECT_EQ(p1->entries[0].name, "a-1");
  EXPECT_EQ(p1->entries[1].name, "a-2");
  EXPECT_EQ(p1->entries[0].size, kBody.size());
  EXPECT_TRUE(p1->entries[0].body.empty());
  ASSERT_FALSE(p1->next_token.empty());
  auto p2 = service_->list(tenant_, "a-", p1->next_token, 2);
  ASSERT_TRUE(p2.ok());
  ASSERT_EQ(p2->entries.size(), 1u);
  EXPECT_EQ(p2->entries[0].name, "a-3");
  EXPECT_TRUE(p2->next_token.empty());
  auto all = service_->list(tenant_, "", "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->entries.size(), 5u);
  auto bad = service_->list(tenant_, "", "zz-not-a-token");
  EXPECT_TRUE(bad.status().message().starts_with("InvalidParameterValue: "));
}

TEST_F(DashboardsTest, DeleteIsAllOrNothing) {
  ASSERT_TRUE(service_->put(tenant_, "one", kBody).ok());
  ASSERT_TRUE(service_->put(tenant_, "two", kBody).ok());
  Status st = service_->remove(tenant_, {"one", "missing", "two"});
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_TRUE(st.message().starts_with("ResourceNotFound: ")) << st.message();
  EXPECT_NE(st.message().find("missing"), std::string::npos);
  EXPECT_TRUE(service_->get(tenant_, "one").ok());
  EXPECT_TRUE(service_->get(tenant_, "two").ok());
  EXPECT_TRUE(service_->remove(tenant_, {"one", "two"}).ok());
  EXPECT_EQ(service_->get(tenant_, "one").status().code(), Code::kNotFound);
  EXPECT_EQ(service_->get(tenant_, "two").status().code(), Code::kNotFound);
}

TEST_F(DashboardsTest, TenantsAreSeparate) {
  ASSERT_TRUE(service_->put(tenant_, "mine", kBody).ok());
  storage::Tenant other{"210987654321", "local"};
  EXPECT_EQ(service_->get(other, "mine").status().code(), Code::kNotFound);
  auto list = service_->list(other, "", "");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->entries.empty());
  EXPECT_FALSE(*service_->exists(other, "mine"));
  EXPECT_TRUE(*service_->exists(tenant_, "mine"));
}

TEST_F(DashboardsTest, ArnParsing) {
  EXPECT_EQ(dashboard_name_from_arn(tenant_, "arn:aws:cloudwatch::123456789012:dashboard/x"),
            std::optional<std::string>("x"));
  EXPECT_FALSE(dashboard_name_from_arn(tenant_, "arn:aws:cloudwatch::210987654321:dashboard/x"));
  EXPECT_FALSE(dashboard_name_from_arn(tenant_, "arn:aws:cloudwatch::123456789012:dashboard/"));
  EXPECT_FALSE(dashboard_name_from_arn(tenant_, "arn:aws:cloudwatch:local:123456789012:alarm:x"));
}

}  // namespace
}  // namespace opsight::resources
