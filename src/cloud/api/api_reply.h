// One HTTP reply of the cloud's endpoints.
#pragma once

#include <string>

#include "awsproto/http_message.h"

namespace spotkeeper::cloud {

struct ApiReply {
  int status = 200;
  std::string content_type = "text/xml;charset=UTF-8";
  std::string body;
  aws::HeaderList headers;
};

}  // namespace spotkeeper::cloud
