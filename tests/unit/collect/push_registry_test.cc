#include "collect/push_registry.h"

#include <gtest/gtest.h>

#include "fake_store.h"
#include "storage/sample.h"
#include "temp_dir.h"

namespace opsight::collect {
namespace {

using ingest::prometheus::TextFormat;
using testing::FakeStore;
using testing::find;

class PushRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void open() {
    reg_.reset();
    PushOptions o;
    o.dir = dir_.file("push");
    o.max_groups = 3;
    auto r = PushRegistry::open(o, &store_, &clock_);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    reg_ = std::move(*r);
  }
  Status push(PushMethod m, const Labels& g, std::string_view body) {
    errors_.clear();
    return reg_->push(m, g, body, TextFormat::kText004, &errors_);
  }
  std::vector<std::string> series(const Labels& g) {
    std::vector<std::string> out;
    for (const auto& l : reg_->series_of(g)) out.push_back(l.to_string());
    return out;
  }

  testing::TempDir dir_;
  FakeStore store_;
  ManualClock clock_{1'700'000'000'000};
  std::unique_ptr<PushRegistry> reg_;
  std::vector<ingest::ItemError> errors_;
  Labels batch_{{"job", "batch"}, {"instance", "i1"}};
};

TEST_F(PushRegistryTest, PutPostDeleteSemantics) {
  ASSERT_TRUE(push(PushMethod::kPut, batch_,
                   "# TYPE a counter\na{job=\"other\",x=\"1\"} 1\na{x=\"2\"} 2\nb 3\n")
                  .ok());
  // Grouping labels override the pushed ones.
  EXPECT_EQ(series(batch_), (std::vector<std::string>{R"(a{instance="i1", job="batch", x="1"})",
                                                      R"(a{instance="i1", job="batch", x="2"})",
                                                      R"(b{instance="i1", job="batch"})"}));
  auto w = store_.take();  // written at once, with push_time_seconds
  EXPECT_EQ(find(w, R"(b{instance="i1", job="batch"})")->sample.v, 3);
  EXPECT_EQ(find(w, R"(push_time_seconds{instance="i1", job="batch"})")->sample.v, 1'700'000'000);
  EXPECT_EQ(find(w, R"(push_failure_time_seconds{instance="i1", job="batch"})")->sample.v, 0);
  EXPECT_EQ(store_.metadata()["a"].type, "counter");

  // POST replaces family a only: a{x="2"} goes stale, b stays.
  clock_.advance_ms(1000);
  ASSERT_TRUE(push(PushMethod::kPost, batch_, "a{x=\"1\"} 10\n").ok());
  EXPECT_EQ(series(batch_), (std::vector<std::string>{R"(a{instance="i1", job="batch", x="1"})",
                                                      R"(b{instance="i1", job="batch"})"}));
  w = store_.take();
  EXPECT_TRUE(storage::is_stale_nan(find(w, R"(a{instance="i1", job="batch", x="2"})")->sample.v));
  EXPECT_EQ(find(w, R"(a{instance="i1", job="batch", x="1"})")->sample.v, 10);

  // PUT replaces the whole group: b goes stale.
  clock_.advance_ms(1000);
  ASSERT_TRUE(push(PushMethod::kPut, batch_, "c 1\n").ok());
  w = store_.take();
  EXPECT_TRUE(storage::is_stale_nan(find(w, R"(b{instance="i1", job="batch"})")->sample.v));
  EXPECT_EQ(series(batch_), (std::vector<std::string>{R"(c{instance="i1", job="batch"})"}));

  // The periodic write repeats the current values at the current time.
  clock_.advance_ms(15'000);
  ASSERT_TRUE(reg_->write_all().ok());
  w = store_.take();
  EXPECT_EQ(w.size(), 3u);  // c, push_time_seconds, push_failure_time_seconds
  EXPECT_EQ(find(w, R"(c{instance="i1", job="batch"})")->sample.t, clock_.now_ms());

  // DELETE: everything of the group stale, and it is gone.
  ASSERT_TRUE(reg_->remove(batch_).ok());
  w = store_.take();
  EXPECT_TRUE(storage::is_stale_nan(find(w, R"(c{instance="i1", job="batch"})")->sample.v));
  EXPECT_TRUE(
      storage::is_stale_nan(find(w, R"(push_time_seconds{instance="i1", job="batch"})")->sample.v));
  EXPECT_EQ(reg_->num_groups(), 0u);
  EXPECT_TRUE(reg_->remove(batch_).ok());  // deleting again is fine
}

TEST_F(PushRegistryTest, BadPushChangesNothingAndRecordsTheFailure) {
  ASSERT_TRUE(push(PushMethod::kPut, batch_, "a 1\n").ok());
  store_.take();
  clock_.advance_ms(5000);
  Status st = push(PushMethod::kPut, batch_, "a 2\nb 1 1700000000000\nc{ 1\npush_time_seconds 5\n");
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  ASSERT_EQ(errors_.size(), 3u);
  EXPECT_EQ(errors_[0].item, "line 2");
  EXPECT_EQ(errors_[0].message, "pushed samples must not carry a timestamp");
  EXPECT_EQ(errors_[1].item, "line 3");
  EXPECT_NE(errors_[2].message.find("push_time_seconds is reserved"), std::string::npos);
  EXPECT_EQ(series(batch_), (std::vector<std::string>{R"(a{instance="i1", job="batch"})"}));
  auto w = store_.take();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].labels.to_string(), R"(push_failure_time_seconds{instance="i1", job="batch"})");
  EXPECT_EQ(w[0].sample.v, 1'700'000'005);
  // Pushing a series twice once the grouping labels are applied is an error too.
  st = push(PushMethod::kPut, batch_, "a{instance=\"x\"} 1\na{instance=\"y\"} 2\n");
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(errors_[0].message.find("duplicate series"), std::string::npos);
}

TEST_F(PushRegistryTest, GroupsSurviveARestart) {
  ASSERT_TRUE(push(PushMethod::kPut, batch_,
                   "# HELP h A \"histogram\".\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"
                   "h_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\nv{s=\"q\\\"\\\\\"} NaN\n")
                  .ok());
  Labels other{{"job", "other"}};
  ASSERT_TRUE(push(PushMethod::kPut, other, "x -Inf\n").ok());
  auto before = series(batch_);
  open();
  EXPECT_EQ(reg_->num_groups(), 2u);
  EXPECT_EQ(series(batch_), before);
  EXPECT_EQ(series(other), (std::vector<std::string>{R"(x{job="other"})"}));
  store_.take();
  clock_.advance_ms(1000);
  ASSERT_TRUE(reg_->write_all().ok());
  auto w = store_.take();
  EXPECT_EQ(find(w, R"(push_time_seconds{instance="i1", job="batch"})")->sample.v, 1'700'000'000);
  EXPECT_EQ(find(w, R"(h_sum{instance="i1", job="batch"})")->sample.v, 3);
  // POST after the restart still knows the families: h is replaced as a whole.
  ASSERT_TRUE(push(PushMethod::kPost, batch_, "# TYPE h histogram\nh_count 0\n").ok());
  EXPECT_EQ(series(batch_).size(), 2u);  // h_count and v
}

TEST_F(PushRegistryTest, LimitsOnGroups) {
  for (int i = 0; i < 3; i++) {
    ASSERT_TRUE(push(PushMethod::kPut, Labels{{"job", "j" + std::to_string(i)}}, "a 1\n").ok());
  }
  EXPECT_EQ(push(PushMethod::kPut, Labels{{"job", "j3"}}, "a 1\n").code(),
            Code::kResourceExhausted);
  EXPECT_TRUE(push(PushMethod::kPut, Labels{{"job", "j0"}}, "a 2\n").ok());  // existing group
  EXPECT_EQ(push(PushMethod::kPut, Labels{{"instance", "x"}}, "a 1\n").code(),
            Code::kInvalidArgument);  // no job
}

TEST_F(PushRegistryTest, CommitFailureLeavesTheGroupUnchanged) {
  ASSERT_TRUE(push(PushMethod::kPut, batch_, "a 1\n").ok());
  store_.set_fail_commits(true);
  EXPECT_FALSE(push(PushMethod::kPut, batch_, "b 1\n").ok());
  store_.set_fail_commits(false);
  EXPECT_EQ(series(batch_), (std::vector<std::string>{R"(a{instance="i1", job="batch"})"}));
}

}  // namespace
}  // namespace opsight::collect
