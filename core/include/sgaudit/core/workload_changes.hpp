#pragma once

// The Kubernetes half of a fix, proven: a workload change (see WorkloadChange) applied to a copy of the
// cluster, its pods placed again as the scheduler would, and the host-port checks run again on that copy.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sgaudit/core/finding.hpp"
#include "sgaudit/core/host_ports.hpp"

namespace sgaudit::core {

// A copy of `cluster` with `change` applied to the spec of the workload (or bare pod) it names, which must be
// a unit of `model` (built from `cluster`). A change that moves pods (declared ports, replicas,
// anti-affinity) replaces the workload's pods with new ones placed as the scheduler's filters would (eligible
// nodes, declared host ports free, one per node under the anti-affinity; Pending where none is left), and its
// processes' sockets follow them; one that does not (dnsPolicy, the rollout strategy) keeps each pod on its
// node.
ClusterState applyWorkloadChange(const ClusterState& cluster, const HostPortModel& model,
                                 const WorkloadChange& change);

// Every workload change of every finding, applied to a copy of the cluster that holds the workload and every
// workload sharing one of its host ports, and the host-port checks run again there and on the same copy
// unchanged. A change is verified when the finding is gone and no finding appears that was not there; one
// that would add a finding about the same workload which a further change of it resolves (scaling down to
// the free nodes, then a rollout that stalls) is extended by that change when the two pass together. Sets
// `verified` on each change and on the fixes rendered from it.
//
// `reach`, when given, says why a port of a workload would be blocked on a node by its firewall (or nothing
// when it is open or unknown): a change that moves a replica to a node it did not run on is also checked
// there, so that it never trades a crash loop for a port closed to the workload's clients.
using PortReachCheck = std::function<std::optional<std::string>(
    const std::string& node, const Subject& workload, PortProtocol protocol, int port)>;
void verifyWorkloadChanges(const ClusterState& cluster, const HostPortModel& model,
                           const HostPortOptions& options, std::vector<Finding>& findings,
                           const PortReachCheck& reach = {});

}  // namespace sgaudit::core
