// Exemplars through the storage contract: staged by an Appender (with or without samples),
// selected by matchers and time, bounded by the ring, and rebuilt on reopen.
#include <gtest/gtest.h>

#include "storage/tsdb/db.h"
#include "tsdb/db_test_util.h"

namespace opsight::storage::tsdb {
namespace {

using testing::M;

constexpr int64_t kNow = 1'700'000'000'000;

class ExemplarTest : public ::testing::Test {
 protected:
  ExemplarTest() : clock_(kNow) {}
  void open(size_t max_exemplars = 100) {
    db_.reset();
    Options o;
    o.dir = dir_.path() + "/metrics";
    o.clock = &clock_;
    o.background = false;
    o.max_exemplars = max_exemplars;
    auto db = Db::open(o);
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
  }
  // Appends one exemplar of `series` (and a sample when `with_sample`).
  void add(const Labels& series, int64_t t, double v, const std::string& trace,
           bool with_sample = false, const Tenant& tenant = Tenant{}) {
    auto app = db_->appender(tenant);
    std::vector<LabelView> views;
    series.append_views(&views);
    if (with_sample) {
      std::vector<Sample> s{Sample::value(t, v)};
      ASSERT_TRUE(app->append_views(views, s, nullptr).ok());
    }
    ASSERT_TRUE(app->append_exemplar(views, Exemplar{Labels{{"trace_id", trace}}, v, t}).ok());
    ASSERT_TRUE(app->commit().ok());
  }
  std::vector<SeriesExemplars> select(std::vector<std::vector<Matcher>> selectors, int64_t mint = 0,
                                      int64_t maxt = kNow * 2, const Tenant& tenant = Tenant{}) {
    auto q = db_->querier(QueryScope{{tenant}}, mint, maxt);
    EXPECT_TRUE(q.ok());
    auto r = (*q)->exemplars(selectors);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : std::vector<SeriesExemplars>{};
  }

  testing::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<Db> db_;
};

const Labels kApi{{"__name__", "latency_bucket"}, {"job", "api"}, {"le", "0.5"}};
const Labels kDb{{"__name__", "latency_bucket"}, {"job", "db"}, {"le", "0.5"}};

TEST_F(ExemplarTest, SelectedByMatchersAndTimeAndTenant) {
  open();
  add(kApi, kNow - 2000, 0.2, "a1", /*with_sample=*/true);
  add(kApi, kNow - 1000, 0.3, "a2");  // an exemplar-only append, as remote write sends them
  add(kDb, kNow - 1500, 0.4, "d1");
  add(kDb, kNow - 1400, 0.1, "other-tenant", false, Tenant{"111111111111", "local"});

  auto all = select({{M(MatchType::kEqual, "__name__", "latency_bucket")}});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].series, kApi);
  ASSERT_EQ(all[0].exemplars.size(), 2u);
  EXPECT_EQ(all[0].exemplars[0], (Exemplar{Labels{{"trace_id", "a1"}}, 0.2, kNow - 2000}));
  EXPECT_EQ(all[0].exemplars[1].labels.get("trace_id"), "a2");
  ASSERT_EQ(all[1].exemplars.size(), 1u);  // the other tenant's exemplar is not seen
  EXPECT_EQ(all[1].exemplars[0].labels.get("trace_id"), "d1");

  auto db_only = select({{M(MatchType::kEqual, "job", "db")}});
  ASSERT_EQ(db_only.size(), 1u);
  EXPECT_EQ(db_only[0].series, kDb);
  // Two selectors: the union.
  EXPECT_EQ(
      select({{M(MatchType::kEqual, "job", "db")}, {M(MatchType::kEqual, "job", "api")}}).size(),
      2u);
  auto recent = select({{M(MatchType::kEqual, "job", "api")}}, kNow - 1200, kNow);
  ASSERT_EQ(recent.size(), 1u);
  ASSERT_EQ(recent[0].exemplars.size(), 1u);
  EXPECT_EQ(recent[0].exemplars[0].labels.get("trace_id"), "a2");
  auto other =
      select({{M(MatchType::kEqual, "job", "db")}}, 0, kNow * 2, Tenant{"111111111111", "local"});
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].exemplars[0].labels.get("trace_id"), "other-tenant");
}

TEST_F(ExemplarTest, RepeatsAndOlderExemplarsOfASeriesAreDropped) {
  open();
  add(kApi, kNow - 1000, 0.3, "a");
  add(kApi, kNow - 1000, 0.3, "a");  // a repeat
  add(kApi, kNow - 5000, 0.1, "b");  // older than the newest
  add(kApi, kNow - 500, 0.2, "c");
  auto r = select({{M(MatchType::kEqual, "job", "api")}});
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].exemplars.size(), 2u);
  EXPECT_EQ(r[0].exemplars[0].labels.get("trace_id"), "a");
  EXPECT_EQ(r[0].exemplars[1].labels.get("trace_id"), "c");
}

TEST_F(ExemplarTest, TheRingKeepsTheNewest) {
  open(/*max_exemplars=*/3);
  for (int i = 0; i < 5; i++) add(kApi, kNow - 10'000 + i * 1000, i, "t" + std::to_string(i));
  add(kDb, kNow, 9, "d");
  auto r = select({{M(MatchType::kEqual, "__name__", "latency_bucket")}});
  ASSERT_EQ(r.size(), 2u);
  ASSERT_EQ(r[0].exemplars.size(), 2u);  // t3, t4 (t0..t2 evicted), then d
  EXPECT_EQ(r[0].exemplars[0].labels.get("trace_id"), "t3");
  EXPECT_EQ(r[0].exemplars[1].labels.get("trace_id"), "t4");
  EXPECT_EQ(r[1].exemplars[0].labels.get("trace_id"), "d");
}

// A clean close flushes the head and cuts the WAL: the exemplars come back from the snapshot
// written before the cut; exemplars added after it come from the WAL.
TEST_F(ExemplarTest, SurviveCloseThroughTheSnapshotAndTheWal) {
  open();
  add(kApi, kNow - 2000, 0.25, "a1", /*with_sample=*/true);
  ASSERT_TRUE(db_->close().ok());
  open();
  add(kDb, kNow - 1000, 0.5, "d1");
  db_.reset();  // no close: as after a crash, only the WAL has d1
  open();
  auto r = select({{M(MatchType::kEqual, "__name__", "latency_bucket")}});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].exemplars[0], (Exemplar{Labels{{"trace_id", "a1"}}, 0.25, kNow - 2000}));
  EXPECT_EQ(r[1].exemplars[0], (Exemplar{Labels{{"trace_id", "d1"}}, 0.5, kNow - 1000}));
}

}  // namespace
}  // namespace opsight::storage::tsdb
