// Signs the same requests as botocore (python3 + botocore from the image; $SPOTKEEPER_PYTHON
// overrides the interpreter) and compares the Authorization header, or the presigned URL, byte
// for byte.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "awsproto/query_params.h"
#include "awsproto/sigv4.h"

namespace spotkeeper::aws {
namespace {

const std::string kScript = std::string(SK_AWSPROTO_TESTDATA) + "/sigv4/botocore_sign.py";

struct Case {
  std::string name;
  HttpRequest request;
  Credentials credentials;
  std::string region;
  std::string service;
  std::string time;
  int presign_expires = 0;  // 0: header signing
};

// Runs botocore on `c`; returns its output (Authorization header or URL).
std::string BotocoreSign(const Case& c) {
  nlohmann::json spec;
  spec["method"] = c.request.method;
  spec["url"] = c.request.url;
  spec["headers"] = nlohmann::json::array();
  for (const auto& [k, v] : c.request.headers) spec["headers"].push_back({k, v});
  spec["body"] = c.request.body;
  spec["access_key"] = c.credentials.access_key_id;
  spec["secret_key"] = c.credentials.secret_access_key;
  spec["session_token"] = c.credentials.session_token;
  spec["region"] = c.region;
  spec["service"] = c.service;
  spec["time"] = c.time;
  if (c.presign_expires > 0) spec["presign_expires"] = c.presign_expires;
  char path[] = "/tmp/sk_sigv4_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return "mkstemp failed";
  close(fd);
  std::ofstream(path) << spec.dump();
  const char* python = std::getenv("SPOTKEEPER_PYTHON");
  std::string cmd = std::string(python != nullptr && python[0] != '\0' ? python : "python3") +
                    " '" + kScript + "' '" + path + "' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while (p != nullptr && (n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = p != nullptr ? pclose(p) : -1;
  unlink(path);
  if (rc != 0) return "botocore failed (rc " + std::to_string(rc) + "): " + out;
  return out;
}

std::string OurSign(Case c) {
  Sigv4Signer signer(c.region, c.service);
  Time t = *ParseAmzDate(c.time);
  Status s = c.presign_expires > 0 ? signer.Presign(c.request, c.credentials, t,
                                                    std::chrono::seconds(c.presign_expires))
                                   : signer.Sign(c.request, c.credentials, t);
  if (!s.ok()) return s.ToString();
  return c.presign_expires > 0 ? c.request.url
                               : FindHeader(c.request.headers, "Authorization").value_or("");
}

Credentials Keys(std::string token = "") {
  Credentials c;
  c.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  c.session_token = std::move(token);
  return c;
}

std::vector<Case> Cases() {
  std::vector<Case> cases;
  QueryParams run("RunInstances", "2016-11-15");
  run.Set("ImageId", "ami-0abc").Set("MinCount", 1).Set("MaxCount", 1);
  run.At("TagSpecification", 1).Set("ResourceType", "instance");
  run.At("TagSpecification", 1).At("Tag", 1).Set("Key", "spotkeeper:group").Set("Value", "g 1/2");
  run.Set("UserData", "IyEvYmluL3NoCmVjaG8gaGkK+/=");
  cases.push_back({"ec2-query-post",
                   {"POST",
                    "https://ec2.eu-west-1.amazonaws.com/",
                    {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
                    run.Encode(),
                    {}},
                   Keys(),
                   "eu-west-1",
                   "ec2",
                   "20260126T143642Z"});
  cases.push_back({"ec2-session-token-and-port",
                   {"POST",
                    "http://127.0.0.1:41234/",
                    {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
                    "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3Aa&"
                    "Filter.1.Value.1=%E2%9C%93",
                    {}},
                   Keys("FwoGZXIvYXdzEJr//////////wEaDO+token/with=chars"),
                   "us-east-1",
                   "ec2",
                   "20260101T000000Z"});
  cases.push_back(
      {"sqs-json",
       {"POST",
        "https://sqs.us-east-1.amazonaws.com/",
        {{"Content-Type", "application/x-amz-json-1.0"},
         {"X-Amz-Target", "AmazonSQS.ReceiveMessage"}},
        R"({"QueueUrl":"https://sqs.us-east-1.amazonaws.com/123456789012/q","MaxNumberOfMessages":10,"WaitTimeSeconds":20})",
        {}},
       Keys(),
       "us-east-1",
       "sqs",
       "20260315T235959Z"});
  cases.push_back(
      {"get-with-query",
       {"GET",
        "https://ec2.us-east-1.amazonaws.com/?Version=2016-11-15&Action=DescribeRegions&"
        "RegionName.1=us-east-1",
        {},
        "",
        {}},
       Keys(),
       "us-east-1",
       "ec2",
       "20260101T120000Z"});
  cases.push_back(
      {"presigned-url",
       {"GET",
        "https://ec2.us-east-1.amazonaws.com/?Action=DescribeRegions&Version=2016-11-15",
        {},
        "",
        {}},
       Keys("session/token+x"),
       "us-east-1",
       "ec2",
       "20260101T120000Z",
       900});
  return cases;
}

class Sigv4BotocoreTest : public ::testing::TestWithParam<Case> {};

TEST_P(Sigv4BotocoreTest, SameBytesAsBotocore) {
  const Case& c = GetParam();
  std::string ours = OurSign(c);
  std::string theirs = BotocoreSign(c);
  ASSERT_EQ(theirs.rfind(c.presign_expires > 0 ? "https://" : "AWS4-HMAC-SHA256 ", 0), 0u)
      << theirs;
  EXPECT_EQ(ours, theirs);
}

INSTANTIATE_TEST_SUITE_P(Cases, Sigv4BotocoreTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) {
                           std::string n = info.param.name;
                           for (char& c : n) {
                             if (c == '-') c = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace spotkeeper::aws
