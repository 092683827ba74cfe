// Logs Insights script tests: every file in insights_scripts/ holds data blocks and cases.
//
//   # comment
//   data
//   2024-01-02T03:00:00.000Z web-1 {"level":"INFO"}      timestamp (RFC 3339 or ms), stream,
//   end                                                    message (JSON is flattened to fields)
//
//   query fields @timestamp | limit 2                     one line, or `query` and then lines
//   expect [unordered] [matched=N]                         then the header and rows, `|` between
//   @timestamp                                             cells; <null> is no value, "..." keeps
//   2024-01-02 03:07:00.000                                spaces, <any> matches any value
//                                                          (a blank line ends the case)
//   query filter |
//   error unexpected '|'                                   the error message contains the text
//
// Expected rows are worked out by hand from CloudWatch's documented semantics.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/time_util.h"
#include "insights_test_util.h"

namespace opsight::query::insights {
namespace {

using testing::TestEvent;

std::string trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// Cells separated by '|' ("\|" is a literal bar).
std::vector<std::string> split_cells(const std::string& line) {
  std::vector<std::string> cells;
  std::string cur;
  for (size_t i = 0; i < line.size(); i++) {
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
      cur += '|';
      i++;
    } else if (line[i] == '|') {
      cells.push_back(trim(cur));
      cur.clear();
    } else {
      cur += line[i];
    }
  }
  cells.push_back(trim(cur));
  for (auto& c : cells) {
    if (c.size() >= 2 && c.front() == '"' && c.back() == '"') c = c.substr(1, c.size() - 2);
  }
  return cells;
}

std::string show(const std::optional<std::string>& v) {
  return v ? *v : "<null>";
}

struct Case {
  std::string file;
  int line = 0;
  std::string query;
  bool expect_error = false;
  std::string error;
  bool unordered = false;
  std::optional<uint64_t> matched;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<TestEvent> data;
};

std::vector<Case> load(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::vector<Case> cases;
  std::vector<TestEvent> data;
  size_t i = 0;
  auto fail = [&](const std::string& why) {
    ADD_FAILURE() << path.filename() << ":" << i + 1 << ": " << why;
  };
  while (i < lines.size()) {
    std::string l = lines[i];
    std::string t = trim(l);
    if (t.empty() || t[0] == '#') {
      i++;
      continue;
    }
    if (t == "data") {
      data.clear();
      for (i++; i < lines.size() && trim(lines[i]) != "end"; i++) {
        std::string d = trim(lines[i]);
        if (d.empty() || d[0] == '#') continue;
        size_t s1 = d.find(' ');
        size_t s2 = d.find(' ', s1 + 1);
        if (s1 == std::string::npos || s2 == std::string::npos) {
          fail("data line needs: timestamp stream message");
          continue;
        }
        std::string ts = d.substr(0, s1);
        int64_t ms = 0;
        if (ts.find('T') != std::string::npos) {
          auto r = parse_time_ms(ts);
          if (!r.ok()) {
            fail("bad timestamp " + ts);
            continue;
          }
          ms = *r;
        } else {
          ms = std::stoll(ts);
        }
        data.push_back(testing::make_event(ms, d.substr(s1 + 1, s2 - s1 - 1), d.substr(s2 + 1)));
      }
      i++;  // end
      continue;
    }
    if (t.rfind("query", 0) == 0) {
      Case c;
      c.file = path.filename().string();
      c.line = static_cast<int>(i + 1);
      c.data = data;
      if (t.size() > 5) {
        c.query = trim(t.substr(5));
        i++;
      } else {
        for (i++; i < lines.size(); i++) {
          std::string q = trim(lines[i]);
          if (q.rfind("expect", 0) == 0 || q.rfind("error", 0) == 0) break;
          c.query += lines[i] + "\n";
        }
      }
      if (i >= lines.size()) {
        fail("query without expect/error");
        break;
      }
      std::string e = trim(lines[i]);
      if (e.rfind("error", 0) == 0) {
        c.expect_error = true;
        c.error = trim(e.substr(5));
        i++;
      } else if (e.rfind("expect", 0) == 0) {
        std::istringstream opts(e.substr(6));
        for (std::string o; opts >> o;) {
          if (o == "unordered") c.unordered = true;
          if (o.rfind("matched=", 0) == 0) c.matched = std::stoull(o.substr(8));
        }
        i++;
        if (i < lines.size() && !trim(lines[i]).empty()) c.header = split_cells(lines[i++]);
        for (; i < lines.size() && !trim(lines[i]).empty(); i++) {
          c.rows.push_back(split_cells(lines[i]));
        }
      } else {
        fail("expected 'expect' or 'error'");
        i++;
        continue;
      }
      cases.push_back(std::move(c));
      continue;
    }
    fail("unexpected line: " + t);
    i++;
  }
  return cases;
}

void run_case(const Case& c) {
  SCOPED_TRACE(c.file + ":" + std::to_string(c.line) + ": " + c.query);
  auto q = parse_query(c.query);
  Result<ResultTable> r = q.ok() ? testing::run_query(*q, c.data) : Result<ResultTable>(q.status());
  if (c.expect_error) {
    ASSERT_FALSE(r.ok()) << "expected an error containing: " << c.error;
    EXPECT_NE(r.status().message().find(c.error), std::string::npos) << r.status().message();
    return;
  }
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->columns, c.header);
  std::vector<std::vector<std::string>> got;
  for (const auto& row : r->rows) {
    std::vector<std::string> cells;
    for (const auto& v : row) cells.push_back(show(v));
    got.push_back(std::move(cells));
  }
  auto want = c.rows;
  // <any> matches whatever is there.
  for (size_t i = 0; i < want.size() && i < got.size(); i++) {
    for (size_t k = 0; k < want[i].size() && k < got[i].size(); k++) {
      if (want[i][k] == "<any>") got[i][k] = "<any>";
    }
  }
  if (c.unordered) {
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
  }
  EXPECT_EQ(got, want);
  if (c.matched) {
    EXPECT_EQ(r->records_matched, *c.matched);
  }
}

TEST(InsightsScripts, AllFiles) {
  std::filesystem::path dir = std::filesystem::path(__FILE__).parent_path() / "insights_scripts";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  size_t total = 0;
  for (const auto& f : files) {
    auto cases = load(f);
    EXPECT_FALSE(cases.empty()) << f;
    for (const auto& c : cases) run_case(c);
    total += cases.size();
  }
  EXPECT_GE(total, 60u);
}

}  // namespace
}  // namespace opsight::query::insights
