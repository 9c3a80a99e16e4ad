#pragma once

// What a fix to a security group must do, before any provider's syntax: the audit plans these, and each
// provider's renderer in cloud/<provider> writes them as API bodies, CLI commands and Terraform.

#include <string>
#include <vector>

#include "sgaudit/core/address.hpp"
#include "sgaudit/core/port.hpp"
#include "sgaudit/core/rule.hpp"

namespace sgaudit::core {

// "Allow PROTOCOL PORTS from SOURCES into GROUP": the fewest rules the provider allows (ports merged where
// it can express several, one rule per source CIDR where it cannot).
struct AllowIngressPlan {
  std::string provider;  // "huaweicloud", "aws", "openstack"
  std::string group_id;
  std::string group_name;
  Protocol protocol = Protocol::tcp();
  PortSet ports;
  std::vector<Cidr> sources;
  // Sources written as a security group's members (AWS `UserIdGroupPairs`, Huawei and Neutron
  // `remote_group_id`): how the providers' own docs open a port to "the nodes", one rule for a whole pool
  // instead of one per address.
  struct GroupSource {
    std::string id;
    std::string name;
    friend bool operator==(const GroupSource&, const GroupSource&) = default;
  };
  std::vector<GroupSource> source_groups;
  std::string
      description;   // written into the rule, e.g. "sgaudit: default/nginx needs 80/TCP from the internet"
  int priority = 1;  // for providers with priorities (Huawei v3): 1 is evaluated first
};

// "Narrow or remove rule R": replace its source with narrower ones, or delete it when `narrower` is empty.
struct NarrowRulePlan {
  std::string provider;
  std::string group_id;
  std::string group_name;
  SecurityGroupRule rule;      // as it is now, with its origin (rule id)
  std::vector<Cidr> narrower;  // empty = remove the rule
  std::string description;
};

// A copy of `group` with the plans that name it applied: each narrowed rule (found by its identity, see
// RuleOrigin::key) replaced by one rule per narrower source, or removed; each planned rule added. Rules added
// here have no provider id; their key is "planned:" and their content. Plans for other groups are ignored.
SecurityGroup applyPlans(const SecurityGroup& group, const std::vector<AllowIngressPlan>& allow,
                         const std::vector<NarrowRulePlan>& narrow);

}  // namespace sgaudit::core
