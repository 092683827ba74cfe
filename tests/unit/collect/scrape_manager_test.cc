#include "collect/scrape_manager.h"

#include <gtest/gtest.h>

#include <map>

#include "fake_store.h"
#include "storage/sample.h"
#include "temp_dir.h"

namespace opsight::collect {
namespace {

using testing::FakeStore;
using testing::find;

// Answers by URL; unknown URLs are unreachable.
class UrlFetcher final : public Fetcher {
 public:
  explicit UrlFetcher(std::map<std::string, std::string> bodies) : bodies_(std::move(bodies)) {}
  Result<net::ClientResponse> fetch(const FetchRequest& req) override {
    auto it = bodies_.find(req.url);
    if (it == bodies_.end()) return Status::unavailable("connection refused");
    net::ClientResponse r;
    r.status = 200;
    r.content_type = "text/plain; version=0.0.4";
    r.body = it->second;
    return r;
  }

 private:
  std::map<std::string, std::string> bodies_;
};

TEST(ScrapeManager, DiscoversScrapesAndStalesRemovedTargets) {
  testing::TempDir dir;
  dir.write("t.json", R"([{"targets": ["b:2"], "labels": {"team": "db"}}])");
  std::vector<ScrapeConfig> jobs;
  ASSERT_TRUE(parse_scrape_configs_yaml(R"(
- job_name: static
  scrape_interval: 10s
  static_configs:
    - targets: ["a:1", "drop.me:1"]
  relabel_configs:
    - action: drop
      source_labels: [__address__]
      regex: drop\..*
- job_name: files
  file_sd_configs:
    - files: [")" + dir.file("*.json") + R"("]
)",
                                        &jobs)
                  .ok());
  FakeStore store;
  ManualClock clock(1'700'000'000'000);
  auto m =
      ScrapeManager::create(ScrapeSettings{{}, jobs}, {}, &store, &clock,
                            std::make_unique<UrlFetcher>(std::map<std::string, std::string>{
                                {"http://a:1/metrics", "x 1\n"}, {"http://b:2/metrics", "y 2\n"}}));
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  (*m)->sync_targets();
  (*m)->scrape_all_now();
  auto w = store.take();
  EXPECT_EQ(find(w, R"(x{instance="a:1", job="static"})")->sample.v, 1);
  EXPECT_EQ(find(w, R"(y{instance="b:2", job="files", team="db"})")->sample.v, 2);

  auto snap = (*m)->targets();
  ASSERT_EQ(snap.active.size(), 2u);
  EXPECT_EQ(snap.active[0].pool, "files");
  EXPECT_EQ(snap.active[0].health.health, "up");
  EXPECT_EQ(snap.active[0].discovered.get("__meta_filepath"), dir.file("t.json"));
  EXPECT_EQ(snap.active[1].url, "http://a:1/metrics");
  EXPECT_EQ(snap.active[1].interval_ms, 10'000);
  EXPECT_EQ(snap.active[1].timeout_ms, 10'000);
  ASSERT_EQ(snap.dropped.size(), 1u);
  EXPECT_EQ(snap.dropped[0].discovered.get("__address__"), "drop.me:1");

  // The file changes: b:2 goes away (stale markers), c:3 comes.
  clock.advance_ms(1000);
  dir.write("t.json", R"([{"targets": ["c:3", "c:4"]}])");
  (*m)->sync_targets();
  w = store.take();
  const auto* stale = find(w, R"(y{instance="b:2", job="files", team="db"})");
  ASSERT_NE(stale, nullptr);
  EXPECT_TRUE(storage::is_stale_nan(stale->sample.v));
  EXPECT_TRUE(
      storage::is_stale_nan(find(w, R"(up{instance="b:2", job="files", team="db"})")->sample.v));
  snap = (*m)->targets();
  ASSERT_EQ(snap.active.size(), 3u);
  EXPECT_EQ(snap.active[0].url, "http://c:3/metrics");
  EXPECT_EQ(snap.active[0].health.health, "unknown");
  (*m)->scrape_all_now();
  w = store.take();
  EXPECT_EQ(find(w, R"(up{instance="c:3", job="files"})")->sample.v, 0);
  (*m)->stop();
}

TEST(ScrapeManager, TargetLimitFailsTheJobsScrapes) {
  std::vector<ScrapeConfig> jobs;
  ASSERT_TRUE(parse_scrape_configs_yaml("- job_name: j\n  target_limit: 1\n  static_configs:\n"
                                        "    - targets: [a:1, b:1]\n",
                                        &jobs)
                  .ok());
  FakeStore store;
  ManualClock clock(1'700'000'000'000);
  auto m = ScrapeManager::create(ScrapeSettings{{}, jobs}, {}, &store, &clock,
                                 std::make_unique<UrlFetcher>(std::map<std::string, std::string>{
                                     {"http://a:1/metrics", "x 1\n"}}));
  ASSERT_TRUE(m.ok());
  (*m)->sync_targets();
  (*m)->scrape_all_now();
  auto snap = (*m)->targets();
  ASSERT_EQ(snap.active.size(), 2u);
  EXPECT_EQ(snap.active[0].health.last_error, "target_limit exceeded (limit 1)");
}

TEST(ScrapeManager, InvalidSettingsAreRefused) {
  std::vector<ScrapeConfig> jobs(1);
  jobs[0].job_name = "j";
  jobs[0].scheme = "https";
  FakeStore store;
  auto m =
      ScrapeManager::create(ScrapeSettings{{}, jobs}, {}, &store, Clock::real(),
                            std::make_unique<UrlFetcher>(std::map<std::string, std::string>{}));
  EXPECT_FALSE(m.ok());
}

}  // namespace
}  // namespace opsight::collect
