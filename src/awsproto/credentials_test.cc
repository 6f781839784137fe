#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "awsproto/credentials_chain.h"
#include "awsproto/env_credentials_provider.h"
#include "awsproto/fake_http_client.h"
#include "awsproto/imds_credentials_provider.h"
#include "awsproto/profile_credentials_provider.h"

namespace spotkeeper::aws {
namespace {

namespace fs = std::filesystem;

EnvLookup MapEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/sk_creds_XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::string p = path_ + "/" + name;
    std::ofstream(p) << text;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(EnvCredentialsTest, ReadsKeysAndToken) {
  EnvCredentialsProvider p(MapEnv({{"AWS_ACCESS_KEY_ID", "AKID"},
                                   {"AWS_SECRET_ACCESS_KEY", "SECRET"},
                                   {"AWS_SESSION_TOKEN", "TOKEN"}}));
  auto c = p.Get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKID");
  EXPECT_EQ(c->secret_access_key, "SECRET");
  EXPECT_EQ(c->session_token, "TOKEN");
  EXPECT_EQ(c->source, "env");
}

TEST(EnvCredentialsTest, NotFoundWhenIncomplete) {
  EXPECT_EQ(EnvCredentialsProvider(MapEnv({{"AWS_ACCESS_KEY_ID", "AKID"}})).Get().status().code(),
            Code::kNotFound);
  EXPECT_EQ(EnvCredentialsProvider(MapEnv({})).Get().status().code(), Code::kNotFound);
}

TEST(IniTest, ParsesSectionsCommentsAndSpaces) {
  IniFile ini = ParseIni(
      "# comment\n[default]\naws_access_key_id = A1 \n; other\n[profile dev]\n"
      "region=eu-west-1\nempty =\n\n[ spaced ]\nk=v=w\n");
  EXPECT_EQ(ini["default"]["aws_access_key_id"], "A1");
  EXPECT_EQ(ini["profile dev"]["region"], "eu-west-1");
  EXPECT_EQ(ini["profile dev"]["empty"], "");
  EXPECT_EQ(ini["spaced"]["k"], "v=w");
}

class ProfileCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    creds_ = dir_.Write("credentials",
                        "[default]\naws_access_key_id=AKDEFAULT\naws_secret_access_key=SDEFAULT\n"
                        "[prod]\naws_access_key_id=AKPROD\naws_secret_access_key=SPROD\n"
                        "aws_session_token=TPROD\n");
    config_ = dir_.Write("config",
                         "[default]\nregion=us-east-1\n"
                         "[profile dev]\naws_access_key_id=AKDEV\naws_secret_access_key=SDEV\n"
                         "[profile prod]\naws_access_key_id=AKIGNORED\n"
                         "[profile assumed]\nrole_arn=arn:aws:iam::1:role/x\nsource_profile=dev\n");
  }
  EnvLookup Env(std::map<std::string, std::string> extra = {}) {
    extra["AWS_SHARED_CREDENTIALS_FILE"] = creds_;
    extra["AWS_CONFIG_FILE"] = config_;
    return MapEnv(extra);
  }
  TempDir dir_;
  std::string creds_, config_;
};

TEST_F(ProfileCredentialsTest, DefaultProfile) {
  auto c = ProfileCredentialsProvider("", Env()).Get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKDEFAULT");
  EXPECT_EQ(c->source, "profile default");
}

TEST_F(ProfileCredentialsTest, CredentialsFileWinsOverConfig) {
  auto c = ProfileCredentialsProvider("prod", Env()).Get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKPROD");
  EXPECT_EQ(c->session_token, "TPROD");
}

TEST_F(ProfileCredentialsTest, ConfigProfileSectionAndAwsProfileEnv) {
  auto c = ProfileCredentialsProvider("", Env({{"AWS_PROFILE", "dev"}})).Get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKDEV");
  // The explicit profile beats AWS_PROFILE.
  c = ProfileCredentialsProvider("prod", Env({{"AWS_PROFILE", "dev"}})).Get();
  EXPECT_EQ(c->access_key_id, "AKPROD");
}

TEST_F(ProfileCredentialsTest, MissingExplicitProfileIsAnError) {
  auto c = ProfileCredentialsProvider("nope", Env()).Get();
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_NE(c.status().message().find("nope"), std::string::npos);
}

TEST_F(ProfileCredentialsTest, RoleProfilesAreRefusedClearly) {
  auto c = ProfileCredentialsProvider("assumed", Env()).Get();
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_NE(c.status().message().find("role_arn"), std::string::npos);
}

TEST_F(ProfileCredentialsTest, NoFilesIsNotFound) {
  auto c = ProfileCredentialsProvider("", MapEnv({{"HOME", dir_.path() + "/nowhere"}})).Get();
  EXPECT_EQ(c.status().code(), Code::kNotFound);
}

TEST_F(ProfileCredentialsTest, CachesOnceFound) {
  ProfileCredentialsProvider p("", Env());
  ASSERT_TRUE(p.Get().ok());
  fs::remove(creds_);
  auto c = p.Get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKDEFAULT");
}

// A scripted IMDS on a FakeHttpClient.
class ImdsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    http_.SetHandler([this](const HttpRequest& r) -> Result<HttpResponse> {
      if (down_) return Status(Code::kUnavailable, "connection refused", kConnectionFailed);
      HttpResponse resp;
      resp.status = 404;
      if (r.method == "PUT" && r.url == "http://imds.test/latest/api/token") {
        if (FindHeader(r.headers, "X-aws-ec2-metadata-token-ttl-seconds")) {
          resp.status = 200;
          resp.body = "SESSION";
        } else {
          resp.status = 400;
        }
      } else if (FindHeader(r.headers, "X-aws-ec2-metadata-token") != "SESSION") {
        resp.status = 401;
      } else if (r.url == "http://imds.test/latest/meta-data/iam/security-credentials/") {
        if (!role_.empty()) {
          resp.status = 200;
          resp.body = role_ + "\n";
        }
      } else if (r.url == "http://imds.test/latest/meta-data/iam/security-credentials/" + role_) {
        resp.status = creds_status_;
        resp.body = R"({"Code":"Success","LastUpdated":"2026-01-01T00:00:00Z","Type":"AWS-HMAC",)"
                    R"("AccessKeyId":"ASIAROLE)" +
                    std::to_string(serial_) +
                    R"(","SecretAccessKey":"ROLESECRET","Token":"ROLETOKEN","Expiration":")" +
                    FormatTime(expiration_) + R"("})";
      }
      return resp;
    });
  }
  ImdsCredentialsProvider Provider() {
    ImdsOptions o;
    o.endpoint = "http://imds.test/";
    return ImdsCredentialsProvider(&http_, &clock_, o);
  }

  FakeHttpClient http_;
  FakeClock clock_;
  std::string role_ = "spotkeeper-role";
  int creds_status_ = 200;
  int serial_ = 1;
  bool down_ = false;
  Time expiration_ = clock_.Now() + std::chrono::hours(6);
};

TEST_F(ImdsTest, FetchesRoleCredentialsWithSessionToken) {
  auto p = Provider();
  auto c = p.Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "ASIAROLE1");
  EXPECT_EQ(c->secret_access_key, "ROLESECRET");
  EXPECT_EQ(c->session_token, "ROLETOKEN");
  EXPECT_EQ(c->expiration, expiration_);
  EXPECT_EQ(c->source, "imds role spotkeeper-role");
  auto reqs = http_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method, "PUT");
  EXPECT_EQ(reqs[0].timeout, std::chrono::seconds(1));
}

TEST_F(ImdsTest, CachesUntilFiveMinutesBeforeExpiry) {
  auto p = Provider();
  ASSERT_TRUE(p.Get().ok());
  size_t after_first = http_.request_count();
  clock_.Advance(std::chrono::hours(5) + std::chrono::minutes(54));
  serial_ = 2;
  EXPECT_EQ(p.Get()->access_key_id, "ASIAROLE1");
  EXPECT_EQ(http_.request_count(), after_first);
  clock_.Advance(std::chrono::minutes(1) + std::chrono::seconds(1));
  EXPECT_EQ(p.Get()->access_key_id, "ASIAROLE2");
}

TEST_F(ImdsTest, ServesCachedWhileValidWhenImdsFails) {
  auto p = Provider();
  ASSERT_TRUE(p.Get().ok());
  clock_.Advance(std::chrono::hours(5) + std::chrono::minutes(58));
  down_ = true;
  EXPECT_EQ(p.Get()->access_key_id, "ASIAROLE1");
  clock_.Advance(std::chrono::minutes(3));
  EXPECT_EQ(p.Get().status().code(), Code::kNotFound);
}

TEST_F(ImdsTest, NoImdsOrNoRoleIsNotFound) {
  down_ = true;
  EXPECT_EQ(Provider().Get().status().code(), Code::kNotFound);
  down_ = false;
  role_ = "";
  EXPECT_EQ(Provider().Get().status().code(), Code::kNotFound);
}

TEST_F(ImdsTest, BadCredentialsDocumentIsUnavailableAndNotEchoed) {
  creds_status_ = 500;
  EXPECT_EQ(Provider().Get().status().code(), Code::kUnavailable);
  creds_status_ = 200;
  http_.SetHandler([](const HttpRequest& r) -> Result<HttpResponse> {
    HttpResponse resp{200, {}, "SESSION"};
    if (r.url.ends_with("/security-credentials/")) resp.body = "role";
    if (r.url.ends_with("/security-credentials/role")) resp.body = R"({"SecretAccessKey":"LEAK"})";
    return resp;
  });
  auto c = Provider().Get();
  EXPECT_EQ(c.status().code(), Code::kUnavailable);
  EXPECT_EQ(c.status().message().find("LEAK"), std::string::npos);
}

TEST_F(ImdsTest, ChainOrderEnvThenProfileThenImds) {
  TempDir dir;
  std::string creds =
      dir.Write("credentials", "[default]\naws_access_key_id=AKFILE\naws_secret_access_key=S\n");
  std::map<std::string, std::string> env = {
      {"AWS_ACCESS_KEY_ID", "AKENV"},
      {"AWS_SECRET_ACCESS_KEY", "S"},
      {"AWS_SHARED_CREDENTIALS_FILE", creds},
      {"AWS_CONFIG_FILE", dir.path() + "/none"},
      {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://imds.test"}};
  auto chain = [&](std::map<std::string, std::string> e, std::string profile = "") {
    DefaultChainOptions o;
    o.env = MapEnv(e);
    o.http = &http_;
    o.clock = &clock_;
    o.profile = profile;
    return MakeDefaultCredentialsChain(o);
  };
  EXPECT_EQ(chain(env)->Get()->access_key_id, "AKENV");
  EXPECT_EQ(http_.request_count(), 0u);
  // An explicit profile skips the environment, as botocore does.
  EXPECT_EQ(chain(env, "default")->Get()->access_key_id, "AKFILE");
  env.erase("AWS_ACCESS_KEY_ID");
  EXPECT_EQ(chain(env)->Get()->access_key_id, "AKFILE");
  env["AWS_SHARED_CREDENTIALS_FILE"] = dir.path() + "/none";
  EXPECT_EQ(chain(env)->Get()->access_key_id, "ASIAROLE1");
  env["AWS_EC2_METADATA_DISABLED"] = "true";
  auto none = chain(env)->Get();
  EXPECT_EQ(none.status().code(), Code::kUnauthenticated);
  EXPECT_EQ(none.status().cloud_code(), "NoCredentialProviders");
  // A named profile that does not exist stops the chain instead of falling to the role.
  env.erase("AWS_EC2_METADATA_DISABLED");
  EXPECT_EQ(chain(env, "missing")->Get().status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace spotkeeper::aws
