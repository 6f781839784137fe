// EC2 XML shapes of the engine's resources (element names from botocore's ec2 2016-11-15 model:
// the locationName of each member), written with awsproto's Ec2XmlWriter helpers.
#pragma once

#include <pugixml.hpp>
#include <string>
#include <vector>

#include "cloud/engine/engine_types.h"
#include "cloud/engine/instance_catalog.h"

namespace spotkeeper::cloud {

struct RenderContext {
  std::string region;
  std::string account_id;
};

void RenderInstance(pugi::xml_node item, const InstanceView& v, const RenderContext& ctx);
// <reservationSet><item>... grouping consecutive instances of one reservation.
void RenderReservations(pugi::xml_node parent, const std::vector<InstanceView>& instances,
                        const RenderContext& ctx);
void RenderInstanceStatus(pugi::xml_node item, const InstanceView& v);
void RenderStateChanges(pugi::xml_node parent, const std::vector<StateChange>& changes);
void RenderVolume(pugi::xml_node item, const VolumeRecord& v);
void RenderAttachment(pugi::xml_node parent, const VolumeAttachmentResult& a);
void RenderNetworkInterface(pugi::xml_node item, const EniRecord& e, const RenderContext& ctx);
void RenderImage(pugi::xml_node item, const ImageRecord& img, const RenderContext& ctx);
void RenderSnapshot(pugi::xml_node item, const SnapshotRecord& s);
void RenderVpc(pugi::xml_node item, const VpcRecord& v, const RenderContext& ctx);
void RenderSubnet(pugi::xml_node item, const SubnetView& s, const RenderContext& ctx);
void RenderAvailabilityZone(pugi::xml_node item, const AzInfo& az);
void RenderInstanceType(pugi::xml_node item, const InstanceTypeInfo& t);
void RenderSpotInstanceRequest(pugi::xml_node item, const SpotRequestRecord& s,
                               const RenderContext& ctx);
void RenderSpotPrice(pugi::xml_node item, const SpotPriceView& p);
// A price as EC2 writes it: "0.003600".
std::string FormatSpotPrice(double usd_per_hour);

}  // namespace spotkeeper::cloud
