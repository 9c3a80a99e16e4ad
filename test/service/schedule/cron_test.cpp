#include "sgaudit/schedule/cron.hpp"

#include <gtest/gtest.h>

namespace sgaudit::schedule {
namespace {

TimePoint at(std::string_view utc) {
  auto parsed = parseUtc(utc);
  EXPECT_TRUE(parsed.has_value()) << utc;
  return parsed.value_or(TimePoint{});
}

const TimeZone& zone(std::string_view name) {
  static const TimeZone berlin = TimeZone::load("Europe/Berlin").value();
  static const TimeZone new_york = TimeZone::load("America/New_York").value();
  static const TimeZone sydney = TimeZone::load("Australia/Sydney").value();
  static const TimeZone utc = TimeZone::utc();
  if (name == "Europe/Berlin") return berlin;
  if (name == "America/New_York") return new_york;
  if (name == "Australia/Sydney") return sydney;
  return utc;
}

struct NextRunCase {
  std::string_view expression;
  std::string_view zone;
  std::string_view after;
  std::string_view expected;  // empty: never
  std::string_view why;
};

// Expected times were worked out by hand and checked with `TZ=... date -d @...` (2026-11-26 is a Thursday).
const NextRunCase kNextRunCases[] = {
    {"*/15 * * * *", "UTC", "2026-01-01T00:00:00Z", "2026-01-01T00:15:00Z", "strictly after"},
    {"*/15 * * * *", "UTC", "2026-01-01T00:07:30Z", "2026-01-01T00:15:00Z", "mid-minute"},
    {"*/15 * * * *", "UTC", "2026-12-31T23:45:00Z", "2027-01-01T00:00:00Z", "year end"},
    {"10-50/20 * * * *", "UTC", "2026-01-01T00:30:00Z", "2026-01-01T00:50:00Z", "stepped range"},
    {"10-50/20 * * * *", "UTC", "2026-01-01T00:50:00Z", "2026-01-01T01:10:00Z", "stepped range wraps hour"},
    {"0 12 1-5 * *", "UTC", "2026-11-05T12:00:00Z", "2026-12-01T12:00:00Z", "1-5 day range"},
    {"0 9 * * MON-FRI", "UTC", "2026-11-27T09:00:00Z", "2026-11-30T09:00:00Z", "Friday to Monday"},
    {"0 9 * * mon-fri", "UTC", "2026-11-26T08:00:00Z", "2026-11-26T09:00:00Z", "names are case-insensitive"},
    {"30 23 * * 7", "UTC", "2026-11-26T00:00:00Z", "2026-11-29T23:30:00Z", "7 is Sunday"},
    {"30 23 * * 0", "UTC", "2026-11-26T00:00:00Z", "2026-11-29T23:30:00Z", "0 is Sunday"},
    {"0 0 31 * *", "UTC", "2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z", "skips February"},
    {"0 0 31 * *", "UTC", "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "skips 30-day April"},
    {"0 0 30 * *", "UTC", "2026-01-30T00:00:00Z", "2026-03-30T00:00:00Z", "no February 30"},
    {"0 0 29 2 *", "UTC", "2023-01-01T00:00:00Z", "2024-02-29T00:00:00Z", "leap day in a leap year"},
    {"0 0 29 2 *", "UTC", "2024-02-29T00:00:00Z", "2028-02-29T00:00:00Z", "leap day skips common years"},
    {"0 0 29 2 *", "UTC", "2096-03-01T00:00:00Z", "2104-02-29T00:00:00Z", "2100 is not a leap year"},
    {"0 0 28-31 2 *", "UTC", "2026-02-28T00:00:00Z", "2027-02-28T00:00:00Z", "end of a common February"},
    {"59 23 31 12 *", "UTC", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z", "last minute of the year"},
    {"0 0 1 jan,Jul *", "UTC", "2026-02-01T00:00:00Z", "2026-07-01T00:00:00Z", "month names in a list"},
    {"0 0 1 * MON", "UTC", "2026-11-26T00:00:00Z", "2026-11-30T00:00:00Z",
     "Vixie: day-of-week alone matches"},
    {"0 0 1 * MON", "UTC", "2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z",
     "Vixie: day-of-month alone matches"},
    {"0 0 */2 * MON", "UTC", "2026-11-26T00:00:00Z", "2026-12-07T00:00:00Z", "'*' first: both must match"},
    {"@daily", "UTC", "2026-11-26T00:00:00Z", "2026-11-27T00:00:00Z", "macro"},
    {"0 0 30 2 *", "UTC", "2026-01-01T00:00:00Z", "", "February 30 never comes"},
    // Europe/Berlin: CET (+1) to CEST (+2) at 2026-03-29T01:00Z, back at 2026-10-25T01:00Z.
    {"30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z",
     "gap: runs as the gap ends"},
    {"30 2 * * *", "Europe/Berlin", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", "day after the gap"},
    {"0 3 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z",
     "03:00 CEST just after gap"},
    {"*/15 * * * *", "Europe/Berlin", "2026-03-29T00:45:00Z", "2026-03-29T01:00:00Z",
     "skipped quarters run once"},
    {"*/15 * * * *", "Europe/Berlin", "2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z", "then on as usual"},
    {"30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", "2026-10-25T00:30:00Z",
     "repeat: first occurrence"},
    {"30 2 * * *", "Europe/Berlin", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z", "repeat: not again"},
    {"30 2 * * *", "Europe/Berlin", "2026-10-25T01:10:00Z", "2026-10-26T01:30:00Z", "inside the repeat"},
    {"*/30 * * * *", "Europe/Berlin", "2026-10-25T00:30:00Z", "2026-10-25T02:00:00Z",
     "repeated hour is skipped"},
    {"0 12 * * *", "Europe/Berlin", "2026-07-01T00:00:00Z", "2026-07-01T10:00:00Z", "summer offset"},
    {"30 2 * * *", "Europe/Berlin", "2040-03-24T12:00:00Z", "2040-03-25T01:00:00Z",
     "gap from the footer rule"},
    {"30 2 * * *", "Europe/Berlin", "2040-10-27T12:00:00Z", "2040-10-28T00:30:00Z",
     "repeat from the footer rule"},
    // America/New_York: EST (-5) to EDT (-4) at 2026-03-08T07:00Z, back at 2026-11-01T06:00Z.
    {"30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", "2026-03-08T07:00:00Z",
     "gap: runs as the gap ends"},
    {"30 2 * * *", "America/New_York", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z", "day after the gap"},
    {"30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", "2026-11-01T05:30:00Z",
     "repeat: first occurrence"},
    {"30 1 * * *", "America/New_York", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z", "repeat: not again"},
    {"0 9 * * MON-FRI", "America/New_York", "2026-03-06T14:00:00Z", "2026-03-09T13:00:00Z",
     "weekday across gap"},
    // Australia/Sydney: southern hemisphere, AEDT (+11) in January, AEST (+10) in July.
    {"0 0 * * *", "Australia/Sydney", "2026-01-10T00:00:00Z", "2026-01-10T13:00:00Z", "southern summer"},
    {"0 0 * * *", "Australia/Sydney", "2026-07-10T00:00:00Z", "2026-07-10T14:00:00Z", "southern winter"},
};

// Test that nextRun finds the known next run for each expression, zone and start, DST changes included.
TEST(CronTest, NextRunTable) {
  for (const auto& c : kNextRunCases) {
    auto expression = parseCron(c.expression);
    ASSERT_TRUE(expression.ok()) << c.expression << ": " << expression.error().message;
    const auto next = nextRun(expression.value(), at(c.after), zone(c.zone));
    if (c.expected.empty()) {
      EXPECT_FALSE(next.has_value()) << c.expression << " (" << c.why << ")";
    } else {
      ASSERT_TRUE(next.has_value()) << c.expression << " (" << c.why << ")";
      EXPECT_EQ(formatUtc(*next), c.expected)
          << c.expression << " in " << c.zone << " after " << c.after << " (" << c.why << ")";
    }
  }
}

// Test that the runs of a day across the spring-forward gap come once each, in order, and none twice.
TEST(CronTest, QuarterHoursAcrossFallBackRunOncePerLocalTime) {
  auto expression = parseCron("*/15 * * * *").value();
  const auto& berlin = zone("Europe/Berlin");
  std::vector<std::string> runs;
  TimePoint t = at("2026-10-25T00:00:00Z");
  while (t < at("2026-10-25T02:30:00Z")) {
    t = *nextRun(expression, t, berlin);
    runs.push_back(formatUtc(t));
  }
  const std::vector<std::string> expected = {"2026-10-25T00:15:00Z", "2026-10-25T00:30:00Z",
                                             "2026-10-25T00:45:00Z", "2026-10-25T02:00:00Z",
                                             "2026-10-25T02:15:00Z", "2026-10-25T02:30:00Z"};
  EXPECT_EQ(runs, expected);
}

// Test that the parsed fields hold exactly the values the expression names.
TEST(CronTest, ParsesFields) {
  auto e = parseCron("0,30 9-17/4 L1 * *");
  EXPECT_FALSE(e.ok());
  auto expression = parseCron("0,30 9-17/4 1,15 JAN-MAR SAT-SAT").value();
  EXPECT_EQ(expression.minutes.count(), 2U);
  EXPECT_TRUE(expression.minutes[0] && expression.minutes[30]);
  EXPECT_EQ(expression.hours.count(), 3U);  // 9, 13, 17
  EXPECT_TRUE(expression.hours[9] && expression.hours[13] && expression.hours[17]);
  EXPECT_EQ(expression.days_of_month.count(), 2U);
  EXPECT_EQ(expression.months.count(), 3U);
  EXPECT_EQ(expression.days_of_week.count(), 1U);
  EXPECT_TRUE(expression.days_of_week[6]);
  EXPECT_TRUE(expression.day_of_month_restricted);
  EXPECT_TRUE(expression.day_of_week_restricted);
  auto sundays = parseCron("0 0 * * 5-7").value();
  EXPECT_TRUE(sundays.days_of_week[5] && sundays.days_of_week[6] && sundays.days_of_week[0]);
  EXPECT_FALSE(sundays.day_of_month_restricted);
}

// Test that invalid expressions are refused with a message naming the field and the bad token.
TEST(CronTest, InvalidExpressionsNameFieldAndToken) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"61 * * * *", "minute field \"61\": value out of range 0-59"},
      {"* 24 * * *", "hour field \"24\": value out of range 0-23"},
      {"* * 0 * *", "day-of-month field \"0\": value out of range 1-31"},
      {"* * 32 * *", "day-of-month field \"32\": value out of range 1-31"},
      {"* * * 13 *", "month field \"13\": value out of range 1-12 or JAN-DEC"},
      {"* * * * 8", "day-of-week field \"8\": value out of range 0-7 or SUN-SAT"},
      {"1-61 * * * *", "minute field \"1-61\": value 61 out of range 0-59"},
      {"*/0 * * * *", "minute field \"*/0\": step must be at least 1"},
      {"*/x * * * *", "minute field \"*/x\": step \"x\" is not a number"},
      {"5-1 * * * *", "minute field \"5-1\": range start 5 is after its end 1"},
      {"* * * FOO *", "month field \"FOO\": unknown name \"FOO\" (expected 1-12 or JAN-DEC)"},
      {"* * * * MONDAY", "day-of-week field \"MONDAY\": unknown name \"MONDAY\" (expected 0-7 or SUN-SAT)"},
      {"1,,2 * * * *", "minute field \"1,,2\": empty list element"},
      {"a * * * *", "minute field \"a\": \"a\" is not a number"},
      {"* * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4"},
      {"* * * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 6"},
      {"", "expected 5 fields (minute hour day-of-month month day-of-week), got 0"},
      {"@reboot",
       "unknown macro \"@reboot\" (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or "
       "@hourly)"},
  };
  for (const auto& [text, message] : cases) {
    auto result = parseCron(text);
    ASSERT_FALSE(result.ok()) << text;
    EXPECT_EQ(result.error().message, message) << text;
  }
}

}  // namespace
}  // namespace sgaudit::schedule
