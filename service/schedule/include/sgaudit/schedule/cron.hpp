#pragma once

// Five-field cron expressions (minute hour day-of-month month day-of-week) as Vixie cron and cronie
// read them, and the next run in a time zone.

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include "sgaudit/core/result.hpp"
#include "sgaudit/schedule/time_zone.hpp"

namespace sgaudit::schedule {

struct CronExpression {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days_of_month;  // 1-31
  std::bitset<13> months;         // 1-12
  std::bitset<7> days_of_week;    // 0-6, Sunday 0 (7 is read as 0)
  // Vixie's rule: a field that starts with "*" is unrestricted. When both day fields are restricted a day
  // matches if either does ("0 0 1 * MON" runs on the 1st and on Mondays); otherwise both must.
  bool day_of_month_restricted = false;
  bool day_of_week_restricted = false;
  std::string text;

  bool matchesDay(std::chrono::year_month_day date) const;
};

// Errors name the field and the token: `minute field "61": value out of range 0-59`.
core::Result<CronExpression> parseCron(std::string_view text);

// The first run strictly after `after`, in `zone`. The expression is matched against local wall-clock
// time; where the clocks change:
//  - a local time skipped by a spring-forward gap runs at the first valid instant after the gap (the
//    instant the clocks jump; several skipped times make one run);
//  - a local time that occurs twice on fall-back runs once, at its first occurrence; the repeated
//    hour's times do not run again (this holds for "*/15" too: local times never repeat).
// nullopt when nothing matches within 30 years (e.g. "0 0 30 2 *").
std::optional<TimePoint> nextRun(const CronExpression& expression, TimePoint after, const TimeZone& zone);

}  // namespace sgaudit::schedule
