#include "sgaudit/core/node_mapping.hpp"

#include <algorithm>
#include <cctype>

namespace sgaudit::core {
namespace {

const Instance* byId(const CloudInventory& inventory, const std::string& id) {
  for (const auto& instance : inventory.instances) {
    if (instance.id == id) return &instance;
  }
  return nullptr;
}

bool contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

std::vector<const Instance*> byAddress(const CloudInventory& inventory,
                                       const std::vector<std::string>& addresses) {
  std::vector<const Instance*> found;
  auto note = [&](const Instance* instance) {
    if (instance != nullptr && std::find(found.begin(), found.end(), instance) == found.end())
      found.push_back(instance);
  };
  for (const auto& address : addresses) {
    for (const auto& instance : inventory.instances) {
      if (contains(instance.private_ips, address)) note(&instance);
      for (const auto& nic : instance.interfaces) {
        if (contains(nic.fixed_ips, address)) note(&instance);
      }
    }
    for (const auto& nic : inventory.interfaces) {
      if (contains(nic.fixed_ips, address) && !nic.device_id.empty()) note(byId(inventory, nic.device_id));
    }
  }
  return found;
}

}  // namespace

const char* toString(MatchMethod method) {
  switch (method) {
    case MatchMethod::ProviderId:
      return "providerID";
    case MatchMethod::InternalIp:
      return "InternalIP";
    case MatchMethod::UserMapping:
      return "mapping file";
  }
  return "providerID";
}

std::string instanceIdFromProviderId(const std::string& provider_id) {
  const auto scheme = provider_id.find("://");
  if (scheme == std::string::npos) return provider_id;
  std::string rest = provider_id.substr(scheme + 3);
  // Azure names a VM by its whole resource id, whose last segment alone is ambiguous ("virtualMachines/0" of
  // every scale set); resource ids are case-insensitive, and AKS lower-cases the resource group.
  if (provider_id.compare(0, scheme, "azure") == 0) {
    std::transform(rest.begin(), rest.end(), rest.begin(), [](unsigned char c) { return std::tolower(c); });
    while (!rest.empty() && rest.back() == '/')
      rest.pop_back();
    return rest;
  }
  while (!rest.empty() && rest.back() == '/')
    rest.pop_back();
  if (provider_id.compare(0, scheme, "gce") == 0) return rest;
  const auto slash = rest.rfind('/');
  return slash == std::string::npos ? rest : rest.substr(slash + 1);
}

NodeMapping mapNodesToInstances(const std::vector<Node>& nodes, const CloudInventory& inventory,
                                const std::map<std::string, std::string>& user_mapping) {
  NodeMapping mapping;
  for (const auto& node : nodes) {
    if (const auto it = user_mapping.find(node.name); it != user_mapping.end()) {
      if (const Instance* instance = byId(inventory, it->second)) {
        mapping.matched.push_back({node.name, instance, MatchMethod::UserMapping});
      } else {
        mapping.unmatched.push_back(
            {node.name, "the mapping names instance " + it->second + ", which no input lists"});
      }
      continue;
    }
    std::string provider_reason;
    if (!node.provider_id.empty()) {
      const std::string id = instanceIdFromProviderId(node.provider_id);
      const Instance* instance = byId(inventory, id);
      // A GCE instance listed without its project (a zone given by name, not URL) is known by zone and name.
      if (instance == nullptr && node.provider_id.starts_with("gce://") && id.find('/') != std::string::npos)
        instance = byId(inventory, id.substr(id.find('/') + 1));
      if (instance != nullptr) {
        mapping.matched.push_back({node.name, instance, MatchMethod::ProviderId});
        continue;
      }
      provider_reason = "no instance has the id " + id + " from providerID " + node.provider_id;
    } else {
      provider_reason = "the node has no providerID";
    }
    const auto candidates = byAddress(inventory, node.internal_ips);
    if (candidates.size() == 1) {
      mapping.matched.push_back({node.name, candidates.front(), MatchMethod::InternalIp});
    } else if (candidates.size() > 1) {
      mapping.unmatched.push_back(
          {node.name, provider_reason + ", and several instances have its InternalIP (give a mapping file)"});
    } else {
      mapping.unmatched.push_back(
          {node.name, provider_reason + ", and no instance or port has its InternalIP"});
    }
  }
  return mapping;
}

}  // namespace sgaudit::core
