// EC2 errors as Status values: the canonical code comes from awsproto's one mapping
// (aws::CodeForAwsError), the EC2 code rides in cloud_code and the message is EC2's wording.
#pragma once

#include <string>

#include "awsproto/aws_error.h"
#include "common/status.h"

namespace spotkeeper::cloud {

inline Status Ec2Error(const std::string& code, std::string message) {
  return Status(aws::CodeForAwsError(code, 400), std::move(message), code);
}

}  // namespace spotkeeper::cloud
