#pragma once

// An audit of stored inputs: the latest snapshot of a cluster and of each cloud account, under a stored or
// given policy, run off the database lock and written back whole in one transaction. The REST API, the
// demo loader and the scheduler all audit through here, and the CLI shares the result's JSON shape.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sgaudit/cloud/inputs/loader.hpp"
#include "sgaudit/core/audit.hpp"
#include "sgaudit/db/audit_store.hpp"
#include "sgaudit/service/app_context.hpp"

namespace sgaudit::service {

// The audit's JSON document (`sgaudit audit --format json`, and what the reports are rendered from):
// findings, matrix, nodes, summary, warnings, the inputs read and the tool. Without findings, "findings" is
// null (see core::resultJson).
nlohmann::json auditDocument(const core::AuditResult& result,
                             const std::vector<cloud::inputs::LoadedInput>& inputs,
                             bool with_findings = true);

// `document` (an auditDocument without findings) as compact JSON, byte for byte what nlohmann's dump (invalid
// UTF-8 replaced) writes of the same document with its findings: every other member is dumped, and
// `findings` writes the "findings" member's value. A fleet's findings are tens of megabytes, whose DOM alone
// took several times that.
void writeAuditJson(std::ostream& out, const nlohmann::json& document,
                    const std::function<void(std::ostream&)>& findings);

// Each finding's JSON (core::appendJson), in order, written on the machine's cores.
std::vector<std::string> findingJsons(const std::vector<core::Finding>& findings);

struct ScopeAuditRequest {
  std::string cluster;
  std::vector<std::string> accounts;
  std::optional<std::string> policy_name;  // a stored policy (its newest version)
  std::optional<nlohmann::json> policy;    // or one given inline
  std::map<std::string, std::string> node_instance_map;
};

// Why an audit could not run: an HTTP status, what was wrong, and the JSON pointer into the request.
struct ScopeAuditError {
  int status = 422;
  std::string detail;
  std::string pointer;
};

struct ScopeAuditOutcome {
  std::optional<std::int64_t> audit_id;
  std::optional<ScopeAuditError> error;
};

ScopeAuditOutcome runScopeAudit(AppContext& context, const ScopeAuditRequest& request);

// The API's view of an audit record.
nlohmann::json auditRecordJson(const db::AuditRecord& record);

}  // namespace sgaudit::service
