#include "sgaudit/cloud/huawei/remediation.hpp"
#include "sgaudit/cloud/render_text.hpp"

#include <optional>

#include <nlohmann/json.hpp>

namespace sgaudit::cloud::huawei {
namespace {

using json = nlohmann::json;
constexpr std::size_t kMultiportLimit = 20;

const char* ethertypeOf(const core::Cidr& cidr) {
  return cidr.family() == core::IpFamily::V6 ? "IPv6" : "IPv4";
}

std::string protocolName(const core::Protocol& protocol) {
  return protocol == core::Protocol::any() ? std::string() : protocol.name();
}

struct RuleBody {
  std::string multiport;             // empty = all ports
  std::optional<core::Cidr> source;  // or, when unset, the members of `remote_group`
  std::string remote_group;
};

std::vector<RuleBody> rulesOf(const core::AllowIngressPlan& plan) {
  std::vector<std::string> chunks =
      plan.protocol.hasPorts() ? multiportChunks(plan.ports) : std::vector<std::string>{""};
  if (chunks.empty()) chunks = {""};
  std::vector<RuleBody> rules;
  for (const auto& source : plan.sources) {
    for (const auto& chunk : chunks)
      rules.push_back({chunk, source, {}});
  }
  for (const auto& group : plan.source_groups) {
    for (const auto& chunk : chunks)
      rules.push_back({chunk, std::nullopt, group.id});
  }
  return rules;
}

}  // namespace

std::vector<std::string> multiportChunks(const core::PortSet& ports) {
  std::vector<std::string> chunks;
  if (ports.isAll()) return {""};
  std::string current;
  std::size_t entries = 0;
  for (const auto& range : ports.ranges()) {
    const std::string entry = range.first == range.last
                                  ? std::to_string(range.first)
                                  : std::to_string(range.first) + "-" + std::to_string(range.last);
    if (entries == kMultiportLimit) {
      chunks.push_back(current);
      current.clear();
      entries = 0;
    }
    current += (current.empty() ? "" : ",") + entry;
    ++entries;
  }
  if (!current.empty()) chunks.push_back(current);
  return chunks;
}

std::vector<core::Fix> renderAllow(const core::AllowIngressPlan& plan) {
  const auto rules = rulesOf(plan);
  json bodies = json::array();
  std::string cli;
  std::string terraform;
  for (const auto& rule : rules) {
    const std::string ethertype = rule.source ? ethertypeOf(*rule.source) : "IPv4";
    json body = {{"security_group_id", plan.group_id},
                 {"direction", "ingress"},
                 {"ethertype", ethertype},
                 {"action", "allow"},
                 {"priority", plan.priority},
                 {"description", plan.description}};
    if (rule.source) {
      body["remote_ip_prefix"] = rule.source->toString();
    } else {
      body["remote_group_id"] = rule.remote_group;
    }
    const std::string protocol = protocolName(plan.protocol);
    if (!protocol.empty()) body["protocol"] = protocol;
    if (!rule.multiport.empty()) body["multiport"] = rule.multiport;
    bodies.push_back({{"security_group_rule", body}});

    cli += "hcloud VPC CreateSecurityGroupRule/v3 --cli-region=\"$REGION\" --project_id=\"$PROJECT_ID\"";
    for (const auto& [key, value] : body.items()) {
      cli += " --security_group_rule." + key + "=" +
             shellQuote(value.is_string() ? value.get<std::string>() : value.dump());
    }
    cli += "\n";

    // Named by what the rule is (group, protocol, ports, source), as the AWS and OpenStack renderers do: two
    // different rules in one report never share a label (Terraform refuses a configuration where they do),
    // and the same rule proposed by two findings is the same resource.
    const std::string label = "sgaudit_" + plan.group_name + "_" + (protocol.empty() ? "all" : protocol) +
                              "_" + (rule.multiport.empty() ? "all" : rule.multiport) + "_" +
                              (rule.source ? rule.source->toString() : "from_" + rule.remote_group);
    terraform += "resource \"huaweicloud_networking_secgroup_rule\" \"" + terraformLabel(label) + "\" {\n";
    terraform += "  security_group_id = " + hclString(plan.group_id) + "\n";
    terraform += "  direction         = \"ingress\"\n";
    terraform += "  ethertype         = \"" + ethertype + "\"\n";
    if (!protocol.empty()) terraform += "  protocol          = " + hclString(protocol) + "\n";
    if (!rule.multiport.empty()) terraform += "  ports             = " + hclString(rule.multiport) + "\n";
    if (rule.source) {
      terraform += "  remote_ip_prefix  = " + hclString(rule.source->toString()) + "\n";
    } else {
      terraform += "  remote_group_id   = " + hclString(rule.remote_group) + "\n";
    }
    terraform += "  action            = \"allow\"\n";
    terraform += "  priority          = " + std::to_string(plan.priority) + "\n";
    terraform += "  description       = " + hclString(plan.description) + "\n";
    terraform += "}\n";
  }
  const std::string what =
      "Allow " +
      (plan.protocol == core::Protocol::any() ? std::string("all traffic")
                                              : plan.protocol.name() + " " + plan.ports.toString()) +
      " into security group " + (plan.group_name.empty() ? plan.group_id : plan.group_name);
  std::string api;
  for (const auto& body : bodies) {
    api += "POST /v3/{project_id}/vpc/security-group-rules\n" + body.dump(2) + "\n";
  }
  return {{"huawei-api", what + " (VPC API v3)", "json", api},
          {"hcloud", what + " (KooCLI)", "shell", cli},
          {"terraform", what + " (Terraform)", "hcl", terraform}};
}

std::vector<core::Fix> renderNarrow(const core::NarrowRulePlan& plan) {
  const std::string rule_id = plan.rule.origin.rule_id;
  const std::string group = plan.group_name.empty() ? plan.group_id : plan.group_name;
  std::vector<core::Fix> fixes;
  // The narrower rule goes in before the broad one goes out, so wanted traffic is never cut off in between.
  std::string api;
  std::string cli;
  std::string terraform = "# Remove or edit the resource that manages rule " +
                          (rule_id.empty() ? core::describeContent(plan.rule) : rule_id) + " of " + group +
                          ".\n";
  if (!plan.narrower.empty()) {
    core::AllowIngressPlan replacement;
    replacement.provider = plan.provider;
    replacement.group_id = plan.group_id;
    replacement.group_name = plan.group_name;
    replacement.protocol = plan.rule.protocol;
    replacement.ports = plan.rule.ports;
    replacement.sources = plan.narrower;
    replacement.description = plan.description;
    replacement.priority = plan.rule.priority > 0 ? plan.rule.priority : 1;
    const auto add = renderAllow(replacement);
    api += add[0].content;
    cli += add[1].content;
    terraform += add[2].content;
  }
  // A rule read without its id (v1 rules nested in a group) is named by its content; its id is looked up
  // first, never guessed.
  const std::string id_text = rule_id.empty() ? std::string("$RULE_ID") : rule_id;
  if (rule_id.empty()) {
    const std::string lookup = "# This rule came without an id (" + core::describeContent(plan.rule) +
                               "): find it in the group's rules first, and set RULE_ID to it.\n";
    api += lookup + "GET /v3/{project_id}/vpc/security-group-rules?security_group_id=" + plan.group_id + "\n";
    cli += lookup +
           "hcloud VPC ListSecurityGroupRules/v3 --cli-region=\"$REGION\" --project_id=\"$PROJECT_ID\" "
           "--security_group_id=" +
           shellQuote(plan.group_id) + "\n";
  }
  api += "DELETE /v3/{project_id}/vpc/security-group-rules/" + id_text + "\n";
  cli +=
      "hcloud VPC DeleteSecurityGroupRule/v3 --cli-region=\"$REGION\" --project_id=\"$PROJECT_ID\" "
      "--security_group_rule_id=" +
      (rule_id.empty() ? std::string("\"$RULE_ID\"") : shellQuote(rule_id)) + "\n";
  const std::string rule_name = rule_id.empty() ? "\"" + core::describeContent(plan.rule) + "\"" : rule_id;
  const std::string what =
      (plan.narrower.empty() ? "Remove rule " : "Narrow the source of rule ") + rule_name + " of " + group;
  fixes.push_back({"huawei-api", what + " (VPC API v3)", "json", api});
  fixes.push_back({"hcloud", what + " (KooCLI)", "shell", cli});
  fixes.push_back({"terraform", what + " (Terraform)", "hcl", terraform});
  return fixes;
}

}  // namespace sgaudit::cloud::huawei
