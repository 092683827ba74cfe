#include "api/http/http.h"

#include <gtest/gtest.h>

namespace opsight::api {
namespace {

HttpRequest make(std::string method, std::string path) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

TEST(Router, ParamsWildcardsAndMethods) {
  Router router;
  router.add("GET", "/api/v1/label/:name/values", [](HttpRequest& r) {
    return HttpResponse::text(200, "values of " + r.path_params["name"]);
  });
  router.add("PUT,POST", "/metrics/job/*rest",
             [](HttpRequest& r) { return HttpResponse::text(200, r.path_params["rest"]); });
  auto req = make("GET", "/api/v1/label/job/values");
  EXPECT_EQ(router.dispatch(req).body, "values of job\n");
  req = make("POST", "/metrics/job/a/instance/b");
  EXPECT_EQ(router.dispatch(req).body, "/a/instance/b\n");
  req = make("DELETE", "/metrics/job/a");
  auto resp = router.dispatch(req);
  EXPECT_EQ(resp.status, 405);
  req = make("GET", "/nope");
  EXPECT_EQ(router.dispatch(req).status, 404);
  req = make("HEAD", "/api/v1/label/x/values");
  EXPECT_EQ(router.dispatch(req).status, 200);
}

TEST(ParseQuery, DecodesAndKeepsRepeats) {
  HttpRequest r;
  parse_query("match%5B%5D=up%7Bjob%3D%22a%22%7D&match[]=b&x=1+2&flag", &r.params);
  auto m = r.params_named("match[]");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0], "up{job=\"a\"}");
  EXPECT_EQ(r.param("x"), "1 2");
  EXPECT_TRUE(r.has_param("flag"));
  EXPECT_EQ(url_decode("%zz%4", false), "%zz%4");
}

}  // namespace
}  // namespace opsight::api
