#include "query/promql/selector.h"

#include <gtest/gtest.h>

namespace opsight::query::promql {
namespace {

TEST(ParseSeriesSelector, MetricAndMatchers) {
  auto r =
      parse_series_selector(R"(http_requests_total{job="api", code=~"5..",path!="/x", m!~'a|b'})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ((*r)[0].to_string(), R"(__name__="http_requests_total")");
  EXPECT_EQ((*r)[2].type(), storage::MatchType::kRegexMatch);
  EXPECT_TRUE((*r)[2].matches("503"));
  EXPECT_FALSE((*r)[2].matches("5031"));  // anchored
  EXPECT_EQ((*r)[4].type(), storage::MatchType::kRegexNoMatch);
}

TEST(ParseSeriesSelector, BracesOnlyAndEscapes) {
  auto r = parse_series_selector(R"({__name__="a:b", x="q\"\n"})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ((*r)[1].value(), "q\"\n");
}

TEST(ParseSeriesSelector, Errors) {
  auto e = parse_series_selector(R"(up{job=})");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("position 8"), std::string::npos) << e.status().message();
  EXPECT_FALSE(parse_series_selector(R"({job=""})").ok());  // matches everything
  EXPECT_NE(parse_series_selector(R"({job=~""})").status().message().find("empty string"),
            std::string::npos);
  EXPECT_FALSE(parse_series_selector(R"(up{job="x")").ok());
  EXPECT_FALSE(parse_series_selector(R"(up{job=~"(")})").ok());
  EXPECT_FALSE(parse_series_selector("").ok());
  EXPECT_FALSE(parse_series_selector("up extra").ok());
}

}  // namespace
}  // namespace opsight::query::promql
