#include "node_exporter_gen.h"

#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "wire/compression.h"

namespace opsight::bench {
namespace {

constexpr int64_t kEnd = 1'700'000'000'000;

NodeExporterConfig small_config() {
  NodeExporterConfig c;
  c.num_series = 250;
  c.end_ms = kEnd;
  c.duration_ms = 30 * 60'000;
  c.seed = 7;
  return c;
}

std::vector<std::vector<GenSample>> all_steps(NodeExporterWorkload& w) {
  std::vector<std::vector<GenSample>> steps;
  std::vector<GenSample> s;
  while (w.next_step(&s)) {
    steps.push_back(s);
    s.clear();
  }
  return steps;
}

TEST(NodeExporterWorkload, RejectsBadConfig) {
  NodeExporterConfig c = small_config();
  c.num_series = 0;
  EXPECT_EQ(NodeExporterWorkload::create(c).status().code(), Code::kInvalidArgument);
  c = small_config();
  c.max_jitter_ms = c.interval_ms;
  EXPECT_EQ(NodeExporterWorkload::create(c).status().code(), Code::kInvalidArgument);
  c = small_config();
  c.end_ms = c.duration_ms;
  EXPECT_EQ(NodeExporterWorkload::create(c).status().code(), Code::kInvalidArgument);
}

TEST(NodeExporterWorkload, ShapeAndTimeRange) {
  auto w = NodeExporterWorkload::create(small_config());
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->num_series(), 250u);
  EXPECT_EQ(w->num_hosts(), 3u);
  EXPECT_EQ(w->num_steps(), 120u);
  std::set<Labels> unique;
  std::map<std::string, int> per_name;
  for (size_t i = 0; i < w->num_series(); ++i) {
    unique.insert(w->labels(i));
    per_name[std::string(w->labels(i).metric_name())]++;
    EXPECT_EQ(w->labels(i).get("job"), "node");
  }
  EXPECT_EQ(unique.size(), 250u);
  // The first two hosts are complete: 32 CPU series each, 3 filesystems x 2 hosts.
  EXPECT_GE(per_name["node_cpu_seconds_total"], 64);
  EXPECT_EQ(per_name["node_filesystem_size_bytes"], 6);

  const auto steps = all_steps(*w);
  ASSERT_EQ(steps.size(), 120u);
  std::vector<int64_t> last(w->num_series(), INT64_MIN);
  for (const auto& step : steps) {
    ASSERT_EQ(step.size(), 250u);
    for (const GenSample& s : step) {
      EXPECT_GE(s.t, w->start_ms());
      EXPECT_LT(s.t, kEnd);
      EXPECT_GT(s.t, last[s.series]);
      // One scrape every 15 s, give or take the jitter of both scrapes.
      if (last[s.series] != INT64_MIN) {
        EXPECT_NEAR(s.t - last[s.series], 15'000, 6);
      }
      last[s.series] = s.t;
      EXPECT_TRUE(std::isfinite(s.v));
      EXPECT_GE(s.v, 0);
    }
  }
}

TEST(NodeExporterWorkload, CountersGrowAndKeepTheirResolution) {
  auto w = NodeExporterWorkload::create(small_config());
  ASSERT_TRUE(w.ok());
  const auto steps = all_steps(*w);
  bool saw_fraction = false;
  for (size_t i = 0; i < w->num_series(); ++i) {
    const std::string name(w->labels(i).metric_name());
    if (!name.ends_with("_total")) continue;
    double prev = -1;
    for (const auto& step : steps) {
      for (const GenSample& s : step) {
        if (s.series != i) continue;
        EXPECT_GE(s.v, prev) << w->labels(i).to_string();
        prev = s.v;
        if (name == "node_cpu_seconds_total") {
          // Whole 1/100 s ticks.
          EXPECT_NEAR(s.v * 100, std::round(s.v * 100), 1e-6);
          saw_fraction |= s.v != std::floor(s.v);
        } else if (name.find("seconds") == std::string::npos) {
          EXPECT_EQ(s.v, std::floor(s.v)) << name;  // integer counters
        }
      }
    }
  }
  EXPECT_TRUE(saw_fraction);
}

TEST(NodeExporterWorkload, DeterministicForASeed) {
  auto a = NodeExporterWorkload::create(small_config());
  auto b = NodeExporterWorkload::create(small_config());
  NodeExporterConfig other = small_config();
  other.seed = 8;
  auto c = NodeExporterWorkload::create(other);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  const auto sa = all_steps(*a), sb = all_steps(*b), sc = all_steps(*c);
  ASSERT_EQ(sa.size(), sb.size());
  bool differs = false;
  for (size_t k = 0; k < sa.size(); ++k) {
    for (size_t i = 0; i < sa[k].size(); ++i) {
      EXPECT_EQ(sa[k][i].series, sb[k][i].series);
      EXPECT_EQ(sa[k][i].t, sb[k][i].t);
      EXPECT_EQ(sa[k][i].v, sb[k][i].v);
      differs |= sa[k][i].v != sc[k][i].v || sa[k][i].t != sc[k][i].t;
    }
  }
  EXPECT_TRUE(differs);
}

TEST(RemoteWrite, RoundTripsThroughSnappyAndProtobuf) {
  auto w = NodeExporterWorkload::create(small_config());
  ASSERT_TRUE(w.ok());
  std::vector<std::string> encoded;
  for (size_t i = 0; i < w->num_series(); ++i) encoded.push_back(encode_labels(w->labels(i)));
  std::vector<GenSample> step;
  ASSERT_TRUE(w->next_step(&step));
  step.push_back(GenSample{3, kEnd - 1, 0.0});  // a zero value is omitted on the wire
  step.push_back(GenSample{4, kEnd - 1, -0.0});
  const std::string body = encode_write_request(encoded, step);
  auto decompressed = wire::snappy_decompress(wire::snappy_compress(body), 1 << 24);
  ASSERT_TRUE(decompressed.ok());
  ASSERT_EQ(*decompressed, body);
  auto decoded = decode_write_request(body);
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  ASSERT_EQ(decoded->size(), step.size());
  for (size_t i = 0; i < step.size(); ++i) {
    const DecodedSeries& d = (*decoded)[i];
    EXPECT_EQ(d.labels, w->labels(step[i].series));
    ASSERT_EQ(d.samples.size(), 1u);
    EXPECT_EQ(d.samples[0].t, step[i].t);
    EXPECT_EQ(std::memcmp(&d.samples[0].v, &step[i].v, 8), 0);
  }
}

TEST(RemoteWrite, MalformedBodyIsAnError) {
  EXPECT_FALSE(decode_write_request(std::string("\x0a\x05\x0a", 3)).ok());
}

TEST(Shards, StableAndSpread) {
  auto w = NodeExporterWorkload::create(small_config());
  ASSERT_TRUE(w.ok());
  std::vector<int> count(4);
  for (size_t i = 0; i < w->num_series(); ++i) {
    const uint32_t s = shard_of(w->labels(i), 4);
    ASSERT_LT(s, 4u);
    EXPECT_EQ(s, shard_of(w->labels(i), 4));
    count[s]++;
  }
  for (int c : count) EXPECT_GT(c, 30);
}

}  // namespace
}  // namespace opsight::bench
