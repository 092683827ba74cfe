#include "common/labels.h"

#include <gtest/gtest.h>

#include "common/hash.h"

namespace opsight {
namespace {

TEST(Labels, SortsDedupsAndDropsEmpty) {
  Labels l({{"b", "2"}, {"__name__", "m"}, {"a", "1"}, {"b", "3"}, {"c", ""}});
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].name, "__name__");
  EXPECT_EQ(l.get("b"), "3");
  EXPECT_EQ(l.get("c"), "");
  EXPECT_FALSE(l.has("c"));
  EXPECT_EQ(l.to_string(), "m{a=\"1\", b=\"3\"}");
}

TEST(Labels, HashIsStableAndDistinguishesBoundaries) {
  Labels a{{"ab", "c"}};
  Labels b{{"a", "bc"}};
  EXPECT_NE(a.hash(), b.hash());
  EXPECT_EQ(a.hash(), Labels({{"ab", "c"}}).hash());
}

TEST(Labels, WithoutReserved) {
  Labels l{{"__name__", "m"}, {"__account__", "1"}, {"x", "y"}};
  EXPECT_EQ(l.without_reserved(), (Labels{{"__name__", "m"}, {"x", "y"}}));
}

TEST(LabelsBuilder, SetAndDelete) {
  Labels base{{"a", "1"}, {"b", "2"}};
  Labels l = LabelsBuilder(base).set("c", "3").del("a").build();
  EXPECT_EQ(l, (Labels{{"b", "2"}, {"c", "3"}}));
}

TEST(XxHash64, KnownVectors) {
  // Reference values of XXH64 with seed 0.
  EXPECT_EQ(xxhash64(""), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(xxhash64("a"), 0xD24EC4F1A98C6E5BULL);
  EXPECT_EQ(xxhash64("abc"), 0x44BC2CF5AD770999ULL);
  // Streaming equals one-shot across the 32-byte stripe boundary.
  std::string s(100, 'x');
  for (size_t i = 0; i < s.size(); i++) s[i] = static_cast<char>('a' + i % 26);
  XxHash64 h;
  h.update(std::string_view(s).substr(0, 7));
  h.update(std::string_view(s).substr(7, 40));
  h.update(std::string_view(s).substr(47));
  EXPECT_EQ(h.digest(), xxhash64(s));
}

}  // namespace
}  // namespace opsight
