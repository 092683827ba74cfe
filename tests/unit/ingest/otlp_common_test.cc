#include "ingest/otlp/otlp_common.h"

#include <gtest/gtest.h>

#include <cmath>

#include "otlp_test_util.h"

namespace opsight::ingest::otlp {
namespace {

using namespace testpb;  // NOLINT

TEST(OtlpCommon, AnyValueKinds) {
  AnyValue v;
  ASSERT_TRUE(decode_any_value_pb(any_string("hi"), &v).ok());
  EXPECT_EQ(v.type, AnyValue::Type::kString);
  EXPECT_EQ(any_value_to_string(v), "hi");

  ASSERT_TRUE(decode_any_value_pb(any_int(-7), &v).ok());
  EXPECT_EQ(v.type, AnyValue::Type::kInt);
  EXPECT_EQ(any_value_to_string(v), "-7");

  ASSERT_TRUE(decode_any_value_pb(any_bool(true), &v).ok());
  EXPECT_EQ(any_value_to_string(v), "true");

  ASSERT_TRUE(decode_any_value_pb(any_double(0.1), &v).ok());
  EXPECT_EQ(any_value_to_string(v), "0.1");
  ASSERT_TRUE(decode_any_value_pb(any_double(-INFINITY), &v).ok());
  EXPECT_EQ(any_value_to_string(v), "-Inf");

  Writer bytes;
  bytes.bytes(7, std::string("\x00\xff\x10", 3));
  ASSERT_TRUE(decode_any_value_pb(bytes.str(), &v).ok());
  EXPECT_EQ(v.type, AnyValue::Type::kBytes);
  EXPECT_EQ(any_value_to_string(v), "AP8Q");

  // ArrayValue{values=[string "a", int 1, empty]} and KeyValueList{values=[{k: "v\""}]}
  Writer arr;
  arr.message(1, any_string("a"));
  arr.message(1, any_int(1));
  arr.message(1, "");
  Writer av;
  av.message(5, arr.str());
  ASSERT_TRUE(decode_any_value_pb(av.str(), &v).ok());
  EXPECT_EQ(v.type, AnyValue::Type::kArray);
  EXPECT_EQ(any_value_to_string(v), R"(["a",1,null])");

  Writer list;
  list.message(1, kv_str("k", "v\""));
  Writer lv;
  lv.message(6, list.str());
  ASSERT_TRUE(decode_any_value_pb(lv.str(), &v).ok());
  EXPECT_EQ(any_value_to_string(v), R"({"k":"v\""})");

  ASSERT_TRUE(decode_any_value_pb("", &v).ok());
  EXPECT_EQ(v.type, AnyValue::Type::kEmpty);
  EXPECT_EQ(any_value_to_string(v), "");
}

TEST(OtlpCommon, ResourceAndScope) {
  Resource r;
  Writer rw;
  rw.message(1, kv_str("service.name", "svc"));
  rw.varint(2, 3);
  ASSERT_TRUE(decode_resource_pb(rw.str(), &r).ok());
  ASSERT_EQ(r.attributes.size(), 1u);
  EXPECT_EQ(r.attributes[0].key, "service.name");
  EXPECT_EQ(r.dropped_attributes_count, 3u);
  ASSERT_NE(find_attribute(r.attributes, "service.name"), nullptr);
  EXPECT_EQ(find_attribute(r.attributes, "nope"), nullptr);

  InstrumentationScope s;
  Writer sw;
  sw.bytes(1, "lib");
  sw.bytes(2, "1.0");
  sw.message(3, kv_str("a", "b"));
  sw.varint(4, 1);
  ASSERT_TRUE(decode_scope_pb(sw.str(), &s).ok());
  EXPECT_EQ(s.name, "lib");
  EXPECT_EQ(s.version, "1.0");
  ASSERT_EQ(s.attributes.size(), 1u);
  EXPECT_EQ(s.dropped_attributes_count, 1u);
}

TEST(OtlpCommon, MalformedIsAnError) {
  AnyValue v;
  EXPECT_EQ(decode_any_value_pb("\x0a\x05"
                                "ab",
                                &v)
                .code(),
            Code::kInvalidArgument);
  Resource r;
  Status st = decode_resource_pb("\x0a\x02\x12\x09", &r);  // value with truncated AnyValue
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("resource"), std::string::npos) << st.message();
}

TEST(OtlpCommon, Base64AndHex) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  std::string out;
  ASSERT_TRUE(base64_decode("Zm9vYmE=", &out));
  EXPECT_EQ(out, "fooba");
  ASSERT_TRUE(base64_decode("Zm9vYmE", &out));  // padding optional
  EXPECT_EQ(out, "fooba");
  ASSERT_TRUE(base64_decode("-_8", &out));  // URL-safe alphabet
  EXPECT_EQ(out, "\xfb\xff");
  EXPECT_FALSE(base64_decode("Z", &out));
  EXPECT_FALSE(base64_decode("Zm9v!", &out));

  ASSERT_TRUE(hex_decode("5B8EFFF798038103D269B633813FC60C", &out));
  EXPECT_EQ(out.size(), 16u);
  EXPECT_EQ(hex_encode(out), "5b8efff798038103d269b633813fc60c");
  EXPECT_FALSE(hex_decode("abc", &out));
  EXPECT_FALSE(hex_decode("zz", &out));
}

}  // namespace
}  // namespace opsight::ingest::otlp

namespace opsight::ingest::otlp {
namespace {

TEST(OtlpCommon, DecodeBudgetBoundsElements) {
  using namespace testpb;  // NOLINT
  Writer arr;
  for (int i = 0; i < 5; i++) arr.message(1, any_int(i));
  Writer av;
  av.message(5, arr.str());
  AnyValue v;
  DecodeBudget enough;
  enough.left = 6;  // the array value and its 5 elements
  ASSERT_TRUE(decode_any_value_pb(av.str(), &v, &enough).ok());
  EXPECT_EQ(enough.left, 0u);
  DecodeBudget small;
  small.left = 3;
  Status st = decode_any_value_pb(av.str(), &v, &small);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("request too large"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace opsight::ingest::otlp
