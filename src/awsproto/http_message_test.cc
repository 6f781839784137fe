#include "awsproto/http_message.h"

#include <gtest/gtest.h>

#include "awsproto/uri_encode.h"

namespace spotkeeper::aws {
namespace {

TEST(UriEncodeTest, UnreservedKeptEverythingElseEncoded) {
  EXPECT_EQ(UriEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(UriEncode("a b+c/d=e&f"), "a%20b%2Bc%2Fd%3De%26f");
  EXPECT_EQ(UriEncode("/a b/c", /*encode_slash=*/false), "/a%20b/c");
  EXPECT_EQ(UriEncode("\xe1\x88\xb4"), "%E1%88%B4");
}

TEST(UriEncodeTest, DecodeHandlesPlusAndErrors) {
  EXPECT_EQ(*UriDecode("a%20b+c", /*plus_as_space=*/true), "a b c");
  EXPECT_EQ(*UriDecode("a%20b+c", /*plus_as_space=*/false), "a b+c");
  EXPECT_EQ(*UriDecode("%e1%88%B4", false), "\xe1\x88\xb4");
  EXPECT_FALSE(UriDecode("%4", false).ok());
  EXPECT_FALSE(UriDecode("%zz", false).ok());
  EXPECT_FALSE(UriDecode("abc%", false).ok());
}

TEST(UrlTest, ParsesHostPortPathQuery) {
  auto u = ParseUrl("http://127.0.0.1:5000/123/q?Action=X&b=%20");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->scheme, "http");
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 5000);
  EXPECT_EQ(u->path, "/123/q");
  EXPECT_EQ(u->query, "Action=X&b=%20");
  EXPECT_EQ(u->Authority(), "127.0.0.1:5000");
  EXPECT_EQ(u->Origin(), "http://127.0.0.1:5000");
}

TEST(UrlTest, DefaultPortsAndEmptyPath) {
  auto u = ParseUrl("https://ec2.us-east-1.amazonaws.com");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->path, "/");
  EXPECT_EQ(u->Authority(), "ec2.us-east-1.amazonaws.com");
  EXPECT_EQ(ParseUrl("https://h:443/")->Authority(), "h");
  EXPECT_EQ(ParseUrl("http://[::1]:8080/")->host, "[::1]");
  EXPECT_EQ(ParseUrl("http://[::1]:8080/")->port, 8080);
}

TEST(UrlTest, RejectsNonHttp) {
  EXPECT_FALSE(ParseUrl("ftp://x/").ok());
  EXPECT_FALSE(ParseUrl("no-scheme").ok());
  EXPECT_FALSE(ParseUrl("http://:80/").ok());
  EXPECT_FALSE(ParseUrl("http://h:99999/").ok());
  EXPECT_FALSE(ParseUrl("http://user:pw@h/").ok());
}

TEST(HeaderTest, FindAndSetAreCaseInsensitive) {
  HeaderList h = {{"Content-Type", "a"}, {"X-Amz-Date", "b"}};
  EXPECT_EQ(FindHeader(h, "content-type"), "a");
  EXPECT_EQ(FindHeader(h, "missing"), std::nullopt);
  SetHeader(h, "x-amz-date", "c");
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(FindHeader(h, "X-AMZ-DATE"), "c");
}

}  // namespace
}  // namespace spotkeeper::aws
