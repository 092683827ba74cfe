// Change events (events/change_event.h): every rule with its message, the JSON and event forms,
// and list_changes over a real event store.
#include "events/change_event.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace opsight::events {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kHour = 3600LL * 1000;

std::string error_of(std::string_view json) {
  auto r = parse_change_event(json, kNow);
  if (r.ok()) return "ok";
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  return r.status().message();
}

TEST(ChangeEvent, ParsesEveryField) {
  auto c = parse_change_event(R"({"service": "payment", "kind": "deploy", "version": "v2.3.1",
      "author": "ci", "description": "canary passed", "time": 1699999990000,
      "attributes": {"commit": "abc123", "env": "prod"}, "id": "deploy-42"})",
                              kNow);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->service, "payment");
  EXPECT_EQ(c->kind, "deploy");
  EXPECT_EQ(c->version, "v2.3.1");
  EXPECT_EQ(c->author, "ci");
  EXPECT_EQ(c->description, "canary passed");
  EXPECT_EQ(c->time_ms, 1699999990000);
  EXPECT_EQ(c->id, "deploy-42");
  EXPECT_EQ(c->attributes,
            (std::map<std::string, std::string>{{"commit", "abc123"}, {"env", "prod"}}));
}

TEST(ChangeEvent, TimeFormsAndDefaults) {
  auto c = parse_change_event(R"({"service": "a", "kind": "flag"})", kNow);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->time_ms, kNow);
  c = parse_change_event(R"({"service": "a", "kind": "flag"})", kNow, kNow - kHour);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->time_ms, kNow - kHour);
  c = parse_change_event(R"({"service": "a", "kind": "scale", "time": "2023-11-14T22:00:00Z"})",
                         kNow);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->time_ms, 1699999200000);
  c = parse_change_event(R"({"service": "a", "kind": "config", "time": "now-1h"})", kNow);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->time_ms, kNow - kHour);
  // A time in the JSON wins over the default (the envelope's time on the bus).
  c = parse_change_event(R"({"service": "a", "kind": "config", "time": 1699999999000})", kNow,
                         kNow - kHour);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->time_ms, 1699999999000);
}

TEST(ChangeEvent, EveryRuleHasItsMessage) {
  EXPECT_EQ(error_of(R"({"service": "a", "kind": "deplyo"})"),
            R"(kind: "deplyo" is not one of deploy, config, scale, flag)");
  EXPECT_EQ(error_of(R"({"service": "a"})"),
            "kind: is required (one of deploy, config, scale, flag)");
  EXPECT_EQ(error_of(R"({"service": "a", "kind": 3})"), "kind: must be a string");
  EXPECT_EQ(error_of(R"({"kind": "deploy"})"), "service: is required (1..255 characters)");
  EXPECT_EQ(error_of(R"({"service": "", "kind": "deploy"})"),
            "service: is required (1..255 characters)");
  EXPECT_EQ(error_of(R"({"service": 7, "kind": "deploy"})"), "service: must be a string");
  EXPECT_EQ(error_of(R"({"service": "a\tb", "kind": "deploy"})"),
            "service: must not hold control characters");
  EXPECT_EQ(error_of(R"({"service": ")" + std::string(256, 's') + R"(", "kind": "deploy"})"),
            "service: 256 characters is over the limit of 255");
  // Characters, not bytes: 255 two-byte characters are allowed.
  std::string wide;
  for (int i = 0; i < 255; i++) wide += "\xc3\xa9";
  EXPECT_EQ(error_of(R"({"service": ")" + wide + R"(", "kind": "deploy"})"), "ok");
  EXPECT_EQ(error_of(R"({"service": "a", "kind": "deploy", "version": ")" + std::string(256, 'v') +
                     "\"}"),
            "version: 256 characters is over the limit of 255");
  EXPECT_EQ(
      error_of(R"({"service": "a", "kind": "deploy", "author": ")" + std::string(256, 'v') + "\"}"),
      "author: 256 characters is over the limit of 255");
  EXPECT_EQ(error_of(R"({"service": "a", "kind": "deploy", "description": ")" +
                     std::string(4097, 'd') + "\"}"),
            "description: 4097 characters is over the limit of 4096");
  EXPECT_EQ(error_of(R"({"service": "a", "kind": "deploy", "verison": "1"})"),
            "field \"verison\" is not known; fields are id, service, kind, version, author, "
            "description, time, attributes");

  EXPECT_EQ(error_of(R"({"service": "a", "kind": "deploy", "attributes": [1]})"),
            "attributes: must be an object of string values");
  EXPECT_EQ(error_of(R"({"service": "a", "kind": "deploy", "attributes": {"n": 1}})"),
            "attributes.n: must be a string");
  EXPECT_EQ(error_of(R"({"service": "a", "kind": "deploy", "attributes": {"": "x"}})"),
            "attributes: a key is empty");
  EXPECT_EQ(
      error_of(R"({"service": "a", "kind": "deploy", "attributes": {")" + std::string(129, 'k') +
               R"(": "x"}})"),
      "attributes: key \"" + std::string(32, 'k') + "...\" is over the limit of 128 characters");
  EXPECT_EQ(error_of(R"({"service": "a", "kind": "deploy", "attributes": {"k": ")" +
                     std::string(1025, 'v') + R"("}})"),
            "attributes.k: 1025 characters is over the limit of 1024");
  std::string many = R"({"service": "a", "kind": "deploy", "attributes": {)";
  for (int i = 0; i < 51; i++) many += (i ? "," : "") + ("\"k" + std::to_string(i) + "\": \"v\"");
  many += "}}";
  EXPECT_EQ(error_of(many), "attributes: 51 entries is over the limit of 50");

  EXPECT_EQ(error_of(R"({"service": "a", "kind": "deploy", "time": 1698790399999})"),
            "time: 2023-10-31T22:13:19.999Z is more than 14 days in the past");
  EXPECT_EQ(error_of(R"({"service": "a", "kind": "deploy", "time": 1700007200001})"),
            "time: 2023-11-15T00:13:20.001Z is more than 2 hours in the future");
  EXPECT_EQ(error_of(R"({"service": "a", "kind": "deploy", "time": 1698790400000})"), "ok");
  EXPECT_EQ(error_of(R"({"service": "a", "kind": "deploy", "time": "soon"})"),
            "time: \"soon\" is not Unix milliseconds, an RFC 3339 time or now-<duration>");
  EXPECT_EQ(error_of(R"({"service": "a", "kind": "deploy", "time": true})"),
            "time: must be Unix milliseconds (a number) or a time string");

  EXPECT_EQ(error_of(R"({"service": "a", "kind": "deploy", "id": "a b"})"),
            "id: \"a b\" may hold only letters, digits and - _ . :");
  EXPECT_EQ(error_of(R"({"service": "a", "kind": "deploy", "id": ""})"),
            "id: must be 1..128 characters");
  EXPECT_EQ(error_of("[]"), "change: must be a JSON object");
  EXPECT_EQ(error_of("{").rfind("change: not valid JSON", 0), 0u);
}

TEST(ChangeEvent, RoundTripsThroughJsonAndEvent) {
  ChangeEvent c;
  c.id = "chg-1";
  c.service = "payment";
  c.kind = "deploy";
  c.version = "v2.3.1";
  c.author = "ci";
  c.description = "quote \" and newline \n";
  c.time_ms = kNow - 1234;
  c.attributes = {{"commit", "abc123"}};

  auto back = parse_change_event(change_event_json(c), kNow);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(*back, c);

  const storage::Tenant tenant{"123456789012", "eu-west-1"};
  Event e = change_to_event(tenant, c);
  EXPECT_EQ(e.id, "chg-1");
  EXPECT_EQ(e.source, kChangeSource);
  EXPECT_EQ(e.detail_type, kChangeDetailType);
  EXPECT_EQ(e.tenant, tenant);
  EXPECT_EQ(e.time_ms, c.time_ms);
  EXPECT_EQ(e.resources, std::vector<std::string>{"service/payment"});
  EXPECT_EQ(e.detail_json.find("\"time\""), std::string::npos) << e.detail_json;
  auto from = change_from_event(e);
  ASSERT_TRUE(from.ok()) << from.status().to_string();
  EXPECT_EQ(*from, c);

  // Through the envelope's JSON too (its time has second precision).
  auto parsed = parse_event_json(event_json(e));
  ASSERT_TRUE(parsed.ok());
  from = change_from_event(*parsed);
  ASSERT_TRUE(from.ok());
  EXPECT_EQ(from->service, "payment");
  EXPECT_EQ(from->attributes, c.attributes);

  // An id is made when the change has none.
  c.id.clear();
  EXPECT_EQ(change_to_event(tenant, c).id.size(), 36u);
}

TEST(ChangeEvent, FromEventRejectsOtherEvents) {
  Event e;
  e.id = "x";
  e.source = "aws.cloudwatch";
  e.detail_type = "CloudWatch Alarm State Change";
  EXPECT_EQ(change_from_event(e).status().code(), Code::kInvalidArgument);
  e.source = std::string(kChangeSource);
  e.detail_type = std::string(kChangeDetailType);
  e.detail_json = R"({"service": "a", "kind": "oops"})";
  EXPECT_EQ(change_from_event(e).status().message(),
            R"(event x: detail: kind: "oops" is not one of deploy, config, scale, flag)");
}

TEST(ChangeEvent, ListChangesFiltersByServiceAndTime) {
  char tmpl[] = "/tmp/opsight-changes-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  {
    auto store = EventStore::open({dir + "/events.db"});
    ASSERT_TRUE(store.ok());
    const storage::Tenant t;
    std::vector<Event> evs;
    for (int i = 0; i < 30; i++) {
      ChangeEvent c;
      c.id = "c" + std::to_string(100 + i);
      c.service = i % 3 == 0 ? "payment" : "checkout";
      c.kind = "deploy";
      c.time_ms = kNow - 30 * 60000 + i * 60000;
      evs.push_back(change_to_event(t, c));
    }
    Event other;
    other.id = "other";
    other.source = "app";
    other.detail_type = "Thing";
    other.time_ms = kNow - 60000;
    evs.push_back(other);
    ASSERT_TRUE((*store)->put(evs).ok());

    auto all = list_changes(**store, t, kNow - kHour, kNow);
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(all->size(), 30u);
    EXPECT_EQ(all->front().id, "c100");  // oldest first
    auto pay = list_changes(**store, t, kNow - kHour, kNow, "payment");
    ASSERT_TRUE(pay.ok());
    ASSERT_EQ(pay->size(), 10u);
    for (const auto& c : *pay) EXPECT_EQ(c.service, "payment");
    auto window = list_changes(**store, t, kNow - 10 * 60000, kNow, "", 3);
    ASSERT_TRUE(window.ok());
    ASSERT_EQ(window->size(), 3u);
    EXPECT_EQ((*window)[0].id, "c120");
    auto other_tenant = list_changes(**store, {"999999999999", "local"}, 0, kNow);
    ASSERT_TRUE(other_tenant.ok());
    EXPECT_TRUE(other_tenant->empty());
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace opsight::events
