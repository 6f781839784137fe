#include "provider/ec2/ec2_query_client.h"

#include "awsproto/aws_error.h"
#include "awsproto/ec2_xml.h"

namespace spotkeeper {

Status DecodeEc2Error(const aws::HttpResponse& response) {
  if (auto e = aws::ParseEc2ErrorBody(response.body)) {
    return aws::StatusFromAwsError(*e, response.status);
  }
  std::string snippet = response.body.substr(0, 200);
  return Status(aws::CodeForAwsError("", response.status),
                "HTTP " + std::to_string(response.status) +
                    (snippet.empty() ? "" : " with an unexpected body: " + snippet));
}

Ec2QueryClient::Ec2QueryClient(AwsRequestSender* sender, std::string endpoint, std::string region)
    : sender_(sender), endpoint_(std::move(endpoint)), signer_(std::move(region), "ec2") {
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
}

Result<std::shared_ptr<pugi::xml_document>> Ec2QueryClient::Call(const aws::QueryParams& params,
                                                                 bool idempotent) {
  std::string what = "ec2 " + params.Get("Action");
  aws::HttpRequest request;
  request.method = "POST";
  request.url = endpoint_ + "/";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body = params.Encode();
  SK_ASSIGN_OR_RETURN(aws::HttpResponse response,
                      sender_->Send(request, signer_, idempotent, DecodeEc2Error, what));
  auto doc = aws::ParseXml(response.body);
  if (!doc.ok()) return doc.status().Annotate(what);
  return doc;
}

}  // namespace spotkeeper
