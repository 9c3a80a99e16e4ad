#pragma once

// The engine of scheduled audits. tick(now) does everything that is due at `now`: it closes runs whose
// process died, claims due schedules (one run per schedule at a time, across processes sharing the
// database), runs each audit through an AuditRunner, diffs it against the schedule's previous successful
// run, records the run with its deliveries in one transaction (an outbox), and sends due deliveries.
// SchedulerLoop calls tick() from its own thread as the injected clock says.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "sgaudit/core/finding.hpp"
#include "sgaudit/db/database.hpp"
#include "sgaudit/schedule/clock.hpp"
#include "sgaudit/schedule/schedule.hpp"
#include "sgaudit/schedule/webhook.hpp"

namespace sgaudit::schedule {

// One finding of a run, as much as a diff and a notification need.
struct RunFinding {
  std::string fingerprint;
  std::string check;  // catalogue id, e.g. "sg.port-blocked"
  core::Severity severity = core::Severity::Medium;
  std::string title;
  std::string namespace_name;  // empty when none
  std::string node;            // empty when none
};

// A snapshot an audit used.
struct InputSnapshot {
  std::string kind;  // "cluster" or "account"
  std::string name;
  std::optional<std::int64_t> snapshot_id;
  std::optional<TimePoint> taken_at;  // when its newest input arrived; the age is measured from here
};

// What an audit run produced: the stored audit and its findings, or why there is none.
struct RunOutcome {
  std::int64_t audit_id = 0;  // id in the audits table; 0 when none was stored
  std::vector<RunFinding> findings;
  std::vector<InputSnapshot> inputs;
  std::optional<std::string> error;
  // Set when the schedule collects: what the collection did ({"state": "complete"|"partial"|"failed",
  // "message", ...}). A collection that is not complete is a warning of the run, which audits what it has.
  std::optional<nlohmann::json> collection;
};

// Runs the audit of a schedule (cluster, accounts, policy) over the latest snapshots and stores it. Called
// from the scheduler's thread, outside any transaction of the scheduler; may block for long. Exceptions
// are recorded as the run's error.
class AuditRunner {
 public:
  virtual ~AuditRunner() = default;
  virtual RunOutcome run(const Schedule& schedule) = 0;
};

// One run as it ended, for the process's logs and metrics (SchedulerOptions::on_run).
struct RunEnded {
  std::int64_t schedule_id = 0;
  std::string schedule;  // its name
  std::int64_t run_id = 0;
  bool succeeded = false;
  std::string error;                     // why it failed
  std::optional<std::int64_t> audit_id;  // the audit it stored
  std::size_t warnings = 0;
};

struct SchedulerOptions {
  std::string instance_id;                    // names this process in leases; default host:pid:random
  std::chrono::seconds lease{3600};           // a claim lapses after this (a crashed process's run is closed)
  std::chrono::seconds misfire_grace{60};     // a due time older than this at claim is "missed"
  std::chrono::seconds max_input_age{86400};  // older inputs make the run warn
  RetryPolicy retry;
  std::chrono::milliseconds delivery_timeout{10000};
  std::string public_url;            // base of links in notifications, e.g. "https://sgaudit.example"
  SpecRules rules;                   // zoneinfo folder and target policy
  std::function<double()> random01;  // jitter source; default a seeded std::mt19937_64
  std::size_t max_deliveries_per_tick = 100;
  std::size_t max_findings_per_notification = 100;  // more are counted, not listed ("truncated": true)
  // When set, times taken after an audit has run (finished_at, input ages, a delivery's signed timestamp)
  // are read from it rather than being the tick's `now`: an audit of a large fleet may take minutes.
  const Clock* clock = nullptr;
  // Called on the scheduler's thread after each run is recorded, succeeded or failed; a failed run is
  // otherwise only a row of schedule_runs.
  std::function<void(const RunEnded&)> on_run;
};

struct TickReport {
  std::vector<std::int64_t> runs;  // ids of runs started (and finished) in this tick
  int succeeded = 0;
  int failed = 0;
  int skipped = 0;
  int abandoned = 0;  // 'running' rows of dead processes closed as failed
  int delivery_attempts = 0;
  int delivered = 0;
  int delivery_failures = 0;  // attempts that did not deliver (retried or given up)
};

// Next due time of one schedule, for /metrics (sgaudit_schedule_next_run_timestamp_seconds{schedule="..."}).
struct NextRunInfo {
  std::int64_t id = 0;
  std::string name;
  bool enabled = true;
  std::optional<TimePoint> next_run_at;
  std::optional<TimePoint> last_run_at;
};

class Scheduler {
 public:
  // `db` is this scheduler's own connection (the thread that calls tick() is its only user). Throws
  // db::DbError when the schema lacks the schedule tables.
  Scheduler(db::Database& db, AuditRunner& runner, WebhookTransport& transport,
            SchedulerOptions options = {});

  TickReport tick(TimePoint now);
  // The earliest time something will be due (a schedule or a delivery retry); nullopt when nothing is.
  std::optional<TimePoint> nextWakeup();
  // Through the scheduler's own connection, so only from the thread that ticks; elsewhere (an HTTP
  // handler serving /metrics) use loadNextRuns() from stored_audit.hpp on that thread's connection.
  std::vector<NextRunInfo> nextRunAt();
  const std::string& instanceId() const { return options_.instance_id; }

 private:
  struct Claim;
  TimePoint currentTime(TimePoint tick_time) const;
  int closeAbandonedRuns(TimePoint now);
  std::optional<Claim> claim(std::int64_t schedule_id, TimePoint now, TickReport& report);
  // A claimed run: audited, then recorded (failed, or succeeded with its diff and notifications) in one
  // transaction.
  void execute(const Claim& claim, TimePoint now, TickReport& report);
  struct RunRecord {
    const Claim& claim;
    std::string finished_at;
    std::optional<std::int64_t> audit_id;  // the run's audit, when it exists
    nlohmann::json inputs;
    std::vector<std::string> warnings;
  };
  struct PreviousRun {
    std::optional<std::int64_t> run_id;
    std::optional<std::int64_t> audit_id;
    std::vector<std::string> fingerprints;  // sorted, each once
  };
  nlohmann::json runInputs(const RunOutcome& outcome, TimePoint now,
                           std::vector<std::string>& warnings) const;
  PreviousRun previousRun(std::int64_t schedule_id, std::int64_t run_id);
  bool recordFailure(const RunRecord& record, const std::string& error);
  void recordSuccess(const RunRecord& record, const RunOutcome& outcome, TickReport& report);
  void queueNotifications(const RunRecord& record, const PreviousRun& previous,
                          const std::vector<const RunFinding*>& fresh, std::size_t resolved_count,
                          std::size_t finding_count);
  void deliverDue(TimePoint now, TickReport& report);
  void attemptDelivery(std::int64_t delivery_id, TimePoint now, TickReport& report);

  db::Database& db_;
  AuditRunner& runner_;
  WebhookTransport& transport_;
  SchedulerOptions options_;
};

// Drives a Scheduler from one thread: tick, then wait on the clock until the next wake-up (at most
// max_sleep, so schedules created elsewhere are seen), or until wake() or stop().
class SchedulerLoop {
 public:
  using ErrorHandler = std::function<void(const std::exception&)>;
  SchedulerLoop(Scheduler& scheduler, Clock& clock, std::chrono::seconds max_sleep = std::chrono::seconds{60},
                ErrorHandler on_error = {});
  SchedulerLoop(const SchedulerLoop&) = delete;
  SchedulerLoop& operator=(const SchedulerLoop&) = delete;
  ~SchedulerLoop();

  void start();
  // Tick again now (after the API created or changed a schedule).
  void wake();
  // Lets the current tick finish, then joins. Idempotent.
  void stop();
  // Ticks completed so far; tests wait for a count with a real-time bound (the work is real I/O).
  std::uint64_t ticks() const;
  bool waitForTicks(std::uint64_t count, std::chrono::milliseconds real_timeout);

 private:
  void run();
  Scheduler& scheduler_;
  Clock& clock_;
  std::chrono::seconds max_sleep_;
  ErrorHandler on_error_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::condition_variable ticked_;
  bool stopping_ = false;
  bool woken_ = false;
  std::uint64_t ticks_ = 0;
  std::thread thread_;
};

}  // namespace sgaudit::schedule
