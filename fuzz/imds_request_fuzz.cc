// Fuzz target: the instance metadata service's request path — ImdsHandler::Handle for the
// running instance of the cloud fixture, with the method, path and headers of a raw request
// (raw_request.h), IMDSv1 and v2 (token PUT, token headers).
// Contracts besides "never crash": statuses are HTTP's; a token that PUT handed out is
// accepted right away.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cloud_fixture.h"
#include "raw_request.h"

namespace {

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "imds_request_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spotkeeper;
  fuzz::RawRequest raw =
      fuzz::ParseRawRequest(std::string_view(reinterpret_cast<const char*>(data), size));
  fuzz::CloudFixture& cloud = fuzz::CloudFixture::Get();
  cloud::ApiReply reply =
      cloud.imds().Handle(cloud.vpc_id(), cloud.instance_ip(), raw.method, raw.Path(), raw.headers);
  if (reply.status < 200 || reply.status > 599) Fail("not an HTTP status", reply.body);
  if (raw.method == "PUT" && raw.Path() == "/latest/api/token" && reply.status == 200) {
    cloud::ApiReply again = cloud.imds().Handle(cloud.vpc_id(), cloud.instance_ip(), "GET",
                                                "/latest/meta-data/instance-id",
                                                {{"X-aws-ec2-metadata-token", reply.body}});
    if (again.status != 200) Fail("a fresh token is refused", again.body);
  }
  return 0;
}
