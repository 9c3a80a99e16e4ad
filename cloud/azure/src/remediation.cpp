#include "sgaudit/cloud/azure/remediation.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sgaudit/cloud/render_text.hpp"

namespace sgaudit::cloud::azure {
namespace {

// The segment after `key` in a resource id ("resourceGroups" -> "rg1"), or "".
std::string segmentAfter(std::string_view id, std::string_view key) {
  auto lower = [](std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
  };
  const std::string wanted = lower(key);
  std::size_t at = 0;
  while (at < id.size()) {
    const auto end = std::min(id.find('/', at), id.size());
    if (lower(id.substr(at, end - at)) == wanted && end < id.size()) {
      const auto next = std::min(id.find('/', end + 1), id.size());
      return std::string(id.substr(end + 1, next - end - 1));
    }
    at = end + 1;
  }
  return {};
}

struct Nsg {
  std::string resource_group;
  std::string name;
};

Nsg nsgOf(const std::string& group_id, const std::string& group_name) {
  Nsg nsg{segmentAfter(group_id, "resourceGroups"), segmentAfter(group_id, "networkSecurityGroups")};
  if (nsg.name.empty()) nsg.name = group_name.empty() ? group_id : group_name;
  return nsg;
}

// Protocol as an NSG rule names it; nullopt when NSG rules cannot name it (they take Tcp, Udp, Icmp, Esp, Ah
// or *).
std::optional<std::string> nsgProtocol(core::Protocol protocol) {
  if (protocol.isAny()) return "*";
  if (protocol == core::Protocol::tcp()) return "Tcp";
  if (protocol == core::Protocol::udp()) return "Udp";
  if (protocol == core::Protocol::icmp()) return "Icmp";
  if (protocol.number() == 50) return "Esp";
  if (protocol.number() == 51) return "Ah";
  return std::nullopt;
}

std::vector<std::string> portRanges(core::Protocol protocol, const core::PortSet& ports) {
  if (!protocol.hasKey() || protocol.isIcmp() || ports.isAll()) return {"*"};
  std::vector<std::string> out;
  for (const auto& range : ports.ranges()) {
    out.push_back(range.first == range.last ? std::to_string(range.first)
                                            : std::to_string(range.first) + "-" + std::to_string(range.last));
  }
  return out;
}

// A rule name Azure accepts: up to 80 of letters, digits, '_', '.', '-', starting with a letter or digit and
// ending with a letter, digit or '_'.
std::string ruleName(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out += std::isalnum(u) || c == '_' || c == '.' || c == '-' ? c : '-';
  }
  if (out.size() > 80) out.resize(80);
  while (!out.empty() && !std::isalnum(static_cast<unsigned char>(out.back())) && out.back() != '_')
    out.pop_back();
  return out.empty() ? "sgaudit" : out;
}

std::string words(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += " " + shellQuote(item);
  return out;
}

std::string hclList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i)
    out += (i == 0 ? "" : ", ") + hclString(items[i]);
  return out + "]";
}

// `az network nsg rule create` and its Terraform for one rule.
struct NewRule {
  Nsg nsg;
  std::string name;
  int priority = 0;
  std::string protocol;
  std::vector<std::string> ports;
  std::vector<std::string> sources;
  std::string description;
};

std::string createCommand(const NewRule& rule) {
  return "az network nsg rule create --resource-group " + shellQuote(rule.nsg.resource_group) +
         " --nsg-name " + shellQuote(rule.nsg.name) + " \\\n  --name " + shellQuote(rule.name) +
         " --priority " + std::to_string(rule.priority) + " --direction Inbound --access Allow --protocol " +
         shellQuote(rule.protocol) + " \\\n  --source-address-prefixes" + words(rule.sources) +
         " --source-port-ranges '*' \\\n  --destination-address-prefixes '*' --destination-port-ranges" +
         words(rule.ports) +
         (rule.description.empty() ? "" : " \\\n  --description " + shellQuote(rule.description)) + "\n";
}

std::string terraformRule(const NewRule& rule) {
  std::string out =
      "resource \"azurerm_network_security_rule\" \"" + terraformLabel("sgaudit_" + rule.name) + "\" {\n";
  out += "  name                        = " + hclString(rule.name) + "\n";
  out += "  priority                    = " + std::to_string(rule.priority) + "\n";
  out += "  direction                   = \"Inbound\"\n";
  out += "  access                      = \"Allow\"\n";
  out += "  protocol                    = " + hclString(rule.protocol) + "\n";
  out += "  source_port_range           = \"*\"\n";
  if (rule.ports.size() == 1) {
    out += "  destination_port_range      = " + hclString(rule.ports.front()) + "\n";
  } else {
    out += "  destination_port_ranges     = " + hclList(rule.ports) + "\n";
  }
  if (rule.sources.size() == 1) {
    out += "  source_address_prefix       = " + hclString(rule.sources.front()) + "\n";
  } else {
    out += "  source_address_prefixes     = " + hclList(rule.sources) + "\n";
  }
  out += "  destination_address_prefix  = \"*\"\n";
  out += "  resource_group_name         = " + hclString(rule.nsg.resource_group) + "\n";
  out += "  network_security_group_name = " + hclString(rule.nsg.name) + "\n";
  if (!rule.description.empty())
    out += "  description                 = " + hclString(rule.description) + "\n";
  return out + "}\n";
}

std::vector<std::string> cidrTexts(const std::vector<core::Cidr>& cidrs) {
  std::vector<std::string> out;
  for (const auto& cidr : cidrs)
    out.push_back(cidr.toString());
  return out;
}

}  // namespace

std::vector<core::Fix> renderFixes(const core::AllowIngressPlan& plan) {
  const auto protocol = nsgProtocol(plan.protocol);
  if (plan.sources.empty() || plan.ports.empty() || !protocol) return {};
  NewRule rule;
  rule.nsg = nsgOf(plan.group_id, plan.group_name);
  rule.protocol = *protocol;
  rule.ports = portRanges(plan.protocol, plan.ports);
  rule.name =
      ruleName("sgaudit-allow-" + *protocol + "-" + rule.ports.front() + "-" + std::to_string(plan.priority));
  rule.priority = plan.priority;
  rule.sources = cidrTexts(plan.sources);
  rule.description = plan.description.substr(0, 140);
  const std::string what = "Allow " + trafficText(plan.protocol, plan.ports) + " from " +
                           countOf(plan.sources.size(), "source") + " into NSG " + rule.nsg.name +
                           " at priority " + std::to_string(plan.priority);
  std::string shell = comment(what) + createCommand(rule);
  std::string hcl = comment(what) + terraformRule(rule);
  if (!plan.source_groups.empty()) {
    const std::string note =
        "NSG rules cannot name a group's members: add their addresses, or put them in an "
        "application security group";
    shell += comment(note);
    hcl += comment(note);
  }
  return {core::Fix{"az", what + " (Azure CLI)", "shell", shell},
          core::Fix{"terraform", what + " (Terraform)", "hcl", hcl}};
}

std::vector<core::Fix> renderFixes(const core::NarrowRulePlan& plan) {
  const Nsg nsg = nsgOf(plan.group_id, plan.group_name);
  const std::string& name = plan.rule.origin.rule_id;
  const std::string rule_text =
      "rule " + (name.empty() ? std::string("(unnamed)") : name) + " of NSG " + nsg.name;
  const std::string what = plan.narrower.empty() ? "Delete " + rule_text
                                                 : "Narrow the source of " + rule_text + " to " +
                                                       countOf(plan.narrower.size(), "source");
  const std::string target = " --resource-group " + shellQuote(nsg.resource_group) + " --nsg-name " +
                             shellQuote(nsg.name) + " --name " + shellQuote(name);
  std::string shell = comment(what);
  std::string hcl = comment(what);
  if (plan.narrower.empty()) {
    shell += "az network nsg rule delete" + target + "\n";
    hcl += comment("Delete the azurerm_network_security_rule named " + name + " in " + nsg.name + ".");
  } else {
    const std::string source = core::describe(plan.rule.source);
    shell += comment("The rule may list other sources besides " + source + ": keep them in the list.");
    shell += "az network nsg rule update" + target + " \\\n  --source-address-prefixes" +
             words(cidrTexts(plan.narrower)) + "\n";
    hcl += comment("In the azurerm_network_security_rule named " + name + " in " + nsg.name + ", replace " +
                   source + " by:");
    hcl += "  source_address_prefixes = " + hclList(cidrTexts(plan.narrower)) + "\n";
  }
  return {core::Fix{"az", what + " (Azure CLI)", "shell", shell},
          core::Fix{"terraform", what + " (Terraform)", "hcl", hcl}};
}

}  // namespace sgaudit::cloud::azure
