#pragma once

// What a scheduled run needs from an audit the service stored (schema 1 and 2 tables): its unsuppressed
// findings and the snapshots it read, with when each last received an input. An AuditRunner that stores
// an audit through the service can fill its RunOutcome with these.

#include <cstdint>
#include <vector>

#include "sgaudit/db/database.hpp"
#include "sgaudit/schedule/scheduler.hpp"

namespace sgaudit::schedule {

// Unsuppressed findings of `audit_id`, in id order. Suppressed findings neither count as new nor notify.
std::vector<RunFinding> loadAuditFindings(db::Database& db, std::int64_t audit_id);

// The snapshots of `audit_id` with their scope; taken_at is the newest input's received_at (the
// snapshot's created_at when it has none).
std::vector<InputSnapshot> loadAuditInputs(db::Database& db, std::int64_t audit_id);

// Every schedule's next and last run, for /metrics; reads through any connection.
std::vector<NextRunInfo> loadNextRuns(db::Database& db);

}  // namespace sgaudit::schedule
