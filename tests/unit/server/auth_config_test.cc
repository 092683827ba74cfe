// `auth:` / `region:` configuration and the loopback rule for `auth: none` (docs/auth.md).
#include <gtest/gtest.h>

#include "server/config.h"

namespace opsight::server {
namespace {

TEST(AuthConfigTest, ParsesAuthAndRegion) {
  ServerConfig cfg;
  EXPECT_EQ(cfg.auth, api::AuthMode::kNone);
  EXPECT_EQ(cfg.region, "local");
  ASSERT_TRUE(parse_config_yaml("auth: sigv4\nregion: eu-west-1\n", &cfg).ok());
  EXPECT_EQ(cfg.auth, api::AuthMode::kSigV4);
  EXPECT_EQ(cfg.region, "eu-west-1");
  Status bad = parse_config_yaml("auth: basic\n", &cfg);
  EXPECT_EQ(bad.code(), Code::kInvalidArgument);
  EXPECT_NE(bad.message().find("auth"), std::string::npos);
  EXPECT_NE(bad.message().find("sigv4"), std::string::npos);
}

TEST(AuthConfigTest, NoneNeedsLoopbackListeners) {
  ServerConfig cfg;
  EXPECT_TRUE(check_auth_listeners(cfg).ok());  // the defaults are all loopback
  for (const char* ok : {"127.0.0.1:4318", "localhost:4318", "[::1]:4318", "127.0.0.2:0"}) {
    cfg.http.listen = ok;
    EXPECT_TRUE(check_auth_listeners(cfg).ok()) << ok;
  }
  for (const char* open : {"0.0.0.0:4318", ":4318", "10.1.2.3:4318", "[::]:4318"}) {
    cfg.http.listen = open;
    Status st = check_auth_listeners(cfg);
    EXPECT_EQ(st.code(), Code::kFailedPrecondition) << open;
    EXPECT_NE(st.message().find("http.listen"), std::string::npos);
    EXPECT_NE(st.message().find(open), std::string::npos);
    EXPECT_NE(st.message().find("127.0.0.1"), std::string::npos);  // the fixes
    EXPECT_NE(st.message().find("sigv4"), std::string::npos);
  }
  cfg.http.listen = "127.0.0.1:4318";
  cfg.syslog.udp_listen = "0.0.0.0:5514";
  EXPECT_NE(check_auth_listeners(cfg).message().find("syslog.udp_listen"), std::string::npos);
  cfg.syslog.udp_listen = "";
  cfg.xray.listen = "";  // off
  cfg.otlp_grpc.listen = "0.0.0.0:4317";
  EXPECT_NE(check_auth_listeners(cfg).message().find("otlp_grpc.listen"), std::string::npos);

  cfg.auth = api::AuthMode::kSigV4;  // signed requests may come from anywhere
  cfg.http.listen = "0.0.0.0:4318";
  EXPECT_TRUE(check_auth_listeners(cfg).ok());
}

TEST(AuthConfigTest, RegionMustLookLikeOne) {
  ServerConfig cfg;
  cfg.region = "us-east-1";
  EXPECT_TRUE(check_auth_listeners(cfg).ok());
  for (const char* bad : {"", "US-EAST-1", "us east", "a/b"}) {
    cfg.region = bad;
    EXPECT_EQ(check_auth_listeners(cfg).code(), Code::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace opsight::server
