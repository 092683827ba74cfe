#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ingest/logs/put_log_events.h"

namespace opsight::ingest::logs {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

std::string body(std::string_view events, std::string_view group = "/app/web",
                 std::string_view stream = "i-0abc") {
  return fmt::format(R"({{"logGroupName":"{}","logStreamName":"{}","logEvents":[{}]}})", group,
                     stream, events);
}

std::string ev(int64_t ts, std::string_view msg) {
  return fmt::format(R"({{"timestamp":{},"message":"{}"}})", ts, msg);
}

// Parse error text ("" when the body parses).
std::string parse_error(const std::string& b) {
  PutLogEventsRequest req;
  Status st = parse_put_log_events(b, &req);
  return st.ok() ? "" : st.message();
}

TEST(PutLogEventsTest, ValidBatchIsOneStream) {
  PutLogEventsRequest req;
  ASSERT_TRUE(
      parse_put_log_events(body(ev(kNow - 1000, "first") + "," + ev(kNow, "second")), &req).ok());
  EXPECT_EQ(req.group, "/app/web");
  EXPECT_EQ(req.stream, "i-0abc");
  LogBatch out;
  RejectedLogEventsInfo rej;
  ASSERT_TRUE(apply_put_log_events(std::move(req), kNow, 0, &out, &rej).ok());
  EXPECT_TRUE(rej.empty());
  EXPECT_TRUE(out.errors.empty());
  ASSERT_EQ(out.streams.size(), 1u);
  EXPECT_EQ(out.streams[0].group, "/app/web");
  EXPECT_EQ(out.streams[0].stream, "i-0abc");
  ASSERT_EQ(out.streams[0].events.size(), 2u);
  EXPECT_EQ(out.streams[0].events[0].timestamp_ms, kNow - 1000);
  EXPECT_EQ(out.streams[0].events[0].message, "first");
  EXPECT_EQ(out.streams[0].events[1].message, "second");
  EXPECT_EQ(encode_put_log_events_response("", rej), "{}");
}

TEST(PutLogEventsTest, RequestRulesNameTheRule) {
  EXPECT_EQ(parse_error("nope"),
            "request body is not valid JSON: Problem while parsing an atom starting with the "
            "letter 'n'");
  EXPECT_EQ(parse_error("[]"), "request body must be a JSON object");
  EXPECT_EQ(parse_error(R"({"logStreamName":"s","logEvents":[]})"),
            "missing required parameter logGroupName");
  EXPECT_EQ(parse_error(body(ev(kNow, "x"), "bad group!")),
            "logGroupName: log group name may contain only a-z, A-Z, 0-9, '.', '-', '_', '/' "
            "and '#'");
  EXPECT_EQ(parse_error(body(ev(kNow, "x"), "/g", "a:b")),
            "logStreamName: log stream name must not contain ':' or '*'");
  EXPECT_EQ(parse_error(R"({"logGroupName":"g","logStreamName":"s"})"),
            "missing required parameter logEvents");
  EXPECT_EQ(parse_error(body("")), "logEvents must have 1..10000 items (got 0)");
  EXPECT_EQ(parse_error(body(R"({"message":"x"})")), "logEvents[0].timestamp is required");
  EXPECT_EQ(parse_error(body(R"({"timestamp":1.5,"message":"x"})")),
            "logEvents[0].timestamp must be an integer number of milliseconds since the epoch");
  EXPECT_EQ(parse_error(body(ev(kNow, ""))), "logEvents[0].message must have at least 1 character");
  EXPECT_EQ(parse_error(body(ev(kNow, "b") + "," + ev(kNow - 1, "a"))),
            "Log events in a single PutLogEvents request must be in chronological order: "
            "logEvents[1] (1699999999999) is older than the event before it (1700000000000)");
}

TEST(PutLogEventsTest, CountAndSizeLimits) {
  std::string many;
  for (int i = 0; i < 10'001; i++) many += (i ? "," : "") + ev(kNow, "x");
  EXPECT_EQ(parse_error(body(many)), "logEvents must have 1..10000 items (got 10001)");
  // Two messages of 524,262 bytes: (524262 + 26) * 2 = 1,048,576 fits exactly; one more byte not.
  std::string m(524'262, 'a');
  EXPECT_EQ(parse_error(body(ev(kNow, m) + "," + ev(kNow, m))), "");
  EXPECT_EQ(parse_error(body(ev(kNow, m) + "," + ev(kNow, m + "a"))),
            "Upload too large: the batch (message bytes + 26 per event) exceeds 1048576 bytes "
            "at logEvents[1]");
}

TEST(PutLogEventsTest, TooOldTooNewAndExpiredAreRejectedAndTheRestKept) {
  const int64_t day = kMsPerDay;
  PutLogEventsRequest req;
  ASSERT_TRUE(
      parse_put_log_events(body(ev(kNow - 15 * day, "old") + "," +
                                ev(kNow - 3 * day - 5, "expired") + "," + ev(kNow - 1000, "ok1") +
                                "," + ev(kNow, "ok2") + "," + ev(kNow + 2 * kMsPerHour + 1, "new")),
                           &req)
          .ok());
  LogBatch out;
  RejectedLogEventsInfo rej;
  // Retention 3 days: events 0 and 1 are expired; event 0 also too old; event 4 too new. The
  // kept events span less than 24 hours.
  ASSERT_TRUE(apply_put_log_events(std::move(req), kNow, 3, &out, &rej).ok());
  EXPECT_EQ(rej.too_old_end, 1);
  EXPECT_EQ(rej.expired_end, 2);
  EXPECT_EQ(rej.too_new_start, 4);
  ASSERT_EQ(out.streams.size(), 1u);
  ASSERT_EQ(out.streams[0].events.size(), 2u);
  EXPECT_EQ(out.streams[0].events[0].message, "ok1");
  EXPECT_EQ(out.streams[0].events[1].message, "ok2");
  ASSERT_EQ(out.errors.size(), 3u);
  EXPECT_EQ(out.errors[0].item, "logEvents[4]");
  EXPECT_EQ(out.errors[0].message,
            "1 event(s) more than 2 hours in the future (tooNewLogEventStartIndex)");
  EXPECT_EQ(out.errors[1].item, "logEvents[0]");
  EXPECT_EQ(out.errors[1].message, "1 event(s) older than 14 days (tooOldLogEventEndIndex)");
  EXPECT_EQ(out.errors[2].item, "logEvents[0..1]");
  EXPECT_EQ(out.errors[2].message,
            "2 event(s) older than the log group's retention of 3 days (expiredLogEventEndIndex)");
  EXPECT_EQ(encode_put_log_events_response("49590", rej),
            R"({"nextSequenceToken":"49590","rejectedLogEventsInfo":{"tooNewLogEventStartIndex":4,)"
            R"("tooOldLogEventEndIndex":1,"expiredLogEventEndIndex":2}})");
}

TEST(PutLogEventsTest, BoundariesAreInclusive) {
  PutLogEventsRequest req;
  ASSERT_TRUE(parse_put_log_events(body(ev(kNow - 14 * kMsPerDay, "edge-old") + "," +
                                        ev(kNow + 2 * kMsPerHour, "edge-new")),
                                   &req)
                  .ok());
  LogBatch out;
  RejectedLogEventsInfo rej;
  // 14 days + 2 hours apart: more than 24 h, so the batch fails as a whole.
  Status st = apply_put_log_events(req, kNow, 0, &out, &rej);
  EXPECT_EQ(st.message(),
            "The batch of log events in a single PutLogEvents request cannot span more than 24 "
            "hours: logEvents[0] and logEvents[1] are 1216800000 ms apart");
  EXPECT_TRUE(out.streams.empty());
  // Each alone is within the window.
  PutLogEventsRequest one;
  ASSERT_TRUE(parse_put_log_events(body(ev(kNow + 2 * kMsPerHour, "edge-new")), &one).ok());
  ASSERT_TRUE(apply_put_log_events(one, kNow, 0, &out, &rej).ok());
  EXPECT_TRUE(rej.empty());
  EXPECT_EQ(out.event_count(), 1u);
}

TEST(PutLogEventsTest, AllRejectedKeepsNothing) {
  PutLogEventsRequest req;
  ASSERT_TRUE(parse_put_log_events(body(ev(kNow - 20 * kMsPerDay, "a")), &req).ok());
  LogBatch out;
  RejectedLogEventsInfo rej;
  ASSERT_TRUE(apply_put_log_events(std::move(req), kNow, 0, &out, &rej).ok());
  EXPECT_TRUE(out.streams.empty());
  EXPECT_EQ(rej.too_old_end, 1);
  EXPECT_FALSE(rej.expired_end.has_value());
}

}  // namespace
}  // namespace opsight::ingest::logs
