#pragma once

// Huawei Cloud renderings of a remediation plan: the VPC v3 API request body, the KooCLI (`hcloud`) command
// and Terraform `huaweicloud_networking_secgroup_rule`. A v3 rule holds up to 20 ports or ranges
// ("multiport") and one remote CIDR, so a plan becomes one rule per source CIDR with its ports merged.

#include <vector>

#include "sgaudit/core/finding.hpp"
#include "sgaudit/core/remediation.hpp"

namespace sgaudit::cloud::huawei {

std::vector<core::Fix> renderAllow(const core::AllowIngressPlan& plan);
std::vector<core::Fix> renderNarrow(const core::NarrowRulePlan& plan);

// "22,80,8000-9000" chunks of at most 20 entries, as the multiport field takes them.
std::vector<std::string> multiportChunks(const core::PortSet& ports);

}  // namespace sgaudit::cloud::huawei
