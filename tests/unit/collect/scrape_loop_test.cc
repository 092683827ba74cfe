#include "collect/scrape_loop.h"

#include <gtest/gtest.h>

#include <cmath>

#include "fake_store.h"
#include "storage/sample.h"
#include "wire/compression.h"

namespace opsight::collect {
namespace {

using testing::FakeStore;
using testing::find;
using testing::Written;

class FakeFetcher final : public Fetcher {
 public:
  Result<net::ClientResponse> fetch(const FetchRequest& req) override {
    last = req;
    if (!error.ok()) return error;
    return response;
  }
  void set(std::string body, std::string ct = "text/plain; version=0.0.4") {
    error = OkStatus();
    response = net::ClientResponse{};
    response.status = 200;
    response.content_type = std::move(ct);
    response.body = std::move(body);
  }
  net::ClientResponse response;
  Status error;
  FetchRequest last;
};

class ScrapeLoopTest : public ::testing::Test {
 protected:
  std::shared_ptr<TargetScraper> make(ScrapeConfig cfg) {
    cfg.job_name = "node";
    cfg.scrape_interval_ms = 15'000;
    cfg.scrape_timeout_ms = 10'000;
    cfg.static_configs = {{{"host:9100"}, {}}};
    auto job = std::make_shared<JobContext>();
    auto mr = Relabeler::compile(cfg.metric_relabel_configs, "metric_relabel_configs");
    EXPECT_TRUE(mr.ok());
    job->metric_relabel = std::move(*mr);
    job->config = cfg;
    auto ts = build_targets(cfg, {}, Relabeler(), static_groups(cfg));
    EXPECT_EQ(ts.size(), 1u);
    return std::make_shared<TargetScraper>(job, ts[0]);
  }
  std::vector<Written> scrape(TargetScraper& s) {
    s.scrape(fetcher_, store_, clock_, nullptr);
    return store_.take();
  }

  FakeFetcher fetcher_;
  FakeStore store_;
  ManualClock clock_{1'700'000'000'000};
};

double value(const std::vector<Written>& ws, std::string_view series) {
  const Written* w = find(ws, series);
  EXPECT_NE(w, nullptr) << series;
  return w ? w->sample.v : std::nan("");
}

TEST_F(ScrapeLoopTest, SamplesReportSeriesAndStaleness) {
  auto s = make({});
  fetcher_.set("# HELP a The a.\n# TYPE a gauge\na 1\nb{x=\"1\"} 2\nb{x=\"2\"} 3\n");
  auto w = scrape(*s);
  EXPECT_EQ(value(w, R"(a{instance="host:9100", job="node"})"), 1);
  EXPECT_EQ(value(w, R"(b{instance="host:9100", job="node", x="2"})"), 3);
  EXPECT_EQ(value(w, R"(up{instance="host:9100", job="node"})"), 1);
  EXPECT_EQ(value(w, R"(scrape_samples_scraped{instance="host:9100", job="node"})"), 3);
  EXPECT_EQ(value(w, R"(scrape_samples_post_metric_relabeling{instance="host:9100", job="node"})"),
            3);
  EXPECT_EQ(value(w, R"(scrape_series_added{instance="host:9100", job="node"})"), 3);
  EXPECT_EQ(find(w, R"(a{instance="host:9100", job="node"})")->sample.t, 1'700'000'000'000);
  EXPECT_EQ(store_.metadata()["a"].help, "The a.");
  // The request asked for OpenMetrics first, gzip, and said the timeout.
  EXPECT_EQ(fetcher_.last.url, "http://host:9100/metrics");
  EXPECT_EQ(fetcher_.last.timeout_ms, 10'000);
  bool accept = false, gzip = false, timeout = false;
  for (const auto& [k, v] : fetcher_.last.headers) {
    accept |= k == "Accept" && v.starts_with("application/openmetrics-text;version=1.0.0");
    gzip |= k == "Accept-Encoding" && v == "gzip";
    timeout |= k == "X-Prometheus-Scrape-Timeout-Seconds" && v == "10";
  }
  EXPECT_TRUE(accept && gzip && timeout);
  EXPECT_EQ(s->health().health, "up");

  // b{x="2"} disappears: one staleness marker for it, nothing for the others.
  clock_.advance_ms(15'000);
  fetcher_.set("a 1\nb{x=\"1\"} 2\n");
  w = scrape(*s);
  const Written* stale = find(w, R"(b{instance="host:9100", job="node", x="2"})");
  ASSERT_NE(stale, nullptr);
  EXPECT_TRUE(storage::is_stale_nan(stale->sample.v));
  EXPECT_EQ(stale->sample.t, 1'700'000'015'000);
  EXPECT_EQ(value(w, R"(scrape_series_added{instance="host:9100", job="node"})"), 0);
  EXPECT_EQ(store_.metadata().size(), 1u);  // metadata unchanged: not written again

  // A failed scrape: up 0 and every series of the last scrape stale.
  clock_.advance_ms(15'000);
  fetcher_.error = Status::unavailable("connection refused");
  w = scrape(*s);
  EXPECT_EQ(value(w, R"(up{instance="host:9100", job="node"})"), 0);
  EXPECT_TRUE(storage::is_stale_nan(value(w, R"(a{instance="host:9100", job="node"})")));
  EXPECT_TRUE(storage::is_stale_nan(value(w, R"(b{instance="host:9100", job="node", x="1"})")));
  EXPECT_EQ(s->health().health, "down");
  EXPECT_EQ(s->health().last_error, "connection refused");

  // The target goes away after a good scrape: stale markers for its series and report series.
  clock_.advance_ms(15'000);
  fetcher_.set("a 5\n");
  scrape(*s);
  s->write_stale_markers(store_, clock_.now_ms() + 1);
  w = store_.take();
  EXPECT_TRUE(storage::is_stale_nan(value(w, R"(a{instance="host:9100", job="node"})")));
  EXPECT_TRUE(storage::is_stale_nan(value(w, R"(up{instance="host:9100", job="node"})")));
  EXPECT_EQ(w.size(), 6u);
  s->scrape(fetcher_, store_, clock_, nullptr);  // ended: writes nothing
  EXPECT_TRUE(store_.take().empty());
}

TEST_F(ScrapeLoopTest, HonorLabelsAndExportedConflicts) {
  auto s = make({});
  fetcher_.set("m{job=\"pushed\",exported_job=\"x\"} 1\n");
  auto w = scrape(*s);
  EXPECT_NE(
      find(
          w,
          R"(m{exported_exported_job="pushed", exported_job="x", instance="host:9100", job="node"})"),
      nullptr);
  ScrapeConfig honor;
  honor.honor_labels = true;
  s = make(honor);
  w = scrape(*s);
  EXPECT_NE(find(w, R"(m{exported_job="x", instance="host:9100", job="pushed"})"), nullptr);
}

TEST_F(ScrapeLoopTest, MetricRelabelAndLimits) {
  ScrapeConfig c;
  RelabelConfig drop;
  drop.action = RelabelAction::kDrop;
  drop.source_labels = {"__name__"};
  drop.regex = "go_.*";
  c.metric_relabel_configs = {drop};
  c.sample_limit = 2;
  auto s = make(c);
  fetcher_.set("go_a 1\ngo_b 1\nkeep 1\n");
  auto w = scrape(*s);
  EXPECT_EQ(find(w, R"(go_a{instance="host:9100", job="node"})"), nullptr);
  EXPECT_EQ(value(w, R"(scrape_samples_scraped{instance="host:9100", job="node"})"), 3);
  EXPECT_EQ(value(w, R"(scrape_samples_post_metric_relabeling{instance="host:9100", job="node"})"),
            1);
  fetcher_.set("a 1\nb 1\nc 1\n");
  w = scrape(*s);
  EXPECT_EQ(value(w, R"(up{instance="host:9100", job="node"})"), 0);
  EXPECT_NE(s->health().last_error.find("sample_limit exceeded (3 samples > limit 2)"),
            std::string::npos);
  EXPECT_TRUE(storage::is_stale_nan(value(w, R"(keep{instance="host:9100", job="node"})")));

  ScrapeConfig l;
  l.label_limit = 3;
  s = make(l);
  fetcher_.set("a{x=\"1\",y=\"2\"} 1\n");
  w = scrape(*s);
  EXPECT_EQ(value(w, R"(up{instance="host:9100", job="node"})"), 0);
  EXPECT_NE(s->health().last_error.find("label_limit exceeded"), std::string::npos);
}

TEST_F(ScrapeLoopTest, OpenMetricsGzipTimestampsAndBadLines) {
  auto s = make({});
  fetcher_.set(wire::gzip_compress("# TYPE c counter\nc_total 4 1699999999.5 # {trace_id=\"t\"} 1\n"
                                   "# EOF\n"),
               "application/openmetrics-text; version=1.0.0; charset=utf-8");
  fetcher_.response.headers.emplace_back("content-encoding", "gzip");
  auto w = scrape(*s);
  const Written* c = find(w, R"(c_total{instance="host:9100", job="node"})");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->sample.t, 1'699'999'999'500);  // honor_timestamps (the default)
  EXPECT_EQ(store_.metadata()["c"].type, "counter");

  ScrapeConfig no_ts;
  no_ts.honor_timestamps = false;
  s = make(no_ts);
  fetcher_.set("a 1 1000\nbad line here\n");
  w = scrape(*s);
  EXPECT_EQ(find(w, R"(a{instance="host:9100", job="node"})")->sample.t, clock_.now_ms());
  EXPECT_EQ(s->health().health, "up");
  EXPECT_NE(s->health().last_error.find("line 2: invalid value"), std::string::npos);

  fetcher_.set("x", "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily");
  scrape(*s);
  EXPECT_NE(s->health().last_error.find("unsupported Content-Type"), std::string::npos);
  fetcher_.set("x");
  fetcher_.response.status = 503;
  scrape(*s);
  EXPECT_EQ(s->health().last_error, "server returned HTTP status 503");
}

}  // namespace
}  // namespace opsight::collect
