#include "storage/tsdb/db.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "tsdb/db_test_util.h"

namespace opsight::storage::tsdb {
namespace {

using testing::Dump;
using testing::M;
using testing::read_all;
using testing::same_dump;
using testing::same_samples;

constexpr int64_t kNow = 1'700'000'000'000;  // ms; not aligned to a block range on purpose

class DbTest : public ::testing::Test {
 protected:
  DbTest() : clock_(kNow) {}

  Options options() {
    Options o;
    o.dir = dir_.path() + "/metrics";
    o.clock = &clock_;
    o.background = false;
    o.fault_hook = [this](std::string_view point) -> Status {
      return hook_ ? hook_(point) : OkStatus();
    };
    return o;
  }
  void open() {
    db_.reset();
    auto db = Db::open(options());
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
  }
  Status append(const Labels& l, std::vector<Sample> samples, const Tenant& t = Tenant{},
                std::vector<SampleError>* errors = nullptr) {
    auto app = db_->appender(t);
    RETURN_IF_ERROR(app->append(l, samples, errors));
    return app->commit();
  }
  Dump all(std::vector<Tenant> tenants = {Tenant{}}) {
    return read_all(db_.get(), {M(MatchType::kRegexMatch, "__name__", ".+")}, std::move(tenants));
  }

  testing::TempDir dir_;
  ManualClock clock_;
  std::function<Status(std::string_view)> hook_;
  std::unique_ptr<Db> db_;
};

Sample V(int64_t t, double v) {
  return Sample::value(t, v);
}

Labels L(std::initializer_list<Label> l) {
  return Labels(l);
}

TEST_F(DbTest, AppendSelectEveryMatcherType) {
  open();
  ASSERT_TRUE(append(L({{"__name__", "up"}, {"job", "api"}, {"env", "prod"}}), {V(kNow, 1)}).ok());
  ASSERT_TRUE(append(L({{"__name__", "up"}, {"job", "db"}}), {V(kNow, 2)}).ok());
  ASSERT_TRUE(append(L({{"__name__", "up"}, {"job", "web"}, {"env", "dev"}}), {V(kNow, 3)}).ok());
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  auto names = [&](std::vector<Matcher> ms) {
    std::vector<std::string> out;
    for (const auto& [k, v] : read_all(db_.get(), ms)) out.push_back(k);
    return out;  // sorted by key
  };
  const std::string api = "up{env=\"prod\", job=\"api\"}", db = "up{job=\"db\"}",
                    web = "up{env=\"dev\", job=\"web\"}";
  EXPECT_EQ(names({M(MatchType::kEqual, "job", "db")}), sorted({db}));
  EXPECT_EQ(names({M(MatchType::kEqual, "__name__", "up"), M(MatchType::kNotEqual, "job", "db")}),
            sorted({web, api}));
  EXPECT_EQ(names({M(MatchType::kRegexMatch, "job", "a.*|w.b")}), sorted({web, api}));
  EXPECT_EQ(names({M(MatchType::kRegexMatch, "job", "api|db")}), sorted({db, api}));
  EXPECT_EQ(
      names({M(MatchType::kEqual, "__name__", "up"), M(MatchType::kRegexNoMatch, "job", "api|db")}),
      sorted({web}));
  // A matcher matching "" also matches series without the label.
  EXPECT_EQ(names({M(MatchType::kEqual, "__name__", "up"), M(MatchType::kEqual, "env", "")}),
            sorted({db}));
  EXPECT_EQ(names({M(MatchType::kEqual, "__name__", "up"), M(MatchType::kNotEqual, "env", "prod")}),
            sorted({db, web}));
  EXPECT_EQ(
      names({M(MatchType::kEqual, "__name__", "up"), M(MatchType::kRegexMatch, "env", "d.*|")}),
      sorted({db, web}));
  EXPECT_EQ(names({M(MatchType::kNotEqual, "env", "")}), sorted({web, api}));
  EXPECT_EQ(names({M(MatchType::kRegexMatch, "env", ".+")}), sorted({web, api}));
  EXPECT_TRUE(names({M(MatchType::kEqual, "job", "nope")}).empty());
  // Every matcher matching the empty string is refused.
  auto q = db_->querier(QueryScope{}, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(q.ok());
  for (auto ms : std::vector<std::vector<Matcher>>{{M(MatchType::kEqual, "env", "")},
                                                   {M(MatchType::kRegexMatch, "job", ".*")},
                                                   {M(MatchType::kNotEqual, "job", "x")},
                                                   {}}) {
    auto set = (*q)->select(false, SelectHints{}, ms);
    EXPECT_FALSE(set->next());
    EXPECT_EQ(set->err().code(), Code::kInvalidArgument);
    EXPECT_NE(set->err().message().find("at least one matcher"), std::string::npos);
  }
  // The limit hint caps the number of series.
  SelectHints hints;
  hints.limit = 2;
  std::vector<Matcher> up{M(MatchType::kEqual, "__name__", "up")};
  auto set = (*q)->select(true, hints, up);
  int n = 0;
  while (set->next()) n++;
  EXPECT_EQ(n, 2);
}

TEST_F(DbTest, LabelNamesAndValues) {
  open();
  ASSERT_TRUE(append(L({{"__name__", "a"}, {"x", "1"}}), {V(kNow, 1)}).ok());
  ASSERT_TRUE(append(L({{"__name__", "b"}, {"y", "2"}}), {V(kNow, 1)}).ok());
  ASSERT_TRUE(append(L({{"__name__", "b"}, {"y", "3"}}), {V(kNow, 1)}).ok());
  auto check = [&] {
    auto q = db_->querier(QueryScope{}, kNow - 1000, kNow + 1000);
    ASSERT_TRUE(q.ok());
    auto names = (*q)->label_names({});
    ASSERT_TRUE(names.ok());
    EXPECT_EQ(*names, (std::vector<std::string>{"__name__", "x", "y"}));
    std::vector<Matcher> mb{M(MatchType::kEqual, "__name__", "b")};
    names = (*q)->label_names(mb);
    EXPECT_EQ(*names, (std::vector<std::string>{"__name__", "y"}));
    auto values = (*q)->label_values("y", {});
    ASSERT_TRUE(values.ok());
    EXPECT_EQ(*values, (std::vector<std::string>{"2", "3"}));
    values = (*q)->label_values("__name__", {});
    EXPECT_EQ(*values, (std::vector<std::string>{"a", "b"}));
    std::vector<Matcher> my{M(MatchType::kEqual, "y", "3")};
    values = (*q)->label_values("y", my);
    EXPECT_EQ(*values, (std::vector<std::string>{"3"}));
    EXPECT_TRUE((*q)->label_values("__account__", {})->empty());
  };
  check();
  ASSERT_TRUE(db_->flush().ok());
  check();
}

TEST_F(DbTest, TenantIsolation) {
  open();
  Tenant a{"111111111111", "eu-west-1"}, b{"222222222222", "eu-west-1"};
  auto l = L({{"__name__", "cpu"}, {"host", "h1"}});
  ASSERT_TRUE(append(l, {V(kNow, 1)}, a).ok());
  ASSERT_TRUE(append(l, {V(kNow, 2)}, b).ok());
  ASSERT_TRUE(append(L({{"__name__", "only_b"}}), {V(kNow, 3)}, b).ok());
  // A client cannot write into another tenant with reserved labels.
  ASSERT_TRUE(
      append(L({{"__name__", "sneaky"}, {"__account__", "111111111111"}}), {V(kNow, 4)}, b).ok());
  for (int pass = 0; pass < 2; pass++) {
    Dump da = all({a});
    ASSERT_EQ(da.size(), 1u);
    EXPECT_EQ(da.begin()->first, "cpu{host=\"h1\"}");
    EXPECT_EQ(da.begin()->second[0].v, 1);
    Dump db = all({b});
    EXPECT_EQ(db.size(), 3u);
    EXPECT_EQ(db["cpu{host=\"h1\"}"][0].v, 2);
    EXPECT_TRUE(all({Tenant{}}).empty());
    // Both tenants in one scope: same labels twice, told apart by tenant().
    Dump both = read_all(db_.get(), {M(MatchType::kEqual, "__name__", "cpu")}, {b, a}, INT64_MIN,
                         INT64_MAX, true);
    ASSERT_EQ(both.size(), 2u);
    EXPECT_EQ(both.begin()->first, "cpu{host=\"h1\"}@111111111111/eu-west-1");
    auto q = db_->querier(QueryScope{{a}}, INT64_MIN, INT64_MAX);
    EXPECT_EQ(*(*q)->label_values("__name__", {}), (std::vector<std::string>{"cpu"}));
    EXPECT_EQ(*(*q)->label_names({}), (std::vector<std::string>{"__name__", "host"}));
    ASSERT_TRUE(db_->flush().ok());
  }
}

TEST_F(DbTest, OutOfOrderAndDuplicatesInHead) {
  open();
  auto l = L({{"__name__", "m"}});
  ASSERT_TRUE(append(l, {V(kNow - 3000, 1), V(kNow - 2000, 2), V(kNow - 1000, 3)}).ok());
  ASSERT_TRUE(append(l, {V(kNow - 2500, 4), V(kNow - 2000, 5)}).ok());
  // Within one commit: any order, the last of a timestamp wins.
  ASSERT_TRUE(append(l, {V(kNow, 7), V(kNow - 500, 6), V(kNow, 8), V(kNow - 3000, 9)}).ok());
  std::vector<Sample> want{V(kNow - 3000, 9), V(kNow - 2500, 4), V(kNow - 2000, 5),
                           V(kNow - 1000, 3), V(kNow - 500, 6),  V(kNow, 8)};
  EXPECT_TRUE(same_samples(all()["m{}"], want));
  // Range restriction.
  Dump d = read_all(db_.get(), {M(MatchType::kEqual, "__name__", "m")}, {Tenant{}}, kNow - 2500,
                    kNow - 1000);
  EXPECT_TRUE(same_samples(d["m{}"], {V(kNow - 2500, 4), V(kNow - 2000, 5), V(kNow - 1000, 3)}));
  // Seek on the iterator.
  auto q = db_->querier(QueryScope{}, INT64_MIN, INT64_MAX);
  std::vector<Matcher> mm{M(MatchType::kEqual, "__name__", "m")};
  auto set = (*q)->select(true, {}, mm);
  ASSERT_TRUE(set->next());
  auto it = set->at().iterator();
  ASSERT_TRUE(it->seek(kNow - 2100));
  EXPECT_EQ(it->at().t, kNow - 2000);
  ASSERT_TRUE(it->seek(kNow - 2100));  // never moves backwards
  EXPECT_EQ(it->at().t, kNow - 2000);
  ASSERT_TRUE(it->next());
  EXPECT_EQ(it->at().t, kNow - 1000);
  EXPECT_FALSE(it->seek(kNow + 1));
}

TEST_F(DbTest, LastWriteWinsAcrossHeadAndBlocks) {
  open();
  auto l = L({{"__name__", "m"}});
  ASSERT_TRUE(append(l, {V(kNow - 2000, 1), V(kNow - 1000, 1)}).ok());
  ASSERT_TRUE(db_->flush().ok());
  ASSERT_TRUE(append(l, {V(kNow - 2000, 2)}).ok());  // head over block
  EXPECT_TRUE(same_samples(all()["m{}"], {V(kNow - 2000, 2), V(kNow - 1000, 1)}));
  ASSERT_TRUE(db_->flush().ok());  // newer block over older
  EXPECT_EQ(db_->block_metas().size(), 2u);
  EXPECT_TRUE(same_samples(all()["m{}"], {V(kNow - 2000, 2), V(kNow - 1000, 1)}));
  ASSERT_TRUE(append(l, {V(kNow - 1000, 3)}).ok());
  ASSERT_TRUE(db_->flush().ok());
  ASSERT_TRUE(db_->compact().ok());  // the three overlapping blocks fold into one
  EXPECT_EQ(db_->block_metas().size(), 1u);
  EXPECT_TRUE(same_samples(all()["m{}"], {V(kNow - 2000, 2), V(kNow - 1000, 3)}));
  // An out-of-order write into the compacted partition still wins after another compaction.
  ASSERT_TRUE(append(l, {V(kNow - 2000, 4)}).ok());
  ASSERT_TRUE(db_->flush().ok());
  ASSERT_TRUE(db_->compact().ok());
  EXPECT_EQ(db_->block_metas().size(), 1u);
  EXPECT_TRUE(same_samples(all()["m{}"], {V(kNow - 2000, 4), V(kNow - 1000, 3)}));
  open();
  EXPECT_TRUE(same_samples(all()["m{}"], {V(kNow - 2000, 4), V(kNow - 1000, 3)}));
}

// The bulk read (Series::append_values) agrees with the iterator on every layering of sources:
// blocks only, block + head with overwrites, out-of-order head entries, windows that cut a
// block, and a series of statistic sets (whose values are skipped).
TEST_F(DbTest, AppendValuesMatchesTheIterator) {
  open();
  auto a = L({{"__name__", "a"}});
  auto b = L({{"__name__", "b"}});
  auto st = L({{"__name__", "st"}});
  std::vector<Sample> first, second;
  for (int i = 0; i < 50; i++) first.push_back(V(kNow - 100'000 + i * 1000, i));
  ASSERT_TRUE(append(a, first).ok());
  ASSERT_TRUE(append(b, first).ok());
  ASSERT_TRUE(
      append(st, {Sample::stat_set(kNow - 5000, StatSet{1, 2, 3, 4}), V(kNow - 4000, 7)}).ok());
  ASSERT_TRUE(db_->flush().ok());
  // Head data for b: newer samples, an overwrite of a block sample and an OOO entry.
  for (int i = 0; i < 10; i++) second.push_back(V(kNow - 40'000 + i * 1000, 100 + i));
  ASSERT_TRUE(append(b, second).ok());
  ASSERT_TRUE(append(b, {V(kNow - 70'000, -1), V(kNow - 35'500, -2)}).ok());
  for (auto [mint, maxt] : std::vector<std::pair<int64_t, int64_t>>{{INT64_MIN, INT64_MAX},
                                                                    {kNow - 80'500, kNow - 60'000},
                                                                    {kNow - 36'000, kNow},
                                                                    {kNow - 1000, kNow}}) {
    auto q = db_->querier(QueryScope{}, mint, maxt);
    ASSERT_TRUE(q.ok());
    std::vector<Matcher> ms{M(MatchType::kRegexMatch, "__name__", ".+")};
    auto set = (*q)->select(true, SelectHints{}, ms);
    while (set->next()) {
      std::vector<ValuePoint> want, got;
      auto it = set->at().iterator();
      while (it->next()) {
        if (!it->at().is_stats) want.push_back({it->at().t, it->at().v});
      }
      ASSERT_TRUE(set->at().append_values(&got).ok());
      ASSERT_EQ(want.size(), got.size()) << set->at().labels().to_string() << " " << mint;
      for (size_t i = 0; i < want.size(); i++) {
        EXPECT_EQ(want[i].t, got[i].t);
        EXPECT_EQ(want[i].v, got[i].v);
        EXPECT_TRUE(want[i].t >= mint && want[i].t <= maxt);
      }
    }
    ASSERT_TRUE(set->err().ok());
  }
  auto d = all();
  EXPECT_EQ(d["b{}"].size(), 61u);  // 50 + 10 + 1 OOO, one overwrite
  EXPECT_TRUE(
      same_samples({d["st{}"].begin(), d["st{}"].end()},
                   {Sample::stat_set(kNow - 5000, StatSet{1, 2, 3, 4}), V(kNow - 4000, 7)}));
}

TEST_F(DbTest, RejectsSamplesOutsideTheWindowOneByOne) {
  open();
  auto l = L({{"__name__", "m"}});
  std::vector<SampleError> errors;
  ASSERT_TRUE(append(l,
                     {V(kNow, 1), V(kNow - 15 * kDayMs, 2), V(kNow - 13 * kDayMs, 3),
                      V(kNow + 3 * kHourMs, 4), V(kNow + kHourMs, 5)},
                     Tenant{}, &errors)
                  .ok());
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].index, 1u);
  EXPECT_EQ(errors[0].status.code(), Code::kInvalidArgument);
  EXPECT_NE(errors[0].status.message().find("older than the out-of-order window of 14d"),
            std::string::npos)
      << errors[0].status.message();
  EXPECT_EQ(errors[1].index, 3u);
  EXPECT_NE(errors[1].status.message().find("more than 2h in the future"), std::string::npos)
      << errors[1].status.message();
  EXPECT_EQ(all()["m{}"].size(), 3u);
  // Whole-series refusals.
  auto app = db_->appender(Tenant{});
  EXPECT_EQ(app->append(Labels{}, std::vector<Sample>{V(kNow, 1)}, &errors).code(),
            Code::kInvalidArgument);
}

TEST_F(DbTest, RestartAfterCloseReadsBackIdentical) {
  open();
  std::mt19937_64 rng(7);
  for (int s = 0; s < 20; s++) {
    std::vector<Sample> v;
    for (int i = 0; i < 300; i++) {
      v.push_back(V(kNow - 5 * kHourMs + i * 15000, static_cast<double>(rng() % 1000) / 10));
    }
    ASSERT_TRUE(append(L({{"__name__", "m"}, {"s", std::to_string(s)}}), v).ok());
  }
  Dump before = all();
  EXPECT_EQ(before.size(), 20u);
  ASSERT_TRUE(db_->close().ok());
  EXPECT_EQ(db_->appender(Tenant{})
                ->append(L({{"__name__", "m"}}), std::vector<Sample>{V(kNow, 1)}, nullptr)
                .code(),
            Code::kOk);
  auto app = db_->appender(Tenant{});
  ASSERT_TRUE(app->append(L({{"__name__", "m"}}), std::vector<Sample>{V(kNow, 1)}, nullptr).ok());
  EXPECT_EQ(app->commit().code(), Code::kUnavailable);
  open();
  EXPECT_TRUE(same_dump(before, all()));
  EXPECT_GE(db_->block_metas().size(), 2u);  // 5h of data: at least two partitions
  EXPECT_EQ(db_->stats().head_samples, 0u);
}

TEST_F(DbTest, CrashWithoutCloseReplaysTheWal) {
  open();
  auto l1 = L({{"__name__", "m"}, {"k", "1"}});
  auto l2 = L({{"__name__", "cw"}, {"k", "2"}});
  ASSERT_TRUE(append(l1, {V(kNow - 1000, 1.5), V(kNow, stale_nan())}).ok());
  ASSERT_TRUE(append(l2, {Sample::stat_set(kNow, StatSet{3, 10, 1, 6})}).ok());
  ASSERT_TRUE(append(l1, {V(kNow - 500, 2.5)}).ok());
  Dump before = all();
  db_.reset();  // crash: no flush, no close
  open();
  EXPECT_TRUE(same_dump(before, all()));
  EXPECT_GE(db_->replay_stats().records, 3u);
  EXPECT_TRUE(is_stale_nan(all()["m{k=\"1\"}"].back().v));
  // A second crash after more writes (new WAL segment) replays both segments.
  ASSERT_TRUE(append(l1, {V(kNow + 1000, 4)}).ok());
  before = all();
  db_.reset();
  open();
  EXPECT_TRUE(same_dump(before, all()));
}

TEST_F(DbTest, TornWalTailIsCut) {
  open();
  auto l = L({{"__name__", "m"}});
  ASSERT_TRUE(append(l, {V(kNow - 1000, 1)}).ok());
  ASSERT_TRUE(append(l, {V(kNow, 2)}).ok());
  Dump before = all();
  db_.reset();
  // Append half a record of garbage to the newest segment.
  std::string newest;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path() + "/metrics/wal")) {
    if (std::filesystem::file_size(e.path()) > 0 && e.path().string() > newest) {
      newest = e.path().string();
    }
  }
  ASSERT_FALSE(newest.empty());
  {
    std::ofstream f(newest, std::ios::binary | std::ios::app);
    f << std::string("\x30\x00\x00\x00\x12\x34\x56\x78garbage", 15);
  }
  open();
  EXPECT_TRUE(same_dump(before, all()));
  EXPECT_TRUE(db_->replay_stats().tail_truncated);
}

TEST_F(DbTest, FlushCompactionRetentionKeepReadsIdentical) {
  open();
  // 30 hours of 60s samples for 8 series, written hour by hour as time moves on.
  const int64_t start = (kNow / kDayMs) * kDayMs;  // midnight, so windows are easy to reason about
  clock_.set_ms(start);
  for (int h = 0; h < 30; h++) {
    clock_.set_ms(start + (h + 1) * kHourMs);
    auto app = db_->appender(Tenant{});
    for (int s = 0; s < 8; s++) {
      std::vector<Sample> v;
      for (int i = 0; i < 60; i++) v.push_back(V(start + h * kHourMs + i * 60000, h * 60 + i + s));
      ASSERT_TRUE(app->append(L({{"__name__", "m"}, {"s", std::to_string(s)}}), v, nullptr).ok());
    }
    ASSERT_TRUE(app->commit().ok());
    if (h % 3 == 2) {
      ASSERT_TRUE(db_->flush().ok());
    }
  }
  Dump before = all();
  ASSERT_EQ(before.size(), 8u);
  ASSERT_EQ(before.begin()->second.size(), 30u * 60);
  ASSERT_TRUE(db_->flush().ok());
  EXPECT_TRUE(same_dump(before, all()));
  size_t level0 = db_->block_metas().size();
  EXPECT_GE(level0, 15u);  // at least one per 2h partition (flushes split some)
  ASSERT_TRUE(db_->compact().ok());
  auto metas = db_->block_metas();
  EXPECT_LT(metas.size(), level0);
  // The first 24h fold into two 12h blocks; the last 6h window is not complete yet.
  ASSERT_GE(metas.size(), 2u);
  EXPECT_EQ(metas[0].level, 1);
  EXPECT_EQ(metas[0].min_time, start);
  EXPECT_EQ(metas[0].max_time, start + 12 * kHourMs - 60000);
  EXPECT_EQ(metas[1].level, 1);
  EXPECT_TRUE(same_dump(before, all()));
  open();
  EXPECT_TRUE(same_dump(before, all()));
  // Retention: 16 days later everything older than 15 days goes, block by block.
  clock_.set_ms(start + 15 * kDayMs + 12 * kHourMs + 1);
  ASSERT_TRUE(db_->compact().ok());
  Dump after = all();
  ASSERT_EQ(after.size(), 8u);
  EXPECT_EQ(after.begin()->second.front().t, start + 12 * kHourMs);
  clock_.set_ms(start + 20 * kDayMs);
  ASSERT_TRUE(db_->compact().ok());
  EXPECT_TRUE(db_->block_metas().empty());
  EXPECT_TRUE(all().empty());
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() + "/metrics/blocks"));
}

TEST_F(DbTest, WritesDuringAFlushAreKept) {
  open();
  auto l = L({{"__name__", "m"}});
  ASSERT_TRUE(append(l, {V(kNow - 1000, 1)}).ok());
  bool fired = false;
  hook_ = [&](std::string_view point) -> Status {
    if (point == "flush.frozen" && !fired) {
      fired = true;
      EXPECT_TRUE(append(l, {V(kNow, 2), V(kNow - 1000, 3)}).ok());
      // Visible at once: active head over frozen head.
      EXPECT_TRUE(same_samples(all()["m{}"], {V(kNow - 1000, 3), V(kNow, 2)}));
    }
    return OkStatus();
  };
  ASSERT_TRUE(db_->flush().ok());
  EXPECT_TRUE(fired);
  EXPECT_TRUE(same_samples(all()["m{}"], {V(kNow - 1000, 3), V(kNow, 2)}));
  db_.reset();  // crash: the later writes are only in the WAL
  hook_ = nullptr;
  open();
  EXPECT_TRUE(same_samples(all()["m{}"], {V(kNow - 1000, 3), V(kNow, 2)}));
}

TEST_F(DbTest, FailedFlushIsRetriedAndLosesNothing) {
  open();
  auto l = L({{"__name__", "m"}});
  ASSERT_TRUE(append(l, {V(kNow - 1000, 1)}).ok());
  hook_ = [](std::string_view point) -> Status {
    return point == "flush.written" ? Status::io_error("injected") : OkStatus();
  };
  EXPECT_FALSE(db_->flush().ok());
  ASSERT_TRUE(append(l, {V(kNow, 2)}).ok());
  EXPECT_TRUE(same_samples(all()["m{}"], {V(kNow - 1000, 1), V(kNow, 2)}));
  hook_ = nullptr;
  ASSERT_TRUE(db_->flush().ok());
  EXPECT_TRUE(same_samples(all()["m{}"], {V(kNow - 1000, 1), V(kNow, 2)}));
  EXPECT_EQ(db_->stats().head_samples, 0u);
  open();
  EXPECT_TRUE(same_samples(all()["m{}"], {V(kNow - 1000, 1), V(kNow, 2)}));
}

TEST_F(DbTest, CrashBetweenCompactedBlockAndSourceDeletion) {
  open();
  auto l = L({{"__name__", "m"}});
  ASSERT_TRUE(append(l, {V(kNow - 2000, 1)}).ok());
  ASSERT_TRUE(db_->flush().ok());
  ASSERT_TRUE(append(l, {V(kNow - 1000, 2), V(kNow - 2000, 5)}).ok());
  ASSERT_TRUE(db_->flush().ok());
  ASSERT_EQ(db_->block_metas().size(), 2u);
  Dump before = all();
  hook_ = [](std::string_view point) -> Status {
    return point == "compact.written" ? Status::io_error("crash") : OkStatus();
  };
  EXPECT_FALSE(db_->compact().ok());
  db_.reset();
  // Both the sources and the compacted block are on disk now.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_.path() + "/metrics/blocks"),
                          std::filesystem::directory_iterator{}),
            3);
  hook_ = nullptr;
  open();
  ASSERT_EQ(db_->block_metas().size(), 1u);
  EXPECT_EQ(db_->block_metas()[0].sources.size(), 2u);
  EXPECT_TRUE(same_dump(before, all()));
  EXPECT_TRUE(same_samples(all()["m{}"], {V(kNow - 2000, 5), V(kNow - 1000, 2)}));
}

TEST_F(DbTest, StrayTemporaryBlockIsRemovedOnOpen) {
  open();
  ASSERT_TRUE(append(L({{"__name__", "m"}}), {V(kNow, 1)}).ok());
  hook_ = [](std::string_view point) -> Status {
    return point == "flush.frozen" ? Status::io_error("crash") : OkStatus();
  };
  EXPECT_FALSE(db_->flush().ok());
  db_.reset();
  std::filesystem::create_directories(dir_.path() + "/metrics/blocks/00000000000000ff.tmp");
  hook_ = nullptr;
  open();
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/metrics/blocks/00000000000000ff.tmp"));
  EXPECT_TRUE(same_samples(all()["m{}"], {V(kNow, 1)}));
}

TEST_F(DbTest, StatSetsMetadataAndStaleMarkersRoundTrip) {
  open();
  auto l = L({{"__name__", "Latency"}, {"Namespace", "App"}});
  std::vector<Sample> v{Sample::stat_set(kNow - 2000, StatSet{4, 10, 1, 5}),
                        Sample::stat_set(kNow - 1000, StatSet{1, 0.5, 0.5, 0.5}),
                        V(kNow - 500, stale_nan()), Sample::stat_set(kNow, StatSet{2, 3, 1, 2})};
  ASSERT_TRUE(append(l, v).ok());
  auto app = db_->appender(Tenant{});
  ASSERT_TRUE(
      app->append_metadata("Latency", MetricMetadata{"gauge", "request latency", "Milliseconds"})
          .ok());
  ASSERT_TRUE(app->commit().ok());
  app = db_->appender(Tenant{});
  ASSERT_TRUE(app->append_metadata("Latency", MetricMetadata{"gauge", "latency", "Seconds"}).ok());
  ASSERT_TRUE(app->commit().ok());
  auto check = [&] {
    auto d = all();
    auto& got = d["Latency{Namespace=\"App\"}"];
    EXPECT_TRUE(same_samples(got, v));

    auto q = db_->querier(QueryScope{}, INT64_MIN, INT64_MAX);
    auto m = (*q)->metadata("Latency");
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(*m, (MetricMetadata{"gauge", "latency", "Seconds"}));
    EXPECT_FALSE((*q)->metadata("Other").has_value());
    auto q2 = db_->querier(QueryScope{{Tenant{"999999999999", "local"}}}, INT64_MIN, INT64_MAX);
    EXPECT_FALSE((*q2)->metadata("Latency").has_value());
  };
  check();
  db_.reset();  // from the WAL
  open();
  check();
  ASSERT_TRUE(db_->close().ok());  // from blocks + metadata.json
  open();
  check();
}

TEST_F(DbTest, StatsCountSeriesSamplesAndBlocks) {
  open();
  ASSERT_TRUE(append(L({{"__name__", "a"}}), {V(kNow - 1000, 1), V(kNow, 2)}).ok());
  ASSERT_TRUE(append(L({{"__name__", "b"}}), {V(kNow, 2)}).ok());
  StoreStats s = db_->stats();
  EXPECT_EQ(s.num_series, 2u);
  EXPECT_EQ(s.head_samples, 3u);
  EXPECT_EQ(s.min_time, kNow - 1000);
  EXPECT_EQ(s.max_time, kNow);
  ASSERT_TRUE(db_->flush().ok());
  s = db_->stats();
  EXPECT_EQ(s.head_samples, 0u);
  EXPECT_EQ(s.num_series, 0u);  // garbage-collected from the head registry
  EXPECT_GE(s.num_blocks, 1u);
  EXPECT_EQ(s.block_samples, 3u);
  EXPECT_GT(s.block_bytes, 0u);
  EXPECT_EQ(s.min_time, kNow - 1000);
}

TEST_F(DbTest, ManySeriesAcrossManyCommitsAndRestarts) {
  open();
  std::mt19937_64 rng(42);
  Dump want;
  for (int round = 0; round < 6; round++) {
    auto app = db_->appender(Tenant{});
    for (int s = 0; s < 50; s++) {
      std::vector<Sample> v;
      int64_t t = kNow - static_cast<int64_t>(rng() % (3 * kDayMs));
      v.push_back(V(t, static_cast<double>(rng() % 100)));
      ASSERT_TRUE(app->append(L({{"__name__", "r"}, {"s", std::to_string(s)}}), v, nullptr).ok());
      auto& w = want["r{s=\"" + std::to_string(s) + "\"}"];
      auto it = std::find_if(w.begin(), w.end(), [&](const Sample& x) { return x.t >= t; });
      if (it != w.end() && it->t == t) {
        *it = v[0];
      } else {
        w.insert(it, v[0]);
      }
    }
    ASSERT_TRUE(app->commit().ok());
    if (round % 2 == 1) {
      ASSERT_TRUE(db_->flush().ok());
    }
    if (round == 3) {
      ASSERT_TRUE(db_->compact().ok());
    }
    if (round == 4) open();
    EXPECT_TRUE(same_dump(want, all())) << "round " << round;
  }
}

TEST_F(DbTest, CorruptBlockIsMovedAsideOnOpen) {
  open();
  ASSERT_TRUE(append(L({{"__name__", "m"}}), {V(kNow, 1)}).ok());
  ASSERT_TRUE(db_->flush().ok());
  ASSERT_EQ(db_->block_metas().size(), 1u);
  std::string dir = dir_.path() + "/metrics/blocks/" + block_dir_name(db_->block_metas()[0].id);
  db_.reset();
  std::filesystem::resize_file(dir + "/data", 20);
  open();
  EXPECT_TRUE(db_->block_metas().empty());
  EXPECT_TRUE(std::filesystem::exists(dir + ".corrupt"));
  EXPECT_TRUE(all().empty());
  ASSERT_TRUE(append(L({{"__name__", "m"}}), {V(kNow, 2)}).ok());
  ASSERT_TRUE(db_->flush().ok());
  EXPECT_TRUE(same_samples(all()["m{}"], {V(kNow, 2)}));
}

TEST_F(DbTest, BackgroundThreadStartsAndStopsCleanly) {
  Options o = options();
  o.background = true;
  auto db = Db::open(o);
  ASSERT_TRUE(db.ok());
  auto app = (*db)->appender(Tenant{});
  ASSERT_TRUE(app->append(L({{"__name__", "m"}}), std::vector<Sample>{V(kNow, 1)}, nullptr).ok());
  ASSERT_TRUE(app->commit().ok());
  ASSERT_TRUE((*db)->close().ok());
  db->reset();
  open();
  EXPECT_TRUE(same_samples(all()["m{}"], {V(kNow, 1)}));
}

TEST_F(DbTest, SecondOpenOfALockedDirectoryFails) {
  open();
  auto second = Db::open(options());
  EXPECT_FALSE(second.ok());
}

// Writers, a reader, and flush/compaction running at the same time: nothing is lost or
// duplicated (run under ASan/UBSan in CI).
TEST_F(DbTest, ConcurrentAppendQueryFlushCompact) {
  open();
  constexpr int kWriters = 3, kCommits = 40, kSeries = 5;
  std::vector<std::thread> threads;
  std::atomic<bool> done{false};
  for (int w = 0; w < kWriters; w++) {
    threads.emplace_back([&, w] {
      for (int c = 0; c < kCommits; c++) {
        auto app = db_->appender(Tenant{});
        for (int s = 0; s < kSeries; s++) {
          std::vector<Sample> v{V(kNow - kDayMs + c * 60000, w * 1000 + c)};
          EXPECT_TRUE(
              app->append(
                     L({{"__name__", "c"}, {"w", std::to_string(w)}, {"s", std::to_string(s)}}), v,
                     nullptr)
                  .ok());
        }
        EXPECT_TRUE(app->commit().ok());
      }
    });
  }
  std::thread reader([&] {
    while (!done.load()) {
      Dump d = all();
      for (const auto& [k, v] : d) {
        for (size_t i = 1; i < v.size(); i++) EXPECT_LT(v[i - 1].t, v[i].t);
      }
    }
  });
  for (int i = 0; i < 6; i++) {
    EXPECT_TRUE(db_->flush().ok());
    EXPECT_TRUE(db_->compact().ok());
  }
  for (auto& t : threads) t.join();
  done = true;
  reader.join();
  auto check = [&] {
    Dump d = all();
    ASSERT_EQ(d.size(), static_cast<size_t>(kWriters * kSeries));
    for (const auto& [k, v] : d) {
      ASSERT_EQ(v.size(), static_cast<size_t>(kCommits)) << k;
      for (int c = 0; c < kCommits; c++) EXPECT_EQ(v[c].t, kNow - kDayMs + c * 60000);
    }
  };
  check();
  ASSERT_TRUE(db_->flush().ok());
  ASSERT_TRUE(db_->compact().ok());
  check();
  db_.reset();
  open();
  check();
}

}  // namespace
}  // namespace opsight::storage::tsdb
