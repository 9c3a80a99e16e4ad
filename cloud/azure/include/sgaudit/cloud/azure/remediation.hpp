#pragma once

// Remediation plans written as `az network nsg rule` commands and Terraform
// (`azurerm_network_security_rule`). An NSG rule holds several source prefixes and port ranges, a priority
// (100-4096, lower first) and a name unique in its NSG; the NSG is named by its resource group and name, both
// read from the plan's group id.

#include <vector>

#include "sgaudit/core/finding.hpp"
#include "sgaudit/core/remediation.hpp"

namespace sgaudit::cloud::azure {

// `az network nsg rule create` (tool "az", format "shell") and one `azurerm_network_security_rule` (tool
// "terraform", format "hcl"), at the plan's priority. Empty when the plan has no sources or no ports.
std::vector<core::Fix> renderFixes(const core::AllowIngressPlan& plan);

// `az network nsg rule update --source-address-prefixes` with the narrower sources, or `delete` when there
// are none; Terraform: a comment naming the rule to change and the narrower rule.
std::vector<core::Fix> renderFixes(const core::NarrowRulePlan& plan);

}  // namespace sgaudit::cloud::azure
