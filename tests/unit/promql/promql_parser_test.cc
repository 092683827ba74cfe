#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "query/promql/function_defs.h"
#include "query/promql/lexer.h"
#include "query/promql/parser.h"
#include "query/promql/selector.h"

namespace opsight::query::promql {
namespace {

std::string roundtrip(std::string_view q) {
  auto e = parse_expr(q);
  EXPECT_TRUE(e.ok()) << q << ": " << e.status().to_string();
  return e.ok() ? e->to_string() : "";
}

std::string error_of(std::string_view q) {
  auto e = parse_expr(q);
  EXPECT_FALSE(e.ok()) << q << " parsed as " << (e.ok() ? e->to_string() : "");
  return e.ok() ? "" : e.status().message();
}

TEST(PromqlLexer, DurationsAndNumbers) {
  int64_t ms;
  ASSERT_TRUE(parse_duration("1h30m", &ms));
  EXPECT_EQ(ms, 5'400'000);
  ASSERT_TRUE(parse_duration("100ms", &ms));
  EXPECT_EQ(ms, 100);
  ASSERT_TRUE(parse_duration("1y2w3d", &ms));
  EXPECT_EQ(ms, (365 + 14 + 3) * 86'400'000LL);
  EXPECT_FALSE(parse_duration("1.5h", &ms));
  EXPECT_FALSE(parse_duration("h", &ms));
  EXPECT_FALSE(parse_duration("99999999999999999999y", &ms));
  double v;
  ASSERT_TRUE(parse_number("0x1f", &v));
  EXPECT_EQ(v, 31);
  ASSERT_TRUE(parse_number("1.5e3", &v));
  EXPECT_EQ(v, 1500);
  ASSERT_TRUE(parse_number(".5", &v));
  EXPECT_EQ(v, 0.5);
  ASSERT_TRUE(parse_number("-Inf", &v));
  EXPECT_TRUE(std::isinf(v) && v < 0);
  ASSERT_TRUE(parse_number("nan", &v));
  EXPECT_TRUE(std::isnan(v));
  EXPECT_EQ(format_duration(5'400'000), "1h30m");
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(-300'000), "-5m");
}

TEST(PromqlParser, Selectors) {
  EXPECT_EQ(roundtrip("foo"), "foo");
  EXPECT_EQ(roundtrip(R"(foo{a="b", c!="d",e=~"f.*" , g!~'h'})"),
            R"(foo{a="b", c!="d", e=~"f.*", g!~"h"})");
  EXPECT_EQ(roundtrip(R"({__name__="foo", a="b",})"), R"({__name__="foo", a="b"})");
  EXPECT_EQ(roundtrip("foo:bar_total[5m]"), "foo:bar_total[5m]");
  EXPECT_EQ(roundtrip("foo[1h30m] offset -5m"), "foo[1h30m] offset -5m");
  EXPECT_EQ(roundtrip("foo @ 1609746000 offset 5m"), "foo @ 1609746000.000 offset 5m");
  EXPECT_EQ(roundtrip("foo offset 5m @ start()"), "foo @ start() offset 5m");
  EXPECT_EQ(roundtrip("foo[5m] @ end()"), "foo[5m] @ end()");
  EXPECT_EQ(roundtrip("rate(foo[5m])[30m:1m]"), "rate(foo[5m])[30m:1m]");
  EXPECT_EQ(roundtrip("foo[30m:]"), "foo[30m:]");
  EXPECT_EQ(roundtrip("(foo)[30m:] offset 1m"), "(foo)[30m:] offset 1m");
  // Keywords are label names inside braces and grouping.
  EXPECT_EQ(roundtrip(R"(foo{by="a", offset="b"})"), R"(foo{by="a", offset="b"})");
  EXPECT_EQ(roundtrip("sum by (on, bool) (foo)"), "sum by (on, bool) (foo)");
  auto e = parse_expr(R"(foo{a=~"x|y"})");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->root->kind, NodeKind::kVectorSelector);
  ASSERT_EQ(e->root->matchers.size(), 2u);
  EXPECT_TRUE(e->root->matchers[1].matches("y"));
  EXPECT_FALSE(e->root->matchers[1].matches("xy"));
}

TEST(PromqlParser, PrecedenceAndAssociativity) {
  auto tree = [](std::string_view q) {
    // Fully parenthesised form, to see the tree's shape.
    std::function<std::string(const Node&)> f = [&](const Node& n) -> std::string {
      switch (n.kind) {
        case NodeKind::kBinary:
          return "(" + f(*n.args[0]) + " " + std::string(binop_name(n.op)) + " " + f(*n.args[1]) +
                 ")";
        case NodeKind::kUnary:
          return "(" + std::string(binop_name(n.op)) + f(*n.args[0]) + ")";
        default:
          return n.to_string();
      }
    };
    auto e = parse_expr(q);
    EXPECT_TRUE(e.ok()) << e.status().to_string();
    return e.ok() ? f(*e->root) : "";
  };
  EXPECT_EQ(tree("a + b * c"), "(a + (b * c))");
  EXPECT_EQ(tree("a - b - c"), "((a - b) - c)");
  EXPECT_EQ(tree("a ^ b ^ c"), "(a ^ (b ^ c))");
  EXPECT_EQ(tree("a or b and c unless d"), "(a or ((b and c) unless d))");
  EXPECT_EQ(tree("a > b + c"), "(a > (b + c))");
  EXPECT_EQ(tree("a atan2 b * c"), "((a atan2 b) * c)");
  EXPECT_EQ(tree("-a ^ b"), "(-(a ^ b))");
  EXPECT_EQ(tree("-a * b"), "((-a) * b)");
  EXPECT_EQ(tree("2 ^ -1"), "(2 ^ -1)");
  EXPECT_EQ(tree("a == bool b"), "(a == b)");
  EXPECT_EQ(roundtrip("-1"), "-1");
  EXPECT_EQ(roundtrip("a AND b OR c"), "a and b or c");
}

TEST(PromqlParser, Modifiers) {
  EXPECT_EQ(roundtrip("a * on(x, y) group_left(z) b"), "a * on(x, y) group_left(z) b");
  EXPECT_EQ(roundtrip("a / ignoring(x) group_right b"), "a / ignoring(x) group_right() b");
  EXPECT_EQ(roundtrip("a > bool on() b"), "a > bool on() b");
  EXPECT_EQ(roundtrip("a and on(x) b"), "a and on(x) b");
  auto e = parse_expr("a + on(x) group_left(y) b");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->root->matching.card, Cardinality::kManyToOne);
  EXPECT_TRUE(e->root->matching.on);
  e = parse_expr("a or b");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->root->matching.card, Cardinality::kManyToMany);
}

TEST(PromqlParser, AggregationsAndCalls) {
  EXPECT_EQ(roundtrip("sum(rate(x[5m])) by (job)"), "sum by (job) (rate(x[5m]))");
  EXPECT_EQ(roundtrip("sum without (a) (x)"), "sum without (a) (x)");
  EXPECT_EQ(roundtrip("topk(5, x)"), "topk(5, x)");
  EXPECT_EQ(roundtrip("count_values(\"v\", x)"), "count_values(\"v\", x)");
  EXPECT_EQ(roundtrip("quantile by (a) (0.9, x)"), "quantile by (a) (0.9, x)");
  EXPECT_EQ(roundtrip("label_join(x, \"d\", \",\", \"a\", \"b\", \"c\")"),
            "label_join(x, \"d\", \",\", \"a\", \"b\", \"c\")");
  EXPECT_EQ(roundtrip("round(x)"), "round(x)");
  EXPECT_EQ(roundtrip("round(x, 5)"), "round(x, 5)");
  EXPECT_EQ(roundtrip("hour()"), "hour()");
  EXPECT_EQ(roundtrip("time()"), "time()");
  EXPECT_EQ(roundtrip("histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))"),
            "histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))");
  auto e = parse_expr("scalar(x) + time()");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->type(), ValueType::kScalar);
  ASSERT_NE(find_function("holt_winters"), nullptr);
  EXPECT_EQ(find_function("nope"), nullptr);
}

TEST(PromqlParser, ErrorsNamePositionAndToken) {
  EXPECT_EQ(error_of("sum(foo) by"),
            "1:12: parse error: unexpected end of input in grouping, "
            "expected \"(\"");
  EXPECT_EQ(error_of("foo{a=}"),
            "1:7: parse error: unexpected \"}\" in label matching, expected "
            "string");
  EXPECT_EQ(error_of("foo +"), "1:6: parse error: unexpected end of input");
  EXPECT_EQ(error_of("1 +\n  )"), "2:3: parse error: unexpected \")\"");
  EXPECT_EQ(error_of("rate(foo)"),
            "1:6: parse error: expected type range vector in call to function \"rate\", got "
            "instant vector");
  EXPECT_EQ(error_of("rate(foo[5m], 1)"),
            "1:1: parse error: expected 1 argument(s) in call to \"rate\", got 2");
  EXPECT_EQ(error_of("label_join(foo)"),
            "1:1: parse error: expected at least 3 argument(s) in call to \"label_join\", got 1");
  EXPECT_EQ(error_of("round(foo, 1, 2)"),
            "1:1: parse error: expected at most 2 argument(s) in call to \"round\", got 3");
  EXPECT_EQ(error_of("nope(foo)"), "1:1: parse error: unknown function with name \"nope\"");
  EXPECT_NE(error_of("1 > 2").find("comparisons between scalars must use BOOL modifier"),
            std::string::npos);
  EXPECT_NE(error_of("a + bool b").find("bool modifier can only be used on comparison"),
            std::string::npos);
  EXPECT_NE(error_of("1 and a").find("set operator \"and\" not allowed in binary scalar"),
            std::string::npos);
  EXPECT_NE(error_of("a and on(x) group_left b").find("no grouping allowed for \"and\""),
            std::string::npos);
  EXPECT_NE(error_of("a + on(x) group_left(x) b").find("must not occur in ON and GROUP"),
            std::string::npos);
  EXPECT_NE(error_of("1 + on(x) a").find("vector matching only allowed between instant vectors"),
            std::string::npos);
  EXPECT_NE(error_of("a[5m] + 1").find("binary expression must contain only scalar and instant"),
            std::string::npos);
  EXPECT_NE(error_of("sum(a[5m])").find("expected type instant vector in aggregation"),
            std::string::npos);
  EXPECT_NE(error_of("topk(\"a\", b)").find("expected type scalar in aggregation parameter"),
            std::string::npos);
  EXPECT_NE(error_of("topk(b)").find("wrong number of arguments"), std::string::npos);
  EXPECT_NE(error_of("{a=\"\"}").find("at least one non-empty matcher"), std::string::npos);
  EXPECT_NE(error_of("foo{__name__=\"bar\"}").find("metric name must not be set twice"),
            std::string::npos);
  EXPECT_NE(error_of("sum(a) offset 5m").find("offset modifier must be preceded by"),
            std::string::npos);
  EXPECT_NE(error_of("a offset 5m offset 1m").find("offset may not be set multiple times"),
            std::string::npos);
  EXPECT_NE(error_of("a @ 1 @ 2").find("may not be set multiple times"), std::string::npos);
  EXPECT_NE(error_of("(a)[5m]").find("ranges only allowed for vector selectors"),
            std::string::npos);
  EXPECT_NE(error_of("a offset 1m [5m]").find("no offset or @ modifiers allowed before range"),
            std::string::npos);
  EXPECT_NE(error_of("a[5m][1h:]").find("subquery is only allowed on instant vector"),
            std::string::npos);
  EXPECT_NE(error_of("a[0s]").find("range cannot be zero"), std::string::npos);
  EXPECT_NE(error_of("-\"a\"").find("unary expression only allowed"), std::string::npos);
  EXPECT_NE(error_of("a{b=~\"(\"}").find("1:6"), std::string::npos);
  EXPECT_NE(error_of("\"abc").find("unterminated quoted string"), std::string::npos);
  EXPECT_NE(error_of("a $ b").find("unexpected character"), std::string::npos);
  EXPECT_NE(error_of("1m").find("duration"), std::string::npos);
  EXPECT_NE(error_of("by").find("unexpected identifier \"by\""), std::string::npos);
  EXPECT_NE(error_of("").find("no expression found"), std::string::npos);
  EXPECT_NE(error_of("# only a comment").find("no expression found"), std::string::npos);
  EXPECT_NE(error_of(std::string(500, '(') + "1" + std::string(500, ')')).find("nested too deeply"),
            std::string::npos);
}

TEST(PromqlParser, SeriesSelectorParserKeepsItsBehaviour) {
  // parse_series_selector (the API's match[]) is separate from parse_expr and unchanged.
  auto r = parse_series_selector(R"(up{job="x"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 2u);
}

}  // namespace
}  // namespace opsight::query::promql
