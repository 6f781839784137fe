// How fast a recovery goes when the cloud is fast: waiting steps look again paced by what the
// cloud's transitions take (steps::Poll), and cloud events wake the workflow they concern. On a
// fake cloud as quick as the local one, a recycle or an interruption must not spend seconds in
// the controller. Simulated time (FakeClock): deterministic.
#include <gtest/gtest.h>

#include <iostream>

#include "controller/controller_harness.h"
#include "controller/step_util.h"

namespace spotkeeper {
namespace {

using testing::ControllerHarness;

// -- steps::Poll

StepResult PollAt(Time now, Time wait_started, Duration expected, Duration cap) {
  WorkflowRecord wf;
  StepContext ctx(now, nullptr, nullptr, nullptr, nullptr, nullptr, &wf, SsiRecord{}, {},
                  nlohmann::json::object());
  ctx.SetPacing(wait_started, expected);
  return steps::Poll(ctx, cap);
}

Duration Gap(const StepResult& r, Time now) { return r.at - now; }

TEST(PollTest, TheFirstLookIsSoonAndTheGapGrowsWithTheWaitUpToTheCap) {
  Time t0 = FromMillis(1'000'000);
  // First wait of a step: the next look 25 ms later.
  EXPECT_EQ(Gap(PollAt(t0, kEpoch, Duration{0}, steps::kPollFast), t0), Duration{25});
  // Waited 400 ms: a quarter of it.
  Time t = t0 + Duration{400};
  EXPECT_EQ(Gap(PollAt(t, t0, Duration{0}, steps::kPollFast), t), Duration{100});
  // Waited a minute: the cap.
  t = t0 + Duration{60'000};
  EXPECT_EQ(Gap(PollAt(t, t0, Duration{0}, steps::kPollFast), t), steps::kPollFast);
  EXPECT_EQ(Gap(PollAt(t, t0, Duration{0}, steps::kPollSlow), t), steps::kPollSlow);
}

TEST(PollTest, ALearnedDurationSkipsLooksThatWouldFindNothing) {
  Time t0 = FromMillis(2'000'000);
  // These waits lately took 30 s (an EC2 launch): the first look at 24 s.
  StepResult r = PollAt(t0, kEpoch, Duration{30'000}, steps::kPollFast);
  EXPECT_EQ(r.at, t0 + Duration{24'000});
  // Past 80% of it, quick looks again.
  Time t = t0 + Duration{24'000};
  EXPECT_EQ(Gap(PollAt(t, t0, Duration{30'000}, steps::kPollFast), t), steps::kPollFast);
  // A fast cloud: 200 ms lately: first look at 160 ms, then every ~40 ms.
  EXPECT_EQ(PollAt(t0, kEpoch, Duration{200}, steps::kPollFast).at, t0 + Duration{175})
      << "rounded up to the 25 ms grid";
  t = t0 + Duration{175};
  EXPECT_EQ(Gap(PollAt(t, t0, Duration{200}, steps::kPollFast), t), Duration{50});
}

// -- a cloud as fast as the local one

FakeCloudOptions FastCloud() {
  FakeCloudOptions o;
  o.instance_pending = {Duration{100}, Duration{120}};
  o.instance_shutting_down = {Duration{150}, Duration{170}};
  o.host_failure = {Duration{50}, Duration{60}};
  o.volume_creating = {Duration{50}, Duration{60}};
  o.volume_attach = {Duration{40}, Duration{50}};
  o.volume_detach = {Duration{40}, Duration{50}};
  o.eni_attach = {Duration{40}, Duration{50}};
  o.eni_detach = {Duration{40}, Duration{50}};
  return o;
}

GroupSpec ReattachSpec(ControllerHarness& h) {
  GroupSpec spec = h.BaseSpec("redis");
  spec.strategy.persistence = {false, true, true, BlockDevicesMode::kReattach};
  spec.strategy.draining_timeout_seconds = 0;
  return spec;
}

Duration RecoveryTime(ControllerHarness& h, const SsiRecord& before, Time start) {
  bool ok = h.RunUntil([&] {
    SsiRecord s = h.Ssi(before.id);
    return s.state == SsiState::kActive && s.instance_id != before.instance_id;
  });
  EXPECT_TRUE(ok) << h.EventLog();
  return h.clock().Now() - start;
}

TEST(RecoveryPacingTest, ARecycleOnAFastCloudTakesAboutWhatTheCloudTakes) {
  ControllerHarness h(7, FastCloud());
  std::string g = h.CreateAndLaunch(ReattachSpec(h));
  SsiRecord before = h.Ssis(g)[0];
  // Three recycles: the first teaches the engine how long each wait takes.
  Duration last{0};
  for (int i = 0; i < 3; ++i) {
    before = h.Ssi(before.id);
    Time start = h.clock().Now();
    ASSERT_TRUE(h.controller().RecycleSsi(before.id, "test").ok());
    last = RecoveryTime(h, before, start);
    std::cout << "[ timing ] recycle " << i << " took " << last.count() << " ms (simulated)\n";
    // The critical path of the cloud alone: shutting-down (<=170) + detaches (<=50 each, in
    // parallel) + pending (<=120) + attach (<=50) = 390 ms. Polls spaced 1 s (what the
    // controller did before) made it 4-5 s.
    EXPECT_LT(last, Duration{700}) << "recycle " << i;
  }
  EXPECT_EQ(h.Ssi(before.id).private_ip, before.private_ip);
}

TEST(RecoveryPacingTest, AnInterruptionOnAFastCloudStartsAtOnceAndEndsSoon) {
  ControllerHarness h(8, FastCloud());
  std::string g = h.CreateAndLaunch(ReattachSpec(h));
  SsiRecord before = h.Ssis(g)[0];
  Time start = h.clock().Now();
  ASSERT_TRUE(h.cloud().Interrupt(before.instance_id).ok());
  Duration took = RecoveryTime(h, before, start);
  std::cout << "[ timing ] interruption took " << took.count() << " ms (simulated)\n";
  EXPECT_LT(took, Duration{1'000});
}

}  // namespace
}  // namespace spotkeeper
