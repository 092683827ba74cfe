// Filter patterns (FilterLogEvents / metric filter syntax), with the documentation's examples.
#include "query/insights/filter_pattern.h"

#include <gtest/gtest.h>

#include "insights_test_util.h"

namespace opsight::query::insights {
namespace {

bool match(std::string_view pattern, const std::string& message) {
  auto p = parse_filter_pattern(pattern);
  EXPECT_TRUE(p.ok()) << pattern << ": " << p.status().to_string();
  if (!p.ok()) return false;
  auto ev = testing::make_event(0, "s", message);
  std::vector<storage::LogField> fields;
  for (const auto& [k, v] : ev.fields) fields.push_back({k, v});
  storage::LogRecord r;
  r.message = ev.message;
  r.fields = fields;
  return p->matches(r);
}

TEST(FilterPattern, EmptyMatchesEverything) {
  EXPECT_TRUE(match("", "anything"));
  EXPECT_TRUE(match("\"\"", "anything"));
  EXPECT_TRUE(parse_filter_pattern("  ")->matches_all());
}

TEST(FilterPattern, Terms) {
  EXPECT_TRUE(match("ERROR", "[ERROR] A fatal exception has occurred"));
  EXPECT_TRUE(match("ERROR", "Exiting with ERRORCODE: -1"));
  EXPECT_FALSE(match("ERROR", "error in lower case"));  // case-sensitive
  EXPECT_FALSE(match("\"ERROR\" - \"Exiting\"", "Exiting with ERRORCODE: -1"));
  EXPECT_TRUE(match("\"ERROR\" - \"Exiting\"", "[ERROR] A fatal exception has occurred"));
  EXPECT_TRUE(match("ERROR Exception", "[ERROR] Caught IllegalArgumentException"));
  EXPECT_FALSE(match("ERROR Exception", "[ERROR] Caught nothing"));
  EXPECT_TRUE(match("\"Failed to process the request\"", "[WARN] Failed to process the request"));
  EXPECT_FALSE(match("\"Failed to process the request\"", "[WARN] Failed to process a request"));
  // The OR example: 1 "ERROR WARN message", 2 "ERROR message", 3 "WARN message".
  EXPECT_TRUE(match("?ERROR ?WARN", "ERROR WARN message"));
  EXPECT_TRUE(match("?ERROR ?WARN", "ERROR message"));
  EXPECT_TRUE(match("?ERROR ?WARN", "WARN message"));
  EXPECT_FALSE(match("?ERROR ?WARN", "INFO message"));
  EXPECT_TRUE(match("ERROR WARN", "ERROR WARN message"));
  EXPECT_FALSE(match("ERROR WARN", "ERROR message"));
  EXPECT_FALSE(match("ERROR -WARN", "ERROR WARN message"));
  EXPECT_TRUE(match("ERROR -WARN", "ERROR message"));
}

TEST(FilterPattern, Json) {
  const std::string ev = R"({"eventType":"UpdateTrail","sourceIPAddress":"111.111.111.111",
    "arrayKey":["value","another value"],"objectList":[{"name":"a","id":1},{"name":"b","id":2}],
    "SomeObject":null,"ThisFlag":true,"latency":550})";
  EXPECT_TRUE(match(R"({ $.eventType = "UpdateTrail" })", ev));
  EXPECT_FALSE(match(R"({ $.eventType = "PutTrail" })", ev));
  EXPECT_TRUE(match(R"({ $.sourceIPAddress != 123.123.* })", ev));
  EXPECT_FALSE(match(R"({ $.sourceIPAddress != 111.111.* })", ev));
  EXPECT_TRUE(match(R"({ $.arrayKey[0] = "value" })", ev));
  EXPECT_TRUE(match(R"({ $.objectList[1].id = 2 })", ev));
  EXPECT_FALSE(match(R"({ $.objectList[0].id = 2 })", ev));
  EXPECT_TRUE(match(R"({ $.SomeObject IS NULL })", ev));
  EXPECT_TRUE(match(R"({ $.SomeOtherObject NOT EXISTS })", ev));
  EXPECT_FALSE(match(R"({ $.objectList NOT EXISTS })", ev));  // an array exists
  EXPECT_TRUE(match(R"({ $.ThisFlag IS TRUE })", ev));
  EXPECT_FALSE(match(R"({ $.ThisFlag IS FALSE })", ev));
  EXPECT_TRUE(match(R"({ $.eventType = *Trail })", ev));
  EXPECT_TRUE(match(R"({ $.eventType = Update* })", ev));
  EXPECT_TRUE(match(R"({ $.latency >= 500 })", ev));
  EXPECT_TRUE(match(R"({ $.latency > +500 })", ev));
  EXPECT_FALSE(match(R"({ $.latency < 10e-3 })", ev));
  EXPECT_TRUE(match(R"({ $.latency = * })", ev));
  EXPECT_FALSE(match(R"({ $.missing != 5 })", ev));  // a missing field matches nothing
  EXPECT_TRUE(match(R"({$.eventType = "UpdateTrail" && $.latency = 550})", ev));
  EXPECT_TRUE(match(R"({$.eventType = "nope" || $.latency = 550})", ev));
}

TEST(FilterPattern, JsonCompoundPrecedence) {
  // The documentation's compound-condition examples.
  const std::string ev = R"({"user":{"id":1,"email":"John.Stiles@example.com"},
    "users":[{"id":2,"email":"John.Doe@example.com"},{"id":3,"email":"Jane.Doe@example.com"}],
    "actions":["GET","PUT","DELETE"],"coordinates":[[0,1,2],[4,5,6],[7,8,9]]})";
  EXPECT_TRUE(match(R"({ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") })", ev));
  EXPECT_FALSE(
      match(R"({ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" })", ev));
  EXPECT_TRUE(match(
      R"({ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch })",
      ev));
  EXPECT_FALSE(match(
      R"({ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch })",
      ev));
  EXPECT_TRUE(match(R"({ $.coordinates[1][2] = 6 })", ev));
}

TEST(FilterPattern, SpaceDelimited) {
  const std::string l1 =
      R"(127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534)";
  const std::string l2 =
      R"(127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /index.html HTTP/1.0" 404 5324)";
  EXPECT_TRUE(match("[ip, user, username, timestamp, request, status_code, bytes]", l1));
  EXPECT_FALSE(match("[ip, user, username, timestamp, request, status_code]", l1));
  EXPECT_TRUE(match("[..., status_code, bytes]", l1));
  EXPECT_TRUE(match("[ip, user, ..., status_code, bytes]", l1));
  EXPECT_TRUE(match("[ip, user, ...]", l1));
  EXPECT_TRUE(match("[ip, user, username, timestamp, request, status_code, bytes > 1000]", l1));
  EXPECT_FALSE(match("[ip, user, username, timestamp, request, status_code, bytes > 2000]", l1));
  EXPECT_TRUE(match("[ip, user, username, timestamp, request, status_code = 200, bytes]", l1));
  EXPECT_FALSE(match("[ip, user, username, timestamp, request, status_code = 4*, bytes]", l1));
  EXPECT_TRUE(match("[ip, user, username, timestamp, request, status_code = 4*, bytes]", l2));
  EXPECT_TRUE(
      match("[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]", l2));
  EXPECT_FALSE(
      match("[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]", l1));
  EXPECT_TRUE(match(
      "[ip, user, username, timestamp, request, status_code = 403 || status_code = 404, bytes]",
      l2));
  EXPECT_TRUE(match("[..., request=*.html*, status_code=4*,]", l2));
  EXPECT_TRUE(match("[ip, user = -, ...]", l1));
  EXPECT_TRUE(match("[w1=ERROR, w2]", "ERROR message"));
  EXPECT_FALSE(match("[w1=ERROR, w2]", "WARN message"));
  EXPECT_TRUE(match("[w1=ERROR || w1=WARN, w2]", "WARN message"));
  EXPECT_FALSE(match("[w1!=ERROR&&w1!=WARN, w2]", "WARN message"));
  EXPECT_TRUE(match("[w1!=ERROR&&w1!=WARN, w2]", "INFO message"));
}

TEST(FilterPattern, Errors) {
  EXPECT_FALSE(parse_filter_pattern("{ $.a = }").ok());
  EXPECT_FALSE(parse_filter_pattern("{ a = 1 }").ok());
  EXPECT_FALSE(parse_filter_pattern("{ $.a = 1").ok());
  EXPECT_FALSE(parse_filter_pattern("{ $.a > abc }").ok());
  EXPECT_FALSE(parse_filter_pattern("[a, ..., b, ...]").ok());
  EXPECT_FALSE(parse_filter_pattern("\"unterminated").ok());
  auto e = parse_filter_pattern("{ $.a IS MAYBE }");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(),
            "filter pattern column 10: expected NULL, TRUE or FALSE after IS");
}

}  // namespace
}  // namespace opsight::query::insights
