#include "sgaudit/schedule/time_zone.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace sgaudit::schedule {
namespace {

using sgaudit::test::TempDir;

TimePoint at(std::string_view utc) {
  return parseUtc(utc).value();
}

// Test that real zoneinfo files give the offsets and abbreviations `date` prints, in the table and past it.
TEST(TimeZoneTest, ReadsSystemZoneinfo) {
  struct Case {
    std::string_view zone;
    std::string_view instant;
    std::int32_t offset;
    std::string_view abbr;
  };
  const Case cases[] = {
      {"Europe/Berlin", "2026-01-15T12:00:00Z", 3600, "CET"},
      {"Europe/Berlin", "2026-07-15T12:00:00Z", 7200, "CEST"},
      {"Europe/Berlin", "2026-03-29T00:59:59Z", 3600, "CET"},
      {"Europe/Berlin", "2026-03-29T01:00:00Z", 7200, "CEST"},
      {"Europe/Berlin", "2026-10-25T00:59:59Z", 7200, "CEST"},
      {"Europe/Berlin", "2026-10-25T01:00:00Z", 3600, "CET"},
      {"Europe/Berlin", "2060-07-01T00:00:00Z", 7200, "CEST"},  // past any table: the footer rule
      {"Europe/Berlin", "2060-12-01T00:00:00Z", 3600, "CET"},
      {"America/New_York", "2026-03-08T06:59:59Z", -18000, "EST"},
      {"America/New_York", "2026-03-08T07:00:00Z", -14400, "EDT"},
      {"America/New_York", "2026-11-01T05:59:59Z", -14400, "EDT"},
      {"America/New_York", "2026-11-01T06:00:00Z", -18000, "EST"},
      {"America/New_York", "1970-01-01T00:00:00Z", -18000, "EST"},
      {"Australia/Sydney", "2026-01-10T00:00:00Z", 39600, "AEDT"},
      {"Australia/Sydney", "2050-01-10T00:00:00Z", 39600, "AEDT"},
      {"Australia/Sydney", "2050-07-10T00:00:00Z", 36000, "AEST"},
      {"Asia/Kolkata", "2026-07-01T00:00:00Z", 19800, "IST"},
      {"Asia/Tokyo", "2040-07-01T00:00:00Z", 32400, "JST"},
      {"UTC", "2026-07-01T00:00:00Z", 0, "UTC"},
  };
  for (const auto& c : cases) {
    auto zone = TimeZone::load(c.zone);
    ASSERT_TRUE(zone.ok()) << c.zone << ": " << zone.error().message;
    EXPECT_EQ(zone->offsetAt(at(c.instant)), c.offset) << c.zone << " at " << c.instant;
    EXPECT_EQ(zone->abbreviationAt(at(c.instant)), c.abbr) << c.zone << " at " << c.instant;
  }
}

// Test that names which could leave the zoneinfo folder are refused before any file is read.
TEST(TimeZoneTest, RefusesPathsAndUnknownNames) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"../etc/passwd",
       "time zone \"../etc/passwd\": not a valid IANA name (empty, \".\" or \"..\" component)"},
      {"Europe/../../etc/passwd",
       "time zone \"Europe/../../etc/passwd\": not a valid IANA name (empty, \".\" or \"..\" component)"},
      {"/etc/localtime", "time zone \"/etc/localtime\": absolute paths are not time zone names"},
      {"Europe//Berlin",
       "time zone \"Europe//Berlin\": not a valid IANA name (empty, \".\" or \"..\" component)"},
      {"Europe/Berlin ", "time zone \"Europe/Berlin \": unexpected character ' '"},
      {"Mars/Olympus_Mons", "time zone \"Mars/Olympus_Mons\": unknown time zone"},
      {"", "time zone \"\": expected an IANA name such as Europe/Berlin"},
  };
  for (const auto& [name, message] : cases) {
    auto zone = TimeZone::load(name);
    ASSERT_FALSE(zone.ok()) << name;
    EXPECT_EQ(zone.error().message, message);
  }
}

// Test that the zoneinfo folder is injectable and that a file that is not TZif is refused.
TEST(TimeZoneTest, InjectableFolderAndBadFiles) {
  TempDir dir;
  std::filesystem::create_directories(dir / "Test");
  std::filesystem::copy_file("/usr/share/zoneinfo/America/New_York", dir / "Test/Zone");
  { std::ofstream(dir / "Test/Garbage") << "not a zone"; }
  auto zone = TimeZone::load("Test/Zone", dir.path());
  ASSERT_TRUE(zone.ok());
  EXPECT_EQ(zone->name(), "Test/Zone");
  EXPECT_EQ(zone->offsetAt(at("2026-07-01T00:00:00Z")), -14400);
  auto garbage = TimeZone::load("Test/Garbage", dir.path());
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().message, "time zone \"Test/Garbage\": not a TZif file");
  EXPECT_FALSE(TimeZone::load("Europe/Berlin", dir.path()).ok());

  std::string bytes = test::readFile("/usr/share/zoneinfo/Europe/Berlin");
  auto truncated = TimeZone::fromTzif("cut", std::string_view(bytes).substr(0, 100));
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().message, "truncated TZif file (version 1 data)");
}

// Test the POSIX TZ strings of TZif footers, including angle-bracket names, minutes and hours past 24.
TEST(TimeZoneTest, ParsesPosixTzStrings) {
  auto ny = parsePosixTz("EST5EDT,M3.2.0,M11.1.0").value();
  EXPECT_EQ(ny.std_offset, -18000);
  EXPECT_EQ(ny.dst_offset, -14400);
  EXPECT_EQ(ny.offsetAt(at("2030-03-10T06:59:59Z")), -18000);
  EXPECT_EQ(ny.offsetAt(at("2030-03-10T07:00:00Z")), -14400);
  auto tehran = parsePosixTz("<+0330>-3:30").value();
  EXPECT_EQ(tehran.std_abbr, "+0330");
  EXPECT_EQ(tehran.offsetAt(at("2030-07-01T00:00:00Z")), 12600);
  auto jerusalem = parsePosixTz("IST-2IDT,M3.4.4/26,M10.5.0").value();
  EXPECT_EQ(jerusalem.dst_start.time, 26 * 3600);
  // 2030: the Friday before the last Sunday of March is March 29; 02:00 on Friday = Thursday 26:00.
  EXPECT_EQ(jerusalem.offsetAt(at("2030-03-28T23:59:59Z")), 7200);
  EXPECT_EQ(jerusalem.offsetAt(at("2030-03-29T00:00:00Z")), 10800);
  auto southern = parsePosixTz("AEST-10AEDT,M10.1.0,M4.1.0/3").value();
  EXPECT_EQ(southern.offsetAt(at("2030-01-01T00:00:00Z")), 39600);
  EXPECT_EQ(southern.offsetAt(at("2030-06-01T00:00:00Z")), 36000);
  for (std::string_view bad : {"", "E5", "EST", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.2.0", "<+03"}) {
    EXPECT_FALSE(parsePosixTz(bad).ok()) << bad;
  }
}

// Test how local times map to instants around clock changes: unique, twice, or never (gap end).
TEST(TimeZoneTest, ResolvesLocalTimes) {
  auto berlin = TimeZone::load("Europe/Berlin").value();
  auto local = [](std::string_view utc_form) { return LocalTime{at(utc_form).time_since_epoch()}; };
  auto gap = resolveLocal(berlin, local("2026-03-29T02:30:00Z"));
  EXPECT_EQ(gap.kind, LocalResolution::Kind::Nonexistent);
  EXPECT_EQ(formatUtc(gap.earliest), "2026-03-29T01:00:00Z");
  auto twice = resolveLocal(berlin, local("2026-10-25T02:30:00Z"));
  EXPECT_EQ(twice.kind, LocalResolution::Kind::Ambiguous);
  EXPECT_EQ(formatUtc(twice.earliest), "2026-10-25T00:30:00Z");
  EXPECT_EQ(formatUtc(twice.latest), "2026-10-25T01:30:00Z");
  auto once = resolveLocal(berlin, local("2026-07-01T12:00:00Z"));
  EXPECT_EQ(once.kind, LocalResolution::Kind::Unique);
  EXPECT_EQ(formatUtc(once.earliest), "2026-07-01T10:00:00Z");
}

// Test the UTC text form the store and API use.
TEST(TimeZoneTest, FormatsAndParsesUtc) {
  EXPECT_EQ(formatUtc(at("2024-02-29T23:59:59Z")), "2024-02-29T23:59:59Z");
  EXPECT_FALSE(parseUtc("2023-02-29T00:00:00Z"));
  EXPECT_FALSE(parseUtc("2023-01-01 00:00:00Z"));
  EXPECT_FALSE(parseUtc("2023-01-01T24:00:00Z"));
}

}  // namespace
}  // namespace sgaudit::schedule
