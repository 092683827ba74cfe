#include <gtest/gtest.h>

#include "ingest/logs/syslog.h"
#include "ingest/logs/syslog_framer.h"

namespace opsight::ingest::logs {
namespace {

// 2023-11-14T22:13:20Z
constexpr int64_t kNow = 1'700'000'000'000;

std::string parse_error(std::string_view text) {
  SyslogMessage m;
  Status st = parse_syslog(text, kNow, &m);
  return st.ok() ? "" : st.message();
}

TEST(SyslogTest, Rfc5424FullMessage) {
  SyslogMessage m;
  ASSERT_TRUE(parse_syslog("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - "
                           "ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"App\\\"lication\" "
                           "eventID=\"1011\"][examplePriority@32473 class=\"high\"] "
                           "\xEF\xBB\xBF"
                           "An application event log entry...\n",
                           kNow, &m)
                  .ok());
  EXPECT_TRUE(m.rfc5424);
  EXPECT_EQ(m.facility, 20);
  EXPECT_EQ(m.severity, 5);
  EXPECT_EQ(m.timestamp_ms, 1'065'910'455'003);
  EXPECT_EQ(m.hostname, "mymachine.example.com");
  EXPECT_EQ(m.app_name, "evntslog");
  EXPECT_EQ(m.procid, "");
  EXPECT_EQ(m.msgid, "ID47");
  EXPECT_EQ(m.message, "An application event log entry...");
  storage::LogEvent ev = syslog_to_event(m);
  EXPECT_EQ(ev.severity_text, "NOTICE");
  EXPECT_EQ(ev.severity_number, 10);
  EXPECT_EQ(ev.attributes, (std::vector<storage::LogAttribute>{
                               {"facility", "local4"},
                               {"hostname", "mymachine.example.com"},
                               {"app_name", "evntslog"},
                               {"msgid", "ID47"},
                               {"exampleSDID@32473.iut", "3"},
                               {"exampleSDID@32473.eventSource", "App\"lication"},
                               {"exampleSDID@32473.eventID", "1011"},
                               {"examplePriority@32473.class", "high"},
                           }));
  EXPECT_EQ(syslog_group(m), "/syslog/evntslog");
  EXPECT_EQ(syslog_stream(m, "10.0.0.1"), "mymachine.example.com");
}

TEST(SyslogTest, Rfc5424NilValuesAndOffset) {
  SyslogMessage m;
  ASSERT_TRUE(parse_syslog("<34>1 2003-10-11T22:14:15+02:00 - - - - -", kNow, &m).ok());
  EXPECT_EQ(m.timestamp_ms, 1'065'903'255'000);
  EXPECT_EQ(m.message, "");
  EXPECT_EQ(syslog_group(m), "/syslog/default");
  EXPECT_EQ(syslog_stream(m, "10.0.0.1"), "10.0.0.1");
  EXPECT_EQ(syslog_stream(m, ""), "unknown");
  ASSERT_TRUE(parse_syslog("<0>1 - h a p m - msg", kNow, &m).ok());
  EXPECT_EQ(m.timestamp_ms, kNow);
  EXPECT_EQ(syslog_to_event(m).severity_text, "EMERGENCY");
}

TEST(SyslogTest, Rfc5424ErrorsNameTheField) {
  EXPECT_EQ(parse_error("hello"),
            "invalid syslog message: PRI: a message must start with \"<PRI>\"");
  EXPECT_EQ(parse_error("<192>1 - - - - - -"),
            "invalid syslog message: PRI: 192 is out of range 0..191");
  EXPECT_EQ(parse_error("<1x>"),
            "invalid syslog message: PRI: expected 1 to 3 digits between '<' and '>'");
  EXPECT_EQ(parse_error("<13>1 yesterday h a p m -").substr(0, 50),
            "invalid syslog message: TIMESTAMP: \"yesterday\" is ");
  EXPECT_EQ(parse_error("<13>1 - h a p"),
            "invalid syslog message: MSGID: missing (fields are separated by one space; \"-\" is "
            "the nil value)");
  EXPECT_EQ(parse_error("<13>1 - h a p m [x a=\"1\""),
            "invalid syslog message: STRUCTURED-DATA: expected ']' to close element \"x\"");
  EXPECT_EQ(parse_error("<13>1 - h a p m [x a=1]"),
            "invalid syslog message: STRUCTURED-DATA: expected =\"value\" after \"a\"");
  EXPECT_EQ(parse_error("<13>1 - h a p m -x"),
            "invalid syslog message: MSG: expected a space after STRUCTURED-DATA");
}

TEST(SyslogTest, Rfc3164WithAndWithoutHostname) {
  SyslogMessage m;
  ASSERT_TRUE(
      parse_syslog("<34>Oct 11 22:14:15 mymachine su[123]: 'su root' failed", kNow, &m).ok());
  EXPECT_FALSE(m.rfc5424);
  EXPECT_EQ(m.facility, 4);
  EXPECT_EQ(m.severity, 2);
  EXPECT_EQ(m.timestamp_ms, 1'697'062'455'000);  // 2023-10-11T22:14:15Z (this year)
  EXPECT_EQ(m.hostname, "mymachine");
  EXPECT_EQ(m.app_name, "su");
  EXPECT_EQ(m.procid, "123");
  EXPECT_EQ(m.message, "'su root' failed");
  // A date more than a day ahead of now is last year's.
  ASSERT_TRUE(parse_syslog("<13>Dec  1 00:00:00 host cron: x", kNow, &m).ok());
  EXPECT_EQ(m.timestamp_ms, 1'669'852'800'000);  // 2022-12-01
  // Local sender without hostname.
  ASSERT_TRUE(parse_syslog("<13>Nov 14 22:00:00 sshd[9]: Accepted", kNow, &m).ok());
  EXPECT_EQ(m.hostname, "");
  EXPECT_EQ(m.app_name, "sshd");
  EXPECT_EQ(m.message, "Accepted");
  // No valid timestamp: everything after PRI is the message.
  ASSERT_TRUE(parse_syslog("<13>just some text", kNow, &m).ok());
  EXPECT_EQ(m.timestamp_ms, kNow);
  EXPECT_EQ(m.message, "just some text");
  EXPECT_EQ(syslog_to_event(m).severity_text, "NOTICE");
}

TEST(SyslogTest, Rfc3164HeaderWithRfc3339Timestamp) {
  // rsyslog's RSYSLOG_ForwardFormat: "<PRI>TIMESTAMP(RFC 3339) HOSTNAME TAG MSG".
  SyslogMessage m;
  ASSERT_TRUE(
      parse_syslog("<11>2023-11-14T21:59:58.123456+01:00 web01 billing: disk full", kNow, &m).ok());
  EXPECT_FALSE(m.rfc5424);
  EXPECT_EQ(m.timestamp_ms, 1'699'995'598'123);  // 2023-11-14T20:59:58.123Z
  EXPECT_EQ(m.hostname, "web01");
  EXPECT_EQ(m.app_name, "billing");
  EXPECT_EQ(m.message, "disk full");
  // rsyslog relays an RFC 5424 message as "HOST APP MSG" (no colon after the tag).
  ASSERT_TRUE(parse_syslog("<11>2023-11-14T20:59:58Z vm billing disk full", kNow, &m).ok());
  EXPECT_EQ(m.hostname, "vm");
  EXPECT_EQ(m.app_name, "billing");
  EXPECT_EQ(m.message, "disk full");
  // A malformed RFC 3339 time is not a header: the whole text is the message.
  ASSERT_TRUE(parse_syslog("<11>2023-11-14Tnonsense web01 x: y", kNow, &m).ok());
  EXPECT_EQ(m.timestamp_ms, kNow);
  EXPECT_EQ(m.hostname, "");
}

TEST(SyslogTest, DecodeMessagesKeepsGoodOnes) {
  std::vector<std::string> msgs = {"<13>Nov 14 22:00:00 web1 app: one", "bad",
                                   "<13>Nov 14 22:00:01 web1 app: two",
                                   "<13>1 - web2 app - - - three"};
  LogBatch out;
  decode_syslog_messages(msgs, kNow, "10.0.0.9", LogLimits{}, &out);
  ASSERT_EQ(out.streams.size(), 2u);
  EXPECT_EQ(out.streams[0].group, "/syslog/app");
  EXPECT_EQ(out.streams[0].stream, "web1");
  EXPECT_EQ(out.streams[0].events.size(), 2u);
  EXPECT_EQ(out.streams[1].stream, "web2");
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].item, "message 1");
  EXPECT_EQ(out.errors[0].message,
            "invalid syslog message: PRI: a message must start with \"<PRI>\"");
}

TEST(SyslogFramerTest, OctetCountingAndNewlinesInArbitraryChunks) {
  std::string stream = "11 <13>1 - - a\n<13>hello\r\n\n18 <13>multi\nline msg<14>tail";
  // Every split point gives the same frames.
  for (size_t cut = 0; cut <= stream.size(); cut++) {
    SyslogFramer f;
    std::vector<std::string> out;
    ASSERT_TRUE(f.feed(stream.substr(0, cut), &out).ok());
    ASSERT_TRUE(f.feed(stream.substr(cut), &out).ok());
    ASSERT_TRUE(f.finish(&out).ok());
    EXPECT_EQ(out, (std::vector<std::string>{"<13>1 - - a", "<13>hello", "<13>multi\nline msg",
                                             "<14>tail"}))
        << "cut at " << cut;
  }
}

TEST(SyslogFramerTest, FramingErrors) {
  std::vector<std::string> out;
  SyslogFramer bad_len;
  EXPECT_EQ(bad_len.feed("12x<13>", &out).message(),
            "syslog octet-counting frame: expected a space after MSG-LEN, got byte 0x78");
  EXPECT_FALSE(bad_len.feed("more", &out).ok());  // sticky
  SyslogFramer small(8);
  EXPECT_EQ(small.feed("100 <13>", &out).message(),
            "syslog frame of 100 bytes: at most 8 are allowed");
  SyslogFramer no_lf(8);
  EXPECT_EQ(no_lf.feed("<13>abcdefgh", &out).message(),
            "syslog frame longer than 8 bytes without a line feed");
  SyslogFramer truncated;
  ASSERT_TRUE(truncated.feed("20 <13>abc", &out).ok());
  EXPECT_EQ(truncated.buffered(), 10u);
  EXPECT_EQ(truncated.finish(&out).message(),
            "syslog stream ended inside an octet-counted frame (10 bytes buffered)");
}

}  // namespace
}  // namespace opsight::ingest::logs
