// The webhook notifier: Alertmanager webhook JSON (version 4), grouping by alertname,
// send_resolved, external labels, the bounded queue, retries. Delivery goes through an injected
// post function; flush() sends on the test thread, so nothing waits.
#include "rules/notifier.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace opsight::rules {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

NotifyAlert alert(std::string name, std::string instance, int64_t starts, int64_t ends) {
  NotifyAlert a;
  a.labels = Labels{{"alertname", name}, {"instance", instance}, {"severity", "page"}};
  a.annotations = Labels{{"summary", instance + " down"}, {"runbook", "r"}};
  a.starts_at_ms = starts;
  a.ends_at_ms = ends;
  a.generator_url = "http://x/graph?g0.expr=up&g0.tab=1";
  return a;
}

struct Post {
  std::string url, body;
  int64_t timeout_ms;
};

class NotifierTest : public ::testing::Test {
 protected:
  NotifierOptions options() {
    NotifierOptions o;
    o.webhooks = {WebhookConfig{"team", "http://hook/a", 2'000, true, 0}};
    o.external_url = "http://opsight:4318";
    o.external_labels = Labels{{"cluster", "eu1"}};
    o.clock = &clock_;
    o.initial_backoff_ms = 1;
    o.post = [this](const std::string& url, const std::string& body, int64_t t) -> Result<int> {
      posts_.push_back({url, body, t});
      if (!statuses_.empty()) {
        int s = statuses_.front();
        statuses_.erase(statuses_.begin());
        if (s < 0) return Status::unavailable("connection refused");
        return s;
      }
      return 200;
    };
    return o;
  }

  ManualClock clock_{kNow};
  std::vector<Post> posts_;
  std::vector<int> statuses_;  // next answers; -1 = connection error
};

TEST_F(NotifierTest, PayloadIsTheAlertmanagerWebhookFormat) {
  WebhookConfig w{"team", "http://hook", 1000, true, 0};
  std::vector<NotifyAlert> as = {alert("Down", "h1", kNow - 60'000, kNow + 240'000),
                                 alert("Down", "h2", kNow - 120'500, kNow - 1'000)};
  std::string body = webhook_payload(w, as, Labels{{"alertname", "Down"}}, "http://ext", kNow);
  EXPECT_EQ(body,
            R"({"receiver":"team","status":"firing","alerts":[)"
            R"({"status":"firing","labels":{"alertname":"Down","instance":"h1","severity":"page"},)"
            R"("annotations":{"runbook":"r","summary":"h1 down"},)"
            R"("startsAt":"2023-11-14T22:12:20Z","endsAt":"0001-01-01T00:00:00Z",)"
            R"("generatorURL":"http://x/graph?g0.expr=up&g0.tab=1","fingerprint":")" +
                alert_fingerprint(as[0].labels) +
                R"("},{"status":"resolved","labels":{"alertname":"Down","instance":"h2",)"
                R"("severity":"page"},"annotations":{"runbook":"r","summary":"h2 down"},)"
                R"("startsAt":"2023-11-14T22:11:19.5Z","endsAt":"2023-11-14T22:13:19Z",)"
                R"("generatorURL":"http://x/graph?g0.expr=up&g0.tab=1","fingerprint":")" +
                alert_fingerprint(as[1].labels) +
                R"("}],"groupLabels":{"alertname":"Down"},)"
                R"("commonLabels":{"alertname":"Down","severity":"page"},)"
                R"("commonAnnotations":{"runbook":"r"},"externalURL":"http://ext",)"
                R"("version":"4","groupKey":"{}:{alertname=\"Down\"}","truncatedAlerts":0})");
  w.max_alerts = 1;
  std::string truncated = webhook_payload(w, as, Labels{{"alertname", "Down"}}, "", kNow);
  EXPECT_NE(truncated.find(R"("truncatedAlerts":1})"), std::string::npos);
  EXPECT_EQ(truncated.find("h2 down"), std::string::npos);
  as.erase(as.begin());
  EXPECT_NE(webhook_payload(w, as, {}, "", kNow).find(R"("status":"resolved","alerts")"),
            std::string::npos);
}

TEST_F(NotifierTest, FingerprintIsFnv1aOfSortedLabels) {
  // FNV-1a 64 of "" is the offset basis.
  EXPECT_EQ(alert_fingerprint(Labels{}), "cbf29ce484222325");
  EXPECT_EQ(alert_fingerprint(Labels{{"a", "b"}}).size(), 16u);
  EXPECT_NE(alert_fingerprint(Labels{{"a", "b"}}), alert_fingerprint(Labels{{"a", "c"}}));
}

TEST_F(NotifierTest, GroupsByAlertnameAndAddsExternalLabels) {
  Notifier n(options());
  n.send({alert("Down", "h1", kNow, kNow + 1), alert("Full", "d1", kNow, kNow + 1),
          alert("Down", "h2", kNow, kNow + 1)});
  n.flush();
  ASSERT_EQ(posts_.size(), 2u);
  EXPECT_EQ(posts_[0].url, "http://hook/a");
  EXPECT_EQ(posts_[0].timeout_ms, 2'000);
  EXPECT_NE(posts_[0].body.find(R"("groupLabels":{"alertname":"Down"})"), std::string::npos);
  EXPECT_NE(posts_[0].body.find("h1 down"), std::string::npos);
  EXPECT_NE(posts_[0].body.find("h2 down"), std::string::npos);
  EXPECT_NE(posts_[0].body.find(R"("cluster":"eu1")"), std::string::npos);
  EXPECT_NE(posts_[1].body.find(R"("groupKey":"{}:{alertname=\"Full\"}")"), std::string::npos);
  EXPECT_EQ(n.stats().sent, 3u);
}

TEST_F(NotifierTest, SendResolvedFalseSkipsResolvedAlerts) {
  NotifierOptions o = options();
  o.webhooks.push_back(WebhookConfig{"quiet", "http://hook/b", 1000, false, 0});
  Notifier n(o);
  n.send({alert("Down", "h1", kNow - 10, kNow - 1)});  // resolved
  n.flush();
  ASSERT_EQ(posts_.size(), 1u);
  EXPECT_EQ(posts_[0].url, "http://hook/a");
  EXPECT_NE(posts_[0].body.find(R"("status":"resolved")"), std::string::npos);
}

TEST_F(NotifierTest, FullQueueDropsOldest) {
  NotifierOptions o = options();
  o.queue_capacity = 2;
  Notifier n(o);
  n.send({alert("A", "1", kNow, 0), alert("A", "2", kNow, 0), alert("A", "3", kNow, 0)});
  EXPECT_EQ(n.stats().dropped, 1u);
  EXPECT_EQ(n.stats().queued, 2u);
  n.flush();
  ASSERT_EQ(posts_.size(), 1u);
  EXPECT_EQ(posts_[0].body.find("\"1 down\""), std::string::npos);
  EXPECT_NE(posts_[0].body.find("\"3 down\""), std::string::npos);
}

TEST_F(NotifierTest, RetriesThenGivesUp) {
  Notifier n(options());
  statuses_ = {-1, 503, 200};
  n.send({alert("A", "1", kNow, 0)});
  n.flush();
  EXPECT_EQ(posts_.size(), 3u);
  EXPECT_EQ(n.stats().sent, 1u);
  EXPECT_EQ(n.stats().errors, 0u);

  posts_.clear();
  statuses_ = {500, 500, 500, 500};
  n.send({alert("A", "1", kNow, 0)});
  n.flush();
  EXPECT_EQ(posts_.size(), 3u);  // max_attempts
  EXPECT_EQ(n.stats().errors, 1u);

  posts_.clear();
  statuses_ = {400};  // not retried
  n.send({alert("A", "1", kNow, 0)});
  n.flush();
  EXPECT_EQ(posts_.size(), 1u);
  EXPECT_EQ(n.stats().errors, 2u);
}

TEST_F(NotifierTest, RfcTimes) {
  EXPECT_EQ(rfc3339_nano(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(rfc3339_nano(1'500), "1970-01-01T00:00:01.5Z");
  EXPECT_EQ(rfc3339_nano(1'023), "1970-01-01T00:00:01.023Z");
}

}  // namespace
}  // namespace opsight::rules
