// Request-body limits over real HTTP: refusals come from the headers, before the body is read
// (common/http_body_guard.h says why httplib 0.11 needs this).
#include <gtest/gtest.h>
#include <zlib.h>

#include "api/api_test_util.h"
#include "common/http_body_guard.h"
#include "common/json_depth.h"
#include "common/raw_http_test_util.h"

namespace spotkeeper::api::testing {
namespace {

using spotkeeper::testing::RawHttpResult;
using spotkeeper::testing::SendRaw;

constexpr size_t kMiB = 1 << 20;  // the server's default max_body_bytes

std::string Head(const std::string& method, const std::string& path, const std::string& extra) {
  return method + " " + path +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + extra + "\r\n";
}

nlohmann::json Json(const RawHttpResult& r) {
  return nlohmann::json::parse(r.body(), nullptr, false);
}

class ApiLimitsTest : public ::testing::Test {
 protected:
  FakeWorld world_;
  TempDir dir_;
  TestServer server_{&world_, dir_.path()};
  std::string Bearer() const { return "Authorization: Bearer " + server_.token() + "\r\n"; }
};

TEST_F(ApiLimitsTest, ChunkedBodyWithoutTokenIsRefusedBeforeItIsRead) {
  // 64 MiB offered; the 401 must come back after the headers, not after the body.
  RawHttpResult r =
      SendRaw(server_.port(), Head("POST", "/api/v1/group", "Transfer-Encoding: chunked\r\n"),
              64 * kMiB, /*chunked=*/true);
  ASSERT_EQ(r.status(), 401) << r.response;
  EXPECT_LT(r.body_sent, 16 * kMiB) << "the server read the body before refusing";
  EXPECT_EQ(Json(r)["code"], "Unauthenticated") << r.body();
  EXPECT_TRUE(r.closed) << "the unread body must not be parsed as the next request";
  // A wrong token is refused the same way.
  r = SendRaw(server_.port(),
              Head("PUT", "/api/v1/group/x",
                   "Authorization: Bearer nope\r\nTransfer-Encoding: chunked\r\n"),
              64 * kMiB, true);
  EXPECT_EQ(r.status(), 401) << r.response;
  EXPECT_LT(r.body_sent, 16 * kMiB);
}

TEST_F(ApiLimitsTest, OversizedContentLengthGets413FromTheHeaders) {
  RawHttpResult r = SendRaw(
      server_.port(), Head("POST", "/api/v1/group", Bearer() + "Content-Length: 67108864\r\n"),
      64 * kMiB, false);
  ASSERT_EQ(r.status(), 413) << r.response;
  // httplib's own cap would drain all 64 MiB before answering.
  EXPECT_LT(r.body_sent, 16 * kMiB);
  auto j = Json(r);
  EXPECT_EQ(j["code"], "PayloadTooLarge") << r.body();
  EXPECT_EQ(j["details"]["maxBytes"], kMiB);
  EXPECT_NE(j["message"].get<std::string>().find(std::to_string(kMiB)), std::string::npos);
  EXPECT_TRUE(r.closed);
  // Slightly over the cap (at most 8x): read, thrown away, and answered on a kept connection,
  // so a client still writing its body reads the 413 instead of a reset.
  r = SendRaw(server_.port(),
              Head("POST", "/api/v1/group",
                   Bearer() + "Content-Length: " + std::to_string(2 * kMiB) + "\r\n"),
              2 * kMiB, false);
  EXPECT_EQ(r.status(), 413) << r.response;
  EXPECT_EQ(r.body_sent, 2 * kMiB);
  EXPECT_FALSE(r.closed);
  // Without a token it is a 401 first: limits are not revealed to strangers.
  r = SendRaw(server_.port(), Head("POST", "/api/v1/group", "Content-Length: 67108864\r\n"), 0,
              false);
  EXPECT_EQ(r.status(), 401) << r.response;
}

TEST_F(ApiLimitsTest, OversizedChunkedBodyWithTokenGets413AtTheCap) {
  RawHttpResult r = SendRaw(
      server_.port(), Head("POST", "/api/v1/group", Bearer() + "Transfer-Encoding: chunked\r\n"),
      64 * kMiB, true);
  ASSERT_EQ(r.status(), 413) << r.response;
  EXPECT_LT(r.body_sent, 16 * kMiB) << "reading went on past the cap";
  EXPECT_EQ(Json(r)["code"], "PayloadTooLarge");
  EXPECT_TRUE(r.closed);
}

TEST_F(ApiLimitsTest, SmallChunkedAndLengthlessBodiesStillWork) {
  // A chunked body under the cap reaches the handler (here: not JSON, so 400 from the route).
  RawHttpResult r = SendRaw(
      server_.port(), Head("POST", "/api/v1/group", Bearer() + "Transfer-Encoding: chunked\r\n"),
      1000, true);
  EXPECT_EQ(r.status(), 400) << r.response;
  EXPECT_NE(Json(r)["code"], "PayloadTooLarge");
  // No Content-Length and no Transfer-Encoding: an empty body (RFC 9112), answered at once
  // (httplib 0.11 alone reads such a body until the client closes).
  r = SendRaw(server_.port(), Head("POST", "/api/v1/group", Bearer()), 0, false);
  EXPECT_EQ(r.status(), 400) << r.response;
  EXPECT_FALSE(r.closed) << "an ordinary error keeps the connection";
  // And the usual client path is untouched.
  EXPECT_EQ(server_.Get("/api/v1/group").status, 200);
}

TEST_F(ApiLimitsTest, CompressedBodiesAreRefusedWith415) {
  // 4 MiB of JSON-ish bytes that gzip to a few KiB: httplib 0.11 would inflate it whole.
  std::string raw(4 * kMiB, ' ');
  uLongf cap = compressBound(raw.size());
  std::string z(cap, '\0');
  z_stream zs{};
  ASSERT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = reinterpret_cast<Bytef*>(z.data());
  zs.avail_out = static_cast<uInt>(cap);
  ASSERT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  z.resize(zs.total_out);
  deflateEnd(&zs);
  ASSERT_LT(z.size(), kMiB);
  httplib::Client c("127.0.0.1", server_.port());
  auto res = c.Post("/api/v1/group",
                    {{"Authorization", "Bearer " + server_.token()}, {"Content-Encoding", "gzip"}},
                    z, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415) << res->body;
  auto j = nlohmann::json::parse(res->body);
  EXPECT_EQ(j["code"], "UnsupportedMediaType");
  EXPECT_NE(j["message"].get<std::string>().find("gzip"), std::string::npos);
}

// `n` headers "X-Pad-i: v".
std::string Pad(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += "X-Pad-" + std::to_string(i) + ": v\r\n";
  return out;
}

TEST_F(ApiLimitsTest, TooManyHeadersGet431NamingTheLimit) {
  // Head() and Bearer() add Host, Content-Type and Authorization; Content-Length is the 4th.
  const std::string length = "Content-Length: 0\r\n";
  RawHttpResult ok =
      SendRaw(server_.port(),
              Head("GET", "/api/v1/group", Bearer() + length + Pad(http::kMaxRequestHeaders - 4)),
              0, false);
  EXPECT_EQ(ok.status(), 200) << ok.response;
  RawHttpResult r =
      SendRaw(server_.port(),
              Head("GET", "/api/v1/group", Bearer() + length + Pad(http::kMaxRequestHeaders - 3)),
              0, false);
  ASSERT_EQ(r.status(), 431) << r.response;
  EXPECT_EQ(Json(r)["code"], "RequestHeaderFieldsTooLarge");
  EXPECT_EQ(Json(r)["details"]["limit"], "headers");
  EXPECT_EQ(Json(r)["details"]["max"], http::kMaxRequestHeaders);
}

TEST_F(ApiLimitsTest, TooManyQueryParametersGet400NamingTheLimit) {
  std::string query = "/api/v1/events?limit=1";
  for (int i = 0; i < 31; ++i) query += "&p" + std::to_string(i) + "=1";
  EXPECT_EQ(SendRaw(server_.port(), Head("GET", query, Bearer()), 0, false).status(), 200);
  RawHttpResult r = SendRaw(server_.port(), Head("GET", query + "&one=more", Bearer()), 0, false);
  ASSERT_EQ(r.status(), 400) << r.response;
  EXPECT_EQ(Json(r)["code"], "InvalidArgument");
  EXPECT_EQ(Json(r)["details"]["limit"], "queryParameters");
  EXPECT_EQ(Json(r)["details"]["max"], 32);
}

TEST_F(ApiLimitsTest, DeeplyNestedJsonBodiesGet400NamingTheLimit) {
  std::string deep = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  Reply r = server_.Call("POST", "/api/v1/import", R"({"instanceId":)" + deep + "}");
  ASSERT_EQ(r.status, 400) << r.Dump();
  EXPECT_EQ(r.json["code"], "InvalidArgument");
  EXPECT_NE(r.json["message"].get<std::string>().find("deeper than 64"), std::string::npos);
  // Within the limit the body is read, and refused for what it says, not for its depth.
  std::string shallow = std::string(8, '[') + std::string(8, ']');
  r = server_.Call("POST", "/api/v1/import", R"({"instanceId":)" + shallow + "}");
  EXPECT_EQ(r.status, 400) << r.Dump();
  EXPECT_EQ(r.json["message"].get<std::string>().find("deeper"), std::string::npos) << r.Dump();
}

TEST_F(ApiLimitsTest, OpenRoutesNeedNoTokenAndBodyLimitsComeBeforeRouteLookup) {
  EXPECT_EQ(server_.Call("GET", "/healthz", "", "", false).status, 200);
  // /healthz has no POST route: without the token that is a 401, like any unknown route;
  // with it, the oversized body is refused before the route is looked up.
  RawHttpResult r =
      SendRaw(server_.port(), Head("POST", "/healthz", "Content-Length: 67108864\r\n"), 0, false);
  EXPECT_EQ(r.status(), 401) << r.response;
  r = SendRaw(server_.port(), Head("POST", "/healthz", Bearer() + "Content-Length: 67108864\r\n"),
              0, false);
  EXPECT_EQ(r.status(), 413) << r.response;
}

TEST(TokensEqualTest, ComparesWholeStrings) {
  EXPECT_TRUE(TokensEqual("abc", "abc"));
  EXPECT_FALSE(TokensEqual("abc", "abd"));
  EXPECT_FALSE(TokensEqual("abc", "ab"));
  EXPECT_FALSE(TokensEqual("", "a"));
}

}  // namespace
}  // namespace spotkeeper::api::testing
