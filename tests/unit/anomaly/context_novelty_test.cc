#include "anomaly/context_novelty.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace opsight::anomaly {
namespace {

// A noisy periodic pattern around 50: period 12, noise sd 1.
std::vector<double> pattern(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, 1);
  std::vector<double> v;
  for (size_t i = 0; i < n; i++) v.push_back(50 + 10 * std::sin(0.5236 * i) + noise(rng));
  return v;
}

TEST(ContextNoveltyTest, FittingThenShareInUnitInterval) {
  ContextNovelty c(4, 3, 100, 1 << 16);
  std::vector<double> v = pattern(2000, 1);
  for (size_t i = 0; i < v.size(); i++) {
    double x = c.observe(v[i]);
    if (i + 1 < 100) {
      EXPECT_EQ(x, -1) << i;  // the quantiser is fitted on the first 100 values
    } else {
      EXPECT_GE(x, 0) << i;
      EXPECT_LE(x, 1) << i;
    }
  }
}

TEST(ContextNoveltyTest, ARecurringPatternStopsBeingNovel) {
  ContextNovelty c(4, 3, 100, 1 << 16);
  std::vector<double> v = pattern(6000, 2);
  double early = 0, late = 0;
  for (size_t i = 0; i < v.size(); i++) {
    double x = c.observe(v[i]);
    if (i >= 100 && i < 600) early += x;
    if (i >= 5500) late += x;
  }
  EXPECT_GT(early, 4 * late);
}

TEST(ContextNoveltyTest, ANewValueRangeIsNovelAtEveryLength) {
  ContextNovelty c(4, 3, 100, 1 << 16);
  for (double x : pattern(3000, 3)) c.observe(x);
  EXPECT_EQ(c.observe(500), 1.0);  // never seen: every context ending here is new
  EXPECT_LT(c.observe(500), 1.0);  // the second time the value itself is known
}

TEST(ContextNoveltyTest, AConstantSeriesStillGetsAScale) {
  ContextNovelty c(4, 3, 100, 1 << 16);
  for (int i = 0; i < 500; i++) c.observe(7);
  EXPECT_EQ(c.observe(7), 0);
  EXPECT_EQ(c.observe(8), 1.0);
}

TEST(ContextNoveltyTest, MemoryIsCapped) {
  ContextNovelty c(4, 3, 100, 1024);
  std::mt19937 rng(4);
  std::uniform_real_distribution<double> u(0, 1e6);
  for (int i = 0; i < 50000; i++) c.observe(u(rng));
  EXPECT_LE(c.contexts(), 1024u);
  EXPECT_LT(c.memory_bytes(), 64u << 10);
}

}  // namespace
}  // namespace opsight::anomaly
