// write_log_batch hands every stored stream to the metric filter hook (log_metrics_hook.h) and
// writes what it derives after the log events are durable; EMF extraction can be switched off.
#include <gtest/gtest.h>

#include "collect/fake_store.h"
#include "ingest/logs/log_writer.h"

namespace opsight::ingest::logs {
namespace {

// A LogStore that keeps committed events and refuses a group named "/refused".
class FakeLogStore final : public storage::LogStore {
 public:
  class App final : public storage::LogAppender {
   public:
    explicit App(FakeLogStore* s) : s_(s) {}
    Status append(std::string_view group, std::string_view, std::span<const storage::LogEvent> ev,
                  bool) override {
      if (group == "/refused") return Status::invalid_argument("refused");
      staged_ += ev.size();
      return OkStatus();
    }
    Status commit() override {
      if (s_->fail_commit) return Status::io_error("disk full");
      s_->committed += staged_;
      return OkStatus();
    }
    void rollback() override { staged_ = 0; }

   private:
    FakeLogStore* s_;
    size_t staged_ = 0;
  };

  Status create_group(const storage::Tenant&, std::string_view, int) override { return {}; }
  Status delete_group(const storage::Tenant&, std::string_view) override { return {}; }
  Status put_retention(const storage::Tenant&, std::string_view, int) override { return {}; }
  Status put_indexed_fields(const storage::Tenant&, std::string_view,
                            std::vector<std::string>) override {
    return {};
  }
  Result<std::vector<storage::LogGroupInfo>> describe_groups(const storage::Tenant&,
                                                             std::string_view) override {
    return std::vector<storage::LogGroupInfo>{};
  }
  Status create_stream(const storage::Tenant&, std::string_view, std::string_view) override {
    return {};
  }
  Status delete_stream(const storage::Tenant&, std::string_view, std::string_view) override {
    return {};
  }
  Result<std::vector<storage::LogStreamInfo>> describe_streams(const storage::Tenant&,
                                                               std::string_view,
                                                               std::string_view) override {
    return std::vector<storage::LogStreamInfo>{};
  }
  std::unique_ptr<storage::LogAppender> appender(const storage::Tenant&) override {
    return std::make_unique<App>(this);
  }
  Result<std::unique_ptr<storage::LogScanner>> scan(const storage::Tenant&,
                                                    const storage::LogScan&) override {
    return Status::unimplemented("fake");
  }
  Status close() override { return {}; }

  size_t committed = 0;
  bool fail_commit = false;
};

// Publishes one sample "events_seen{group=...}" per event it is shown.
class CountingHook final : public LogMetricsHook {
 public:
  void derive(const storage::Tenant& tenant, std::string_view group,
              std::span<const storage::LogEvent> events, MetricBatch* out) const override {
    calls++;
    last_tenant = tenant;
    for (const auto& e : events) {
      out->series.push_back(
          SeriesSamples{Labels{{"__name__", "events_seen"}, {"group", std::string(group)}},
                        {storage::Sample::value(e.timestamp_ms, 1)},
                        "hook"});
    }
  }
  mutable int calls = 0;
  mutable storage::Tenant last_tenant;
};

LogBatch batch_of(std::vector<std::pair<std::string, std::string>> group_messages) {
  LogBatch b;
  LogBatchBuilder builder(&b);
  int64_t t = 1000;
  for (auto& [g, m] : group_messages) {
    storage::LogEvent e;
    e.timestamp_ms = t++;
    e.message = m;
    builder.add(g, "s", g, std::move(e));
  }
  return b;
}

const std::string kEmf =
    R"({"_aws":{"Timestamp":1000,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],)"
    R"("Metrics":[{"Name":"Emf"}]}]},"Emf":3})";

TEST(LogMetricsHookTest, SeesEveryStoredStreamAndNotTheRefusedOnes) {
  FakeLogStore logs;
  collect::testing::FakeStore metrics;
  CountingHook hook;
  LogWriteOptions o;
  o.metrics = &metrics;
  o.metric_filters = &hook;
  storage::Tenant tenant{"123456789012", "local"};
  auto out = write_log_batch(
      logs, tenant, batch_of({{"/a", "x"}, {"/a", "y"}, {"/refused", "z"}, {"/b", kEmf}}), o);
  ASSERT_TRUE(out.status.ok());
  EXPECT_EQ(out.accepted_events, 3u);
  EXPECT_EQ(hook.calls, 2);
  EXPECT_EQ(hook.last_tenant, tenant);
  auto written = metrics.take();
  ASSERT_EQ(written.size(), 4u);  // 3 hook samples + 1 EMF sample
  EXPECT_NE(collect::testing::find(written, R"(events_seen{group="/a"})"), nullptr);
  EXPECT_NE(collect::testing::find(written, R"(Emf{Namespace="N"})"), nullptr);
}

TEST(LogMetricsHookTest, EmfCanBeSwitchedOffWithoutTheHook) {
  FakeLogStore logs;
  collect::testing::FakeStore metrics;
  CountingHook hook;
  LogWriteOptions o;
  o.metrics = &metrics;
  o.metric_filters = &hook;
  o.extract_emf = false;
  auto out = write_log_batch(logs, storage::Tenant{}, batch_of({{"/b", kEmf}}), o);
  ASSERT_TRUE(out.status.ok());
  auto written = metrics.take();
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written[0].labels.metric_name(), "events_seen");
}

TEST(LogMetricsHookTest, NothingIsDerivedWhenTheLogCommitFails) {
  FakeLogStore logs;
  logs.fail_commit = true;
  collect::testing::FakeStore metrics;
  CountingHook hook;
  LogWriteOptions o;
  o.metrics = &metrics;
  o.metric_filters = &hook;
  auto out = write_log_batch(logs, storage::Tenant{}, batch_of({{"/a", "x"}}), o);
  EXPECT_FALSE(out.status.ok());
  EXPECT_TRUE(metrics.take().empty());
}

TEST(LogMetricsHookTest, NoMetricsStoreMeansNoHookCalls) {
  FakeLogStore logs;
  CountingHook hook;
  LogWriteOptions o;
  o.metric_filters = &hook;
  auto out = write_log_batch(logs, storage::Tenant{}, batch_of({{"/a", "x"}}), o);
  ASSERT_TRUE(out.status.ok());
  EXPECT_EQ(hook.calls, 0);
}

}  // namespace
}  // namespace opsight::ingest::logs
