// Fuzz target: the EC2 Query protocol server side — QueryDecoder over a request's query string
// and form body, its list/structure helpers, and Ec2Handler's actions on the engine (a fake host).
// The input is a raw request (raw_request.h): "POST /?Action=... HTTP/1.1", headers, body.
//
// Contracts besides "never crash": a reply is EC2 XML; an error reply (status >= 400) is EC2's
// <Response><Errors><Error><Code> shape with a code.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "awsproto/ec2_xml.h"
#include "awsproto/query_decoder.h"
#include "cloud_fixture.h"
#include "raw_request.h"

namespace {

using namespace spotkeeper;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "ec2_query_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// Walks the decoder's structure helpers over every prefix the input names.
void WalkStructure(const aws::QueryDecoder& q, int depth) {
  if (depth > 3) return;
  for (const auto& [key, value] : q.params()) {
    std::string prefix = key.substr(0, key.find('.'));
    (void)q.GetList(prefix);
    (void)q.GetInt(key);
    (void)q.GetBool(key);
    for (const aws::QueryDecoder& member : q.SubList(prefix)) WalkStructure(member, depth + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::RawRequest raw =
      fuzz::ParseRawRequest(std::string_view(reinterpret_cast<const char*>(data), size));
  auto params = aws::QueryDecoder::Parse(raw.Query(), raw.body);
  if (!params.ok()) {
    if (params.status().cloud_code() != "MalformedQueryString" &&
        params.status().cloud_code() != "InvalidParameterValue") {
      Fail("decoder error without an EC2 code", params.status().ToString());
    }
    return 0;
  }
  if (params->params().size() <= 64) WalkStructure(*params, 0);
  fuzz::CloudFixture& cloud = fuzz::CloudFixture::Get();
  std::string action = params->GetOr("Action", "");
  if (!cloud.ec2().Handles(action)) return 0;
  cloud::ApiReply reply = cloud.ec2().Handle(*params, "fuzz-request");
  cloud.Drain();
  auto doc = aws::ParseXml(reply.body);
  if (!doc.ok()) Fail("reply is not XML", reply.body);
  if (reply.status >= 400) {
    pugi::xml_node error = aws::XmlChild((*doc)->document_element(), "Errors/Error");
    if (aws::XmlText(error, "Code").empty()) Fail("error reply without a code", reply.body);
  }
  return 0;
}
