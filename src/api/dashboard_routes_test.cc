// The dashboard's files: served without a token, with their content types and a strict content
// security policy; every file the page and its scripts load is embedded.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

#include "api/api_test_util.h"
#include "api/dashboard_assets.h"

namespace spotkeeper::api::testing {
namespace {

TEST(DashboardRoutesTest, PageAndFilesNeedNoTokenAndCarryTheirHeaders) {
  FakeWorld world;
  TempDir dir;
  TestServer server(&world, dir.path());
  Reply page = server.Call("GET", "/", "", "", false);
  ASSERT_EQ(page.status, 200) << page.Dump();
  EXPECT_EQ(page.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<title>spotkeeper</title>"), std::string::npos);
  EXPECT_NE(page.Header("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(page.Header("X-Frame-Options"), "DENY");
  EXPECT_EQ(page.Header("Cache-Control"), "no-cache");

  Reply js = server.Call("GET", "/ui/app.js", "", "", false);
  ASSERT_EQ(js.status, 200);
  EXPECT_EQ(js.Header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(server.Call("GET", "/ui/style.css", "", "", false).Header("Content-Type"),
            "text/css; charset=utf-8");

  Reply missing = server.Call("GET", "/ui/secrets.json", "", "", false);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json["code"], "NotFound");
  // Only the files are open: the data behind them still needs the token.
  EXPECT_EQ(server.Call("GET", "/api/v1/group", "", "", false).status, 401);
  EXPECT_EQ(server.Call("GET", "/ui", "", "", false).status, 401);
}

TEST(DashboardRoutesTest, EveryFileThePageLoadsIsEmbedded) {
  std::set<std::string> names;
  for (const DashboardAsset& a : DashboardAssets()) {
    EXPECT_FALSE(a.body.empty()) << a.name;
    names.insert(std::string(a.name));
  }
  // /ui/NAME in the page and in styles; ./NAME.js imports between modules.
  std::regex ui_ref("/ui/([A-Za-z0-9_.-]+)");
  std::regex import_ref("from '\\./([A-Za-z0-9_.-]+)'");
  size_t refs = 0;
  for (const DashboardAsset& a : DashboardAssets()) {
    std::string body(a.body);
    for (const std::regex* re : {&ui_ref, &import_ref}) {
      for (auto it = std::sregex_iterator(body.begin(), body.end(), *re);
           it != std::sregex_iterator(); ++it) {
        ++refs;
        EXPECT_TRUE(names.count((*it)[1].str())) << a.name << " loads " << (*it)[1];
      }
    }
  }
  EXPECT_GE(refs, 6u);  // the page's script, style and icon; app.js's and views.js's imports
}

}  // namespace
}  // namespace spotkeeper::api::testing
