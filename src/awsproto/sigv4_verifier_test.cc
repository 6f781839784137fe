#include "awsproto/sigv4_verifier.h"

#include <gtest/gtest.h>

#include "awsproto/sigv4.h"

namespace spotkeeper::aws {
namespace {

const Time kNow = *ParseTime("2026-02-01T10:00:00Z");

Credentials Keys() {
  Credentials c;
  c.access_key_id = "AKIDLOCAL";
  c.secret_access_key = "local-secret-key";
  return c;
}

std::optional<std::string> Lookup(const std::string& key) {
  if (key == "AKIDLOCAL") return std::string("local-secret-key");
  return std::nullopt;
}

HttpRequest Signed(Time at = kNow, Credentials c = Keys()) {
  HttpRequest r{"POST",
                "http://127.0.0.1:8773/",
                {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
                "Action=DescribeVolumes&Version=2016-11-15",
                {}};
  Status s = Sigv4Signer("us-east-1", "ec2").Sign(r, c, at);
  EXPECT_TRUE(s.ok());
  return r;
}

TEST(Sigv4VerifierTest, AcceptsWhatTheSignerSigned) {
  auto v = VerifySigv4(Signed(), Lookup, kNow, {"us-east-1", "ec2"});
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->access_key_id, "AKIDLOCAL");
  EXPECT_EQ(v->region, "us-east-1");
  EXPECT_EQ(v->service, "ec2");
  EXPECT_EQ(v->signed_at, kNow - (kNow.time_since_epoch() % std::chrono::seconds(1)));
}

TEST(Sigv4VerifierTest, ReturnsTheSessionToken) {
  Credentials c = Keys();
  c.session_token = "tok";
  auto v = VerifySigv4(Signed(kNow, c), Lookup, kNow);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->session_token, "tok");
}

TEST(Sigv4VerifierTest, MissingSignature) {
  HttpRequest r{"POST", "http://127.0.0.1:8773/", {{"Host", "127.0.0.1:8773"}}, "Action=X", {}};
  auto v = VerifySigv4(r, Lookup, kNow);
  EXPECT_EQ(v.status().code(), Code::kUnauthenticated);
  EXPECT_EQ(v.status().cloud_code(), "MissingAuthenticationToken");
}

TEST(Sigv4VerifierTest, UnknownKeyIsAuthFailure) {
  Credentials c = Keys();
  c.access_key_id = "AKIDOTHER";
  auto v = VerifySigv4(Signed(kNow, c), Lookup, kNow);
  EXPECT_EQ(v.status().cloud_code(), "AuthFailure");
}

TEST(Sigv4VerifierTest, WrongSecretIsSignatureDoesNotMatch) {
  Credentials c = Keys();
  c.secret_access_key = "wrong-secret";
  auto v = VerifySigv4(Signed(kNow, c), Lookup, kNow);
  EXPECT_EQ(v.status().cloud_code(), "SignatureDoesNotMatch");
  EXPECT_EQ(v.status().message().find("local-secret-key"), std::string::npos);
}

TEST(Sigv4VerifierTest, TamperedBodyHeaderOrQueryIsRejected) {
  HttpRequest body = Signed();
  body.body += "&Extra=1";
  EXPECT_EQ(VerifySigv4(body, Lookup, kNow).status().cloud_code(), "SignatureDoesNotMatch");
  HttpRequest header = Signed();
  SetHeader(header.headers, "Content-Type", "text/plain");
  EXPECT_EQ(VerifySigv4(header, Lookup, kNow).status().cloud_code(), "SignatureDoesNotMatch");
  HttpRequest query = Signed();
  query.url += "?a=b";
  EXPECT_EQ(VerifySigv4(query, Lookup, kNow).status().cloud_code(), "SignatureDoesNotMatch");
  // An unsigned header added later does not matter.
  HttpRequest extra = Signed();
  extra.headers.emplace_back("User-Agent", "curl");
  extra.headers.emplace_back("Accept", "*/*");
  EXPECT_TRUE(VerifySigv4(extra, Lookup, kNow).ok());
}

TEST(Sigv4VerifierTest, SkewBeyondFiveMinutesIsRequestExpired) {
  using std::chrono::minutes;
  using std::chrono::seconds;
  EXPECT_TRUE(VerifySigv4(Signed(kNow - minutes(5)), Lookup, kNow).ok());
  EXPECT_TRUE(VerifySigv4(Signed(kNow + minutes(5)), Lookup, kNow).ok());
  EXPECT_EQ(VerifySigv4(Signed(kNow - minutes(5) - seconds(1)), Lookup, kNow).status().cloud_code(),
            "RequestExpired");
  EXPECT_EQ(VerifySigv4(Signed(kNow + minutes(6)), Lookup, kNow).status().cloud_code(),
            "RequestExpired");
  VerifyOptions lenient;
  lenient.max_skew = minutes(15);
  EXPECT_TRUE(VerifySigv4(Signed(kNow - minutes(14)), Lookup, kNow, lenient).ok());
}

TEST(Sigv4VerifierTest, ScopeMustMatchEndpoint) {
  auto v = VerifySigv4(Signed(), Lookup, kNow, {"eu-west-1", "ec2"});
  EXPECT_EQ(v.status().cloud_code(), "SignatureDoesNotMatch");
  v = VerifySigv4(Signed(), Lookup, kNow, {"", "sqs"});
  EXPECT_EQ(v.status().cloud_code(), "SignatureDoesNotMatch");
}

TEST(Sigv4VerifierTest, MalformedAuthorization) {
  HttpRequest r = Signed();
  SetHeader(r.headers, "Authorization", "AWS4-HMAC-SHA256 Credential=AKIDLOCAL/x");
  EXPECT_EQ(VerifySigv4(r, Lookup, kNow).status().cloud_code(), "IncompleteSignature");
  SetHeader(r.headers, "Authorization", "Basic dXNlcjpwdw==");
  EXPECT_EQ(VerifySigv4(r, Lookup, kNow).status().cloud_code(), "IncompleteSignature");
  HttpRequest no_date = Signed();
  std::erase_if(no_date.headers, [](const auto& h) { return h.first == "X-Amz-Date"; });
  EXPECT_EQ(VerifySigv4(no_date, Lookup, kNow).status().cloud_code(), "IncompleteSignature");
}

TEST(Sigv4VerifierTest, PresignedUrlVerifiesUntilItExpires) {
  HttpRequest r{
      "GET", "http://127.0.0.1:8773/?Action=DescribeRegions&Version=2016-11-15", {}, "", {}};
  ASSERT_TRUE(
      Sigv4Signer("us-east-1", "ec2").Presign(r, Keys(), kNow, std::chrono::seconds(60)).ok());
  EXPECT_NE(r.url.find("X-Amz-Signature="), std::string::npos);
  EXPECT_TRUE(VerifySigv4(r, Lookup, kNow + std::chrono::seconds(60)).ok());
  EXPECT_EQ(VerifySigv4(r, Lookup, kNow + std::chrono::seconds(61)).status().cloud_code(),
            "RequestExpired");
  HttpRequest tampered = r;
  tampered.url.replace(tampered.url.find("DescribeRegions"), 15, "DescribeVolumes");
  EXPECT_EQ(VerifySigv4(tampered, Lookup, kNow).status().cloud_code(), "SignatureDoesNotMatch");
}

TEST(Sigv4VerifierTest, PresignedUrlWithAFragmentBeforeThePathVerifies) {
  // Found by fuzz/sigv4_verify (corpus: found-presign-fragment.req): the fragment was cut after
  // the URL was parsed, so a '#' before "/?Action=..." left the parsed query behind and the
  // signature parameters were appended with '&' to a URL without '?'.
  HttpRequest r{"GET", "https://example.com#x/?Action=DescribeRegions", {}, "", {}};
  ASSERT_TRUE(
      Sigv4Signer("us-east-1", "ec2").Presign(r, Keys(), kNow, std::chrono::seconds(60)).ok());
  EXPECT_EQ(r.url.rfind("https://example.com?X-Amz-Algorithm=", 0), 0u) << r.url;
  EXPECT_TRUE(VerifySigv4(r, Lookup, kNow).ok());
}

}  // namespace
}  // namespace spotkeeper::aws
