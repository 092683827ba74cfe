// Runs every tests/unit/promql/promql_scripts/*.test (format in promql_test_util.h) against
// the engine over a real tsdb::Db.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "promql/promql_test_util.h"
#include "query/promql/lexer.h"
#include "query/promql/parser.h"
#include "query/promql/selector.h"
#include "testing/script_text.h"

namespace opsight::query::promql::testing {
namespace {

using ::opsight::testing::split_ws;
using ::opsight::testing::trim;

bool almost_equal(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  constexpr double kEpsilon = 1e-6;
  constexpr double kMinNormal = 2.2250738585072014e-308;
  double diff = std::fabs(a - b);
  if (a == 0 || b == 0 || diff < kMinNormal) return diff < kEpsilon * kMinNormal;
  return diff / (std::fabs(a) + std::fabs(b)) < kEpsilon;
}

// A time: a duration ("10m") or seconds ("600").
bool parse_time(const std::string& s, int64_t* ms) {
  if (parse_duration(s, ms)) return true;
  double v;
  if (!parse_number(s, &v)) return false;
  *ms = static_cast<int64_t>(std::llround(v * 1000));
  return true;
}

// One value token of a series description; nullopt = a gap (_), NaN with stale bits = stale.
struct Expansion {
  std::vector<std::optional<double>> values;
};

bool expand_values(const std::vector<std::string>& toks, size_t from, Expansion* out) {
  for (size_t i = from; i < toks.size(); i++) {
    const std::string& t = toks[i];
    if (t == "_") {
      out->values.push_back(std::nullopt);
      continue;
    }
    if (t == "stale") {
      out->values.push_back(storage::stale_nan());
      continue;
    }
    size_t x = t.rfind('x');
    if (x != std::string::npos && x > 0) {
      int n = std::atoi(t.substr(x + 1).c_str());
      std::string head = t.substr(0, x);
      if (head == "_") {
        for (int k = 0; k < n; k++) out->values.push_back(std::nullopt);
        continue;
      }
      size_t op = std::string::npos;
      for (size_t k = 1; k < head.size(); k++) {
        if ((head[k] == '+' || head[k] == '-') && head[k - 1] != 'e' && head[k - 1] != 'E') {
          op = k;
          break;
        }
      }
      double a, b = 0;
      if (op == std::string::npos) {
        if (!parse_number(head, &a)) return false;
      } else {
        if (!parse_number(head.substr(0, op), &a) || !parse_number(head.substr(op + 1), &b)) {
          return false;
        }
        if (head[op] == '-') b = -b;
      }
      for (int k = 0; k <= n; k++) out->values.push_back(a + b * k);
      continue;
    }
    double v;
    if (!parse_number(t, &v)) return false;
    out->values.push_back(v);
  }
  return true;
}

// "metric{a="b"} values..." -> labels and the value tokens.
bool parse_series_line(const std::string& line, Labels* labels, std::vector<std::string>* vals) {
  size_t brace = line.find('{');
  size_t ws = line.find_first_of(" \t");
  size_t end;
  if (brace != std::string::npos && (ws == std::string::npos || brace < ws)) {
    end = line.find('}', brace);
    if (end == std::string::npos) return false;
    end++;
  } else {
    end = ws == std::string::npos ? line.size() : ws;
  }
  std::string desc = line.substr(0, end);
  *vals = split_ws(line.substr(end));
  if (desc == "{}") {
    *labels = Labels();
    return true;
  }
  auto ms = parse_series_selector(desc);
  if (!ms.ok()) return false;
  std::vector<Label> ls;
  for (const auto& m : *ms) {
    if (m.type() != storage::MatchType::kEqual) return false;
    ls.push_back({m.name(), m.value()});
  }
  *labels = Labels(ls);
  return true;
}

struct Block {
  size_t line_no;  // 1-based line of the command
  std::string command;
  std::vector<std::string> body;  // indented lines
};

std::vector<Block> split_blocks(const std::string& text) {
  std::vector<Block> out;
  std::istringstream in(text);
  std::string line;
  size_t no = 0;
  while (std::getline(in, line)) {
    no++;
    std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    if (line[0] == ' ' || line[0] == '\t') {
      if (!out.empty()) out.back().body.push_back(t);
      continue;
    }
    out.push_back(Block{no, t, {}});
  }
  return out;
}

std::string format_value(const Value& v) {
  std::ostringstream o;
  if (auto* s = std::get_if<Scalar>(&v)) {
    o << "scalar " << s->v;
  } else if (auto* vec = std::get_if<Vector>(&v)) {
    for (const auto& e : *vec) o << "\n  " << e.labels.to_string() << " " << e.v;
  } else if (auto* m = std::get_if<Matrix>(&v)) {
    for (const auto& s : *m) {
      o << "\n  " << s.labels.to_string();
      for (const auto& p : s.points) o << " " << p.v << "@" << p.t;
    }
  } else if (auto* str = std::get_if<String>(&v)) {
    o << "string " << str->v;
  }
  return o.str();
}

class Runner {
 public:
  Runner(std::string name, const EngineOptions& options)
      : name_(std::move(name)), engine_(options) {}

  void run(const std::string& text) {
    for (const auto& b : split_blocks(text)) {
      SCOPED_TRACE(name_ + ":" + std::to_string(b.line_no) + ": " + b.command);
      auto words = split_ws(b.command);
      if (words[0] == "load") {
        load(b, words);
      } else if (words[0] == "clear") {
        store_.reset();
      } else if (words[0] == "eval" || words[0] == "eval_ordered" || words[0] == "eval_fail") {
        eval(b, words);
      } else {
        ADD_FAILURE() << "unknown command";
      }
    }
  }

 private:
  void load(const Block& b, const std::vector<std::string>& words) {
    int64_t interval;
    ASSERT_TRUE(words.size() == 2 && parse_time(words[1], &interval)) << "bad load interval";
    for (const auto& line : b.body) {
      Labels labels;
      std::vector<std::string> toks;
      ASSERT_TRUE(parse_series_line(line, &labels, &toks)) << "bad series line: " << line;
      Expansion e;
      ASSERT_TRUE(expand_values(toks, 0, &e)) << "bad values: " << line;
      std::vector<storage::Sample> samples;
      for (size_t i = 0; i < e.values.size(); i++) {
        if (e.values[i]) {
          samples.push_back(
              storage::Sample::value(static_cast<int64_t>(i) * interval, *e.values[i]));
        }
      }
      Status st = store_.append(labels, samples);
      ASSERT_TRUE(st.ok()) << st.to_string();
    }
  }

  void eval(const Block& b, const std::vector<std::string>& words) {
    // eval instant at <t> <expr> | eval range from <t> to <t> step <d> <expr>
    bool ordered = words[0] == "eval_ordered";
    bool fail = words[0] == "eval_fail";
    std::string rest = b.command.substr(words[0].size());
    std::istringstream in(rest);
    std::string kind;
    in >> kind;
    int64_t t = 0, start = 0, end = 0, step = 0;
    std::string w1, w2, w3, w4, w5, w6;
    if (kind == "instant") {
      in >> w1 >> w2;
      ASSERT_TRUE(w1 == "at" && parse_time(w2, &t)) << "bad eval instant";
    } else if (kind == "range") {
      in >> w1 >> w2 >> w3 >> w4 >> w5 >> w6;
      ASSERT_TRUE(w1 == "from" && parse_time(w2, &start) && w3 == "to" && parse_time(w4, &end) &&
                  w5 == "step" && parse_time(w6, &step))
          << "bad eval range";
    } else {
      FAIL() << "eval needs instant or range";
    }
    std::string query;
    std::getline(in, query);
    query = trim(query);
    Result<Value> result = Status::internal("not run");
    auto expr = parse_expr(query);
    if (expr.ok()) {
      result = kind == "instant" ? engine_.instant(store_.db(), {}, *expr, t)
                                 : engine_.range(store_.db(), {}, *expr, start, end, step);
    } else {
      result = expr.status();
    }
    if (fail) {
      ASSERT_FALSE(result.ok()) << "expected an error, got" << format_value(*result);
      for (const auto& line : b.body) {
        const std::string kMsg = "expected_fail_message ";
        if (line.rfind(kMsg, 0) == 0) {
          std::string want = line.substr(kMsg.size());
          EXPECT_NE(result.status().message().find(want), std::string::npos)
              << result.status().message();
        }
      }
      return;
    }
    ASSERT_TRUE(result.ok()) << result.status().to_string();
    if (auto* s = std::get_if<Scalar>(&*result)) {
      ASSERT_EQ(b.body.size(), 1u) << "scalar result " << s->v;
      double want;
      ASSERT_TRUE(parse_number(b.body[0], &want)) << "expected a scalar line";
      EXPECT_TRUE(almost_equal(s->v, want)) << "scalar: got " << s->v << " want " << want;
      return;
    }
    if (auto* str = std::get_if<String>(&*result)) {
      ASSERT_EQ(b.body.size(), 1u);
      EXPECT_EQ("\"" + str->v + "\"", b.body[0]);
      return;
    }
    // Expected series.
    struct Want {
      Labels labels;
      std::vector<std::optional<double>> values;
    };
    std::vector<Want> wants;
    for (const auto& line : b.body) {
      Want w;
      std::vector<std::string> toks;
      ASSERT_TRUE(parse_series_line(line, &w.labels, &toks)) << "bad expected line: " << line;
      Expansion e;
      ASSERT_TRUE(expand_values(toks, 0, &e)) << "bad expected values: " << line;
      w.values = e.values;
      wants.push_back(std::move(w));
    }
    if (auto* vec = std::get_if<Vector>(&*result)) {
      ASSERT_EQ(vec->size(), wants.size()) << "got" << format_value(*result);
      for (size_t i = 0; i < wants.size(); i++) {
        ASSERT_EQ(wants[i].values.size(), 1u);
        size_t j = 0;
        if (ordered) {
          j = i;
          EXPECT_EQ((*vec)[j].labels, wants[i].labels) << "order; got" << format_value(*result);
        } else {
          while (j < vec->size() && !((*vec)[j].labels == wants[i].labels)) j++;
          ASSERT_LT(j, vec->size())
              << "missing " << wants[i].labels.to_string() << "; got" << format_value(*result);
        }
        EXPECT_TRUE(almost_equal((*vec)[j].v, *wants[i].values[0]))
            << wants[i].labels.to_string() << ": got " << (*vec)[j].v << " want "
            << *wants[i].values[0];
      }
      return;
    }
    const auto& m = std::get<Matrix>(*result);
    ASSERT_EQ(m.size(), wants.size()) << "got" << format_value(*result);
    for (const auto& w : wants) {
      auto it = std::find_if(m.begin(), m.end(),
                             [&](const SeriesPoints& s) { return s.labels == w.labels; });
      ASSERT_NE(it, m.end()) << "missing " << w.labels.to_string() << "; got"
                             << format_value(*result);
      std::vector<std::optional<double>> got;
      if (kind == "range") {
        got.assign(static_cast<size_t>((end - start) / step) + 1, std::nullopt);
        for (const auto& p : it->points) got[static_cast<size_t>((p.t - start) / step)] = p.v;
      } else {
        for (const auto& p : it->points) got.push_back(p.v);
      }
      bool same = got.size() == w.values.size();
      for (size_t i = 0; same && i < got.size(); i++) {
        same = got[i].has_value() == w.values[i].has_value() &&
               (!got[i] || almost_equal(*got[i], *w.values[i]));
      }
      EXPECT_TRUE(same) << w.labels.to_string() << ": got" << format_value(*result);
    }
  }

  std::string name_;
  Engine engine_;
  TestStore store_;
};

std::filesystem::path scripts_dir() {
  return std::filesystem::path(__FILE__).parent_path() / "promql_scripts";
}

std::vector<std::string> script_names() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(scripts_dir())) {
    if (e.path().extension() == ".test") out.push_back(e.path().stem().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class PromqlScript : public ::testing::TestWithParam<std::string> {};

TEST_P(PromqlScript, Passes) {
  std::ifstream f(scripts_dir() / (GetParam() + ".test"));
  ASSERT_TRUE(f.good());
  std::stringstream buf;
  buf << f.rdbuf();
  run_script(GetParam() + ".test", buf.str());
}

// Every query of the scripts prints (Node::to_string) to text that parses to the same tree.
TEST(PromqlScriptQueries, PrintedFormParsesBack) {
  size_t n = 0;
  for (const auto& name : script_names()) {
    std::ifstream f(scripts_dir() / (name + ".test"));
    std::stringstream buf;
    buf << f.rdbuf();
    for (const auto& b : split_blocks(buf.str())) {
      auto words = split_ws(b.command);
      if (words[0] != "eval" && words[0] != "eval_ordered") continue;
      size_t skip = words[1] == "instant" ? 4 : 8;  // eval instant at T | eval range from ...
      std::string query;
      for (size_t i = skip; i < words.size(); i++) query += (i > skip ? " " : "") + words[i];
      auto first = parse_expr(query);
      if (!first.ok()) continue;
      std::string printed = first->to_string();
      auto second = parse_expr(printed);
      ASSERT_TRUE(second.ok()) << query << " printed as " << printed << ": "
                               << second.status().to_string();
      EXPECT_EQ(second->to_string(), printed) << query;
      n++;
    }
  }
  EXPECT_GT(n, 300u);
}

INSTANTIATE_TEST_SUITE_P(Scripts, PromqlScript, ::testing::ValuesIn(script_names()),
                         [](const auto& info) { return info.param; });

}  // namespace

void run_script(const std::string& name, const std::string& text, const EngineOptions& options) {
  Runner r(name, options);
  r.run(text);
}

}  // namespace opsight::query::promql::testing
