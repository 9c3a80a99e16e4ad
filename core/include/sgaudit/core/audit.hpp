#pragma once

// The audit: every host port against the firewall of the node it runs on, sensitive ports against the
// internet, consistency across a workload's nodes, and the host-port checks; findings with fixes planned.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sgaudit/core/finding.hpp"
#include "sgaudit/core/inventory.hpp"
#include "sgaudit/core/kubernetes.hpp"
#include "sgaudit/core/policy.hpp"

namespace sgaudit::core {

struct AuditInput {
  ClusterState cluster;
  CloudInventory cloud;
  Policy policy;
  std::string today;                                     // "YYYY-MM-DD": suppressions expire against it
  std::map<std::string, std::string> node_instance_map;  // user-given node name -> instance id
  // Prove every security-group fix by applying it to a copy of the inputs and auditing the nodes it touches
  // again (Finding::fix_verified).
  bool verify_fixes = true;
  // Threads that prove fixes side by side; 0: one per core (at most 8).
  unsigned threads = 0;
  // Called as each step of the audit begins ("map nodes", "host-port reach", ... "prove fixes"), so that
  // a caller can time them (the core reads no clock).
  std::function<void(std::string_view step)> on_step;
};

// One cell of the node-by-port matrix a report draws.
struct PortVerdict {
  std::string node;
  PortProtocol protocol = PortProtocol::Tcp;
  int port = 0;
  std::string workload;  // subject key
  std::string status;    // "open", "partial", "blocked", "conflict", "unknown" (node's firewall not known)
  std::vector<std::string> required;  // the required sources, as CIDRs
  std::vector<std::string> missing;   // what of them is not admitted, as CIDRs (empty when open)
};

struct NodeInstance {
  std::string node;
  std::string instance_id;  // empty when unmatched
  std::string method;       // "providerID", "InternalIP", "mapping file", or why it is unmatched
};

struct AuditResult {
  std::vector<Finding> findings;
  std::vector<PortVerdict> matrix;
  std::vector<NodeInstance> nodes;
  std::vector<std::string> warnings;  // what the audit could not judge, and why
};

AuditResult runAudit(const AuditInput& input);

void to_json(nlohmann::json& out, const PortVerdict& verdict);
// The result as JSON (what to_json writes). Without findings, "findings" is null, in its place: for a writer
// that writes them one at a time.
nlohmann::json resultJson(const AuditResult& result, bool with_findings);

// The matrix as JSON, each cell naming its required and missing CIDR lists by index ("required_set",
// "missing_set") into `address_sets`, where each distinct list is written once: a workload's requirement is
// the same on each of its thousands of nodes.
nlohmann::json matrixToJson(const std::vector<PortVerdict>& matrix, nlohmann::json& address_sets);
void to_json(nlohmann::json& out, const NodeInstance& node);
void to_json(nlohmann::json& out, const AuditResult& result);

}  // namespace sgaudit::core
