// ParseGroupSpec end to end (YAML and JSON → GroupSpec or errors), ToJson and round trips.
#include "spec/group_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "spec/group_spec_reader.h"
#include "spec/spec_test_util.h"

namespace spotkeeper {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The example of the format description, as a user would write it, except for the pool of
// privateIps: it has three addresses, because the second task raises capacity.maximum to 3 and
// a pool needs one address per instance.
constexpr char kFullYaml[] = R"(
name: redis-prod            # required, [A-Za-z0-9._-], 1..128 chars
description: optional text
region: us-east-1           # required
capacity: {target: 1, minimum: 0, maximum: 1}
compute:
  availabilityZones: [{name: us-east-1a, subnetIds: [subnet-0a1b2c3d]}]
  instanceTypes: {ondemand: m5.large, spot: [m5.large, m5a.large]}
  launchSpecification:
    imageId: ami-0123456789abcdef0
    userData: |
      #!/bin/sh
      echo hello
    tags: [{tagKey: team, tagValue: data}]
    securityGroupIds: [sg-0123]
    blockDeviceMappings:
      - deviceName: /dev/sdf
        ebs: {volumeSize: 10, volumeType: gp3, deleteOnTermination: false}
  privateIps: [10.0.1.10, 10.0.1.11, 10.0.1.12]   # pool, one stateful instance per IP
strategy:
  fallbackToOd: true
  revertToSpot: {performAt: always}
  drainingTimeout: 120
  maxUnavailable: 1
  persistence:
    shouldPersistRootDevice: true
    shouldPersistBlockDevices: true
    shouldPersistPrivateIp: true
    blockDevicesMode: reattach
snapshots: {frequencyMinutes: 5, keep: 3}
health:
  type: EC2
  gracePeriod: 300
  unhealthyDuration: 120
  autoHealing: true
  serving: {tcp: {port: 2379}, gracePeriod: 120, interval: 5, timeout: 2}
  leader: {tcp: {port: 2181, send: "srvr\n", expect: "Mode: leader"}, timeout: 2}
scheduling:
  tasks:
    - {taskType: statefulRecycle, cronExpression: "0 3 * * SUN", isEnabled: true}
    - {taskType: statefulUpdateCapacity, cronExpression: "0 20 * * MON-FRI", targetCapacity: 0, minCapacity: 0, maxCapacity: 3}
statefulDeallocation: {shouldDeleteImages: false, shouldDeleteNetworkInterfaces: false, shouldDeleteVolumes: false, shouldDeleteSnapshots: false}
)";

constexpr char kMinimalYaml[] = R"(
name: tiny
region: us-east-1
compute:
  availabilityZones: [{name: us-east-1a, subnetIds: [subnet-0a1b2c3d]}]
  instanceTypes: {ondemand: m5.large, spot: [m5.large]}
  launchSpecification: {imageId: ami-0123}
strategy:
  persistence: {shouldPersistRootDevice: true}
)";

GroupSpec MustParse(std::string_view text) {
  ParseOutcome o = ParseGroupSpec(text);
  EXPECT_TRUE(o.ok()) << o.ErrorText();
  return o.spec.value_or(GroupSpec{});
}

std::vector<std::string> ErrorLines(std::string_view text) {
  ParseOutcome o = ParseGroupSpec(text);
  EXPECT_FALSE(o.spec.has_value());
  std::vector<std::string> out;
  for (const ValidationError& e : o.errors) out.push_back(e.ToString());
  return out;
}

// kMinimalYaml with `extra` appended (YAML lets a later top-level key add a section).
std::string Minimal(const std::string& extra) { return std::string(kMinimalYaml) + extra; }

TEST(GroupSpecTest, ParsesTheFullExample) {
  GroupSpec s = MustParse(kFullYaml);
  EXPECT_EQ(s.name, "redis-prod");
  EXPECT_EQ(s.description, "optional text");
  EXPECT_EQ(s.region, "us-east-1");
  EXPECT_EQ(s.capacity, (CapacitySpec{1, 0, 1}));
  ASSERT_EQ(s.compute.availability_zones.size(), 1u);
  EXPECT_EQ(s.compute.availability_zones[0],
            (AvailabilityZoneSpec{"us-east-1a", {"subnet-0a1b2c3d"}}));
  EXPECT_EQ(s.compute.instance_types, (InstanceTypesSpec{"m5.large", {"m5.large", "m5a.large"}}));
  const LaunchSpecification& l = s.compute.launch_specification;
  EXPECT_EQ(l.image_id, "ami-0123456789abcdef0");
  EXPECT_EQ(l.user_data, "#!/bin/sh\necho hello\n");
  EXPECT_EQ(l.tags, (std::map<std::string, std::string>{{"team", "data"}}));
  EXPECT_EQ(l.security_group_ids, std::vector<std::string>{"sg-0123"});
  ASSERT_EQ(l.block_device_mappings.size(), 1u);
  EXPECT_EQ(l.block_device_mappings[0], (BlockDeviceMappingSpec{"/dev/sdf", 10, "gp3", false}));
  EXPECT_EQ(s.compute.private_ips,
            (std::vector<std::string>{"10.0.1.10", "10.0.1.11", "10.0.1.12"}));
  EXPECT_TRUE(s.strategy.fallback_to_od);
  EXPECT_EQ(s.strategy.revert_to_spot.perform_at, PerformAt::kAlways);
  EXPECT_EQ(s.strategy.draining_timeout_seconds, 120);
  EXPECT_EQ(s.strategy.persistence,
            (PersistenceSpec{true, true, true, BlockDevicesMode::kReattach}));
  EXPECT_EQ(s.snapshots, (SnapshotSpec{5, 3}));
  LeaderCheckSpec leader;
  leader.probe.port = 2181;
  leader.probe.send = "srvr\n";
  leader.probe.expect = "Mode: leader";
  EXPECT_EQ(s.health, (HealthSpec{"EC2", 300, 120, true, TcpServing(2379, 120, 5, 2), leader}));
  ASSERT_EQ(s.scheduled_tasks.size(), 2u);
  EXPECT_EQ(s.scheduled_tasks[0].task_type, TaskType::kStatefulRecycle);
  EXPECT_EQ(s.scheduled_tasks[0].cron_expression, "0 3 * * SUN");
  EXPECT_EQ(s.scheduled_tasks[0].target_capacity, std::nullopt);
  EXPECT_EQ(s.scheduled_tasks[1].task_type, TaskType::kStatefulUpdateCapacity);
  EXPECT_EQ(s.scheduled_tasks[1].target_capacity, 0);
  EXPECT_EQ(s.scheduled_tasks[1].max_capacity, 3);
  EXPECT_EQ(s.stateful_deallocation, DeallocationSpec{});
  EXPECT_FALSE(s.MultiAz());
}

TEST(GroupSpecTest, AbsentFieldsTakeTheDocumentedDefaults) {
  GroupSpec s = MustParse(kMinimalYaml);
  EXPECT_EQ(s.description, "");
  EXPECT_EQ(s.capacity, (CapacitySpec{1, 0, 1}));
  EXPECT_TRUE(s.strategy.fallback_to_od);
  EXPECT_EQ(s.strategy.revert_to_spot.perform_at, PerformAt::kAlways);
  EXPECT_EQ(s.strategy.draining_timeout_seconds, 120);
  EXPECT_EQ(s.strategy.max_unavailable, 1);
  EXPECT_EQ(s.strategy.persistence,
            (PersistenceSpec{true, false, false, BlockDevicesMode::kReattach}));
  EXPECT_EQ(s.snapshots, (SnapshotSpec{5, 3}));
  EXPECT_EQ(s.health, (HealthSpec{"EC2", 300, 120, true, std::nullopt, std::nullopt}));
  EXPECT_THAT(s.scheduled_tasks, IsEmpty());
  EXPECT_EQ(s.stateful_deallocation, DeallocationSpec{});
  EXPECT_TRUE(s.scheduled_tasks.empty());
  EXPECT_EQ(s.compute.launch_specification.block_device_mappings.size(), 0u);
}

TEST(GroupSpecTest, NullSectionsAreAbsent) {
  GroupSpec s = MustParse(Minimal("snapshots:\nhealth: ~\ndescription:\n"));
  EXPECT_EQ(s.snapshots, (SnapshotSpec{5, 3}));
  EXPECT_EQ(s.description, "");
}

TEST(GroupSpecTest, JsonInputGivesTheSameSpec) {
  GroupSpec from_yaml = MustParse(kFullYaml);
  const std::string json = ToJson(from_yaml).dump();
  EXPECT_EQ(MustParse(json), from_yaml);
  EXPECT_EQ(MustParse("  \n\t" + json), from_yaml);        // leading whitespace
  EXPECT_EQ(MustParse("\xEF\xBB\xBF" + json), from_yaml);  // byte order mark
  EXPECT_EQ(ParseGroupSpecJson(nlohmann::json::parse(json)).spec, from_yaml);
}

TEST(GroupSpecTest, ToJsonWritesEveryDefault) {
  nlohmann::json j = ToJson(MustParse(kMinimalYaml));
  EXPECT_EQ(j["description"], "");
  EXPECT_EQ(j["capacity"], (nlohmann::json{{"target", 1}, {"minimum", 0}, {"maximum", 1}}));
  EXPECT_EQ(j["strategy"]["fallbackToOd"], true);
  EXPECT_EQ(j["strategy"]["revertToSpot"],
            (nlohmann::json{{"performAt", "always"}, {"timeWindows", nlohmann::json::array()}}));
  EXPECT_EQ(j["strategy"]["drainingTimeout"], 120);
  EXPECT_EQ(j["strategy"]["maxUnavailable"], 1);
  EXPECT_EQ(j["snapshots"], (nlohmann::json{{"frequencyMinutes", 5}, {"keep", 3}}));
  EXPECT_EQ(j["health"], (nlohmann::json{{"type", "EC2"},
                                         {"gracePeriod", 300},
                                         {"unhealthyDuration", 120},
                                         {"autoHealing", true}}));
  EXPECT_EQ(j["scheduling"], (nlohmann::json{{"tasks", nlohmann::json::array()}}));
  EXPECT_EQ(j["statefulDeallocation"]["shouldDeleteVolumes"], false);
  EXPECT_EQ(j["compute"]["privateIps"], nlohmann::json::array());
  EXPECT_EQ(j["compute"]["launchSpecification"]["userData"], "");
  EXPECT_EQ(j["compute"]["launchSpecification"]["tags"], nlohmann::json::array());
}

TEST(GroupSpecTest, ToJsonWritesBlockDevicesModeOnlyWhenBlockDevicesPersist) {
  nlohmann::json j = ToJson(MustParse(kMinimalYaml));
  EXPECT_FALSE(j["strategy"]["persistence"].contains("blockDevicesMode"));
  j = ToJson(MustParse(kFullYaml));
  EXPECT_EQ(j["strategy"]["persistence"]["blockDevicesMode"], "reattach");
}

TEST(GroupSpecTest, ToJsonWritesOnlyTheCapacitiesATaskSets) {
  nlohmann::json tasks = ToJson(MustParse(kFullYaml))["scheduling"]["tasks"];
  EXPECT_EQ(tasks[0], (nlohmann::json{{"taskType", "statefulRecycle"},
                                      {"cronExpression", "0 3 * * SUN"},
                                      {"isEnabled", true}}));
  EXPECT_EQ(tasks[1]["targetCapacity"], 0);
  EXPECT_EQ(tasks[1]["maxCapacity"], 3);
}

TEST(GroupSpecTest, RoundTripsEveryField) {
  GroupSpec s = MustParse(kFullYaml);
  s.description = "every field away from its default";
  s.capacity = {2, 1, 3};
  s.compute.availability_zones.push_back({"us-east-1b", {"subnet-0b", "subnet-0c"}});
  s.compute.launch_specification.tags["env"] = "prod";
  s.compute.launch_specification.block_device_mappings.push_back({"/dev/xvdg", 200, "st1", true});
  s.compute.private_ips.push_back("10.0.1.13");
  s.strategy = {
      false,
      {PerformAt::kTimeWindow,
       {*TimeWindow::Parse("mon:12:00-Tue:02:00"), *TimeWindow::Parse("Sat:22:00-Sun:04:00")}},
      600,
      2,
      false,
      {false, true, true, BlockDevicesMode::kOnLaunch}};
  s.snapshots = {60, 10};
  LeaderCheckSpec leader;
  leader.probe.kind = ServingProbe::Kind::kHttp;
  leader.probe.port = 8008;
  leader.probe.path = "/primary";
  leader.timeout_seconds = 3;
  s.health = {"EC2", 0, 30, false, TcpServing(8080, 60, 2, 1), leader};
  s.scheduled_tasks[0].is_enabled = false;
  s.scheduled_tasks[1].target_capacity.reset();
  s.stateful_deallocation = {true, true, true, true};
  ASSERT_THAT(ErrorsOf(s), IsEmpty());
  ParseOutcome again = ParseGroupSpecJson(ToJson(s));
  ASSERT_TRUE(again.ok()) << again.ErrorText();
  EXPECT_EQ(*again.spec, s);
  EXPECT_EQ(again.spec->strategy.revert_to_spot.time_windows[0].text, "mon:12:00-Tue:02:00");
  EXPECT_TRUE(again.spec->MultiAz());
}

// Every key ToJson writes is a documented field, and every documented field is written for a
// spec that uses them all: the "belongs under" hints cannot drift from the format.
TEST(GroupSpecTest, FieldPathsAreExactlyTheFieldsToJsonWrites) {
  std::set<std::string> written;
  std::function<void(const nlohmann::json&, const std::string&)> walk =
      [&](const nlohmann::json& j, const std::string& path) {
        if (j.is_object()) {
          for (const auto& [k, v] : j.items()) {
            std::string p = path.empty() ? k : path + "." + k;
            written.insert(p);
            walk(v, p);
          }
        } else if (j.is_array()) {
          for (const auto& item : j) walk(item, path + "[]");
        }
      };
  walk(ToJson(MustParse(kFullYaml)), "");
  // A check has one kind: the other kinds' fields come from variants of the full spec.
  const std::string full = kFullYaml;
  const std::string tcp = "serving: {tcp: {port: 2379}";
  ASSERT_NE(full.find(tcp), std::string::npos);
  for (const std::string kind : {R"(serving: {tcp: {port: 2181, send: "srvr\n", expect: "Mode: "})",
                                 R"(serving: {http: {port: 2379, expectBody: ok})"}) {
    std::string variant = full;
    variant.replace(variant.find(tcp), tcp.size(), kind);
    walk(ToJson(MustParse(variant)), "");
  }
  const std::string leader =
      R"(leader: {tcp: {port: 2181, send: "srvr\n", expect: "Mode: leader"})";
  ASSERT_NE(full.find(leader), std::string::npos);
  std::string patroni = full;
  patroni.replace(patroni.find(leader), leader.size(),
                  "leader: {http: {port: 8008, path: /primary, expectBody: x}");
  walk(ToJson(MustParse(patroni)), "");
  const std::vector<std::string>& paths = GroupSpecFieldPaths();
  EXPECT_EQ(written, std::set<std::string>(paths.begin(), paths.end()));
  EXPECT_EQ(paths.size(), written.size());  // no duplicates in the list
}

TEST(GroupSpecTest, ErrorTextHasOneErrorPerLine) {
  ParseOutcome o = ParseGroupSpec("name: 'a b'\nregion: r\n");
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.spec, std::nullopt);
  std::string text = o.ErrorText();
  EXPECT_EQ(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1, o.errors.size());
  EXPECT_EQ(text.substr(0, text.find('\n')), o.errors[0].path + ": " + o.errors[0].message);
  EXPECT_EQ(ParseOutcome{}.ErrorText(), "");
}

TEST(GroupSpecTest, SyntaxErrorsComeAloneWithLineAndColumn) {
  EXPECT_THAT(ErrorLines("name: x\n  region: y\n"),
              ElementsAre("YAML syntax error at line 2, column 9: illegal map value"));
  EXPECT_THAT(ErrorLines("{\"name\": \"x\",\n \"region\": }"),
              ElementsAre(HasSubstr("JSON syntax error at line 2, column 12")));
}

TEST(GroupSpecTest, ADocumentThatIsNotAMappingIsOneError) {
  EXPECT_THAT(ErrorLines("just a sentence"),
              ElementsAre("expected a mapping of fields (`field: value` lines), got a string "
                          "('just a sentence')"));
  EXPECT_THAT(ErrorLines("- a\n- b\n"), ElementsAre(HasSubstr("got a list")));
  EXPECT_THAT(ErrorLines("~"), ElementsAre(HasSubstr("the spec is empty")));
  EXPECT_THAT(ErrorLines("   "), ElementsAre(HasSubstr("the spec is empty")));
  EXPECT_THAT(ErrorLines("{}"), Contains("name: is required; give the group a name such as "
                                         "redis-prod"));
  EXPECT_THAT(ParseGroupSpecJson(nullptr).ErrorText(), HasSubstr("the spec is empty"));
  EXPECT_THAT(ParseGroupSpecJson(42).ErrorText(), HasSubstr("expected a mapping of fields"));
}

TEST(GroupSpecTest, DuplicateKeysAreErrors) {
  EXPECT_THAT(ErrorLines(Minimal("  persistence: {shouldPersistBlockDevices: true}\n")),
              ElementsAre("strategy.persistence: is written twice (line 10); keep one of them"));
}

TEST(GroupSpecTest, UnknownNestedFieldSuggestsTheClosest) {
  EXPECT_THAT(
      ErrorLines(Minimal("snapshots: {frequencyMinute: 5}\n")),
      ElementsAre("snapshots.frequencyMinute: unknown field 'frequencyMinute'; did you mean "
                  "'frequencyMinutes'?"));
  std::string yaml = kMinimalYaml;
  yaml.replace(yaml.find("{shouldPersistRootDevice: true}"), 31,
               "{shouldPersistRootDevice: true, blockDeviceMode: reattach}");
  EXPECT_THAT(ErrorLines(yaml),
              ElementsAre("strategy.persistence.blockDeviceMode: unknown field 'blockDeviceMode'; "
                          "did you mean 'blockDevicesMode'?"));
}

TEST(GroupSpecTest, MisplacedFieldSaysWhereItBelongs) {
  EXPECT_THAT(ErrorLines(Minimal("imageId: ami-0123\n")),
              ElementsAre("imageId: unknown field 'imageId' here; 'imageId' belongs under "
                          "compute.launchSpecification: move it there"));
}

TEST(GroupSpecTest, WrongTypesSayTheExpectedType) {
  EXPECT_THAT(ErrorLines(Minimal("snapshots: {keep: \"3\"}\n")),
              ElementsAre("snapshots.keep: expected an integer, got a string ('3'); write the "
                          "number without quotes"));
  EXPECT_THAT(ErrorLines(Minimal("health: {autoHealing: \"no\"}\n")),
              ElementsAre(HasSubstr("health.autoHealing: expected a boolean (true or false)")));
  std::string yaml = kMinimalYaml;
  yaml.replace(yaml.find("[subnet-0a1b2c3d]"), 17, "subnet-0a1b2c3d");
  EXPECT_THAT(ErrorLines(yaml),
              ElementsAre("compute.availabilityZones[0].subnetIds: expected a list of strings, "
                          "got a string ('subnet-0a1b2c3d'); write a list even for one item: "
                          "[subnet-0a1b2c3d]"));
  EXPECT_THAT(ErrorLines(Minimal("capacity: 3\n")),
              ElementsAre(HasSubstr("capacity: expected a mapping of fields")));
}

TEST(GroupSpecTest, AFieldThatCouldNotBeReadCausesNoFollowUpErrors) {
  // maximum keeps its default (1); "target 3 is above maximum 1" would only confuse.
  EXPECT_THAT(ErrorLines(Minimal("capacity: {target: 3, maximum: \"3\"}\n")),
              ElementsAre(HasSubstr("capacity.maximum: expected an integer")));
}

TEST(GroupSpecTest, EnumValues) {
  std::string yaml = kMinimalYaml;
  yaml.replace(yaml.find("{shouldPersistRootDevice: true}"), 31,
               "{shouldPersistBlockDevices: true, blockDevicesMode: snapshot}");
  EXPECT_THAT(ErrorLines(yaml),
              Contains("strategy.persistence.blockDevicesMode: 'snapshot' is not a valid value; "
                       "write one of: reattach | onLaunch"));
  EXPECT_THAT(ErrorLines(Minimal("  revertToSpot: {performAt: Never}\n")),
              ElementsAre("strategy.revertToSpot.performAt: 'Never' is not a valid value; write "
                          "one of: never | always | timeWindow (names are case-sensitive: write "
                          "never)"));
  EXPECT_THAT(ErrorLines(Minimal("  revertToSpot: {performAt: alwasy}\n")),
              ElementsAre("strategy.revertToSpot.performAt: 'alwasy' is not a valid value; write "
                          "one of: never | always | timeWindow (did you mean always?)"));
  EXPECT_THAT(ErrorLines(Minimal("scheduling: {tasks: [{taskType: recycle, cronExpression: "
                                 "'@daily'}]}\n")),
              ElementsAre("scheduling.tasks[0].taskType: 'recycle' is not a valid value; write "
                          "one of: statefulUpdateCapacity | statefulRecycle"));
  EXPECT_THAT(ErrorLines(Minimal("scheduling: {tasks: [{cronExpression: '@daily'}]}\n")),
              ElementsAre("scheduling.tasks[0].taskType: is required: write statefulRecycle or "
                          "statefulUpdateCapacity"));
}

TEST(GroupSpecTest, BlockDevicesModeWrittenWithoutBlockDevicePersistence) {
  std::string yaml = kMinimalYaml;
  yaml.replace(yaml.find("{shouldPersistRootDevice: true}"), 31,
               "{shouldPersistRootDevice: true, blockDevicesMode: reattach}");
  EXPECT_THAT(ErrorLines(yaml),
              ElementsAre(HasSubstr("strategy.persistence.blockDevicesMode: is set but "
                                    "shouldPersistBlockDevices is false")));
}

TEST(GroupSpecTest, TimeWindowsAreReadAndChecked) {
  GroupSpec s =
      MustParse(Minimal("  revertToSpot: {performAt: timeWindow, timeWindows: "
                        "[\"Mon:12:00-Tue:02:00\"]}\n"));
  ASSERT_EQ(s.strategy.revert_to_spot.time_windows.size(), 1u);
  EXPECT_EQ(s.strategy.revert_to_spot.time_windows[0].start_minute_of_week, 1440 + 720);
  EXPECT_THAT(ErrorLines(Minimal("  revertToSpot: {performAt: timeWindow, timeWindows: "
                                 "[\"Mon:12:00-Tue:02:00\", \"Mon 12-13\"]}\n")),
              ElementsAre(HasSubstr("strategy.revertToSpot.timeWindows[1]: time window "
                                    "'Mon 12-13' is not of the form ddd:hh:mm-ddd:hh:mm")));
}

TEST(GroupSpecTest, TagsNeedUniqueKeys) {
  std::string yaml = kMinimalYaml;
  yaml.replace(yaml.find("{imageId: ami-0123}"), 19,
               "{imageId: ami-0123, tags: [{tagKey: a, tagValue: 1}, {tagKey: a, tagValue: 2}, "
               "{tagValue: 3}]}");
  EXPECT_THAT(
      ErrorLines(yaml),
      ElementsAre("compute.launchSpecification.tags[1].tagKey: tag 'a' is given twice; keep one "
                  "value per tag key",
                  "compute.launchSpecification.tags[2].tagKey: is required: write {tagKey: team, "
                  "tagValue: data}"));
}

TEST(GroupSpecTest, CollectsEveryErrorOfTheDocument) {
  std::vector<std::string> errors = ErrorLines(R"(
name: "bad name"
regoin: us-east-1
capacity: {target: 5, maximum: 2}
compute:
  instanceTypes: {spot: []}
strategy:
  persistence: {shouldPersistPrivateIP: true}
snapshots: {keep: 0}
)");
  EXPECT_THAT(errors,
              Contains(HasSubstr("regoin: unknown field 'regoin'; did you mean 'region'?")));
  EXPECT_THAT(errors, Contains(HasSubstr("strategy.persistence.shouldPersistPrivateIP: unknown "
                                         "field")));
  EXPECT_THAT(errors, Contains(HasSubstr("name: 'bad name' contains ' '")));
  EXPECT_THAT(errors, Contains(HasSubstr("region: is required")));
  EXPECT_THAT(errors, Contains(HasSubstr("capacity.target: 5 is above capacity.maximum (2)")));
  EXPECT_THAT(errors, Contains(HasSubstr("compute.availabilityZones: is empty")));
  EXPECT_THAT(errors, Contains(HasSubstr("compute.instanceTypes.spot: is empty")));
  EXPECT_THAT(errors, Contains(HasSubstr("compute.launchSpecification.imageId: is required")));
  EXPECT_THAT(errors, Contains(HasSubstr("strategy.persistence: a stateful group must persist")));
  EXPECT_THAT(errors, Contains(HasSubstr("snapshots.keep: is 0")));
  EXPECT_EQ(errors.size(), 11u) << ::testing::PrintToString(errors);
}

TEST(GroupSpecTest, JsonValuesWithWrongTypes) {
  nlohmann::json j = ToJson(MustParse(kMinimalYaml));
  j["capacity"]["target"] = 1.5;
  j["strategy"]["fallbackToOd"] = "true";
  j["compute"]["privateIps"] = "10.0.1.1";
  ParseOutcome o = ParseGroupSpecJson(j);
  std::vector<std::string> errors;
  for (const ValidationError& e : o.errors) errors.push_back(e.ToString());
  EXPECT_THAT(errors, ElementsAre(HasSubstr("capacity.target: expected an integer, got a decimal"),
                                  HasSubstr("compute.privateIps: expected a list of strings"),
                                  HasSubstr("strategy.fallbackToOd: expected a boolean")));
}

TEST(GroupSpecTest, CapacityRebalanceDefaultsToTrueAndRoundTrips) {
  GroupSpec minimal = MustParse(kMinimalYaml);
  EXPECT_TRUE(minimal.strategy.capacity_rebalance);
  EXPECT_EQ(ToJson(minimal)["strategy"]["capacityRebalance"], true);
  std::string yaml = kMinimalYaml;
  yaml.replace(yaml.find("strategy:\n"), 10, "strategy:\n  capacityRebalance: false\n");
  GroupSpec off = MustParse(yaml);
  EXPECT_FALSE(off.strategy.capacity_rebalance);
  EXPECT_EQ(ToJson(off)["strategy"]["capacityRebalance"], false);
  EXPECT_EQ(MustParse(ToJson(off).dump()), off);
}

TEST(GroupSpecTest, CapacityRebalanceMustBeABoolean) {
  std::string yaml = kMinimalYaml;
  yaml.replace(yaml.find("strategy:\n"), 10, "strategy:\n  capacityRebalance: \"no\"\n");
  EXPECT_THAT(ErrorLines(yaml),
              ElementsAre("strategy.capacityRebalance: expected a boolean (true or false), got a "
                          "string ('no'); write true or false without quotes"));
  nlohmann::json j = ToJson(MustParse(kMinimalYaml));
  j["strategy"]["capacityRebalance"] = 1;
  ParseOutcome o = ParseGroupSpecJson(j);
  ASSERT_EQ(o.errors.size(), 1u);
  EXPECT_THAT(o.errors[0].ToString(),
              HasSubstr("strategy.capacityRebalance: expected a boolean (true or false)"));
  // A misspelling is caught with the right name suggested.
  yaml = kMinimalYaml;
  yaml.replace(yaml.find("strategy:\n"), 10, "strategy:\n  capacityRebalanced: false\n");
  EXPECT_THAT(ErrorLines(yaml),
              ElementsAre("strategy.capacityRebalanced: unknown field 'capacityRebalanced'; did "
                          "you mean 'capacityRebalance'?"));
}

}  // namespace
}  // namespace spotkeeper
