#pragma once

// The scheduler (service/schedule) inside `sgaudit serve`: its own database connection and thread, audits
// run through runScopeAudit like POST /api/v1/audits, and webhooks over the Beast transport.

#include <memory>

#include "sgaudit/schedule/scheduler.hpp"
#include "sgaudit/service/app_context.hpp"

namespace sgaudit::service {

// What the scheduler runs for a schedule: collect the cluster first when the schedule says so, then audit
// its newest snapshots as POST /api/v1/audits does.
std::unique_ptr<schedule::AuditRunner> makeScopeAuditRunner(AppContext& context);

// What the service does with each scheduled run as it ends: counts it in /metrics
// (sgaudit_schedule_runs_total{outcome}) and logs it, a failure as an error with its reason.
void recordScheduledRun(AppContext& context, const schedule::RunEnded& run);

class ScheduledAudits {
 public:
  // Opens the scheduler's connection and starts its loop; the context's onSchedulesChanged wakes it.
  explicit ScheduledAudits(AppContext& context);
  ~ScheduledAudits();  // stops the loop (lets a running tick finish)
  ScheduledAudits(const ScheduledAudits&) = delete;
  ScheduledAudits& operator=(const ScheduledAudits&) = delete;

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace sgaudit::service
