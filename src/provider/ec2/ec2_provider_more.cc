// Ec2Provider, continued: images, network interfaces, tags, spot market, topology, events.
#include <spdlog/spdlog.h>

#include <map>

#include "awsproto/ec2_xml.h"
#include "provider/ec2/ec2_parsers.h"
#include "provider/ec2/ec2_provider.h"
#include "provider/ec2/ec2_requests.h"

namespace spotkeeper {

using aws::QueryParams;
using aws::XmlChild;
using aws::XmlItems;
using aws::XmlText;

namespace {

QueryParams Action(const char* action) { return QueryParams(action, aws::kEc2ApiVersion); }

Image PendingImage(std::string id, const std::string& name, const Tags& tags,
                   const std::string& token, Time now) {
  Image img;
  img.id = std::move(id);
  img.name = name;
  img.state = "pending";
  img.creation_date = now;
  img.tags = WithTokenTag(tags, token);
  return img;
}

}  // namespace

// --- images ---

Result<Image> Ec2Provider::RegisterImage(const RegisterImageRequest& req) {
  SK_ASSIGN_OR_RETURN(auto doc, Call(RegisterImageParams(req), /*idempotent=*/false));
  std::string id = XmlText(doc->document_element(), "imageId");
  if (id.empty()) return Internal("ec2 RegisterImage: the reply has no imageId");
  Image img = PendingImage(id, req.name, req.tags, req.client_token, clock_->Now());
  // EC2 applied the TagSpecification already; tagging again is idempotent there and covers
  // emulators that ignore TagSpecifications on RegisterImage (moto 5.2.1).
  if (!img.tags.empty()) {
    Status tagged = Call(CreateTagsParams({id}, img.tags)).status();
    if (!tagged.ok()) {
      spdlog::warn("ec2 RegisterImage {}: re-tagging failed: {}", id, tagged.ToString());
    }
  }
  img.root_device_name = req.root_device_name;
  img.block_devices = req.block_devices;
  return img;
}

Result<Image> Ec2Provider::CreateImage(const CreateImageRequest& req) {
  SK_ASSIGN_OR_RETURN(auto doc, Call(CreateImageParams(req), /*idempotent=*/false));
  std::string id = XmlText(doc->document_element(), "imageId");
  if (id.empty()) return Internal("ec2 CreateImage: the reply has no imageId");
  return PendingImage(id, req.name, req.tags, req.client_token, clock_->Now());
}

Status Ec2Provider::DeregisterImage(const std::string& image_id) {
  QueryParams p = Action("DeregisterImage");
  p.Set("ImageId", image_id);
  return Call(p).status();
}

Result<std::vector<Image>> Ec2Provider::DescribeImages(const Filter& filter) {
  QueryParams p = Action("DescribeImages");
  AddDescribeFilter(p, Ec2Resource::kImage, filter);
  std::vector<Image> out;
  SK_RETURN_IF_ERROR(Paginate(p, "ImageId", 1000, [&](pugi::xml_node root) {
    for (pugi::xml_node item : XmlItems(root, "imagesSet")) out.push_back(ParseImage(item));
  }));
  return out;
}

// --- network interfaces ---

Result<NetworkInterface> Ec2Provider::CreateNetworkInterface(
    const CreateNetworkInterfaceRequest& req) {
  SK_ASSIGN_OR_RETURN(auto doc, Call(CreateNetworkInterfaceParams(req), !req.client_token.empty()));
  pugi::xml_node eni = XmlChild(doc->document_element(), "networkInterface");
  if (!eni) return Internal("ec2 CreateNetworkInterface: the reply has no networkInterface");
  return ParseNetworkInterface(eni);
}

Status Ec2Provider::DeleteNetworkInterface(const std::string& eni_id) {
  QueryParams p = Action("DeleteNetworkInterface");
  p.Set("NetworkInterfaceId", eni_id);
  return Call(p).status();
}

Result<std::vector<NetworkInterface>> Ec2Provider::DescribeNetworkInterfaces(const Filter& filter) {
  QueryParams p = Action("DescribeNetworkInterfaces");
  AddDescribeFilter(p, Ec2Resource::kNetworkInterface, filter);
  std::vector<NetworkInterface> out;
  SK_RETURN_IF_ERROR(Paginate(p, "NetworkInterfaceId", 1000, [&](pugi::xml_node root) {
    for (pugi::xml_node item : XmlItems(root, "networkInterfaceSet")) {
      out.push_back(ParseNetworkInterface(item));
    }
  }));
  return out;
}

Status Ec2Provider::SetNetworkInterfaceDeleteOnTermination(const std::string& eni_id,
                                                           bool delete_on_termination) {
  Filter f;
  f.ids = {eni_id};
  SK_ASSIGN_OR_RETURN(std::vector<NetworkInterface> enis, DescribeNetworkInterfaces(f));
  if (enis.empty()) {
    return Status(Code::kNotFound, "network interface " + eni_id + " does not exist",
                  "InvalidNetworkInterfaceID.NotFound");
  }
  if (!enis.front().attachment) {
    return Status(Code::kFailedPrecondition,
                  "network interface " + eni_id + " is not attached to an instance",
                  "IncorrectState");
  }
  QueryParams p = Action("ModifyNetworkInterfaceAttribute");
  p.Set("NetworkInterfaceId", eni_id);
  p.At("Attachment")
      .Set("AttachmentId", enis.front().attachment->attachment_id)
      .Set("DeleteOnTermination", delete_on_termination);
  return Call(p).status();
}

// --- tags ---

Status Ec2Provider::CreateTags(const std::vector<std::string>& resource_ids, const Tags& tags) {
  if (resource_ids.empty() || tags.empty()) return OkStatus();
  return Call(CreateTagsParams(resource_ids, tags)).status();
}

Status Ec2Provider::DeleteTags(const std::vector<std::string>& resource_ids,
                               const std::vector<std::string>& keys) {
  // Without Tag.N, DeleteTags would remove every tag: an empty key list deletes nothing.
  if (resource_ids.empty() || keys.empty()) return OkStatus();
  return Call(DeleteTagsParams(resource_ids, keys)).status();
}

// --- spot market and topology ---

Result<std::vector<SpotInstanceRequest>> Ec2Provider::DescribeSpotInstanceRequests(
    const Filter& filter) {
  QueryParams p = Action("DescribeSpotInstanceRequests");
  AddDescribeFilter(p, Ec2Resource::kSpotRequest, filter);
  std::vector<SpotInstanceRequest> out;
  SK_RETURN_IF_ERROR(Paginate(p, "SpotInstanceRequestId", 1000, [&](pugi::xml_node root) {
    for (pugi::xml_node item : XmlItems(root, "spotInstanceRequestSet")) {
      out.push_back(ParseSpotInstanceRequest(item));
    }
  }));
  return out;
}

Result<std::vector<SpotPrice>> Ec2Provider::DescribeSpotPriceHistory(
    const std::vector<std::string>& instance_types,
    const std::vector<std::string>& availability_zones) {
  QueryParams p = Action("DescribeSpotPriceHistory");
  p.SetList("InstanceType", instance_types);
  p.Set("ProductDescription.1", "Linux/UNIX");
  // History starting now: EC2 answers the price in effect now for each (type, AZ).
  p.Set("StartTime", FormatTime(clock_->Now()));
  if (!availability_zones.empty()) {
    p.At("Filter", 1).Set("Name", "availability-zone").SetList("Value", availability_zones);
  }
  std::map<std::pair<std::string, std::string>, SpotPrice> latest;
  SK_RETURN_IF_ERROR(Paginate(p, "", 1000, [&](pugi::xml_node root) {
    for (pugi::xml_node item : XmlItems(root, "spotPriceHistorySet")) {
      SpotPrice price = ParseSpotPrice(item);
      auto key = std::make_pair(price.instance_type, price.availability_zone);
      auto it = latest.find(key);
      if (it == latest.end() || it->second.timestamp < price.timestamp) latest[key] = price;
    }
  }));
  std::vector<SpotPrice> out;
  for (auto& [key, price] : latest) out.push_back(std::move(price));
  return out;
}

Result<std::vector<AvailabilityZone>> Ec2Provider::DescribeAvailabilityZones() {
  SK_ASSIGN_OR_RETURN(auto doc, Call(Action("DescribeAvailabilityZones")));
  std::vector<AvailabilityZone> out;
  for (pugi::xml_node item : XmlItems(doc->document_element(), "availabilityZoneInfo")) {
    out.push_back(ParseAvailabilityZone(item));
  }
  return out;
}

Result<std::vector<Subnet>> Ec2Provider::DescribeSubnets(const std::vector<std::string>& ids) {
  QueryParams p = Action("DescribeSubnets");
  p.SetList("SubnetId", ids);
  std::vector<Subnet> out;
  SK_RETURN_IF_ERROR(Paginate(p, "SubnetId", 1000, [&](pugi::xml_node root) {
    for (pugi::xml_node item : XmlItems(root, "subnetSet")) out.push_back(ParseSubnet(item));
  }));
  return out;
}

// --- events ---

Result<std::vector<CloudEvent>> Ec2Provider::ReceiveEvents(int max) {
  return events_->Receive(max);
}

Status Ec2Provider::AckEvents(const std::vector<std::string>& receipts) {
  return events_->Ack(receipts);
}

}  // namespace spotkeeper
