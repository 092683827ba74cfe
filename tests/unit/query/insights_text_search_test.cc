// Text search of Logs Insights (text_search.h): the SIMD substring search against
// std::string_view::find, the literal prefix of regexes, and the prefiltered regex search against
// a plain RE2 search, over random texts with a fixed seed.
#include "query/insights/text_search.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <random>
#include <string>
#include <vector>

namespace opsight::query::insights {
namespace {

std::string random_text(std::mt19937& rng, size_t n, std::string_view alphabet) {
  std::string s(n, ' ');
  for (auto& c : s) c = alphabet[rng() % alphabet.size()];
  return s;
}

TEST(InsightsTextSearch, FindsWhatStdFindFinds) {
  std::mt19937 rng(7);
  const std::string_view alphabet = "ab t_\"e";  // few letters: many partial matches
  for (int round = 0; round < 20000; round++) {
    std::string hay = random_text(rng, rng() % 90, alphabet);
    std::string needle = random_text(rng, 1 + rng() % 6, alphabet);
    if (round % 3 == 0 && !hay.empty()) {  // a needle that occurs
      size_t at = rng() % hay.size();
      needle = hay.substr(at, 1 + rng() % 8);
    }
    size_t from = hay.empty() ? 0 : rng() % (hay.size() + 1);
    ASSERT_EQ(find_text(hay, needle, from), std::string_view(hay).find(needle, from))
        << "hay=\"" << hay << "\" needle=\"" << needle << "\" from=" << from;
  }
  EXPECT_EQ(find_text("abc", "", 1), 1u);
  EXPECT_EQ(find_text("abc", "", 4), std::string_view::npos);
  EXPECT_EQ(find_text("", "a"), std::string_view::npos);
  EXPECT_TRUE(contains_text(std::string(100, 'x') + "timeout" + std::string(100, 'x'), "timeout"));
  EXPECT_FALSE(contains_text(std::string(200, 't'), "timeout"));
}

TEST(InsightsTextSearch, LiteralPrefixOfRegexes) {
  EXPECT_EQ(regex_literal_prefix("user_[0-9]+7 "), "user_");
  EXPECT_EQ(regex_literal_prefix("\" (?P<status>[0-9]{3}) "), "\" ");
  EXPECT_EQ(regex_literal_prefix("(?s)\\[(.*?)\\] (.*)"), "[");
  EXPECT_EQ(regex_literal_prefix("timeout"), "timeout");
  EXPECT_EQ(regex_literal_prefix("users?"), "user");
  EXPECT_EQ(regex_literal_prefix("ab*c"), "a");
  EXPECT_EQ(regex_literal_prefix("ab{0,2}"), "a");
  EXPECT_EQ(regex_literal_prefix("ab+"), "a");
  EXPECT_EQ(regex_literal_prefix("a\\.b\\d"), "a.b");
  EXPECT_EQ(regex_literal_prefix("error|warn"), "");
  EXPECT_EQ(regex_literal_prefix("(?i)error"), "");
  EXPECT_EQ(regex_literal_prefix("^error"), "");
  EXPECT_EQ(regex_literal_prefix(".*error"), "");
  EXPECT_EQ(regex_literal_prefix("\\berror"), "");
  EXPECT_EQ(regex_literal_prefix("caf\xc3\xa9+"), "caf");
}

TEST(InsightsTextSearch, RegexSearchIsRe2sSearch) {
  const std::vector<std::string> patterns = {
      "ab[0-9]+b ", "ab",  "a(?P<x>b+)a", "ba\\b",           "\"(?P<s>[0-9]{2}) ",
      "aab?",       "a b", "b$",          "(?s)a(.*?) (.*)",
  };
  std::mt19937 rng(11);
  for (const auto& pattern : patterns) {
    RE2 rx(pattern);
    ASSERT_TRUE(rx.ok()) << pattern;
    const std::string prefix = regex_literal_prefix(rx.pattern());
    const int nsub = rx.NumberOfCapturingGroups() + 1;
    for (int round = 0; round < 3000; round++) {
      std::string text = random_text(rng, rng() % 60, "ab 01\"");
      std::vector<re2::StringPiece> want(static_cast<size_t>(nsub)), got(want.size());
      bool w = rx.Match(text, 0, text.size(), RE2::UNANCHORED, want.data(), nsub);
      bool g = regex_search(rx, prefix, text, got.data(), nsub);
      ASSERT_EQ(g, w) << pattern << " on \"" << text << "\"";
      if (!w) continue;
      for (int i = 0; i < nsub; i++) {
        ASSERT_EQ(got[static_cast<size_t>(i)].data(), want[static_cast<size_t>(i)].data())
            << pattern << " group " << i << " on \"" << text << "\"";
        ASSERT_EQ(got[static_cast<size_t>(i)].size(), want[static_cast<size_t>(i)].size());
      }
      ASSERT_EQ(regex_search(rx, prefix, text, nullptr, 0), w);
    }
  }
}

}  // namespace
}  // namespace opsight::query::insights
