// CBOR codec: the examples of RFC 8949 Appendix A, round trips, and malformed input.
#include "wire/cbor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "common/hex.h"

namespace opsight::wire::cbor {
namespace {

std::string unhex(std::string_view h) {
  std::string out;
  EXPECT_TRUE(hex_decode(h, &out)) << h;
  return out;
}

Item dec(std::string_view h) {
  auto r = decode(unhex(h));
  EXPECT_TRUE(r.ok()) << h << ": " << r.status().message();
  return r.ok() ? *r : Item{};
}

std::string enc_hex(const Item& i) {
  return hex_encode(encode(i));
}

TEST(CborTest, IntegersFromAppendixA) {
  struct Case {
    const char* hex;
    int64_t v;
  } cases[] = {{"00", 0},
               {"01", 1},
               {"0a", 10},
               {"17", 23},
               {"1818", 24},
               {"1819", 25},
               {"1864", 100},
               {"1903e8", 1000},
               {"1a000f4240", 1000000},
               {"1b000000e8d4a51000", 1000000000000},
               {"20", -1},
               {"29", -10},
               {"3863", -100},
               {"3903e7", -1000}};
  for (const auto& c : cases) {
    Item i = dec(c.hex);
    ASSERT_TRUE(i.is_integer()) << c.hex;
    EXPECT_EQ(i.as_double(), static_cast<double>(c.v)) << c.hex;
    EXPECT_EQ(enc_hex(Item::integer(c.v)), c.hex);
  }
  Item max = dec("1bffffffffffffffff");
  EXPECT_EQ(max.type, Type::kUnsigned);
  EXPECT_EQ(max.u, std::numeric_limits<uint64_t>::max());
  Item min = dec("3bffffffffffffffff");  // -18446744073709551616
  EXPECT_EQ(min.type, Type::kNegative);
  EXPECT_EQ(min.u, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(enc_hex(Item::integer(std::numeric_limits<int64_t>::min())), "3b7fffffffffffffff");
}

TEST(CborTest, FloatsFromAppendixA) {
  struct Case {
    const char* hex;
    double v;
  } cases[] = {{"f90000", 0.0},
               {"f93c00", 1.0},
               {"fb3ff199999999999a", 1.1},
               {"f93e00", 1.5},
               {"f97bff", 65504.0},
               {"fa47c35000", 100000.0},
               {"fa7f7fffff", 3.4028234663852886e+38},
               {"fb7e37e43c8800759c", 1.0e+300},
               {"f90001", 5.960464477539063e-8},
               {"f90400", 0.00006103515625},
               {"f9c400", -4.0},
               {"fbc010666666666666", -4.1},
               {"f97c00", std::numeric_limits<double>::infinity()},
               {"f9fc00", -std::numeric_limits<double>::infinity()}};
  for (const auto& c : cases) {
    Item i = dec(c.hex);
    ASSERT_EQ(i.type, Type::kFloat) << c.hex;
    EXPECT_EQ(i.f, c.v) << c.hex;
    EXPECT_EQ(enc_hex(Item::floating(c.v)), c.hex) << c.v;  // preferred serialization
  }
  EXPECT_TRUE(std::signbit(dec("f98000").f));
  EXPECT_EQ(enc_hex(Item::floating(-0.0)), "f98000");
  EXPECT_TRUE(std::isnan(dec("f97e00").f));
  EXPECT_TRUE(std::isnan(dec("fa7fc00000").f));
  EXPECT_TRUE(std::isnan(dec("fb7ff8000000000000").f));
  EXPECT_EQ(enc_hex(Item::floating(std::nan(""))), "f97e00");
  // Single and double forms of values that also have shorter ones still decode.
  EXPECT_EQ(dec("fa3fc00000").f, 1.5);
  EXPECT_EQ(dec("fb3ff8000000000000").f, 1.5);
}

TEST(CborTest, SimpleValuesAndTags) {
  EXPECT_EQ(dec("f4").type, Type::kFalse);
  EXPECT_EQ(dec("f5").type, Type::kTrue);
  EXPECT_EQ(dec("f6").type, Type::kNull);
  EXPECT_EQ(dec("f7").type, Type::kUndefined);
  Item s16 = dec("f0");
  EXPECT_EQ(s16.type, Type::kSimple);
  EXPECT_EQ(s16.u, 16u);
  EXPECT_EQ(dec("f8ff").u, 255u);
  EXPECT_EQ(enc_hex(s16), "f0");

  Item t0 = dec("c074323031332d30332d32315432303a30343a30305a");
  ASSERT_EQ(t0.type, Type::kTag);
  EXPECT_EQ(t0.u, 0u);
  EXPECT_EQ(t0.items[0].str, "2013-03-21T20:04:00Z");
  Item t1 = dec("c11a514b67b0");
  EXPECT_EQ(t1.u, 1u);
  EXPECT_EQ(t1.items[0].as_double(), 1363896240.0);
  EXPECT_EQ(dec("c1fb41d452d9ec200000").items[0].f, 1363896240.5);
  EXPECT_EQ(enc_hex(Item::tagged(1, Item::integer(1363896240))), "c11a514b67b0");
  EXPECT_EQ(enc_hex(Item::tagged(1, Item::floating(1363896240.5))), "c1fb41d452d9ec200000");
}

TEST(CborTest, StringsArraysMaps) {
  EXPECT_EQ(dec("40").type, Type::kBytes);
  EXPECT_EQ(dec("4401020304").str, unhex("01020304"));
  EXPECT_EQ(dec("60").str, "");
  EXPECT_EQ(dec("6449455446").str, "IETF");
  EXPECT_EQ(dec("62c3bc").str, "\xc3\xbc");
  EXPECT_EQ(dec("63e6b0b4").str, "\xe6\xb0\xb4");
  EXPECT_EQ(dec("64f0908591").str, "\xf0\x90\x85\x91");
  EXPECT_EQ(enc_hex(Item::text("IETF")), "6449455446");
  EXPECT_EQ(enc_hex(Item::bytes(unhex("01020304"))), "4401020304");

  Item nested = dec("8301820203820405");
  ASSERT_EQ(nested.items.size(), 3u);
  EXPECT_EQ(nested.items[1].items[1].u, 3u);
  EXPECT_EQ(enc_hex(nested), "8301820203820405");
  Item m = dec("a26161016162820203");
  ASSERT_NE(m.find("b"), nullptr);
  EXPECT_EQ(m.find("b")->items.size(), 2u);
  EXPECT_EQ(m.find("a")->u, 1u);
  EXPECT_EQ(m.find("c"), nullptr);
  EXPECT_EQ(enc_hex(m), "a26161016162820203");
  Item big = Item::array();
  for (int i = 1; i <= 25; i++) big.items.push_back(Item::integer(i));
  EXPECT_EQ(enc_hex(big).substr(0, 4), "9819");
  EXPECT_EQ(decode(encode(big))->items.size(), 25u);
}

TEST(CborTest, IndefiniteLengths) {
  EXPECT_EQ(dec("5f42010243030405ff").str, unhex("0102030405"));
  EXPECT_EQ(dec("7f657374726561646d696e67ff").str, "streaming");
  EXPECT_TRUE(dec("9fff").items.empty());
  Item a = dec("9f018202039f0405ffff");
  ASSERT_EQ(a.items.size(), 3u);
  EXPECT_EQ(a.items[2].items.size(), 2u);
  Item m = dec("bf61610161629f0203ffff");
  ASSERT_NE(m.find("b"), nullptr);
  EXPECT_EQ(m.find("b")->items[1].u, 3u);
  Item mixed = dec("bf6346756ef563416d7421ff");
  EXPECT_EQ(mixed.find("Fun")->type, Type::kTrue);
  EXPECT_EQ(mixed.find("Amt")->as_double(), -2.0);
}

TEST(CborTest, MalformedInputIsAnError) {
  for (const char* h : {"",      // empty
                        "18",    // truncated argument
                        "1b00",  // truncated 8-byte argument
                        "1c",
                        "1d",
                        "1e",    // reserved additional information
                        "ff",    // break outside an indefinite item
                        "0000",  // trailing bytes
                        "1f",
                        "3f",
                        "df00",                // indefinite integer / tag
                        "9bffffffffffffffff",  // an array longer than the input
                        "bbffffffffffffffff",  // a map longer than the input
                        "5bffffffffffffffff",  // a byte string longer than the input
                        "62c328",              // invalid UTF-8
                        "61ff",                // invalid UTF-8 byte
                        "63eda080",            // a UTF-16 surrogate
                        "62c080",              // overlong encoding
                        "5f6161ff",            // a text chunk inside a byte string
                        "5f5f4100ffff",        // a nested indefinite chunk
                        "f818",                // a two-byte simple value below 32
                        "bf6161ff",            // a map key without a value
                        "a16161",              // a map value missing
                        "9f01",                // unterminated array
                        "c1"}) {               // a tag without content
    auto r = decode(unhex(h));
    EXPECT_FALSE(r.ok()) << h;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << h;
    }
  }
}

TEST(CborTest, LimitsBoundDepthAndItems) {
  std::string deep(100, '\x81');
  deep.push_back('\x00');
  auto r = decode(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nesting deeper than 64"), std::string::npos);
  EXPECT_TRUE(decode(deep, DecodeLimits{200, 1000}).ok());
  std::string tags(100, '\xc1');
  tags.push_back('\x00');
  EXPECT_FALSE(decode(tags).ok());

  Item many = Item::array();
  for (int i = 0; i < 100; i++) many.items.push_back(Item::integer(i));
  EXPECT_FALSE(decode(encode(many), DecodeLimits{64, 50}).ok());
  EXPECT_TRUE(decode(encode(many), DecodeLimits{64, 101}).ok());
}

TEST(CborTest, RandomTreesRoundTrip) {
  std::mt19937_64 rng(42);
  std::function<Item(int)> gen = [&](int depth) -> Item {
    switch (rng() % (depth > 3 ? 6 : 8)) {
      case 0:
        return Item::integer(static_cast<int64_t>(rng()));
      case 1:
        return Item::floating(std::ldexp(static_cast<double>(rng() % 100000), -(int)(rng() % 40)));
      case 2:
        return Item::text(std::string(rng() % 30, 'x'));
      case 3:
        return Item::bytes(std::string(rng() % 300, '\x01'));
      case 4:
        return Item::boolean(rng() % 2);
      case 5:
        return Item::tagged(1, Item::integer(static_cast<int64_t>(rng() % 2000000000)));
      case 6: {
        Item a = Item::array();
        for (int i = rng() % 5; i > 0; i--) a.items.push_back(gen(depth + 1));
        return a;
      }
      default: {
        Item m = Item::map();
        for (int i = rng() % 5; i > 0; i--) m.put("k" + std::to_string(i), gen(depth + 1));
        return m;
      }
    }
  };
  for (int n = 0; n < 200; n++) {
    Item i = gen(0);
    std::string bytes = encode(i);
    auto back = decode(bytes);
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(encode(*back), bytes);
  }
}

}  // namespace
}  // namespace opsight::wire::cbor
