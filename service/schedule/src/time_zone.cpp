#include "sgaudit/schedule/time_zone.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>

namespace sgaudit::schedule {
namespace {

using std::chrono::days;
using std::chrono::seconds;
using std::chrono::sys_days;

constexpr std::int64_t kDay = 86400;

std::int64_t toSeconds(TimePoint instant) {
  return instant.time_since_epoch().count();
}

class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}
  bool has(std::size_t n) const { return bytes_.size() - pos_ >= n; }
  std::uint8_t u8() { return static_cast<std::uint8_t>(bytes_[pos_++]); }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
      v = (v << 8) | u8();
    return v;
  }
  std::int64_t i64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v = (v << 8) | u8();
    return static_cast<std::int64_t>(v);
  }
  std::string_view take(std::size_t n) {
    auto out = bytes_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  void skip(std::size_t n) { pos_ += n; }
  std::string_view rest() const { return bytes_.substr(pos_); }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

struct TzifHeader {
  char version = 0;
  std::uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;

  std::size_t dataSize(std::size_t time_size) const {
    return timecnt * time_size + timecnt + typecnt * 6 + charcnt + leapcnt * (time_size + 4) + isstdcnt +
           isutcnt;
  }
};

std::optional<TzifHeader> readHeader(ByteReader& in) {
  if (!in.has(44) || in.take(4) != "TZif") return std::nullopt;
  TzifHeader h;
  h.version = static_cast<char>(in.u8());
  in.skip(15);
  h.isutcnt = in.u32();
  h.isstdcnt = in.u32();
  h.leapcnt = in.u32();
  h.timecnt = in.u32();
  h.typecnt = in.u32();
  h.charcnt = in.u32();
  return h;
}

// POSIX TZ text parsing ("<+0330>-3:30", "EST5EDT,M3.2.0,M11.1.0", "IST-2IDT,M3.4.4/26,M10.5.0").
class TzTextParser {
 public:
  explicit TzTextParser(std::string_view text) : text_(text) {}
  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  bool consume(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  std::optional<std::string> name() {
    if (consume('<')) {
      const auto end = text_.find('>', pos_);
      if (end == std::string_view::npos) return std::nullopt;
      std::string out(text_.substr(pos_, end - pos_));
      pos_ = end + 1;
      return out.size() >= 3 ? std::optional(out) : std::nullopt;
    }
    const auto start = pos_;
    while (!done() && std::isalpha(static_cast<unsigned char>(peek())))
      ++pos_;
    if (pos_ - start < 3) return std::nullopt;
    return std::string(text_.substr(start, pos_ - start));
  }
  std::optional<int> number() {
    const auto start = pos_;
    int value = 0;
    while (!done() && std::isdigit(static_cast<unsigned char>(peek())) && pos_ - start < 4) {
      value = value * 10 + (peek() - '0');
      ++pos_;
    }
    if (pos_ == start) return std::nullopt;
    return value;
  }
  // [+-]hh[:mm[:ss]] in seconds; hours up to 167 as RFC 8536 allows for rule times.
  std::optional<std::int32_t> duration() {
    int sign = 1;
    if (consume('-')) {
      sign = -1;
    } else {
      consume('+');
    }
    auto hours = number();
    if (!hours || *hours > 167) return std::nullopt;
    std::int32_t total = *hours * 3600;
    for (int unit : {60, 1}) {
      if (!consume(':')) break;
      auto part = number();
      if (!part || *part > 59) return std::nullopt;
      total += *part * unit;
    }
    return sign * total;
  }
  std::optional<PosixTzRule::Date> date() {
    PosixTzRule::Date d;
    if (consume('M')) {
      d.kind = PosixTzRule::Date::Kind::MonthWeekDay;
      auto m = number();
      if (!m || !consume('.')) return std::nullopt;
      auto w = number();
      if (!w || !consume('.')) return std::nullopt;
      auto wd = number();
      if (!wd || *m < 1 || *m > 12 || *w < 1 || *w > 5 || *wd > 6) return std::nullopt;
      d.month = *m;
      d.week = *w;
      d.weekday = *wd;
    } else if (consume('J')) {
      d.kind = PosixTzRule::Date::Kind::Julian1;
      auto n = number();
      if (!n || *n < 1 || *n > 365) return std::nullopt;
      d.day = *n;
    } else {
      d.kind = PosixTzRule::Date::Kind::Julian0;
      auto n = number();
      if (!n || *n > 365) return std::nullopt;
      d.day = *n;
    }
    if (consume('/')) {
      auto t = duration();
      if (!t) return std::nullopt;
      d.time = *t;
    }
    return d;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

// Days since the epoch of the rule date in `year`.
std::int64_t ruleDay(const PosixTzRule::Date& d, int year) {
  using namespace std::chrono;
  const auto jan1 = sys_days{std::chrono::year{year} / January / 1};
  switch (d.kind) {
    case PosixTzRule::Date::Kind::Julian1: {
      const bool leap = std::chrono::year{year}.is_leap();
      return (jan1 + days{d.day - 1 + ((leap && d.day >= 60) ? 1 : 0)}).time_since_epoch().count();
    }
    case PosixTzRule::Date::Kind::Julian0:
      return (jan1 + days{d.day}).time_since_epoch().count();
    case PosixTzRule::Date::Kind::MonthWeekDay: {
      const auto ym = std::chrono::year{year} / std::chrono::month{static_cast<unsigned>(d.month)};
      const sys_days first{ym / 1};
      const sys_days last{ym / std::chrono::last};
      const unsigned first_wd = weekday{first}.c_encoding();
      sys_days day =
          first + days{(static_cast<unsigned>(d.weekday) + 7 - first_wd) % 7} + days{7 * (d.week - 1)};
      while (day > last)
        day -= days{7};
      return day.time_since_epoch().count();
    }
  }
  return 0;
}

}  // namespace

core::Result<PosixTzRule> parsePosixTz(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return core::Error{"POSIX TZ string \"" + std::string(text) + "\": " + std::string(why)};
  };
  TzTextParser p(text);
  PosixTzRule rule;
  auto std_name = p.name();
  if (!std_name) return fail("expected a zone abbreviation");
  rule.std_abbr = *std_name;
  auto std_west = p.duration();
  if (!std_west) return fail("expected a UTC offset after " + rule.std_abbr);
  rule.std_offset = -*std_west;
  rule.dst_offset = rule.std_offset;
  if (p.done()) return rule;
  auto dst_name = p.name();
  if (!dst_name) return fail("expected a daylight-saving abbreviation");
  rule.dst_abbr = *dst_name;
  rule.dst_offset = rule.std_offset + 3600;
  if (!p.done() && p.peek() != ',') {
    auto dst_west = p.duration();
    if (!dst_west) return fail("bad daylight-saving offset");
    rule.dst_offset = -*dst_west;
  }
  if (p.done()) {
    // POSIX leaves the default implementation-defined; this is the US rule glibc uses.
    rule.dst_start = {PosixTzRule::Date::Kind::MonthWeekDay, 0, 3, 2, 0, 7200};
    rule.dst_end = {PosixTzRule::Date::Kind::MonthWeekDay, 0, 11, 1, 0, 7200};
    return rule;
  }
  if (!p.consume(',')) return fail("expected ',' before the rule dates");
  auto start = p.date();
  if (!start || !p.consume(',')) return fail("bad daylight-saving start date");
  auto end = p.date();
  if (!end || !p.done()) return fail("bad daylight-saving end date");
  rule.dst_start = *start;
  rule.dst_end = *end;
  return rule;
}

std::int32_t PosixTzRule::offsetAt(TimePoint instant) const {
  if (!dst_abbr) return std_offset;
  const std::int64_t t = toSeconds(instant);
  const auto local_day =
      sys_days{days{(t + std_offset) >= 0 ? (t + std_offset) / kDay : ((t + std_offset) - kDay + 1) / kDay}};
  const int year = static_cast<int>(std::chrono::year_month_day{local_day}.year());
  const std::int64_t start = ruleDay(dst_start, year) * kDay + dst_start.time - std_offset;
  const std::int64_t end = ruleDay(dst_end, year) * kDay + dst_end.time - dst_offset;
  const bool in_dst = start < end ? (t >= start && t < end) : (t < end || t >= start);
  return in_dst ? dst_offset : std_offset;
}

TimeZone TimeZone::utc() {
  TimeZone zone;
  zone.name_ = "UTC";
  zone.types_.push_back({0, false, "UTC"});
  return zone;
}

core::Result<TimeZone> TimeZone::load(std::string_view name, const std::filesystem::path& zoneinfo_dir) {
  if (name == "UTC" || name == "Etc/UTC" || name == "Z") return utc();
  const std::string quoted = "time zone \"" + std::string(name) + "\"";
  if (name.empty() || name.size() > 128)
    return core::Error{quoted + ": expected an IANA name such as Europe/Berlin"};
  if (name.front() == '/') return core::Error{quoted + ": absolute paths are not time zone names"};
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' && c != '+' &&
        c != '.') {
      return core::Error{quoted + ": unexpected character '" + std::string(1, c) + "'"};
    }
  }
  // Split on '/': no empty, "." or ".." component may walk out of the zoneinfo folder.
  std::size_t start = 0;
  while (start <= name.size()) {
    const auto end = std::min(name.find('/', start), name.size());
    const auto part = name.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") {
      return core::Error{quoted + ": not a valid IANA name (empty, \".\" or \"..\" component)"};
    }
    start = end + 1;
  }
  const auto path = zoneinfo_dir / std::string(name);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return core::Error{quoted + ": unknown time zone"};
  std::ifstream in(path, std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (!in.good() && !in.eof()) return core::Error{quoted + ": cannot read " + path.string()};
  auto zone = fromTzif(std::string(name), bytes);
  if (!zone) return core::Error{quoted + ": " + zone.error().message};
  return zone;
}

core::Result<TimeZone> TimeZone::fromTzif(std::string name, std::string_view bytes) {
  ByteReader in(bytes);
  auto header = readHeader(in);
  if (!header) return core::Error{"not a TZif file"};
  std::size_t time_size = 4;
  if (header->version >= '2') {
    if (!in.has(header->dataSize(4))) return core::Error{"truncated TZif file (version 1 data)"};
    in.skip(header->dataSize(4));
    header = readHeader(in);
    if (!header) return core::Error{"TZif file lacks its 64-bit section"};
    time_size = 8;
  }
  const TzifHeader& h = *header;
  if (h.typecnt == 0 || h.typecnt > 256)
    return core::Error{"TZif file with " + std::to_string(h.typecnt) + " local time types"};
  if (!in.has(h.dataSize(time_size))) return core::Error{"truncated TZif file"};

  TimeZone zone;
  zone.name_ = std::move(name);
  zone.transitions_.resize(h.timecnt);
  for (auto& t : zone.transitions_) {
    t.at = time_size == 8 ? in.i64() : static_cast<std::int32_t>(in.u32());
  }
  for (auto& t : zone.transitions_) {
    t.type = in.u8();
    if (t.type >= h.typecnt)
      return core::Error{"TZif transition names local time type " + std::to_string(t.type)};
  }
  struct RawType {
    std::int32_t offset;
    bool dst;
    std::uint8_t abbr_index;
  };
  std::vector<RawType> raw(h.typecnt);
  for (auto& r : raw) {
    r.offset = static_cast<std::int32_t>(in.u32());
    r.dst = in.u8() != 0;
    r.abbr_index = in.u8();
  }
  const auto abbrs = in.take(h.charcnt);
  for (const auto& r : raw) {
    std::string abbr;
    if (r.abbr_index < abbrs.size()) {
      const auto tail = abbrs.substr(r.abbr_index);
      abbr = std::string(tail.substr(0, tail.find('\0')));
    }
    zone.types_.push_back({r.offset, r.dst, std::move(abbr)});
  }
  in.skip(h.leapcnt * (time_size + 4) + h.isstdcnt + h.isutcnt);  // leap seconds are ignored (not "right/")
  if (!std::is_sorted(zone.transitions_.begin(), zone.transitions_.end(),
                      [](const Transition& a, const Transition& b) { return a.at < b.at; })) {
    return core::Error{"TZif transitions are not in order"};
  }
  if (time_size == 8) {
    auto footer = in.rest();
    if (footer.size() >= 2 && footer.front() == '\n') {
      footer.remove_prefix(1);
      const auto end = footer.find('\n');
      if (end == std::string_view::npos) return core::Error{"TZif footer is not terminated"};
      const auto tz = footer.substr(0, end);
      if (!tz.empty()) {
        auto rule = parsePosixTz(tz);
        if (!rule) return core::Error{rule.error().message};
        zone.footer_ = std::move(rule).value();
      }
    }
  }
  return zone;
}

const TimeZone::LocalType* TimeZone::typeAt(TimePoint instant) const {
  const std::int64_t t = toSeconds(instant);
  if (transitions_.empty() || t < transitions_.front().at) return &types_.front();
  if (footer_ && t >= transitions_.back().at) return nullptr;  // the footer rule decides
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t,
                             [](std::int64_t value, const Transition& tr) { return value < tr.at; });
  return &types_[std::prev(it)->type];
}

std::int32_t TimeZone::offsetAt(TimePoint instant) const {
  if (transitions_.empty() && footer_) return footer_->offsetAt(instant);
  const LocalType* type = typeAt(instant);
  return type != nullptr ? type->offset : footer_->offsetAt(instant);
}

std::string TimeZone::abbreviationAt(TimePoint instant) const {
  if (transitions_.empty() && footer_) {
    return footer_->offsetAt(instant) == footer_->std_offset ? footer_->std_abbr
                                                             : footer_->dst_abbr.value_or("");
  }
  const LocalType* type = typeAt(instant);
  if (type != nullptr) return type->abbr;
  return footer_->offsetAt(instant) == footer_->std_offset || !footer_->dst_abbr ? footer_->std_abbr
                                                                                 : *footer_->dst_abbr;
}

LocalResolution resolveLocal(const TimeZone& zone, LocalTime local) {
  const std::int64_t l = local.time_since_epoch().count();
  const auto at = [](std::int64_t s) { return TimePoint{seconds{s}}; };
  // Offsets a day either side: clock changes are never closer together than that in the tz database.
  const std::int32_t before = zone.offsetAt(at(l - kDay));
  const std::int32_t after = zone.offsetAt(at(l + kDay));
  std::array<std::int64_t, 2> found{};
  int count = 0;
  for (std::int32_t offset : {before, after}) {
    const std::int64_t candidate = l - offset;
    if (zone.offsetAt(at(candidate)) == offset && (count == 0 || found[0] != candidate))
      found[count++] = candidate;
  }
  if (count == 2) {
    if (found[0] > found[1]) std::swap(found[0], found[1]);
    return {LocalResolution::Kind::Ambiguous, at(found[0]), at(found[1])};
  }
  if (count == 1) return {LocalResolution::Kind::Unique, at(found[0]), at(found[0])};
  // In a gap: the change happened between l - after and l - before; find its instant.
  std::int64_t lo = l - std::max(before, after);
  std::int64_t hi = l - std::min(before, after);
  const std::int32_t lo_offset = zone.offsetAt(at(lo));
  while (hi - lo > 1) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    (zone.offsetAt(at(mid)) == lo_offset ? lo : hi) = mid;
  }
  return {LocalResolution::Kind::Nonexistent, at(hi), at(hi)};
}

std::string formatUtc(TimePoint instant) {
  const auto day = std::chrono::floor<days>(instant);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{instant - day};
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buffer;
}

std::optional<TimePoint> parseUtc(std::string_view text) {
  // Fractional seconds ("...:05.123Z") are accepted and dropped.
  if (text.size() > 21 && text[19] == '.' && text.back() == 'Z') {
    const auto digits = text.substr(20, text.size() - 21);
    if (digits.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    text = text.substr(0, 19);
  } else if (text.size() == 20 && text[19] == 'Z') {
    text = text.substr(0, 19);
  } else {
    return std::nullopt;
  }
  if (text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  auto num = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  auto y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), s = num(17, 2);
  if (!y || !mo || !d || !h || !mi || !s || *h > 23 || *mi > 59 || *s > 59) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{*y}, std::chrono::month{static_cast<unsigned>(*mo)},
                                        std::chrono::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  return TimePoint{sys_days{ymd}} + std::chrono::hours{*h} + std::chrono::minutes{*mi} + seconds{*s};
}

}  // namespace sgaudit::schedule
