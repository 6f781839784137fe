#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "spec/group_spec.h"

namespace spotkeeper {
namespace {

using ::testing::HasSubstr;

Time T(const std::string& iso) {
  Result<Time> t = ParseTime(iso);
  EXPECT_TRUE(t.ok()) << iso;
  return t.ok() ? *t : kEpoch;
}

TimeWindow W(const std::string& text) {
  Result<TimeWindow> w = TimeWindow::Parse(text);
  EXPECT_TRUE(w.ok()) << text << ": " << w.status().ToString();
  return w.ok() ? *w : TimeWindow{};
}

std::string ParseError(const std::string& text) {
  Result<TimeWindow> w = TimeWindow::Parse(text);
  EXPECT_FALSE(w.ok()) << text << " should not parse";
  return w.ok() ? "" : w.status().message();
}

TEST(TimeWindowTest, ParsesMinutesOfTheWeekFromSunday) {
  TimeWindow w = W("Mon:12:00-Tue:02:00");
  EXPECT_EQ(w.start_minute_of_week, 1 * 1440 + 12 * 60);
  EXPECT_EQ(w.end_minute_of_week, 2 * 1440 + 2 * 60);
  EXPECT_EQ(w.text, "Mon:12:00-Tue:02:00");
  EXPECT_EQ(W("Sun:00:00-Sat:23:59").start_minute_of_week, 0);
  EXPECT_EQ(W("Sun:00:00-Sat:23:59").end_minute_of_week, 7 * 1440 - 1);
}

TEST(TimeWindowTest, DaysAreCaseInsensitive) {
  EXPECT_EQ(W("mon:12:00-TUE:02:00").start_minute_of_week,
            W("Mon:12:00-Tue:02:00").start_minute_of_week);
  EXPECT_EQ(W("sAt:01:30-sun:00:00").start_minute_of_week, 6 * 1440 + 90);
}

TEST(TimeWindowTest, RejectsMalformedWindows) {
  EXPECT_THAT(ParseError("Mon 12:00-Tue:02:00"), HasSubstr("ddd:hh:mm-ddd:hh:mm"));
  EXPECT_THAT(ParseError("Mon:12:00"), HasSubstr("e.g. Mon:12:00-Tue:02:00"));
  EXPECT_THAT(ParseError("Mon:12:00-Tue:02:00-Wed:01:00"), HasSubstr("ddd:hh:mm-ddd:hh:mm"));
  EXPECT_THAT(ParseError("Mon:1:00-Tue:02:00"), HasSubstr("ddd:hh:mm-ddd:hh:mm"));
  EXPECT_THAT(ParseError("Mon:1a:00-Tue:02:00"), HasSubstr("ddd:hh:mm-ddd:hh:mm"));
  EXPECT_THAT(ParseError("Monday:12:00-Tue:02:00"), HasSubstr("ddd:hh:mm-ddd:hh:mm"));
  EXPECT_THAT(ParseError(""), HasSubstr("ddd:hh:mm-ddd:hh:mm"));
}

TEST(TimeWindowTest, RejectsUnknownDaysAndTimes) {
  EXPECT_THAT(ParseError("Mox:12:00-Tue:02:00"),
              HasSubstr("unknown day 'Mox'; write Sun, Mon, Tue, Wed, Thu, Fri or Sat"));
  EXPECT_THAT(ParseError("Mon:24:00-Tue:02:00"), HasSubstr("24:00 is not a time of day"));
  EXPECT_THAT(ParseError("Mon:12:00-Tue:02:60"), HasSubstr("02:60 is not a time of day"));
}

TEST(TimeWindowTest, RejectsEmptyWindows) {
  EXPECT_THAT(ParseError("Mon:12:00-Mon:12:00"), HasSubstr("starts and ends at the same minute"));
  EXPECT_THAT(ParseError("mon:12:00-MON:12:00"), HasSubstr("same minute"));
}

// 2026-01-05 is a Monday; 2026-01-10 a Saturday; 2026-01-11 a Sunday.
TEST(TimeWindowTest, ContainsIsHalfOpen) {
  TimeWindow w = W("Mon:12:00-Tue:02:00");
  EXPECT_FALSE(w.Contains(T("2026-01-05T11:59:59.999Z")));
  EXPECT_TRUE(w.Contains(T("2026-01-05T12:00:00Z")));
  EXPECT_TRUE(w.Contains(T("2026-01-05T23:59:00Z")));
  EXPECT_TRUE(w.Contains(T("2026-01-06T01:59:59.999Z")));
  EXPECT_FALSE(w.Contains(T("2026-01-06T02:00:00Z")));
  EXPECT_FALSE(w.Contains(T("2026-01-07T12:00:00Z")));
  // Every week, not just one.
  EXPECT_TRUE(w.Contains(T("2026-03-02T13:00:00Z")));
}

TEST(TimeWindowTest, ContainsWrapsAroundTheEndOfTheWeek) {
  TimeWindow w = W("Sat:22:00-Sun:04:00");
  EXPECT_FALSE(w.Contains(T("2026-01-10T21:59:00Z")));
  EXPECT_TRUE(w.Contains(T("2026-01-10T22:00:00Z")));
  EXPECT_TRUE(w.Contains(T("2026-01-10T23:59:59Z")));
  EXPECT_TRUE(w.Contains(T("2026-01-11T00:00:00Z")));
  EXPECT_TRUE(w.Contains(T("2026-01-11T03:59:00Z")));
  EXPECT_FALSE(w.Contains(T("2026-01-11T04:00:00Z")));
  EXPECT_FALSE(w.Contains(T("2026-01-07T12:00:00Z")));
}

TEST(TimeWindowTest, ContainsWrapsWhenStartIsLaterInTheSameDay) {
  // From Wednesday 18:00 all the way round to Wednesday 06:00.
  TimeWindow w = W("Wed:18:00-Wed:06:00");
  EXPECT_TRUE(w.Contains(T("2026-01-07T05:00:00Z")));
  EXPECT_FALSE(w.Contains(T("2026-01-07T06:00:00Z")));
  EXPECT_FALSE(w.Contains(T("2026-01-07T17:59:00Z")));
  EXPECT_TRUE(w.Contains(T("2026-01-07T18:00:00Z")));
  EXPECT_TRUE(w.Contains(T("2026-01-10T12:00:00Z")));
}

TEST(TimeWindowTest, ContainsBeforeTheEpoch) {
  // 1969-12-28 was a Sunday.
  TimeWindow w = W("Sun:00:00-Sun:01:00");
  EXPECT_TRUE(w.Contains(T("1969-12-28T00:30:00Z")));
  EXPECT_FALSE(w.Contains(T("1969-12-27T23:59:00Z")));
  EXPECT_FALSE(w.Contains(T("1969-12-28T01:00:00Z")));
}

TEST(TimeWindowTest, AnUnparsedWindowContainsNothing) {
  EXPECT_FALSE(TimeWindow{}.Contains(T("2026-01-05T12:00:00Z")));
  EXPECT_FALSE(TimeWindow{}.Contains(T("2026-01-04T00:00:00Z")));
}

}  // namespace
}  // namespace spotkeeper
