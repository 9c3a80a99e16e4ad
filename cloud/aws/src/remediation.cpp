#include "sgaudit/cloud/aws/remediation.hpp"
#include "sgaudit/cloud/render_text.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace sgaudit::cloud::aws {
namespace {

// Ordered so the JSON reads as AWS documents it: IpProtocol, FromPort, ToPort, ranges.
using json = nlohmann::ordered_json;

// AWS accepts rule descriptions of up to 255 characters from a-z A-Z 0-9 space and ._-:/()#,@[]+=&;{}!$*;
// anything else makes the call fail, so it is replaced by '_' (a multi-byte character by one '_').
std::string awsDescription(std::string_view text) {
  static constexpr std::string_view kAllowed = "._-:/()#,@[]+=&;{}!$* ";
  std::string out;
  for (std::size_t i = 0; i < text.size() && out.size() < 255; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      while (i + 1 < text.size() && (static_cast<unsigned char>(text[i + 1]) & 0xc0) == 0x80)
        ++i;
      out += '_';
    } else if (std::isalnum(c) || kAllowed.find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      out += '_';
    }
  }
  return out;
}

std::string ipProtocol(core::Protocol protocol) {
  if (protocol.isAny()) return "-1";
  if (protocol == core::Protocol::tcp() || protocol == core::Protocol::udp() ||
      protocol == core::Protocol::icmp() || protocol == core::Protocol::icmpv6()) {
    return protocol.name();
  }
  return std::to_string(protocol.number());
}

// FromPort/ToPort as AWS writes one permission.
struct AwsPorts {
  int from = -1;
  int to = -1;
};

// The permissions' port pairs for a key set: TCP/UDP ranges as they are; ICMP keys as (type, code) with -1
// for "all", a range that covers part of a type's codes split per code; every other protocol -1/-1, because
// AWS opens all its ports whatever the range.
std::vector<AwsPorts> portPairs(core::Protocol protocol, const core::PortSet& ports) {
  std::vector<AwsPorts> pairs;
  if (protocol == core::Protocol::tcp() || protocol == core::Protocol::udp()) {
    for (const auto& range : ports.ranges())
      pairs.push_back({range.first, range.last});
    return pairs;
  }
  if (!protocol.isIcmp() || ports.isAll()) return {AwsPorts{}};
  for (const auto& range : ports.ranges()) {
    for (int type = range.first / 256; type <= range.last / 256; ++type) {
      const int low = std::max<int>(range.first, type * 256);
      const int high = std::min<int>(range.last, type * 256 + 255);
      if (low == type * 256 && high == type * 256 + 255) {
        pairs.push_back({type, -1});
      } else {
        for (int key = low; key <= high; ++key)
          pairs.push_back({type, key % 256});
      }
    }
  }
  return pairs;
}

// --ip-permissions for authorizing `sources` on `ports`: one permission per port pair holding every CIDR.
using GroupSources = std::vector<core::AllowIngressPlan::GroupSource>;

json authorizePermissions(core::Protocol protocol, const core::PortSet& ports,
                          const std::vector<core::Cidr>& sources, const std::string& description,
                          const GroupSources& groups = {}) {
  json permissions = json::array();
  for (const auto& pair : portPairs(protocol, ports)) {
    json permission = {{"IpProtocol", ipProtocol(protocol)}, {"FromPort", pair.from}, {"ToPort", pair.to}};
    json v4 = json::array();
    json v6 = json::array();
    for (const auto& cidr : sources) {
      if (cidr.family() == core::IpFamily::V4) {
        v4.push_back({{"CidrIp", cidr.toString()}, {"Description", description}});
      } else {
        v6.push_back({{"CidrIpv6", cidr.toString()}, {"Description", description}});
      }
    }
    if (!v4.empty()) permission["IpRanges"] = std::move(v4);
    if (!v6.empty()) permission["Ipv6Ranges"] = std::move(v6);
    if (!groups.empty()) {
      json pairs = json::array();
      for (const auto& group : groups)
        pairs.push_back({{"GroupId", group.id}, {"Description", description}});
      permission["UserIdGroupPairs"] = std::move(pairs);
    }
    permissions.push_back(std::move(permission));
  }
  return permissions;
}

std::string authorizeCommand(const std::string& group_id, const json& permissions) {
  return "aws ec2 authorize-security-group-ingress --group-id " + shellQuote(group_id) +
         " \\\n  --ip-permissions " +
         shellQuote(permissions.dump(-1, ' ', false, json::error_handler_t::replace)) + "\n";
}

// One resource per source per port pair.
// One aws_vpc_security_group_ingress_rule from `source_key` (cidr_ipv4, cidr_ipv6 or
// referenced_security_group_id) = `source`, its attributes aligned as `terraform fmt` aligns them.
std::string ingressResource(const std::string& name, const std::string& group_id, core::Protocol protocol,
                            const AwsPorts& pair, const std::string& source_key, const std::string& source,
                            const std::string& description) {
  std::vector<std::pair<std::string, std::string>> attributes = {{"security_group_id", hclString(group_id)},
                                                                 {source_key, hclString(source)}};
  // Terraform refuses ports with ip_protocol "-1".
  if (!protocol.isAny()) {
    attributes.emplace_back("from_port", std::to_string(pair.from));
    attributes.emplace_back("to_port", std::to_string(pair.to));
  }
  attributes.emplace_back("ip_protocol", hclString(ipProtocol(protocol)));
  attributes.emplace_back("description", hclString(description));
  std::size_t width = 0;
  for (const auto& [key, value] : attributes)
    width = std::max(width, key.size());
  std::string out = "resource \"aws_vpc_security_group_ingress_rule\" \"" + name + "\" {\n";
  for (const auto& [key, value] : attributes)
    out += "  " + key + std::string(width - key.size(), ' ') + " = " + value + "\n";
  return out + "}\n";
}

// One resource per source (CIDR or group) per port pair.
std::string terraformResources(const std::string& group_id, core::Protocol protocol,
                               const core::PortSet& ports, const std::vector<core::Cidr>& sources,
                               const std::string& description, const GroupSources& groups = {}) {
  std::string out;
  for (const auto& pair : portPairs(protocol, ports)) {
    const std::string prefix = "sgaudit_" + labelWord(group_id) + "_" + labelWord(ipProtocol(protocol)) +
                               "_" + labelWord(std::to_string(pair.from)) + "_" +
                               labelWord(std::to_string(pair.to)) + "_";
    for (const auto& group : groups) {
      out += ingressResource(prefix + "from_" + labelWord(group.id), group_id, protocol, pair,
                             "referenced_security_group_id", group.id, description);
    }
    for (const auto& cidr : sources) {
      const std::string cidr_text = cidr.toString();
      out += ingressResource(prefix + labelWord(cidr_text), group_id, protocol, pair,
                             cidr.family() == core::IpFamily::V4 ? "cidr_ipv4" : "cidr_ipv6", cidr_text,
                             description);
    }
  }
  return out;
}

// The permission that names an existing rule for revoke-security-group-ingress, by content.
json revokePermission(const core::SecurityGroupRule& rule) {
  json permissions = json::array();
  for (const auto& pair : portPairs(rule.protocol, rule.ports)) {
    json permission = {
        {"IpProtocol", ipProtocol(rule.protocol)}, {"FromPort", pair.from}, {"ToPort", pair.to}};
    if (const auto* cidr = std::get_if<core::Cidr>(&rule.source)) {
      if (cidr->family() == core::IpFamily::V4) {
        permission["IpRanges"] = json::array({{{"CidrIp", cidr->toString()}}});
      } else {
        permission["Ipv6Ranges"] = json::array({{{"CidrIpv6", cidr->toString()}}});
      }
    } else if (const auto* group = std::get_if<core::SecurityGroupRef>(&rule.source)) {
      permission["UserIdGroupPairs"] = json::array({{{"GroupId", group->id}}});
    } else if (const auto* list = std::get_if<core::PrefixListRef>(&rule.source)) {
      permission["PrefixListIds"] = json::array({{{"PrefixListId", list->id}}});
    } else {
      return json();  // not a source an AWS rule can have
    }
    permissions.push_back(std::move(permission));
  }
  return permissions;
}

}  // namespace

std::vector<core::Fix> renderFixes(const core::AllowIngressPlan& plan) {
  if ((plan.sources.empty() && plan.source_groups.empty()) || (plan.protocol.hasKey() && plan.ports.empty()))
    return {};
  const std::string description = awsDescription(plan.description);
  const std::string what = "Allow " + trafficText(plan.protocol, plan.ports) + " from " +
                           sourcesText(plan.sources, plan.source_groups) + " into " +
                           groupText(plan.group_id, plan.group_name);
  std::string shell = comment(what);
  shell += authorizeCommand(plan.group_id, authorizePermissions(plan.protocol, plan.ports, plan.sources,
                                                                description, plan.source_groups));
  std::string hcl = comment(what);
  hcl += terraformResources(plan.group_id, plan.protocol, plan.ports, plan.sources, description,
                            plan.source_groups);
  return {
      core::Fix{"aws-cli", what + " (AWS CLI)", "shell", std::move(shell)},
      core::Fix{"terraform", what + " (Terraform)", "hcl", std::move(hcl)},
  };
}

std::vector<core::Fix> renderFixes(const core::NarrowRulePlan& plan) {
  const core::SecurityGroupRule& rule = plan.rule;
  const std::string description = awsDescription(plan.description);
  const std::string rule_text =
      trafficText(rule.protocol, rule.ports) + " from " + core::describe(rule.source);
  const std::string group = groupText(plan.group_id, plan.group_name);
  const std::string what = plan.narrower.empty() ? "Remove the rule allowing " + rule_text + " from " + group
                                                 : "Narrow the rule allowing " + rule_text + " in " + group +
                                                       " to " + std::to_string(plan.narrower.size()) +
                                                       (plan.narrower.size() == 1 ? " source" : " sources");

  std::string shell = comment(what);
  if (!plan.narrower.empty()) {
    shell += comment("First allow the narrower sources, so that wanted traffic keeps flowing:");
    shell += authorizeCommand(plan.group_id,
                              authorizePermissions(rule.protocol, rule.ports, plan.narrower, description));
    shell += comment("then remove the broad rule:");
  }
  const std::string& rule_id = rule.origin.rule_id;
  if (rule_id.starts_with("sgr-")) {
    shell += "aws ec2 revoke-security-group-ingress --group-id " + shellQuote(plan.group_id) +
             " \\\n  --security-group-rule-ids " + shellQuote(rule_id) + "\n";
  } else if (const json permissions = revokePermission(rule); !permissions.is_null()) {
    shell += "aws ec2 revoke-security-group-ingress --group-id " + shellQuote(plan.group_id) +
             " \\\n  --ip-permissions " +
             shellQuote(permissions.dump(-1, ' ', false, json::error_handler_t::replace)) + "\n";
  } else {
    shell += comment("The rule's source (" + core::describe(rule.source) +
                     ") is not one AWS can name: remove it in the console.");
  }

  std::string hcl = comment(what);
  hcl +=
      comment("Delete (or narrow) the aws_vpc_security_group_ingress_rule that allows " + rule_text +
              (rule_id.empty() ? std::string() : " (rule " + rule_id + ")") + " in " + plan.group_id + ".");
  if (!plan.narrower.empty()) {
    hcl += comment("Add these in its place:");
    hcl += terraformResources(plan.group_id, rule.protocol, rule.ports, plan.narrower, description);
  }
  return {
      core::Fix{"aws-cli", what + " (AWS CLI)", "shell", std::move(shell)},
      core::Fix{"terraform", what + " (Terraform)", "hcl", std::move(hcl)},
  };
}

}  // namespace sgaudit::cloud::aws
