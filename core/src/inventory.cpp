#include "sgaudit/core/inventory.hpp"

#include <algorithm>

namespace sgaudit::core {

std::vector<FirewallLayerSpec> firewallLayersOf(const Instance& instance) {
  if (!instance.firewall_layers.empty()) return instance.firewall_layers;
  return {FirewallLayerSpec{"security groups of " + instance.id, std::nullopt, instance.security_group_ids}};
}

std::vector<std::string> groupIdsOf(const Instance& instance) {
  std::vector<std::string> ids;
  auto add = [&](const std::string& id) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  };
  for (const auto& id : instance.security_group_ids)
    add(id);
  for (const auto& layer : instance.firewall_layers) {
    for (const auto& id : layer.group_ids)
      add(id);
  }
  return ids;
}

}  // namespace sgaudit::core
