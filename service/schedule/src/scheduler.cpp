#include "sgaudit/schedule/scheduler.hpp"

#include <unistd.h>

#include <algorithm>
#include <memory>
#include <random>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sgaudit/core/finding.hpp"
#include "sgaudit/schedule/schedule_store.hpp"
#include "sgaudit/schedule/stored_audit.hpp"

namespace sgaudit::schedule {
namespace {

using nlohmann::json;
using std::chrono::seconds;

std::string defaultInstanceId() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::random_device device;
  std::ostringstream out;
  out << (host[0] != '\0' ? host : "host") << ':' << getpid() << ':' << std::hex << device();
  return out.str();
}

std::function<double()> defaultRandom() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

std::optional<TimePoint> timeColumn(const db::Statement& stmt, int column) {
  if (stmt.isNull(column)) return std::nullopt;
  return parseUtc(stmt.getText(column));
}

json findingJson(const RunFinding& f) {
  return json{{"fingerprint", f.fingerprint},
              {"check", f.check},
              {"severity", std::string(core::toString(f.severity))},
              {"title", f.title},
              {"namespace", f.namespace_name.empty() ? json(nullptr) : json(f.namespace_name)},
              {"node", f.node.empty() ? json(nullptr) : json(f.node)}};
}

std::string describeAge(seconds age) {
  const auto s = age.count();
  if (s >= 86400) return std::to_string(s / 86400) + " d " + std::to_string((s % 86400) / 3600) + " h";
  if (s >= 3600) return std::to_string(s / 3600) + " h " + std::to_string((s % 3600) / 60) + " min";
  return std::to_string(s / 60) + " min";
}

}  // namespace

struct Scheduler::Claim {
  std::int64_t run_id = 0;
  Schedule schedule;
  TimePoint scheduled_for;
  std::string kind;
};

Scheduler::Scheduler(db::Database& db, AuditRunner& runner, WebhookTransport& transport,
                     SchedulerOptions options)
    : db_(db), runner_(runner), transport_(transport), options_(std::move(options)) {
  if (options_.instance_id.empty()) options_.instance_id = defaultInstanceId();
  if (!options_.random01) options_.random01 = defaultRandom();
  ScheduleStore check(db_, options_.rules);  // throws when the schema is missing
}

TickReport Scheduler::tick(TimePoint now) {
  TickReport report;
  report.abandoned = closeAbandonedRuns(now);
  std::vector<std::int64_t> due;
  {
    auto stmt = db_.prepare(
        "SELECT id FROM schedules WHERE enabled = 1 AND next_run_at IS NOT NULL AND next_run_at <= ?1 "
        "AND (lease_until IS NULL OR lease_until <= ?1) ORDER BY next_run_at, id");
    stmt.bind(1, formatUtc(now));
    while (stmt.step())
      due.push_back(stmt.getInt64(0));
  }
  for (std::int64_t id : due) {
    if (auto claimed = claim(id, now, report)) execute(*claimed, now, report);
  }
  deliverDue(now, report);
  return report;
}

TimePoint Scheduler::currentTime(TimePoint tick_time) const {
  return options_.clock != nullptr ? std::max(tick_time, options_.clock->now()) : tick_time;
}

int Scheduler::closeAbandonedRuns(TimePoint now) {
  db::Transaction tx(db_);
  auto stmt = db_.prepare(
      "UPDATE schedule_runs SET state = 'failed', finished_at = ?1, "
      "error = 'abandoned: the process running it stopped before it finished (its claim lapsed); not re-run' "
      "WHERE state = 'running' AND schedule_id IN "
      "(SELECT id FROM schedules WHERE lease_until IS NULL OR lease_until <= ?1)");
  stmt.bind(1, formatUtc(now)).run();
  const int closed = db_.changes();
  // Release the lapsed claims of those runs so the schedules are free again.
  db_.prepare(
         "UPDATE schedules SET lease_owner = NULL, lease_until = NULL WHERE lease_until IS NOT NULL AND "
         "lease_until <= ?1")
      .bind(1, formatUtc(now))
      .run();
  tx.commit();
  return closed;
}

std::optional<Scheduler::Claim> Scheduler::claim(std::int64_t schedule_id, TimePoint now,
                                                 TickReport& report) {
  ScheduleStore store(db_, options_.rules);
  // IMMEDIATE: the write lock is taken before the re-check, so two processes cannot both see it due.
  db::Transaction tx(db_, db::Transaction::Mode::Immediate);
  auto stmt = db_.prepare(
      "SELECT next_run_at FROM schedules WHERE id = ?1 AND enabled = 1 AND next_run_at IS NOT NULL AND "
      "next_run_at <= ?2 AND (lease_until IS NULL OR lease_until <= ?2)");
  stmt.bind(1, schedule_id).bind(2, formatUtc(now));
  if (!stmt.step()) return std::nullopt;
  const auto due_at = timeColumn(stmt, 0);
  auto schedule = store.get(schedule_id);
  if (!due_at || !schedule) return std::nullopt;
  const bool missed = now - *due_at > options_.misfire_grace;
  // Every due time up to now is served by this one claim: at most one run after downtime.
  const auto next = computeNextRun(schedule->spec, now, options_.rules);
  const std::string now_text = formatUtc(now);

  Claim claimed;
  claimed.schedule = std::move(*schedule);
  claimed.scheduled_for = *due_at;
  claimed.kind = missed ? "catch-up" : "scheduled";
  const bool skip = missed && !claimed.schedule.spec.catch_up;

  auto insert = db_.prepare(
      "INSERT INTO schedule_runs (schedule_id, scheduled_for, kind, state, runner, started_at, finished_at, "
      "error) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  insert.bind(1, schedule_id).bind(2, formatUtc(*due_at)).bind(3, claimed.kind);
  insert.bind(4, skip ? "skipped" : "running").bind(5, options_.instance_id).bind(6, now_text);
  if (skip) {
    insert.bind(7, now_text).bind(8, "missed while no scheduler was running; catch_up is off");
  } else {
    insert.bindNull(7).bindNull(8);
  }
  try {
    insert.run();
  } catch (const db::DbError&) {
    // This due time already has a run (the clock went back?): move on without running it again.
    auto move = db_.prepare("UPDATE schedules SET next_run_at = ?2 WHERE id = ?1");
    move.bind(1, schedule_id);
    if (next) {
      move.bind(2, formatUtc(*next));
    } else {
      move.bindNull(2);
    }
    move.run();
    tx.commit();
    return std::nullopt;
  }
  claimed.run_id = db_.lastInsertRowId();
  auto update = db_.prepare(
      "UPDATE schedules SET next_run_at = ?2, lease_owner = ?3, lease_until = ?4, "
      "last_run_at = CASE WHEN ?5 THEN last_run_at ELSE ?6 END WHERE id = ?1");
  update.bind(1, schedule_id);
  if (next) {
    update.bind(2, formatUtc(*next));
  } else {
    update.bindNull(2);
  }
  if (skip) {
    update.bindNull(3).bindNull(4);
  } else {
    update.bind(3, options_.instance_id).bind(4, formatUtc(now + options_.lease));
  }
  update.bind(5, skip ? 1 : 0).bind(6, now_text);
  update.run();
  tx.commit();
  if (skip) {
    ++report.skipped;
    return std::nullopt;
  }
  report.runs.push_back(claimed.run_id);
  return claimed;
}

// A run's inputs and their ages, measured at the run; a stale or missing input is also a warning.
json Scheduler::runInputs(const RunOutcome& outcome, TimePoint now,
                          std::vector<std::string>& warnings) const {
  json inputs = json::array();
  for (const auto& input : outcome.inputs) {
    json item{{"kind", input.kind},
              {"name", input.name},
              {"snapshot_id", input.snapshot_id ? json(*input.snapshot_id) : json(nullptr)}};
    if (input.taken_at) {
      const auto age = std::max(seconds{0}, std::chrono::duration_cast<seconds>(now - *input.taken_at));
      const bool stale = age > options_.max_input_age;
      item["taken_at"] = formatUtc(*input.taken_at);
      item["age_seconds"] = age.count();
      item["stale"] = stale;
      if (stale) {
        warnings.push_back("inputs of " + input.kind + " " + input.name + " are " + describeAge(age) +
                           " old (more than " + describeAge(options_.max_input_age) + ")");
      }
    } else {
      item["taken_at"] = nullptr;
      item["age_seconds"] = nullptr;
      item["stale"] = true;
      warnings.push_back("no inputs for " + input.kind + " " + input.name);
    }
    inputs.push_back(std::move(item));
  }
  return inputs;
}

// The schedule's last successful run before this one: its id, its audit and the fingerprints it found.
Scheduler::PreviousRun Scheduler::previousRun(std::int64_t schedule_id, std::int64_t run_id) {
  PreviousRun previous;
  auto prev = db_.prepare(
      "SELECT id, fingerprints, audit_id FROM schedule_runs WHERE schedule_id = ?1 AND state = 'succeeded' "
      "AND id < ?2 ORDER BY id DESC LIMIT 1");
  prev.bind(1, schedule_id).bind(2, run_id);
  if (!prev.step()) return previous;
  previous.run_id = prev.getInt64(0);
  if (!prev.isNull(2)) previous.audit_id = prev.getInt64(2);
  const json fps = prev.isNull(1) ? json::array() : json::parse(prev.getText(1), nullptr, false);
  std::set<std::string> unique;
  if (fps.is_array()) {
    for (const auto& fp : fps) {
      if (fp.is_string()) unique.insert(fp.get<std::string>());
    }
  }
  previous.fingerprints.assign(unique.begin(), unique.end());
  return previous;
}

void Scheduler::execute(const Claim& claimed, TimePoint now, TickReport& report) {
  RunOutcome outcome;
  try {
    outcome = runner_.run(claimed.schedule);
  } catch (const std::exception& e) {
    outcome = RunOutcome{};
    outcome.error = std::string("audit runner failed: ") + e.what();
  } catch (...) {
    outcome = RunOutcome{};
    outcome.error = "audit runner failed with an unknown exception";
  }
  now = currentTime(now);
  RunRecord record{claimed, formatUtc(now), std::nullopt, json::array(), {}};
  if (outcome.collection) {
    const auto state = outcome.collection->value("state", std::string());
    if (state != "complete") {
      record.warnings.push_back("collecting cluster " + claimed.schedule.spec.cluster + " " +
                                (state == "partial" ? "was partial" : "failed") + ": " +
                                outcome.collection->value("message", std::string()) +
                                "; audited the last good snapshot");
    }
    // Accounts collected from their sources ("accounts": {name: answer}), each warned of the same way.
    if (const auto accounts = outcome.collection->find("accounts");
        accounts != outcome.collection->end() && accounts->is_object()) {
      for (const auto& [account, answer] : accounts->items()) {
        if (answer.value("state", std::string()) == "complete") continue;
        record.warnings.push_back("collecting account " + account +
                                  " failed: " + answer.value("message", std::string()) +
                                  "; audited the last good snapshot");
      }
    }
  }
  record.inputs = runInputs(outcome, now, record.warnings);

  db::Transaction tx(db_);
  if (outcome.audit_id > 0) {
    auto exists = db_.prepare("SELECT 1 FROM audits WHERE id = ?1");
    exists.bind(1, outcome.audit_id);
    if (exists.step()) record.audit_id = outcome.audit_id;
  }
  bool recorded = true;
  if (outcome.error) {
    recorded = recordFailure(record, *outcome.error);
    if (recorded) ++report.failed;
  } else {
    recordSuccess(record, outcome, report);
  }
  if (outcome.collection) {
    db_.prepare("UPDATE schedule_runs SET collection = ?2 WHERE id = ?1")
        .bind(1, claimed.run_id)
        .bind(2, outcome.collection->dump())
        .run();
  }
  auto release = db_.prepare(
      "UPDATE schedules SET lease_owner = NULL, lease_until = NULL WHERE id = ?1 AND lease_owner = ?2");
  release.bind(1, claimed.schedule.id).bind(2, options_.instance_id).run();
  tx.commit();
  if (options_.on_run && recorded) {
    options_.on_run(RunEnded{claimed.schedule.id, claimed.schedule.spec.name, claimed.run_id, !outcome.error,
                             outcome.error.value_or(""), record.audit_id, record.warnings.size()});
  }
}

namespace {

void bindOptional(db::Statement& statement, int index, const std::optional<std::int64_t>& value) {
  if (value) {
    statement.bind(index, *value);
  } else {
    statement.bindNull(index);
  }
}

}  // namespace

bool Scheduler::recordFailure(const RunRecord& record, const std::string& error) {
  auto update = db_.prepare(
      "UPDATE schedule_runs SET state = 'failed', finished_at = ?2, audit_id = ?3, inputs = ?4, error = ?5 "
      "WHERE id = ?1 AND state = 'running'");
  update.bind(1, record.claim.run_id).bind(2, record.finished_at);
  bindOptional(update, 3, record.audit_id);
  update.bind(4, record.inputs.dump()).bind(5, error);
  update.run();
  return db_.changes() > 0;
}

void Scheduler::recordSuccess(const RunRecord& record, const RunOutcome& outcome, TickReport& report) {
  const PreviousRun previous = previousRun(record.claim.schedule.id, record.claim.run_id);
  std::vector<std::string_view> now;
  for (const auto& f : outcome.findings)
    now.push_back(f.fingerprint);
  const core::FindingsDiff changes = core::diffFingerprints(
      now, std::vector<std::string_view>(previous.fingerprints.begin(), previous.fingerprints.end()));
  std::set<std::string> current;
  for (const auto& f : outcome.findings)
    current.insert(f.fingerprint);
  std::vector<const RunFinding*> fresh;
  for (const std::size_t i : changes.added)
    fresh.push_back(&outcome.findings[i]);
  std::vector<std::string> resolved;
  for (const std::size_t j : changes.resolved)
    resolved.push_back(previous.fingerprints[j]);
  json diff{{"new", json::array()}, {"resolved", resolved}};
  for (const RunFinding* f : fresh)
    diff["new"].push_back(findingJson(*f));

  auto update = db_.prepare(
      "UPDATE schedule_runs SET state = 'succeeded', finished_at = ?2, audit_id = ?3, previous_run_id = ?4, "
      "finding_count = ?5, new_count = ?6, resolved_count = ?7, fingerprints = ?8, diff = ?9, inputs = ?10 "
      "WHERE id = ?1 AND state = 'running'");
  update.bind(1, record.claim.run_id).bind(2, record.finished_at);
  bindOptional(update, 3, record.audit_id);
  bindOptional(update, 4, previous.run_id);
  update.bind(5, static_cast<std::int64_t>(current.size()))
      .bind(6, static_cast<std::int64_t>(fresh.size()))
      .bind(7, static_cast<std::int64_t>(resolved.size()))
      .bind(8, json(std::vector<std::string>(current.begin(), current.end())).dump())
      .bind(9, diff.dump())
      .bind(10, record.inputs.dump());
  update.run();
  if (db_.changes() == 0) return;
  ++report.succeeded;
  queueNotifications(record, previous, fresh, resolved.size(), current.size());
}

// The outbox: one delivery per target that has new findings at or above its severity, written in the run's
// own transaction so a crash cannot lose or duplicate a notification.
void Scheduler::queueNotifications(const RunRecord& record, const PreviousRun& previous,
                                   const std::vector<const RunFinding*>& fresh, std::size_t resolved_count,
                                   std::size_t finding_count) {
  const Claim& claimed = record.claim;
  const Schedule& schedule = claimed.schedule;
  const std::string base = options_.public_url;
  auto insert = db_.prepare(
      "INSERT INTO webhook_deliveries (run_id, target_position, url, secret, body, state, attempts, "
      "next_attempt_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?6)");
  for (std::size_t i = 0; i < schedule.spec.targets.size(); ++i) {
    const auto& target = schedule.spec.targets[i];
    json selected = json::array();
    std::size_t selected_count = 0;
    for (const RunFinding* f : fresh) {
      if (f->severity < target.min_severity) continue;
      if (++selected_count <= options_.max_findings_per_notification) selected.push_back(findingJson(*f));
    }
    if (selected_count == 0) continue;
    json links = json::object();
    if (record.audit_id) {
      const std::string audit = base + "/api/v1/audits/" + std::to_string(*record.audit_id);
      links["audit"] = audit;
      links["findings"] = audit + "/findings";
      links["report"] = audit + "/report.json";
      if (previous.audit_id) links["diff"] = audit + "/diff?against=" + std::to_string(*previous.audit_id);
    }
    links["schedule"] = base + "/api/v1/schedules/" + std::to_string(schedule.id);
    const json payload{
        {"event", "schedule.run.new_findings"},
        {"schedule",
         {{"id", schedule.id},
          {"name", schedule.spec.name},
          {"cluster", schedule.spec.cluster},
          {"accounts", schedule.spec.accounts},
          {"policy_name", schedule.spec.policy_name ? json(*schedule.spec.policy_name) : json(nullptr)}}},
        {"run",
         {{"id", claimed.run_id},
          {"kind", claimed.kind},
          {"scheduled_for", formatUtc(claimed.scheduled_for)},
          {"finished_at", record.finished_at},
          {"previous_run_id", previous.run_id ? json(*previous.run_id) : json(nullptr)}}},
        {"audit_id", record.audit_id ? json(*record.audit_id) : json(nullptr)},
        {"min_severity", std::string(core::toString(target.min_severity))},
        {"new_findings", selected},
        {"truncated", selected_count > selected.size()},
        {"new_count", selected_count},
        {"new_count_all_severities", fresh.size()},
        {"resolved_count", resolved_count},
        {"finding_count", finding_count},
        {"inputs", record.inputs},
        {"warnings", record.warnings},
        {"links", links}};
    insert.bind(1, claimed.run_id)
        .bind(2, static_cast<std::int64_t>(i))
        .bind(3, target.url)
        .bind(4, target.secret)
        .bind(5, payload.dump())
        .bind(6, record.finished_at);
    insert.run();
    insert.reset();
  }
}

void Scheduler::deliverDue(TimePoint now, TickReport& report) {
  std::vector<std::int64_t> due;
  {
    auto stmt = db_.prepare(
        "SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ?1 AND "
        "(lease_until IS NULL OR lease_until <= ?1) ORDER BY next_attempt_at, id LIMIT ?2");
    stmt.bind(1, formatUtc(now)).bind(2, static_cast<std::int64_t>(options_.max_deliveries_per_tick));
    while (stmt.step())
      due.push_back(stmt.getInt64(0));
  }
  for (std::int64_t id : due)
    attemptDelivery(id, now, report);
}

void Scheduler::attemptDelivery(std::int64_t delivery_id, TimePoint now, TickReport& report) {
  now = currentTime(now);
  std::string url, secret, body;
  int attempts = 0;
  {
    db::Transaction tx(db_);
    const auto lease = std::chrono::duration_cast<seconds>(options_.delivery_timeout) * 2 + seconds{60};
    auto claim = db_.prepare(
        "UPDATE webhook_deliveries SET lease_until = ?2 WHERE id = ?1 AND state = 'pending' AND "
        "(lease_until IS NULL OR lease_until <= ?3)");
    claim.bind(1, delivery_id).bind(2, formatUtc(now + lease)).bind(3, formatUtc(now)).run();
    if (db_.changes() == 0) return;
    auto read = db_.prepare("SELECT url, secret, body, attempts FROM webhook_deliveries WHERE id = ?1");
    read.bind(1, delivery_id);
    if (!read.step()) return;
    url = read.getText(0);
    secret = read.getText(1);
    body = read.getText(2);
    attempts = static_cast<int>(read.getInt64(3));
    tx.commit();
  }

  const std::int64_t timestamp = now.time_since_epoch().count();
  const auto started = std::chrono::steady_clock::now();
  WebhookResponse response;
  if (auto parsed = parseTargetUrl(url, options_.rules.targets); !parsed) {
    response.refused = true;
    response.error = "target refused: " + parsed.error().message;
  } else {
    WebhookRequest request;
    request.url = url;
    request.body = body;
    request.timeout = options_.delivery_timeout;
    request.headers = {{"Content-Type", "application/json"},
                       {"User-Agent", "sgaudit-webhook/1"},
                       {"X-Sgaudit-Event", "schedule.run.new_findings"},
                       {"X-Sgaudit-Delivery", std::to_string(delivery_id)},
                       {"X-Sgaudit-Timestamp", std::to_string(timestamp)},
                       {"X-Sgaudit-Signature", webhookSignature(secret, timestamp, body)}};
    try {
      response = transport_.post(request);
    } catch (const std::exception& e) {
      response = WebhookResponse{};
      response.error = std::string("transport failed: ") + e.what();
    }
  }
  const auto duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
          .count();

  const int attempt = attempts + 1;
  AttemptOutcome outcome = classifyResponse(response);
  if (outcome == AttemptOutcome::Retry && attempt >= options_.retry.max_attempts)
    outcome = AttemptOutcome::Failed;
  std::string error = response.error;
  if (error.empty() && outcome != AttemptOutcome::Delivered) {
    error = "HTTP " + std::to_string(response.status);
    if (response.status >= 300 && response.status < 400) error += " (redirects are not followed)";
  }
  if (outcome == AttemptOutcome::Failed && attempt >= options_.retry.max_attempts && !response.refused &&
      classifyResponse(response) == AttemptOutcome::Retry) {
    error += "; gave up after " + std::to_string(attempt) + " attempts";
  }
  const char* outcome_text = outcome == AttemptOutcome::Delivered ? "delivered"
                             : outcome == AttemptOutcome::Retry   ? "retry"
                                                                  : "failed";
  ++report.delivery_attempts;
  if (outcome == AttemptOutcome::Delivered) {
    ++report.delivered;
  } else {
    ++report.delivery_failures;
  }

  db::Transaction tx(db_);
  auto record = db_.prepare(
      "INSERT INTO webhook_delivery_attempts (delivery_id, attempt, started_at, duration_ms, status, "
      "outcome, error) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  record.bind(1, delivery_id)
      .bind(2, attempt)
      .bind(3, formatUtc(now))
      .bind(4, static_cast<std::int64_t>(duration_ms));
  if (response.status > 0) {
    record.bind(5, response.status);
  } else {
    record.bindNull(5);
  }
  record.bind(6, outcome_text);
  if (error.empty()) {
    record.bindNull(7);
  } else {
    record.bind(7, error);
  }
  record.run();
  auto update = db_.prepare(
      "UPDATE webhook_deliveries SET attempts = ?2, state = ?3, next_attempt_at = ?4, finished_at = ?5, "
      "last_error = ?6, lease_until = NULL WHERE id = ?1");
  update.bind(1, delivery_id).bind(2, attempt);
  update.bind(3, outcome == AttemptOutcome::Delivered ? "delivered"
                 : outcome == AttemptOutcome::Retry   ? "pending"
                                                      : "failed");
  if (outcome == AttemptOutcome::Retry) {
    update.bind(4, formatUtc(now + retryDelay(options_.retry, attempt, options_.random01()))).bindNull(5);
  } else {
    update.bindNull(4).bind(5, formatUtc(now));
  }
  if (error.empty()) {
    update.bindNull(6);
  } else {
    update.bind(6, error);
  }
  update.run();
  tx.commit();
}

std::optional<TimePoint> Scheduler::nextWakeup() {
  // A claimed schedule or delivery is not due before its claim lapses (or its owner releases it).
  auto stmt = db_.prepare(
      "SELECT min(t) FROM ("
      " SELECT max(next_run_at, coalesce(lease_until, '')) AS t FROM schedules"
      "  WHERE enabled = 1 AND next_run_at IS NOT NULL"
      " UNION ALL"
      " SELECT max(next_attempt_at, coalesce(lease_until, '')) FROM webhook_deliveries"
      "  WHERE state = 'pending' AND next_attempt_at IS NOT NULL"
      " UNION ALL"
      " SELECT lease_until FROM schedules WHERE lease_until IS NOT NULL)");
  if (!stmt.step() || stmt.isNull(0)) return std::nullopt;
  return parseUtc(stmt.getText(0));
}

std::vector<NextRunInfo> Scheduler::nextRunAt() {
  return loadNextRuns(db_);
}

SchedulerLoop::SchedulerLoop(Scheduler& scheduler, Clock& clock, std::chrono::seconds max_sleep,
                             ErrorHandler on_error)
    : scheduler_(scheduler), clock_(clock), max_sleep_(max_sleep), on_error_(std::move(on_error)) {}

SchedulerLoop::~SchedulerLoop() {
  stop();
}

void SchedulerLoop::start() {
  std::lock_guard guard(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void SchedulerLoop::wake() {
  std::lock_guard guard(mutex_);
  woken_ = true;
  cv_.notify_all();
}

void SchedulerLoop::stop() {
  {
    std::lock_guard guard(mutex_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

std::uint64_t SchedulerLoop::ticks() const {
  std::lock_guard guard(mutex_);
  return ticks_;
}

bool SchedulerLoop::waitForTicks(std::uint64_t count, std::chrono::milliseconds real_timeout) {
  std::unique_lock lock(mutex_);
  return ticked_.wait_for(lock, real_timeout, [&] { return ticks_ >= count; });
}

void SchedulerLoop::run() {
  while (true) {
    const TimePoint now = clock_.now();
    std::optional<TimePoint> next;
    try {
      scheduler_.tick(now);
      next = scheduler_.nextWakeup();
    } catch (const std::exception& e) {
      if (on_error_) on_error_(e);
    }
    TimePoint deadline = now + max_sleep_;
    if (next && *next < deadline) deadline = std::max(*next, now + seconds{1});
    std::unique_lock lock(mutex_);
    ++ticks_;
    ticked_.notify_all();
    if (!stopping_ && !woken_) clock_.waitUntil(cv_, lock, deadline);
    // Woken early by a notification that was neither stop nor wake: keep waiting for the deadline.
    while (!stopping_ && !woken_ && clock_.now() < deadline)
      clock_.waitUntil(cv_, lock, deadline);
    woken_ = false;
    if (stopping_) return;
  }
}

}  // namespace sgaudit::schedule
