// Logs Insights: parse errors (position and token), scan hints, limits, snapshots, early stop.
#include <gtest/gtest.h>

#include "insights_test_util.h"
#include "query/insights/insights.h"

namespace opsight::query::insights {
namespace {

using testing::make_event;
using testing::run_query;

std::string parse_error(std::string_view q) {
  auto r = parse_query(q);
  EXPECT_FALSE(r.ok()) << q;
  return r.ok() ? "" : r.status().message();
}

TEST(InsightsParse, ErrorsNamePositionAndToken) {
  EXPECT_EQ(parse_error("fields @message | filter | limit 5"),
            "line 1, column 26: unexpected '|' after \"filter\"");
  EXPECT_EQ(parse_error("stats count(*) by"),
            "line 1, column 18: unexpected end of query after \"by\"");
  EXPECT_EQ(parse_error("fields a,\n  b |"),
            "line 2, column 6: unexpected end of query after \"|\"");
  EXPECT_EQ(parse_error("fields a b"), "line 1, column 10: unexpected 'b' after \"a\"");
  EXPECT_EQ(parse_error("sort x | frobnicate"),
            "line 1, column 10: unknown command 'frobnicate' (commands: fields, display, filter, "
            "stats, sort, limit, parse, dedup, pattern, unmask)");
  EXPECT_EQ(parse_error("fields foo(1)"), "line 1, column 8: unknown function 'foo'");
  EXPECT_EQ(parse_error("fields count(*)"),
            "line 1, column 8: the aggregation function 'count' is only allowed in stats");
  EXPECT_EQ(parse_error("stats sum(max(x))"),
            "line 1, column 11: aggregation functions cannot be nested ('max')");
  EXPECT_EQ(parse_error("fields strlen(a, b)"),
            "line 1, column 8: function 'strlen' takes 1 argument(s), got 2");
  EXPECT_EQ(parse_error("parse @message \"* *\" as a"),
            "line 1, column 16: the parse glob has 2 '*' but 1 names follow 'as'");
  EXPECT_EQ(parse_error("limit 0"),
            "line 1, column 7: limit needs a positive whole number, got '0'");
  EXPECT_EQ(parse_error("stats count(*) by bin(x)"),
            "line 1, column 23: bin() needs a period such as 5m or 1h");
  EXPECT_EQ(parse_error("stats pct(x, 101)"),
            "line 1, column 14: pct() needs a percentile between 0 and 100");
  EXPECT_EQ(parse_error("filter a = \"x"), "line 1, column 12: unterminated string");
  EXPECT_EQ(parse_error("filter a = 5q"), "line 1, column 12: invalid number or duration '5q'");
  EXPECT_EQ(parse_error("fields x / /a/"),
            "line 1, column 12: a regular expression is only allowed after like, =~ or parse");
  EXPECT_EQ(parse_error("stats x"),
            "line 1, column 1: stats needs an aggregation function such as count(*)");
  EXPECT_EQ(parse_error("parse @message /(?<a>x/"),
            "line 1, column 16: invalid regular expression /(?<a>x/: missing ): (?P<a>x");
  EXPECT_EQ(parse_error("parse @message /x+/"),
            "line 1, column 16: a parse regex needs named capture groups such as (?<name>\\S+)");
  EXPECT_EQ(parse_error("filter x like 5"), "line 1, column 15: unexpected '5' after \"like\"");
  EXPECT_EQ(parse_error("  # only a comment\n"), "the query is empty");
  EXPECT_EQ(parse_error("fields `a"), "line 1, column 8: unterminated backquoted field name");
}

TEST(InsightsParse, ColumnNamesAreCanonical) {
  auto q = parse_query("stats avg (latency*1000), count( * ), pct(x,99) by bin(5m)");
  ASSERT_TRUE(q.ok()) << q.status().to_string();
  auto r = run_query(*q, {make_event(0, "s", R"({"latency":1,"x":2})")});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->columns,
            (std::vector<std::string>{"bin(5m)", "avg(latency * 1000)", "count(*)", "pct(x, 99)"}));
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0][0], "1970-01-01 00:00:00.000");
  EXPECT_EQ(r->rows[0][1], "1000");
}

std::vector<std::string> hints(std::string_view q) {
  auto r = parse_query(q);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return scan_hints(*r).required_substrings;
}

TEST(InsightsScanHints, OnlyWhenSound) {
  using V = std::vector<std::string>;
  EXPECT_EQ(hints("filter @message like \"timeout\""), V{"timeout"});
  EXPECT_EQ(hints("filter @message like \"a\" and status = 5 and @message = \"ab\""),
            (V{"a", "ab"}));
  EXPECT_EQ(hints("fields x | filter strcontains(@message, \"q\") | stats count(*)"), V{"q"});
  EXPECT_EQ(hints("filter @message like \"a\" or @message like \"b\""), V{});
  EXPECT_EQ(hints("filter not @message like \"a\""), V{});
  EXPECT_EQ(hints("filter @message not like \"a\""), V{});
  EXPECT_EQ(hints("filter @message like /timeout/"), V{});
  EXPECT_EQ(hints("filter other like \"a\""), V{});
  EXPECT_EQ(hints("limit 5 | filter @message like \"a\""), V{});
  EXPECT_EQ(hints("stats count(*) as n by @message | filter @message like \"a\""), V{});
  EXPECT_EQ(hints("fields x as @message | filter @message like \"a\""), V{});
  EXPECT_EQ(hints("parse y \"*\" as @message | filter @message like \"a\""), V{});
  EXPECT_TRUE(scan_hints(*parse_query("fields @message")).newest_first);
  EXPECT_FALSE(scan_hints(*parse_query("sort @timestamp asc | limit 5")).newest_first);
}

struct Reads {
  bool message;
  bool fields;
  bool operator==(const Reads&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Reads& r) {
  return os << "{message=" << r.message << ", fields=" << r.fields << "}";
}
Reads reads(std::string_view q) {
  auto r = parse_query(q);
  EXPECT_TRUE(r.ok()) << q << ": " << r.status().to_string();
  if (!r.ok()) return {true, true};
  ScanHints h = scan_hints(*r);
  return {h.needs_message, h.needs_fields};
}

TEST(InsightsScanHints, NeedsMessageAndFields) {
  const Reads kNone{false, false}, kMessage{true, false}, kFields{false, true}, kBoth{true, true};
  // Only generated fields other than @message: neither.
  EXPECT_EQ(reads("stats count(*) as n by bin(5m) as t"), kNone);
  EXPECT_EQ(reads("stats count(*) by @logStream, @log"), kNone);
  EXPECT_EQ(reads("filter @timestamp > 5 | stats count(*), max(@ingestionTime) by bin(1h)"), kNone);
  EXPECT_EQ(reads("fields @timestamp, @logStream | sort @timestamp desc | limit 5"), kNone);
  EXPECT_EQ(reads("fields @timestamp | limit 3"), kNone);
  // @message read by a filter, a parse, a pattern, a function, or shown by default.
  EXPECT_EQ(reads("filter @message like \"timeout\" | stats count(*) as n"), kMessage);
  EXPECT_EQ(reads("filter @message like /user_[0-9]+7 / | stats count(*) as n"), kMessage);
  EXPECT_EQ(reads("parse @message /\" (?<status>[0-9]{3}) / | stats count(*) as n by status"),
            kMessage);
  EXPECT_EQ(reads("pattern"), kMessage);
  EXPECT_EQ(reads("stats count(*) by strlen(@message)"), kMessage);
  EXPECT_EQ(reads("filter @logStream = \"a\""), kMessage);  // default columns
  EXPECT_EQ(reads("limit 5"), kMessage);
  EXPECT_EQ(reads("fields @message"), kMessage);
  EXPECT_EQ(reads("display @timestamp, @message"), kMessage);
  // Discovered fields.
  EXPECT_EQ(reads("filter ispresent(latency_ms) | stats pct(latency_ms, 99) as p99 by service"),
            kFields);
  EXPECT_EQ(reads("stats count(*) by level"), kFields);
  EXPECT_EQ(reads("fields level | limit 1"), kFields);
  EXPECT_EQ(reads("display level"), kFields);
  EXPECT_EQ(reads("dedup level | fields @timestamp"), kFields);
  EXPECT_EQ(reads("sort latency desc | fields @timestamp"), kFields);
  EXPECT_EQ(reads("stats count(*) by severityText"), kFields);  // a field of that name shadows
  EXPECT_EQ(reads("stats count(*) by @user"), kFields);         // "@user", then "user"
  EXPECT_EQ(reads("filter level = \"ERROR\" | fields @message"), kBoth);
  // Names the query defines are not read from the record, from where they are defined on.
  EXPECT_EQ(reads("parse @message \"* *\" as a, b | stats count(*) by a, b"), kMessage);
  EXPECT_EQ(reads("stats count(*) by a | parse @message \"* *\" as a, b"), kFields);
  EXPECT_EQ(reads("fields strlen(@message) as n | stats avg(n)"), kMessage);
  EXPECT_EQ(reads("fields n | fields strlen(@message) as n"), kBoth);
  EXPECT_EQ(reads("fields @logStream as s, concat(s, \"x\") as t | stats count(*) by t"), kNone);
  EXPECT_EQ(reads("fields @logStream as s | display s"), kNone);
  // After stats / pattern the rows are their output: nothing more is read from records.
  EXPECT_EQ(reads("stats count(*) as n by bin(5m) | filter n > 3 | sort n desc"), kNone);
  EXPECT_EQ(reads("stats count(*) as n by @logStream | fields level"), kNone);
}

std::vector<testing::TestEvent> users(int n) {
  std::vector<testing::TestEvent> ev;
  for (int i = 0; i < n; i++) {
    ev.push_back(make_event(i * 1000, "s", R"({"user":"u)" + std::to_string(i) + R"("})"));
  }
  return ev;
}

TEST(InsightsLimits, RowsAreCapped) {
  auto q = parse_query("fields user");
  ExecOptions o;
  o.max_rows = 3;
  auto r = run_query(*q, users(10), o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows.size(), 3u);
  EXPECT_EQ(r->rows[0][0], "u9");     // newest first
  EXPECT_EQ(r->records_matched, 3u);  // the scan stopped
}

TEST(InsightsLimits, SortKeepsTopN) {
  auto q = parse_query("fields user | sort user desc");
  ExecOptions o;
  o.max_rows = 2;
  auto r = run_query(*q, users(10), o);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->rows.size(), 2u);
  EXPECT_EQ(r->rows[0][0], "u9");
  EXPECT_EQ(r->rows[1][0], "u8");
  EXPECT_EQ(r->records_matched, 10u);
}

TEST(InsightsLimits, GroupsValuesAndPatternLinesAreBounded) {
  ExecOptions o;
  o.max_groups = 4;
  o.max_values = 5;
  o.max_pattern_lines = 6;
  auto g = run_query(*parse_query("stats count(*) by user"), users(10), o);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), Code::kResourceExhausted);
  EXPECT_NE(g.status().message().find("max_groups"), std::string::npos);
  auto d = run_query(*parse_query("stats count_distinct(user)"), users(10), o);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("count_distinct keeps at most 5 values"), std::string::npos);
  auto p = run_query(*parse_query("stats pct(@timestamp, 50)"), users(10), o);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("max_values"), std::string::npos);
  auto m = run_query(*parse_query("pattern @message"), users(10), o);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("max_pattern_lines"), std::string::npos);
  auto s = run_query(*parse_query("sort @timestamp | dedup user"), users(10), o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("max_groups"), std::string::npos);
}

TEST(InsightsExecution, SnapshotShowsPartialResultsAndContinues) {
  auto q = parse_query("stats count(*) as n");
  ASSERT_TRUE(q.ok());
  Execution exec(*q, {});
  std::vector<storage::LogField> none;
  storage::LogRecord r;
  r.message = "x";
  ASSERT_TRUE(exec.add(r).ok());
  ASSERT_TRUE(exec.add(r).ok());
  ResultTable s1 = exec.snapshot();
  ASSERT_EQ(s1.rows.size(), 1u);
  EXPECT_EQ(s1.rows[0][0], "2");
  ASSERT_TRUE(exec.add(r).ok());
  EXPECT_FALSE(exec.done_early());
  ResultTable f = exec.finish();
  ASSERT_EQ(f.rows.size(), 1u);
  EXPECT_EQ(f.rows[0][0], "3");
  EXPECT_EQ(f.records_matched, 3u);
}

TEST(InsightsExecution, DoneEarlyOnlyWithoutBlockingCommands) {
  storage::LogRecord r;
  r.message = "x";
  for (auto [text, early] : std::vector<std::pair<const char*, bool>>{
           {"limit 2", true},
           {"filter @message like \"x\" | limit 2 | fields @message", true},
           {"limit 2 | stats count(*)", true},
           {"sort @timestamp | limit 2", false},
           {"stats count(*) | limit 1", false}}) {
    auto q = parse_query(text);
    ASSERT_TRUE(q.ok()) << text;
    Execution exec(*q, {});
    for (int i = 0; i < 3; i++) ASSERT_TRUE(exec.add(r).ok());
    EXPECT_EQ(exec.done_early(), early) << text;
  }
}

TEST(InsightsExecution, ExposesSeverityTraceAndSpanWhenPresent) {
  auto q = parse_query("fields severityText, traceId, spanId");
  ASSERT_TRUE(q.ok());
  Execution exec(*q, {});
  storage::LogRecord r;
  r.severity_text = "ERROR";
  r.trace_id = "0123456789abcdef0123456789abcdef";
  ASSERT_TRUE(exec.add(r).ok());
  auto t = exec.finish();
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0][0], "ERROR");
  EXPECT_EQ(t.rows[0][1], "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(t.rows[0][2], std::nullopt);
}

}  // namespace
}  // namespace opsight::query::insights
