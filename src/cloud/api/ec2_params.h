// Decoding the Query parameters every Describe* action shares (Filter.N, MaxResults, NextToken
// and the action's id list).
#pragma once

#include <string>
#include <vector>

#include "awsproto/query_decoder.h"
#include "cloud/engine/engine_types.h"

namespace spotkeeper::cloud {

// Filter.N.Name / Filter.N.Value.M.
std::vector<Ec2Filter> Filters(const aws::QueryDecoder& p);
// `id_key`.N ("" for none), the filters, MaxResults and NextToken.
Result<DescribeRequest> Describe(const aws::QueryDecoder& p, const std::string& id_key);

}  // namespace spotkeeper::cloud
