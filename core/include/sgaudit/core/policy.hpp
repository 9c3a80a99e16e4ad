#pragma once

// What an audit holds the cluster to: which sources must reach each workload's host ports, which ports are
// sensitive, and which findings people have accepted. Every part is optional; defaults are sane.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sgaudit/core/kubernetes.hpp"
#include "sgaudit/core/port.hpp"
#include "sgaudit/core/result.hpp"

namespace sgaudit::core {

// Which workloads a requirement covers: namespace/kind/name (each optional) and a label selector.
struct WorkloadSelector {
  std::string namespace_name;  // empty = any
  std::string kind;            // empty = any
  std::string name;            // empty = any
  Labels labels;               // matched against the workload's template (or pod) labels
};

struct WorkloadRequirement {
  WorkloadSelector selector;
  // Source class names ("internet", "vpc", "nodes", "pods", a named list) or literal CIDRs.
  std::vector<std::string> required_sources;
  std::string why;
};

struct Suppression {
  std::string check;    // a check id; empty = any
  std::string subject;  // a subject key ("Deployment/default/nginx", "Node/10.1.0.55") or a fingerprint
  std::string reason;
  std::string expires;  // "YYYY-MM-DD"; empty = never. Expired suppressions no longer apply.
};

struct Policy {
  std::map<std::string, std::vector<std::string>> named_sources;  // "bastion" -> ["10.1.5.10/32"]
  std::vector<std::string> default_required_sources = {"vpc", "nodes"};
  std::vector<WorkloadRequirement> workloads;
  PortSet sensitive_ports = defaultSensitivePorts();
  int node_port_min = 30000;
  int node_port_max = 32767;
  std::vector<Suppression> suppressions;

  static PortSet defaultSensitivePorts();
};

// The annotation that sets a workload's required sources in the cluster itself: "internet" or "vpc, bastion".
inline constexpr const char* kRequiredSourcesAnnotation = "sgaudit.io/required-sources";

// Reads a policy document; errors name the JSON pointer ("/workloads/0/required_sources/1: ...").
Result<Policy> parsePolicy(const nlohmann::json& document);

// The sources a workload must be reachable from: the first matching policy entry, else the annotation, else
// the policy's default. `why` says which applied.
std::vector<std::string> requiredSourcesFor(const Policy& policy, const std::string& kind,
                                            const std::string& ns, const std::string& name,
                                            const Labels& labels,
                                            const std::map<std::string, std::string>& annotations,
                                            std::string* why);

}  // namespace sgaudit::core
