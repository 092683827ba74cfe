#include <gtest/gtest.h>

#include "ingest/logs/loki_labels.h"
#include "ingest/logs/loki_push.h"
#include "wire/compression.h"

namespace opsight::ingest::logs {
namespace {

using Attrs = std::vector<storage::LogAttribute>;

std::string label_error(std::string_view text) {
  auto r = parse_label_set(text);
  return r.ok() ? "" : r.status().message();
}

TEST(LokiLabelsTest, ParsesAndSorts) {
  auto r = parse_label_set(R"({job="varlogs", filename="/var/log/a \"b\"\\n",host="h1",})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, (Labels{{"filename", "/var/log/a \"b\"\\n"}, {"host", "h1"}, {"job", "varlogs"}}));
  EXPECT_EQ(loki_stream_name(*r), R"({filename="/var/log/a \"b\"\\n", host="h1", job="varlogs"})");
  EXPECT_TRUE(parse_label_set("{}").ok());
  EXPECT_TRUE(parse_label_set(" { a = \"x\\ty\" } ").ok());
}

TEST(LokiLabelsTest, ErrorsNameOffsetAndRule) {
  EXPECT_EQ(label_error("job=\"x\""), "invalid label set at offset 0: expected '{'");
  EXPECT_EQ(label_error("{1a=\"x\"}"),
            "invalid label set at offset 1: expected a label name ([a-zA-Z_][a-zA-Z0-9_]*)");
  EXPECT_EQ(label_error("{a:\"x\"}"),
            "invalid label set at offset 2: expected '=' after the label name");
  EXPECT_EQ(label_error("{a=x}"),
            "invalid label set at offset 3: expected '\"' to open the label value");
  EXPECT_EQ(label_error("{a=\"x"), "invalid label set at offset 5: unterminated label value");
  EXPECT_EQ(label_error("{a=\"\\q\"}"),
            "invalid label set at offset 5: unknown escape '\\q' in a label value");
  EXPECT_EQ(label_error("{a=\"1\", a=\"2\"}"),
            "invalid label set at offset 8: duplicate label name \"a\"");
  EXPECT_EQ(label_error("{a=\"1\" b=\"2\"}"), "invalid label set at offset 7: expected ',' or '}'");
  EXPECT_EQ(label_error("{a=\"1\"} x"), "invalid label set at offset 8: unexpected text after '}'");
}

TEST(LokiPushTest, JsonStreamsBecomeLogStreams) {
  std::string body = R"({"streams":[
    {"stream":{"job":"varlogs","host":"h1","level":"warn"},
     "values":[["1700000000123456789","line one"],
               ["1700000000200000000","line two",{"trace_id":"abc","user":"u1"}]]},
    {"stream":{"service_name":"checkout"},"values":[["1700000001000000000","x"]]},
    {"stream":{"app":"a"},"values":[["5000000","y"]]}]})";
  LogBatch out;
  ASSERT_TRUE(decode_loki_push_json(body, LogLimits{}, &out).ok());
  EXPECT_TRUE(out.errors.empty());
  ASSERT_EQ(out.streams.size(), 3u);
  EXPECT_EQ(out.streams[0].group, "varlogs");
  EXPECT_EQ(out.streams[0].stream, R"({host="h1", job="varlogs", level="warn"})");
  ASSERT_EQ(out.streams[0].events.size(), 2u);
  const auto& e0 = out.streams[0].events[0];
  EXPECT_EQ(e0.timestamp_ms, 1'700'000'000'123);
  EXPECT_EQ(e0.message, "line one");
  EXPECT_EQ(e0.severity_text, "warn");
  EXPECT_EQ(e0.attributes, (Attrs{{"host", "h1"}, {"job", "varlogs"}, {"level", "warn"}}));
  EXPECT_EQ(out.streams[0].events[1].attributes, (Attrs{{"host", "h1"},
                                                        {"job", "varlogs"},
                                                        {"level", "warn"},
                                                        {"trace_id", "abc"},
                                                        {"user", "u1"}}));
  EXPECT_EQ(out.streams[1].group, "checkout");
  EXPECT_EQ(out.streams[2].group, "/loki/default");
  EXPECT_EQ(out.streams[2].events[0].timestamp_ms, 5);
}

TEST(LokiPushTest, JsonBadStreamsAndEntriesAreRejectedAlone) {
  LogLimits limits;
  limits.max_message_bytes = 8;
  std::string body = R"({"streams":[
    {"stream":{"job":1},"values":[["1","a"]]},
    {"stream":{},"values":[["1","a"]]},
    {"values":[["1","a"]]},
    {"stream":{"job":"j"},"values":[
      ["1700000000000000000","good"],
      [1700000000000000000,"numeric ts"],
      ["-5","negative"],
      ["1","a","meta"],
      ["1","a",{"k":2}],
      ["1"],
      ["1","a very long line"],
      ["2","good2",null]]}]})";
  LogBatch out;
  ASSERT_TRUE(decode_loki_push_json(body, limits, &out).ok());
  ASSERT_EQ(out.event_count(), 2u);
  std::vector<std::string> got;
  for (const auto& e : out.errors) got.push_back(e.item + ": " + e.message);
  EXPECT_EQ(got, (std::vector<std::string>{
                     "streams[0].stream: label \"job\" must have a string value",
                     "streams[1].stream: a stream needs at least one label with a non-empty value",
                     "streams[2].stream: is required (the stream's labels)",
                     "streams[3].values[1]: timestamp must be a string of Unix epoch nanoseconds",
                     "streams[3].values[2]: timestamp \"-5\" is not a non-negative integer of Unix "
                     "epoch nanoseconds",
                     "streams[3].values[3]: structured metadata must be an object",
                     "streams[3].values[4]: structured metadata \"k\" must be a string",
                     "streams[3].values[5]: an entry must have 2 or 3 elements (got 1)",
                     "streams[3].values[6]: message is 16 bytes: at most 8 are allowed "
                     "(limits.max_message_bytes)",
                 }));
}

TEST(LokiPushTest, JsonRequestErrors) {
  LogBatch out;
  EXPECT_EQ(decode_loki_push_json("{", LogLimits{}, &out).code(), Code::kInvalidArgument);
  EXPECT_EQ(decode_loki_push_json(R"({"streams":{}})", LogLimits{}, &out).message(),
            "malformed Loki push JSON at streams: expected an array of streams");
  LogLimits limits;
  limits.max_events_per_request = 1;
  EXPECT_EQ(
      decode_loki_push_json(R"({"streams":[{"stream":{"a":"b"},"values":[["1","x"],["2","y"]]}]})",
                            limits, &out)
          .message(),
      "more than 1 log entries in one request (limits.max_events_per_request); split the "
      "request");
  EXPECT_TRUE(out.streams.empty());
}

TEST(LokiPushTest, SnappyProtobufRoundTrip) {
  std::vector<LokiStream> streams = {
      {R"({job="promtail", host="h"})",
       {{1'700'000'000'123'456'789, "hello", {{"trace_id", "t1"}}}, {1'000'000, "second", {}}}},
      {"not labels", {{1, "dropped", {}}}},
      {R"({service_name="svc", level="error"})", {{2'000'000, "boom", {}}}}};
  std::string body = wire::snappy_compress(encode_loki_push_protobuf(streams));
  LogBatch out;
  ASSERT_TRUE(decode_loki_push_protobuf(body, LogLimits{}, &out).ok());
  ASSERT_EQ(out.streams.size(), 2u);
  EXPECT_EQ(out.streams[0].group, "promtail");
  EXPECT_EQ(out.streams[0].stream, R"({host="h", job="promtail"})");
  ASSERT_EQ(out.streams[0].events.size(), 2u);
  EXPECT_EQ(out.streams[0].events[0].timestamp_ms, 1'700'000'000'123);
  EXPECT_EQ(out.streams[0].events[0].message, "hello");
  EXPECT_EQ(out.streams[0].events[0].attributes,
            (Attrs{{"host", "h"}, {"job", "promtail"}, {"trace_id", "t1"}}));
  EXPECT_EQ(out.streams[0].events[1].timestamp_ms, 1);
  EXPECT_EQ(out.streams[1].group, "svc");
  EXPECT_EQ(out.streams[1].events[0].severity_text, "error");
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].item, "streams[1].labels");
  EXPECT_EQ(out.errors[0].message, "invalid label set at offset 0: expected '{'");
}

TEST(LokiPushTest, ProtobufRequestErrors) {
  LogBatch out;
  Status st = decode_loki_push_protobuf("\xff\xff\xff", LogLimits{}, &out);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_TRUE(st.message().starts_with("Loki push protobuf body is not valid snappy: "));
  std::string raw = encode_loki_push_protobuf({{"{a=\"b\"}", {{1, "x", {}}}}});
  st = decode_loki_push_protobuf_raw(raw.substr(0, raw.size() - 1), LogLimits{}, &out);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_TRUE(st.message().starts_with("malformed Loki push protobuf at "));
  EXPECT_TRUE(out.streams.empty());
}

}  // namespace
}  // namespace opsight::ingest::logs
