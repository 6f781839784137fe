// / and /ui/{asset}: the dashboard's static files (api/dashboard_assets.h). They are served
// without the token: they are the same for every server and hold no data; every piece of data the
// dashboard shows comes from the API, with the token the login page asked for (docs/dashboard.md).
#include <httplib.h>

#include "api/api_routes.h"
#include "api/dashboard_assets.h"
#include "api/http_util.h"

namespace spotkeeper::api {
namespace {

// Scripts, styles and connections from this server only: no inline script, no third party, not
// framed, no referrer.
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const DashboardAsset* FindAsset(std::string_view name) {
  for (const DashboardAsset& a : DashboardAssets()) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

void SendAsset(httplib::Response& res, std::string_view name) {
  const DashboardAsset* a = FindAsset(name);
  if (a == nullptr) {
    return SendError(res, FromStatus(NotFound("the dashboard has no file '" + std::string(name) +
                                              "' (the dashboard is at /)")));
  }
  res.status = 200;
  res.set_header("Content-Security-Policy", kContentSecurityPolicy);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Frame-Options", "DENY");
  // Revalidate every time: after an upgrade the browser must not mix old and new files.
  res.set_header("Cache-Control", "no-cache");
  res.set_content(std::string(a->body), std::string(a->content_type));
}

}  // namespace

void AddDashboardRoutes(RouteTable& t) {
  t.Add({"GET",
         "/",
         false,
         {"dashboard",
          "The web dashboard (docs/dashboard.md)",
          "An HTML page that asks for the bearer token and then reads everything it shows from "
          "this API. No token needed for the page itself: it holds no data.",
          "dashboard",
          {},
          "",
          false,
          {},
          {{200, "The dashboard's page", "", "text/html"}}},
         [](const RouteRequest&, httplib::Response& res) { SendAsset(res, "index.html"); }});
  t.Add({"GET",
         "/ui/{asset}",
         false,
         {"dashboardAsset",
          "A script, style sheet or image of the dashboard",
          "Embedded in the binary. No token needed: the files hold no data.",
          "dashboard",
          {},
          "",
          false,
          {},
          {{200, "The file", "", "application/octet-stream"}}},
         [](const RouteRequest& req, httplib::Response& res) {
           SendAsset(res, req.Param("asset"));
         }});
}

}  // namespace spotkeeper::api
