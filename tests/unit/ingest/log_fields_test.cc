#include "storage/log_fields.h"

#include <gtest/gtest.h>

#include <string>

namespace opsight::storage {
namespace {

using Fields = std::vector<LogAttribute>;

Fields fields(std::string_view message) {
  Fields out;
  discover_fields(message, &out);
  return out;
}

TEST(LogFieldsTest, FlattensObjectsAndArraysLikeLogsInsights) {
  EXPECT_EQ(fields(R"( {"level":"ERROR","latency":12.50,"ok":true,"none":null,
      "http":{"status":500,"path":"/a\"b"},
      "requestParameters":{"items":[{"instanceId":"i-1"},"x",[7]]},"empty":{},"list":[]} )"),
            (Fields{{"level", "ERROR"},
                    {"latency", "12.50"},
                    {"ok", "true"},
                    {"http.status", "500"},
                    {"http.path", "/a\"b"},
                    {"requestParameters.items.0.instanceId", "i-1"},
                    {"requestParameters.items.1", "x"},
                    {"requestParameters.items.2.0", "7"}}));
}

TEST(LogFieldsTest, NonObjectsAndInvalidJsonAddNothing) {
  EXPECT_TRUE(fields("GET / 200").empty());
  EXPECT_TRUE(fields("[1,2]").empty());
  EXPECT_TRUE(fields(R"({"a":1,"b":)").empty());
  EXPECT_TRUE(fields(R"({"a":1} trailing)").empty());
  EXPECT_TRUE(fields("").empty());
}

TEST(LogFieldsTest, NamesAreUniqueAndExistingEntriesKept) {
  Fields out{{"user", "from-attribute"}};
  discover_fields(R"({"user":"json","a":{"b":1},"a.b":2})", &out);
  EXPECT_EQ(out, (Fields{{"user", "from-attribute"}, {"a.b", "1"}}));
}

TEST(LogFieldsTest, CapsFieldCountAndDepth) {
  std::string m = "{";
  for (int i = 0; i < 250; i++)
    m += (i ? "," : "") + ("\"f" + std::to_string(i) + "\":" + std::to_string(i));
  m += "}";
  Fields out = fields(m);
  ASSERT_EQ(out.size(), kMaxDiscoveredFields);
  EXPECT_EQ(out.back().key, "f199");

  std::string deep;
  for (int i = 0; i < 20; i++) deep += "{\"k\":";
  deep += "1";
  for (int i = 0; i < 20; i++) deep += "}";
  Fields d = fields(deep);
  ASSERT_EQ(d.size(), 1u);
  std::string name = "k";
  for (int i = 1; i < kMaxFieldDepth; i++) name += ".k";
  EXPECT_EQ(d[0].key, name);
  EXPECT_EQ(d[0].value, R"({"k":{"k":{"k":{"k":1}}}})");
}

}  // namespace
}  // namespace opsight::storage
