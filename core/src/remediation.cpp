// Security-group changes applied to the model: how a planned fix is proven before anyone runs it.
#include "sgaudit/core/remediation.hpp"

#include <algorithm>

namespace sgaudit::core {
namespace {

SecurityGroupRule plannedRule(const SecurityGroup& group, SecurityGroupRule rule, RuleSource source,
                              const std::string& description) {
  rule.source = std::move(source);
  rule.origin.group_id = group.id;
  rule.origin.group_name = group.name;
  rule.origin.rule_id.clear();
  rule.origin.description = description;
  rule.origin.key = "planned:" + contentIdentity(rule);
  return rule;
}

}  // namespace

SecurityGroup applyPlans(const SecurityGroup& group, const std::vector<AllowIngressPlan>& allow,
                         const std::vector<NarrowRulePlan>& narrow) {
  SecurityGroup out = group;
  for (const auto& plan : narrow) {
    if (plan.group_id != group.id) continue;
    // By identity where both were indexed; else by provider id, else by content (a group as read).
    const auto same = [&](const SecurityGroupRule& rule) {
      if (!rule.origin.key.empty() && !plan.rule.origin.key.empty())
        return rule.origin.key == plan.rule.origin.key;
      if (!plan.rule.origin.rule_id.empty()) return rule.origin.rule_id == plan.rule.origin.rule_id;
      return rule.origin.rule_id.empty() && contentIdentity(rule) == contentIdentity(plan.rule);
    };
    const auto removed = std::remove_if(out.rules.begin(), out.rules.end(), same);
    if (removed == out.rules.end()) continue;  // already gone: the plan changes nothing here
    out.rules.erase(removed, out.rules.end());
    for (const auto& cidr : plan.narrower)
      out.rules.push_back(plannedRule(out, plan.rule, cidr, plan.description));
  }
  for (const auto& plan : allow) {
    if (plan.group_id != group.id) continue;
    SecurityGroupRule rule;
    rule.direction = Direction::Ingress;
    rule.protocol = plan.protocol;
    rule.ports = plan.protocol.hasKey() ? plan.ports : PortSet::all();
    rule.action = RuleAction::Allow;
    rule.priority = plan.priority;
    for (const auto& cidr : plan.sources)
      out.rules.push_back(plannedRule(out, rule, cidr, plan.description));
    for (const auto& source : plan.source_groups)
      out.rules.push_back(plannedRule(out, rule, SecurityGroupRef{source.id}, plan.description));
  }
  return out;
}

}  // namespace sgaudit::core
