// SigV4 against AWS's published test-suite vectors (testdata/sigv4).
#include "awsproto/sigv4.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "awsproto/crypto.h"

namespace spotkeeper::aws {
namespace {

const std::string kDir = std::string(SK_AWSPROTO_TESTDATA) + "/sigv4/";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Credentials SuiteCredentials() {
  Credentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  return c;
}

Time SuiteTime() { return *ParseAmzDate("20150830T123600Z"); }

// Parses a .req file: "METHOD TARGET HTTP/1.1", "Name:value" lines, blank line, body.
HttpRequest ParseReq(const std::string& text) {
  HttpRequest r;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  r.method = line.substr(0, sp1);
  std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string host;
  while (std::getline(in, line) && !line.empty()) {
    size_t colon = line.find(':');
    r.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    if (line.substr(0, colon) == "Host") host = line.substr(colon + 1);
  }
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  r.body = body;
  r.url = "https://" + host + target;
  return r;
}

std::vector<std::string> Cases() {
  std::vector<std::string> names;
  std::istringstream in(ReadFile(kDir + "CASES"));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) names.push_back(line);
  }
  return names;
}

TEST(Sigv4SuiteTest, CarriesTheSuite) {
  // Guards against an empty or unreadable testdata directory passing silently.
  EXPECT_GE(Cases().size(), 20u);
}

class Sigv4SuiteCase : public ::testing::TestWithParam<std::string> {};

TEST_P(Sigv4SuiteCase, AuthorizationMatchesPublishedValue) {
  const std::string name = GetParam();
  HttpRequest req = ParseReq(ReadFile(kDir + name + ".req"));
  std::string expected = ReadFile(kDir + name + ".authz");
  ASSERT_FALSE(expected.empty()) << name;
  Sigv4Signer signer("us-east-1", "service");
  ASSERT_TRUE(signer.Sign(req, SuiteCredentials(), SuiteTime()).ok());
  EXPECT_EQ(FindHeader(req.headers, "Authorization").value_or(""), expected) << name;
}

INSTANTIATE_TEST_SUITE_P(AwsSuite, Sigv4SuiteCase, ::testing::ValuesIn(Cases()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (c == '-') c = '_';
                           }
                           return n;
                         });

TEST(Sigv4Test, GetVanillaIntermediateSteps) {
  HttpRequest req = ParseReq(ReadFile(kDir + "get-vanilla.req"));
  auto parts = BuildCanonicalRequest(req, {}, Sha256Hex(""));
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::string scope = CredentialScope(SuiteTime(), "us-east-1", "service");
  EXPECT_EQ(scope, "20150830/us-east-1/service/aws4_request");
  EXPECT_EQ(StringToSign(SuiteTime(), scope, parts->canonical_request),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
}

TEST(Sigv4Test, CanonicalQueryStringSortsAndReencodes) {
  EXPECT_EQ(*CanonicalQueryString("b=2&a=1&a=0"), "a=0&a=1&b=2");
  EXPECT_EQ(*CanonicalQueryString("k=a b"), "k=a%20b");
  EXPECT_EQ(*CanonicalQueryString("k=a%20b&k2=%7e"), "k=a%20b&k2=~");
  EXPECT_EQ(*CanonicalQueryString("flag"), "flag=");
  EXPECT_EQ(*CanonicalQueryString("a=1&X-Amz-Signature=ff", "X-Amz-Signature"), "a=1");
  EXPECT_EQ(*CanonicalQueryString(""), "");
}

TEST(Sigv4Test, SessionTokenIsSignedAndSet) {
  HttpRequest req{"POST", "https://ec2.us-east-1.amazonaws.com/", {}, "Action=X", {}};
  Credentials c = SuiteCredentials();
  c.session_token = "TOKEN/+=";
  ASSERT_TRUE(Sigv4Signer("us-east-1", "ec2").Sign(req, c, SuiteTime()).ok());
  EXPECT_EQ(FindHeader(req.headers, "X-Amz-Security-Token"), "TOKEN/+=");
  EXPECT_EQ(FindHeader(req.headers, "Host"), "ec2.us-east-1.amazonaws.com");
  EXPECT_NE(FindHeader(req.headers, "Authorization")
                ->find("SignedHeaders=host;x-amz-date;"
                       "x-amz-security-token,"),
            std::string::npos);
}

TEST(Sigv4Test, UserAgentIsNotSigned) {
  HttpRequest req{"GET", "https://example.amazonaws.com/", {{"User-Agent", "x"}}, "", {}};
  ASSERT_TRUE(Sigv4Signer("us-east-1", "service").Sign(req, SuiteCredentials(), SuiteTime()).ok());
  EXPECT_EQ(*FindHeader(req.headers, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(Sigv4Test, RefusesToSignWithoutCredentials) {
  HttpRequest req{"GET", "https://example.amazonaws.com/", {}, "", {}};
  Status s = Sigv4Signer("us-east-1", "service").Sign(req, Credentials{}, SuiteTime());
  EXPECT_EQ(s.code(), Code::kUnauthenticated);
}

TEST(Sigv4Test, AmzDateRoundTrip) {
  Time t = SuiteTime();
  EXPECT_EQ(FormatAmzDate(t), "20150830T123600Z");
  EXPECT_EQ(FormatAmzDate(t + std::chrono::milliseconds(999)), "20150830T123600Z");
  EXPECT_FALSE(ParseAmzDate("2015-08-30T12:36:00Z").ok());
  EXPECT_FALSE(ParseAmzDate("20150830T1236000").ok());
}

}  // namespace
}  // namespace spotkeeper::aws
