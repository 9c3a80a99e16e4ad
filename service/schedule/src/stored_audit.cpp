#include "sgaudit/schedule/stored_audit.hpp"

namespace sgaudit::schedule {
namespace {

std::optional<TimePoint> timeColumn(const db::Statement& stmt, int column) {
  if (stmt.isNull(column)) return std::nullopt;
  return parseUtc(stmt.getText(column));
}

}  // namespace

std::vector<RunFinding> loadAuditFindings(db::Database& db, std::int64_t audit_id) {
  auto stmt = db.prepare(
      "SELECT fingerprint, check_id, severity, title, coalesce(namespace, ''), coalesce(node, '') "
      "FROM findings WHERE audit_id = ?1 AND suppressed = 0 ORDER BY id");
  stmt.bind(1, audit_id);
  std::vector<RunFinding> out;
  while (stmt.step()) {
    RunFinding f;
    f.fingerprint = stmt.getText(0);
    f.check = stmt.getText(1);
    f.severity = core::parseSeverity(stmt.getText(2)).value_or(core::Severity::Medium);
    f.title = stmt.getText(3);
    f.namespace_name = stmt.getText(4);
    f.node = stmt.getText(5);
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<InputSnapshot> loadAuditInputs(db::Database& db, std::int64_t audit_id) {
  auto stmt = db.prepare(
      "SELECT sc.kind, sc.name, sn.id, coalesce((SELECT max(i.received_at) FROM inputs i "
      "WHERE i.snapshot_id = sn.id), sn.created_at) "
      "FROM audit_snapshots a JOIN snapshots sn ON sn.id = a.snapshot_id JOIN scopes sc ON sc.id = "
      "sn.scope_id "
      "WHERE a.audit_id = ?1 ORDER BY sc.kind DESC, sc.name");
  stmt.bind(1, audit_id);
  std::vector<InputSnapshot> out;
  while (stmt.step()) {
    out.push_back({stmt.getText(0), stmt.getText(1), stmt.getInt64(2), timeColumn(stmt, 3)});
  }
  return out;
}

std::vector<NextRunInfo> loadNextRuns(db::Database& db) {
  std::vector<NextRunInfo> out;
  auto stmt = db.prepare("SELECT id, name, enabled, next_run_at, last_run_at FROM schedules ORDER BY id");
  while (stmt.step()) {
    out.push_back(
        {stmt.getInt64(0), stmt.getText(1), stmt.getInt64(2) != 0, timeColumn(stmt, 3), timeColumn(stmt, 4)});
  }
  return out;
}

}  // namespace sgaudit::schedule
