#pragma once

// The finding catalogue as the reports describe it (README "The finding catalogue").

#include <string>
#include <string_view>

namespace sgaudit::report::detail {

struct CheckInfo {
  std::string_view id;
  std::string_view name;  // PascalCase, for SARIF's reportingDescriptor.name
  std::string_view description;
};

inline constexpr CheckInfo kCatalogue[] = {
    {"sg.port-blocked", "PortBlocked",
     "A host port in use by a pod is not reachable from a source the policy requires."},
    {"sg.sensitive-port-exposed", "SensitivePortExposed",
     "A sensitive port on a node (SSH, RDP, kubelet, etcd, databases) is reachable from the internet."},
    {"sg.nodepool-inconsistent", "NodepoolInconsistent",
     "One workload's host port is reachable on some of its nodes and not on others."},
    {"hostport.conflict", "HostPortConflict",
     "Two pods on one node want the same protocol and port on overlapping host addresses."},
    {"hostport.capacity", "HostPortCapacity",
     "A workload wants more replicas than there are eligible nodes where its host ports are free."},
    {"hostport.undeclared", "HostPortUndeclared",
     "A hostNetwork container listens on a port it does not declare, so the scheduler cannot see it."},
    {"hostport.reserved", "HostPortReserved",
     "A pod's host port collides with a port the node itself needs (kubelet, kube-proxy, NodePort range, "
     "sshd)."},
    {"hostnetwork.dns-policy", "HostNetworkDnsPolicy",
     "A hostNetwork pod uses dnsPolicy ClusterFirst instead of ClusterFirstWithHostNet."},
};

inline const CheckInfo* checkInfo(std::string_view id) {
  for (const auto& info : kCatalogue) {
    if (info.id == id) return &info;
  }
  return nullptr;
}

}  // namespace sgaudit::report::detail
