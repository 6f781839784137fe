// Ec2QueryClient: EC2 Query API calls (POST form body, Version 2016-11-15, XML replies) through
// an AwsRequestSender. Thread-safe.
#pragma once

#include <memory>
#include <pugixml.hpp>
#include <string>

#include "awsproto/query_params.h"
#include "awsproto/sigv4.h"
#include "provider/ec2/aws_request_sender.h"

namespace spotkeeper {

class Ec2QueryClient {
 public:
  // `sender` must outlive the client. `endpoint` is the service URL ("https://ec2.us-east-1.
  // amazonaws.com", "http://127.0.0.1:5000").
  Ec2QueryClient(AwsRequestSender* sender, std::string endpoint, std::string region);

  // Calls params' Action. The reply document stays alive as long as the returned pointer; use
  // its document_element(). Errors: the EC2 error code in cloud_code, message prefixed with
  // "ec2 <Action>".
  Result<std::shared_ptr<pugi::xml_document>> Call(const aws::QueryParams& params, bool idempotent);

  const std::string& endpoint() const { return endpoint_; }

 private:
  AwsRequestSender* sender_;
  std::string endpoint_;
  aws::Sigv4Signer signer_;
};

// Decodes an EC2 error reply (XML body, or just the HTTP status when the body is not EC2's).
Status DecodeEc2Error(const aws::HttpResponse& response);

}  // namespace spotkeeper
