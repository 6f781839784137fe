// Fuzz target: the ec2 provider's reading of EC2 XML replies — ParseXml, every Parse* of
// ec2_parsers.h over the sets a reply can hold, and the EC2 error body reader. Seeds are the
// provider's recorded replies (AWS's documented examples) under fuzz/corpus/ec2_xml.
#include <cstdint>
#include <string>

#include "awsproto/aws_error.h"
#include "awsproto/ec2_xml.h"
#include "provider/ec2/ec2_parsers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spotkeeper;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)aws::ParseEc2ErrorBody(body);
  auto doc = aws::ParseXml(body);
  if (!doc.ok()) return 0;
  pugi::xml_node root = (*doc)->document_element();
  (void)ParseReservations(root);
  (void)ParseVolume(root);
  (void)ParseSnapshot(root);
  (void)ParseNetworkInterface(root);
  (void)ParseNetworkInterface(aws::XmlChild(root, "networkInterface"));
  (void)aws::XmlTagSet(root);
  for (pugi::xml_node item : aws::XmlItems(root, "instanceStatusSet")) ParseInstanceStatus(item);
  for (pugi::xml_node item : aws::XmlItems(root, "volumeSet")) ParseVolume(item);
  for (pugi::xml_node item : aws::XmlItems(root, "snapshotSet")) ParseSnapshot(item);
  for (pugi::xml_node item : aws::XmlItems(root, "imagesSet")) ParseImage(item);
  for (pugi::xml_node item : aws::XmlItems(root, "networkInterfaceSet")) {
    ParseNetworkInterface(item);
  }
  for (pugi::xml_node item : aws::XmlItems(root, "subnetSet")) ParseSubnet(item);
  for (pugi::xml_node item : aws::XmlItems(root, "availabilityZoneInfo")) {
    ParseAvailabilityZone(item);
  }
  for (pugi::xml_node item : aws::XmlItems(root, "spotPriceHistorySet")) ParseSpotPrice(item);
  for (pugi::xml_node item : aws::XmlItems(root, "spotInstanceRequestSet")) {
    ParseSpotInstanceRequest(item);
  }
  return 0;
}
