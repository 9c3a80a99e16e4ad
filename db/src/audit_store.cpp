#include "sgaudit/db/audit_store.hpp"

#include <stdexcept>
#include <string_view>

namespace sgaudit::db {
namespace {

constexpr std::string_view kAuditColumns =
    "a.id, s.name, a.state, a.policy_name, a.policy_version, a.started_at, a.finished_at, a.summary, "
    "a.error, "
    "a.warnings";

std::optional<std::int64_t> optionalInt(Statement& stmt, int column) {
  if (stmt.isNull(column)) return std::nullopt;
  return stmt.getInt64(column);
}

AuditRecord readAudit(Statement& stmt) {
  AuditRecord record;
  record.id = stmt.getInt64(0);
  record.cluster = stmt.getOptionalText(1);
  record.state = stmt.getText(2);
  record.policy_name = stmt.getOptionalText(3);
  record.policy_version = optionalInt(stmt, 4);
  record.started_at = stmt.getText(5);
  record.finished_at = stmt.getOptionalText(6);
  record.summary = stmt.getOptionalText(7);
  record.error = stmt.getOptionalText(8);
  record.warnings = stmt.getText(9);
  return record;
}

constexpr std::string_view kFindingColumns =
    "id, check_id, severity, fingerprint, namespace, node, title, body, suppressed";

FindingRow readFinding(Statement& stmt) {
  FindingRow row;
  row.id = stmt.getInt64(0);
  row.check_id = stmt.getText(1);
  row.severity = stmt.getText(2);
  row.fingerprint = stmt.getText(3);
  row.namespace_ = stmt.getOptionalText(4);
  row.node = stmt.getOptionalText(5);
  row.title = stmt.getText(6);
  row.body = stmt.getText(7);
  row.suppressed = stmt.getInt64(8) != 0;
  return row;
}

void bindOptional(Statement& stmt, int index, const std::optional<std::string>& value) {
  if (value) {
    stmt.bind(index, *value);
  } else {
    stmt.bindNull(index);
  }
}

}  // namespace

std::int64_t AuditStore::insert(const NewAudit& audit) {
  auto stmt = db_.prepare(
      "INSERT INTO audits (cluster_id, state, policy_name, policy_version, policy, started_at, finished_at, "
      "summary, warnings) VALUES (?1, 'succeeded', ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (audit.cluster_scope_id) {
    stmt.bind(1, *audit.cluster_scope_id);
  } else {
    stmt.bindNull(1);
  }
  bindOptional(stmt, 2, audit.policy_name);
  if (audit.policy_version) {
    stmt.bind(3, *audit.policy_version);
  } else {
    stmt.bindNull(3);
  }
  stmt.bind(4, audit.policy).bind(5, audit.started_at).bind(6, audit.finished_at).bind(7, audit.summary);
  stmt.bind(8, audit.warnings).run();
  const std::int64_t id = db_.lastInsertRowId();
  if (!audit.result.empty()) setResult(id, audit.result);

  auto link = db_.prepare("INSERT INTO audit_snapshots (audit_id, snapshot_id) VALUES (?1, ?2)");
  for (const std::int64_t snapshot : audit.snapshot_ids) {
    link.bind(1, id).bind(2, snapshot).run();
    link.reset();
  }
  auto finding = db_.prepare(
      "INSERT INTO findings (audit_id, check_id, severity, fingerprint, namespace, node, title, body, "
      "suppressed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  auto node = db_.prepare("INSERT OR IGNORE INTO finding_nodes (finding_id, node) VALUES (?1, ?2)");
  for (const FindingRow& row : audit.findings) {
    finding.bind(1, id).bind(2, row.check_id).bind(3, row.severity).bind(4, row.fingerprint);
    bindOptional(finding, 5, row.namespace_);
    bindOptional(finding, 6, row.node);
    finding.bind(7, row.title).bind(8, row.body).bind(9, row.suppressed ? 1 : 0).run();
    finding.reset();
    const std::int64_t finding_id = db_.lastInsertRowId();
    for (const std::string& name : row.nodes) {
      node.bind(1, finding_id).bind(2, name).run();
      node.reset();
    }
    if (row.nodes.empty() && row.node) {
      node.bind(1, finding_id).bind(2, *row.node).run();
      node.reset();
    }
  }
  return id;
}

void AuditStore::setResult(std::int64_t id, std::string_view result, std::optional<std::size_t> findings_at) {
  if (findings_at && result.substr(*findings_at, 4) != "null")
    throw std::logic_error("a result stored without its findings holds null where they go");
  auto stmt =
      db_.prepare("INSERT OR REPLACE INTO audit_results (audit_id, result, findings_at) VALUES (?1, ?2, ?3)");
  stmt.bind(1, id).bind(2, result);
  if (findings_at) {
    stmt.bind(3, static_cast<std::int64_t>(*findings_at));
  } else {
    stmt.bindNull(3);
  }
  stmt.run();
}

std::optional<AuditRecord> AuditStore::get(std::int64_t id) {
  auto stmt = db_.prepare("SELECT " + std::string(kAuditColumns) +
                          " FROM audits a LEFT JOIN scopes s ON s.id = a.cluster_id WHERE a.id = ?1");
  stmt.bind(1, id);
  if (!stmt.step()) return std::nullopt;
  AuditRecord record = readAudit(stmt);
  auto snapshots =
      db_.prepare("SELECT snapshot_id FROM audit_snapshots WHERE audit_id = ?1 ORDER BY snapshot_id");
  snapshots.bind(1, id);
  while (snapshots.step())
    record.snapshot_ids.push_back(snapshots.getInt64(0));
  return record;
}

std::vector<AuditRecord> AuditStore::list(int limit, std::int64_t before_id,
                                          std::optional<std::string_view> cluster) {
  auto stmt = db_.prepare("SELECT " + std::string(kAuditColumns) +
                          " FROM audits a LEFT JOIN scopes s ON s.id = a.cluster_id"
                          " WHERE (?1 = 0 OR a.id < ?1) AND (?2 IS NULL OR s.name = ?2)"
                          " ORDER BY a.id DESC LIMIT ?3");
  stmt.bind(1, before_id);
  if (cluster) {
    stmt.bind(2, *cluster);
  } else {
    stmt.bindNull(2);
  }
  stmt.bind(3, limit);
  std::vector<AuditRecord> records;
  while (stmt.step())
    records.push_back(readAudit(stmt));
  return records;
}

std::vector<AuditRecord> AuditStore::listForScope(std::int64_t scope_id, int limit) {
  auto stmt = db_.prepare("SELECT " + std::string(kAuditColumns) +
                          " FROM audits a LEFT JOIN scopes s ON s.id = a.cluster_id"
                          " WHERE a.cluster_id = ?1 OR a.id IN (SELECT l.audit_id FROM audit_snapshots l"
                          "   JOIN snapshots n ON n.id = l.snapshot_id WHERE n.scope_id = ?1)"
                          " ORDER BY a.id DESC LIMIT ?2");
  stmt.bind(1, scope_id).bind(2, limit);
  std::vector<AuditRecord> records;
  while (stmt.step())
    records.push_back(readAudit(stmt));
  return records;
}

std::optional<std::string> AuditStore::result(std::int64_t id) {
  auto stmt = db_.prepare("SELECT result, findings_at FROM audit_results WHERE audit_id = ?1");
  stmt.bind(1, id);
  if (!stmt.step()) return std::nullopt;
  std::string stored = stmt.getText(0);
  if (stmt.isNull(1)) return stored;
  const std::int64_t at = stmt.getInt64(1);
  if (at < 0 || static_cast<std::uint64_t>(at) > stored.size() ||
      std::string_view(stored).substr(static_cast<std::size_t>(at), 4) != "null") {
    throw std::runtime_error("stored audit " + std::to_string(id) +
                             ": its result has no findings placeholder at byte " + std::to_string(at));
  }
  const auto split = static_cast<std::size_t>(at);
  std::string whole;
  auto bodies = db_.prepare("SELECT body FROM findings WHERE audit_id = ?1 ORDER BY id");
  bodies.bind(1, id);
  whole.reserve(stored.size());
  whole.append(stored, 0, split);
  whole += '[';
  bool first = true;
  while (bodies.step()) {
    if (!first) whole += ',';
    first = false;
    whole += bodies.textView(0);
  }
  whole += ']';
  whole.append(stored, split + 4);
  return whole;
}

std::vector<FindingRow> AuditStore::findings(std::int64_t audit_id, const FindingFilter& filter) {
  auto stmt = db_.prepare("SELECT " + std::string(kFindingColumns) +
                          " FROM findings WHERE audit_id = ?1 AND id > ?2"
                          " AND (?3 IS NULL OR check_id = ?3) AND (?4 IS NULL OR severity = ?4)"
                          " AND (?5 IS NULL OR namespace = ?5)"
                          " AND (?6 IS NULL OR EXISTS (SELECT 1 FROM finding_nodes n"
                          "                            WHERE n.finding_id = findings.id AND n.node = ?6))"
                          " ORDER BY id LIMIT ?7");
  stmt.bind(1, audit_id).bind(2, filter.after_id);
  bindOptional(stmt, 3, filter.check_id);
  bindOptional(stmt, 4, filter.severity);
  bindOptional(stmt, 5, filter.namespace_);
  bindOptional(stmt, 6, filter.node);
  stmt.bind(7, filter.limit);
  std::vector<FindingRow> rows;
  while (stmt.step())
    rows.push_back(readFinding(stmt));
  return rows;
}

std::vector<FindingRow> AuditStore::allFindings(std::int64_t audit_id) {
  auto stmt = db_.prepare("SELECT " + std::string(kFindingColumns) +
                          " FROM findings WHERE audit_id = ?1 ORDER BY fingerprint");
  stmt.bind(1, audit_id);
  std::vector<FindingRow> rows;
  while (stmt.step())
    rows.push_back(readFinding(stmt));
  return rows;
}

int AuditStore::pruneBefore(std::string_view cutoff) {
  auto stmt = db_.prepare(
      "DELETE FROM audits WHERE started_at < ?1 AND id NOT IN "
      "(SELECT max(id) FROM audits GROUP BY cluster_id)");
  stmt.bind(1, cutoff).run();
  return db_.changes();
}

}  // namespace sgaudit::db
