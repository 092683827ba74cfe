#include "api/aws/logs/metric_filter_engine.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace opsight::api::aws {
namespace {

class MetricFilterEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = storage::meta::MetaStore::open(dir_.file("meta.db"), &clock_);
    ASSERT_TRUE(m.ok());
    meta_ = std::move(*m);
    store_ = std::make_unique<resources::MetricFilterStore>(meta_.get(), &clock_);
    engine_ = std::make_unique<MetricFilterEngine>(store_.get());
  }

  void add(std::string name, std::string pattern, std::string value,
           std::map<std::string, std::string> dims = {}, std::optional<double> def = {}) {
    resources::MetricFilter f;
    f.filter_name = std::move(name);
    f.filter_pattern = std::move(pattern);
    f.transformations.push_back({"M", "NS", std::move(value), def, std::move(dims), ""});
    ASSERT_TRUE(store_->put(tenant_, "/g", std::move(f)).ok());
  }

  ingest::MetricBatch derive(std::vector<std::string> messages, std::string group = "/g") {
    std::vector<storage::LogEvent> events;
    int64_t t = 100;
    for (auto& m : messages) {
      storage::LogEvent e;
      e.timestamp_ms = t++;
      e.message = std::move(m);
      events.push_back(std::move(e));
    }
    ingest::MetricBatch out;
    engine_->derive(tenant_, group, events, &out);
    return out;
  }

  testing::TempDir dir_{"metric_filter_engine"};
  ManualClock clock_{1};
  std::unique_ptr<storage::meta::MetaStore> meta_;
  std::unique_ptr<resources::MetricFilterStore> store_;
  std::unique_ptr<MetricFilterEngine> engine_;
  storage::Tenant tenant_;
};

TEST(MetricFilterEngineNames, JsonSelectorsReadDiscoveredFieldNames) {
  EXPECT_EQ(MetricFilterEngine::json_field_name("$.a.b"), "a.b");
  EXPECT_EQ(MetricFilterEngine::json_field_name("$.users[0].id"), "users.0.id");
  EXPECT_EQ(MetricFilterEngine::json_field_name("$bytes"), "");
  EXPECT_EQ(MetricFilterEngine::json_field_name("$."), "");
}

TEST_F(MetricFilterEngineTest, NoFiltersNoSamples) {
  EXPECT_TRUE(derive({"ERROR x"}).series.empty());
  EXPECT_TRUE(derive({"ERROR x"}, "/other").series.empty());
}

TEST_F(MetricFilterEngineTest, SeesNewFiltersAtOnceAndSkipsUnusableEvents) {
  EXPECT_TRUE(derive({"ERROR x"}).series.empty());  // caches "no filters"
  add("f", "{ $.status >= 500 }", "$.ms", {{"Path", "$.path"}});
  auto out = derive({R"({"status":500,"ms":12,"path":"/a"})",      // ok
                     R"({"status":503,"ms":"slow","path":"/a"})",  // value not a number
                     R"({"status":502,"ms":7})",                   // dimension missing
                     R"({"status":200,"ms":1,"path":"/a"})",       // no match
                     R"({"status":504,"ms":3,"path":"/b"})"});
  ASSERT_EQ(out.series.size(), 2u);
  EXPECT_EQ(out.series[0].labels.to_string(), R"(M{Namespace="NS", Path="/a"})");
  ASSERT_EQ(out.series[0].samples.size(), 1u);
  EXPECT_EQ(out.series[0].samples[0].t, 100);
  EXPECT_EQ(out.series[0].samples[0].v, 12);
  EXPECT_EQ(out.series[1].labels.get("Path"), "/b");

  ASSERT_TRUE(store_->remove(tenant_, "/g", "f").ok());
  EXPECT_TRUE(derive({R"({"status":500,"ms":12,"path":"/a"})"}).series.empty());
}

TEST_F(MetricFilterEngineTest, SpaceDelimitedFieldsAndDefaultValues) {
  add("f", "[ip, method = GET, bytes]", "$bytes", {}, 0.0);
  auto out = derive({"1.2.3.4 GET 100", "1.2.3.4 POST 50", "1.2.3.4 GET 25"});
  ASSERT_EQ(out.series.size(), 1u);
  const auto& s = out.series[0].samples;
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].v, 100);
  EXPECT_EQ(s[1].v, 0);  // the POST line does not match: defaultValue
  EXPECT_EQ(s[2].v, 25);
}

}  // namespace
}  // namespace opsight::api::aws
