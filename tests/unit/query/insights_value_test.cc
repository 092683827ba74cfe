// Values of Logs Insights: borrowed and owned strings, and the identity of group keys.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "query/insights/value.h"

namespace opsight::query::insights {
namespace {

TEST(InsightsValue, BorrowedStringsOwnTheirTextOnRequest) {
  std::string text = "a string longer than the small-string buffer";
  Value v = Value::view(text);
  EXPECT_TRUE(v.borrowed());
  EXPECT_EQ(v.sv().data(), text.data());
  Value o = v.owned();
  EXPECT_FALSE(o.borrowed());
  text.assign(text.size(), '#');
  EXPECT_EQ(o.sv(), "a string longer than the small-string buffer");
  EXPECT_EQ(v.sv(), text);  // the view sees what it points at
  Value s = Value::string("owned text, also longer than the small-string buffer");
  Value b = s.borrow();
  EXPECT_TRUE(b.borrowed());
  EXPECT_EQ(b.sv().data(), s.sv().data());
  EXPECT_EQ(Value::number(3).borrow().num, 3);
}

TEST(InsightsValue, ViewsReadLikeStrings) {
  std::string n = "1.5", t = "true";
  EXPECT_EQ(as_number(Value::view(n)), 1.5);
  EXPECT_TRUE(truthy(Value::view(t)));
  EXPECT_TRUE(values_equal(Value::view(n), Value::number(1.5)));
  EXPECT_EQ(compare_values(Value::view(t), Value::string("trud")), 1);
  EXPECT_EQ(display(Value::view(t)), "true");
  std::string scratch;
  std::string_view out;
  EXPECT_FALSE(text_view(Value::null(), &scratch, &out));
  ASSERT_TRUE(text_view(Value::time(0), &scratch, &out));
  EXPECT_EQ(out, "1970-01-01 00:00:00.000");
  ASSERT_TRUE(text_view(Value::view(n), &scratch, &out));
  EXPECT_EQ(out.data(), n.data());
}

TEST(InsightsValue, GroupKeysCompareAsTheyDisplay) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::string one = "1";
  auto same = [](const Value& a, const Value& b) {
    bool s = same_key(a, b);
    if (s) {
      EXPECT_EQ(key_hash(a), key_hash(b));
    }
    // The identity the keys had when they were formatted: kind and display text.
    EXPECT_EQ(s, a.kind == b.kind && display(a) == display(b));
    return s;
  };
  EXPECT_TRUE(same(Value::number(0.0), Value::number(-0.0)));
  EXPECT_TRUE(same(Value::number(nan), Value::number(-nan)));
  EXPECT_TRUE(same(Value::number(0.1 + 0.2), Value::number(0.1 + 0.2)));
  EXPECT_FALSE(same(Value::number(0.1 + 0.2), Value::number(0.3)));
  EXPECT_TRUE(same(Value::view(one), Value::string("1")));
  EXPECT_FALSE(same(Value::view(one), Value::number(1)));
  EXPECT_FALSE(same(Value::number(1), Value::boolean(true)));
  EXPECT_FALSE(same(Value::time(1000), Value::number(1000)));
  EXPECT_TRUE(same(Value::time(1000), Value::time(1000)));
  EXPECT_TRUE(same(Value::null(), Value::null()));
  EXPECT_FALSE(same(Value::null(), Value::string("")));
  EXPECT_TRUE(same(Value::number(1e300), Value::number(1e300)));
}

}  // namespace
}  // namespace opsight::query::insights
