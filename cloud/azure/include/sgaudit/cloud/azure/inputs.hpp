#pragma once

// Azure network resources as `az ... -o json` prints them (properties flattened into each resource) and as
// Azure Resource Manager returns them (fields under "properties"; lists as {"value": [...]}), read into the
// cloud inventory:
//   azure.network.nsgs     az network nsg list/show, GET .../networkSecurityGroups[/{name}]
//   azure.network.nics     az network nic list/show, az vmss nic list, GET .../networkInterfaces
//   azure.network.subnets  az network vnet subnet list/show, GET .../subnets
//   azure.network.vnets    az network vnet list/show, GET .../virtualNetworks
//   azure.aks.cluster      az aks show, GET .../managedClusters/{name}
// Each NSG is a group evaluated by priority (first match), its default rules (AllowVnetInBound 65000,
// AllowAzureLoadBalancerInBound 65001, DenyAllInBound 65500) included, fixed. `link` makes each VM (or scale
// set VM) an instance guarded by its subnet's NSG, then its NIC's: both must allow, and a layer without an
// NSG allows everything.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sgaudit/cloud/input_error.hpp"
#include "sgaudit/core/inventory.hpp"

namespace sgaudit::cloud::azure {

inline constexpr const char* kProvider = "azure";

namespace kind {
inline constexpr std::string_view kNsgs = "azure.network.nsgs";
inline constexpr std::string_view kNics = "azure.network.nics";
inline constexpr std::string_view kSubnets = "azure.network.subnets";
inline constexpr std::string_view kVnets = "azure.network.vnets";
inline constexpr std::string_view kAksCluster = "azure.aks.cluster";
}  // namespace kind

// The kind of an Azure document by the "type" of its resources ("Microsoft.Network/networkSecurityGroups"),
// or nullopt.
std::optional<std::string> recognise(const nlohmann::json& document);

// Reads a document of `kind`. Errors name the field: "nsg.json: /0/securityRules/2/priority: expected a
// priority 100..65500, got 5". Doubts (a rule whose destination is narrower than the NIC) go to `warnings`.
Parsed<core::CloudInventory> parse(std::string_view kind, const nlohmann::json& document,
                                   std::string_view source, std::vector<std::string>* warnings = nullptr);

// The joins of Provider::link: instances from NICs with their subnet and NIC layers, the service tags
// (VirtualNetwork from the VNets' address spaces, AzureLoadBalancer, Internet as everything else).
void link(core::CloudInventory& inventory, std::vector<std::string>& warnings);

}  // namespace sgaudit::cloud::azure
