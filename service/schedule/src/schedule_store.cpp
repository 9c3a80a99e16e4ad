#include "sgaudit/schedule/schedule_store.hpp"

#include "sgaudit/schedule/cron.hpp"

namespace sgaudit::schedule {
namespace {

using nlohmann::json;

constexpr std::string_view kScheduleColumns =
    "id, name, cron, time_zone, cluster, accounts, policy_name, enabled, catch_up, next_run_at, last_run_at, "
    "created_at, updated_at, collect";

std::optional<TimePoint> optionalTime(const db::Statement& stmt, int column) {
  if (stmt.isNull(column)) return std::nullopt;
  return parseUtc(stmt.getText(column));
}

TimePoint requiredTime(const db::Statement& stmt, int column) {
  return optionalTime(stmt, column).value_or(TimePoint{});
}

void bindOptionalTime(db::Statement& stmt, int index, const std::optional<TimePoint>& time) {
  if (time) {
    stmt.bind(index, formatUtc(*time));
  } else {
    stmt.bindNull(index);
  }
}

json parseJsonColumn(const db::Statement& stmt, int column) {
  if (stmt.isNull(column)) return nullptr;
  return json::parse(stmt.getText(column), nullptr, false);
}

Schedule readSchedule(const db::Statement& stmt) {
  Schedule s;
  s.id = stmt.getInt64(0);
  s.spec.name = stmt.getText(1);
  s.spec.cron = stmt.getText(2);
  s.spec.time_zone = stmt.getText(3);
  s.spec.cluster = stmt.getText(4);
  const json accounts = json::parse(stmt.getText(5), nullptr, false);
  if (accounts.is_array()) {
    for (const auto& a : accounts) {
      if (a.is_string()) s.spec.accounts.push_back(a.get<std::string>());
    }
  }
  s.spec.policy_name = stmt.getOptionalText(6);
  s.spec.enabled = stmt.getInt64(7) != 0;
  s.spec.catch_up = stmt.getInt64(8) != 0;
  s.next_run_at = optionalTime(stmt, 9);
  s.last_run_at = optionalTime(stmt, 10);
  s.created_at = requiredTime(stmt, 11);
  s.updated_at = requiredTime(stmt, 12);
  s.spec.collect = stmt.getInt64(13) != 0;
  return s;
}

ScheduleRun readRun(const db::Statement& stmt) {
  ScheduleRun r;
  r.id = stmt.getInt64(0);
  r.schedule_id = stmt.getInt64(1);
  r.scheduled_for = requiredTime(stmt, 2);
  r.kind = stmt.getText(3);
  r.state = stmt.getText(4);
  r.runner = stmt.getText(5);
  r.started_at = requiredTime(stmt, 6);
  r.finished_at = optionalTime(stmt, 7);
  auto optionalInt = [&](int column) {
    return stmt.isNull(column) ? std::nullopt : std::optional<std::int64_t>(stmt.getInt64(column));
  };
  r.audit_id = optionalInt(8);
  r.previous_run_id = optionalInt(9);
  r.finding_count = optionalInt(10);
  r.new_count = optionalInt(11);
  r.resolved_count = optionalInt(12);
  r.diff = parseJsonColumn(stmt, 13);
  r.inputs = parseJsonColumn(stmt, 14);
  r.error = stmt.getOptionalText(15);
  r.collection = parseJsonColumn(stmt, 16);
  return r;
}

constexpr std::string_view kRunColumns =
    "id, schedule_id, scheduled_for, kind, state, runner, started_at, finished_at, audit_id, "
    "previous_run_id, "
    "finding_count, new_count, resolved_count, diff, inputs, error, collection";

json optionalTimeJson(const std::optional<TimePoint>& time) {
  return time ? json(formatUtc(*time)) : json(nullptr);
}

template <class T>
json optionalJson(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

}  // namespace

std::optional<TimePoint> computeNextRun(const ScheduleSpec& spec, TimePoint now, const SpecRules& rules) {
  if (!spec.enabled) return std::nullopt;
  auto cron = parseCron(spec.cron);
  auto zone = TimeZone::load(spec.time_zone, rules.zoneinfo_dir);
  if (!cron || !zone) return std::nullopt;
  return nextRun(cron.value(), now, zone.value());
}

void to_json(json& out, const ScheduleRun& run) {
  out = json{{"id", run.id},
             {"schedule_id", run.schedule_id},
             {"scheduled_for", formatUtc(run.scheduled_for)},
             {"kind", run.kind},
             {"state", run.state},
             {"runner", run.runner},
             {"started_at", formatUtc(run.started_at)},
             {"finished_at", optionalTimeJson(run.finished_at)},
             {"audit_id", optionalJson(run.audit_id)},
             {"previous_run_id", optionalJson(run.previous_run_id)},
             {"finding_count", optionalJson(run.finding_count)},
             {"new_count", optionalJson(run.new_count)},
             {"resolved_count", optionalJson(run.resolved_count)},
             {"diff", run.diff},
             {"inputs", run.inputs},
             {"error", optionalJson(run.error)},
             {"collection", run.collection}};
}

void to_json(json& out, const DeliveryAttempt& attempt) {
  out = json{{"attempt", attempt.attempt},         {"started_at", formatUtc(attempt.started_at)},
             {"duration_ms", attempt.duration_ms}, {"status", optionalJson(attempt.status)},
             {"outcome", attempt.outcome},         {"error", optionalJson(attempt.error)}};
}

void to_json(json& out, const WebhookDelivery& delivery) {
  out = json{{"id", delivery.id},
             {"run_id", delivery.run_id},
             {"target", delivery.target_position},
             {"url", delivery.url},
             {"state", delivery.state},
             {"attempts", delivery.attempts},
             {"next_attempt_at", optionalTimeJson(delivery.next_attempt_at)},
             {"created_at", formatUtc(delivery.created_at)},
             {"finished_at", optionalTimeJson(delivery.finished_at)},
             {"last_error", optionalJson(delivery.last_error)},
             {"attempt_log", delivery.attempt_log}};
}

ScheduleStore::ScheduleStore(db::Database& db, SpecRules rules) : db_(db), rules_(std::move(rules)) {
  for (const char* table : {"schedules", "schedule_targets", "schedule_runs", "webhook_deliveries"}) {
    if (!db_.tableExists(table)) {
      throw db::DbError("database " + db_.path().string() + " has no table " + table +
                        "; migrate it to schema 3 (0003_schedules) first");
    }
  }
}

std::optional<FieldError> ScheduleStore::nameTaken(const std::string& name,
                                                   std::optional<std::int64_t> except) {
  auto stmt = db_.prepare("SELECT id FROM schedules WHERE name = ?1");
  stmt.bind(1, name);
  if (stmt.step() && (!except || stmt.getInt64(0) != *except)) {
    return FieldError{FieldError::Kind::Conflict, "/name",
                      "a schedule named \"" + name + "\" already exists"};
  }
  return std::nullopt;
}

std::vector<FieldError> ScheduleStore::missingReferences(const ScheduleSpec& spec) {
  // A schedule that names what does not exist would fail at every run; it is refused when written.
  std::vector<FieldError> errors;
  auto scope = db_.prepare("SELECT 1 FROM scopes WHERE kind = ?1 AND name = ?2");
  auto scopeExists = [&](const char* kind, const std::string& name) {
    scope.reset();
    scope.bind(1, std::string(kind)).bind(2, name);
    return scope.step();
  };
  if (!scopeExists("cluster", spec.cluster)) {
    errors.push_back({FieldError::Kind::Invalid, "/cluster",
                      "there is no cluster \"" + spec.cluster +
                          "\" (upload its inputs or give it a source, PUT /api/v1/clusters/" + spec.cluster +
                          "/source, first)"});
  }
  for (std::size_t i = 0; i < spec.accounts.size(); ++i) {
    if (!scopeExists("account", spec.accounts[i])) {
      errors.push_back({FieldError::Kind::Invalid, "/accounts/" + std::to_string(i),
                        "there is no account \"" + spec.accounts[i] + "\""});
    }
  }
  if (spec.policy_name) {
    auto policy = db_.prepare("SELECT 1 FROM policies WHERE name = ?1");
    policy.bind(1, *spec.policy_name);
    if (!policy.step()) {
      errors.push_back({FieldError::Kind::Invalid, "/policy",
                        "there is no policy \"" + *spec.policy_name + "\" (PUT /api/v1/policies/" +
                            *spec.policy_name + " first)"});
    }
  }
  return errors;
}

void ScheduleStore::writeTargets(std::int64_t id, const ScheduleSpec& spec) {
  db_.prepare("DELETE FROM schedule_targets WHERE schedule_id = ?1").bind(1, id).run();
  auto insert = db_.prepare(
      "INSERT INTO schedule_targets (schedule_id, position, url, secret, min_severity) VALUES (?1, ?2, ?3, "
      "?4, ?5)");
  for (std::size_t i = 0; i < spec.targets.size(); ++i) {
    const auto& t = spec.targets[i];
    insert.bind(1, id)
        .bind(2, static_cast<std::int64_t>(i))
        .bind(3, t.url)
        .bind(4, t.secret)
        .bind(5, core::toString(t.min_severity));
    insert.run();
    insert.reset();
  }
}

Validated<Schedule> ScheduleStore::create(const ScheduleSpec& spec, TimePoint now) {
  Validated<Schedule> result;
  result.errors = validateScheduleSpec(spec, rules_);
  if (!result.errors.empty()) return result;
  db::Transaction tx(db_);
  if (auto taken = nameTaken(spec.name, std::nullopt)) {
    result.errors.push_back(*taken);
    return result;
  }
  result.errors = missingReferences(spec);
  if (!result.errors.empty()) return result;
  auto insert = db_.prepare(
      "INSERT INTO schedules (name, cron, time_zone, cluster, accounts, policy_name, enabled, catch_up, "
      "next_run_at, created_at, updated_at, collect) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, "
      "?11)");
  insert.bind(1, spec.name).bind(2, spec.cron).bind(3, spec.time_zone).bind(4, spec.cluster);
  insert.bind(5, json(spec.accounts).dump());
  if (spec.policy_name) {
    insert.bind(6, *spec.policy_name);
  } else {
    insert.bindNull(6);
  }
  insert.bind(7, spec.enabled ? 1 : 0).bind(8, spec.catch_up ? 1 : 0);
  bindOptionalTime(insert, 9, computeNextRun(spec, now, rules_));
  insert.bind(10, formatUtc(now)).bind(11, spec.collect ? 1 : 0);
  insert.run();
  const std::int64_t id = db_.lastInsertRowId();
  writeTargets(id, spec);
  tx.commit();
  result.value = get(id);
  return result;
}

std::optional<Schedule> ScheduleStore::get(std::int64_t id) {
  auto stmt = db_.prepare("SELECT " + std::string(kScheduleColumns) + " FROM schedules WHERE id = ?1");
  stmt.bind(1, id);
  if (!stmt.step()) return std::nullopt;
  Schedule schedule = readSchedule(stmt);
  auto targets = db_.prepare(
      "SELECT url, secret, min_severity FROM schedule_targets WHERE schedule_id = ?1 ORDER BY position");
  targets.bind(1, id);
  while (targets.step()) {
    schedule.spec.targets.push_back({targets.getText(0), targets.getText(1),
                                     core::parseSeverity(targets.getText(2)).value_or(core::Severity::Low)});
  }
  return schedule;
}

std::optional<Schedule> ScheduleStore::findByName(const std::string& name) {
  auto stmt = db_.prepare("SELECT id FROM schedules WHERE name = ?1");
  stmt.bind(1, name);
  if (!stmt.step()) return std::nullopt;
  return get(stmt.getInt64(0));
}

std::vector<Schedule> ScheduleStore::list() {
  std::vector<std::int64_t> ids;
  auto stmt = db_.prepare("SELECT id FROM schedules ORDER BY id");
  while (stmt.step())
    ids.push_back(stmt.getInt64(0));
  std::vector<Schedule> out;
  for (auto id : ids) {
    if (auto s = get(id)) out.push_back(std::move(*s));
  }
  return out;
}

Validated<Schedule> ScheduleStore::update(std::int64_t id, const ScheduleSpec& spec, TimePoint now) {
  Validated<Schedule> result;
  db::Transaction tx(db_);
  const auto existing = get(id);
  if (!existing) {
    result.errors.push_back({FieldError::Kind::NotFound, "", "no schedule with id " + std::to_string(id)});
    return result;
  }
  result.errors = validateScheduleSpec(spec, rules_);
  if (!result.errors.empty()) return result;
  if (auto taken = nameTaken(spec.name, id)) {
    result.errors.push_back(*taken);
    return result;
  }
  result.errors = missingReferences(spec);
  if (!result.errors.empty()) return result;
  auto stmt = db_.prepare(
      "UPDATE schedules SET name = ?2, cron = ?3, time_zone = ?4, cluster = ?5, accounts = ?6, policy_name = "
      "?7, "
      "enabled = ?8, catch_up = ?9, next_run_at = ?10, updated_at = ?11, collect = ?12 WHERE id = ?1");
  stmt.bind(1, id).bind(2, spec.name).bind(3, spec.cron).bind(4, spec.time_zone).bind(5, spec.cluster);
  stmt.bind(6, json(spec.accounts).dump());
  if (spec.policy_name) {
    stmt.bind(7, *spec.policy_name);
  } else {
    stmt.bindNull(7);
  }
  stmt.bind(8, spec.enabled ? 1 : 0).bind(9, spec.catch_up ? 1 : 0);
  // A change that does not touch when it runs (a rename, new targets) keeps a due time not yet served.
  const bool same_timing = existing->spec.cron == spec.cron && existing->spec.time_zone == spec.time_zone &&
                           existing->spec.enabled == spec.enabled && existing->next_run_at.has_value();
  bindOptionalTime(stmt, 10, same_timing ? existing->next_run_at : computeNextRun(spec, now, rules_));
  stmt.bind(11, formatUtc(now)).bind(12, spec.collect ? 1 : 0);
  stmt.run();
  writeTargets(id, spec);
  tx.commit();
  result.value = get(id);
  return result;
}

bool ScheduleStore::remove(std::int64_t id) {
  auto stmt = db_.prepare("DELETE FROM schedules WHERE id = ?1");
  stmt.bind(1, id).run();
  return db_.changes() > 0;
}

std::vector<ScheduleRun> ScheduleStore::runs(std::int64_t schedule_id, int limit) {
  auto stmt = db_.prepare("SELECT " + std::string(kRunColumns) +
                          " FROM schedule_runs WHERE schedule_id = ?1 ORDER BY id DESC LIMIT ?2");
  stmt.bind(1, schedule_id).bind(2, limit);
  std::vector<ScheduleRun> out;
  while (stmt.step())
    out.push_back(readRun(stmt));
  return out;
}

std::optional<ScheduleRun> ScheduleStore::run(std::int64_t run_id) {
  auto stmt = db_.prepare("SELECT " + std::string(kRunColumns) + " FROM schedule_runs WHERE id = ?1");
  stmt.bind(1, run_id);
  if (!stmt.step()) return std::nullopt;
  return readRun(stmt);
}

std::vector<WebhookDelivery> ScheduleStore::deliveries(std::int64_t run_id) {
  auto stmt = db_.prepare(
      "SELECT id, run_id, target_position, url, state, attempts, next_attempt_at, created_at, finished_at, "
      "last_error, body FROM webhook_deliveries WHERE run_id = ?1 ORDER BY id");
  stmt.bind(1, run_id);
  std::vector<WebhookDelivery> out;
  while (stmt.step()) {
    WebhookDelivery d;
    d.id = stmt.getInt64(0);
    d.run_id = stmt.getInt64(1);
    d.target_position = static_cast<int>(stmt.getInt64(2));
    d.url = stmt.getText(3);
    d.state = stmt.getText(4);
    d.attempts = static_cast<int>(stmt.getInt64(5));
    d.next_attempt_at = optionalTime(stmt, 6);
    d.created_at = requiredTime(stmt, 7);
    d.finished_at = optionalTime(stmt, 8);
    d.last_error = stmt.getOptionalText(9);
    d.body = stmt.getText(10);
    out.push_back(std::move(d));
  }
  auto attempts = db_.prepare(
      "SELECT attempt, started_at, duration_ms, status, outcome, error FROM webhook_delivery_attempts "
      "WHERE delivery_id = ?1 ORDER BY attempt");
  for (auto& d : out) {
    attempts.bind(1, d.id);
    while (attempts.step()) {
      DeliveryAttempt a;
      a.attempt = static_cast<int>(attempts.getInt64(0));
      a.started_at = requiredTime(attempts, 1);
      a.duration_ms = attempts.getInt64(2);
      if (!attempts.isNull(3)) a.status = static_cast<int>(attempts.getInt64(3));
      a.outcome = attempts.getText(4);
      a.error = attempts.getOptionalText(5);
      d.attempt_log.push_back(std::move(a));
    }
    attempts.reset();
  }
  return out;
}

}  // namespace sgaudit::schedule
