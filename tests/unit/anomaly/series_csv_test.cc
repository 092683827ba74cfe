#include "anomaly/series_csv.h"

#include <gtest/gtest.h>

#include <cmath>

#include "anomaly/tail_calibrator.h"

namespace opsight::anomaly {
namespace {

TEST(SeriesCsvTest, ParsesNabFormat) {
  Result<CsvSeries> s = parse_series_csv(
      "timestamp,value\r\n2014-04-10 07:15:00,1.5\r\n2014-04-10T07:20:00.250Z, 2\n"
      "1397114700,nan\n");
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  ASSERT_EQ(s->values.size(), 3u);
  EXPECT_EQ(s->ts_ms[0], 1397114100000);
  EXPECT_EQ(s->ts_ms[1], 1397114400250);
  EXPECT_EQ(s->ts_ms[2], 1397114700000);
  EXPECT_DOUBLE_EQ(s->values[1], 2);
  EXPECT_TRUE(std::isnan(s->values[2]));
  EXPECT_EQ(s->timestamp_text[0], "2014-04-10 07:15:00");
  EXPECT_EQ(s->value_text[0], "1.5");
}

TEST(SeriesCsvTest, ErrorsNameTheLine) {
  Result<CsvSeries> s = parse_series_csv("time,val\n");
  EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
  EXPECT_NE(s.status().message().find("line 1"), std::string::npos);
  s = parse_series_csv("timestamp,value\n2014-04-10 07:15:00,1\n2014-13-10 07:15:00,1\n");
  EXPECT_NE(s.status().message().find("line 3"), std::string::npos) << s.status().message();
  s = parse_series_csv("timestamp,value\n2014-04-10 07:15:00,abc\n");
  EXPECT_NE(s.status().message().find("line 2"), std::string::npos);
  s = parse_series_csv("timestamp,value\n2014-04-10 07:15:00,1,2\n");
  EXPECT_NE(s.status().message().find("two fields"), std::string::npos);
  EXPECT_EQ(parse_series_csv("").status().code(), Code::kInvalidArgument);
}

TEST(SeriesCsvTest, ScoredOutputHasOneRowPerInput) {
  std::string in = "timestamp,value\n";
  for (int i = 0; i < 300; i++) {
    char row[64];
    std::snprintf(row, sizeof row, "2014-04-10 %02d:%02d:00,%d\n", i / 60, i % 60, i % 7);
    in += row;
  }
  Result<CsvSeries> s = parse_series_csv(in);
  ASSERT_TRUE(s.ok());
  std::string out = score_series_csv(*s);
  EXPECT_EQ(out.rfind("timestamp,value,anomaly_score\n2014-04-10 00:00:00,0,0\n", 0), 0u);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 301);
}

TEST(TailCalibratorTest, SurpriseGrowsWithRarity) {
  TailCalibrator c(1000, 10, 64);
  EXPECT_EQ(c.surprise(5), 0);  // warming up
  for (int i = 0; i < 1000; i++) c.add(static_cast<double>(i % 100));
  double typical = c.surprise(50);
  double top = c.surprise(99);
  double beyond = c.surprise(200);
  EXPECT_LT(typical, 0.5);
  EXPECT_LT(top, beyond);
  EXPECT_GT(beyond, 3);
  // Seen ten times in the history: at most -log10(10/1001).
  EXPECT_LE(top, 2.01);
}

}  // namespace
}  // namespace opsight::anomaly
