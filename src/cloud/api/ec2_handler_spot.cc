// Ec2Handler: the spot market's actions (DescribeSpotInstanceRequests,
// CancelSpotInstanceRequests, DescribeSpotPriceHistory); shapes from botocore's ec2 model.
#include "awsproto/ec2_xml_writer.h"
#include "cloud/api/ec2_handler.h"
#include "cloud/api/ec2_params.h"
#include "cloud/engine/ec2_error.h"

namespace spotkeeper::cloud {
namespace {

using aws::Ec2XmlWriter;
using aws::QueryDecoder;

Result<std::optional<Time>> OptTime(const QueryDecoder& p, const std::string& key) {
  auto text = p.Get(key);
  if (!text || text->empty()) return std::optional<Time>();
  Result<Time> t = ParseTime(*text);
  if (!t.ok()) {
    return Ec2Error("InvalidParameterValue",
                    "Invalid value '" + *text + "' for " + key + ": " + t.status().message());
  }
  return std::optional<Time>(*t);
}

}  // namespace

void Ec2Handler::RegisterSpot() {
  Engine* e = engine_;
  const RenderContext& ctx = ctx_;

  actions_["DescribeSpotInstanceRequests"] = [e, ctx](const QueryDecoder& p,
                                                      pugi::xml_node root) -> Status {
    SK_ASSIGN_OR_RETURN(DescribeRequest req, Describe(p, "SpotInstanceRequestId"));
    SK_ASSIGN_OR_RETURN(Page<SpotRequestRecord> page, e->DescribeSpotInstanceRequests(req));
    pugi::xml_node set = Ec2XmlWriter::AddElement(root, "spotInstanceRequestSet");
    for (const SpotRequestRecord& s : page.items) {
      RenderSpotInstanceRequest(Ec2XmlWriter::AddElement(set, "item"), s, ctx);
    }
    if (!page.next_token.empty()) Ec2XmlWriter::AddText(root, "nextToken", page.next_token);
    return OkStatus();
  };
  actions_["CancelSpotInstanceRequests"] = [e](const QueryDecoder& p,
                                               pugi::xml_node root) -> Status {
    SK_ASSIGN_OR_RETURN(std::vector<CancelledSpotRequest> out,
                        e->CancelSpotInstanceRequests(p.GetList("SpotInstanceRequestId")));
    pugi::xml_node set = Ec2XmlWriter::AddElement(root, "spotInstanceRequestSet");
    for (const CancelledSpotRequest& c : out) {
      pugi::xml_node item = Ec2XmlWriter::AddElement(set, "item");
      Ec2XmlWriter::AddText(item, "spotInstanceRequestId", c.spot_request_id);
      Ec2XmlWriter::AddText(item, "state", c.state);
    }
    return OkStatus();
  };
  actions_["DescribeSpotPriceHistory"] = [e](const QueryDecoder& p, pugi::xml_node root) -> Status {
    SpotPriceHistoryRequest req;
    req.instance_types = p.GetList("InstanceType");
    req.product_descriptions = p.GetList("ProductDescription");
    req.availability_zone = p.GetOr("AvailabilityZone", "");
    SK_ASSIGN_OR_RETURN(req.start_time, OptTime(p, "StartTime"));
    SK_ASSIGN_OR_RETURN(req.end_time, OptTime(p, "EndTime"));
    req.filters = Filters(p);
    SK_ASSIGN_OR_RETURN(req.max_results, p.GetInt("MaxResults"));
    req.next_token = p.GetOr("NextToken", "");
    SK_ASSIGN_OR_RETURN(Page<SpotPriceView> page, e->DescribeSpotPriceHistory(req));
    pugi::xml_node set = Ec2XmlWriter::AddElement(root, "spotPriceHistorySet");
    for (const SpotPriceView& v : page.items) {
      RenderSpotPrice(Ec2XmlWriter::AddElement(set, "item"), v);
    }
    Ec2XmlWriter::AddText(root, "nextToken", page.next_token);
    return OkStatus();
  };
}

}  // namespace spotkeeper::cloud
