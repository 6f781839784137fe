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

// Next(after) as an ISO string, for readable failures.
std::string Next(const std::string& expr, const std::string& after) {
  Result<CronExpression> c = CronExpression::Parse(expr);
  EXPECT_TRUE(c.ok()) << expr << ": " << c.status().ToString();
  if (!c.ok()) return "parse error";
  return FormatTime(c->Next(T(after)));
}

std::string ParseError(const std::string& expr) {
  Result<CronExpression> c = CronExpression::Parse(expr);
  EXPECT_FALSE(c.ok()) << expr << " should not parse";
  return c.ok() ? "" : c.status().message();
}

TEST(CronExpressionTest, EveryMinuteIsTheNextWholeMinute) {
  EXPECT_EQ(Next("* * * * *", "2026-01-01T10:07:00Z"), "2026-01-01T10:08:00.000Z");
  EXPECT_EQ(Next("* * * * *", "2026-01-01T10:07:59.999Z"), "2026-01-01T10:08:00.000Z");
  EXPECT_EQ(Next("* * * * *", "2026-12-31T23:59:30Z"), "2027-01-01T00:00:00.000Z");
}

TEST(CronExpressionTest, NextIsStrictlyAfter) {
  // 2026-01-04 is a Sunday.
  EXPECT_EQ(Next("0 3 * * SUN", "2026-01-01T00:00:00Z"), "2026-01-04T03:00:00.000Z");
  EXPECT_EQ(Next("0 3 * * SUN", "2026-01-04T03:00:00Z"), "2026-01-11T03:00:00.000Z");
  EXPECT_EQ(Next("0 3 * * SUN", "2026-01-04T02:59:59.999Z"), "2026-01-04T03:00:00.000Z");
}

TEST(CronExpressionTest, StepsRangesAndLists) {
  EXPECT_EQ(Next("*/15 * * * *", "2026-01-01T10:07:00Z"), "2026-01-01T10:15:00.000Z");
  EXPECT_EQ(Next("*/15 * * * *", "2026-01-01T10:45:00Z"), "2026-01-01T11:00:00.000Z");
  EXPECT_EQ(Next("5,10-12,30-40/5 * * * *", "2026-01-01T10:10:00Z"), "2026-01-01T10:11:00.000Z");
  EXPECT_EQ(Next("5,10-12,30-40/5 * * * *", "2026-01-01T10:12:00Z"), "2026-01-01T10:30:00.000Z");
  EXPECT_EQ(Next("5,10-12,30-40/5 * * * *", "2026-01-01T10:40:00Z"), "2026-01-01T11:05:00.000Z");
  // a/n means a-max/n: minutes 5, 25, 45.
  EXPECT_EQ(Next("5/20 * * * *", "2026-01-01T10:30:00Z"), "2026-01-01T10:45:00.000Z");
  EXPECT_EQ(Next("0 9-17/4 * * *", "2026-01-01T13:00:00Z"), "2026-01-01T17:00:00.000Z");
  EXPECT_EQ(Next("0 9-17/4 * * *", "2026-01-01T17:00:00Z"), "2026-01-02T09:00:00.000Z");
}

TEST(CronExpressionTest, NamesAreCaseInsensitive) {
  EXPECT_EQ(Next("0 20 * * MON-FRI", "2026-01-02T20:00:00Z"), "2026-01-05T20:00:00.000Z");
  EXPECT_EQ(Next("0 20 * * mon-fri", "2026-01-02T20:00:00Z"), "2026-01-05T20:00:00.000Z");
  EXPECT_EQ(Next("0 0 1 jUn *", "2026-01-01T00:00:00Z"), "2026-06-01T00:00:00.000Z");
  EXPECT_EQ(Next("0 0 1 JAN-MAR,OCT *", "2026-03-01T00:00:00Z"), "2026-10-01T00:00:00.000Z");
}

TEST(CronExpressionTest, SevenIsSundayAndRangesMayEndOnSunday) {
  EXPECT_EQ(Next("0 0 * * 7", "2026-01-01T00:00:00Z"), "2026-01-04T00:00:00.000Z");
  EXPECT_EQ(Next("0 0 * * 0", "2026-01-01T00:00:00Z"), "2026-01-04T00:00:00.000Z");
  EXPECT_EQ(Next("0 0 * * 5-7", "2026-01-01T00:00:00Z"), "2026-01-02T00:00:00.000Z");
  // FRI-SUN is Friday, Saturday and Sunday, not an error.
  EXPECT_EQ(Next("0 0 * * FRI-SUN", "2026-01-03T00:00:00Z"), "2026-01-04T00:00:00.000Z");
  EXPECT_EQ(Next("0 0 * * FRI-SUN", "2026-01-04T00:00:00Z"), "2026-01-09T00:00:00.000Z");
}

TEST(CronExpressionTest, DayOfMonthOrDayOfWeekWhenBothRestricted) {
  // The 13th OR a Friday: Friday Jan 2 comes first; after it, Tuesday Jan 13 before Friday Jan 16.
  EXPECT_EQ(Next("0 0 13 * FRI", "2026-01-01T00:00:00Z"), "2026-01-02T00:00:00.000Z");
  EXPECT_EQ(Next("0 0 13 * FRI", "2026-01-10T00:00:00Z"), "2026-01-13T00:00:00.000Z");
  EXPECT_EQ(Next("0 0 13 * FRI", "2026-01-13T00:00:00Z"), "2026-01-16T00:00:00.000Z");
}

TEST(CronExpressionTest, DayOfMonthAndDayOfWeekWhenOneStartsWithStar) {
  // Classic cron: "*/10" counts as unrestricted, so the days must be 1, 11, 21 or 31 AND a
  // Monday. The first such day after 2026-01-01 is Monday 2026-05-11.
  EXPECT_EQ(Next("0 0 */10 * MON", "2026-01-01T00:00:00Z"), "2026-05-11T00:00:00.000Z");
  // Only the day of week restricted.
  EXPECT_EQ(Next("0 0 * * MON", "2026-01-01T00:00:00Z"), "2026-01-05T00:00:00.000Z");
  // Only the day of month restricted.
  EXPECT_EQ(Next("0 0 13 * *", "2026-01-01T00:00:00Z"), "2026-01-13T00:00:00.000Z");
}

TEST(CronExpressionTest, MonthEnds) {
  // April has 30 days: the next 31st is in May.
  EXPECT_EQ(Next("0 0 31 * *", "2026-04-15T00:00:00Z"), "2026-05-31T00:00:00.000Z");
  EXPECT_EQ(Next("0 0 31 * *", "2026-05-31T00:00:00Z"), "2026-07-31T00:00:00.000Z");
  EXPECT_EQ(Next("0 0 30 * *", "2026-01-30T00:00:00Z"), "2026-03-30T00:00:00.000Z");
  EXPECT_EQ(Next("59 23 31 12 *", "2026-12-31T23:59:00Z"), "2027-12-31T23:59:00.000Z");
  EXPECT_EQ(Next("0 0 1 * *", "2026-12-15T00:00:00Z"), "2027-01-01T00:00:00.000Z");
}

TEST(CronExpressionTest, LeapYears) {
  EXPECT_EQ(Next("0 0 29 2 *", "2026-03-01T00:00:00Z"), "2028-02-29T00:00:00.000Z");
  // 2100 is not a leap year (divisible by 100, not by 400); 2000 was.
  EXPECT_EQ(Next("0 0 29 2 *", "2096-03-01T00:00:00Z"), "2104-02-29T00:00:00.000Z");
  EXPECT_EQ(Next("0 0 29 2 *", "1999-01-01T00:00:00Z"), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(Next("0 0 * 2 *", "2024-02-28T23:59:00Z"), "2024-02-29T00:00:00.000Z");
  EXPECT_EQ(Next("0 0 * 2 *", "2025-02-28T00:00:00Z"), "2026-02-01T00:00:00.000Z");
}

TEST(CronExpressionTest, Macros) {
  EXPECT_EQ(Next("@hourly", "2026-01-01T10:07:00Z"), "2026-01-01T11:00:00.000Z");
  EXPECT_EQ(Next("@daily", "2026-01-01T10:07:00Z"), "2026-01-02T00:00:00.000Z");
  EXPECT_EQ(Next("@weekly", "2026-01-01T10:07:00Z"), "2026-01-04T00:00:00.000Z");
  EXPECT_EQ(Next("@monthly", "2026-01-01T10:07:00Z"), "2026-02-01T00:00:00.000Z");
  EXPECT_EQ(Next("@yearly", "2026-01-01T10:07:00Z"), "2027-01-01T00:00:00.000Z");
  EXPECT_EQ(CronExpression::Parse("@daily")->text(), "@daily");
}

TEST(CronExpressionTest, ExtraWhitespaceIsAccepted) {
  EXPECT_EQ(Next("  0\t3  * *   SUN ", "2026-01-01T00:00:00Z"), "2026-01-04T03:00:00.000Z");
}

TEST(CronExpressionTest, BeforeTheEpochAndAtTheEndOfTime) {
  // 1969-12-28 was a Sunday.
  EXPECT_EQ(Next("0 0 * * SUN", "1969-12-25T00:00:00Z"), "1969-12-28T00:00:00.000Z");
  Result<CronExpression> c = CronExpression::Parse("* * * * *");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->Next(kNever), kNever);
  EXPECT_EQ(c->Next(T("9999-12-31T00:00:00Z")), kNever);
  EXPECT_EQ(CronExpression().Next(kEpoch), kNever);
}

TEST(CronExpressionTest, WrongNumberOfFields) {
  EXPECT_THAT(ParseError("0 3 * *"), HasSubstr("has 4 fields; write five"));
  EXPECT_THAT(ParseError("0 0 3 * * SUN"), HasSubstr("has 6 fields"));
  EXPECT_THAT(ParseError(""), HasSubstr("has 0 fields"));
}

TEST(CronExpressionTest, ValuesOutOfRange) {
  EXPECT_THAT(ParseError("60 * * * *"),
              HasSubstr("minute field '60' has 60, which is out of range"));
  EXPECT_THAT(ParseError("0 24 * * *"), HasSubstr("hour field"));
  EXPECT_THAT(ParseError("0 0 0 * *"), HasSubstr("day-of-month field"));
  EXPECT_THAT(ParseError("0 0 32 * *"), HasSubstr("day-of-month field"));
  EXPECT_THAT(ParseError("0 0 * 13 *"), HasSubstr("month field"));
  EXPECT_THAT(ParseError("0 0 * 0 *"), HasSubstr("month field"));
  EXPECT_THAT(ParseError("0 0 * * 8"), HasSubstr("day-of-week field"));
  EXPECT_THAT(ParseError("0 0 * * 99999999999"), HasSubstr("not a number"));
}

TEST(CronExpressionTest, SyntaxErrorsSayWhatToWrite) {
  std::string e = ParseError("0 3 * * FUNDAY");
  EXPECT_THAT(e, HasSubstr("unknown value 'FUNDAY'"));
  EXPECT_THAT(e, HasSubstr("SUN-SAT"));
  EXPECT_THAT(ParseError("0 0 * JANUARY *"), HasSubstr("JAN-DEC"));
  EXPECT_THAT(ParseError("MON * * * *"), HasSubstr("minute field 'MON' has the unknown value"));
  EXPECT_THAT(ParseError("10-5 * * * *"), HasSubstr("runs backwards"));
  EXPECT_THAT(ParseError("*/0 * * * *"), HasSubstr("a step is a number >= 1"));
  EXPECT_THAT(ParseError("*/ * * * *"), HasSubstr("a step is a number >= 1"));
  EXPECT_THAT(ParseError("1,,2 * * * *"), HasSubstr("empty list item"));
  EXPECT_THAT(ParseError("1, * * * *"), HasSubstr("empty list item"));
  EXPECT_THAT(ParseError("1- * * * *"), HasSubstr("empty value"));
  EXPECT_THAT(ParseError("-1 * * * *"), HasSubstr("empty value"));
  EXPECT_THAT(ParseError("? * * * *"), HasSubstr("unknown value '?'"));
  EXPECT_THAT(ParseError("@reboot"), HasSubstr("has 1 fields"));
}

TEST(CronExpressionTest, ExpressionsThatCanNeverMatchAreRejected) {
  EXPECT_THAT(ParseError("0 0 30 2 *"), HasSubstr("never matches"));
  EXPECT_THAT(ParseError("0 0 31 4,6,9,11 *"), HasSubstr("never matches"));
  EXPECT_TRUE(CronExpression::Parse("0 0 29 2 *").ok());    // leap years
  EXPECT_TRUE(CronExpression::Parse("0 0 31 4,5 *").ok());  // May 31
  EXPECT_TRUE(CronExpression::Parse("0 0 30 2 MON").ok());  // or any Monday of February
}

}  // namespace
}  // namespace spotkeeper
