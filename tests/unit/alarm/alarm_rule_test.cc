// Composite alarm rules: parsing (quoted names, ARNs, precedence, errors), evaluation, and a
// fixed-seed mutation run that must never crash (the parser's robustness check).
#include "alarm/alarm_rule.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

namespace opsight::alarm {
namespace {

bool eval(const std::string& text, const std::map<std::string, StateValue>& states) {
  auto rule = AlarmRule::parse(text);
  EXPECT_TRUE(rule.ok()) << text << ": " << rule.status().to_string();
  if (!rule.ok()) return false;
  return rule->evaluate([&](size_t i) {
    auto it = states.find(rule->refs()[i]);
    return it == states.end() ? StateValue::kInsufficientData : it->second;
  });
}

std::string parse_error(const std::string& text) {
  auto rule = AlarmRule::parse(text);
  return rule.ok() ? "" : rule.status().message();
}

const std::map<std::string, StateValue> kStates = {
    {"a", StateValue::kAlarm},
    {"b", StateValue::kOk},
    {"c", StateValue::kInsufficientData},
    {"name with (parens)", StateValue::kAlarm},
    {"arn:aws:cloudwatch:local:000000000000:alarm:d", StateValue::kAlarm},
};

TEST(AlarmRuleTest, Functions) {
  EXPECT_TRUE(eval("ALARM(a)", kStates));
  EXPECT_FALSE(eval("ALARM(b)", kStates));
  EXPECT_TRUE(eval("OK(b)", kStates));
  EXPECT_TRUE(eval("INSUFFICIENT_DATA(c)", kStates));
  EXPECT_TRUE(eval("INSUFFICIENT_DATA(unknown)", kStates));
  EXPECT_TRUE(eval("TRUE", kStates));
  EXPECT_FALSE(eval("FALSE", kStates));
  EXPECT_TRUE(eval(R"x(ALARM("a"))x", kStates));
  EXPECT_TRUE(eval(R"x(ALARM( "a" ))x", kStates));
  EXPECT_TRUE(eval(R"x(ALARM("name with (parens)"))x", kStates));
  EXPECT_TRUE(eval("ALARM(arn:aws:cloudwatch:local:000000000000:alarm:d)", kStates));
}

TEST(AlarmRuleTest, PrecedenceAndParentheses) {
  // NOT > AND > OR.
  EXPECT_TRUE(eval("ALARM(a) OR ALARM(b) AND ALARM(c)", kStates));
  EXPECT_FALSE(eval("(ALARM(a) OR ALARM(b)) AND ALARM(c)", kStates));
  EXPECT_FALSE(eval("NOT ALARM(a) AND ALARM(a)", kStates));
  EXPECT_TRUE(eval("NOT (ALARM(b) AND ALARM(a))", kStates));
  EXPECT_TRUE(eval("NOT NOT ALARM(a)", kStates));
  EXPECT_TRUE(eval("ALARM(a) AND OK(b) AND INSUFFICIENT_DATA(c) AND TRUE", kStates));
  EXPECT_TRUE(eval("FALSE OR FALSE OR (TRUE AND NOT FALSE)", kStates));
}

TEST(AlarmRuleTest, RefsAreDistinctAndSatisfiedTermsAreReported) {
  auto rule = AlarmRule::parse("ALARM(a) OR (OK(b) AND ALARM(\"a\")) OR ALARM(c)");
  ASSERT_TRUE(rule.ok());
  EXPECT_EQ(rule->refs(), (std::vector<std::string>{"a", "b", "c"}));
  auto state_of = [&](size_t i) { return kStates.at(rule->refs()[i]); };
  EXPECT_EQ(rule->satisfied_refs(state_of), (std::vector<size_t>{0, 1}));
}

TEST(AlarmRuleTest, SyntaxErrorsSayWhereAndWhat) {
  EXPECT_EQ(parse_error(""), "ValidationError: AlarmRule: the rule is empty at offset 0.");
  EXPECT_EQ(parse_error("ALARM(a"),
            "ValidationError: AlarmRule: expected ')' after the alarm name at offset 6.");
  EXPECT_EQ(parse_error("ALARM(a) AND"),
            "ValidationError: AlarmRule: expected an expression but the rule ended at offset "
            "12.");
  EXPECT_EQ(parse_error("alarm(a)"),
            "ValidationError: AlarmRule: unknown keyword \"alarm\" (expected ALARM, OK, "
            "INSUFFICIENT_DATA, TRUE, FALSE, NOT or a parenthesis) at offset 0.");
  EXPECT_EQ(parse_error("ALARM a"),
            "ValidationError: AlarmRule: expected '(' after ALARM at "
            "offset 6.");
  EXPECT_EQ(parse_error("ALARM()"),
            "ValidationError: AlarmRule: the alarm name is empty at "
            "offset 7.");
  EXPECT_EQ(parse_error("ALARM(\"a)"),
            "ValidationError: AlarmRule: unterminated quoted alarm name at offset 9.");
  EXPECT_EQ(parse_error("(TRUE"), "ValidationError: AlarmRule: expected ')' at offset 5.");
  EXPECT_EQ(parse_error("TRUE FALSE"),
            "ValidationError: AlarmRule: unexpected text after the end of the rule at offset "
            "5.");
  EXPECT_EQ(parse_error("ALARM(a(b)"),
            "ValidationError: AlarmRule: an alarm name containing '(' or '\"' must be quoted at "
            "offset 6.");
  std::string deep(100, '(');
  EXPECT_NE(parse_error(deep + "TRUE" + std::string(100, ')')).find("deeper than"),
            std::string::npos);
  std::string many;
  for (int i = 0; i <= 100; i++) many += (i ? " OR " : "") + ("ALARM(a" + std::to_string(i) + ")");
  EXPECT_NE(parse_error(many).find("more than 100 alarms"), std::string::npos);
}

TEST(AlarmRuleTest, RandomMutationsNeverCrash) {
  const std::vector<std::string> seeds = {
      "ALARM(a) AND NOT (OK(\"b\") OR INSUFFICIENT_DATA(c))",
      "TRUE OR FALSE AND NOT ALARM(arn:aws:cloudwatch:local:0:alarm:x)",
      "((ALARM(\"q\\\"uote\")))",
  };
  const std::string alphabet = "()\" \\ANDORTNFLSEKa";
  std::mt19937 rng(7);
  size_t parsed = 0;
  for (int i = 0; i < 20000; i++) {
    std::string s = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !s.empty(); e++) {
      const size_t at = rng() % s.size();
      switch (rng() % 3) {
        case 0:
          s.erase(at, 1);
          break;
        case 1:
          s.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
        default:
          s[at] = alphabet[rng() % alphabet.size()];
      }
    }
    auto rule = AlarmRule::parse(s);
    if (rule.ok()) {
      parsed++;
      (void)rule->evaluate([](size_t) { return StateValue::kAlarm; });
    } else {
      EXPECT_EQ(aws_error_code(rule.status()), "ValidationError");
    }
  }
  EXPECT_GT(parsed, 0u);
}

}  // namespace
}  // namespace opsight::alarm
