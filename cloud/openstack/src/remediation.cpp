#include "sgaudit/cloud/openstack/remediation.hpp"
#include "sgaudit/cloud/render_text.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sgaudit::cloud::openstack {
namespace {

// Neutron keeps descriptions to 255 characters.
std::string neutronDescription(std::string_view text) {
  if (text.size() <= 255) return std::string(text);
  std::size_t cut = 255;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80)
    --cut;  // whole UTF-8 characters
  return std::string(text.substr(0, cut));
}

// Protocol as Neutron names it; nullopt for any.
std::optional<std::string> neutronProtocol(core::Protocol protocol) {
  if (protocol.isAny()) return std::nullopt;
  if (protocol == core::Protocol::icmpv6()) return "ipv6-icmp";
  if (protocol == core::Protocol::tcp() || protocol == core::Protocol::udp() ||
      protocol == core::Protocol::icmp() || protocol == core::Protocol::sctp()) {
    return protocol.name();
  }
  return std::to_string(protocol.number());
}

// One Neutron rule's port_range_min/max: ports, or ICMP type and (optional) code; none for all.
struct NeutronRange {
  std::optional<int> min;
  std::optional<int> max;
};

// The ranges one rule each for a key set. ICMP keys become (type, code) pairs, a whole type with no code, and
// a range over part of a type's codes one rule per code.
std::vector<NeutronRange> neutronRanges(core::Protocol protocol, const core::PortSet& ports) {
  if (!protocol.hasKey() || ports.isAll()) return {NeutronRange{}};
  std::vector<NeutronRange> out;
  if (!protocol.isIcmp()) {
    for (const auto& range : ports.ranges())
      out.push_back({range.first, range.last});
    return out;
  }
  for (const auto& range : ports.ranges()) {
    for (int type = range.first / 256; type <= range.last / 256; ++type) {
      const int low = std::max<int>(range.first, type * 256);
      const int high = std::min<int>(range.last, type * 256 + 255);
      if (low == type * 256 && high == type * 256 + 255) {
        out.push_back({type, std::nullopt});
      } else {
        for (int key = low; key <= high; ++key)
          out.push_back({type, key % 256});
      }
    }
  }
  return out;
}

std::string ethertype(const core::Cidr& cidr) {
  return cidr.family() == core::IpFamily::V4 ? "IPv4" : "IPv6";
}

// Where a new rule's traffic comes from: a CIDR, or (when `cidr` is unset) the members of `group`.
struct Remote {
  std::optional<core::Cidr> cidr;
  std::string group;
};

using GroupSources = std::vector<core::AllowIngressPlan::GroupSource>;

std::vector<Remote> remotesOf(const std::vector<core::Cidr>& sources, const GroupSources& groups) {
  std::vector<Remote> remotes;
  for (const auto& cidr : sources)
    remotes.push_back({cidr, {}});
  for (const auto& group : groups)
    remotes.push_back({std::nullopt, group.id});
  return remotes;
}

std::string createCommand(const std::string& group_id, core::Protocol protocol, const NeutronRange& range,
                          const Remote& remote, const std::string& description) {
  std::string command = "openstack security group rule create --ingress --ethertype " +
                        (remote.cidr ? ethertype(*remote.cidr) : std::string("IPv4")) + " --protocol " +
                        shellQuote(neutronProtocol(protocol).value_or("any"));
  if (protocol.isIcmp()) {
    if (range.min) command += " --icmp-type " + std::to_string(*range.min);
    if (range.max) command += " --icmp-code " + std::to_string(*range.max);
  } else if (range.min) {
    command += " --dst-port " + std::to_string(*range.min) + ":" + std::to_string(*range.max);
  }
  command += remote.cidr ? " \\\n  --remote-ip " + shellQuote(remote.cidr->toString())
                         : " \\\n  --remote-group " + shellQuote(remote.group);
  if (!description.empty()) command += " --description " + shellQuote(description);
  return command + " " + shellQuote(group_id) + "\n";
}

std::string createCommands(const std::string& group_id, core::Protocol protocol, const core::PortSet& ports,
                           const std::vector<core::Cidr>& sources, const std::string& description,
                           const GroupSources& groups = {}) {
  std::string out;
  for (const auto& range : neutronRanges(protocol, ports)) {
    for (const auto& remote : remotesOf(sources, groups))
      out += createCommand(group_id, protocol, range, remote, description);
  }
  return out;
}

std::string terraformResources(const std::string& group_id, core::Protocol protocol,
                               const core::PortSet& ports, const std::vector<core::Cidr>& sources,
                               const std::string& description, const GroupSources& groups = {}) {
  std::string out;
  const auto protocol_name = neutronProtocol(protocol);
  for (const auto& range : neutronRanges(protocol, ports)) {
    for (const auto& remote : remotesOf(sources, groups)) {
      const std::string cidr_text = remote.cidr ? remote.cidr->toString() : std::string();
      std::string name = "sgaudit_" + labelWord(group_id) + "_" + labelWord(protocol_name.value_or("any"));
      if (range.min) name += "_" + std::to_string(*range.min);
      if (range.max) name += "_" + std::to_string(*range.max);
      name += "_" + (remote.cidr ? labelWord(cidr_text) : "from_" + labelWord(remote.group));
      out += "resource \"openstack_networking_secgroup_rule_v2\" \"" + name + "\" {\n";
      out += "  direction         = \"ingress\"\n";
      out +=
          "  ethertype         = " + hclString(remote.cidr ? ethertype(*remote.cidr) : std::string("IPv4")) +
          "\n";
      if (protocol_name) out += "  protocol          = " + hclString(*protocol_name) + "\n";
      if (range.min) out += "  port_range_min    = " + std::to_string(*range.min) + "\n";
      if (range.max) out += "  port_range_max    = " + std::to_string(*range.max) + "\n";
      if (remote.cidr) {
        out += "  remote_ip_prefix  = " + hclString(cidr_text) + "\n";
      } else {
        out += "  remote_group_id   = " + hclString(remote.group) + "\n";
      }
      out += "  security_group_id = " + hclString(group_id) + "\n";
      if (!description.empty()) out += "  description       = " + hclString(description) + "\n";
      out += "}\n";
    }
  }
  return out;
}

}  // namespace

std::vector<core::Fix> renderFixes(const core::AllowIngressPlan& plan) {
  if ((plan.sources.empty() && plan.source_groups.empty()) || (plan.protocol.hasKey() && plan.ports.empty()))
    return {};
  const std::string description = neutronDescription(plan.description);
  const std::string what = "Allow " + trafficText(plan.protocol, plan.ports) + " from " +
                           sourcesText(plan.sources, plan.source_groups) + " into " +
                           groupText(plan.group_id, plan.group_name);
  return {
      core::Fix{"openstack-cli", what + " (OpenStack CLI)", "shell",
                comment(what) + createCommands(plan.group_id, plan.protocol, plan.ports, plan.sources,
                                               description, plan.source_groups)},
      core::Fix{"terraform", what + " (Terraform)", "hcl",
                comment(what) + terraformResources(plan.group_id, plan.protocol, plan.ports, plan.sources,
                                                   description, plan.source_groups)},
  };
}

std::vector<core::Fix> renderFixes(const core::NarrowRulePlan& plan) {
  const core::SecurityGroupRule& rule = plan.rule;
  const std::string description = neutronDescription(plan.description);
  const std::string rule_text =
      trafficText(rule.protocol, rule.ports) + " from " + core::describe(rule.source);
  const std::string group = groupText(plan.group_id, plan.group_name);
  const std::string what = plan.narrower.empty() ? "Remove the rule allowing " + rule_text + " from " + group
                                                 : "Narrow the rule allowing " + rule_text + " in " + group +
                                                       " to " + countOf(plan.narrower.size(), "source");
  const std::string& rule_id = rule.origin.rule_id;

  std::string shell = comment(what);
  if (!plan.narrower.empty()) {
    shell += comment("First allow the narrower sources, so that wanted traffic keeps flowing:");
    shell += createCommands(plan.group_id, rule.protocol, rule.ports, plan.narrower, description);
    shell += comment("then remove the broad rule:");
  }
  if (rule_id.empty()) {
    shell += comment("The rule's id is unknown: find it with `openstack security group rule list " +
                     plan.group_id + " --long` and run `openstack security group rule delete <rule-id>`.");
  } else {
    shell += "openstack security group rule delete " + shellQuote(rule_id) + "\n";
  }

  std::string hcl = comment(what);
  hcl +=
      comment("Delete the openstack_networking_secgroup_rule_v2 that allows " + rule_text +
              (rule_id.empty() ? std::string() : " (rule " + rule_id + ")") + " in " + plan.group_id + ".");
  if (!plan.narrower.empty()) {
    hcl += comment("Add these in its place:");
    hcl += terraformResources(plan.group_id, rule.protocol, rule.ports, plan.narrower, description);
  }
  return {
      core::Fix{"openstack-cli", what + " (OpenStack CLI)", "shell", std::move(shell)},
      core::Fix{"terraform", what + " (Terraform)", "hcl", std::move(hcl)},
  };
}

}  // namespace sgaudit::cloud::openstack
