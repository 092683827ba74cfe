// The event store (events/event_store.h) and the envelope (events/event.h) over a temporary
// SQLite file: put, query with filters and paging, idempotent put, purge, reopen, tenants.
#include "events/event_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "storage/meta/sqlite_db.h"

namespace opsight::events {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kDay = 24LL * 3600 * 1000;

Event make(std::string id, int64_t t, std::string source = "app.deploys",
           std::string detail_type = "Deploy", storage::Tenant tenant = {}) {
  Event e;
  e.id = std::move(id);
  e.source = std::move(source);
  e.detail_type = std::move(detail_type);
  e.time_ms = t;
  e.tenant = std::move(tenant);
  e.resources = {"service/payment"};
  e.detail_json = R"({"n":1,"s":"x"})";
  return e;
}

class EventStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/opsight-events-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void reopen() {
    store_.reset();
    auto s = EventStore::open({dir_ + "/events.db", 90 * kDay});
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(*s);
  }
  std::vector<std::string> ids(const EventQuery& q, const storage::Tenant& t = {}) {
    auto page = store_->query(t, q);
    EXPECT_TRUE(page.ok()) << page.status().to_string();
    std::vector<std::string> out;
    if (page.ok()) {
      for (const auto& e : page->events) out.push_back(e.id);
    }
    return out;
  }

  std::string dir_;
  std::unique_ptr<EventStore> store_;
};

TEST(EventJson, RoundTripsTheEnvelope) {
  Event e = make("id-1", kT0 + 5000);
  const std::string json = event_json(e);
  EXPECT_NE(json.find(R"("time":"2023-11-14T22:13:25Z")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("detail-type":"Deploy")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("account":"000000000000")"), std::string::npos) << json;
  auto back = parse_event_json(json);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(*back, e);
}

TEST(EventJson, ParsesAnEventBridgeEvent) {
  auto e = parse_event_json(R"({"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type":"EC2 Instance State-change Notification","source":"aws.ec2",
    "account":"111122223333","time":"2017-12-22T18:43:48Z","region":"us-west-1",
    "resources":["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail":{"instance-id": "i-1234567890abcdef0", "state": "terminated"}})");
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_EQ(e->tenant.account, "111122223333");
  EXPECT_EQ(e->tenant.region, "us-west-1");
  EXPECT_EQ(e->time_ms, 1513968228000);
  EXPECT_EQ(e->detail_json, R"({"instance-id":"i-1234567890abcdef0","state":"terminated"})");
  ASSERT_EQ(e->resources.size(), 1u);
}

TEST(EventJson, NamesTheBadField) {
  auto msg = [](std::string_view j) { return parse_event_json(j).status().message(); };
  EXPECT_EQ(msg(R"({"source":"a","detail-type":"b","time":"2024-01-01T00:00:00Z"})"),
            "id: is required");
  EXPECT_EQ(msg(R"({"id":"1","source":"","detail-type":"b","time":"2024-01-01T00:00:00Z"})"),
            "source: must not be empty");
  EXPECT_EQ(msg(R"({"id":"1","source":"a","detail-type":"b","time":"yesterday"})"),
            "time: \"yesterday\" is not an RFC 3339 time");
  EXPECT_EQ(msg(R"({"id":"1","source":"a","detail-type":"b","time":"2024-01-01T00:00:00Z",
                   "detail":[1]})"),
            "detail: must be a JSON object");
  EXPECT_EQ(msg("[1]"), "event: must be a JSON object");
  EXPECT_FALSE(parse_event_json("{").ok());
}

TEST(EventId, IsAVersion4Uuid) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; i++) {
    const std::string id = new_event_id();
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[8], '-');
    EXPECT_EQ(id[13], '-');
    EXPECT_EQ(id[14], '4');
    EXPECT_EQ(id[18], '-');
    EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b') << id;
    EXPECT_EQ(id[23], '-');
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST_F(EventStoreTest, PutsAndQueriesByTimeSourceAndDetailType) {
  std::vector<Event> evs = {make("a", kT0 + 1), make("b", kT0 + 2, "app.flags", "Flag"),
                            make("c", kT0 + 3), make("d", kT0 + 4, "app.deploys", "Rollback")};
  ASSERT_TRUE(store_->put(evs).ok());

  EventQuery q;
  EXPECT_EQ(ids(q), (std::vector<std::string>{"a", "b", "c", "d"}));
  q.source = "app.deploys";
  EXPECT_EQ(ids(q), (std::vector<std::string>{"a", "c", "d"}));
  q.detail_type = "Deploy";
  EXPECT_EQ(ids(q), (std::vector<std::string>{"a", "c"}));
  q = EventQuery{};
  q.start_ms = kT0 + 2;
  q.end_ms = kT0 + 4;  // [start, end)
  EXPECT_EQ(ids(q), (std::vector<std::string>{"b", "c"}));

  auto page = store_->query({}, EventQuery{});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->events[0], evs[0]);  // millisecond time kept, detail and resources too
  EXPECT_TRUE(page->next_token.empty());
}

TEST_F(EventStoreTest, PagesWithNextToken) {
  std::vector<Event> evs;
  for (int i = 0; i < 25; i++) {
    // Pairs with the same time: the page order is (time, id).
    evs.push_back(make("e" + std::to_string(100 + i), kT0 + (i / 2)));
  }
  ASSERT_TRUE(store_->put(evs).ok());
  EventQuery q;
  q.limit = 10;
  std::vector<std::string> all;
  int pages = 0;
  do {
    auto page = store_->query({}, q);
    ASSERT_TRUE(page.ok()) << page.status().to_string();
    for (const auto& e : page->events) all.push_back(e.id);
    q.next_token = page->next_token;
    pages++;
  } while (!q.next_token.empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(all.size(), 25u);
  for (int i = 0; i < 25; i++) EXPECT_EQ(all[i], "e" + std::to_string(100 + i));

  // An exact multiple of the limit does not leave an empty last page.
  q = EventQuery{};
  q.limit = 25;
  auto page = store_->query({}, q);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->events.size(), 25u);
  EXPECT_TRUE(page->next_token.empty());
}

TEST_F(EventStoreTest, RejectsBadLimitTokenAndEvents) {
  EventQuery q;
  q.limit = 0;
  EXPECT_EQ(store_->query({}, q).status().message(), "limit: 0 is not in 1..10000");
  q.limit = 10001;
  EXPECT_FALSE(store_->query({}, q).ok());
  q.limit = 10;
  q.next_token = "zz";
  EXPECT_EQ(store_->query({}, q).status().code(), Code::kInvalidArgument);
  q.next_token = "6869";  // hex of "hi"
  EXPECT_EQ(store_->query({}, q).status().code(), Code::kInvalidArgument);

  Event bad = make("", kT0);
  EXPECT_EQ(store_->put(bad).message(), "events[0]: id must not be empty");
}

TEST_F(EventStoreTest, PutIsIdempotent) {
  ASSERT_TRUE(store_->put(make("a", kT0)).ok());
  Event again = make("a", kT0 + 10);
  again.detail_json = R"({"n":2})";
  ASSERT_TRUE(store_->put(again).ok());
  auto page = store_->query({}, EventQuery{});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0], again);
}

TEST_F(EventStoreTest, PurgesByRetention) {
  ASSERT_TRUE(store_->put(std::vector<Event>{make("old", kT0), make("new", kT0 + 50 * kDay)}).ok());
  auto n = store_->purge_expired(kT0 + 90 * kDay + 1);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(ids(EventQuery{}), (std::vector<std::string>{"new"}));
  n = store_->purge_expired(kT0 + 90 * kDay + 1);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
}

TEST_F(EventStoreTest, SurvivesReopen) {
  ASSERT_TRUE(store_->put(make("a", kT0 + 7)).ok());
  reopen();
  auto page = store_->query({}, EventQuery{});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0], make("a", kT0 + 7));
}

TEST_F(EventStoreTest, RefusesANewerSchema) {
  store_.reset();
  {
    auto db = storage::meta::SqliteDb::open(dir_ + "/events.db", "test");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->exec("PRAGMA user_version = 99").ok());
  }
  auto s = EventStore::open({dir_ + "/events.db", 90 * kDay});
  EXPECT_EQ(s.status().code(), Code::kFailedPrecondition);
}

TEST_F(EventStoreTest, KeepsTenantsApart) {
  const storage::Tenant a{"111111111111", "local"}, b{"222222222222", "local"},
      c{"111111111111", "eu-west-1"};
  ASSERT_TRUE(store_
                  ->put(std::vector<Event>{make("x", kT0, "s", "d", a), make("x", kT0, "s", "d", b),
                                           make("y", kT0, "s", "d", c)})
                  .ok());
  EXPECT_EQ(ids(EventQuery{}, a), (std::vector<std::string>{"x"}));
  EXPECT_EQ(ids(EventQuery{}, b), (std::vector<std::string>{"x"}));
  EXPECT_EQ(ids(EventQuery{}, c), (std::vector<std::string>{"y"}));
  EXPECT_TRUE(ids(EventQuery{}).empty());  // the default tenant has none
  auto page = store_->query(b, EventQuery{});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->events[0].tenant, b);
}

}  // namespace
}  // namespace opsight::events
