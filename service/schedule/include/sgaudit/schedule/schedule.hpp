#pragma once

// A schedule as the API reads and writes it: plain structs, to_json beside them, and a reader from a
// request body that returns every problem with its JSON pointer instead of throwing.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sgaudit/core/finding.hpp"
#include "sgaudit/schedule/time_zone.hpp"
#include "sgaudit/schedule/webhook.hpp"

namespace sgaudit::schedule {

struct NotificationTarget {
  std::string url;
  std::string secret;  // HMAC-SHA256 key; never written by to_json
  core::Severity min_severity = core::Severity::Low;
};

struct ScheduleSpec {
  std::string name;
  std::string cron;               // 5 fields or a macro (@daily...)
  std::string time_zone = "UTC";  // or an IANA name
  std::string cluster;
  std::vector<std::string> accounts;
  std::optional<std::string> policy_name;
  std::vector<NotificationTarget> targets;
  bool enabled = true;
  bool catch_up = true;  // after downtime, run once for the missed due times (false: skip them)
  bool collect =
      false;  // fetch the cluster from its source (PUT /api/v1/clusters/{c}/source) before auditing
};

struct Schedule {
  std::int64_t id = 0;
  ScheduleSpec spec;
  std::optional<TimePoint> next_run_at;
  std::optional<TimePoint> last_run_at;
  TimePoint created_at;
  TimePoint updated_at;
};

// One problem with a request, by JSON pointer ("/targets/0/url"). `kind` says which HTTP status fits.
struct FieldError {
  enum class Kind { Invalid, Conflict, NotFound } kind = Kind::Invalid;
  std::string pointer;
  std::string message;
  std::string text() const { return pointer.empty() ? message : pointer + ": " + message; }
};

// A value, or every reason there is none.
template <class T>
struct Validated {
  std::optional<T> value;
  std::vector<FieldError> errors;
  bool ok() const { return value.has_value(); }
};

struct SpecRules {
  std::filesystem::path zoneinfo_dir = std::string(kDefaultZoneinfoDir);
  TargetPolicy targets;
  std::size_t max_targets = 10;
  std::size_t min_secret_length = 16;
};

// Reads a POST/PUT body. Unknown fields are errors (typos would otherwise go unnoticed); the read-only
// fields that GET returns (id, next_run_at, last_run_at, created_at, updated_at) are ignored.
Validated<ScheduleSpec> parseScheduleSpec(const nlohmann::json& body, const SpecRules& rules = {});
// The same checks on a spec built in code.
std::vector<FieldError> validateScheduleSpec(const ScheduleSpec& spec, const SpecRules& rules = {});

// Targets show their URL and severity and "secret_set", never the secret.
void to_json(nlohmann::json& out, const NotificationTarget& target);
void to_json(nlohmann::json& out, const ScheduleSpec& spec);
void to_json(nlohmann::json& out, const Schedule& schedule);
void to_json(nlohmann::json& out, const FieldError& error);

}  // namespace sgaudit::schedule
