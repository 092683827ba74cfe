// LogQueryService over an in-memory LogStore: cross-account queries (QueryRequest.account_groups)
// scan each tenant, merge in time order and give rows @aws.account / @aws.region and @log as
// "<account>:<group>"; single-account queries keep plain @log and have no @aws.* fields.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "query/insights/query_service.h"

namespace opsight::query::insights {
namespace {

struct FakeEvent {
  std::string group;
  int64_t timestamp_ms = 0;
  std::string message;
};

// Scans a copy of the matching events in time order (newest first when asked); each record's
// views point into the scanner's own copy.
class FakeScanner final : public storage::LogScanner {
 public:
  FakeScanner(std::vector<FakeEvent> events, bool newest_first) : events_(std::move(events)) {
    std::stable_sort(events_.begin(), events_.end(), [&](const FakeEvent& a, const FakeEvent& b) {
      return newest_first ? a.timestamp_ms > b.timestamp_ms : a.timestamp_ms < b.timestamp_ms;
    });
  }
  Result<bool> next(storage::LogRecord* r) override {
    if (pos_ == events_.size()) return false;
    const FakeEvent& e = events_[pos_++];
    *r = storage::LogRecord{};
    r->log_group = e.group;
    r->log_stream = "s";
    r->timestamp_ms = e.timestamp_ms;
    r->ingestion_time_ms = e.timestamp_ms;
    r->message = e.message;
    stats_.records_scanned++;
    stats_.bytes_scanned += e.message.size();
    return true;
  }
  storage::LogScanStats stats() const override { return stats_; }

 private:
  std::vector<FakeEvent> events_;
  size_t pos_ = 0;
  storage::LogScanStats stats_;
};

class FakeLogStore final : public storage::LogStore {
 public:
  void add(const storage::Tenant& t, std::string group, int64_t ts, std::string message) {
    auto& groups = groups_[t];
    if (std::find(groups.begin(), groups.end(), group) == groups.end()) groups.push_back(group);
    events_[t].push_back(FakeEvent{std::move(group), ts, std::move(message)});
  }
  int scans = 0;

  Status create_group(const storage::Tenant&, std::string_view, int) override { return OkStatus(); }
  Status delete_group(const storage::Tenant&, std::string_view) override { return OkStatus(); }
  Status put_retention(const storage::Tenant&, std::string_view, int) override {
    return OkStatus();
  }
  Status put_indexed_fields(const storage::Tenant&, std::string_view,
                            std::vector<std::string>) override {
    return OkStatus();
  }
  Result<std::vector<storage::LogGroupInfo>> describe_groups(const storage::Tenant& t,
                                                             std::string_view) override {
    std::vector<storage::LogGroupInfo> out;
    for (const auto& g : groups_[t]) {
      out.emplace_back();
      out.back().name = g;
    }
    return out;
  }
  Status create_stream(const storage::Tenant&, std::string_view, std::string_view) override {
    return OkStatus();
  }
  Status delete_stream(const storage::Tenant&, std::string_view, std::string_view) override {
    return OkStatus();
  }
  Result<std::vector<storage::LogStreamInfo>> describe_streams(const storage::Tenant&,
                                                               std::string_view,
                                                               std::string_view) override {
    return std::vector<storage::LogStreamInfo>{};
  }
  std::unique_ptr<storage::LogAppender> appender(const storage::Tenant&) override {
    return nullptr;
  }
  Result<std::unique_ptr<storage::LogScanner>> scan(const storage::Tenant& t,
                                                    const storage::LogScan& s) override {
    scans++;
    std::vector<FakeEvent> picked;
    for (const auto& e : events_[t]) {
      if (std::find(s.groups.begin(), s.groups.end(), e.group) == s.groups.end()) continue;
      if (e.timestamp_ms < s.start_ms || e.timestamp_ms >= s.end_ms) continue;
      picked.push_back(e);
    }
    return std::unique_ptr<storage::LogScanner>(
        std::make_unique<FakeScanner>(std::move(picked), s.newest_first));
  }
  Status close() override { return OkStatus(); }

 private:
  std::map<storage::Tenant, std::vector<std::string>> groups_;
  std::map<storage::Tenant, std::vector<FakeEvent>> events_;
};

const storage::Tenant kMonitoring{"111111111111", "us-east-1"};
const storage::Tenant kSource{"222222222222", "us-east-1"};

class LogQueryServiceTest : public ::testing::Test {
 protected:
  LogQueryServiceTest() {
    store_.add(kMonitoring, "/m/app", 1000, "m one");
    store_.add(kMonitoring, "/m/app", 3000, "m two");
    store_.add(kSource, "/s/app", 2000, "s one");
    store_.add(kSource, "/s/app", 4000, "s two");
    store_.add(kSource, "/s/app", 5000, "s three");
    store_.add(kSource, "/s/other", 6000, "s other");
  }

  QueryState run(QueryRequest q) {
    q.start_ms = 0;
    q.end_ms = 100'000;
    auto id = service_.start(q);
    EXPECT_TRUE(id.ok()) << id.status().message();
    if (!id.ok()) return {};
    auto s = service_.wait(q.tenant, *id, 60'000);
    EXPECT_TRUE(s.ok());
    EXPECT_EQ(s->status, QueryStatus::kComplete) << s->error;
    return *s;
  }

  static std::optional<std::string> cell(const QueryState& s, size_t row, std::string_view col) {
    auto it = std::find(s.results.columns.begin(), s.results.columns.end(), col);
    if (it == s.results.columns.end() || row >= s.results.rows.size()) return std::nullopt;
    return s.results.rows[row][it - s.results.columns.begin()];
  }

  ManualClock clock_{1'000'000};
  FakeLogStore store_;
  LogQueryService service_{&store_, &clock_};
};

TEST_F(LogQueryServiceTest, CrossAccountRowsCarryOwningAccountAndRegion) {
  QueryRequest q;
  q.tenant = kMonitoring;
  q.account_groups = {{kMonitoring, "/m/app"}, {kSource, "/s/app"}};
  q.query = "fields @timestamp, @message, @aws.account, @aws.region, @log";
  QueryState s = run(q);
  ASSERT_EQ(s.results.rows.size(), 5u);
  // Merged newest first across the two accounts.
  const std::vector<std::string> messages = {"s three", "s two", "m two", "s one", "m one"};
  for (size_t i = 0; i < messages.size(); i++) {
    EXPECT_EQ(cell(s, i, "@message"), messages[i]) << i;
    const bool source = messages[i][0] == 's';
    EXPECT_EQ(cell(s, i, "@aws.account"), source ? kSource.account : kMonitoring.account);
    EXPECT_EQ(cell(s, i, "@aws.region"), "us-east-1");
    EXPECT_EQ(cell(s, i, "@log"), source ? "222222222222:/s/app" : "111111111111:/m/app");
  }
  EXPECT_EQ(s.statistics.records_scanned, 5u);
  EXPECT_EQ(s.statistics.records_matched, 5u);
  EXPECT_EQ(store_.scans, 2);  // one scanner per tenant
}

TEST_F(LogQueryServiceTest, StatsByAccount) {
  QueryRequest q;
  q.tenant = kMonitoring;
  q.account_groups = {{kMonitoring, "/m/app"}, {kSource, "/s/app"}, {kSource, "/s/other"}};
  q.query = "stats count(*) as n by @aws.account";
  QueryState s = run(q);
  ASSERT_EQ(s.results.rows.size(), 2u);
  EXPECT_EQ(cell(s, 0, "@aws.account"), kMonitoring.account);
  EXPECT_EQ(cell(s, 0, "n"), "2");
  EXPECT_EQ(cell(s, 1, "@aws.account"), kSource.account);
  EXPECT_EQ(cell(s, 1, "n"), "4");
  EXPECT_EQ(store_.scans, 2);  // the source's two groups share one scanner
}

TEST_F(LogQueryServiceTest, FilterOnAccountAndOldestFirstWithLimit) {
  QueryRequest q;
  q.tenant = kMonitoring;
  q.account_groups = {{kMonitoring, "/m/app"}, {kSource, "/s/app"}};
  q.query = "filter @aws.account = \"222222222222\" | sort @timestamp asc | limit 2";
  QueryState s = run(q);
  ASSERT_EQ(s.results.rows.size(), 2u);
  EXPECT_EQ(cell(s, 0, "@message"), "s one");
  EXPECT_EQ(cell(s, 1, "@message"), "s two");
  EXPECT_EQ(s.statistics.records_matched, 3u);
}

TEST_F(LogQueryServiceTest, SingleAccountQueryIsUnchanged) {
  QueryRequest q;
  q.tenant = kSource;
  q.groups = {"/s/app"};
  q.query = "fields @message, @log, @aws.account";
  QueryState s = run(q);
  ASSERT_EQ(s.results.rows.size(), 3u);
  EXPECT_EQ(cell(s, 0, "@message"), "s three");
  EXPECT_EQ(cell(s, 0, "@log"), "/s/app");
  EXPECT_EQ(cell(s, 0, "@aws.account"), std::nullopt);
}

TEST_F(LogQueryServiceTest, UnknownGroupOfAnotherAccountIsNotFound) {
  QueryRequest q;
  q.tenant = kMonitoring;
  q.account_groups = {{kMonitoring, "/m/app"}, {kSource, "/nope"}};
  q.query = "fields @message";
  q.end_ms = 1;
  auto id = service_.start(q);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), Code::kNotFound);
  EXPECT_NE(id.status().message().find("/nope"), std::string::npos);
}

TEST_F(LogQueryServiceTest, BothGroupFormsAreRefused) {
  QueryRequest q;
  q.tenant = kMonitoring;
  q.groups = {"/m/app"};
  q.account_groups = {{kSource, "/s/app"}};
  q.query = "fields @message";
  q.end_ms = 1;
  auto id = service_.start(q);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), Code::kInvalidArgument);
}

TEST_F(LogQueryServiceTest, CrossAccountQueryIsListedUnderItsRunner) {
  QueryRequest q;
  q.tenant = kMonitoring;
  q.account_groups = {{kSource, "/s/app"}};
  q.query = "fields @message";
  QueryState s = run(q);
  EXPECT_EQ(service_.list(kMonitoring).size(), 1u);
  EXPECT_TRUE(service_.list(kSource).empty());
  EXPECT_FALSE(service_.get(kSource, s.id).ok());
}

}  // namespace
}  // namespace opsight::query::insights
