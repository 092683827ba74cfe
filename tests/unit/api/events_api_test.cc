// The event endpoints (api/native/events_api.h) through Router::dispatch over a real event store
// in a temporary directory, with a ManualClock.
#include "api/native/events_api.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "events/change_event.h"

namespace opsight::api {
namespace {

namespace dom = simdjson::dom;

constexpr int64_t kNow = 1'700'000'000'000;

class EventsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/opsight-events-api-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto s = events::EventStore::open({dir_ + "/events.db"});
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(*s);
    register_events_api(router_, EventsDeps{store_.get(), &clock_});
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  HttpResponse call(std::string method, std::string target, std::string body = "",
                    std::string account = "") {
    HttpRequest req;
    req.method = std::move(method);
    req.target = target;
    const size_t q = target.find('?');
    req.path = url_decode(target.substr(0, q), false);
    if (q != std::string::npos) parse_query(target.substr(q + 1), &req.params);
    req.body = std::move(body);
    req.account = std::move(account);
    if (!req.body.empty()) req.headers.emplace_back("content-type", "application/json");
    return router_.dispatch(req);
  }

  dom::element parse(const HttpResponse& r) {
    dom::element doc;
    EXPECT_EQ(parser_.parse(r.body).get(doc), simdjson::SUCCESS) << r.body;
    return doc;
  }

  std::string dir_;
  ManualClock clock_{kNow};
  std::unique_ptr<events::EventStore> store_;
  Router router_;
  dom::parser parser_;
};

TEST_F(EventsApiTest, RecordsOneChange) {
  auto r = call("POST", "/api/v1/events/change",
                R"({"service": "payment", "kind": "deploy", "version": "v2.3.1", "author": "ci",
                    "time": 1699999940000, "attributes": {"commit": "abc123"}})");
  ASSERT_EQ(r.status, 200) << r.body;
  dom::element doc = parse(r);
  ASSERT_EQ(dom::array(doc["ids"]).size(), 1u);
  EXPECT_EQ(dom::array(doc["rejected"]).size(), 0u);
  const std::string id(std::string_view(doc["ids"].at(0)));

  r = call("GET", "/api/v1/events/change?start=now-1h&service=payment");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body,
            R"({"changes":[{"id":")" + id +
                R"(","service":"payment","kind":"deploy","version":"v2.3.1",)"
                R"("author":"ci","attributes":{"commit":"abc123"},"time":1699999940000}]})");
  r = call("GET", "/api/v1/events/change?start=now-1h&service=checkout");
  EXPECT_EQ(r.body, R"({"changes":[]})");
  // The window is [start, end): a change at end is outside.
  r = call("GET", "/api/v1/events/change?start=1699999000000&end=1699999940000");
  EXPECT_EQ(r.body, R"({"changes":[]})");
}

TEST_F(EventsApiTest, BatchKeepsTheGoodAndNamesTheBad) {
  auto r = call("POST", "/api/v1/events/change", R"({"changes": [
      {"service": "payment", "kind": "deploy", "version": "v1"},
      {"service": "checkout", "kind": "deplyo"},
      {"service": "inventory", "kind": "scale", "attributes": {"replicas": "5"}}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  dom::element doc = parse(r);
  EXPECT_EQ(dom::array(doc["ids"]).size(), 2u);
  dom::array rejected = doc["rejected"];
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(int64_t(rejected.at(0)["index"]), 1);
  EXPECT_EQ(std::string_view(rejected.at(0)["code"]), "ValidationException");
  EXPECT_EQ(std::string_view(rejected.at(0)["message"]),
            R"(kind: "deplyo" is not one of deploy, config, scale, flag)");

  auto changes = events::list_changes(*store_, {}, 0, kNow + 1);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 2u);
  // Both at the same time (default: now), so in id order.
  std::set<std::string> services;
  for (const auto& c : *changes) {
    services.insert(c.service);
    EXPECT_EQ(c.time_ms, kNow);
  }
  EXPECT_EQ(services, (std::set<std::string>{"payment", "inventory"}));
}

TEST_F(EventsApiTest, AllBadIs400WithTheFirstReason) {
  auto r = call("POST", "/api/v1/events/change",
                R"({"changes": [{"kind": "deploy"}, {"service": "a", "kind": "flag",
                    "time": 1600000000000}]})");
  ASSERT_EQ(r.status, 400) << r.body;
  dom::element doc = parse(r);
  EXPECT_EQ(std::string_view(doc["code"]), "ValidationException");
  EXPECT_EQ(std::string_view(doc["message"]),
            "changes[0]: service: is required (1..255 characters)");
  EXPECT_EQ(dom::array(doc["rejected"]).size(), 2u);
  EXPECT_EQ(dom::array(doc["ids"]).size(), 0u);

  r = call("POST", "/api/v1/events/change", R"({"service": "a", "kind": "nope"})");
  ASSERT_EQ(r.status, 400);
  EXPECT_EQ(std::string_view(parse(r)["message"]),
            R"(kind: "nope" is not one of deploy, config, scale, flag)");

  std::string many = R"({"changes": [)";
  for (int i = 0; i < 101; i++)
    many += std::string(i ? "," : "") + R"({"service":"a","kind":"flag"})";
  many += "]}";
  r = call("POST", "/api/v1/events/change", many);
  ASSERT_EQ(r.status, 400);
  EXPECT_EQ(std::string_view(parse(r)["message"]),
            "changes: 101 changes is not in 1..100 per request");

  r = call("POST", "/api/v1/events/change", "{not json");
  EXPECT_EQ(r.status, 400);
  r = call("GET", "/api/v1/events/change?limit=0");
  EXPECT_EQ(r.status, 400);
  r = call("GET", "/api/v1/events/change?start=yesterday");
  EXPECT_EQ(r.status, 400);
}

TEST_F(EventsApiTest, PutEventsStoresEntriesAndValidatesChanges) {
  auto r = call("POST", "/api/v1/events", R"({"Entries": [
      {"Source": "my.app", "DetailType": "Order Placed", "Detail": "{\"order\": 42}",
       "Resources": ["arn:aws:thing/1"], "EventBusName": "default"},
      {"Source": "opsight.change", "DetailType": "Change Event",
       "Detail": "{\"service\": \"payment\", \"kind\": \"deploy\", \"version\": \"v9\"}",
       "Time": 1699999900},
      {"Source": "opsight.change", "DetailType": "Change Event",
       "Detail": "{\"service\": \"payment\", \"kind\": \"deplyo\"}"},
      {"Source": "my.app", "DetailType": "X", "Detail": "[1, 2]"},
      {"DetailType": "X", "Detail": "{}"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  dom::element doc = parse(r);
  EXPECT_EQ(int64_t(doc["FailedEntryCount"]), 3);
  dom::array entries = doc["Entries"];
  ASSERT_EQ(entries.size(), 5u);
  std::string_view s;
  EXPECT_EQ(entries.at(0)["EventId"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(entries.at(1)["EventId"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(entries.at(2)["ErrorCode"]), "InvalidArgument");
  EXPECT_EQ(std::string_view(entries.at(2)["ErrorMessage"]),
            R"(kind: "deplyo" is not one of deploy, config, scale, flag)");
  EXPECT_EQ(std::string_view(entries.at(3)["ErrorCode"]), "MalformedDetail");
  EXPECT_EQ(std::string_view(entries.at(4)["ErrorMessage"]), "Source: is required");

  // The bus change is a change like any other (time from the entry, in Unix seconds).
  auto changes = events::list_changes(*store_, {}, 0, kNow + 1);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].version, "v9");
  EXPECT_EQ((*changes)[0].time_ms, 1699999900000);

  // Listed as envelopes, by time; filtered by source.
  r = call("GET", "/api/v1/events");
  ASSERT_EQ(r.status, 200) << r.body;
  doc = parse(r);
  dom::array evs = doc["events"];
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(std::string_view(evs.at(0)["source"]), "opsight.change");
  EXPECT_EQ(std::string_view(evs.at(0)["resources"].at(0)), "service/payment");
  EXPECT_EQ(std::string_view(evs.at(1)["detail-type"]), "Order Placed");
  EXPECT_EQ(int64_t(evs.at(1)["detail"]["order"]), 42);
  EXPECT_EQ(std::string_view(evs.at(1)["time"]), "2023-11-14T22:13:20Z");
  r = call("GET", "/api/v1/events?source=my.app&detail-type=Order%20Placed");
  EXPECT_EQ(dom::array(parse(r)["events"]).size(), 1u);

  r = call("POST", "/api/v1/events", R"({"Entries": []})");
  EXPECT_EQ(r.status, 400);
  r = call("POST", "/api/v1/events", R"({"Nothing": 1})");
  EXPECT_EQ(r.status, 400);
}

TEST_F(EventsApiTest, PagesAndIsolatesTenants) {
  for (int i = 0; i < 5; i++) {
    auto r = call(
        "POST", "/api/v1/events/change",
        R"({"service": "s", "kind": "config", "time": )" + std::to_string(kNow - 1000 + i) + "}",
        "111111111111");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  auto r = call("GET", "/api/v1/events?limit=2", "", "111111111111");
  dom::element doc = parse(r);
  EXPECT_EQ(dom::array(doc["events"]).size(), 2u);
  std::string token{std::string_view(doc["next_token"])};
  int seen = 2;
  while (!token.empty()) {
    r = call("GET", "/api/v1/events?limit=2&next_token=" + token, "", "111111111111");
    ASSERT_EQ(r.status, 200) << r.body;
    doc = parse(r);
    seen += static_cast<int>(dom::array(doc["events"]).size());
    std::string_view t;
    token = doc["next_token"].get(t) ? "" : std::string(t);
  }
  EXPECT_EQ(seen, 5);
  // Another account sees none of them.
  r = call("GET", "/api/v1/events", "", "222222222222");
  EXPECT_EQ(r.body, R"({"events":[]})");
  r = call("GET", "/api/v1/events/change?start=0", "", "222222222222");
  EXPECT_EQ(r.body, R"({"changes":[]})");
  r = call("GET", "/api/v1/events?next_token=garbage");
  EXPECT_EQ(r.status, 400);
}

}  // namespace
}  // namespace opsight::api
