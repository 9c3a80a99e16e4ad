#include "sgaudit/schedule/scheduler.hpp"

#include <thread>

#include <gtest/gtest.h>

#include "fakes.hpp"
#include "sgaudit/db/migrator.hpp"
#include "sgaudit/schedule/schedule_store.hpp"
#include "support/temp_dir.hpp"

namespace sgaudit::schedule {
namespace {

using nlohmann::json;
using std::chrono::minutes;
using std::chrono::seconds;
using test::FakeAuditRunner;
using test::FakeTransport;
using test::finding;

TimePoint at(std::string_view utc) {
  return parseUtc(utc).value();
}

constexpr std::string_view kSecret = "0123456789abcdef-secret";

// A real SQLite file under a temp dir, migrated to the current schema, with one connection for the API side.
class SchedulerTest : public ::testing::Test {
 protected:
  SchedulerTest() : path_(dir_ / "sgaudit.db"), api_db_(db::openAndMigrate(path_)), store_(api_db_, rules()) {
    // What the schedules name: a schedule may name only what exists.
    api_db_.exec(
        "INSERT INTO scopes (kind, name, created_at) VALUES ('cluster', 'prod', 't'), "
        "('account', 'huawei-prod', 't')");
  }

  static SpecRules rules() {
    SpecRules r;
    r.targets.allow_private_targets = true;
    return r;
  }
  SchedulerOptions options(std::string instance) {
    SchedulerOptions o;
    o.instance_id = std::move(instance);
    o.rules = rules();
    o.random01 = [] { return 0.5; };  // no jitter: delays are exact
    o.public_url = "http://sgaudit.test";
    return o;
  }
  std::int64_t create(std::string cron, TimePoint now, bool catch_up = true,
                      core::Severity min_severity = core::Severity::High) {
    ScheduleSpec spec;
    spec.name = "s-" + std::to_string(store_.list().size());
    spec.cron = std::move(cron);
    spec.cluster = "prod";
    spec.accounts = {"huawei-prod"};
    spec.catch_up = catch_up;
    spec.targets = {{"http://127.0.0.1:9/hook", std::string(kSecret), min_severity}};
    auto created = store_.create(spec, now);
    EXPECT_TRUE(created.ok());
    return created.value->id;
  }
  db::Database connect() { return db::Database::open(path_); }

  sgaudit::test::TempDir dir_;
  std::filesystem::path path_;
  db::Database api_db_;
  ScheduleStore store_;
};

// Test that a schedule runs exactly once for each due time, and not before.
TEST_F(SchedulerTest, RunsOncePerDueTime) {
  const auto id = create("*/5 * * * *", at("2026-11-26T00:00:30Z"));
  auto db = connect();
  FakeAuditRunner runner(path_);
  FakeTransport transport;
  Scheduler scheduler(db, runner, transport, options("a"));
  EXPECT_TRUE(scheduler.tick(at("2026-11-26T00:04:59Z")).runs.empty());
  EXPECT_EQ(scheduler.tick(at("2026-11-26T00:05:00Z")).runs.size(), 1U);
  EXPECT_TRUE(scheduler.tick(at("2026-11-26T00:05:00Z")).runs.empty());
  EXPECT_TRUE(scheduler.tick(at("2026-11-26T00:05:40Z")).runs.empty());
  EXPECT_EQ(scheduler.tick(at("2026-11-26T00:10:00Z")).runs.size(), 1U);
  EXPECT_EQ(runner.calls(), 2);
  const auto runs = store_.runs(id);
  ASSERT_EQ(runs.size(), 2U);
  EXPECT_EQ(formatUtc(runs[0].scheduled_for), "2026-11-26T00:10:00Z");
  EXPECT_EQ(formatUtc(runs[1].scheduled_for), "2026-11-26T00:05:00Z");
  EXPECT_EQ(runs[0].state, "succeeded");
  EXPECT_EQ(runs[0].kind, "scheduled");
  EXPECT_TRUE(runs[0].audit_id.has_value());
  EXPECT_EQ(formatUtc(*store_.get(id)->next_run_at), "2026-11-26T00:15:00Z");
  EXPECT_EQ(formatUtc(*store_.get(id)->last_run_at), "2026-11-26T00:10:00Z");
  ASSERT_EQ(scheduler.nextRunAt().size(), 1U);
  EXPECT_EQ(formatUtc(*scheduler.nextRunAt()[0].next_run_at), "2026-11-26T00:15:00Z");
  EXPECT_EQ(formatUtc(*scheduler.nextWakeup()), "2026-11-26T00:15:00Z");
}

// Test that two schedulers on one database file never run one due time twice, even ticking at once.
TEST_F(SchedulerTest, TwoSchedulersShareTheFileWithoutDoubleRuns) {
  const auto id = create("* * * * *", at("2026-11-26T00:00:00Z"));
  auto db_a = connect();
  auto db_b = connect();
  FakeAuditRunner runner(path_);
  FakeTransport transport;
  Scheduler a(db_a, runner, transport, options("a"));
  Scheduler b(db_b, runner, transport, options("b"));
  TimePoint now = at("2026-11-26T00:01:00Z");
  for (int minute = 0; minute < 10; ++minute, now += minutes{1}) {
    std::thread other([&] { b.tick(now); });
    a.tick(now);
    other.join();
  }
  EXPECT_EQ(runner.calls(), 10);
  const auto runs = store_.runs(id);
  ASSERT_EQ(runs.size(), 10U);
  std::set<std::string> due_times;
  for (const auto& run : runs) {
    EXPECT_EQ(run.state, "succeeded");
    due_times.insert(formatUtc(run.scheduled_for));
  }
  EXPECT_EQ(due_times.size(), 10U);
}

// Test that while one scheduler's run is in progress the other does not start the next one, and that the
// due time missed meanwhile is caught up once afterwards.
TEST_F(SchedulerTest, NoOverlappingRunsOfOneSchedule) {
  const auto id = create("* * * * *", at("2026-11-26T00:00:00Z"));
  auto db_a = connect();
  auto db_b = connect();
  FakeAuditRunner runner(path_);
  FakeTransport transport;
  Scheduler a(db_a, runner, transport, options("a"));
  Scheduler b(db_b, runner, transport, options("b"));
  runner.hold();
  std::thread slow([&] { a.tick(at("2026-11-26T00:01:00Z")); });
  ASSERT_TRUE(runner.waitForCalls(1));
  // Minutes later the first run still holds its claim: nothing starts.
  EXPECT_TRUE(b.tick(at("2026-11-26T00:02:00Z")).runs.empty());
  EXPECT_TRUE(b.tick(at("2026-11-26T00:03:00Z")).runs.empty());
  EXPECT_EQ(runner.calls(), 1);
  runner.release();
  slow.join();
  const auto report = b.tick(at("2026-11-26T00:03:30Z"));
  ASSERT_EQ(report.runs.size(), 1U);
  const auto runs = store_.runs(id);
  ASSERT_EQ(runs.size(), 2U);
  EXPECT_EQ(runs[0].kind, "catch-up");
  EXPECT_EQ(formatUtc(runs[0].scheduled_for), "2026-11-26T00:02:00Z");
  EXPECT_EQ(formatUtc(*store_.get(id)->next_run_at), "2026-11-26T00:04:00Z");
}

// Test that after downtime at most one missed run is caught up, or none when catch-up is off.
TEST_F(SchedulerTest, CatchUpAfterDowntimeRunsAtMostOne) {
  const auto with = create("*/5 * * * *", at("2026-11-26T00:00:00Z"), true);
  const auto without = create("*/5 * * * *", at("2026-11-26T00:00:00Z"), false);
  auto db = connect();
  FakeAuditRunner runner(path_);
  FakeTransport transport;
  Scheduler scheduler(db, runner, transport, options("a"));
  EXPECT_EQ(scheduler.tick(at("2026-11-26T00:05:00Z")).runs.size(), 2U);
  // Down from 00:06 to 03:02: 35 due times missed by each schedule.
  const auto report = scheduler.tick(at("2026-11-26T03:02:00Z"));
  EXPECT_EQ(report.runs.size(), 1U);
  EXPECT_EQ(report.skipped, 1);
  EXPECT_EQ(runner.calls(), 3);
  const auto caught = store_.runs(with);
  ASSERT_EQ(caught.size(), 2U);
  EXPECT_EQ(caught[0].kind, "catch-up");
  EXPECT_EQ(caught[0].state, "succeeded");
  EXPECT_EQ(formatUtc(caught[0].scheduled_for), "2026-11-26T00:10:00Z");
  const auto skipped = store_.runs(without);
  ASSERT_EQ(skipped.size(), 2U);
  EXPECT_EQ(skipped[0].state, "skipped");
  EXPECT_EQ(*skipped[0].error, "missed while no scheduler was running; catch_up is off");
  for (auto id : {with, without})
    EXPECT_EQ(formatUtc(*store_.get(id)->next_run_at), "2026-11-26T03:05:00Z");
  EXPECT_EQ(scheduler.tick(at("2026-11-26T03:05:00Z")).runs.size(), 2U);
}

// Test that a restart (new connection and scheduler on the same file) loses no schedule and repeats no
// run, and that a run cut off by a crash is closed as failed once its claim lapses, not run again.
TEST_F(SchedulerTest, RestartLosesNothingAndRunsNothingTwice) {
  const auto id = create("*/5 * * * *", at("2026-11-26T00:00:00Z"));
  FakeAuditRunner runner(path_);
  FakeTransport transport;
  {
    auto db = connect();
    Scheduler first(db, runner, transport, options("first"));
    EXPECT_EQ(first.tick(at("2026-11-26T00:05:00Z")).runs.size(), 1U);
  }
  {
    auto db = connect();
    Scheduler second(db, runner, transport, options("second"));
    EXPECT_TRUE(second.tick(at("2026-11-26T00:05:00Z")).runs.empty());
    EXPECT_EQ(second.tick(at("2026-11-26T00:10:00Z")).runs.size(), 1U);
  }
  EXPECT_EQ(runner.calls(), 2);
  // A crash in the middle of the 00:15 run: claimed, 'running', never finished.
  {
    auto db = connect();
    db.prepare(
          "UPDATE schedules SET next_run_at = '2026-11-26T00:20:00Z', lease_owner = 'crashed', "
          "lease_until = '2026-11-26T01:15:00Z' WHERE id = ?1")
        .bind(1, id)
        .run();
    db.prepare(
          "INSERT INTO schedule_runs (schedule_id, scheduled_for, kind, state, runner, started_at) "
          "VALUES (?1, '2026-11-26T00:15:00Z', 'scheduled', 'running', 'crashed', '2026-11-26T00:15:00Z')")
        .bind(1, id)
        .run();
  }
  auto db = connect();
  Scheduler third(db, runner, transport, options("third"));
  // The claim still holds: the crashed process might be alive. Nothing runs.
  EXPECT_TRUE(third.tick(at("2026-11-26T00:20:00Z")).runs.empty());
  // Once it lapses, the cut-off run is closed and the schedule runs its next due time (once).
  const auto report = third.tick(at("2026-11-26T01:15:00Z"));
  EXPECT_EQ(report.abandoned, 1);
  EXPECT_EQ(report.runs.size(), 1U);
  const auto runs = store_.runs(id);
  ASSERT_EQ(runs.size(), 4U);
  EXPECT_EQ(runs[1].state, "failed");
  EXPECT_NE(runs[1].error->find("abandoned"), std::string::npos);
  EXPECT_EQ(runs[0].kind, "catch-up");
  EXPECT_EQ(formatUtc(runs[0].scheduled_for), "2026-11-26T00:20:00Z");
  EXPECT_EQ(runner.calls(), 3);
  EXPECT_EQ(store_.list().size(), 1U);
}

// Test the diff against the previous successful run and the deliveries it queues: new findings at or
// above the target's severity, the resolved count, a signed body.
TEST_F(SchedulerTest, DiffsRunsAndNotifiesNewFindings) {
  const auto id = create("*/5 * * * *", at("2026-11-26T00:00:00Z"), true, core::Severity::High);
  auto db = connect();
  FakeAuditRunner runner(path_);
  FakeTransport transport;
  Scheduler scheduler(db, runner, transport, options("a"));

  runner.setFindings({finding("fp-a", core::Severity::High), finding("fp-b", core::Severity::Low)});
  auto first = scheduler.tick(at("2026-11-26T00:05:00Z"));
  EXPECT_EQ(first.delivered, 1);
  runner.setFindings({finding("fp-b", core::Severity::Low), finding("fp-c", core::Severity::Critical),
                      finding("fp-d", core::Severity::Medium)});
  auto second = scheduler.tick(at("2026-11-26T00:10:00Z"));
  EXPECT_EQ(second.delivered, 1);
  // Nothing new the third time: no notification.
  auto third = scheduler.tick(at("2026-11-26T00:15:00Z"));
  EXPECT_EQ(third.delivery_attempts, 0);

  const auto runs = store_.runs(id);
  ASSERT_EQ(runs.size(), 3U);
  EXPECT_EQ(*runs[1].new_count, 2);  // fp-c, fp-d
  EXPECT_EQ(*runs[1].resolved_count, 1);
  EXPECT_EQ(runs[1].diff["resolved"], json::array({"fp-a"}));
  EXPECT_EQ(*runs[1].previous_run_id, runs[2].id);
  EXPECT_EQ(*runs[0].new_count, 0);
  EXPECT_EQ(*runs[0].finding_count, 3);

  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 2U);
  const auto& request = requests[1];
  EXPECT_EQ(request.url, "http://127.0.0.1:9/hook");
  const json body = json::parse(request.body);
  EXPECT_EQ(body["schedule"]["id"], id);
  EXPECT_EQ(body["min_severity"], "high");
  ASSERT_EQ(body["new_findings"].size(), 1U);  // fp-d is only medium
  EXPECT_EQ(body["new_findings"][0]["fingerprint"], "fp-c");
  EXPECT_EQ(body["new_findings"][0]["severity"], "critical");
  EXPECT_EQ(body["new_count"], 1);
  EXPECT_EQ(body["truncated"], false);
  EXPECT_EQ(body["new_count_all_severities"], 2);
  EXPECT_EQ(body["resolved_count"], 1);
  EXPECT_EQ(body["audit_id"], *runs[1].audit_id);
  EXPECT_EQ(body["links"]["audit"], "http://sgaudit.test/api/v1/audits/" + std::to_string(*runs[1].audit_id));
  EXPECT_EQ(body["links"]["diff"], "http://sgaudit.test/api/v1/audits/" + std::to_string(*runs[1].audit_id) +
                                       "/diff?against=" + std::to_string(*runs[2].audit_id));
  const std::string timestamp = test::header(request, "X-Sgaudit-Timestamp");
  EXPECT_EQ(timestamp, std::to_string(at("2026-11-26T00:10:00Z").time_since_epoch().count()));
  EXPECT_EQ(test::header(request, "X-Sgaudit-Signature"),
            "sha256=" + hmacSha256Hex(kSecret, timestamp + "." + request.body));
  EXPECT_EQ(test::header(request, "Content-Type"), "application/json");

  const auto deliveries = store_.deliveries(runs[1].id);
  ASSERT_EQ(deliveries.size(), 1U);
  EXPECT_EQ(deliveries[0].state, "delivered");
  ASSERT_EQ(deliveries[0].attempt_log.size(), 1U);
  EXPECT_EQ(*deliveries[0].attempt_log[0].status, 200);
  EXPECT_EQ(json(deliveries[0]).dump().find(kSecret), std::string::npos);
}

// Test that a notification lists at most the configured number of findings and counts the rest.
TEST_F(SchedulerTest, LongNotificationsAreTruncated) {
  create("0 * * * *", at("2026-11-26T00:00:00Z"), true, core::Severity::Info);
  auto db = connect();
  FakeAuditRunner runner(path_);
  std::vector<RunFinding> many;
  for (int i = 0; i < 5; ++i)
    many.push_back(finding("fp-" + std::to_string(i), core::Severity::Low));
  runner.setFindings(many);
  FakeTransport transport;
  auto opts = options("a");
  opts.max_findings_per_notification = 3;
  Scheduler scheduler(db, runner, transport, opts);
  scheduler.tick(at("2026-11-26T01:00:00Z"));
  const json body = json::parse(transport.requests().at(0).body);
  EXPECT_EQ(body["new_findings"].size(), 3U);
  EXPECT_EQ(body["new_count"], 5);
  EXPECT_EQ(body["truncated"], true);
}

// Test that a failing target is retried with backoff as the clock moves, each attempt recorded, and
// given up after the last attempt.
TEST_F(SchedulerTest, RetriesDeliveriesWithBackoff) {
  const auto id = create("0 * * * *", at("2026-11-26T00:00:00Z"), true, core::Severity::Info);
  auto db = connect();
  FakeAuditRunner runner(path_);
  runner.setFindings({finding("fp-a", core::Severity::Info)});
  FakeTransport transport;
  transport.queue({500, "", false});
  transport.queue({0, "connection refused", false});
  transport.queue({200, "", false});
  auto opts = options("a");
  opts.retry.max_attempts = 3;
  Scheduler scheduler(db, runner, transport, opts);
  const auto start = at("2026-11-26T01:00:00Z");
  EXPECT_EQ(scheduler.tick(start).delivery_failures, 1);
  EXPECT_EQ(formatUtc(*scheduler.nextWakeup()), "2026-11-26T01:00:30Z");
  EXPECT_EQ(scheduler.tick(start + seconds{29}).delivery_attempts, 0);
  EXPECT_EQ(scheduler.tick(start + seconds{30}).delivery_failures, 1);
  EXPECT_EQ(scheduler.tick(start + seconds{30} + seconds{59}).delivery_attempts, 0);
  EXPECT_EQ(scheduler.tick(start + seconds{30} + seconds{60}).delivered, 1);
  const auto runs = store_.runs(id);
  const auto deliveries = store_.deliveries(runs[0].id);
  ASSERT_EQ(deliveries.size(), 1U);
  EXPECT_EQ(deliveries[0].state, "delivered");
  EXPECT_EQ(deliveries[0].attempts, 3);
  ASSERT_EQ(deliveries[0].attempt_log.size(), 3U);
  EXPECT_EQ(deliveries[0].attempt_log[0].outcome, "retry");
  EXPECT_EQ(*deliveries[0].attempt_log[0].error, "HTTP 500");
  EXPECT_EQ(*deliveries[0].attempt_log[0].status, 500);
  EXPECT_EQ(*deliveries[0].attempt_log[1].error, "connection refused");
  EXPECT_FALSE(deliveries[0].attempt_log[1].status.has_value());
  EXPECT_EQ(deliveries[0].attempt_log[2].outcome, "delivered");

  // The next hour's run meets a receiver that keeps failing: three attempts, then failed.
  for (int i = 0; i < 3; ++i)
    transport.queue({503, "", false});
  const auto later = at("2026-11-26T02:00:00Z");
  runner.setFindings({finding("fp-b", core::Severity::Info)});
  scheduler.tick(later);
  scheduler.tick(later + seconds{30});
  scheduler.tick(later + seconds{90});
  const auto failed = store_.deliveries(store_.runs(id)[0].id);
  ASSERT_EQ(failed.size(), 1U);
  EXPECT_EQ(failed[0].state, "failed");
  EXPECT_EQ(*failed[0].last_error, "HTTP 503; gave up after 3 attempts");
  EXPECT_FALSE(failed[0].next_attempt_at.has_value());
  EXPECT_EQ(transport.requests().size(), 6U);
}

// Test that a target refused by policy fails at once without any request.
TEST_F(SchedulerTest, RefusedTargetFailsWithoutRequest) {
  const auto id = create("0 * * * *", at("2026-11-26T00:00:00Z"), true, core::Severity::Info);
  auto db = connect();
  FakeAuditRunner runner(path_);
  runner.setFindings({finding("fp-a", core::Severity::Info)});
  FakeTransport transport;
  auto opts = options("a");
  opts.rules.targets.allow_private_targets = false;  // the stored target is on loopback
  Scheduler scheduler(db, runner, transport, opts);
  scheduler.tick(at("2026-11-26T01:00:00Z"));
  EXPECT_TRUE(transport.requests().empty());
  const auto deliveries = store_.deliveries(store_.runs(id)[0].id);
  ASSERT_EQ(deliveries.size(), 1U);
  EXPECT_EQ(deliveries[0].state, "failed");
  EXPECT_EQ(*deliveries[0].last_error,
            "target refused: host 127.0.0.1 refused: loopback address (127.0.0.0/8); the server runs without "
            "--allow-private-webhooks");
}

// Test that a failed audit is recorded with its error and is not the base of the next diff.
TEST_F(SchedulerTest, FailedRunsAreRecordedAndSkippedByDiff) {
  const auto id = create("*/5 * * * *", at("2026-11-26T00:00:00Z"));
  auto db = connect();
  FakeAuditRunner runner(path_);
  FakeTransport transport;
  std::vector<RunEnded> ended;  // what the service logs and counts
  auto with_report = options("a");
  with_report.on_run = [&](const RunEnded& run) { ended.push_back(run); };
  Scheduler scheduler(db, runner, transport, with_report);
  runner.setFindings({finding("fp-a", core::Severity::High)});
  scheduler.tick(at("2026-11-26T00:05:00Z"));
  runner.setFailing(true);
  EXPECT_EQ(scheduler.tick(at("2026-11-26T00:10:00Z")).failed, 1);
  runner.setFailing(false);
  scheduler.tick(at("2026-11-26T00:15:00Z"));
  ASSERT_EQ(ended.size(), 3U);
  EXPECT_TRUE(ended[0].succeeded);
  EXPECT_FALSE(ended[1].succeeded);
  EXPECT_EQ(ended[1].error, "cluster prod has no snapshot");
  EXPECT_EQ(ended[1].schedule, "s-0");
  EXPECT_EQ(ended[1].schedule_id, id);
  EXPECT_TRUE(ended[2].succeeded);
  const auto runs = store_.runs(id);
  ASSERT_EQ(runs.size(), 3U);
  EXPECT_EQ(runs[1].state, "failed");
  EXPECT_EQ(*runs[1].error, "cluster prod has no snapshot");
  EXPECT_EQ(*runs[0].previous_run_id, runs[2].id);
  EXPECT_EQ(*runs[0].new_count, 0);
  EXPECT_EQ(transport.requests().size(), 1U);
  EXPECT_EQ(ended[1].run_id, runs[1].id);
}

// Test that inputs older than the configured age make the run and its notification warn.
TEST_F(SchedulerTest, StaleInputsWarn) {
  const auto id = create("0 * * * *", at("2026-11-26T00:00:00Z"), true, core::Severity::Info);
  auto db = connect();
  FakeAuditRunner runner(path_);
  runner.setFindings({finding("fp-a", core::Severity::Info)});
  runner.setInputs({{"cluster", "prod", 4, at("2026-11-23T01:00:00Z")},
                    {"account", "huawei-prod", 5, at("2026-11-26T00:30:00Z")}});
  FakeTransport transport;
  Scheduler scheduler(db, runner, transport, options("a"));
  scheduler.tick(at("2026-11-26T01:00:00Z"));
  const auto run = store_.runs(id)[0];
  EXPECT_EQ(run.inputs[0]["age_seconds"], 3 * 86400);
  EXPECT_EQ(run.inputs[0]["stale"], true);
  EXPECT_EQ(run.inputs[1]["stale"], false);
  const json body = json::parse(transport.requests().at(0).body);
  EXPECT_EQ(body["warnings"], json::array({"inputs of cluster prod are 3 d 0 h old (more than 1 d 0 h)"}));
}

// Test that a collection's failures are warnings of the run and its notification, the cluster's and each
// account's, while the run audits what it has.
TEST_F(SchedulerTest, FailedCollectionsWarn) {
  const auto id = create("0 * * * *", at("2026-11-26T00:00:00Z"), true, core::Severity::Info);
  auto db = connect();
  FakeAuditRunner runner(path_);
  runner.setFindings({finding("fp-a", core::Severity::Info)});
  runner.setCollection(
      {{"state", "complete"},
       {"message", "cluster prod names no source: not collected"},
       {"accounts",
        {{"huawei-prod", {{"state", "failed"}, {"message", "vpc: APIGW.0301 incorrect IAM"}}},
         {"aws-prod", {{"state", "complete"}}}}}});
  FakeTransport transport;
  Scheduler scheduler(db, runner, transport, options("a"));
  scheduler.tick(at("2026-11-26T01:00:00Z"));
  const auto runs = store_.runs(id);
  ASSERT_EQ(runs.size(), 1U);
  EXPECT_EQ(runs[0].state, "succeeded");
  const json body = json::parse(transport.requests().at(0).body);
  EXPECT_EQ(body["warnings"],
            json::array({"collecting account huawei-prod failed: vpc: APIGW.0301 incorrect IAM; "
                         "audited the last good snapshot"}));
}

// Test the loop under a manual clock: it ticks at start, sleeps until the next due time as the clock
// says, runs when the clock is moved there, and stops cleanly.
TEST_F(SchedulerTest, LoopFollowsTheInjectedClock) {
  create("*/5 * * * *", at("2026-11-26T00:00:00Z"));
  auto db = connect();
  FakeAuditRunner runner(path_);
  FakeTransport transport;
  Scheduler scheduler(db, runner, transport, options("a"));
  ManualClock clock(at("2026-11-26T00:01:00Z"));
  SchedulerLoop loop(scheduler, clock, seconds{60});
  loop.start();
  ASSERT_TRUE(loop.waitForTicks(1, std::chrono::milliseconds(10000)));
  EXPECT_EQ(runner.calls(), 0);
  clock.set(at("2026-11-26T00:02:00Z"));  // wakes for the 60 s cap; nothing due
  ASSERT_TRUE(loop.waitForTicks(2, std::chrono::milliseconds(10000)));
  EXPECT_EQ(runner.calls(), 0);
  clock.set(at("2026-11-26T00:05:00Z"));
  ASSERT_TRUE(loop.waitForTicks(3, std::chrono::milliseconds(10000)));
  EXPECT_EQ(runner.calls(), 1);
  loop.wake();
  ASSERT_TRUE(loop.waitForTicks(4, std::chrono::milliseconds(10000)));
  EXPECT_EQ(runner.calls(), 1);
  loop.stop();
  loop.stop();
}

}  // namespace
}  // namespace sgaudit::schedule
