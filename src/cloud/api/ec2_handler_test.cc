#include "cloud/api/ec2_handler.h"

#include <gtest/gtest.h>

#include "cloud/api/api_test_util.h"

namespace spotkeeper::cloud {
namespace {

using aws::QueryDecoder;
using aws::XmlItems;
using aws::XmlText;

class Ec2HandlerTest : public CloudApiTest {
 protected:
  ApiReply Call(const std::map<std::string, std::string>& params) {
    std::map<std::string, std::string> p = params;
    p["Version"] = "2016-11-15";
    handler_ =
        std::make_unique<Ec2Handler>(cloud_->engine(), RenderContext{"local-1", "000000000000"});
    return handler_->Handle(QueryDecoder(p), "req-1");
  }
  static pugi::xml_node Root(const ApiReply& r, std::shared_ptr<pugi::xml_document>* keep) {
    *keep = *aws::ParseXml(r.body);
    return (*keep)->document_element();
  }
  std::unique_ptr<Ec2Handler> handler_;
};

TEST_F(Ec2HandlerTest, RunInstancesDecodesEveryParameterFamily) {
  CreateNetworkInterfaceRequest c;
  c.subnet_id = cloud_->engine()->DescribeSubnets({})->at(0).subnet.id;
  auto eni = cloud_->engine()->CreateNetworkInterface(c);
  ASSERT_TRUE(eni.ok());
  ApiReply r = Call({{"Action", "RunInstances"},
                     {"ImageId", "ami-00000000000000001"},
                     {"InstanceType", "r5.large"},
                     {"MinCount", "1"},
                     {"MaxCount", "1"},
                     {"NetworkInterface.1.NetworkInterfaceId", eni->id},
                     {"NetworkInterface.1.DeviceIndex", "0"},
                     {"BlockDeviceMapping.1.DeviceName", "/dev/xvda"},
                     {"BlockDeviceMapping.1.Ebs.VolumeSize", "12"},
                     {"BlockDeviceMapping.1.Ebs.DeleteOnTermination", "false"},
                     {"BlockDeviceMapping.2.DeviceName", "/dev/sdf"},
                     {"BlockDeviceMapping.2.Ebs.VolumeSize", "3"},
                     {"TagSpecification.1.ResourceType", "instance"},
                     {"TagSpecification.1.Tag.1.Key", "spotkeeper:ssi"},
                     {"TagSpecification.1.Tag.1.Value", "ssi-1"},
                     {"TagSpecification.2.ResourceType", "volume"},
                     {"TagSpecification.2.Tag.1.Key", "spotkeeper:role"},
                     {"TagSpecification.2.Tag.1.Value", "data"},
                     {"InstanceMarketOptions.MarketType", "spot"},
                     {"InstanceMarketOptions.SpotOptions.SpotInstanceType", "one-time"},
                     {"UserData", "IyEvYmluL3NoCmVjaG8gaGk="}});
  ASSERT_EQ(r.status, 200) << r.body;
  std::shared_ptr<pugi::xml_document> doc;
  pugi::xml_node root = Root(r, &doc);
  EXPECT_STREQ(root.name(), "RunInstancesResponse");
  EXPECT_EQ(XmlText(root, "requestId"), "req-1");
  auto items = XmlItems(root, "instancesSet");
  ASSERT_EQ(items.size(), 1u);
  pugi::xml_node i = items[0];
  EXPECT_EQ(XmlText(i, "instanceType"), "r5.large");
  EXPECT_EQ(XmlText(i, "instanceLifecycle"), "spot");
  EXPECT_EQ(aws::XmlTagSet(i).at("spotkeeper:ssi"), "ssi-1");
  auto nics = XmlItems(i, "networkInterfaceSet");
  ASSERT_EQ(nics.size(), 1u);
  EXPECT_EQ(XmlText(nics[0], "networkInterfaceId"), eni->id);
  EXPECT_EQ(XmlText(nics[0], "attachment/deviceIndex"), "0");
  EXPECT_EQ(XmlText(nics[0], "attachment/deleteOnTermination"), "false");
  auto bdm = XmlItems(i, "blockDeviceMapping");
  ASSERT_EQ(bdm.size(), 2u);
  EXPECT_EQ(XmlText(bdm[0], "deviceName"), "/dev/xvda");
  EXPECT_EQ(XmlText(bdm[0], "ebs/deleteOnTermination"), "false");
  std::string root_vol = XmlText(bdm[0], "ebs/volumeId");
  DescribeRequest d;
  d.ids = {root_vol};
  auto vols = cloud_->engine()->DescribeVolumes(d);
  EXPECT_EQ(vols->items[0].size_gib, 12);
  EXPECT_EQ(vols->items[0].tags.at("spotkeeper:role"), "data");
  ASSERT_TRUE(cloud_->engine()->WaitIdle(std::chrono::seconds(10)));
  EXPECT_EQ(driver_.Instances().at(XmlText(i, "instanceId")).config.user_data,
            "#!/bin/sh\necho hi");
}

TEST_F(Ec2HandlerTest, DecodingErrorsUseEc2Codes) {
  auto code = [&](const ApiReply& r) {
    std::shared_ptr<pugi::xml_document> doc;
    return XmlText(Root(r, &doc), "Errors/Error/Code");
  };
  EXPECT_EQ(code(Call({{"Action", "RunInstances"},
                       {"ImageId", "ami-00000000000000001"},
                       {"MinCount", "1"},
                       {"MaxCount", "1"},
                       {"UserData", "%%%"}})),
            "InvalidParameterValue");
  EXPECT_EQ(code(Call({{"Action", "RunInstances"},
                       {"ImageId", "ami-00000000000000001"},
                       {"MinCount", "one"},
                       {"MaxCount", "1"}})),
            "InvalidParameterValue");
  EXPECT_EQ(code(Call({{"Action", "GetConsoleOutput"}})), "MissingParameter");
  EXPECT_EQ(code(Call({})), "MissingAction");
  ApiReply r = Call({{"Action", "DescribeVolumes"}, {"VolumeId.1", "vol-00000000000000001"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(code(r), "InvalidVolume.NotFound");
}

TEST_F(Ec2HandlerTest, VolumeLifecycleShapes) {
  ApiReply c = Call({{"Action", "CreateVolume"},
                     {"AvailabilityZone", "local-1a"},
                     {"Size", "4"},
                     {"VolumeType", "gp2"},
                     {"TagSpecification.1.ResourceType", "volume"},
                     {"TagSpecification.1.Tag.1.Key", "k"},
                     {"TagSpecification.1.Tag.1.Value", "v"}});
  ASSERT_EQ(c.status, 200) << c.body;
  std::shared_ptr<pugi::xml_document> doc;
  pugi::xml_node root = Root(c, &doc);
  EXPECT_STREQ(root.name(), "CreateVolumeResponse");
  EXPECT_EQ(XmlText(root, "status"), "creating");
  EXPECT_EQ(XmlText(root, "size"), "4");
  EXPECT_EQ(XmlText(root, "volumeType"), "gp2");
  std::string vol = XmlText(root, "volumeId");
  ASSERT_TRUE(cloud_->engine()->WaitIdle(std::chrono::seconds(10)));
  ApiReply d =
      Call({{"Action", "DescribeVolumes"}, {"Filter.1.Name", "tag:k"}, {"Filter.1.Value.1", "v"}});
  auto items = XmlItems(Root(d, &doc), "volumeSet");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(XmlText(items[0], "status"), "available");
  ApiReply del = Call({{"Action", "DeleteVolume"}, {"VolumeId", vol}});
  EXPECT_EQ(XmlText(Root(del, &doc), "return"), "true");
}

TEST_F(Ec2HandlerTest, SnapshotAndImageShapes) {
  std::shared_ptr<pugi::xml_document> doc;
  ApiReply v = Call({{"Action", "CreateVolume"}, {"AvailabilityZone", "local-1a"}, {"Size", "2"}});
  std::string vol = XmlText(Root(v, &doc), "volumeId");
  ASSERT_TRUE(cloud_->engine()->WaitIdle(std::chrono::seconds(10)));
  ApiReply c = Call({{"Action", "CreateSnapshot"},
                     {"VolumeId", vol},
                     {"Description", "nightly"},
                     {"TagSpecification.1.ResourceType", "snapshot"},
                     {"TagSpecification.1.Tag.1.Key", "k"},
                     {"TagSpecification.1.Tag.1.Value", "v"}});
  ASSERT_EQ(c.status, 200) << c.body;
  pugi::xml_node root = Root(c, &doc);
  EXPECT_STREQ(root.name(), "CreateSnapshotResponse");
  std::string snap = XmlText(root, "snapshotId");
  EXPECT_EQ(snap.rfind("snap-", 0), 0u);
  EXPECT_EQ(XmlText(root, "volumeId"), vol);
  EXPECT_EQ(XmlText(root, "status"), "pending");
  EXPECT_EQ(XmlText(root, "progress"), "0%");
  EXPECT_EQ(XmlText(root, "volumeSize"), "2");
  EXPECT_EQ(XmlText(root, "ownerId"), "000000000000");
  EXPECT_EQ(XmlText(root, "description"), "nightly");
  EXPECT_EQ(aws::XmlTagSet(root).at("k"), "v");
  ASSERT_TRUE(cloud_->engine()->WaitIdle(std::chrono::seconds(10)));
  ApiReply d = Call({{"Action", "DescribeSnapshots"},
                     {"Owner.1", "self"},
                     {"Filter.1.Name", "status"},
                     {"Filter.1.Value.1", "completed"}});
  auto items = XmlItems(Root(d, &doc), "snapshotSet");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(XmlText(items[0], "progress"), "100%");
  EXPECT_FALSE(XmlText(items[0], "startTime").empty());
  EXPECT_FALSE(XmlText(items[0], "completionTime").empty());

  ApiReply copy = Call({{"Action", "CopySnapshot"},
                        {"SourceRegion", "local-1"},
                        {"SourceSnapshotId", snap},
                        {"TagSpecification.1.ResourceType", "snapshot"},
                        {"TagSpecification.1.Tag.1.Key", "copy"},
                        {"TagSpecification.1.Tag.1.Value", "1"}});
  ASSERT_EQ(copy.status, 200) << copy.body;
  root = Root(copy, &doc);
  EXPECT_STREQ(root.name(), "CopySnapshotResponse");
  EXPECT_EQ(XmlText(root, "snapshotId").rfind("snap-", 0), 0u);
  EXPECT_EQ(aws::XmlTagSet(root).at("copy"), "1");

  ApiReply reg = Call({{"Action", "RegisterImage"},
                       {"Name", "from-snap"},
                       {"RootDeviceName", "/dev/xvda"},
                       {"Architecture", "x86_64"},
                       {"VirtualizationType", "hvm"},
                       {"EnaSupport", "true"},
                       {"BlockDeviceMapping.1.DeviceName", "/dev/xvda"},
                       {"BlockDeviceMapping.1.Ebs.SnapshotId", snap},
                       {"BlockDeviceMapping.1.Ebs.VolumeSize", "4"},
                       {"BlockDeviceMapping.1.Ebs.DeleteOnTermination", "true"},
                       {"BlockDeviceMapping.2.DeviceName", "/dev/sdf"},
                       {"BlockDeviceMapping.2.Ebs.VolumeSize", "1"},
                       {"BlockDeviceMapping.2.Ebs.VolumeType", "gp2"}});
  ASSERT_EQ(reg.status, 200) << reg.body;
  std::string ami = XmlText(Root(reg, &doc), "imageId");
  ApiReply di = Call({{"Action", "DescribeImages"},
                      {"Filter.1.Name", "block-device-mapping.snapshot-id"},
                      {"Filter.1.Value.1", snap}});
  auto images = XmlItems(Root(di, &doc), "imagesSet");
  ASSERT_EQ(images.size(), 1u);
  EXPECT_EQ(XmlText(images[0], "imageId"), ami);
  EXPECT_EQ(XmlText(images[0], "imageState"), "available");
  auto bdm = XmlItems(images[0], "blockDeviceMapping");
  ASSERT_EQ(bdm.size(), 2u);
  EXPECT_EQ(XmlText(bdm[0], "deviceName"), "/dev/xvda");
  EXPECT_EQ(XmlText(bdm[0], "ebs/snapshotId"), snap);
  EXPECT_EQ(XmlText(bdm[0], "ebs/volumeSize"), "4");
  EXPECT_EQ(XmlText(bdm[0], "ebs/deleteOnTermination"), "true");
  EXPECT_EQ(XmlText(bdm[1], "ebs/volumeType"), "gp2");

  auto code = [&](const ApiReply& r) { return XmlText(Root(r, &doc), "Errors/Error/Code"); };
  ApiReply in_use = Call({{"Action", "DeleteSnapshot"}, {"SnapshotId", snap}});
  EXPECT_EQ(in_use.status, 400);
  EXPECT_EQ(code(in_use), "InvalidSnapshot.InUse");
  ApiReply dup = Call({{"Action", "RegisterImage"},
                       {"Name", "from-snap"},
                       {"RootDeviceName", "/dev/xvda"},
                       {"BlockDeviceMapping.1.DeviceName", "/dev/xvda"},
                       {"BlockDeviceMapping.1.Ebs.SnapshotId", snap}});
  EXPECT_EQ(code(dup), "InvalidAMIName.Duplicate");

  // CreateImage of a running instance.
  ApiReply run =
      Call({{"Action", "RunInstances"}, {"ImageId", ami}, {"MinCount", "1"}, {"MaxCount", "1"}});
  ASSERT_EQ(run.status, 200) << run.body;
  std::string iid = XmlText(XmlItems(Root(run, &doc), "instancesSet")[0], "instanceId");
  ASSERT_TRUE(cloud_->engine()->WaitIdle(std::chrono::seconds(10)));
  ApiReply ci = Call({{"Action", "CreateImage"},
                      {"InstanceId", iid},
                      {"Name", "of-instance"},
                      {"NoReboot", "true"},
                      {"TagSpecification.1.ResourceType", "image"},
                      {"TagSpecification.1.Tag.1.Key", "a"},
                      {"TagSpecification.1.Tag.1.Value", "b"}});
  ASSERT_EQ(ci.status, 200) << ci.body;
  root = Root(ci, &doc);
  EXPECT_STREQ(root.name(), "CreateImageResponse");
  std::string made = XmlText(root, "imageId");
  ASSERT_TRUE(cloud_->engine()->WaitIdle(std::chrono::seconds(10)));
  ApiReply dm = Call({{"Action", "DescribeImages"}, {"ImageId.1", made}});
  auto made_items = XmlItems(Root(dm, &doc), "imagesSet");
  ASSERT_EQ(made_items.size(), 1u);
  EXPECT_EQ(XmlText(made_items[0], "imageState"), "available");
  EXPECT_EQ(XmlText(made_items[0], "sourceInstanceId"), iid);
  EXPECT_EQ(XmlItems(made_items[0], "blockDeviceMapping").size(), 2u);

  ApiReply dereg = Call({{"Action", "DeregisterImage"}, {"ImageId", ami}});
  EXPECT_EQ(XmlText(Root(dereg, &doc), "return"), "true");
  ApiReply gone = Call({{"Action", "DescribeImages"}, {"ImageId.1", ami}});
  EXPECT_EQ(code(gone), "InvalidAMIID.NotFound");
  ApiReply del = Call({{"Action", "DeleteSnapshot"}, {"SnapshotId", snap}});
  EXPECT_EQ(XmlText(Root(del, &doc), "return"), "true");
  ApiReply missing = Call({{"Action", "DescribeSnapshots"}, {"SnapshotId.1", snap}});
  EXPECT_EQ(code(missing), "InvalidSnapshot.NotFound");
}

}  // namespace
}  // namespace spotkeeper::cloud
