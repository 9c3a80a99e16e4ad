#pragma once

// Audits and their findings. An audit is written whole, in one transaction, once it has run: a reader
// never sees half an audit.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sgaudit/db/database.hpp"

namespace sgaudit::db {

struct FindingRow {
  std::int64_t id = 0;
  std::string check_id;
  std::string severity;
  std::string fingerprint;
  std::optional<std::string> namespace_;
  std::optional<std::string> node;  // the one node it is about, when there is one
  std::vector<std::string> nodes;   // every node it reaches (written on insert; not read back)
  std::string title;
  std::string body;  // the finding's JSON
  bool suppressed = false;
};

struct AuditRecord {
  std::int64_t id = 0;
  std::optional<std::string> cluster;  // scope name
  std::vector<std::int64_t> snapshot_ids;
  std::string state;  // succeeded or failed
  std::optional<std::string> policy_name;
  std::optional<std::int64_t> policy_version;
  std::string started_at;
  std::optional<std::string> finished_at;
  std::optional<std::string> summary;  // JSON
  std::optional<std::string> error;
  std::string warnings = "[]";  // JSON array of strings: what the audit could not judge
};

struct NewAudit {
  std::optional<std::int64_t> cluster_scope_id;
  std::vector<std::int64_t> snapshot_ids;
  std::optional<std::string> policy_name;
  std::optional<std::int64_t> policy_version;
  std::string policy;  // JSON
  std::string started_at;
  std::string finished_at;
  std::string summary;          // JSON
  std::string warnings = "[]";  // JSON array of strings
  std::string result;           // JSON: the whole audit document
  std::vector<FindingRow> findings;
};

struct FindingFilter {
  std::optional<std::string> check_id;
  std::optional<std::string> severity;
  std::optional<std::string> namespace_;
  std::optional<std::string> node;
  std::int64_t after_id = 0;  // keyset paging
  int limit = 100;
};

class AuditStore {
 public:
  explicit AuditStore(Database& db) : db_(db) {}

  // Writes the audit and its findings; returns its id. Run inside a transaction.
  std::int64_t insert(const NewAudit& audit);
  // Replaces the stored result document (it names the audit's own id, known only after insert()). With
  // `findings_at`, the document's findings are its rows: `result` holds `null` at that byte, where result()
  // puts the rows' bodies as an array.
  void setResult(std::int64_t id, std::string_view result, std::optional<std::size_t> findings_at = {});
  std::optional<AuditRecord> get(std::int64_t id);
  // Newest first; `before_id` pages (0: from the newest).
  std::vector<AuditRecord> list(int limit, std::int64_t before_id = 0,
                                std::optional<std::string_view> cluster = std::nullopt);
  // The newest audits that used a snapshot of the scope (a cluster's, or an account's among an audit's
  // accounts), newest first.
  std::vector<AuditRecord> listForScope(std::int64_t scope_id, int limit);
  // The whole result document, findings and all. Throws std::runtime_error when a document stored without its
  // findings has no placeholder where it says.
  std::optional<std::string> result(std::int64_t id);
  std::vector<FindingRow> findings(std::int64_t audit_id, const FindingFilter& filter);
  // Every finding of the audit (for diffs), ordered by fingerprint.
  std::vector<FindingRow> allFindings(std::int64_t audit_id);
  // Removes audits that started before `cutoff` (ISO-8601 UTC), except the newest of each cluster.
  int pruneBefore(std::string_view cutoff);

 private:
  Database& db_;
};

}  // namespace sgaudit::db
