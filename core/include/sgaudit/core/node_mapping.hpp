#pragma once

// Which cloud instance is behind each Kubernetes node: by spec.providerID, else by the node's InternalIP
// matching an instance's or interface's fixed IP, else by a mapping the user gives. Every node is accounted
// for: unmatched nodes are reported with the reason, never dropped.

#include <map>
#include <string>
#include <vector>

#include "sgaudit/core/inventory.hpp"
#include "sgaudit/core/kubernetes.hpp"

namespace sgaudit::core {

enum class MatchMethod { ProviderId, InternalIp, UserMapping };
const char* toString(MatchMethod method);

struct NodeMatch {
  std::string node;
  const Instance* instance = nullptr;
  MatchMethod method = MatchMethod::ProviderId;
};

struct UnmatchedNode {
  std::string node;
  std::string reason;
};

struct NodeMapping {
  std::vector<NodeMatch> matched;
  std::vector<UnmatchedNode> unmatched;
};

// The instance id a providerID names: "aws:///us-east-1a/i-0abc" and "aws:////i-0abc" -> "i-0abc",
// "openstack:///8f3c..." -> "8f3c...", a bare id (Huawei CCE puts the ECS server UUID) -> itself; Azure
// "azure:///subscriptions/S/resourceGroups/RG/.../virtualMachines/0" -> the whole resource id, lower-cased;
// GCP "gce://<project>/<zone>/<instance>" -> "<project>/<zone>/<instance>" (an instance name is unique in its
// project and zone only).
std::string instanceIdFromProviderId(const std::string& provider_id);

// `user_mapping`: node name -> instance id, consulted first (the user knows best).
NodeMapping mapNodesToInstances(const std::vector<Node>& nodes, const CloudInventory& inventory,
                                const std::map<std::string, std::string>& user_mapping = {});

}  // namespace sgaudit::core
