// Runs every tests/unit/metricmath/testdata/*.txt: data is loaded into a real tsdb, a
// GetMetricData JSON request is evaluated, and the results are compared. Format:
//
//   # comment
//   load 1m                                   samples every step from t=0 (durations: 10s, 5m)
//     Latency{Namespace="App",Host="a"} 1 2 _ 4 0+10x3   values: number, _ (gap), _xN (N gaps),
//                                             a+bxN / a-bxN (N+1 values a, a+b, ...)
//   unit Latency Milliseconds                 record a metric's unit
//   clear                                     drop all data
//   band off | band on                        ANOMALY_DETECTION_BAND model (on: value -/+ k)
//   eval {"MetricDataQueries":[...],...}      a request (JSON may continue on the next lines
//                                             until its braces balance; "$NEXT" is replaced by
//                                             the previous result's NextToken)
//     e1 "label" 0=1 60=2                     one line per result, in order: Id, Label, an
//     e1 "label" PartialData 0=1              optional status (default Complete) and t=v pairs
//                                             (t in seconds; NaN never appears in results)
//     next_token                              the response has a NextToken (else it must not)
//     message SEARCH matched                  some result's Messages contains this text
//   eval_fail {...}
//     query "e1": unknown function FOO        a substring of the error message
//
// Values compare with a relative tolerance of 1e-9.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "common/time_util.h"
#include "metricmath/metricmath_test_util.h"
#include "query/metricmath/json_codec.h"
#include "testing/script_text.h"

namespace opsight::query::metricmath::testing {
namespace {

using ::opsight::testing::split_ws;
using ::opsight::testing::trim;

bool almost_equal(double a, double b) {
  if (a == b) return true;
  return std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b));
}

bool to_double(const std::string& s, double* v) {
  char* end = nullptr;
  *v = std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size();
}

// name{a="b",...} -> Labels.
bool parse_series(const std::string& s, Labels* out) {
  std::vector<Label> l;
  size_t brace = s.find('{');
  l.push_back({"__name__", s.substr(0, brace)});
  if (brace != std::string::npos) {
    if (s.back() != '}') return false;
    std::string inner = s.substr(brace + 1, s.size() - brace - 2);
    size_t i = 0;
    while (i < inner.size()) {
      size_t eq = inner.find('=', i);
      if (eq == std::string::npos || eq + 1 >= inner.size() || inner[eq + 1] != '"') return false;
      size_t close = inner.find('"', eq + 2);
      if (close == std::string::npos) return false;
      l.push_back({trim(inner.substr(i, eq - i)), inner.substr(eq + 2, close - eq - 2)});
      i = close + 1;
      if (i < inner.size() && inner[i] == ',') i++;
    }
  }
  *out = Labels(std::move(l));
  return true;
}

bool expand(const std::vector<std::string>& toks, size_t from,
            std::vector<std::optional<double>>* out) {
  for (size_t i = from; i < toks.size(); i++) {
    const std::string& t = toks[i];
    if (t == "_") {
      out->push_back(std::nullopt);
      continue;
    }
    if (t.starts_with("_x")) {
      int n = std::atoi(t.c_str() + 2);
      for (int k = 0; k < n; k++) out->push_back(std::nullopt);
      continue;
    }
    size_t x = t.find('x');
    if (x != std::string::npos) {
      size_t op = t.find_first_of("+-", 1);
      double a, b;
      if (op == std::string::npos || op > x || !to_double(t.substr(0, op), &a) ||
          !to_double(t.substr(op + 1, x - op - 1), &b)) {
        return false;
      }
      if (t[op] == '-') b = -b;
      int n = std::atoi(t.c_str() + x + 1);
      for (int k = 0; k <= n; k++) out->push_back(a + b * k);
      continue;
    }
    double v;
    if (!to_double(t, &v)) return false;
    out->push_back(v);
  }
  return true;
}

int brace_balance(const std::string& s) {
  int depth = 0;
  bool in_str = false;
  for (size_t i = 0; i < s.size(); i++) {
    char c = s[i];
    if (in_str) {
      if (c == '\\') {
        i++;
      } else if (c == '"') {
        in_str = false;
      }
    } else if (c == '"') {
      in_str = true;
    } else if (c == '{') {
      depth++;
    } else if (c == '}') {
      depth--;
    }
  }
  return depth;
}

struct ExpectedResult {
  std::string id, label;
  StatusCode status = StatusCode::kComplete;
  std::vector<std::pair<int64_t, double>> points;
};

// `e1 "label with \"quotes\"" [PartialData|Complete] t=v ...`
bool parse_expected(const std::string& line, ExpectedResult* out) {
  size_t sp = line.find(' ');
  if (sp == std::string::npos) return false;
  out->id = line.substr(0, sp);
  size_t q = line.find('"', sp);
  if (q == std::string::npos) return false;
  size_t i = q + 1;
  while (i < line.size() && line[i] != '"') {
    if (line[i] == '\\' && i + 1 < line.size()) i++;
    out->label.push_back(line[i++]);
  }
  if (i >= line.size()) return false;
  for (const auto& tok : split_ws(line.substr(i + 1))) {
    if (tok == "PartialData") {
      out->status = StatusCode::kPartialData;
      continue;
    }
    if (tok == "Complete") continue;
    size_t eq = tok.find('=');
    double t, v;
    if (eq == std::string::npos || !to_double(tok.substr(0, eq), &t) ||
        !to_double(tok.substr(eq + 1), &v)) {
      return false;
    }
    out->points.push_back({static_cast<int64_t>(std::llround(t * 1000)), v});
  }
  return true;
}

std::string describe(const MetricDataResult& r) {
  std::string s = r.id + " \"" + r.label + "\" " + status_code_name(r.status);
  for (size_t i = 0; i < r.timestamps.size(); i++) {
    s += fmt::format(" {}={}", static_cast<double>(r.timestamps[i]) / 1000, r.values[i]);
  }
  return s;
}

void run_script(const std::string& name, const std::string& text) {
  TestStore store;
  MetricMathOptions opts;
  opts.anomaly_band = test_band();
  std::vector<std::string> lines;
  {
    std::istringstream in(text);
    std::string l;
    while (std::getline(in, l)) lines.push_back(l);
  }
  std::string last_token;
  size_t i = 0;
  auto is_indented = [&](size_t k) {
    return k < lines.size() && !lines[k].empty() && (lines[k][0] == ' ' || lines[k][0] == '\t') &&
           !trim(lines[k]).empty() && trim(lines[k])[0] != '#';
  };
  while (i < lines.size()) {
    std::string line = trim(lines[i]);
    size_t lineno = i + 1;
    i++;
    if (line.empty() || line[0] == '#') continue;
    auto where = fmt::format("{}:{}", name, lineno);
    auto words = split_ws(line);
    if (words[0] == "clear") {
      store.reset();
    } else if (words[0] == "band") {
      opts.anomaly_band = words.size() > 1 && words[1] == "off" ? AnomalyBandFn{} : test_band();
    } else if (words[0] == "unit" && words.size() == 3) {
      auto app = store.db().appender(storage::Tenant{});
      ASSERT_TRUE(app->append_metadata(words[1], {"gauge", "", words[2]}).ok()) << where;
      ASSERT_TRUE(app->commit().ok()) << where;
    } else if (words[0] == "load" && words.size() == 2) {
      auto step = parse_duration_ms(words[1]);
      ASSERT_TRUE(step.ok()) << where << ": bad step";
      while (is_indented(i)) {
        auto toks = split_ws(trim(lines[i]));
        auto at = fmt::format("{}:{}", name, i + 1);
        i++;
        Labels labels;
        ASSERT_TRUE(parse_series(toks[0], &labels)) << at << ": bad series " << toks[0];
        std::vector<std::optional<double>> vals;
        ASSERT_TRUE(expand(toks, 1, &vals)) << at << ": bad values";
        std::vector<storage::Sample> samples;
        for (size_t k = 0; k < vals.size(); k++) {
          if (vals[k])
            samples.push_back(storage::Sample::value(static_cast<int64_t>(k) * *step, *vals[k]));
        }
        auto st = store.append(labels, samples);
        ASSERT_TRUE(st.ok()) << at << ": " << st.to_string();
      }
    } else if (words[0] == "eval" || words[0] == "eval_fail") {
      bool fail = words[0] == "eval_fail";
      std::string json = trim(line.substr(words[0].size()));
      while (brace_balance(json) > 0 && i < lines.size()) json += "\n" + lines[i++];
      if (auto p = json.find("$NEXT"); p != std::string::npos) json.replace(p, 5, last_token);
      std::vector<std::string> expected;
      size_t first_expected = i + 1;
      while (is_indented(i)) expected.push_back(trim(lines[i++]));
      auto req = parse_get_metric_data_json(json, 0);
      Result<GetMetricDataResult> res =
          req.ok() ? store.run(*req, opts) : Result<GetMetricDataResult>(req.status());
      if (fail) {
        if (res.ok()) {
          ADD_FAILURE() << where << ": expected an error, got " << res->results.size()
                        << " results";
          continue;
        }
        for (const auto& e : expected) {
          EXPECT_NE(res.status().message().find(e), std::string::npos)
              << where << ": error \"" << res.status().message() << "\" lacks \"" << e << "\"";
        }
        continue;
      }
      if (!res.ok()) {
        ADD_FAILURE() << where << ": " << res.status().to_string();
        continue;
      }
      last_token = res->next_token;
      bool want_token = false;
      std::vector<ExpectedResult> want;
      std::vector<std::string> want_messages;
      for (size_t k = 0; k < expected.size(); k++) {
        const auto& e = expected[k];
        if (e == "next_token") {
          want_token = true;
        } else if (e.starts_with("message ")) {
          want_messages.push_back(e.substr(8));
        } else {
          ExpectedResult r;
          if (!parse_expected(e, &r)) {
            ADD_FAILURE() << name << ":" << first_expected + k << ": bad expectation";
            continue;
          }
          want.push_back(std::move(r));
        }
      }
      EXPECT_EQ(!res->next_token.empty(), want_token) << where << ": NextToken";
      std::string got_all;
      for (const auto& r : res->results) got_all += "\n  " + describe(r);
      if (res->results.size() != want.size()) {
        ADD_FAILURE() << where << ": " << want.size() << " results expected, got "
                      << res->results.size() << ":" << got_all;
        continue;
      }
      for (size_t k = 0; k < want.size(); k++) {
        const auto& g = res->results[k];
        const auto& w = want[k];
        bool same = g.id == w.id && g.label == w.label && g.status == w.status &&
                    g.timestamps.size() == w.points.size();
        for (size_t p = 0; same && p < w.points.size(); p++) {
          same =
              g.timestamps[p] == w.points[p].first && almost_equal(g.values[p], w.points[p].second);
        }
        EXPECT_TRUE(same) << where << ": result " << k << " differs:\n  got  " << describe(g)
                          << "\n  want line " << first_expected + k << ":" << got_all;
      }
      for (const auto& m : want_messages) {
        bool found = false;
        for (const auto& r : res->results) {
          for (const auto& msg : r.messages)
            found = found || msg.value.find(m) != std::string::npos;
        }
        EXPECT_TRUE(found) << where << ": no message contains \"" << m << "\"";
      }
    } else {
      ADD_FAILURE() << where << ": unknown command \"" << words[0] << "\"";
    }
  }
}

std::filesystem::path testdata_dir() {
  return std::filesystem::path(__FILE__).parent_path() / "testdata";
}

TEST(MetricMathScripts, All) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(testdata_dir())) {
    if (e.path().extension() == ".txt") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << "no scripts in " << testdata_dir();
  for (const auto& f : files) {
    SCOPED_TRACE(f.filename().string());
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    run_script(f.filename().string(), ss.str());
  }
}

}  // namespace
}  // namespace opsight::query::metricmath::testing
