#include "common/time.h"

#include <gtest/gtest.h>

namespace spotkeeper {
namespace {

TEST(TimeTest, FormatAndParseRoundTrip) {
  Time t = FromMillis(1'767'225'600'123);
  EXPECT_EQ(FormatTime(t), "2026-01-01T00:00:00.123Z");
  auto back = ParseTime("2026-01-01T00:00:00.123Z");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, t);
}

TEST(TimeTest, ParseOffsetsAndErrors) {
  auto t = ParseTime("2026-01-01T02:00:00+02:00");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatTime(*t), "2026-01-01T00:00:00.000Z");
  EXPECT_FALSE(ParseTime("yesterday").ok());
  EXPECT_FALSE(ParseTime("2026-13-01T00:00:00Z").ok());
  EXPECT_FALSE(ParseTime("2026-01-01T00:00:00 junk").ok());
}

TEST(TimeTest, FormatDuration) {
  EXPECT_EQ(FormatDuration(Duration{250}), "250ms");
  EXPECT_EQ(FormatDuration(Duration{3500}), "3.5s");
  EXPECT_EQ(FormatDuration(Duration{125'000}), "2m05s");
  EXPECT_EQ(FormatDuration(Duration{3'720'000}), "1h02m");
}

TEST(FakeClockTest, MovesOnlyWhenTold) {
  FakeClock clock;
  Time start = clock.Now();
  EXPECT_EQ(clock.Now(), start);
  clock.Advance(Duration{1500});
  EXPECT_EQ(clock.Now() - start, Duration{1500});
}

}  // namespace
}  // namespace spotkeeper
