// ValidateGroupSpec: persistence, private IPs, strategy, snapshots, health and scheduling rules.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "spec/spec_test_util.h"
#include "spec/spec_validator.h"

namespace spotkeeper {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(SpecValidatorStrategyTest, PersistSomething) {
  GroupSpec s = ValidSpec();
  s.strategy.persistence = {false, false, false, BlockDevicesMode::kReattach};
  EXPECT_THAT(ErrorsOf(s), ElementsAre("strategy.persistence: a stateful group must persist "
                                       "something: set shouldPersistRootDevice, "
                                       "shouldPersistBlockDevices or shouldPersistPrivateIp to "
                                       "true"));
  for (int i = 0; i < 3; ++i) {
    s.strategy.persistence = {i == 0, i == 1, i == 2, BlockDevicesMode::kReattach};
    EXPECT_THAT(ErrorsOf(s), IsEmpty()) << i;
  }
}

TEST(SpecValidatorStrategyTest, PersistingBlockDevicesNeedsAMapping) {
  GroupSpec s = ValidSpec();
  s.compute.launch_specification.block_device_mappings.clear();
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("strategy.persistence.shouldPersistBlockDevices",
                                           "is true but compute.launchSpecification."
                                           "blockDeviceMappings is empty; add the data volumes")));
}

TEST(SpecValidatorStrategyTest, BlockDevicesModeOnlyWithBlockDevicePersistence) {
  GroupSpec s = ValidSpec();
  s.strategy.persistence.should_persist_block_devices = false;
  EXPECT_THAT(ErrorsOf(s), IsEmpty());  // the default mode, not written: fine
  EXPECT_THAT(ErrorsOf(s, WrittenFields{.block_devices_mode = true}),
              ElementsAre("strategy.persistence.blockDevicesMode: is set but "
                          "shouldPersistBlockDevices is false; set shouldPersistBlockDevices: "
                          "true or remove blockDevicesMode"));
  s.strategy.persistence.should_persist_block_devices = true;
  EXPECT_THAT(ErrorsOf(s, WrittenFields{.block_devices_mode = true}), IsEmpty());
}

TEST(SpecValidatorStrategyTest, PrivateIpsNeedIpPersistence) {
  GroupSpec s = ValidSpec();
  s.compute.private_ips = {"10.0.1.10"};
  EXPECT_THAT(ErrorsOf(s), IsEmpty());
  s.strategy.persistence.should_persist_private_ip = false;
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("compute.privateIps",
                                           "set strategy.persistence.shouldPersistPrivateIp: "
                                           "true (or remove privateIps)")));
}

TEST(SpecValidatorStrategyTest, PrivateIpsAreIpv4) {
  GroupSpec s = ValidSpec();
  s.compute.private_ips = {"10.0.1.10", "10.0.1.300", "10.0.1", "fe80::1", "10.0.1.011"};
  EXPECT_THAT(ErrorsOf(s),
              ElementsAre("compute.privateIps[1]: '10.0.1.300' is not an IPv4 address; write four "
                          "numbers 0-255, e.g. 10.0.1.10",
                          Err("compute.privateIps[2]", "'10.0.1'"),
                          Err("compute.privateIps[3]", "'fe80::1'"),
                          Err("compute.privateIps[4]", "'10.0.1.011'")));
}

TEST(SpecValidatorStrategyTest, PrivateIpsUnique) {
  GroupSpec s = ValidSpec();
  s.compute.private_ips = {"10.0.1.10", "10.0.1.10"};
  EXPECT_THAT(ErrorsOf(s), ElementsAre("compute.privateIps[1]: address '10.0.1.10' is listed "
                                       "twice (also at [0]); each stateful instance needs its "
                                       "own IP"));
}

TEST(SpecValidatorStrategyTest, PrivateIpPoolCoversMaximum) {
  GroupSpec s = ValidSpec();
  s.capacity = {3, 0, 3};
  s.compute.private_ips = {"10.0.1.10", "10.0.1.11"};
  EXPECT_THAT(ErrorsOf(s), ElementsAre("compute.privateIps: has 2 address(es) but "
                                       "capacity.maximum is 3; each stateful instance keeps one "
                                       "IP of the pool: add 1 more or lower capacity.maximum"));
  s.compute.private_ips.push_back("10.0.1.12");
  EXPECT_THAT(ErrorsOf(s), IsEmpty());
  s.compute.private_ips.clear();  // no pool: each instance keeps whatever IP it got
  EXPECT_THAT(ErrorsOf(s), IsEmpty());
}

TEST(SpecValidatorStrategyTest, PerformAtTimeWindowNeedsWindows) {
  GroupSpec s = ValidSpec();
  s.strategy.revert_to_spot.perform_at = PerformAt::kTimeWindow;
  EXPECT_THAT(ErrorsOf(s), ElementsAre("strategy.revertToSpot.timeWindows: is empty but "
                                       "performAt is timeWindow; list at least one window, e.g. "
                                       "[\"Mon:12:00-Tue:02:00\"] (UTC)"));
  s.strategy.revert_to_spot.time_windows = {*TimeWindow::Parse("Sat:22:00-Sun:04:00")};
  EXPECT_THAT(ErrorsOf(s), IsEmpty());
}

TEST(SpecValidatorStrategyTest, EveryTimeWindowParses) {
  GroupSpec s = ValidSpec();
  s.strategy.revert_to_spot.perform_at = PerformAt::kTimeWindow;
  s.strategy.revert_to_spot.time_windows = {*TimeWindow::Parse("Mon:12:00-Tue:02:00"),
                                            TimeWindow{0, 0, "Mon:25:00-Tue:02:00"},
                                            TimeWindow{0, 0, "Fri:10:00-Fri:10:00"}};
  EXPECT_THAT(ErrorsOf(s),
              ElementsAre(Err("strategy.revertToSpot.timeWindows[1]", "25:00 is not a time of day"),
                          Err("strategy.revertToSpot.timeWindows[2]",
                              "starts and ends at the same minute")));
}

TEST(SpecValidatorStrategyTest, TimeWindowsOnlyWithPerformAtTimeWindow) {
  GroupSpec s = ValidSpec();
  s.strategy.revert_to_spot.time_windows = {*TimeWindow::Parse("Mon:12:00-Tue:02:00")};
  EXPECT_THAT(ErrorsOf(s), ElementsAre("strategy.revertToSpot.timeWindows: is only used with "
                                       "performAt: timeWindow (it is always); set performAt: "
                                       "timeWindow or remove timeWindows"));
  s.strategy.revert_to_spot.perform_at = PerformAt::kNever;
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("strategy.revertToSpot.timeWindows", "(it is never)")));
}

TEST(SpecValidatorStrategyTest, DrainingTimeoutRange) {
  GroupSpec s = ValidSpec();
  for (int ok : {0, 3600}) {
    s.strategy.draining_timeout_seconds = ok;
    EXPECT_THAT(ErrorsOf(s), IsEmpty());
  }
  for (int bad : {-1, 3601}) {
    s.strategy.draining_timeout_seconds = bad;
    EXPECT_THAT(ErrorsOf(s), ElementsAre("strategy.drainingTimeout: is " + std::to_string(bad) +
                                         "; write the seconds a workload gets to stop, 0 to "
                                         "3600"));
  }
}

TEST(SpecValidatorStrategyTest, MaxUnavailableAtLeastOne) {
  GroupSpec s = ValidSpec();
  s.strategy.max_unavailable = 0;
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("strategy.maxUnavailable", "is 0; write 1 or more")));
}

TEST(SpecValidatorStrategyTest, MaxUnavailableAtMostMaximum) {
  GroupSpec s = ValidSpec();
  s.strategy.max_unavailable = 2;
  EXPECT_THAT(ErrorsOf(s), ElementsAre("strategy.maxUnavailable: is 2 but capacity.maximum is 1; "
                                       "write at most 1"));
  s.capacity.maximum = 2;
  EXPECT_THAT(ErrorsOf(s), IsEmpty());
}

TEST(SpecValidatorStrategyTest, SnapshotFrequencyRange) {
  GroupSpec s = ValidSpec();
  for (int ok : {1, 1440}) {
    s.snapshots.frequency_minutes = ok;
    EXPECT_THAT(ErrorsOf(s), IsEmpty());
  }
  for (int bad : {0, 1441}) {
    s.snapshots.frequency_minutes = bad;
    EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("snapshots.frequencyMinutes", "write 1 to 1440")));
  }
}

TEST(SpecValidatorStrategyTest, SnapshotsKeptRange) {
  GroupSpec s = ValidSpec();
  for (int ok : {1, 100}) {
    s.snapshots.keep = ok;
    EXPECT_THAT(ErrorsOf(s), IsEmpty());
  }
  for (int bad : {0, 101}) {
    s.snapshots.keep = bad;
    EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("snapshots.keep", "write 1 to 100")));
  }
}

TEST(SpecValidatorStrategyTest, HealthTypeOnlyEc2) {
  GroupSpec s = ValidSpec();
  s.health.type = "ELB";
  EXPECT_THAT(ErrorsOf(s), ElementsAre("health.type: 'ELB' is not supported: only EC2 (instance "
                                       "status checks) is supported now; write type: EC2"));
}

TEST(SpecValidatorStrategyTest, HealthDurationsNotNegative) {
  GroupSpec s = ValidSpec();
  s.health.grace_period_seconds = -1;
  s.health.unhealthy_duration_seconds = -2;
  EXPECT_THAT(ErrorsOf(s), ElementsAre("health.gracePeriod: is -1; write 0 or more seconds",
                                       "health.unhealthyDuration: is -2; write 0 or more seconds"));
  s.health.grace_period_seconds = 0;
  s.health.unhealthy_duration_seconds = 0;
  EXPECT_THAT(ErrorsOf(s), IsEmpty());
}

ScheduledTask Task(TaskType type, std::string cron, std::optional<int> target = {},
                   std::optional<int> min = {}, std::optional<int> max = {}) {
  ScheduledTask t;
  t.task_type = type;
  t.cron_expression = std::move(cron);
  t.target_capacity = target;
  t.min_capacity = min;
  t.max_capacity = max;
  return t;
}

constexpr TaskType kRecycle = TaskType::kStatefulRecycle;
constexpr TaskType kUpdate = TaskType::kStatefulUpdateCapacity;

TEST(SpecValidatorStrategyTest, CronExpressionRequiredAndParses) {
  GroupSpec s = ValidSpec();
  s.scheduled_tasks = {Task(kRecycle, "0 3 * * SUN"), Task(kRecycle, ""),
                       Task(kRecycle, "0 3 * * FUNDAY")};
  EXPECT_THAT(ErrorsOf(s),
              ElementsAre("scheduling.tasks[1].cronExpression: is required; write a five-field "
                          "UTC cron expression, e.g. \"0 3 * * SUN\"",
                          Err("scheduling.tasks[2].cronExpression",
                              "cron expression '0 3 * * FUNDAY': the day-of-week field 'FUNDAY' "
                              "has the unknown value 'FUNDAY'")));
}

TEST(SpecValidatorStrategyTest, UpdateCapacityNeedsACapacity) {
  GroupSpec s = ValidSpec();
  s.scheduled_tasks = {Task(kUpdate, "0 20 * * MON-FRI")};
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("scheduling.tasks[0]",
                                           "a statefulUpdateCapacity task needs at least one of "
                                           "targetCapacity, minCapacity, maxCapacity")));
  for (int i = 0; i < 3; ++i) {
    s.scheduled_tasks = {Task(kUpdate, "0 20 * * MON-FRI", i == 0 ? std::optional(0) : std::nullopt,
                              i == 1 ? std::optional(0) : std::nullopt,
                              i == 2 ? std::optional(1) : std::nullopt)};
    EXPECT_THAT(ErrorsOf(s), IsEmpty()) << i;
  }
}

TEST(SpecValidatorStrategyTest, UpdateCapacityNotNegative) {
  GroupSpec s = ValidSpec();
  s.scheduled_tasks = {Task(kUpdate, "0 20 * * *", -1, -2, 3)};
  EXPECT_THAT(ErrorsOf(s), ElementsAre("scheduling.tasks[0].targetCapacity: is -1; write 0 or more",
                                       "scheduling.tasks[0].minCapacity: is -2; write 0 or more"));
}

TEST(SpecValidatorStrategyTest, UpdateCapacityOrdering) {
  GroupSpec s = ValidSpec();
  s.scheduled_tasks = {Task(kUpdate, "0 20 * * *", 2, 3, std::nullopt)};
  EXPECT_THAT(ErrorsOf(s), ElementsAre("scheduling.tasks[0].minCapacity: 3 is above "
                                       "targetCapacity (2); write minCapacity <= targetCapacity"));
  s.scheduled_tasks = {Task(kUpdate, "0 20 * * *", 4, std::nullopt, 3)};
  EXPECT_THAT(ErrorsOf(s), ElementsAre("scheduling.tasks[0].targetCapacity: 4 is above "
                                       "maxCapacity (3); write targetCapacity <= maxCapacity"));
  s.scheduled_tasks = {Task(kUpdate, "0 20 * * *", std::nullopt, 4, 3)};
  EXPECT_THAT(ErrorsOf(s), ElementsAre("scheduling.tasks[0].minCapacity: 4 is above maxCapacity "
                                       "(3); write minCapacity <= maxCapacity"));
  s.scheduled_tasks = {Task(kUpdate, "0 20 * * *", 2, 1, 3)};
  EXPECT_THAT(ErrorsOf(s), IsEmpty());
}

TEST(SpecValidatorStrategyTest, CapacityAfterAnUpdateKeepsAMaximum) {
  GroupSpec s = ValidSpec();
  s.scheduled_tasks = {Task(kUpdate, "0 20 * * *", 0, 0, 0)};
  EXPECT_THAT(ErrorsOf(s), ElementsAre("scheduling.tasks[0]: would set the capacity to target 0, "
                                       "minimum 0, maximum 0; the maximum must stay 1 or more: "
                                       "scale to zero with targetCapacity: 0 and keep "
                                       "maxCapacity at 1 or more"));
}

TEST(SpecValidatorStrategyTest, CapacityAfterAnUpdateIsOrdered) {
  GroupSpec s = ValidSpec();  // capacity: target 1, minimum 0, maximum 1
  s.scheduled_tasks = {Task(kUpdate, "0 20 * * *", 3)};
  EXPECT_THAT(ErrorsOf(s), ElementsAre("scheduling.tasks[0]: would set the capacity to target 3, "
                                       "minimum 0, maximum 1, which breaks minimum <= target <= "
                                       "maximum; set the other capacity fields in this task as "
                                       "well"));
  s.scheduled_tasks = {Task(kUpdate, "0 20 * * *", 3, std::nullopt, 3)};
  s.compute.private_ips.clear();
  EXPECT_THAT(ErrorsOf(s), IsEmpty());
}

TEST(SpecValidatorStrategyTest, CapacityAfterAnUpdateFitsTheIpPool) {
  GroupSpec s = ValidSpec();
  s.compute.private_ips = {"10.0.1.10"};
  s.scheduled_tasks = {Task(kUpdate, "0 20 * * *", 0, 0, 3)};
  EXPECT_THAT(ErrorsOf(s), ElementsAre("scheduling.tasks[0]: would set the capacity to target 0, "
                                       "minimum 0, maximum 3, but compute.privateIps has only 1 "
                                       "address(es), one per instance; add addresses or lower "
                                       "maxCapacity"));
}

TEST(SpecValidatorStrategyTest, CapacityAfterAnUpdateCoversMaxUnavailable) {
  GroupSpec s = ValidSpec();
  s.capacity = {2, 0, 2};
  s.strategy.max_unavailable = 2;
  s.scheduled_tasks = {Task(kUpdate, "0 20 * * *", 1, std::nullopt, 1)};
  EXPECT_THAT(ErrorsOf(s), ElementsAre(Err("scheduling.tasks[0]",
                                           "maximum 1, below strategy.maxUnavailable (2); lower "
                                           "maxUnavailable or keep maxCapacity at 2 or more")));
}

TEST(SpecValidatorStrategyTest, RecycleTakesNoCapacity) {
  GroupSpec s = ValidSpec();
  s.scheduled_tasks = {Task(kRecycle, "0 3 * * SUN", 1, std::nullopt, 2)};
  EXPECT_THAT(ErrorsOf(s),
              ElementsAre("scheduling.tasks[0].targetCapacity: is only for statefulUpdateCapacity "
                          "tasks; remove it from this statefulRecycle task",
                          Err("scheduling.tasks[0].maxCapacity", "is only for")));
}

}  // namespace
}  // namespace spotkeeper
