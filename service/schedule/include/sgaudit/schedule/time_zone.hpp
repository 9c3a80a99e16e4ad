#pragma once

// Time zones for schedules, read from the system's TZif files (RFC 8536) because GCC 12 has no
// std::chrono::tzdb. A zone answers one question: the UTC offset in force at an instant.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sgaudit/core/result.hpp"

namespace sgaudit::schedule {

using TimePoint = std::chrono::sys_seconds;

inline constexpr std::string_view kDefaultZoneinfoDir = "/usr/share/zoneinfo";

// A POSIX TZ rule such as "CET-1CEST,M3.5.0,M10.5.0/3": the footer of a TZif file, used for instants
// past its transition table.
struct PosixTzRule {
  // A day of the year in one of the three POSIX forms, and the local time of day it takes effect.
  struct Date {
    enum class Kind { Julian1, Julian0, MonthWeekDay } kind = Kind::MonthWeekDay;
    int day = 0;                           // Jn: 1-365 (Feb 29 never counted); n: 0-365
    int month = 0, week = 0, weekday = 0;  // Mm.w.d
    std::int32_t time = 7200;              // seconds after local midnight; may be negative or > 24 h
  };
  std::string std_abbr;
  std::int32_t std_offset = 0;  // seconds east of UTC (POSIX writes them west: "CET-1" is +3600)
  std::optional<std::string> dst_abbr;
  std::int32_t dst_offset = 0;
  Date dst_start, dst_end;

  std::int32_t offsetAt(TimePoint instant) const;
};

core::Result<PosixTzRule> parsePosixTz(std::string_view text);

// A named IANA zone or UTC. Cheap to copy.
class TimeZone {
 public:
  static TimeZone utc();
  // "UTC" (and "Etc/UTC") or a name under `zoneinfo_dir`. Names with "..", absolute paths and
  // characters outside [A-Za-z0-9_+-/] are refused before the file system is touched.
  static core::Result<TimeZone> load(std::string_view name,
                                     const std::filesystem::path& zoneinfo_dir = kDefaultZoneinfoDir);
  // Parses the bytes of a TZif file (versions 1 to 4; the 64-bit section and footer of v2+).
  static core::Result<TimeZone> fromTzif(std::string name, std::string_view bytes);

  const std::string& name() const { return name_; }
  bool isUtc() const {
    return transitions_.empty() && !footer_ && types_.size() == 1 && types_[0].offset == 0;
  }

  // Seconds east of UTC in force at `instant`.
  std::int32_t offsetAt(TimePoint instant) const;
  std::string abbreviationAt(TimePoint instant) const;

 private:
  struct LocalType {
    std::int32_t offset = 0;
    bool is_dst = false;
    std::string abbr;
  };
  struct Transition {
    std::int64_t at = 0;  // seconds since the epoch, UTC
    std::uint8_t type = 0;
  };
  const LocalType* typeAt(TimePoint instant) const;

  std::string name_;
  std::vector<LocalType> types_;
  std::vector<Transition> transitions_;
  std::optional<PosixTzRule> footer_;
};

// A local wall-clock time (no zone), minute resolution is all cron needs but seconds are kept.
using LocalTime = std::chrono::local_seconds;

inline LocalTime toLocal(const TimeZone& zone, TimePoint instant) {
  return LocalTime{instant.time_since_epoch() + std::chrono::seconds(zone.offsetAt(instant))};
}

// How a local time maps to instants: once, twice (clocks went back; `earliest` is the first), or
// never (clocks went forward; `earliest` is then the instant the gap ends, the first valid one after).
struct LocalResolution {
  enum class Kind { Unique, Ambiguous, Nonexistent } kind = Kind::Unique;
  TimePoint earliest;
  TimePoint latest;
};
LocalResolution resolveLocal(const TimeZone& zone, LocalTime local);

// "2026-03-29T01:00:00Z" and back; the store and the API use this form.
std::string formatUtc(TimePoint instant);
std::optional<TimePoint> parseUtc(std::string_view text);

}  // namespace sgaudit::schedule
