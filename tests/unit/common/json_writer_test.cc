#include "common/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>

namespace opsight::json {
namespace {

TEST(Writer, NestedValues) {
  Writer w;
  w.begin_object().kv("a", 1).key("b").begin_array().value("x").value(2.5).null().end_array();
  w.kv("c", true).kv("d", std::nan("")).end_object();
  EXPECT_EQ(w.str(), R"({"a":1,"b":["x",2.5,null],"c":true,"d":null})");
}

TEST(AppendString, Escapes) {
  std::string out;
  append_string(out, "a\"b\\c\n\x01");
  EXPECT_EQ(out, R"("a\"b\\c\n\u0001")");
}

}  // namespace
}  // namespace opsight::json
