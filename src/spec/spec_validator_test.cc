// ValidateGroupSpec: identity, capacity and compute rules. Each test breaks one rule of a valid
// spec and expects exactly the error(s) of that rule.
#include "spec/spec_validator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "spec/spec_test_util.h"

namespace spotkeeper {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(SpecValidatorTest, TheBaseSpecIsValid) { EXPECT_THAT(ErrorsOf(ValidSpec()), IsEmpty()); }

TEST(SpecValidatorTest, NameIsRequired) {
  GroupSpec s = ValidSpec();
  s.name = "";
  EXPECT_THAT(ErrorsOf(s), ElementsAre("name: is required; give the group a name such as "
                                       "redis-prod"));
}

TEST(SpecValidatorTest, NameCharset) {
  GroupSpec s = ValidSpec();
  s.name = "redis/prod";
  EXPECT_THAT(ErrorsOf(s), ElementsAre("name: 'redis/prod' contains '/'; use only letters, "
                                       "digits, '.', '_' and '-' (e.g. redis-prod)"));
  s.name = "Redis_prod.v2-a";
  EXPECT_THAT(ErrorsOf(s), IsEmpty());
}

TEST(SpecValidatorTest, NameLength) {
  GroupSpec s = ValidSpec();
  s.name = std::string(128, 'a');
  EXPECT_THAT(ErrorsOf(s), IsEmpty());
  s.name = std::string(129, 'a');
  EXPECT_THAT(ErrorsOf(s), ElementsAre("name: is 129 characters long; use at most 128"));
}

TEST(SpecValidatorTest, RegionIsRequired) {
  GroupSpec s = ValidSpec();
  s.region = "";
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("region", "is required; write the region")));
}

TEST(SpecValidatorTest, RegionShape) {
  GroupSpec s = ValidSpec();
  s.region = "US East";
  s.compute.availability_zones[0].name = "US Easta";
  EXPECT_THAT(ErrorsOf(s), ElementsAre("region: 'US East' is not a region name; write lowercase "
                                       "letters, digits and '-', e.g. us-east-1"));
}

TEST(SpecValidatorTest, NameCharsetShowsWholeCharacters) {
  GroupSpec s = ValidSpec();
  s.name = "caf\xc3\xa9";
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("name", "contains '\xc3\xa9'")));
}

TEST(SpecValidatorTest, CapacityMinimumNotNegative) {
  GroupSpec s = ValidSpec();
  s.capacity.minimum = -1;
  EXPECT_THAT(ErrorsOf(s), ElementsAre("capacity.minimum: is -1; write 0 or more"));
}

TEST(SpecValidatorTest, CapacityTargetAtLeastMinimum) {
  GroupSpec s = ValidSpec();
  s.capacity = {0, 1, 1};
  EXPECT_THAT(ErrorsOf(s), ElementsAre("capacity.target: 0 is below capacity.minimum (1); write "
                                       "a target between minimum and maximum"));
}

TEST(SpecValidatorTest, CapacityTargetAtMostMaximum) {
  GroupSpec s = ValidSpec();
  s.compute.private_ips = {};
  s.strategy.max_unavailable = 1;
  s.capacity = {3, 0, 2};
  EXPECT_THAT(ErrorsOf(s), ElementsAre("capacity.target: 3 is above capacity.maximum (2); raise "
                                       "maximum to at least 3 or lower the target"));
}

TEST(SpecValidatorTest, CapacityMinimumAtMostMaximum) {
  GroupSpec s = ValidSpec();
  s.capacity = {2, 2, 1};
  EXPECT_THAT(ErrorsOf(s), ElementsAre("capacity.minimum: 2 is above capacity.maximum (1); write "
                                       "minimum <= maximum"));
}

TEST(SpecValidatorTest, CapacityMaximumAtLeastOne) {
  GroupSpec s = ValidSpec();
  s.capacity = {0, 0, 0};
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("capacity.maximum", "is 0; write 1 or more")));
  s.capacity = {0, 0, 1};  // scaled to zero is fine
  EXPECT_THAT(ErrorsOf(s), IsEmpty());
}

TEST(SpecValidatorTest, AvailabilityZonesNonEmpty) {
  GroupSpec s = ValidSpec();
  s.compute.availability_zones.clear();
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("compute.availabilityZones",
                                           "is empty; list at least one zone, e.g.")));
}

TEST(SpecValidatorTest, AvailabilityZoneNamesRequiredAndUnique) {
  GroupSpec s = ValidSpec();
  s.compute.availability_zones = {
      {"us-east-1a", {"subnet-0a"}}, {"", {"subnet-0b"}}, {"us-east-1a", {"subnet-0c"}}};
  EXPECT_THAT(
      ErrorsOf(s),
      ElementsAre(Err("compute.availabilityZones[1].name",
                      "is required; write the zone's name, "
                      "e.g. us-east-1a"),
                  "compute.availabilityZones[2].name: zone 'us-east-1a' is listed twice (also at "
                  "compute.availabilityZones[0]); list each zone once with all its subnetIds"));
}

TEST(SpecValidatorTest, AvailabilityZonesLieInTheRegion) {
  GroupSpec s = ValidSpec();
  s.compute.availability_zones[0].name = "eu-west-1a";
  EXPECT_THAT(ErrorsOf(s), ElementsAre("compute.availabilityZones[0].name: zone 'eu-west-1a' is "
                                       "not in region 'us-east-1'; zones of that region are "
                                       "named like us-east-1a"));
}

TEST(SpecValidatorTest, EachZoneNeedsASubnet) {
  GroupSpec s = ValidSpec();
  s.compute.availability_zones.push_back({"us-east-1b", {}});
  EXPECT_THAT(ErrorsOf(s), ElementsAre("compute.availabilityZones[1].subnetIds: is empty; give at "
                                       "least one subnet of zone 'us-east-1b', e.g. "
                                       "[subnet-0a1b2c3d]"));
}

TEST(SpecValidatorTest, SubnetIdShape) {
  GroupSpec s = ValidSpec();
  s.compute.availability_zones[0].subnet_ids = {"subnet-0a1b", "subnet-XYZ", "sn-0a1b", "subnet-"};
  EXPECT_THAT(ErrorsOf(s),
              ElementsAre(Err("compute.availabilityZones[0].subnetIds[1]",
                              "'subnet-XYZ' is not a subnet id; write subnet- and hex digits"),
                          Err("compute.availabilityZones[0].subnetIds[2]", "'sn-0a1b'"),
                          Err("compute.availabilityZones[0].subnetIds[3]", "'subnet-'")));
}

TEST(SpecValidatorTest, SubnetIdsListedOnce) {
  GroupSpec s = ValidSpec();
  s.compute.availability_zones = {{"us-east-1a", {"subnet-0a", "subnet-0b"}},
                                  {"us-east-1b", {"subnet-0b"}}};
  EXPECT_THAT(ErrorsOf(s), ElementsAre("compute.availabilityZones[1].subnetIds[0]: subnet "
                                       "'subnet-0b' is listed twice (also at "
                                       "compute.availabilityZones[0].subnetIds[1]); a subnet lies "
                                       "in one zone: list it once"));
}

TEST(SpecValidatorTest, SpotTypesNonEmpty) {
  GroupSpec s = ValidSpec();
  s.compute.instance_types.spot.clear();
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("compute.instanceTypes.spot",
                                           "is empty; list at least one type to run on spot")));
}

TEST(SpecValidatorTest, SpotTypesUnique) {
  GroupSpec s = ValidSpec();
  s.compute.instance_types.spot = {"m5.large", "m5a.large", "m5.large"};
  EXPECT_THAT(ErrorsOf(s), ElementsAre("compute.instanceTypes.spot[2]: type 'm5.large' is listed "
                                       "twice (also at [0]); list each type once"));
}

TEST(SpecValidatorTest, InstanceTypeShape) {
  GroupSpec s = ValidSpec();
  s.compute.instance_types = {"m5 large", {"m5large", "c6gn.16xlarge", "M5.large", "m5.large.x"}};
  EXPECT_THAT(ErrorsOf(s),
              ElementsAre(Err("compute.instanceTypes.spot[0]",
                              "'m5large' is not an instance type; write family.size, e.g. "
                              "m5.large"),
                          Err("compute.instanceTypes.spot[2]", "'M5.large'"),
                          Err("compute.instanceTypes.spot[3]", "'m5.large.x'"),
                          Err("compute.instanceTypes.ondemand", "'m5 large'")));
}

TEST(SpecValidatorTest, FallbackToOnDemandNeedsAnOnDemandType) {
  GroupSpec s = ValidSpec();
  s.compute.instance_types.ondemand = "";
  EXPECT_THAT(ErrorsOf(s), ElementsAre("compute.instanceTypes.ondemand: is required because "
                                       "strategy.fallbackToOd is true (the default); write the "
                                       "type to fall back to, e.g. m5.large, or set "
                                       "strategy.fallbackToOd: false"));
  s.strategy.fallback_to_od = false;
  EXPECT_THAT(ErrorsOf(s), IsEmpty());
}

TEST(SpecValidatorTest, ImageIdRequired) {
  GroupSpec s = ValidSpec();
  s.compute.launch_specification.image_id = "";
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("compute.launchSpecification.imageId",
                                           "is required; write the image to boot")));
}

TEST(SpecValidatorTest, ImageIdShape) {
  GroupSpec s = ValidSpec();
  for (const char* bad : {"ami-xyz", "ami-", "ami0123", "AMI-0123", "img-0123"}) {
    s.compute.launch_specification.image_id = bad;
    EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("compute.launchSpecification.imageId",
                                             std::string("'") + bad +
                                                 "' is not an image id; write ami- and hex "
                                                 "digits, e.g. ami-0123456789abcdef0")));
  }
  s.compute.launch_specification.image_id = "ami-00000000000000001";
  EXPECT_THAT(ErrorsOf(s), IsEmpty());
}

TEST(SpecValidatorTest, SecurityGroupIdShapeAndUniqueness) {
  GroupSpec s = ValidSpec();
  s.compute.launch_specification.security_group_ids = {"sg-0123", "default", "sg-0123"};
  EXPECT_THAT(ErrorsOf(s),
              ElementsAre(Err("compute.launchSpecification.securityGroupIds[1]",
                              "'default' is not a security group id; write sg- and hex digits"),
                          Err("compute.launchSpecification.securityGroupIds[2]",
                              "'sg-0123' is listed twice (also at [0])")));
}

TEST(SpecValidatorTest, UserDataIsAnyTextUpTo16KiB) {
  GroupSpec s = ValidSpec();
  s.compute.launch_specification.user_data = "IyEvYmluL3NoCg==";  // base64 is just text here
  EXPECT_THAT(ErrorsOf(s), IsEmpty());
  s.compute.launch_specification.user_data = std::string(16384, 'x');
  EXPECT_THAT(ErrorsOf(s), IsEmpty());
  s.compute.launch_specification.user_data = std::string(16385, 'x');
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("compute.launchSpecification.userData",
                                           "is 16385 bytes; EC2 takes at most 16384")));
}

TEST(SpecValidatorTest, TagKeys) {
  GroupSpec s = ValidSpec();
  s.compute.launch_specification.tags = {{"", "x"}, {"aws:owner", "me"}, {"team", "data"}};
  EXPECT_THAT(ErrorsOf(s),
              ElementsAre(Err("compute.launchSpecification.tags", "a tagKey is empty"),
                          Err("compute.launchSpecification.tags",
                              "tag key 'aws:owner' uses the prefix aws:, which AWS reserves")));
  s.compute.launch_specification.tags = {{std::string(129, 'k'), "v"},
                                         {"v", std::string(257, 'v')}};
  EXPECT_THAT(ErrorsOf(s),
              ElementsAre(Err("compute.launchSpecification.tags", "longer than 128 characters"),
                          Err("compute.launchSpecification.tags",
                              "the value of tag 'v' is longer than 256 characters")));
}

TEST(SpecValidatorTest, DeviceNamesAreDataDevices) {
  GroupSpec s = ValidSpec();
  auto& bdms = s.compute.launch_specification.block_device_mappings;
  bdms = {{"/dev/sdb", 1},  {"/dev/xvdz", 1},    {"/dev/sda1", 1}, {"/dev/sda", 1},
          {"/dev/xvda", 1}, {"/dev/nvme1n1", 1}, {"", 1}};
  EXPECT_THAT(
      ErrorsOf(s),
      ElementsAre(
          "compute.launchSpecification.blockDeviceMappings[2].deviceName: '/dev/sda1' is not a "
          "data volume device; write /dev/sdb../dev/sdz or /dev/xvdb../dev/xvdz (the root device "
          "comes from the image)",
          Err("compute.launchSpecification.blockDeviceMappings[3].deviceName", "'/dev/sda'"),
          Err("compute.launchSpecification.blockDeviceMappings[4].deviceName", "'/dev/xvda'"),
          Err("compute.launchSpecification.blockDeviceMappings[5].deviceName", "'/dev/nvme1n1'"),
          Err("compute.launchSpecification.blockDeviceMappings[6].deviceName",
              "is required; write the data volume's device, e.g. /dev/sdf")));
}

TEST(SpecValidatorTest, DeviceNamesUnique) {
  GroupSpec s = ValidSpec();
  s.compute.launch_specification.block_device_mappings = {{"/dev/sdf", 1}, {"/dev/sdf", 2}};
  EXPECT_THAT(ErrorsOf(s), ElementsAre("compute.launchSpecification.blockDeviceMappings[1]."
                                       "deviceName: '/dev/sdf' is used twice (also at "
                                       "compute.launchSpecification.blockDeviceMappings[0]); give "
                                       "each volume its own device"));
}

TEST(SpecValidatorTest, VolumeSizeRange) {
  GroupSpec s = ValidSpec();
  auto& b = s.compute.launch_specification.block_device_mappings[0];
  b.volume_size_gib = 0;
  EXPECT_THAT(ErrorsOf(s), ElementsAre("compute.launchSpecification.blockDeviceMappings[0].ebs."
                                       "volumeSize: is missing or 0; write the size in GiB, 1 to "
                                       "16384"));
  b.volume_size_gib = 16385;
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("compute.launchSpecification.blockDeviceMappings[0]."
                                           "ebs.volumeSize",
                                           "is 16385; write the size in GiB, 1 to 16384")));
  b.volume_size_gib = 16384;
  EXPECT_THAT(ErrorsOf(s), IsEmpty());
  b.volume_type = "st1";
  b.volume_size_gib = 100;
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("compute.launchSpecification.blockDeviceMappings[0]."
                                           "ebs.volumeSize",
                                           "st1 volumes are at least 125 GiB")));
}

TEST(SpecValidatorTest, VolumeTypes) {
  GroupSpec s = ValidSpec();
  auto& b = s.compute.launch_specification.block_device_mappings[0];
  b.volume_size_gib = 500;
  for (const char* ok : {"gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"}) {
    b.volume_type = ok;
    EXPECT_THAT(ErrorsOf(s), IsEmpty()) << ok;
  }
  b.volume_type = "GP3";
  EXPECT_THAT(ErrorsOf(s), ElementsAre("compute.launchSpecification.blockDeviceMappings[0].ebs."
                                       "volumeType: 'GP3' is not a volume type; write one of "
                                       "gp2, gp3, io1, io2, st1, sc1, standard"));
}

TEST(SpecValidatorTest, CollectsAllErrors) {
  GroupSpec s = ValidSpec();
  s.name = "";
  s.region = "";
  s.compute.launch_specification.image_id = "x";
  s.snapshots.keep = 0;
  EXPECT_EQ(ErrorsOf(s).size(), 4u);
}

}  // namespace
}  // namespace spotkeeper
