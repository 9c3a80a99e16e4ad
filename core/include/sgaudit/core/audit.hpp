#pragma once

// The audit: every host port against the firewall of the node it runs on, sensitive ports against the
// internet, consistency across a workload's nodes, and the host-port checks; findings with fixes planned.

#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
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
  // A proof asks every port of every node the change touches again, not only what the change can alter:
  // the reference the shortcuts are tested against.
  bool exhaustive_proofs = false;
  // Threads that prove fixes (and find exposures) side by side; 0: one per core (at most 8).
  unsigned threads = 0;
  // Called as each step of the audit begins ("map nodes", "host-port reach", ... "prove fixes"), so that
  // a caller can time them (the core reads no clock).
  std::function<void(std::string_view step)> on_step;
};

// An immutable list of CIDRs, shared by the cells that name the same: every cell of a workload requires the
// same sources (hundreds of CIDRs for "nodes" on a fleet), and a copy per cell was most of an audit's memory.
// Reads as a const std::vector<std::string>.
class CidrList {
 public:
  CidrList() = default;
  CidrList(std::vector<std::string> cidrs)  // NOLINT(google-explicit-constructor): a list is a list
      : cidrs_(cidrs.empty() ? nullptr : std::make_shared<const std::vector<std::string>>(std::move(cidrs))) {
  }
  CidrList(std::initializer_list<std::string> cidrs) : CidrList(std::vector<std::string>(cidrs)) {}

  const std::vector<std::string>& items() const { return cidrs_ ? *cidrs_ : none(); }
  operator const std::vector<std::string>&() const { return items(); }  // NOLINT(google-explicit-constructor)
  bool empty() const { return items().empty(); }
  std::size_t size() const { return items().size(); }
  auto begin() const { return items().begin(); }
  auto end() const { return items().end(); }
  const std::string& front() const { return items().front(); }
  const std::string& operator[](std::size_t i) const { return items()[i]; }
  // The same list object (not only equal lists): a cheap key for writing each list once.
  const void* identity() const { return cidrs_.get(); }

  friend bool operator==(const CidrList& a, const CidrList& b) {
    return a.cidrs_ == b.cidrs_ || a.items() == b.items();
  }
  friend bool operator==(const CidrList& a, const std::vector<std::string>& b) { return a.items() == b; }

 private:
  static const std::vector<std::string>& none() {
    static const std::vector<std::string> empty;
    return empty;
  }
  std::shared_ptr<const std::vector<std::string>> cidrs_;
};

// One cell of the node-by-port matrix a report draws.
struct PortVerdict {
  std::string node;
  PortProtocol protocol = PortProtocol::Tcp;
  int port = 0;
  std::string workload;  // subject key
  std::string status;    // "open", "partial", "blocked", "conflict", "unknown" (node's firewall not known)
  CidrList required;     // the required sources, as CIDRs
  CidrList missing;      // what of them is not admitted, as CIDRs (empty when open)
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
