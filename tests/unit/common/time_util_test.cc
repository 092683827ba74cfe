#include "common/time_util.h"

#include <gtest/gtest.h>

namespace opsight {
namespace {

TEST(ParseDuration, Units) {
  EXPECT_EQ(*parse_duration_ms("15s"), 15'000);
  EXPECT_EQ(*parse_duration_ms("1h30m"), 5'400'000);
  EXPECT_EQ(*parse_duration_ms("14d"), 14LL * 86'400'000);
  EXPECT_EQ(*parse_duration_ms("250ms"), 250);
  EXPECT_EQ(*parse_duration_ms("90"), 90'000);
  EXPECT_EQ(*parse_duration_ms("0.5"), 500);
  EXPECT_FALSE(parse_duration_ms("5x").ok());
  EXPECT_FALSE(parse_duration_ms("").ok());
  EXPECT_FALSE(parse_duration_ms("h").ok());
  EXPECT_NE(parse_duration_ms("5x").status().message().find("unknown unit"), std::string::npos);
}

TEST(FormatDuration, RoundTrip) {
  EXPECT_EQ(format_duration_ms(5'400'000), "1h30m");
  EXPECT_EQ(format_duration_ms(0), "0s");
  EXPECT_EQ(*parse_duration_ms(format_duration_ms(123'456'789)), 123'456'789);
}

TEST(ParseTime, Rfc3339AndUnix) {
  EXPECT_EQ(*parse_time_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*parse_time_ms("2024-01-02T03:04:05.123Z"), 1704164645123);
  EXPECT_EQ(*parse_time_ms("2024-01-02T04:04:05.123+01:00"), 1704164645123);
  EXPECT_EQ(*parse_time_ms("1704164645.123"), 1704164645123);
  EXPECT_EQ(*parse_time_ms("1704164645"), 1704164645000);
  EXPECT_FALSE(parse_time_ms("2024-13-02T03:04:05Z").ok());
  EXPECT_FALSE(parse_time_ms("yesterday").ok());
  EXPECT_FALSE(parse_time_ms("2024-01-02T03:04:05").ok());  // no zone
}

TEST(ParseTime, Flexible) {
  EXPECT_EQ(*parse_time_flexible_ms("now", 1000), 1000);
  EXPECT_EQ(*parse_time_flexible_ms("now-1s", 5000), 4000);
  EXPECT_EQ(*parse_time_flexible_ms("1704164645123", 0), 1704164645123);
  EXPECT_EQ(*parse_time_flexible_ms("1704164645", 0), 1704164645000);
}

TEST(FormatTime, Rfc3339) {
  EXPECT_EQ(format_rfc3339_ms(1704164645123), "2024-01-02T03:04:05.123Z");
  EXPECT_EQ(*parse_time_ms(format_rfc3339_ms(-1)), -1);
}

}  // namespace
}  // namespace opsight
