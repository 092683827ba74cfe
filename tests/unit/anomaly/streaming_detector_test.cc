#include "anomaly/streaming_detector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "anomaly/series_csv.h"
#include "anomaly/synthetic.h"

namespace opsight::anomaly {
namespace {

using testing::make_series;
using testing::Series;

std::vector<double> run(const Series& s, size_t n) {
  StreamingDetector d;
  std::vector<double> out;
  for (size_t i = 0; i < n; i++) out.push_back(d.score(s.ts[i], s.vs[i]));
  return out;
}

std::string read_testdata(const std::string& name) {
  std::string dir = __FILE__;
  dir = dir.substr(0, dir.rfind('/'));
  std::ifstream f(dir + "/testdata/nab/" + name, std::ios::binary);
  std::stringstream buf;
  buf << f.rdbuf();
  return buf.str();
}

// Six days of a noisy daily sine at 5 minutes.
Series daily() {
  return make_series(6 * kDayMs, 5 * kMinuteMs, 50, 10, 2.0);
}

TEST(StreamingDetectorTest, ScoresInUnitIntervalAndCausal) {
  Series s = daily();
  s.vs[1200] += 40;
  std::vector<double> full = run(s, s.vs.size());
  for (double x : full) {
    ASSERT_GE(x, 0);
    ASSERT_LE(x, 1);
  }
  // Removing later rows does not change earlier scores (bit for bit).
  for (size_t cut : {150u, 700u, 1200u, 1500u}) {
    std::vector<double> prefix = run(s, cut);
    for (size_t i = 0; i < cut; i++) ASSERT_EQ(prefix[i], full[i]) << "cut " << cut << " row " << i;
  }
  // Changing a later row does not change earlier scores either.
  Series t = s;
  t.vs[1400] = -1000;
  std::vector<double> other = run(t, t.vs.size());
  for (size_t i = 0; i < 1400; i++) ASSERT_EQ(other[i], full[i]) << i;
}

TEST(StreamingDetectorTest, WarmupScoresZero) {
  DetectorOptions o;
  StreamingDetector d(o);
  Series s = daily();
  for (size_t i = 0; i < o.warmup_points; i++) EXPECT_EQ(d.score(s.ts[i], s.vs[i]), 0) << i;
  EXPECT_EQ(d.score(s.ts[o.warmup_points], NAN), 0);  // missing values score 0
}

// The largest score in [from, to) of a run over s.
double max_in(const std::vector<double>& v, size_t from, size_t to) {
  return *std::max_element(v.begin() + static_cast<std::ptrdiff_t>(from),
                           v.begin() + static_cast<std::ptrdiff_t>(to));
}

TEST(StreamingDetectorTest, DetectsASpike) {
  Series s = daily();
  const size_t at = 1300;
  s.vs[at] += 30;  // 15 noise amplitudes
  std::vector<double> v = run(s, s.vs.size());
  // The spike outscores every normal point after the calibration period.
  EXPECT_GT(v[at], max_in(v, 700, at));
  EXPECT_GT(v[at], 0.5);
}

TEST(StreamingDetectorTest, DetectsAStep) {
  Series s = daily();
  const size_t at = 1300;
  for (size_t i = at; i < s.vs.size(); i++) s.vs[i] += 15;
  std::vector<double> v = run(s, s.vs.size());
  EXPECT_GT(max_in(v, at, at + 12), max_in(v, 700, at));
  EXPECT_GT(max_in(v, at, at + 12), 0.5);
}

TEST(StreamingDetectorTest, DetectsAMissingDailyPeak) {
  Series s = daily();
  // Day 5's peak (06:00 +- 3 h) does not happen: the values stay at the level.
  const size_t from = 5 * 288 + 36, to = 5 * 288 + 108;
  for (size_t i = from; i < to; i++) s.vs[i] = 50 + (s.vs[i] - 50) * 0.1;
  std::vector<double> v = run(s, s.vs.size());
  EXPECT_GT(max_in(v, from, to), max_in(v, 700, from));
}

TEST(StreamingDetectorTest, NabFileScoresAreCausal) {
  std::string text = read_testdata("iio_us-east-1_i-a2eb1cd9_NetworkIn.csv");
  ASSERT_FALSE(text.empty());
  Result<CsvSeries> series = parse_series_csv(text);
  ASSERT_TRUE(series.ok()) << series.status().to_string();
  ASSERT_EQ(series->values.size(), 1243u);
  std::string out = score_series_csv(*series);
  // Shape: header + one row per input row, timestamp and value echoed.
  std::vector<std::string> lines;
  std::stringstream ss(out);
  for (std::string line; std::getline(ss, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 1244u);
  EXPECT_EQ(lines[0], "timestamp,value,anomaly_score");
  EXPECT_EQ(lines[1].rfind("2013-10-09 16:25:00,9926554.0,", 0), 0u) << lines[1];
  std::vector<double> scores;
  for (size_t i = 1; i < lines.size(); i++) {
    double x = std::stod(lines[i].substr(lines[i].rfind(',') + 1));
    ASSERT_GE(x, 0);
    ASSERT_LE(x, 1);
    scores.push_back(x);
  }
  // The first 800 rows scored alone give the same output rows.
  CsvSeries prefix = *series;
  for (auto* v : {&prefix.timestamp_text, &prefix.value_text}) v->resize(800);
  prefix.ts_ms.resize(800);
  prefix.values.resize(800);
  std::string out_prefix = score_series_csv(prefix);
  EXPECT_EQ(out.substr(0, out_prefix.size()), out_prefix);
}

TEST(StreamingDetectorTest, MemoryIsBounded) {
  Series s = make_series(20 * kDayMs, kMinuteMs, 50, 10, 2.0);
  StreamingDetector d;
  size_t at_half = 0;
  for (size_t i = 0; i < s.vs.size(); i++) {
    d.score(s.ts[i], s.vs[i]);
    if (i == s.vs.size() / 2) at_half = d.memory_bytes();
  }
  // 14 days of model history at most: the footprint stops growing.
  EXPECT_LT(d.memory_bytes(), 2 * at_half);
  EXPECT_LT(d.memory_bytes(), 4u << 20);
}

}  // namespace
}  // namespace opsight::anomaly
