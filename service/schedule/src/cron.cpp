#include "sgaudit/schedule/cron.hpp"

#include <array>
#include <cctype>
#include <vector>

namespace sgaudit::schedule {
namespace {

using namespace std::chrono;

struct FieldSpec {
  std::string_view label;
  int min;
  int max;
  const std::array<std::string_view, 12>* names;  // names[i] is min + i
  std::size_t name_count;
};

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 12> kDayNames = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

constexpr std::array<FieldSpec, 5> kFields = {{
    {"minute", 0, 59, nullptr, 0},
    {"hour", 0, 23, nullptr, 0},
    {"day-of-month", 1, 31, nullptr, 0},
    {"month", 1, 12, &kMonthNames, 12},
    {"day-of-week", 0, 7, &kDayNames, 7},  // 7 is Sunday too
}};

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

struct FieldError {
  std::string message;
};

// One value: a number or (for month and weekday) a three-letter name.
std::optional<int> parseValue(const FieldSpec& spec, std::string_view text, std::string_view element,
                              std::string& error) {
  auto range_text = [&] {
    std::string r = std::to_string(spec.min) + "-" + std::to_string(spec.max);
    if (spec.names != nullptr) {
      r += " or " + std::string((*spec.names)[0]) + "-" + std::string((*spec.names)[spec.name_count - 1]);
    }
    return r;
  };
  if (text.empty()) {
    error = "missing value";
    return std::nullopt;
  }
  if (std::isdigit(static_cast<unsigned char>(text.front()))) {
    int value = 0;
    for (char c : text) {
      if (!std::isdigit(static_cast<unsigned char>(c))) {
        error = "\"" + std::string(text) + "\" is not a number";
        return std::nullopt;
      }
      value = value * 10 + (c - '0');
      if (value > 1000) break;
    }
    if (value < spec.min || value > spec.max) {
      error = (text == element ? std::string("value") : "value " + std::string(text)) + " out of range " +
              range_text();
      return std::nullopt;
    }
    return value;
  }
  if (spec.names != nullptr) {
    const std::string name = upper(text);
    for (std::size_t i = 0; i < spec.name_count; ++i) {
      if ((*spec.names)[i] == name) return spec.min + static_cast<int>(i);
    }
    error = "unknown name \"" + std::string(text) + "\" (expected " + range_text() + ")";
    return std::nullopt;
  }
  error = "\"" + std::string(text) + "\" is not a number";
  return std::nullopt;
}

// Sets the bits of one field ("*/15", "1-5,10", "MON-FRI", "10-50/5") in `bits` (index = value).
std::optional<FieldError> parseField(const FieldSpec& spec, std::string_view field, std::vector<bool>& bits) {
  bits.assign(static_cast<std::size_t>(spec.max) + 1, false);
  std::size_t start = 0;
  while (true) {
    const auto comma = field.find(',', start);
    const auto element = field.substr(start, comma == std::string_view::npos ? field.npos : comma - start);
    auto fail = [&](const std::string& why) {
      return FieldError{std::string(spec.label) + " field \"" +
                        std::string(element.empty() ? field : element) + "\": " + why};
    };
    if (element.empty()) return fail("empty list element");
    std::string_view base = element;
    int step = 1;
    if (const auto slash = element.find('/'); slash != std::string_view::npos) {
      base = element.substr(0, slash);
      const auto step_text = element.substr(slash + 1);
      if (step_text.empty()) return fail("missing step after '/'");
      int value = 0;
      for (char c : step_text) {
        if (!std::isdigit(static_cast<unsigned char>(c)))
          return fail("step \"" + std::string(step_text) + "\" is not a number");
        value = value * 10 + (c - '0');
        if (value > 1000) break;
      }
      if (value < 1) return fail("step must be at least 1");
      if (value > spec.max)
        return fail("step " + std::to_string(value) + " is larger than the field's range");
      step = value;
    }
    int low = 0;
    int high = 0;
    std::string error;
    if (base == "*") {
      low = spec.min;
      high = spec.max == 7 ? 6 : spec.max;
    } else {
      const auto dash = base.find('-');
      auto first = parseValue(spec, base.substr(0, dash), element, error);
      if (!first) return fail(error);
      low = *first;
      if (dash != std::string_view::npos) {
        auto last = parseValue(spec, base.substr(dash + 1), element, error);
        if (!last) return fail(error);
        high = *last;
        if (high < low) {
          return fail("range start " + std::to_string(low) + " is after its end " + std::to_string(high));
        }
      } else {
        // "5/15" means from 5 to the end of the range every 15 (as systemd and most crons read it).
        high = element.find('/') != std::string_view::npos ? (spec.max == 7 ? 6 : spec.max) : low;
      }
    }
    for (int v = low; v <= high; v += step)
      bits[static_cast<std::size_t>(v)] = true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return std::nullopt;
}

std::string_view macro(std::string_view text) {
  if (text == "@yearly" || text == "@annually") return "0 0 1 1 *";
  if (text == "@monthly") return "0 0 1 * *";
  if (text == "@weekly") return "0 0 * * 0";
  if (text == "@daily" || text == "@midnight") return "0 0 * * *";
  if (text == "@hourly") return "0 * * * *";
  return {};
}

}  // namespace

bool CronExpression::matchesDay(year_month_day date) const {
  const bool dom = days_of_month[static_cast<unsigned>(date.day())];
  const bool dow = days_of_week[weekday{sys_days{date}}.c_encoding()];
  if (day_of_month_restricted && day_of_week_restricted) return dom || dow;
  return dom && dow;
}

core::Result<CronExpression> parseCron(std::string_view text) {
  std::string_view source = text;
  while (!source.empty() && std::isspace(static_cast<unsigned char>(source.front())))
    source.remove_prefix(1);
  while (!source.empty() && std::isspace(static_cast<unsigned char>(source.back())))
    source.remove_suffix(1);
  if (!source.empty() && source.front() == '@') {
    const auto expanded = macro(source);
    if (expanded.empty()) {
      return core::Error{"unknown macro \"" + std::string(source) +
                         "\" (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)"};
    }
    auto result = parseCron(expanded);
    if (result) result.value().text = std::string(source);
    return result;
  }
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  while (pos < source.size()) {
    while (pos < source.size() && std::isspace(static_cast<unsigned char>(source[pos])))
      ++pos;
    const auto start = pos;
    while (pos < source.size() && !std::isspace(static_cast<unsigned char>(source[pos])))
      ++pos;
    if (pos > start) fields.push_back(source.substr(start, pos - start));
  }
  if (fields.size() != 5) {
    return core::Error{"expected 5 fields (minute hour day-of-month month day-of-week), got " +
                       std::to_string(fields.size())};
  }
  CronExpression expr;
  expr.text = std::string(source);
  std::vector<bool> bits;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (auto error = parseField(kFields[i], fields[i], bits)) return core::Error{error->message};
    for (std::size_t v = 0; v < bits.size(); ++v) {
      if (!bits[v]) continue;
      switch (i) {
        case 0:
          expr.minutes.set(v);
          break;
        case 1:
          expr.hours.set(v);
          break;
        case 2:
          expr.days_of_month.set(v);
          break;
        case 3:
          expr.months.set(v);
          break;
        case 4:
          expr.days_of_week.set(v % 7);
          break;
      }
    }
  }
  expr.day_of_month_restricted = fields[2].front() != '*';
  expr.day_of_week_restricted = fields[4].front() != '*';
  return expr;
}

std::optional<TimePoint> nextRun(const CronExpression& expression, TimePoint after, const TimeZone& zone) {
  const LocalTime start_local = floor<minutes>(toLocal(zone, after)) + minutes{1};
  const auto start_day = floor<days>(start_local);
  const auto start_minute = duration_cast<minutes>(start_local - start_day).count();
  constexpr int kDaysSearched = 366 * 30;  // Feb 29 on a Monday can be 28 years away
  for (int offset = 0; offset < kDaysSearched; ++offset) {
    const local_days day = start_day + days{offset};
    const year_month_day date{sys_days{day.time_since_epoch()}};
    if (!expression.months[static_cast<unsigned>(date.month())] || !expression.matchesDay(date)) continue;
    const int first = offset == 0 ? static_cast<int>(start_minute) : 0;
    for (int minute_of_day = first; minute_of_day < 24 * 60; ++minute_of_day) {
      const int hour = minute_of_day / 60;
      if (!expression.hours[static_cast<std::size_t>(hour)]) {
        minute_of_day = hour * 60 + 59;
        continue;
      }
      if (!expression.minutes[static_cast<std::size_t>(minute_of_day % 60)]) continue;
      const LocalTime local = LocalTime{day} + minutes{minute_of_day};
      const LocalResolution resolution = resolveLocal(zone, local);
      // Ambiguous times run at their first occurrence only; if that has passed, so has the run.
      if (resolution.earliest > after) return resolution.earliest;
    }
  }
  return std::nullopt;
}

}  // namespace sgaudit::schedule
