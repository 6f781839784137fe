// Every EC2 XML shape the provider reads, from recorded AWS-shaped replies (testdata/).
#include "provider/ec2/ec2_parsers.h"

#include <gtest/gtest.h>

#include "awsproto/ec2_xml.h"
#include "provider/ec2/ec2_test_util.h"

namespace spotkeeper {
namespace {

using testing::Testdata;

pugi::xml_node Root(const std::string& file, std::shared_ptr<pugi::xml_document>& keep) {
  auto doc = aws::ParseXml(Testdata(file));
  EXPECT_TRUE(doc.ok()) << file;
  keep = doc.ok() ? *doc : std::make_shared<pugi::xml_document>();
  return keep->document_element();
}

Time T(const char* s) { return *ParseTime(s); }

TEST(Ec2ParsersTest, RunInstancesReply) {
  std::shared_ptr<pugi::xml_document> doc;
  std::vector<Instance> v = ParseReservations(Root("run_instances.xml", doc));
  ASSERT_EQ(v.size(), 1u);
  const Instance& i = v[0];
  EXPECT_EQ(i.id, "i-1234567890abcdef0");
  EXPECT_EQ(i.image_id, "ami-0abcdef1234567890");
  EXPECT_EQ(i.instance_type, "m5.large");
  EXPECT_EQ(i.market, Market::kSpot);
  EXPECT_EQ(i.spot_request_id, "sir-abcd1234");
  EXPECT_EQ(i.availability_zone, "us-east-1a");
  EXPECT_EQ(i.subnet_id, "subnet-0a1b2c3d4e5f60001");
  EXPECT_EQ(i.vpc_id, "vpc-0a1b2c3d4e5f60001");
  EXPECT_EQ(i.private_ip, "10.0.1.77");
  EXPECT_EQ(i.state, InstanceState::kPending);
  EXPECT_EQ(i.state_reason, "pending");
  EXPECT_EQ(i.launch_time, T("2026-01-12T10:20:30Z"));
  EXPECT_EQ(i.root_device_name, "/dev/xvda");
  EXPECT_TRUE(i.block_devices.empty());
  ASSERT_EQ(i.network_interfaces.size(), 1u);
  const InstanceNetworkInterface& n = i.network_interfaces[0];
  EXPECT_EQ(n.network_interface_id, "eni-0123456789abcdef0");
  EXPECT_EQ(n.device_index, 0);
  EXPECT_EQ(n.private_ip, "10.0.1.77");
  EXPECT_EQ(n.mac, "02:1a:2b:3c:4d:5e");
  EXPECT_FALSE(n.delete_on_termination);
  EXPECT_EQ(n.attachment_id, "eni-attach-0123456789abcdef0");
  EXPECT_EQ(i.tags, (Tags{{"spotkeeper:group", "g1"}, {"spotkeeper:token", "tok-run-1"}}));
  EXPECT_EQ(i.client_token, "tok-run-1");
}

TEST(Ec2ParsersTest, DescribeInstancesReservationsAndStates) {
  std::shared_ptr<pugi::xml_document> d1, d2;
  std::vector<Instance> p1 = ParseReservations(Root("describe_instances_page1.xml", d1));
  ASSERT_EQ(p1.size(), 1u);
  EXPECT_EQ(p1[0].state, InstanceState::kRunning);
  ASSERT_EQ(p1[0].block_devices.size(), 2u);
  EXPECT_EQ(p1[0].block_devices[0].device_name, "/dev/xvda");
  EXPECT_EQ(p1[0].block_devices[0].volume_id, "vol-0000000000000root");
  EXPECT_TRUE(p1[0].block_devices[0].delete_on_termination);
  EXPECT_EQ(p1[0].block_devices[0].status, "attached");
  EXPECT_FALSE(p1[0].block_devices[1].delete_on_termination);
  EXPECT_EQ(p1[0].tags.at(kTagSsi), "ssi-1");
  std::vector<Instance> p2 = ParseReservations(Root("describe_instances_page2.xml", d2));
  ASSERT_EQ(p2.size(), 2u);
  EXPECT_EQ(p2[0].state, InstanceState::kTerminated);
  EXPECT_EQ(p2[0].state_reason, "Server.SpotInstanceTermination");
  EXPECT_EQ(p2[0].market, Market::kOnDemand);
  EXPECT_EQ(p2[0].availability_zone, "us-east-1b");
  EXPECT_EQ(p2[1].state, InstanceState::kStopped);
  EXPECT_TRUE(p2[1].tags.empty());
}

TEST(Ec2ParsersTest, InstanceStatus) {
  std::shared_ptr<pugi::xml_document> doc;
  auto items = aws::XmlItems(Root("describe_instance_status.xml", doc), "instanceStatusSet");
  ASSERT_EQ(items.size(), 2u);
  InstanceStatus a = ParseInstanceStatus(items[0]);
  EXPECT_EQ(a.instance_id, "i-1234567890abcdef0");
  EXPECT_EQ(a.state, InstanceState::kRunning);
  EXPECT_EQ(a.system_status, "ok");
  EXPECT_EQ(a.instance_status, "impaired");
  InstanceStatus b = ParseInstanceStatus(items[1]);
  EXPECT_EQ(b.state, InstanceState::kPending);
  EXPECT_EQ(b.instance_status, "initializing");
}

TEST(Ec2ParsersTest, VolumesFromCreateAndDescribe) {
  std::shared_ptr<pugi::xml_document> d1, d2;
  Volume created = ParseVolume(Root("create_volume.xml", d1));
  EXPECT_EQ(created.id, "vol-1234567890abcdef0");
  EXPECT_EQ(created.size_gib, 80);
  EXPECT_EQ(created.snapshot_id, "snap-1234567890abcdef0");
  EXPECT_EQ(created.state, "creating");
  EXPECT_EQ(created.volume_type, "gp3");
  EXPECT_EQ(created.create_time, T("2026-01-12T10:20:30Z"));
  EXPECT_EQ(created.tags.at(kTagToken), "tok-vol-1");
  auto items = aws::XmlItems(Root("describe_volumes.xml", d2), "volumeSet");
  ASSERT_EQ(items.size(), 2u);
  Volume a = ParseVolume(items[0]);
  EXPECT_EQ(a.state, "in-use");
  EXPECT_EQ(a.snapshot_id, "");
  ASSERT_EQ(a.attachments.size(), 1u);
  EXPECT_EQ(a.attachments[0].instance_id, "i-1234567890abcdef0");
  EXPECT_EQ(a.attachments[0].device, "/dev/sdf");
  EXPECT_EQ(a.attachments[0].state, "attached");
  EXPECT_FALSE(a.attachments[0].delete_on_termination);
  EXPECT_EQ(a.tags.at(kTagDevice), "/dev/sdf");
  Volume b = ParseVolume(items[1]);
  EXPECT_EQ(b.availability_zone, "us-east-1b");
  EXPECT_TRUE(b.attachments.empty());
  EXPECT_TRUE(b.tags.empty());
}

TEST(Ec2ParsersTest, Snapshots) {
  std::shared_ptr<pugi::xml_document> d1, d2;
  Snapshot created = ParseSnapshot(Root("create_snapshot.xml", d1));
  EXPECT_EQ(created.id, "snap-1234567890abcdef0");
  EXPECT_EQ(created.volume_id, "vol-1234567890abcdef0");
  EXPECT_EQ(created.state, "pending");
  EXPECT_EQ(created.progress, "60%");
  EXPECT_EQ(created.volume_size_gib, 80);
  EXPECT_EQ(created.start_time, T("2026-01-12T10:30:00Z"));
  EXPECT_EQ(created.description, "root of ssi-1");
  auto items = aws::XmlItems(Root("describe_snapshots.xml", d2), "snapshotSet");
  ASSERT_EQ(items.size(), 1u);
  Snapshot s = ParseSnapshot(items[0]);
  EXPECT_EQ(s.state, "completed");
  EXPECT_EQ(s.progress, "100%");
  EXPECT_EQ(s.tags.at(kTagSsi), "ssi-1");
}

TEST(Ec2ParsersTest, ImagesSkipEphemeralMappings) {
  std::shared_ptr<pugi::xml_document> doc;
  auto items = aws::XmlItems(Root("describe_images.xml", doc), "imagesSet");
  ASSERT_EQ(items.size(), 1u);
  Image img = ParseImage(items[0]);
  EXPECT_EQ(img.id, "ami-1234567890abcdef0");
  EXPECT_EQ(img.name, "spotkeeper-ssi-1-root");
  EXPECT_EQ(img.state, "available");
  EXPECT_EQ(img.root_device_name, "/dev/xvda");
  EXPECT_EQ(img.creation_date, T("2026-01-12T10:40:00Z"));
  ASSERT_EQ(img.block_devices.size(), 2u);
  EXPECT_EQ(img.block_devices[0].snapshot_id, "snap-1234567890abcdef0");
  EXPECT_EQ(img.block_devices[0].volume_size_gib, 8);
  EXPECT_TRUE(img.block_devices[0].delete_on_termination);
  EXPECT_EQ(img.block_devices[1].snapshot_id, "");
  EXPECT_EQ(img.block_devices[1].volume_size_gib, 20);
  EXPECT_FALSE(img.block_devices[1].delete_on_termination);
  EXPECT_EQ(img.tags.at(kTagSsi), "ssi-1");
}

TEST(Ec2ParsersTest, NetworkInterfaces) {
  std::shared_ptr<pugi::xml_document> d1, d2;
  NetworkInterface created = ParseNetworkInterface(
      aws::XmlChild(Root("create_network_interface.xml", d1), "networkInterface"));
  EXPECT_EQ(created.id, "eni-0123456789abcdef0");
  EXPECT_EQ(created.status, "pending");
  EXPECT_EQ(created.private_ip, "10.0.1.77");
  EXPECT_EQ(created.mac, "02:1a:2b:3c:4d:5e");
  EXPECT_EQ(created.availability_zone, "us-east-1a");
  EXPECT_EQ(created.description, "ssi-1 primary");
  EXPECT_FALSE(created.attachment.has_value());
  EXPECT_EQ(created.tags.at(kTagToken), "tok-eni-1");
  auto items = aws::XmlItems(Root("describe_network_interfaces.xml", d2), "networkInterfaceSet");
  ASSERT_EQ(items.size(), 2u);
  NetworkInterface a = ParseNetworkInterface(items[0]);
  ASSERT_TRUE(a.attachment.has_value());
  EXPECT_EQ(a.attachment->attachment_id, "eni-attach-0123456789abcdef0");
  EXPECT_EQ(a.attachment->instance_id, "i-1234567890abcdef0");
  EXPECT_EQ(a.attachment->device_index, 0);
  EXPECT_EQ(a.attachment->status, "attached");
  EXPECT_FALSE(a.attachment->delete_on_termination);
  NetworkInterface b = ParseNetworkInterface(items[1]);
  EXPECT_EQ(b.status, "available");
  EXPECT_FALSE(b.attachment.has_value());
  EXPECT_EQ(b.subnet_id, "subnet-0a1b2c3d4e5f60002");
}

TEST(Ec2ParsersTest, SpotRequestsPricesZonesSubnets) {
  std::shared_ptr<pugi::xml_document> d1, d2, d3, d4;
  auto sirs =
      aws::XmlItems(Root("describe_spot_instance_requests.xml", d1), "spotInstanceRequestSet");
  ASSERT_EQ(sirs.size(), 2u);
  SpotInstanceRequest r = ParseSpotInstanceRequest(sirs[0]);
  EXPECT_EQ(r.id, "sir-abcd1234");
  EXPECT_EQ(r.instance_id, "i-1234567890abcdef0");
  EXPECT_EQ(r.state, "active");
  EXPECT_EQ(r.status_code, "marked-for-termination");
  EXPECT_EQ(r.availability_zone, "us-east-1a");
  EXPECT_EQ(r.instance_type, "m5.large");
  SpotInstanceRequest open = ParseSpotInstanceRequest(sirs[1]);
  EXPECT_EQ(open.instance_id, "");
  EXPECT_EQ(open.availability_zone, "us-east-1b");  // from the launch specification

  auto prices = aws::XmlItems(Root("describe_spot_price_history.xml", d2), "spotPriceHistorySet");
  ASSERT_EQ(prices.size(), 3u);
  SpotPrice p = ParseSpotPrice(prices[1]);
  EXPECT_EQ(p.instance_type, "m5.large");
  EXPECT_EQ(p.availability_zone, "us-east-1a");
  EXPECT_DOUBLE_EQ(p.price, 0.0381);
  EXPECT_EQ(p.timestamp, T("2026-01-12T10:00:00Z"));

  auto zones = aws::XmlItems(Root("describe_availability_zones.xml", d3), "availabilityZoneInfo");
  ASSERT_EQ(zones.size(), 2u);
  EXPECT_EQ(ParseAvailabilityZone(zones[1]).name, "us-east-1b");
  EXPECT_EQ(ParseAvailabilityZone(zones[1]).state, "impaired");

  auto subnets = aws::XmlItems(Root("describe_subnets.xml", d4), "subnetSet");
  ASSERT_EQ(subnets.size(), 1u);
  Subnet s = ParseSubnet(subnets[0]);
  EXPECT_EQ(s.id, "subnet-0a1b2c3d4e5f60001");
  EXPECT_EQ(s.vpc_id, "vpc-0a1b2c3d4e5f60001");
  EXPECT_EQ(s.availability_zone, "us-east-1a");
  EXPECT_EQ(s.cidr_block, "10.0.1.0/24");
}

TEST(Ec2ParsersTest, MissingFieldsReadAsEmpty) {
  pugi::xml_document doc;
  doc.load_string("<item><instanceState><name>rebooting</name></instanceState></item>");
  Instance i = ParseInstance(doc.document_element());
  EXPECT_EQ(i.id, "");
  EXPECT_EQ(i.state, InstanceState::kPending);
  EXPECT_EQ(i.launch_time, kEpoch);
  Volume v = ParseVolume(doc.document_element());
  EXPECT_EQ(v.size_gib, 0);
}

}  // namespace
}  // namespace spotkeeper
