#include "sgaudit/cloud/gcp/remediation.hpp"

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sgaudit/cloud/gcp/targets.hpp"
#include "sgaudit/cloud/render_text.hpp"

namespace sgaudit::cloud::gcp {
namespace {

// The network and targets of the group a plan names; a group id of no GCP shape is taken for a network
// name, with no targets.
Targets targetsOf(const std::string& group_id, const std::string& group_name) {
  if (auto targets = Targets::fromGroupId(group_id)) return *targets;
  std::string network = isTargetName(group_name) ? group_name : lastSegment(group_id);
  if (!isTargetName(network)) network = "default";
  return Targets::of(std::move(network), Targets::Kind::All, {});
}

// The protocol as a rule's IPProtocol names it: tcp, udp, icmp, esp, ah, sctp, ipip, all or its number.
std::string protocolName(core::Protocol protocol) {
  if (protocol.isAny()) return "all";
  switch (protocol.number()) {
    case 1:
      return "icmp";
    case 4:
      return "ipip";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 50:
      return "esp";
    case 51:
      return "ah";
    case 132:
      return "sctp";
    default:
      break;
  }
  return std::to_string(protocol.number());
}

// Ports as a rule lists them: "22", "8000-8100"; none when the rule takes every port (or the protocol has
// none: GCP cannot select ICMP types).
std::vector<std::string> portTexts(core::Protocol protocol, const core::PortSet& ports) {
  if (!protocol.hasPorts() || ports.isAll()) return {};
  std::vector<std::string> out;
  for (const auto& range : ports.ranges()) {
    out.push_back(range.first == range.last ? std::to_string(range.first)
                                            : std::to_string(range.first) + "-" + std::to_string(range.last));
  }
  return out;
}

// --rules=tcp:80,tcp:8000-8100, or --rules=icmp.
std::string rulesFlag(core::Protocol protocol, const core::PortSet& ports) {
  const std::string name = protocolName(protocol);
  const auto texts = portTexts(protocol, ports);
  if (texts.empty()) return name;
  std::string out;
  for (const auto& text : texts)
    out += (out.empty() ? "" : ",") + name + ":" + text;
  return out;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ",") + item;
  return out;
}

std::string hclList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i)
    out += (i == 0 ? "" : ", ") + hclString(items[i]);
  return out + "]";
}

std::vector<std::string> cidrTexts(const std::vector<core::Cidr>& cidrs) {
  std::vector<std::string> out;
  for (const auto& cidr : cidrs)
    out.push_back(cidr.toString());
  return out;
}

// FNV-1a: a stable digest for a rule's name, the same on every machine and run.
std::string digest(std::string_view text) {
  std::uint32_t hash = 2166136261u;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619u;
  }
  char out[9];
  std::snprintf(out, sizeof out, "%08x", hash);
  return out;
}

// A firewall rule name GCP accepts ([a-z]([-a-z0-9]{0,61}[a-z0-9])?), unique in the project for the rule's
// content: two node pools' rules for one port are two rules.
std::string ruleName(core::Protocol protocol, const core::PortSet& ports, std::string_view identity) {
  std::string port = ports.empty() || ports.isAll() || !protocol.hasPorts()
                         ? std::string()
                         : "-" + std::to_string(ports.ranges().front().first);
  std::string name = "sgaudit-allow-" + protocolName(protocol) + port + "-" + digest(identity);
  for (auto& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '-';
  }
  if (name.size() > 63) name = name.substr(0, 54) + "-" + digest(name).substr(0, 8);
  return name;
}

std::string targetFlags(const Targets& targets) {
  switch (targets.kind) {
    case Targets::Kind::Tags:
      return " \\\n  --target-tags=" + shellQuote(joined(targets.names));
    case Targets::Kind::ServiceAccounts:
      return " \\\n  --target-service-accounts=" + shellQuote(joined(targets.names));
    case Targets::Kind::All:
      break;
  }
  return "";
}

std::string ruleText(const core::NarrowRulePlan& plan, const Targets& targets) {
  const std::string& name = plan.rule.origin.rule_id;
  return "firewall rule " + (name.empty() ? std::string("(unnamed)") : name) + " of " + targets.groupName();
}

}  // namespace

std::vector<core::Fix> renderFixes(const core::AllowIngressPlan& plan) {
  if (plan.sources.empty() || plan.ports.empty()) return {};
  const Targets targets = targetsOf(plan.group_id, plan.group_name);
  const std::vector<std::string> sources = cidrTexts(plan.sources);
  const std::string rules = rulesFlag(plan.protocol, plan.ports);
  const std::string name =
      ruleName(plan.protocol, plan.ports,
               targets.groupId() + "|" + rules + "|" + joined(sources) + "|" + std::to_string(plan.priority));
  const std::string description = plan.description.substr(0, 2048);
  const std::string what = "Allow " + trafficText(plan.protocol, plan.ports) + " from " +
                           countOf(plan.sources.size(), "source") + " into " + targets.groupName() +
                           " at priority " + std::to_string(plan.priority);
  std::string notes;
  if (targets.kind == Targets::Kind::All) {
    notes += comment("With no target the rule applies to every instance of network " + targets.network +
                     ": give the nodes a network tag and add --target-tags to open no other instance.");
  }
  if (!plan.source_groups.empty()) {
    notes += comment(
        "A rule names instances as sources by sourceTags or sourceServiceAccounts, not by the rules that "
        "target them: add their tags, or their addresses.");
  }
  std::string shell = comment(what) + notes + "gcloud compute firewall-rules create " + shellQuote(name) +
                      " \\\n  --network=" + shellQuote(targets.network) +
                      " --direction=INGRESS --action=ALLOW --rules=" + shellQuote(rules) +
                      " --priority=" + std::to_string(plan.priority) +
                      " \\\n  --source-ranges=" + shellQuote(joined(sources)) + targetFlags(targets) +
                      (description.empty() ? "" : " \\\n  --description=" + shellQuote(description)) + "\n";

  std::string hcl = comment(what) + notes;
  hcl += "resource \"google_compute_firewall\" \"" + terraformLabel(name) + "\" {\n";
  hcl += "  name          = " + hclString(name) + "\n";
  hcl += "  network       = " + hclString(targets.network) + "\n";
  hcl += "  direction     = \"INGRESS\"\n";
  hcl += "  priority      = " + std::to_string(plan.priority) + "\n";
  hcl += "  source_ranges = " + hclList(sources) + "\n";
  if (targets.kind == Targets::Kind::Tags) hcl += "  target_tags   = " + hclList(targets.names) + "\n";
  if (targets.kind == Targets::Kind::ServiceAccounts)
    hcl += "  target_service_accounts = " + hclList(targets.names) + "\n";
  if (!description.empty()) hcl += "  description   = " + hclString(description) + "\n";
  hcl += "\n  allow {\n";
  hcl += "    protocol = " + hclString(protocolName(plan.protocol)) + "\n";
  if (const auto ports = portTexts(plan.protocol, plan.ports); !ports.empty())
    hcl += "    ports    = " + hclList(ports) + "\n";
  hcl += "  }\n}\n";
  return {core::Fix{"gcloud", what + " (gcloud)", "shell", shell},
          core::Fix{"terraform", what + " (Terraform)", "hcl", hcl}};
}

std::vector<core::Fix> renderFixes(const core::NarrowRulePlan& plan) {
  const Targets targets = targetsOf(plan.group_id, plan.group_name);
  const std::string& name = plan.rule.origin.rule_id;
  const std::string rule = ruleText(plan, targets);
  const std::string what = plan.narrower.empty() ? "Delete " + rule
                                                 : "Narrow the source ranges of " + rule + " to " +
                                                       countOf(plan.narrower.size(), "source");
  std::string shell = comment(what);
  std::string hcl = comment(what);
  if (plan.narrower.empty()) {
    shell += "gcloud compute firewall-rules delete " + shellQuote(name) + " --quiet\n";
    hcl +=
        comment("Delete the google_compute_firewall named " + name + " (network " + targets.network + ").");
  } else {
    const std::string source = core::describe(plan.rule.source);
    const std::vector<std::string> narrower = cidrTexts(plan.narrower);
    shell += comment(
        "sourceRanges hold for every protocol and port the rule lists, and the new list replaces the "
        "old: keep its ranges other than " +
        source + ".");
    shell += "gcloud compute firewall-rules update " + shellQuote(name) +
             " \\\n  --source-ranges=" + shellQuote(joined(narrower)) + "\n";
    hcl += comment("In the google_compute_firewall named " + name + " (network " + targets.network +
                   "), replace " + source + " in source_ranges by:");
    hcl += "  source_ranges = " + hclList(narrower) + "\n";
  }
  return {core::Fix{"gcloud", what + " (gcloud)", "shell", shell},
          core::Fix{"terraform", what + " (Terraform)", "hcl", hcl}};
}

}  // namespace sgaudit::cloud::gcp
