#pragma once

// Schedules in SQLite (migrations/0003_schedules.sql): the API's create/get/list/update/remove, and the
// history of runs and deliveries. Bound parameters only. One store per connection; like the connection,
// not thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sgaudit/db/database.hpp"
#include "sgaudit/schedule/schedule.hpp"

namespace sgaudit::schedule {

struct ScheduleRun {
  std::int64_t id = 0;
  std::int64_t schedule_id = 0;
  TimePoint scheduled_for;
  std::string kind;   // "scheduled", "catch-up"
  std::string state;  // "running", "succeeded", "failed", "skipped"
  std::string runner;
  TimePoint started_at;
  std::optional<TimePoint> finished_at;
  std::optional<std::int64_t> audit_id;
  std::optional<std::int64_t> previous_run_id;
  std::optional<std::int64_t> finding_count, new_count, resolved_count;
  nlohmann::json diff;    // {"new": [finding...], "resolved": [fingerprint...]} or null
  nlohmann::json inputs;  // [{"kind", "name", "taken_at", "age_seconds", "stale"}] or null
  std::optional<std::string> error;
  nlohmann::json collection;  // what collecting the cluster did first ({"state", "message", ...}) or null
};

struct DeliveryAttempt {
  int attempt = 0;
  TimePoint started_at;
  std::int64_t duration_ms = 0;
  std::optional<int> status;
  std::string outcome;  // "delivered", "retry", "failed"
  std::optional<std::string> error;
};

struct WebhookDelivery {
  std::int64_t id = 0;
  std::int64_t run_id = 0;
  int target_position = 0;
  std::string url;
  std::string state;  // "pending", "delivered", "failed"
  int attempts = 0;
  std::optional<TimePoint> next_attempt_at;
  TimePoint created_at;
  std::optional<TimePoint> finished_at;
  std::optional<std::string> last_error;
  std::string body;
  std::vector<DeliveryAttempt> attempt_log;
};

void to_json(nlohmann::json& out, const ScheduleRun& run);
void to_json(nlohmann::json& out, const DeliveryAttempt& attempt);
void to_json(nlohmann::json& out, const WebhookDelivery& delivery);  // without the secret

class ScheduleStore {
 public:
  // Throws db::DbError when the schema lacks the schedule tables (migrate first).
  explicit ScheduleStore(db::Database& db, SpecRules rules = {});

  // Validates, then stores with next_run_at computed from `now`. Errors: Invalid (422), Conflict (409) for a
  // name in use.
  Validated<Schedule> create(const ScheduleSpec& spec, TimePoint now);
  std::optional<Schedule> get(std::int64_t id);
  std::optional<Schedule> findByName(const std::string& name);
  std::vector<Schedule> list();
  // Replaces the whole spec (targets included). next_run_at is recomputed from `now` when cron, time zone
  // or enabled change, and kept otherwise; a run in progress finishes under the old spec. Errors as
  // create, plus NotFound (404).
  Validated<Schedule> update(std::int64_t id, const ScheduleSpec& spec, TimePoint now);
  // Deletes the schedule with its runs and deliveries. False when there was none.
  bool remove(std::int64_t id);

  // Newest first.
  std::vector<ScheduleRun> runs(std::int64_t schedule_id, int limit = 50);
  std::optional<ScheduleRun> run(std::int64_t run_id);
  std::vector<WebhookDelivery> deliveries(std::int64_t run_id);

  db::Database& database() { return db_; }
  const SpecRules& rules() const { return rules_; }

 private:
  std::optional<FieldError> nameTaken(const std::string& name, std::optional<std::int64_t> except);
  // The cluster, accounts and policy the spec names that do not exist, each at its JSON pointer.
  std::vector<FieldError> missingReferences(const ScheduleSpec& spec);
  void writeTargets(std::int64_t id, const ScheduleSpec& spec);
  db::Database& db_;
  SpecRules rules_;
};

// The next due time of `spec` after `now`, or nullopt (disabled, never matches, or bad cron/zone).
std::optional<TimePoint> computeNextRun(const ScheduleSpec& spec, TimePoint now, const SpecRules& rules);

}  // namespace sgaudit::schedule
