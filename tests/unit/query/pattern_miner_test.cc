// query/patterns: mine() on small made-up inputs with exact expected groupings, and the
// tokenizer's header rules. Loghub accuracy is the benchmark's job (bench/loghub/).
#include "query/patterns/pattern_miner.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "common/hash.h"
#include "query/patterns/line_tokenizer.h"

namespace opsight::query::patterns {
namespace {

MiningResult mine_lines(const std::vector<std::string>& lines, MinerOptions options = {}) {
  std::vector<std::string_view> views(lines.begin(), lines.end());
  return mine(views, options);
}

// Groups as lists of 0-based line indices, in order of each group's first line.
std::vector<std::vector<size_t>> groups_of(const MiningResult& r) {
  std::vector<std::vector<size_t>> out;
  std::vector<int> slot(r.patterns.size(), -1);
  for (size_t i = 0; i < r.line_pattern.size(); i++) {
    uint32_t p = r.line_pattern[i];
    if (slot[p] < 0) {
      slot[p] = static_cast<int>(out.size());
      out.emplace_back();
    }
    out[slot[p]].push_back(i);
  }
  return out;
}

const Pattern& pattern_of(const MiningResult& r, size_t line) {
  return r.patterns[r.line_pattern[line]];
}

TEST(PatternMinerTest, EmptyInput) {
  MiningResult r = mine_lines({});
  EXPECT_TRUE(r.patterns.empty());
  EXPECT_TRUE(r.line_pattern.empty());
}

TEST(PatternMinerTest, NumbersAreVariablesAndWordsAreConstant) {
  MiningResult r = mine_lines({
      "Received block blk_1 of size 100 from 10.0.0.1",
      "Deleting block blk_2 file /data/blk_2",
      "Received block blk_3 of size 2048 from 10.0.0.2",
      "Deleting block blk_4 file /data/blk_4",
      "Received block blk_-5 of size 7 from 10.0.0.3:50010",
  });
  EXPECT_EQ(groups_of(r), (std::vector<std::vector<size_t>>{{0, 2, 4}, {1, 3}}));
  EXPECT_EQ(pattern_of(r, 0).template_text, "Received block <*> of size <*> from <*>");
  EXPECT_EQ(pattern_of(r, 1).template_text, "Deleting block <*> file <*>");
  EXPECT_EQ(pattern_of(r, 0).count, 3u);
  EXPECT_EQ(pattern_of(r, 1).count, 2u);
  // Patterns by count descending.
  EXPECT_EQ(r.patterns[0].template_text, "Received block <*> of size <*> from <*>");
}

TEST(PatternMinerTest, ManyDistinctWordsInAColumnAreAVariable) {
  std::vector<std::string> lines;
  const char* users[] = {"alice", "bob", "carol", "dave", "erin", "frank"};
  for (const char* u : users) lines.push_back(std::string("Invalid user ") + u + " from 1.2.3.4");
  lines.push_back("Connection closed by 1.2.3.4");
  MiningResult r = mine_lines(lines);
  EXPECT_EQ(groups_of(r), (std::vector<std::vector<size_t>>{{0, 1, 2, 3, 4, 5}, {6}}));
  EXPECT_EQ(pattern_of(r, 0).template_text, "Invalid user <*> from <*>");
  EXPECT_EQ(pattern_of(r, 6).template_text, "Connection closed by <*>");
}

TEST(PatternMinerTest, FewDistinctWordsSplitIntoTemplates) {
  // "opened"/"closed" is one differing word between two templates of the same length.
  MiningResult r = mine_lines({
      "session opened for user root",
      "session closed for user root",
      "session opened for user root",
      "session closed for user root",
  });
  EXPECT_EQ(groups_of(r), (std::vector<std::vector<size_t>>{{0, 2}, {1, 3}}));
  EXPECT_EQ(pattern_of(r, 0).template_text, "session opened for user root");
  EXPECT_EQ(pattern_of(r, 1).template_text, "session closed for user root");
}

TEST(PatternMinerTest, WordsThatChangeTogetherAreConstants) {
  // Four states but each "from" determines the "to": separate events, not a variable.
  std::vector<std::string> lines;
  const char* transitions[][2] = {
      {"NEW", "SCHEDULED"}, {"SCHEDULED", "RUNNING"}, {"RUNNING", "SUCCEEDED"}, {"QUEUED", "NEW"}};
  for (int rep = 0; rep < 3; rep++) {
    for (auto& t : transitions) {
      lines.push_back("task_" + std::to_string(rep) + " Transitioned from " + t[0] + " to " + t[1]);
    }
  }
  MiningResult r = mine_lines(lines);
  ASSERT_EQ(r.patterns.size(), 4u);
  EXPECT_EQ(groups_of(r),
            (std::vector<std::vector<size_t>>{{0, 4, 8}, {1, 5, 9}, {2, 6, 10}, {3, 7, 11}}));
  EXPECT_EQ(pattern_of(r, 0).template_text, "<*> Transitioned from NEW to SCHEDULED");
}

TEST(PatternMinerTest, DifferentLengthsAreDifferentTemplates) {
  MiningResult r = mine_lines({"disk full", "disk full on /dev/sda1", "disk full"});
  EXPECT_EQ(groups_of(r), (std::vector<std::vector<size_t>>{{0, 2}, {1}}));
  EXPECT_EQ(pattern_of(r, 1).template_text, "disk full on <*>");
}

TEST(PatternMinerTest, RunsOfVariablesCollapse) {
  // A list of ids of any length is one variable.
  MiningResult r = mine_lines({
      "failed to resolve an14 an15 an16",
      "failed to resolve an20",
      "failed to resolve an1 an2",
  });
  EXPECT_EQ(groups_of(r), (std::vector<std::vector<size_t>>{{0, 1, 2}}));
  EXPECT_EQ(r.patterns[0].template_text, "failed to resolve <*>");
}

TEST(PatternMinerTest, HeadersDoNotSplitGroups) {
  // Same message from different threads, levels and loggers; only the message decides.
  MiningResult r = mine_lines({
      "2015-10-18 18:01:47,978 INFO [main] org.x.Client: Address change detected",
      "2015-10-18 18:01:48,100 WARN [RMCommunicator Allocator] org.x.Client: Address change "
      "detected",
      "2015-10-18 18:01:49,200 INFO [main] org.x.Server: Starting server",
      "2015-10-18 18:01:50,300 INFO [LeaseRenewer:msrabi@host-41:9000] org.x.Client: Address "
      "change detected",
  });
  EXPECT_EQ(groups_of(r), (std::vector<std::vector<size_t>>{{0, 1, 3}, {2}}));
  EXPECT_EQ(pattern_of(r, 0).template_text, "<*> Address change detected");
  EXPECT_EQ(pattern_of(r, 2).template_text, "<*> <*> INFO [main] org.x.Server: Starting server");
}

TEST(PatternMinerTest, SyslogHeaderConstantPartsStayInTheTemplate) {
  MiningResult r = mine_lines({
      "Jun 14 15:16:01 combo sshd[19939]: check pass; user unknown",
      "Jun 14 15:16:02 combo sshd[19937]: check pass; user unknown",
  });
  ASSERT_EQ(r.patterns.size(), 1u);
  EXPECT_EQ(r.patterns[0].template_text, "<*> <*> <*> combo <*> check pass; user unknown");
}

TEST(PatternMinerTest, HeaderSplittingCanBeTurnedOff) {
  MinerOptions options;
  options.split_header = false;
  MiningResult r = mine_lines({"2020-01-01 INFO a: hello", "2020-01-02 WARN a: hello"}, options);
  EXPECT_EQ(r.patterns.size(), 2u);
  r = mine_lines({"2020-01-01 INFO a: hello", "2020-01-02 WARN a: hello"});
  EXPECT_EQ(r.patterns.size(), 1u);
}

TEST(PatternMinerTest, IdsAreStableHashesOfTheTemplate) {
  MiningResult a = mine_lines({"user 1 logged in", "user 2 logged in"});
  MiningResult b = mine_lines({"something else", "user 99 logged in"});
  ASSERT_EQ(a.patterns.size(), 1u);
  EXPECT_EQ(a.patterns[0].id, xxhash64("user <*> logged in"));
  EXPECT_EQ(pattern_of(b, 1).id, a.patterns[0].id);
}

TEST(PatternMinerTest, SamplesAreTheFirstLinesUpToTheLimit) {
  MinerOptions options;
  options.max_samples = 2;
  MiningResult r = mine_lines({"job 1 done", "job 2 done", "job 3 done"}, options);
  ASSERT_EQ(r.patterns.size(), 1u);
  EXPECT_EQ(r.patterns[0].samples, (std::vector<std::string>{"job 1 done", "job 2 done"}));
  options.max_samples = 0;
  r = mine_lines({"job 1 done"}, options);
  EXPECT_TRUE(r.patterns[0].samples.empty());
}

TEST(PatternMinerTest, TiesInCountAreOrderedByTemplateText) {
  MiningResult r = mine_lines({"zeta", "alpha", "mid"});
  ASSERT_EQ(r.patterns.size(), 3u);
  EXPECT_EQ(r.patterns[0].template_text, "alpha");
  EXPECT_EQ(r.patterns[1].template_text, "mid");
  EXPECT_EQ(r.patterns[2].template_text, "zeta");
}

TEST(PatternMinerTest, DeterministicAndConsistentOnRandomInput) {
  std::mt19937 rng(42);
  const char* words[] = {"alpha", "beta", "gamma", "delta", "error", "ok", "-", "[x]", "a:"};
  std::vector<std::string> lines;
  for (int i = 0; i < 2000; i++) {
    std::string line;
    int n = static_cast<int>(rng() % 12);
    for (int k = 0; k < n; k++) {
      if (k) line += ' ';
      if (rng() % 4 == 0) {
        line += std::to_string(rng() % 1000);
      } else {
        line += words[rng() % 9];
      }
    }
    lines.push_back(line);
  }
  MiningResult a = mine_lines(lines);
  MiningResult b = mine_lines(lines);
  ASSERT_EQ(a.line_pattern, b.line_pattern);
  ASSERT_EQ(a.patterns.size(), b.patterns.size());
  uint64_t total = 0;
  for (size_t k = 0; k < a.patterns.size(); k++) {
    EXPECT_EQ(a.patterns[k].template_text, b.patterns[k].template_text);
    EXPECT_EQ(a.patterns[k].id, xxhash64(a.patterns[k].template_text));
    EXPECT_GE(a.patterns[k].count, 1u);
    if (k > 0) {
      EXPECT_GE(a.patterns[k - 1].count, a.patterns[k].count);
    }
    total += a.patterns[k].count;
  }
  EXPECT_EQ(total, lines.size());
}

TEST(LineTokenizerTest, SplitsOnBlanksAndClassifies) {
  std::vector<Token> t;
  tokenize("  a\tb12  /var/log Jun () host.example.com org.x.Y\r", &t);
  ASSERT_EQ(t.size(), 7u);
  EXPECT_EQ(t[0].text, "a");
  EXPECT_FALSE(t[0].variable);
  EXPECT_TRUE(t[1].variable);   // digit
  EXPECT_TRUE(t[2].variable);   // path
  EXPECT_TRUE(t[3].variable);   // month
  EXPECT_TRUE(t[4].variable);   // empty value
  EXPECT_TRUE(t[5].variable);   // host name
  EXPECT_FALSE(t[6].variable);  // a Java class name is a word
  EXPECT_EQ(t[6].text, "org.x.Y");
}

size_t header_of(std::string_view line) {
  std::vector<Token> t;
  tokenize(line, &t);
  return header_length(t);
}

TEST(LineTokenizerTest, HeaderShapes) {
  // syslog
  EXPECT_EQ(header_of("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown"), 5u);
  // log4j with a thread and a logger
  EXPECT_EQ(header_of("2015-10-18 18:01:47,978 INFO [main] org.x.MRAppMaster: Created app"), 5u);
  // "- LEVEL [thread] -" style
  EXPECT_EQ(header_of("2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:2181] - Notification "
                      "time out: 3200"),
            6u);
  // Apache error log (a digit token right after the header is taken too: it is a variable
  // either way)
  EXPECT_EQ(header_of("[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok"), 6u);
  EXPECT_EQ(header_of("[Sun Dec 04 04:47:44 2005] [notice] jk2_init() Found child 6725"), 7u);
  // level after a few words, no tag
  EXPECT_EQ(header_of("- 1117838570 2005.06.03 R02-M1 RAS KERNEL INFO instruction cache parity"),
            7u);
  // bare messages have no header
  EXPECT_EQ(header_of("Received block blk_1 of size 100"), 0u);
  EXPECT_EQ(header_of("error: disk full"), 0u);
  // A leading number is header-like but the words after it are not confirmed by a tag soon
  // enough: only the number is taken.
  EXPECT_EQ(header_of("3 retries failed on host a: giving up now"), 1u);
  EXPECT_EQ(header_of(""), 0u);
}

}  // namespace
}  // namespace opsight::query::patterns
