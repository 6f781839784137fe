// EC2 XML (API 2016-11-15) -> CloudProvider types. Each function reads one element: an <item> of
// a Describe* set, or the reply root of a Create* call (whose children are the resource's fields).
// Missing fields read as empty/zero; unknown instance states read as pending.
#pragma once

#include <pugixml.hpp>
#include <vector>

#include "provider/cloud_provider.h"

namespace spotkeeper {

Instance ParseInstance(pugi::xml_node item);
// Every instance of every reservation (DescribeInstances), or of the reply (RunInstances).
std::vector<Instance> ParseReservations(pugi::xml_node root);
InstanceStatus ParseInstanceStatus(pugi::xml_node item);
Volume ParseVolume(pugi::xml_node node);
Snapshot ParseSnapshot(pugi::xml_node node);
Image ParseImage(pugi::xml_node item);
NetworkInterface ParseNetworkInterface(pugi::xml_node node);
Subnet ParseSubnet(pugi::xml_node item);
AvailabilityZone ParseAvailabilityZone(pugi::xml_node item);
SpotPrice ParseSpotPrice(pugi::xml_node item);
SpotInstanceRequest ParseSpotInstanceRequest(pugi::xml_node item);

}  // namespace spotkeeper
