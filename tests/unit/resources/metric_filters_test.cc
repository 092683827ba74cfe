#include "resources/metric_filters.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace opsight::resources {
namespace {

MetricFilter filter(std::string name, std::string value = "1") {
  MetricFilter f;
  f.filter_name = std::move(name);
  f.filter_pattern = "ERROR";
  f.transformations.push_back({"Errors", "App", std::move(value), std::nullopt, {}, ""});
  return f;
}

class MetricFilterStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = storage::meta::MetaStore::open(dir_.file("meta.db"), &clock_);
    ASSERT_TRUE(m.ok());
    meta_ = std::move(*m);
    store_ = std::make_unique<MetricFilterStore>(meta_.get(), &clock_);
  }
  testing::TempDir dir_{"metric_filters"};
  ManualClock clock_{1'000};
  std::unique_ptr<storage::meta::MetaStore> meta_;
  std::unique_ptr<MetricFilterStore> store_;
  storage::Tenant tenant_;
};

TEST(MetricFilterRules, ValidatesTheDocumentedConstraints) {
  EXPECT_TRUE(validate_metric_filter(filter("ok")).ok());
  EXPECT_TRUE(validate_metric_filter(filter("ok", "$.latency")).ok());
  EXPECT_TRUE(validate_metric_filter(filter("ok", "$bytes")).ok());
  EXPECT_TRUE(validate_metric_filter(filter("ok", "-2.5")).ok());
  auto bad = [](MetricFilter f) {
    Status st = validate_metric_filter(f);
    EXPECT_EQ(st.code(), Code::kInvalidArgument);
    EXPECT_TRUE(st.message().starts_with("InvalidParameterException: ")) << st.message();
  };
  bad(filter("a:b"));
  bad(filter(""));
  bad(filter("ok", "one"));
  bad(filter("ok", "$"));
  MetricFilter two = filter("ok");
  two.transformations.push_back(two.transformations[0]);
  bad(two);
  MetricFilter dims = filter("ok");
  dims.transformations[0].dimensions = {{"A", "$.a"}, {"B", "$.b"}, {"C", "$.c"}, {"D", "$.d"}};
  bad(dims);
  MetricFilter literal_dim = filter("ok");
  literal_dim.transformations[0].dimensions = {{"A", "fixed"}};
  bad(literal_dim);
  MetricFilter reserved_dim = filter("ok");
  reserved_dim.transformations[0].dimensions = {{"Namespace", "$.a"}};
  bad(reserved_dim);
  MetricFilter unit = filter("ok");
  unit.transformations[0].unit = "Parsecs";
  bad(unit);
  MetricFilter name = filter("ok");
  name.transformations[0].metric_name = "a$b";
  bad(name);
  MetricFilter long_pattern = filter("ok");
  long_pattern.filter_pattern = std::string(1025, 'x');
  bad(long_pattern);
}

TEST(MetricFilterRules, DocumentRoundTrip) {
  MetricFilter f = filter("f1", "$.x");
  f.creation_time_ms = 42;
  f.transformations[0].default_value = 0;
  f.transformations[0].dimensions = {{"Host", "$.host"}};
  f.transformations[0].unit = "Bytes";
  auto back = decode_metric_filters(encode_metric_filters({f, filter("f2")}));
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0], f);
  EXPECT_EQ((*back)[1], filter("f2"));
}

TEST_F(MetricFilterStoreTest, PutReplaceListRemove) {
  const uint64_t g0 = store_->generation();
  ASSERT_TRUE(store_->put(tenant_, "/g", filter("b")).ok());
  EXPECT_GT(store_->generation(), g0);
  clock_.set_ms(2'000);
  ASSERT_TRUE(store_->put(tenant_, "/g", filter("a")).ok());
  clock_.set_ms(3'000);
  ASSERT_TRUE(store_->put(tenant_, "/g", filter("b", "5")).ok());  // replace keeps its time
  ASSERT_TRUE(store_->put(tenant_, "/h", filter("c")).ok());
  auto list = store_->list(tenant_, "/g");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].filter_name, "a");
  EXPECT_EQ((*list)[0].creation_time_ms, 2'000);
  EXPECT_EQ((*list)[1].transformations[0].metric_value, "5");
  EXPECT_EQ((*list)[1].creation_time_ms, 1'000);
  auto all = store_->list_all(tenant_);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].first, "/h");
  // Another tenant sees nothing.
  storage::Tenant other{"111111111111", "local"};
  EXPECT_TRUE(store_->list(other, "/g")->empty());

  Status missing = store_->remove(tenant_, "/g", "zzz");
  EXPECT_EQ(missing.code(), Code::kNotFound);
  EXPECT_TRUE(missing.message().starts_with("ResourceNotFoundException: "));
  ASSERT_TRUE(store_->remove(tenant_, "/g", "a").ok());
  ASSERT_TRUE(store_->remove(tenant_, "/g", "b").ok());
  EXPECT_TRUE(store_->list(tenant_, "/g")->empty());
  ASSERT_TRUE(store_->remove_group(tenant_, "/h").ok());
  ASSERT_TRUE(store_->remove_group(tenant_, "/h").ok());
  EXPECT_TRUE(store_->list_all(tenant_)->empty());
}

TEST_F(MetricFilterStoreTest, AtMostOneHundredPerGroup) {
  for (size_t i = 0; i < kMaxMetricFiltersPerGroup; i++) {
    ASSERT_TRUE(store_->put(tenant_, "/g", filter("f" + std::to_string(i))).ok());
  }
  Status st = store_->put(tenant_, "/g", filter("one-more"));
  EXPECT_EQ(st.code(), Code::kResourceExhausted);
  EXPECT_TRUE(st.message().starts_with("LimitExceededException: "));
  EXPECT_TRUE(store_->put(tenant_, "/g", filter("f7", "2")).ok());  // replacing is fine
}

}  // namespace
}  // namespace opsight::resources
