// SigV4 verification against the published AWS Signature Version 4 test suite
// (docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html: credentials AKIDEXAMPLE,
// 20150830T123600Z, us-east-1, service "service", host example.amazonaws.com), plus the refusals.
#include "auth/sigv4.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/sha256.h"

namespace opsight::auth {
namespace {

constexpr std::string_view kKeyId = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kDate = "20150830T123600Z";
constexpr std::string_view kScope =
    "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";

using Headers = std::vector<std::pair<std::string, std::string>>;

int64_t suite_now() {
  return *parse_amz_date(kDate);
}

KeyResolver resolver() {
  return [](std::string_view id) -> Result<ResolvedKey> {
    if (id == kKeyId) return ResolvedKey{"123456789012", std::string(kSecret)};
    return Status::not_found("no such key");
  };
}

struct Case {
  std::string method = "GET";
  std::string path = "/";
  std::string query;
  Headers headers = {{"host", "example.amazonaws.com"}, {"x-amz-date", std::string(kDate)}};
  std::string body;

  SigV4Request request() const {
    SigV4Request r;
    r.method = method;
    r.raw_path = path;
    r.raw_query = query;
    r.headers = &headers;
    r.body = body;
    return r;
  }
  void authorize(std::string_view signed_headers, std::string_view signature) {
    headers.emplace_back("authorization", std::string("AWS4-HMAC-SHA256 ") + std::string(kScope) +
                                              ", SignedHeaders=" + std::string(signed_headers) +
                                              ", Signature=" + std::string(signature));
  }
};

Result<SigV4Identity> verify(const Case& c, int64_t now = suite_now()) {
  return verify_sigv4(c.request(), now, resolver());
}

std::string code_of(const Status& s) {
  return s.message().substr(0, s.message().find(':'));
}

// The suite's published Authorization headers must verify, and signing the same request must
// reproduce them.
void expect_suite_case(Case c, std::string_view signed_headers, std::string_view signature) {
  EXPECT_EQ(sign_sigv4_header(c.request(), kKeyId, kSecret, kDate, "us-east-1", "service"),
            std::string("AWS4-HMAC-SHA256 ") + std::string(kScope) + ", SignedHeaders=" +
                std::string(signed_headers) + ", Signature=" + std::string(signature));
  c.authorize(signed_headers, signature);
  auto id = verify(c);
  ASSERT_TRUE(id.ok()) << id.status().to_string();
  EXPECT_EQ(id->account, "123456789012");
  EXPECT_EQ(id->access_key_id, kKeyId);
  EXPECT_EQ(id->region, "us-east-1");
  EXPECT_EQ(id->service, "service");
  EXPECT_FALSE(id->presigned);
}

TEST(SigV4SuiteTest, GetVanilla) {
  expect_suite_case(Case{}, "host;x-amz-date",
                    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4SuiteTest, PostVanilla) {
  Case c;
  c.method = "POST";
  expect_suite_case(c, "host;x-amz-date",
                    "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST(SigV4SuiteTest, GetVanillaQueryOrderKeyCase) {
  Case c;
  c.query = "Param2=value2&Param1=value1";
  expect_suite_case(c, "host;x-amz-date",
                    "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4SuiteTest, GetHeaderValueTrim) {
  Case c;
  c.headers.emplace_back("my-header1", " value1");
  c.headers.emplace_back("my-header2", "\"a   b   c\"");
  expect_suite_case(c, "host;my-header1;my-header2;x-amz-date",
                    "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
}

TEST(SigV4SuiteTest, PostHeaderValueCase) {
  Case c;
  c.method = "POST";
  c.headers.emplace_back("my-header1", "VALUE1");
  expect_suite_case(c, "host;my-header1;x-amz-date",
                    "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d");
}

TEST(SigV4SuiteTest, PostXWwwFormUrlencoded) {
  Case c;
  c.method = "POST";
  c.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
  c.body = "Param1=value1";
  expect_suite_case(c, "content-type;host;x-amz-date",
                    "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

TEST(SigV4CanonicalTest, UriAndQueryEncoding) {
  EXPECT_EQ(canonical_uri(""), "/");
  EXPECT_EQ(canonical_uri("/example/$delete"), "/example/%24delete");
  // The received path is already encoded once; non-S3 services encode it again.
  EXPECT_EQ(canonical_uri("/a%20b/c"), "/a%2520b/c");
  EXPECT_EQ(canonical_uri("/example/../x/./y//z/"), "/x/y/z/");
  EXPECT_EQ(canonical_query("b=2&a=1&a=0&c"), "a=0&a=1&b=2&c=");
  EXPECT_EQ(canonical_query("k=a%20b+c&%E1%88%B4=v"), "%E1%88%B4=v&k=a%20b%2Bc");
  EXPECT_EQ(canonical_query("X-Amz-Signature=ff&a=1", "X-Amz-Signature"), "a=1");
}

TEST(SigV4DateTest, FormatsAndParses) {
  EXPECT_EQ(format_amz_date(suite_now()), kDate);
  EXPECT_EQ(*parse_amz_date("19700101T000000Z"), 0);
  EXPECT_FALSE(parse_amz_date("2015-08-30T12:36:00Z").ok());
  EXPECT_FALSE(parse_amz_date("20151330T123600Z").ok());
}

// A request signed now with the suite key, for the refusal tests.
Case signed_post(std::string body) {
  Case c;
  c.method = "POST";
  c.body = std::move(body);
  c.headers.emplace_back("content-type", "application/json");
  c.headers.emplace_back("authorization", sign_sigv4_header(c.request(), kKeyId, kSecret, kDate,
                                                            "us-east-1", "service"));
  return c;
}

TEST(SigV4VerifyTest, RefusalsCarryDistinctCodes) {
  {
    Case c;  // no Authorization header
    auto r = verify(c);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kUnauthenticated);
    EXPECT_EQ(code_of(r.status()), kMissingAuthenticationToken);
  }
  {
    Case c = signed_post("{}");
    c.headers.back().second = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1";
    EXPECT_EQ(code_of(verify(c).status()), kIncompleteSignature);
    c.headers.back().second = "AWS HMAC Credential=x";
    EXPECT_EQ(code_of(verify(c).status()), kIncompleteSignature);
  }
  {
    Case c = signed_post("{}");
    const size_t p = c.headers.back().second.find("AKIDEXAMPLE");
    c.headers.back().second.replace(p, 11, "AKIDUNKNOWN");
    EXPECT_EQ(code_of(verify(c).status()), kInvalidClientTokenId);
  }
  {
    Case c = signed_post("{\"a\":1}");
    c.body = "{\"a\":2}";  // tampered body
    EXPECT_EQ(code_of(verify(c).status()), kSignatureDoesNotMatch);
  }
  {
    Case c = signed_post("{}");
    EXPECT_EQ(code_of(verify(c, suite_now() + kMaxClockSkewMs + 1000).status()), kRequestExpired);
    EXPECT_EQ(code_of(verify(c, suite_now() - kMaxClockSkewMs - 1000).status()), kRequestExpired);
    EXPECT_TRUE(verify(c, suite_now() + kMaxClockSkewMs - 1000).ok());
    EXPECT_TRUE(verify(c, suite_now() - kMaxClockSkewMs + 1000).ok());
  }
}

TEST(SigV4VerifyTest, WrongSecretFailsWithoutLeaking) {
  Case c;
  c.method = "POST";
  c.body = "Action=ListMetrics";
  c.headers.emplace_back("authorization", sign_sigv4_header(c.request(), kKeyId, "not-the-secret",
                                                            kDate, "us-east-1", "service"));
  auto r = verify(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(code_of(r.status()), kSignatureDoesNotMatch);
  // Neither the secret nor the expected signature appears in the message.
  Case good = c;
  good.headers.pop_back();
  const std::string right =
      sign_sigv4_header(good.request(), kKeyId, kSecret, kDate, "us-east-1", "service");
  const std::string expected_sig = right.substr(right.size() - 64);
  EXPECT_EQ(r.status().message().find(kSecret), std::string::npos);
  EXPECT_EQ(r.status().message().find(expected_sig), std::string::npos);
  EXPECT_EQ(r.status().message().find("Action=ListMetrics"), std::string::npos);
}

TEST(SigV4VerifyTest, ContentSha256MustMatchBodyUnlessUnsigned) {
  Case c;
  c.method = "POST";
  c.body = "payload";
  c.headers.emplace_back("x-amz-content-sha256", sha256_hex("payload"));
  c.headers.emplace_back("authorization", sign_sigv4_header(c.request(), kKeyId, kSecret, kDate,
                                                            "us-east-1", "service"));
  EXPECT_TRUE(verify(c).ok());
  c.body = "tampered";
  EXPECT_EQ(code_of(verify(c).status()), kSignatureDoesNotMatch);

  Case u;
  u.method = "POST";
  u.body = "anything";
  u.headers.emplace_back("x-amz-content-sha256", std::string(kUnsignedPayload));
  u.headers.emplace_back("authorization", sign_sigv4_header(u.request(), kKeyId, kSecret, kDate,
                                                            "us-east-1", "service"));
  EXPECT_TRUE(verify(u).ok());
  u.body = "other";  // UNSIGNED-PAYLOAD: the body is not covered
  EXPECT_TRUE(verify(u).ok());
}

TEST(SigV4VerifyTest, SignedHeadersMustIncludeHostAndDate) {
  Case c;
  c.headers = {{"x-amz-date", std::string(kDate)}};
  c.headers.emplace_back("authorization", sign_sigv4_header(c.request(), kKeyId, kSecret, kDate,
                                                            "us-east-1", "service"));
  EXPECT_EQ(code_of(verify(c).status()), kIncompleteSignature);
}

TEST(SigV4VerifyTest, ScopeDateMustMatchRequestDate) {
  Case c;
  c.headers[1].second = "20150831T000100Z";
  c.authorize("host;x-amz-date", std::string(64, 'a'));
  auto r = verify(c, *parse_amz_date("20150831T000100Z"));
  EXPECT_EQ(code_of(r.status()), kSignatureDoesNotMatch);
}

TEST(SigV4VerifyTest, DateHeaderInsteadOfXAmzDate) {
  Case c;
  c.headers = {{"date", "Sun, 30 Aug 2015 12:36:00 GMT"}, {"host", "example.amazonaws.com"}};
  c.headers.emplace_back("authorization", sign_sigv4_header(c.request(), kKeyId, kSecret, kDate,
                                                            "us-east-1", "service"));
  EXPECT_TRUE(verify(c).ok()) << verify(c).status().to_string();
}

// Builds a presigned GET the way the query-string form documents it.
std::string presign(std::string_view expires, std::string_view secret = kSecret) {
  const std::string base =
      "Action=ListUsers&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830"
      "%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=" +
      std::string(expires) + "&X-Amz-SignedHeaders=host";
  const Headers headers = {{"host", "example.amazonaws.com"}};
  SigV4Request r;
  r.method = "GET";
  r.raw_path = "/";
  r.raw_query = base;
  r.headers = &headers;
  const std::string creq = canonical_request(r, "host", sha256_hex(""));
  const std::string sig =
      sigv4_signature(signing_key(secret, "20150830", "us-east-1", "service"),
                      string_to_sign(kDate, "20150830/us-east-1/service/aws4_request", creq));
  return base + "&X-Amz-Signature=" + sig;
}

TEST(SigV4PresignedTest, VerifiesAndExpires) {
  Case c;
  c.headers = {{"host", "example.amazonaws.com"}};
  c.query = presign("300");
  auto id = verify(c, suite_now() + 1000);
  ASSERT_TRUE(id.ok()) << id.status().to_string();
  EXPECT_TRUE(id->presigned);
  EXPECT_EQ(code_of(verify(c, suite_now() + 301'000).status()), kSignatureExpired);

  c.query = presign("300", "wrong");
  EXPECT_EQ(code_of(verify(c).status()), kSignatureDoesNotMatch);
  c.query = presign("604801");
  EXPECT_EQ(code_of(verify(c).status()), kIncompleteSignature);
}

TEST(SigV4VerifyTest, ResolverErrorsOtherThanNotFoundPassThrough) {
  Case c = signed_post("{}");
  auto r = verify_sigv4(c.request(), suite_now(), [](std::string_view) -> Result<ResolvedKey> {
    return Status::io_error("disk");
  });
  EXPECT_EQ(r.status().code(), Code::kIOError);
}

}  // namespace
}  // namespace opsight::auth
