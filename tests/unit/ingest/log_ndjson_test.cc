#include <gtest/gtest.h>

#include "ingest/logs/ndjson_import.h"

namespace opsight::ingest::logs {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

TEST(NdjsonImportTest, GoodLinesAreKeptAndBadLinesNamed) {
  std::string body =
      "{\"timestamp\":1699999999000,\"message\":\"a\"}\r\n"
      "\n"
      "{\"timestamp\":1000,\"message\":\"ancient\",\"severity\":\"WARN\","
      "\"attributes\":{\"user\":\"u1\",\"ms\":12.50,\"ok\":true}}\n"
      "not json\n"
      "[1]\n"
      "{\"message\":\"x\"}\n"
      "{\"timestamp\":1.5,\"message\":\"x\"}\n"
      "{\"timestamp\":1,\"message\":2}\n"
      "{\"timestamp\":1,\"message\":\"x\",\"attributes\":{\"a\":[1]}}\n"
      "{\"timestamp\":1700000000000,\"message\":\"x\",\"severity\":3}\n"
      "{\"timestamp\":1800000000000,\"message\":\"future\"}";
  LogBatch out;
  ASSERT_TRUE(decode_ndjson_import(body, "/imp", "s1", kNow, 0, LogLimits{}, &out).ok());
  ASSERT_EQ(out.streams.size(), 1u);
  EXPECT_EQ(out.streams[0].group, "/imp");
  EXPECT_EQ(out.streams[0].stream, "s1");
  const auto& ev = out.streams[0].events;
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].message, "a");
  EXPECT_EQ(ev[1].timestamp_ms, 1000);  // any age: the group never expires
  EXPECT_EQ(ev[1].severity_text, "WARN");
  EXPECT_EQ(ev[1].attributes,
            (std::vector<storage::LogAttribute>{{"user", "u1"}, {"ms", "12.5"}, {"ok", "true"}}));
  std::vector<std::string> got;
  for (const auto& e : out.errors) got.push_back(e.item + ": " + e.message);
  EXPECT_EQ(
      got, (std::vector<std::string>{
               "line 4: not valid JSON: Problem while parsing an atom starting with the letter 'n'",
               "line 5: must be a JSON object",
               "line 6: \"timestamp\" is required (epoch milliseconds)",
               "line 7: \"timestamp\" must be an integer number of epoch milliseconds >= 0",
               "line 8: \"message\" must be a string",
               "line 9: attribute \"a\" must be a string, number or boolean",
               "line 10: \"severity\" must be a string",
               "line 11: timestamp 1800000000000 is more than 2 hours in the future",
           }));
}

TEST(NdjsonImportTest, RetentionRejectsExpiredLines) {
  std::string body =
      "{\"timestamp\":1000,\"message\":\"old\"}\n{\"timestamp\":1699999000000,"
      "\"message\":\"new\"}\n";
  LogBatch out;
  ASSERT_TRUE(decode_ndjson_import(body, "/imp", "s", kNow, 30, LogLimits{}, &out).ok());
  EXPECT_EQ(out.event_count(), 1u);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].item, "line 1");
  EXPECT_EQ(out.errors[0].message,
            "timestamp 1000 is older than the log group's retention of 30 days");
}

TEST(NdjsonImportTest, RequestErrors) {
  LogBatch out;
  EXPECT_EQ(decode_ndjson_import("", "bad group", "s", kNow, 0, LogLimits{}, &out).message(),
            "group: log group name may contain only a-z, A-Z, 0-9, '.', '-', '_', '/' and '#'");
  EXPECT_EQ(decode_ndjson_import("", "/g", "", kNow, 0, LogLimits{}, &out).message(),
            "stream: log stream name must be 1..512 characters (got 0)");
  LogLimits limits;
  limits.max_events_per_request = 1;
  std::string two = "{\"timestamp\":1,\"message\":\"a\"}\n{\"timestamp\":1,\"message\":\"b\"}\n";
  EXPECT_EQ(decode_ndjson_import(two, "/g", "s", kNow, 0, limits, &out).message(),
            "more than 1 events in one import (limits.max_events_per_request); split the file");
  EXPECT_TRUE(out.streams.empty());
}

}  // namespace
}  // namespace opsight::ingest::logs
