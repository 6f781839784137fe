#include "cloud/api/ec2_params.h"

namespace spotkeeper::cloud {

std::vector<Ec2Filter> Filters(const aws::QueryDecoder& p) {
  std::vector<Ec2Filter> out;
  for (const aws::QueryDecoder& f : p.SubList("Filter")) {
    out.push_back(Ec2Filter{f.GetOr("Name", ""), f.GetList("Value")});
  }
  return out;
}

Result<DescribeRequest> Describe(const aws::QueryDecoder& p, const std::string& id_key) {
  DescribeRequest r;
  if (!id_key.empty()) r.ids = p.GetList(id_key);
  r.filters = Filters(p);
  SK_ASSIGN_OR_RETURN(r.max_results, p.GetInt("MaxResults"));
  r.next_token = p.GetOr("NextToken", "");
  return r;
}

}  // namespace spotkeeper::cloud
