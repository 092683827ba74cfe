// Span-derived metrics: which spans count, cumulative counters across calls with strictly
// increasing timestamps, the histogram buckets, metadata once per tenant, the series bound.
#include "apm/span_metrics.h"

#include <gtest/gtest.h>

#include <map>

#include "apm/span_builder.h"

namespace opsight::apm {
namespace {

using testing::SpanBuilder;

// Records what is staged, keyed by the series' labels rendered as text.
class RecordingAppender final : public storage::Appender {
 public:
  std::map<std::string, std::vector<storage::Sample>> series;
  std::vector<std::string> metadata;
  bool committed = false;

  Status append(const Labels& labels, std::span<const storage::Sample> samples,
                std::vector<storage::SampleError>*) override {
    std::string key;
    for (const auto& l : labels.vec()) key += l.name + "=" + l.value + ",";
    auto& v = series[key];
    v.insert(v.end(), samples.begin(), samples.end());
    return OkStatus();
  }
  Status append_views(std::span<const LabelView>, std::span<const storage::Sample>,
                      std::vector<storage::SampleError>*) override {
    return Status::unimplemented("not used");
  }
  Status append_metadata(std::string_view name, const storage::MetricMetadata&) override {
    metadata.emplace_back(name);
    return OkStatus();
  }
  Status append_exemplar(std::span<const LabelView>, const storage::Exemplar&) override {
    return OkStatus();
  }
  Status commit() override {
    committed = true;
    return OkStatus();
  }
  void rollback() override {}

  double last(const std::string& key) const {
    auto it = series.find(key);
    return it == series.end() || it->second.empty() ? -1 : it->second.back().v;
  }
};

std::string key(std::string_view name, std::string_view op, std::string_view le = "") {
  std::string k = "__name__=" + std::string(name) + ",";
  if (!le.empty()) k += "le=" + std::string(le) + ",";
  return k + "operation=" + std::string(op) + ",service=checkout,";
}

TEST(SpanMetrics, CountsEntrySpansCumulatively) {
  ManualClock clock(1'000'000);
  SpanMetrics m({}, &clock);
  RecordingAppender app;
  std::vector<storage::Span> batch = {
      SpanBuilder("t1", "a", "checkout").name("POST /pay").time_ms(0, 30),  // root server
      SpanBuilder("t1", "b", "checkout").parent("a").client().name("db"),   // not counted
      SpanBuilder("t1", "c", "checkout").parent("a").internal().name("x"),  // not counted
      SpanBuilder("t2", "a", "checkout")
          .parent("up")
          .name("POST /pay")
          .time_ms(0, 700)
          .http("POST", "/pay", 503),
      SpanBuilder("t3", "a", "checkout").parent("up").name("POST /pay").http("POST", "/pay", 404),
  };
  ASSERT_TRUE(m.record_span_metrics({}, batch, &app).ok());
  EXPECT_EQ(m.num_series(), 1u);
  EXPECT_EQ(app.last(key(kSpanRequestsMetric, "POST /pay")), 3);
  EXPECT_EQ(app.last(key(kSpanFaultsMetric, "POST /pay")), 1);
  EXPECT_EQ(app.last(key(kSpanErrorsMetric, "POST /pay")), 1);
  EXPECT_EQ(app.last(key("opsight_span_duration_seconds_bucket", "POST /pay", "0.005")), 1);
  EXPECT_EQ(app.last(key("opsight_span_duration_seconds_bucket", "POST /pay", "0.05")), 2);
  EXPECT_EQ(app.last(key("opsight_span_duration_seconds_bucket", "POST /pay", "1")), 3);
  EXPECT_EQ(app.last(key("opsight_span_duration_seconds_bucket", "POST /pay", "+Inf")), 3);
  EXPECT_EQ(app.last(key("opsight_span_duration_seconds_count", "POST /pay")), 3);
  EXPECT_NEAR(app.last(key("opsight_span_duration_seconds_sum", "POST /pay")), 0.731, 1e-9);
  EXPECT_EQ(app.series.size(), 3u + 12u + 2u);
  EXPECT_EQ(app.metadata.size(), 4u);
  EXPECT_FALSE(app.committed);  // the caller commits

  // The first write starts with a 0 at the state's creation, then the value a moment later.
  const auto& first = app.series.at(key(kSpanRequestsMetric, "POST /pay"));
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].t, 1'000'000);
  EXPECT_EQ(first[0].v, 0);
  EXPECT_EQ(first[1].t, 1'000'001);
  EXPECT_EQ(first[1].v, 3);

  // A second request at the same clock reading: cumulative values, a later timestamp, no 0.
  RecordingAppender app2;
  std::vector<storage::Span> more = {SpanBuilder("t4", "a", "checkout").name("POST /pay").error()};
  ASSERT_TRUE(m.record_span_metrics({}, more, &app2).ok());
  const auto& s = app2.series.at(key(kSpanRequestsMetric, "POST /pay"));
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].v, 4);
  EXPECT_EQ(s[0].t, 1'000'002);
  EXPECT_EQ(app2.last(key(kSpanFaultsMetric, "POST /pay")), 2);
  EXPECT_TRUE(app2.metadata.empty());  // once per tenant

  // A batch without entry spans stages nothing.
  RecordingAppender app3;
  std::vector<storage::Span> none = {SpanBuilder("t5", "b", "checkout").parent("a").client()};
  ASSERT_TRUE(m.record_span_metrics({}, none, &app3).ok());
  EXPECT_TRUE(app3.series.empty());
}

// Ingest only adds tallies; write() stages the touched series of every tenant and commits,
// once per write however many batches came in between.
class RecordingStore final : public storage::MetricStore {
 public:
  std::map<storage::Tenant, RecordingAppender> appenders;
  std::unique_ptr<storage::Appender> appender(const storage::Tenant& tenant) override {
    return std::make_unique<Forward>(&appenders[tenant]);
  }
  Result<std::unique_ptr<storage::Querier>> querier(const storage::QueryScope&, int64_t,
                                                    int64_t) override {
    return Status::unimplemented("not used");
  }
  storage::StoreStats stats() override { return {}; }
  Status close() override { return OkStatus(); }

 private:
  struct Forward final : storage::Appender {
    explicit Forward(RecordingAppender* to) : to(to) {}
    RecordingAppender* to;
    Status append(const Labels& l, std::span<const storage::Sample> s,
                  std::vector<storage::SampleError>* e) override {
      return to->append(l, s, e);
    }
    Status append_views(std::span<const LabelView> l, std::span<const storage::Sample> s,
                        std::vector<storage::SampleError>* e) override {
      return to->append_views(l, s, e);
    }
    Status append_metadata(std::string_view n, const storage::MetricMetadata& m) override {
      return to->append_metadata(n, m);
    }
    Status append_exemplar(std::span<const LabelView> l, const storage::Exemplar& e) override {
      return to->append_exemplar(l, e);
    }
    Status commit() override { return to->commit(); }
    void rollback() override {}
  };
};

TEST(SpanMetrics, WriteStagesTouchedSeriesOfEveryTenant) {
  ManualClock clock(10'000);
  SpanMetrics m({}, &clock);
  storage::Tenant other{"111111111111", "local"};
  std::vector<storage::Span> one = {SpanBuilder("t", "a", "checkout").name("op")};
  m.add({}, SpanMetrics::tally(one));
  m.add({}, SpanMetrics::tally(one));
  m.add(other, SpanMetrics::tally(one));
  clock.advance_ms(5'000);
  RecordingStore store;
  ASSERT_TRUE(m.write(&store).ok());
  ASSERT_EQ(store.appenders.size(), 2u);
  const RecordingAppender& mine = store.appenders[storage::Tenant{}];
  EXPECT_TRUE(mine.committed);
  const auto& req = mine.series.at(key(kSpanRequestsMetric, "op"));
  ASSERT_EQ(req.size(), 2u);  // 0 at the first span, then the count at the write
  EXPECT_EQ(req[0].t, 10'000);
  EXPECT_EQ(req[1].t, 15'000);
  EXPECT_EQ(req[1].v, 2);
  EXPECT_EQ(store.appenders[other].last(key(kSpanRequestsMetric, "op")), 1);

  // Nothing touched since: a write stages nothing.
  RecordingStore again;
  ASSERT_TRUE(m.write(&again).ok());
  EXPECT_TRUE(again.appenders.empty());

  // A tally of spans without entry spans touches nothing.
  std::vector<storage::Span> client = {SpanBuilder("t", "b", "checkout").parent("a").client()};
  EXPECT_TRUE(SpanMetrics::tally(client).empty());
}

TEST(SpanMetrics, TenantsAreSeparate) {
  ManualClock clock(5000);
  SpanMetrics m({}, &clock);
  storage::Tenant other{"111111111111", "local"};
  std::vector<storage::Span> one = {SpanBuilder("t", "a", "checkout").name("op")};
  RecordingAppender a, b;
  ASSERT_TRUE(m.record_span_metrics({}, one, &a).ok());
  ASSERT_TRUE(m.record_span_metrics(other, one, &b).ok());
  EXPECT_EQ(b.last(key(kSpanRequestsMetric, "op")), 1);
  EXPECT_EQ(b.metadata.size(), 4u);
  EXPECT_EQ(m.num_series(), 2u);
}

TEST(SpanMetrics, SeriesBeyondTheBoundFoldIntoOther) {
  ManualClock clock(5000);
  SpanMetrics m({/*max_series=*/2}, &clock);
  std::vector<storage::Span> spans;
  for (int i = 0; i < 5; i++) {
    spans.push_back(
        SpanBuilder("t" + std::to_string(i), "a", "checkout").name("op" + std::to_string(i)));
  }
  RecordingAppender app;
  ASSERT_TRUE(m.record_span_metrics({}, spans, &app).ok());
  EXPECT_EQ(m.num_series(), 3u);  // op0, op1, other
  EXPECT_EQ(app.last(key(kSpanRequestsMetric, "other")), 3);
  EXPECT_EQ(app.last(key(kSpanRequestsMetric, "op0")), 1);
}

}  // namespace
}  // namespace opsight::apm
