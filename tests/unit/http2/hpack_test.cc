// HPACK: RFC 7541 Appendix C examples (C.1 integers, C.3/C.4 requests without and with Huffman,
// C.5/C.6 responses with a 256-byte table and eviction), Huffman code against Appendix B,
// and error cases.
#include "net/http2/hpack.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/http2/hpack_huffman.h"

namespace opsight::http2 {
namespace {

std::string unhex(std::string_view hex) {
  std::string out;
  int hi = -1;
  for (char c : hex) {
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (v < 0) continue;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<char>(hi * 16 + v));
      hi = -1;
    }
  }
  return out;
}

using Fields = std::vector<HeaderField>;

Fields decode(HpackDecoder& d, std::string_view hex) {
  Fields out;
  bool too_large = false;
  Status st = d.decode(unhex(hex), 1 << 20, &out, &too_large);
  EXPECT_TRUE(st.ok()) << st.to_string();
  EXPECT_FALSE(too_large);
  return out;
}

TEST(HpackHuffman, CodesMatchAppendixB) {
  // Spot checks across every code length of the table.
  struct Case {
    int sym;
    uint32_t code;
    int len;
  } cases[] = {{0, 0x1ff8, 13},      {1, 0x7fffd8, 23},    {9, 0xffffea, 24},
               {10, 0x3ffffffc, 30}, {32, 0x14, 6},        {48, 0x0, 5},
               {58, 0x5c, 7},        {90, 0xfd, 8},        {92, 0x7fff0, 19},
               {124, 0x7fc, 11},     {125, 0x3ffd, 14},    {128, 0xfffe6, 20},
               {153, 0x1fffdc, 21},  {129, 0x3fffd2, 22},  {199, 0x1ffffec, 25},
               {192, 0x3ffffe0, 26}, {211, 0x7ffffe0, 27}, {254, 0x7fffff0, 27},
               {255, 0x3ffffee, 26}, {249, 0xffffffe, 28}, {256, 0x3fffffff, 30}};
  for (const auto& c : cases) {
    EXPECT_EQ(huffman_code_length(c.sym), c.len) << c.sym;
    EXPECT_EQ(huffman_code(c.sym), c.code) << c.sym;
  }
  // Kraft: a complete prefix code sums to exactly one.
  uint64_t sum = 0;
  for (int s = 0; s <= 256; s++) sum += 1ull << (30 - huffman_code_length(s));
  EXPECT_EQ(sum, 1ull << 30);
}

TEST(HpackHuffman, RfcStrings) {
  const std::pair<const char*, const char*> cases[] = {
      {"f1e3 c2e5 f23a 6ba0 ab90 f4ff", "www.example.com"},
      {"a8eb 1064 9cbf", "no-cache"},
      {"25a8 49e9 5ba9 7d7f", "custom-key"},
      {"25a8 49e9 5bb8 e8b4 bf", "custom-value"},
      {"6402", "302"},
      {"aec3 771a 4b", "private"},
      {"d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff", "Mon, 21 Oct 2013 20:13:21 GMT"},
      {"9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3", "https://www.example.com"},
      {"9bd9 ab", "gzip"},
  };
  for (const auto& [hex, text] : cases) {
    std::string decoded;
    ASSERT_TRUE(huffman_decode(unhex(hex), &decoded).ok()) << text;
    EXPECT_EQ(decoded, text);
    std::string encoded;
    huffman_encode(text, &encoded);
    EXPECT_EQ(encoded, unhex(hex)) << text;
    EXPECT_EQ(huffman_encoded_size(text), encoded.size());
  }
}

TEST(HpackHuffman, AllBytesRoundTrip) {
  std::string all;
  for (int i = 0; i < 256; i++) all.push_back(static_cast<char>(i));
  std::string enc, dec;
  huffman_encode(all, &enc);
  ASSERT_TRUE(huffman_decode(enc, &dec).ok());
  EXPECT_EQ(dec, all);
}

TEST(HpackHuffman, RejectsBadPadding) {
  std::string out;
  EXPECT_FALSE(huffman_decode(std::string(1, '\0'), &out).ok());  // zero padding
  EXPECT_FALSE(huffman_decode(unhex("ffff ffff"), &out).ok());    // EOS / long pad
  EXPECT_FALSE(huffman_decode(unhex("f1e3 c2e5 f23a 6ba0 ab90 f4ff ff"), &out).ok());
}

TEST(HpackInteger, AppendixC1) {
  std::string out;
  hpack_encode_int(10, 5, 0, &out);
  EXPECT_EQ(out, unhex("0a"));
  out.clear();
  hpack_encode_int(1337, 5, 0, &out);
  EXPECT_EQ(out, unhex("1f9a0a"));
  out.clear();
  hpack_encode_int(42, 8, 0, &out);
  EXPECT_EQ(out, unhex("2a"));
  size_t pos = 0;
  uint64_t v = 0;
  ASSERT_TRUE(hpack_decode_int(unhex("1f9a0a"), &pos, 5, &v).ok());
  EXPECT_EQ(v, 1337u);
  EXPECT_EQ(pos, 3u);
}

TEST(HpackInteger, RejectsOverflowAndTruncation) {
  size_t pos = 0;
  uint64_t v = 0;
  EXPECT_FALSE(hpack_decode_int(unhex("1fffffffffffff7f"), &pos, 5, &v).ok());
  pos = 0;
  EXPECT_FALSE(hpack_decode_int(unhex("1f9a"), &pos, 5, &v).ok());
}

TEST(HpackDecoder, AppendixC2LiteralForms) {
  HpackDecoder d;
  // C.2.1 literal with indexing
  EXPECT_EQ(decode(d, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"),
            (Fields{{"custom-key", "custom-header"}}));
  EXPECT_EQ(d.table_size(), 55u);
  // C.2.2 literal without indexing, C.2.3 never indexed, C.2.4 indexed
  HpackDecoder d2;
  EXPECT_EQ(decode(d2, "040c 2f73 616d 706c 652f 7061 7468"), (Fields{{":path", "/sample/path"}}));
  EXPECT_EQ(decode(d2, "1008 7061 7373 776f 7264 0673 6563 7265 74"),
            (Fields{{"password", "secret"}}));
  EXPECT_EQ(decode(d2, "82"), (Fields{{":method", "GET"}}));
  EXPECT_EQ(d2.table_entries(), 0u);
}

void check_request_sequence(bool huffman) {
  HpackDecoder d;
  const char* c1 = huffman ? "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"
                           : "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d";
  const char* c2 = huffman ? "8286 84be 5886 a8eb 1064 9cbf" : "8286 84be 5808 6e6f 2d63 6163 6865";
  const char* c3 = huffman ? "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"
                           : "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 "
                             "6c75 65";
  EXPECT_EQ(decode(d, c1), (Fields{{":method", "GET"},
                                   {":scheme", "http"},
                                   {":path", "/"},
                                   {":authority", "www.example.com"}}));
  EXPECT_EQ(d.table_size(), 57u);
  EXPECT_EQ(decode(d, c2), (Fields{{":method", "GET"},
                                   {":scheme", "http"},
                                   {":path", "/"},
                                   {":authority", "www.example.com"},
                                   {"cache-control", "no-cache"}}));
  EXPECT_EQ(d.table_size(), 110u);
  EXPECT_EQ(decode(d, c3), (Fields{{":method", "GET"},
                                   {":scheme", "https"},
                                   {":path", "/index.html"},
                                   {":authority", "www.example.com"},
                                   {"custom-key", "custom-value"}}));
  ASSERT_EQ(d.table_entries(), 3u);
  EXPECT_EQ(d.table_entry(0), (HeaderField{"custom-key", "custom-value"}));
  EXPECT_EQ(d.table_entry(1), (HeaderField{"cache-control", "no-cache"}));
  EXPECT_EQ(d.table_entry(2), (HeaderField{":authority", "www.example.com"}));
  EXPECT_EQ(d.table_size(), 164u);
}

TEST(HpackDecoder, AppendixC3RequestsWithoutHuffman) {
  check_request_sequence(false);
}
TEST(HpackDecoder, AppendixC4RequestsWithHuffman) {
  check_request_sequence(true);
}

void check_response_sequence(bool huffman) {
  HpackDecoder d(256);
  const char* r1 = huffman
                       ? "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 "
                         "66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3"
                       : "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 "
                         "3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 "
                         "7777 2e65 7861 6d70 6c65 2e63 6f6d";
  const char* r2 = huffman ? "4883 640e ffc1 c0bf" : "4803 3330 37c1 c0bf";
  const char* r3 =
      huffman ? "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b "
                "d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 "
                "0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07"
              : "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 "
                "474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 "
                "454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 "
                "6572 7369 6f6e 3d31";
  EXPECT_EQ(decode(d, r1), (Fields{{":status", "302"},
                                   {"cache-control", "private"},
                                   {"date", "Mon, 21 Oct 2013 20:13:21 GMT"},
                                   {"location", "https://www.example.com"}}));
  EXPECT_EQ(d.table_size(), 222u);
  // C.5.2: inserting ":status: 307" evicts ":status: 302".
  EXPECT_EQ(decode(d, r2), (Fields{{":status", "307"},
                                   {"cache-control", "private"},
                                   {"date", "Mon, 21 Oct 2013 20:13:21 GMT"},
                                   {"location", "https://www.example.com"}}));
  EXPECT_EQ(d.table_size(), 222u);
  EXPECT_EQ(d.table_entry(0), (HeaderField{":status", "307"}));
  EXPECT_EQ(decode(d, r3),
            (Fields{{":status", "200"},
                    {"cache-control", "private"},
                    {"date", "Mon, 21 Oct 2013 20:13:22 GMT"},
                    {"location", "https://www.example.com"},
                    {"content-encoding", "gzip"},
                    {"set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"}}));
  ASSERT_EQ(d.table_entries(), 3u);
  EXPECT_EQ(d.table_entry(0).name, "set-cookie");
  EXPECT_EQ(d.table_entry(1), (HeaderField{"content-encoding", "gzip"}));
  EXPECT_EQ(d.table_entry(2), (HeaderField{"date", "Mon, 21 Oct 2013 20:13:22 GMT"}));
  EXPECT_EQ(d.table_size(), 215u);
}

TEST(HpackDecoder, AppendixC5ResponsesWithoutHuffman) {
  check_response_sequence(false);
}
TEST(HpackDecoder, AppendixC6ResponsesWithHuffman) {
  check_response_sequence(true);
}

TEST(HpackDecoder, TableSizeUpdates) {
  HpackDecoder d(4096);
  decode(d, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");
  EXPECT_EQ(d.table_entries(), 1u);
  // Update to 0 evicts everything; then back to 4096.
  EXPECT_TRUE(decode(d, "20").empty());
  EXPECT_EQ(d.table_entries(), 0u);
  EXPECT_TRUE(decode(d, "3fe1 1f").empty());
  EXPECT_EQ(d.max_table_size(), 4096u);
  Fields out;
  bool too_large = false;
  // Above the advertised limit.
  EXPECT_FALSE(d.decode(unhex("3fe2 1f"), 1 << 20, &out, &too_large).ok());
  // After a header field.
  EXPECT_FALSE(d.decode(unhex("8220"), 1 << 20, &out, &too_large).ok());
}

TEST(HpackDecoder, Errors) {
  HpackDecoder d;
  Fields out;
  bool too_large = false;
  EXPECT_FALSE(d.decode(unhex("80"), 1 << 20, &out, &too_large).ok());  // index 0
  EXPECT_FALSE(d.decode(unhex("be"), 1 << 20, &out, &too_large).ok());  // index 62, empty table
  EXPECT_FALSE(d.decode(unhex("0405 2f61"), 1 << 20, &out, &too_large).ok());  // string overrun
  EXPECT_FALSE(d.decode(unhex("4085 ffff ffff ff00"), 1 << 20, &out, &too_large).ok());
}

TEST(HpackDecoder, ListSizeLimitKeepsTableInSync) {
  HpackDecoder d;
  Fields out;
  bool too_large = false;
  // custom-key: custom-header is 55 bytes by the §4.1 rule; the limit is 40.
  std::string block = unhex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");
  ASSERT_TRUE(d.decode(block, 40, &out, &too_large).ok());
  EXPECT_TRUE(too_large);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(d.table_entries(), 1u);  // still indexed
}

TEST(HpackEncoder, RoundTrip) {
  Fields in = {{":status", "200"},
               {"content-type", "application/grpc"},
               {"grpc-status", "0"},
               {"grpc-message", std::string(300, 'x')},
               {":status", "431"}};
  std::string block;
  HpackEncoder::encode(in, &block);
  EXPECT_EQ(static_cast<uint8_t>(block[0]), 0x88);  // static index 8
  HpackDecoder d;
  Fields out;
  bool too_large = false;
  ASSERT_TRUE(d.decode(block, 1 << 20, &out, &too_large).ok());
  EXPECT_EQ(out, in);
  EXPECT_EQ(d.table_entries(), 0u);  // never indexed by the encoder
}

}  // namespace
}  // namespace opsight::http2
