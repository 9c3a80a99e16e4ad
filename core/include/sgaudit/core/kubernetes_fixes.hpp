#pragma once

// The Kubernetes side of a fix, as a person would apply it: a strategic-merge patch in YAML and the
// `kubectl` command that applies it.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sgaudit/core/finding.hpp"
#include "sgaudit/core/host_ports.hpp"

namespace sgaudit::core {

// Declares ports on a container, so the scheduler sees them and keeps replicas apart.
std::vector<Fix> declarePortsFixes(const WorkloadUnit& unit, const std::string& container,
                                   const std::vector<PortToDeclare>& ports);
// Sets the replica count.
std::vector<Fix> scaleFixes(const WorkloadUnit& unit, int replicas);
// A required pod anti-affinity on kubernetes.io/hostname: at most one replica per node.
std::vector<Fix> antiAffinityFixes(const WorkloadUnit& unit);
// dnsPolicy: ClusterFirstWithHostNet.
std::vector<Fix> dnsPolicyFixes(const WorkloadUnit& unit);
// RollingUpdate with maxSurge 0, maxUnavailable 1: replace pods in place when no node is free.
std::vector<Fix> rollingUpdateFixes(const WorkloadUnit& unit);

// Every part of `change`, rendered for `unit` (whose identity it names), each fix tagged with `index`.
std::vector<Fix> renderWorkloadChange(const WorkloadUnit& unit, const WorkloadChange& change, int index);

// Renders JSON as block YAML (two-space indents, strings quoted when YAML would read them otherwise).
std::string toYaml(const nlohmann::json& value);
// Quotes text for a POSIX shell.
std::string shellQuote(const std::string& text);

}  // namespace sgaudit::core
