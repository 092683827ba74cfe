#include "api/auth_gate.h"

#include <gtest/gtest.h>

#include "api/api_util.h"
#include "auth/sigv4.h"
#include "resources/account_links.h"
#include "testing/temp_dir.h"

namespace opsight::api {
namespace {

constexpr std::string_view kKeyId = "AKIAEXAMPLEKEY000001";
constexpr std::string_view kSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXg=";
constexpr int64_t kNow = 1'700'000'000'000;

auth::KeyResolver resolver() {
  return [](std::string_view id) -> Result<auth::ResolvedKey> {
    if (id == kKeyId) return auth::ResolvedKey{"111122223333", std::string(kSecret)};
    if (id == "AKIABROKENSTORE00000") return Status::corruption("record altered");
    return Status::not_found("unknown");
  };
}

class AuthGateTest : public ::testing::Test {
 protected:
  AuthGate gate(AuthMode mode) {
    AuthGateOptions o;
    o.mode = mode;
    o.region = "eu-west-1";
    o.clock = &clock_;
    o.resolver = resolver();
    return AuthGate(std::move(o));
  }
  // A POST as a client sends it, signed with `secret` under `key_id` when non-empty.
  HttpRequest request(std::string target, std::string content_type, std::string body,
                      std::string_view key_id = kKeyId, std::string_view secret = kSecret) {
    HttpRequest r;
    r.method = "POST";
    r.target = target;
    r.path = target.substr(0, target.find('?'));
    r.body = body;
    r.headers = {{"host", "127.0.0.1:4318"},
                 {"content-type", content_type},
                 {"x-amz-date", auth::format_amz_date(kNow)}};
    if (content_type == "application/x-www-form-urlencoded") parse_query(body, &r.params);
    if (!key_id.empty()) {
      auth::SigV4Request s;
      s.method = r.method;
      s.raw_path = r.path;
      s.headers = &r.headers;
      s.body = r.body;
      r.headers.emplace_back("authorization",
                             auth::sign_sigv4_header(s, key_id, secret, auth::format_amz_date(kNow),
                                                     "us-east-1", "monitoring"));
    }
    return r;
  }
  static std::string header(const HttpResponse& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }

  ManualClock clock_{kNow};
};

TEST_F(AuthGateTest, NoneActsForTheDefaultAccount) {
  auto g = gate(AuthMode::kNone);
  HttpRequest r = request("/", "application/json", "{}", "");
  r.account = "999999999999";  // never taken from the client
  EXPECT_FALSE(g.check(r).has_value());
  EXPECT_EQ(r.account, "000000000000");
  EXPECT_EQ(r.region, "eu-west-1");
}

TEST_F(AuthGateTest, SignedRequestActsForTheKeysAccount) {
  auto g = gate(AuthMode::kSigV4);
  HttpRequest r = request("/GetSamplingRules", "application/json", "{}");
  auto refused = g.check(r);
  ASSERT_FALSE(refused.has_value()) << refused->body;
  EXPECT_EQ(r.account, "111122223333");
  EXPECT_EQ(r.region, "eu-west-1");
}

TEST_F(AuthGateTest, HealthEndpointsNeedNoSignature) {
  auto g = gate(AuthMode::kSigV4);
  for (const char* path : {"/-/healthy", "/-/ready", "/healthz", "/readyz"}) {
    HttpRequest r = request(path, "text/plain", "", "");
    r.method = "GET";
    EXPECT_FALSE(g.check(r).has_value()) << path;
  }
  HttpRequest r = request("/metrics", "text/plain", "", "");
  EXPECT_TRUE(g.check(r).has_value());
}

TEST_F(AuthGateTest, JsonClientsGetJsonRefusals) {
  auto g = gate(AuthMode::kSigV4);
  HttpRequest r = request("/TraceSummaries", "application/json", "{}", "");
  auto resp = g.check(r);
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 403);
  EXPECT_EQ(header(*resp, "x-amzn-ErrorType"), "MissingAuthenticationToken");
  EXPECT_FALSE(header(*resp, "x-amzn-RequestId").empty());
  EXPECT_NE(resp->body.find("\"__type\":\"MissingAuthenticationToken\""), std::string::npos);
  EXPECT_TRUE(r.account.empty());

  HttpRequest unknown = request("/", "application/x-amz-json-1.1", "{}", "AKIAUNKNOWNKEY000000");
  unknown.headers.emplace_back("x-amz-target", "Logs_20140328.DescribeLogGroups");
  resp = g.check(unknown);
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 403);
  EXPECT_EQ(header(*resp, "x-amzn-ErrorType"), "UnrecognizedClientException");

  HttpRequest cw = request("/", "application/x-amz-json-1.0", "{}", kKeyId, "wrong secret");
  cw.headers.emplace_back("x-amz-target", "GraniteServiceVersion20100801.ListMetrics");
  resp = g.check(cw);
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(header(*resp, "x-amzn-ErrorType"), "SignatureDoesNotMatch");
  EXPECT_EQ(header(*resp, "x-amzn-query-error"), "SignatureDoesNotMatch;Sender");
  EXPECT_EQ(resp->body.find(kSecret), std::string::npos);
}

TEST_F(AuthGateTest, AwsQueryClientsGetXmlRefusals) {
  auto g = gate(AuthMode::kSigV4);
  HttpRequest r = request("/", "application/x-www-form-urlencoded",
                          "Action=ListMetrics&Version=2010-08-01", "AKIAUNKNOWNKEY000000");
  auto resp = g.check(r);
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 403);
  EXPECT_EQ(resp->content_type, "text/xml");
  EXPECT_NE(resp->body.find("<ErrorResponse"), std::string::npos);
  EXPECT_NE(resp->body.find("<Type>Sender</Type><Code>InvalidClientTokenId</Code>"),
            std::string::npos);
  EXPECT_NE(resp->body.find("<RequestId>" + header(*resp, "x-amzn-RequestId") + "</RequestId>"),
            std::string::npos);

  // A tampered form body fails even though the parsed parameters look fine.
  HttpRequest t =
      request("/", "application/x-www-form-urlencoded", "Action=ListMetrics&Version=2010-08-01");
  t.body = "Action=DeleteAlarms&Version=2010-08-01";
  resp = g.check(t);
  ASSERT_TRUE(resp.has_value());
  EXPECT_NE(resp->body.find("<Code>SignatureDoesNotMatch</Code>"), std::string::npos);
}

TEST_F(AuthGateTest, ExpiredAndStoreFailures) {
  auto g = gate(AuthMode::kSigV4);
  HttpRequest r = request("/GetSamplingRules", "application/json", "{}");
  clock_.advance_ms(20 * 60'000);
  auto resp = g.check(r);
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(header(*resp, "x-amzn-ErrorType"), "RequestExpired");
  clock_.set_ms(kNow);

  HttpRequest broken =
      request("/GetSamplingRules", "application/json", "{}", "AKIABROKENSTORE00000");
  resp = g.check(broken);
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 500);
}

TEST_F(AuthGateTest, SetsTheLinkedSourceAccounts) {
  testing::TempDir dir{"auth_gate_links"};
  auto meta = storage::meta::MetaStore::open(dir.file("meta.db"), &clock_);
  ASSERT_TRUE(meta.ok());
  resources::AccountLinks links(meta->get(), &clock_, 0);
  ASSERT_TRUE(links.link("111122223333", "444455556666").ok());
  ASSERT_TRUE(links.link("111122223333", "222233334444").ok());
  ASSERT_TRUE(links.link("999988887777", "111122223333").ok());  // 1111... is a source there

  AuthGateOptions o;
  o.mode = AuthMode::kSigV4;
  o.region = "eu-west-1";
  o.clock = &clock_;
  o.resolver = resolver();
  o.links = &links;
  AuthGate g(std::move(o));
  HttpRequest r = request("/GetSamplingRules", "application/json", "{}");
  r.linked_accounts = {"777777777777"};  // never taken from the client
  ASSERT_FALSE(g.check(r).has_value());
  EXPECT_EQ(r.account, "111122223333");
  EXPECT_EQ(r.linked_accounts, (std::vector<std::string>{"222233334444", "444455556666"}));
  auto tenants = request_tenants(r);
  ASSERT_EQ(tenants.size(), 3u);
  EXPECT_EQ(tenants[0], (storage::Tenant{"111122223333", "eu-west-1"}));
  EXPECT_EQ(tenants[1], (storage::Tenant{"222233334444", "eu-west-1"}));
  EXPECT_EQ(tenants[2], (storage::Tenant{"444455556666", "eu-west-1"}));

  // A refused request and a health check get no links.
  HttpRequest bad = request("/GetSamplingRules", "application/json", "{}", "");
  bad.linked_accounts = {"777777777777"};
  ASSERT_TRUE(g.check(bad).has_value());
  EXPECT_TRUE(bad.linked_accounts.empty());
  EXPECT_EQ(request_tenants(bad).size(), 1u);

  // Unlinking shows on the next request (this gate's links are uncached).
  ASSERT_TRUE(links.unlink("111122223333", "444455556666").ok());
  HttpRequest again = request("/GetSamplingRules", "application/json", "{}");
  ASSERT_FALSE(g.check(again).has_value());
  EXPECT_EQ(again.linked_accounts, (std::vector<std::string>{"222233334444"}));
}

TEST_F(AuthGateTest, NoLinksMeansOnlyTheOwnTenant) {
  auto g = gate(AuthMode::kSigV4);
  HttpRequest r = request("/GetSamplingRules", "application/json", "{}");
  ASSERT_FALSE(g.check(r).has_value());
  EXPECT_TRUE(r.linked_accounts.empty());
  auto tenants = request_tenants(r);
  ASSERT_EQ(tenants.size(), 1u);
  EXPECT_EQ(tenants[0], (storage::Tenant{"111122223333", "eu-west-1"}));
}

TEST(AuthModeTest, Parses) {
  EXPECT_EQ(*parse_auth_mode("none"), AuthMode::kNone);
  EXPECT_EQ(*parse_auth_mode("sigv4"), AuthMode::kSigV4);
  EXPECT_FALSE(parse_auth_mode("SigV4").ok());
}

}  // namespace
}  // namespace opsight::api
