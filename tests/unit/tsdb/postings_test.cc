#include <gtest/gtest.h>

#include <random>

#include "storage/tsdb/bitmap.h"
#include "storage/tsdb/index.h"

namespace opsight::storage::tsdb {
namespace {

Matcher M(MatchType t, std::string n, std::string v) {
  return *Matcher::make(t, n, v);
}

class MemIndexTest : public ::testing::Test {
 protected:
  uint32_t add(Labels l) {
    bool created;
    auto r = index_.get_or_create(l, &created);
    EXPECT_TRUE(r.ok());
    return *r;
  }
  std::vector<uint32_t> sel(std::vector<Matcher> ms) {
    return select_postings(index_, ms).to_vector();
  }
  MemIndex index_;
};

TEST_F(MemIndexTest, GetOrCreateIsStableAndRefsAreNeverReused) {
  uint32_t a = add(Labels{{"__name__", "a"}});
  uint32_t b = add(Labels{{"__name__", "b"}});
  EXPECT_NE(a, b);
  EXPECT_EQ(add(Labels{{"__name__", "a"}}), a);
  EXPECT_EQ(index_.find(Labels{{"__name__", "b"}}), b);
  EXPECT_EQ(index_.find(Labels{{"__name__", "c"}}), 0u);
  index_.remove(a);
  EXPECT_EQ(index_.labels(a), nullptr);
  EXPECT_EQ(index_.size(), 1u);
  uint32_t a2 = add(Labels{{"__name__", "a"}});
  EXPECT_NE(a2, a);
  EXPECT_TRUE(index_.postings().at("__name__").contains("a"));
  index_.remove(a2);
  index_.remove(b);
  EXPECT_TRUE(index_.postings().empty());
  EXPECT_TRUE(index_.all_series().empty());
}

TEST_F(MemIndexTest, MatchersFollowPrometheusSemantics) {
  uint32_t x = add(Labels{{"__name__", "m"}, {"a", "1"}, {"b", "x"}});
  uint32_t y = add(Labels{{"__name__", "m"}, {"a", "2"}});
  uint32_t z = add(Labels{{"__name__", "n"}, {"a", "10"}});
  using V = std::vector<uint32_t>;
  EXPECT_EQ(sel({M(MatchType::kEqual, "a", "1")}), (V{x}));
  EXPECT_EQ(sel({M(MatchType::kRegexMatch, "a", "1|2")}), (V{x, y}));
  EXPECT_EQ(sel({M(MatchType::kRegexMatch, "a", "1.*")}), (V{x, z}));
  EXPECT_EQ(sel({M(MatchType::kEqual, "__name__", "m"), M(MatchType::kNotEqual, "a", "1")}),
            (V{y}));
  EXPECT_EQ(sel({M(MatchType::kRegexNoMatch, "a", "1|10")}), (V{y}));
  EXPECT_EQ(sel({M(MatchType::kEqual, "b", "")}), (V{y, z}));
  EXPECT_EQ(sel({M(MatchType::kNotEqual, "b", "")}), (V{x}));
  EXPECT_EQ(sel({M(MatchType::kRegexMatch, "b", "x|")}), (V{x, y, z}));
  EXPECT_EQ(sel({M(MatchType::kEqual, "nope", "1")}), (V{}));
  EXPECT_EQ(sel({}), (V{x, y, z}));
  EXPECT_EQ(
      label_names_of(index_,
                     select_postings(index_, std::vector<Matcher>{M(MatchType::kEqual, "a", "2")})),
      (std::vector<std::string>{"__name__", "a"}));
  EXPECT_EQ(label_values_of(index_, "a", index_.all_series()),
            (std::vector<std::string>{"1", "10", "2"}));
}

TEST(BitmapTest, SerializeRoundTripAndValidate) {
  std::mt19937_64 rng(1);
  for (int shape = 0; shape < 4; shape++) {
    Bitmap b;
    if (shape == 1) {
      for (uint32_t i = 0; i < 100000; i++) b.add(i);  // runs
    } else if (shape == 2) {
      for (int i = 0; i < 20000; i++) b.add(static_cast<uint32_t>(rng() % 60000));  // bitset
    } else if (shape == 3) {
      for (int i = 0; i < 300; i++) b.add(static_cast<uint32_t>(rng()));  // sparse arrays
    }
    std::string s;
    b.serialize(&s);
    ASSERT_TRUE(Bitmap::validate_portable(s).ok())
        << shape << " " << Bitmap::validate_portable(s).to_string();
    auto back = Bitmap::deserialize(s);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->to_vector(), b.to_vector());
    // Every truncation and a flipped byte anywhere is either rejected or still well-formed.
    for (size_t cut = 0; cut < s.size(); cut += 1 + s.size() / 50) {
      EXPECT_FALSE(Bitmap::deserialize(s.substr(0, cut)).ok());
    }
    for (int i = 0; i < 200 && !s.empty(); i++) {
      std::string m = s;
      m[rng() % m.size()] ^= static_cast<char>(1 << (rng() % 8));
      auto r = Bitmap::deserialize(m);
      if (r.ok()) (void)r->cardinality();
    }
  }
}

TEST(BitmapTest, RejectsMalformedContainers) {
  // No-run cookie, one array container of cardinality 2 with values not ascending.
  std::string s;
  auto put32 = [&](uint32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); };
  auto put16 = [&](uint16_t v) { s.append(reinterpret_cast<const char*>(&v), 2); };
  put32(12346);
  put32(1);
  put16(0);
  put16(1);   // cardinality - 1
  put32(16);  // offset of the container
  put16(5);
  put16(3);
  EXPECT_EQ(Bitmap::deserialize(s).status().code(), Code::kCorruption);
  s.resize(s.size() - 4);
  put16(3);
  put16(5);
  EXPECT_TRUE(Bitmap::deserialize(s).ok());
  EXPECT_EQ(Bitmap::deserialize(s + "x").status().code(), Code::kCorruption);
}

}  // namespace
}  // namespace opsight::storage::tsdb
