#include "sgaudit/service/scheduled_audits.hpp"

#include "sgaudit/db/snapshot_store.hpp"
#include "sgaudit/schedule/beast_webhook_transport.hpp"
#include "sgaudit/schedule/clock.hpp"
#include "sgaudit/schedule/scheduler.hpp"
#include "sgaudit/schedule/stored_audit.hpp"
#include "sgaudit/service/account_collection.hpp"
#include "sgaudit/service/cluster_collection.hpp"
#include "sgaudit/service/logging.hpp"
#include "sgaudit/service/scope_audit.hpp"

namespace sgaudit::service {
namespace {

// Runs a schedule's audit as POST /api/v1/audits would, and reads back what the scheduler needs.
class ScopeAuditRunner : public schedule::AuditRunner {
 public:
  explicit ScopeAuditRunner(AppContext& context) : context_(context) {}

  schedule::RunOutcome run(const schedule::Schedule& schedule) override {
    // A schedule that collects fetches the cluster first; whatever the collection's fate, the audit runs on
    // the newest good snapshot, and the run keeps what the collection did.
    std::optional<nlohmann::json> collection;
    if (schedule.spec.collect) collection = collectScopes(schedule.spec.cluster, schedule.spec.accounts);
    ScopeAuditRequest request;
    request.cluster = schedule.spec.cluster;
    request.accounts = schedule.spec.accounts;
    request.policy_name = schedule.spec.policy_name;
    const ScopeAuditOutcome outcome = runScopeAudit(context_, request);
    schedule::RunOutcome result;
    result.collection = std::move(collection);
    if (outcome.error) {
      result.error = outcome.error->detail;
      return result;
    }
    result.audit_id = *outcome.audit_id;
    context_.withDatabase([&](db::Database& db) {
      result.findings = schedule::loadAuditFindings(db, result.audit_id);
      result.inputs = schedule::loadAuditInputs(db, result.audit_id);
    });
    return result;
  }

 private:
  // The cluster, and each account that names a source; the cluster's answer is the run's collection (a
  // cluster without a source beside accounts that have one is not collected, and not a failure), the
  // accounts' are under "accounts".
  nlohmann::json collectScopes(const std::string& cluster, const std::vector<std::string>& accounts) {
    auto hasSource = [&](db::ScopeKind kind, const std::string& name) {
      return context_.withDatabase([&](db::Database& db) {
        const auto scope = db::SnapshotStore(db).findScope(kind, name);
        return scope && scope->source;
      });
    };
    nlohmann::json by_account = nlohmann::json::object();
    for (const auto& account : accounts) {
      if (hasSource(db::ScopeKind::Account, account)) by_account[account] = collectAccount(context_, account);
    }
    nlohmann::json result;
    if (!by_account.empty() && !hasSource(db::ScopeKind::Cluster, cluster)) {
      result = {{"state", "complete"}, {"message", "cluster " + cluster + " names no source: not collected"}};
    } else {
      result = collectCluster(context_, cluster);
    }
    if (!by_account.empty()) result["accounts"] = std::move(by_account);
    return result;
  }

  AppContext& context_;
};

}  // namespace

void recordScheduledRun(AppContext& context, const schedule::RunEnded& run) {
  context.metrics().recordScheduleRun(run.succeeded);
  if (run.succeeded) {
    logEvent(LogLevel::Info, "scheduled run succeeded",
             {{"schedule", run.schedule},
              {"run", run.run_id},
              {"audit", run.audit_id ? nlohmann::json(*run.audit_id) : nlohmann::json(nullptr)},
              {"warnings", run.warnings}});
  } else {
    logEvent(LogLevel::Error, "scheduled run failed",
             {{"schedule", run.schedule}, {"run", run.run_id}, {"error", run.error}});
  }
}

std::unique_ptr<schedule::AuditRunner> makeScopeAuditRunner(AppContext& context) {
  return std::make_unique<ScopeAuditRunner>(context);
}

struct ScheduledAudits::Parts {
  explicit Parts(AppContext& context)
      : context(context), db(db::Database::open(context.config().database_path)), runner(context) {
    const Config& config = context.config();
    schedule::BeastTransportOptions http;
    http.policy.allow_private_targets = config.allow_private_targets;
    transport = schedule::makeBeastWebhookTransport(http);
    schedule::SchedulerOptions options;
    options.rules.targets = http.policy;
    if (!config.zoneinfo_dir.empty()) options.rules.zoneinfo_dir = config.zoneinfo_dir;
    options.public_url = config.public_url;
    options.max_input_age = std::chrono::hours(config.max_input_age_hours);
    options.clock = &clock;
    options.on_run = [&context](const schedule::RunEnded& run) { recordScheduledRun(context, run); };
    scheduler = std::make_unique<schedule::Scheduler>(db, runner, *transport, options);
    loop = std::make_unique<schedule::SchedulerLoop>(
        *scheduler, clock, std::chrono::seconds{60}, [](const std::exception& e) {
          logEvent(LogLevel::Error, "scheduler failed", {{"error", e.what()}});
        });
  }

  AppContext& context;
  db::Database db;
  ScopeAuditRunner runner;
  schedule::SystemClock clock;
  std::unique_ptr<schedule::WebhookTransport> transport;
  std::unique_ptr<schedule::Scheduler> scheduler;
  std::unique_ptr<schedule::SchedulerLoop> loop;
};

ScheduledAudits::ScheduledAudits(AppContext& context) : parts_(std::make_unique<Parts>(context)) {
  parts_->loop->start();
  context.onSchedulesChanged = [loop = parts_->loop.get()] { loop->wake(); };
}

ScheduledAudits::~ScheduledAudits() {
  parts_->context.onSchedulesChanged = nullptr;
  parts_->loop->stop();
}

}  // namespace sgaudit::service
