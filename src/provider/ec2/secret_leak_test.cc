// Secrets (secret access key, session token) never reach logs or Status messages: every log line
// (spdlog, all levels) and every error string produced by succeeding and failing calls is
// captured and searched.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "awsproto/credentials_chain.h"
#include "provider/ec2/ec2_test_util.h"

namespace spotkeeper {
namespace {

using testing::kTestSecret;
using testing::kTestSessionToken;
using testing::ScriptedProvider;
using testing::Testdata;

class SecretLeakTest : public ::testing::Test {
 protected:
  void SetUp() override {
    previous_ = spdlog::default_logger();
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  void TearDown() override { spdlog::set_default_logger(previous_); }

  void Note(const Status& s) { errors_ += s.ToString() + "\n"; }
  template <typename T>
  void Note(const Result<T>& r) {
    Note(r.status());
  }

  void ExpectNoSecrets() {
    std::string logs = log_.str();
    EXPECT_FALSE(logs.empty());  // the capture works: something was logged
    for (const std::string& haystack : {logs, errors_}) {
      EXPECT_EQ(haystack.find(kTestSecret), std::string::npos) << haystack;
      EXPECT_EQ(haystack.find(kTestSessionToken), std::string::npos) << haystack;
      EXPECT_EQ(haystack.find("profile-secret-key"), std::string::npos) << haystack;
      EXPECT_EQ(haystack.find("imds-secret-key"), std::string::npos) << haystack;
    }
  }

  std::ostringstream log_;
  std::string errors_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(SecretLeakTest, ProviderCallsSucceedingAndFailing) {
  ScriptedProvider s({}, /*session_token=*/true);
  s.aws.OnFile("DescribeAvailabilityZones", "describe_availability_zones.xml");
  s.aws.OnFile("RunInstances", "error_request_limit_exceeded.xml", 503);
  s.aws.OnFile("RunInstances", "run_instances.xml");
  s.aws.OnFile("DescribeVolumes", "error_auth_failure.xml", 401);
  s.aws.On("DescribeSnapshots", 403,
           "<Response><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>The request "
           "signature we calculated does not match</Message></Error></Errors></Response>");
  s.aws.OnFile("CreateSnapshot", "error_internal_error.xml", 500);
  s.aws.OnTransportError("DescribeImages", DeadlineExceeded("timed out"));
  s.aws.On("DescribeSubnets", 200, "<broken");
  s.aws.OnFile("TerminateInstances", "error_invalid_instance_id_not_found.xml", 400);
  Note(s.provider->DescribeAvailabilityZones());
  RunInstanceRequest run;
  run.client_token = "t";
  run.user_data = "#!/bin/sh\necho hello\n";
  Note(s.provider->RunInstance(run));
  Note(s.provider->DescribeVolumes(Filter{}));
  Note(s.provider->DescribeSnapshots(Filter{}));
  Note(s.provider->CreateSnapshot({"vol-1", "", {}, ""}));
  Note(s.provider->DescribeImages(Filter{}));
  Note(s.provider->DescribeSubnets({}));
  Note(s.provider->TerminateInstance("i-1"));
  // The requests carry the token where it belongs (the header), never the secret.
  for (const auto& req : s.http.requests()) {
    EXPECT_EQ(aws::FindHeader(req.headers, "X-Amz-Security-Token"), kTestSessionToken);
    for (const auto& [k, v] : req.headers) {
      EXPECT_EQ(v.find(kTestSecret), std::string::npos) << k;
    }
    EXPECT_EQ(req.body.find(kTestSecret), std::string::npos);
  }
  ExpectNoSecrets();
}

TEST_F(SecretLeakTest, SqsEventsFailingAndSucceeding) {
  Ec2ProviderConfig c;
  c.events_queue_url = "https://sqs.us-east-1.amazonaws.com/1/q";
  ScriptedProvider s(c, /*session_token=*/true);
  s.aws.OnFile("ReceiveMessage", "sqs_error_throttling.json", 400);
  s.aws.OnFile("ReceiveMessage", "sqs_receive_message.json");
  s.aws.OnFile("ReceiveMessage", "sqs_error_queue_does_not_exist.json", 400);
  s.aws.On("DeleteMessageBatch", 200,
           R"({"Failed":[{"Id":"0","Code":"InternalError","Message":"x"}]})");
  Note(s.provider->ReceiveEvents(10));
  Note(s.provider->ReceiveEvents(10));
  Note(s.provider->AckEvents({"r"}));
  ExpectNoSecrets();
}

TEST_F(SecretLeakTest, CredentialSourcesFailing) {
  char dir[] = "/tmp/sk_leak_XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string creds = std::string(dir) + "/credentials";
  // A half-configured role profile: a secret but no key id, and role_arn.
  std::ofstream(creds) << "[default]\naws_secret_access_key=profile-secret-key\nrole_arn=arn:x\n";
  aws::FakeHttpClient imds;
  imds.SetHandler([](const aws::HttpRequest& r) -> Result<aws::HttpResponse> {
    if (r.method == "PUT") return aws::HttpResponse{200, {}, "tok"};
    if (r.url.ends_with("/security-credentials/")) return aws::HttpResponse{200, {}, "role"};
    return aws::HttpResponse{200, {}, R"({"Code":"Failure","SecretAccessKey":"imds-secret-key"})"};
  });
  FakeClock clock;
  auto env = [&](const std::string& n) -> std::optional<std::string> {
    if (n == "AWS_SHARED_CREDENTIALS_FILE") return creds;
    if (n == "AWS_CONFIG_FILE") return std::string(dir) + "/none";
    if (n == "AWS_EC2_METADATA_SERVICE_ENDPOINT") return std::string("http://imds.test");
    return std::nullopt;
  };
  aws::DefaultChainOptions o;
  o.env = env;
  o.http = &imds;
  o.clock = &clock;
  Note(aws::MakeDefaultCredentialsChain(o)->Get());  // role_arn profile: refused
  std::filesystem::remove(creds);
  Note(aws::MakeDefaultCredentialsChain(o)->Get());  // IMDS document without keys
  std::filesystem::remove_all(dir);
  spdlog::info("credential checks done");
  ExpectNoSecrets();
  EXPECT_NE(errors_.find("role_arn"), std::string::npos);
}

}  // namespace
}  // namespace spotkeeper
