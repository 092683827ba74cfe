#include "storage/tsdb/block.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "storage/tsdb/compact.h"
#include "tsdb/db_test_util.h"

namespace opsight::storage::tsdb {
namespace {

using testing::same_samples;

struct TestSeries {
  Labels labels;
  std::vector<Sample> samples;
};

// A node-exporter-like workload: per host, counters (CPU seconds by mode, network bytes),
// gauges (memory, load), constants; 15 s scrapes with a few ms of jitter.
std::vector<TestSeries> node_exporter_like(int hosts, int64_t start, int64_t duration_ms,
                                           uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<TestSeries> out;
  const char* modes[] = {"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"};
  for (int h = 0; h < hosts; h++) {
    std::string inst = "host-" + std::to_string(h) + ":9100";
    auto add = [&](std::vector<Label> l) {
      l.push_back({"instance", inst});
      l.push_back({"job", "node"});
      out.push_back({Labels(std::move(l)), {}});
      return out.size() - 1;
    };
    std::vector<std::pair<size_t, int>> kinds;  // series, kind
    for (int cpu = 0; cpu < 4; cpu++) {
      for (const char* m : modes) {
        kinds.push_back({add({{"__name__", "node_cpu_seconds_total"},
                              {"cpu", std::to_string(cpu)},
                              {"mode", m}}),
                         0});
      }
    }
    for (const char* dev : {"eth0", "lo"}) {
      kinds.push_back(
          {add({{"__name__", "node_network_receive_bytes_total"}, {"device", dev}}), 1});
      kinds.push_back(
          {add({{"__name__", "node_network_transmit_bytes_total"}, {"device", dev}}), 1});
    }
    kinds.push_back({add({{"__name__", "node_memory_MemAvailable_bytes"}}), 2});
    kinds.push_back({add({{"__name__", "node_load1"}}), 3});
    kinds.push_back({add({{"__name__", "node_filesystem_size_bytes"}, {"mountpoint", "/"}}), 4});
    kinds.push_back({add({{"__name__", "up"}}), 5});
    std::vector<double> state(kinds.size(), 0);
    for (size_t k = 0; k < kinds.size(); k++) state[k] = static_cast<double>(rng() % 100000);
    for (int64_t t = start; t < start + duration_ms; t += 15000) {
      int64_t ts = t + static_cast<int64_t>(rng() % 5);
      for (size_t k = 0; k < kinds.size(); k++) {
        double& v = state[k];
        switch (kinds[k].second) {
          case 0:
            v = std::round((v + 15.0 * (rng() % 100) / 100.0) * 100) / 100;
            break;
          case 1:
            v += static_cast<double>(rng() % 200000);
            break;
          case 2:
            v = 8e9 + static_cast<double>((rng() % 1000) * 4096);
            break;
          case 3:
            v = static_cast<double>(rng() % 400) / 100;
            break;
          case 4:
            v = 1.0e11;
            break;
          case 5:
            v = 1;
            break;
        }
        out[kinds[k].first].samples.push_back(Sample::value(ts, v));
      }
    }
  }
  std::sort(out.begin(), out.end(),
            [](const TestSeries& a, const TestSeries& b) { return a.labels < b.labels; });
  return out;
}

class BlockTest : public ::testing::Test {
 protected:
  std::string write(const std::vector<TestSeries>& series, int level = 3, uint64_t id = 1) {
    std::string dir = dir_.path() + "/" + block_dir_name(id);
    auto w = BlockWriter::create(Env::posix(), dir, level);
    EXPECT_TRUE(w.ok());
    for (const auto& s : series) EXPECT_TRUE((*w)->add_series(s.labels, s.samples).ok());
    BlockMeta meta;
    meta.id = id;
    meta.priority = id;
    EXPECT_TRUE((*w)->finish(&meta).ok());
    return dir;
  }
  testing::TempDir dir_;
  PageCache cache_{1 << 20};
};

TEST_F(BlockTest, RoundTrip) {
  auto series = node_exporter_like(3, 1'700'000'000'000, 2 * kHourMs, 1);
  std::string dir = write(series);
  auto b = Block::open(Env::posix(), dir, &cache_);
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  const BlockReader& r = (*b)->reader();
  ASSERT_EQ(r.num_series(), series.size());
  EXPECT_EQ((*b)->meta().num_series, series.size());
  for (uint32_t i = 0; i < r.num_series(); i++) {
    EXPECT_EQ(r.series_labels(i), series[i].labels);
    std::vector<Sample> got;
    ASSERT_TRUE(r.series_samples(i, INT64_MIN, INT64_MAX, &got).ok());
    EXPECT_TRUE(same_samples(got, series[i].samples)) << i;
    got.clear();
    ASSERT_TRUE(r.series_samples(i, series[i].samples[10].t, series[i].samples[20].t, &got).ok());
    EXPECT_EQ(got.size(), 11u);
  }
  // Postings.
  std::vector<Matcher> ms{*Matcher::make(MatchType::kEqual, "mode", "idle"),
                          *Matcher::make(MatchType::kEqual, "instance", "host-1:9100")};
  EXPECT_EQ(select_postings(r, ms).cardinality(), 4u);
  EXPECT_GT(cache_.bytes(), 0u);
}

TEST_F(BlockTest, AnyFlippedByteIsDetected) {
  auto series = node_exporter_like(1, 1'700'000'000'000, kHourMs / 4, 2);
  std::string dir = write(series);
  std::string data_path = dir + "/data";
  std::string orig;
  {
    std::ifstream f(data_path, std::ios::binary);
    orig.assign(std::istreambuf_iterator<char>(f), {});
  }
  std::mt19937_64 rng(5);
  for (int i = 0; i < 60; i++) {
    std::string m = orig;
    size_t pos = rng() % m.size();
    m[pos] ^= static_cast<char>(1 << (rng() % 8));
    {
      std::ofstream f(data_path, std::ios::binary | std::ios::trunc);
      f << m;
    }
    auto b = Block::open(Env::posix(), dir, nullptr);
    if (!b.ok()) {
      EXPECT_EQ(b.status().code(), Code::kCorruption) << pos;
      continue;
    }
    // Damage in a page is found when the page is read.
    bool found = false;
    for (uint32_t s = 0; s < (*b)->reader().num_series(); s++) {
      std::vector<Sample> got;
      Status st = (*b)->reader().series_samples(s, INT64_MIN, INT64_MAX, &got);
      if (!st.ok()) {
        EXPECT_EQ(st.code(), Code::kCorruption);
        found = true;
      }
    }
    EXPECT_TRUE(found) << "flip at " << pos << " went unnoticed";
  }
}

TEST_F(BlockTest, WriterRefusesBadInput) {
  auto w = BlockWriter::create(Env::posix(), dir_.path() + "/x", 1);
  ASSERT_TRUE(w.ok());
  std::vector<Sample> one{Sample::value(1, 1)};
  ASSERT_TRUE((*w)->add_series(Labels{{"__name__", "b"}}, one).ok());
  EXPECT_EQ((*w)->add_series(Labels{{"__name__", "a"}}, one).code(), Code::kInvalidArgument);
  EXPECT_EQ((*w)->add_series(Labels{{"__name__", "c"}}, {}).code(), Code::kInvalidArgument);
  std::vector<Sample> unordered{Sample::value(2, 1), Sample::value(1, 1)};
  EXPECT_EQ((*w)->add_series(Labels{{"__name__", "d"}}, unordered).code(), Code::kInvalidArgument);
}

TEST_F(BlockTest, MetaJsonRoundTrip) {
  BlockMeta m;
  m.id = 0x2a;
  m.min_time = -5;
  m.max_time = 1'700'000'000'000;
  m.level = 2;
  m.priority = 41;
  m.num_series = 3;
  m.num_samples = 99;
  m.data_bytes = 1234;
  m.sources = {1, 2, 0xff};
  auto back = BlockMeta::parse(m.to_json());
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->id, m.id);
  EXPECT_EQ(back->min_time, m.min_time);
  EXPECT_EQ(back->max_time, m.max_time);
  EXPECT_EQ(back->level, 2);
  EXPECT_EQ(back->priority, 41u);
  EXPECT_EQ(back->sources, m.sources);
  EXPECT_EQ(BlockMeta::parse("{}").status().code(), Code::kCorruption);
  EXPECT_EQ(BlockMeta::parse("nope").status().code(), Code::kCorruption);
}

// Bytes per sample of a realistic workload at the flush and compaction zstd levels (printed;
// the bound only catches a gross regression).
TEST_F(BlockTest, CompressionOfNodeExporterLikeData) {
  const int64_t start = 1'700'006'400'000;
  for (int64_t hours : {2, 12}) {
    auto series = node_exporter_like(10, start, hours * kHourMs, 9);
    uint64_t samples = 0;
    for (const auto& s : series) samples += s.samples.size();
    for (int level : {3, 9}) {
      std::string dir = write(series, level, static_cast<uint64_t>(hours * 100 + level));
      auto size = std::filesystem::file_size(dir + "/data");
      double bps = static_cast<double>(size) / static_cast<double>(samples);
      std::printf(
          "node-exporter-like %2lldh block, %zu series, %llu samples, zstd %2d: %.3f "
          "bytes/sample\n",
          static_cast<long long>(hours), series.size(), static_cast<unsigned long long>(samples),
          level, bps);
      EXPECT_LT(bps, 4.0);
    }
  }
}

TEST(CompactionPlanTest, FoldsOverlapsThenLevelsUp) {
  CompactionOptions o;  // 2h blocks, 15d retention -> levels 0 (2h) and 1 (12h)
  EXPECT_EQ(max_level(o), 1);
  auto meta = [](uint64_t id, int64_t mint, int64_t maxt, int level) {
    BlockMeta m;
    m.id = id;
    m.min_time = mint;
    m.max_time = maxt;
    m.level = level;
    m.priority = id;
    return m;
  };
  const int64_t h = kHourMs;
  // Two blocks of the partition [2h, 4h) overlap.
  std::vector<BlockMeta> blocks{meta(1, 0, h, 0), meta(2, 2 * h, 3 * h, 0),
                                meta(3, 3 * h + 5, 4 * h - 1, 0)};
  auto p = plan_compaction(blocks, o, 100 * h);
  EXPECT_EQ(p.sources, (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(p.level, 0);
  // No overlap: complete 12h windows level up; an incomplete one waits.
  blocks = {meta(1, 0, h, 0), meta(2, 2 * h, 3 * h, 0), meta(4, 12 * h, 13 * h, 0),
            meta(5, 14 * h, 15 * h, 0)};
  p = plan_compaction(blocks, o, 25 * h);
  EXPECT_EQ(p.sources, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(p.level, 1);
  p = plan_compaction({meta(4, 12 * h, 13 * h, 0), meta(5, 14 * h, 15 * h, 0)}, o, 25 * h);
  EXPECT_TRUE(p.sources.empty());
  p = plan_compaction({meta(4, 12 * h, 13 * h, 0), meta(5, 14 * h, 15 * h, 0)}, o, 26 * h);
  EXPECT_EQ(p.sources.size(), 2u);
  // A late block inside a 12h block's window folds into it.
  p = plan_compaction({meta(6, 0, 5 * h, 1), meta(7, 10 * h, 11 * h, 0)}, o, 100 * h);
  EXPECT_EQ(p.sources, (std::vector<uint64_t>{6, 7}));
  EXPECT_EQ(p.level, 1);
  // Retention.
  EXPECT_EQ(plan_retention({meta(1, 0, h, 0), meta(2, 2 * h, 3 * h, 0)}, o, 15 * 24 * h + 2 * h),
            (std::vector<uint64_t>{1}));
}

}  // namespace
}  // namespace opsight::storage::tsdb
