#include "storage/tsdb/wal_record.h"

#include <gtest/gtest.h>

#include <random>

namespace opsight::storage::tsdb {
namespace {

TEST(WalRecordTest, RoundTrip) {
  WalRecordBuilder b;
  Labels l{{"__name__", "m"}, {"a", "b"}};
  b.add_series(7, l);
  std::vector<Sample> s{Sample::value(-5, 1.5), Sample::value(1'700'000'000'000, stale_nan()),
                        Sample::stat_set(1'700'000'000'001, StatSet{1, 2, 3, 4}),
                        Sample::value(10, -0.0)};
  b.add_samples(7, s);
  b.add_samples(9, {});
  b.add_metadata(Tenant{"123456789012", "us-east-1"}, "m", MetricMetadata{"counter", "h", "By"});
  std::string payload = b.finish();
  WalRecord r;
  ASSERT_TRUE(decode_wal_record(payload, &r).ok());
  ASSERT_EQ(r.series.size(), 1u);
  EXPECT_EQ(r.series[0].ref, 7u);
  EXPECT_EQ(r.series[0].labels, l);
  ASSERT_EQ(r.samples.size(), 2u);
  ASSERT_EQ(r.samples[0].samples.size(), s.size());
  for (size_t i = 0; i < s.size(); i++) EXPECT_TRUE(r.samples[0].samples[i].same_as(s[i])) << i;
  EXPECT_TRUE(r.samples[1].samples.empty());
  ASSERT_EQ(r.metadata.size(), 1u);
  EXPECT_EQ(r.metadata[0].tenant.account, "123456789012");
  EXPECT_EQ(r.metadata[0].meta, (MetricMetadata{"counter", "h", "By"}));
}

TEST(WalRecordTest, ExemplarsRoundTripInTheirOptionalSection) {
  WalRecordBuilder b;
  b.add_series(1, Labels{{"__name__", "m"}});
  std::string without = b.finish();
  Labels series{{"__name__", "m"}, {"le", "1"}};
  Exemplar e{Labels{{"span_id", "ab"}, {"trace_id", "cd"}}, 0.75, -3};
  b.add_exemplar(Tenant{"123456789012", "eu-west-1"}, series, e);
  b.add_exemplar(Tenant{}, series, Exemplar{Labels{}, 1, 1'700'000'000'000});
  std::string with = b.finish();
  EXPECT_GT(with.size(), without.size());
  WalRecord r;
  ASSERT_TRUE(decode_wal_record(without, &r).ok());
  EXPECT_TRUE(r.exemplars.empty());
  ASSERT_TRUE(decode_wal_record(with, &r).ok());
  ASSERT_EQ(r.exemplars.size(), 2u);
  EXPECT_EQ(r.exemplars[0].tenant, (Tenant{"123456789012", "eu-west-1"}));
  EXPECT_EQ(r.exemplars[0].series, series);
  EXPECT_EQ(r.exemplars[0].exemplar, e);
  EXPECT_EQ(r.exemplars[1].exemplar.t, 1'700'000'000'000);
  EXPECT_TRUE(r.exemplars[1].exemplar.labels.empty());
  // Every cut inside the exemplar section is corruption.
  for (size_t cut = without.size() + 1; cut < with.size(); cut++) {
    EXPECT_EQ(decode_wal_record(with.substr(0, cut), &r).code(), Code::kCorruption) << cut;
  }
}

TEST(WalRecordTest, MalformedInputIsCorruptionNeverACrash) {
  WalRecordBuilder b;
  b.add_series(1, Labels{{"__name__", "m"}});
  b.add_samples(1, std::vector<Sample>{Sample::value(1, 2), Sample::value(3, 4)});
  std::string payload = b.finish();
  for (size_t cut = 0; cut < payload.size(); cut++) {
    WalRecord r;
    EXPECT_EQ(decode_wal_record(payload.substr(0, cut), &r).code(), Code::kCorruption) << cut;
  }
  std::mt19937_64 rng(3);
  for (int i = 0; i < 2000; i++) {
    std::string m = payload;
    m[rng() % m.size()] = static_cast<char>(rng());
    WalRecord r;
    (void)decode_wal_record(m, &r);
  }
}

}  // namespace
}  // namespace opsight::storage::tsdb
