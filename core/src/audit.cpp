#include "sgaudit/core/audit.hpp"

#include <algorithm>
#include <memory>
#include <set>

#include <nlohmann/json.hpp>

#include "sgaudit/core/firewall.hpp"
#include "sgaudit/core/host_ports.hpp"
#include "sgaudit/core/json.hpp"
#include "sgaudit/core/node_mapping.hpp"

namespace sgaudit::core {
namespace {

std::string portLabel(int port, PortProtocol protocol) {
  return std::to_string(port) + "/" + toString(protocol);
}

Protocol firewallProtocol(PortProtocol protocol) {
  switch (protocol) {
    case PortProtocol::Tcp:
      return Protocol::tcp();
    case PortProtocol::Udp:
      return Protocol::udp();
    case PortProtocol::Sctp:
      return Protocol::sctp();
  }
  return Protocol::tcp();
}

std::string joinCidrs(const std::vector<Cidr>& cidrs, std::size_t limit = 6) {
  std::string text;
  for (std::size_t i = 0; i < cidrs.size() && i < limit; ++i)
    text += (i == 0 ? "" : ", ") + cidrs[i].toString();
  if (cidrs.size() > limit) text += " and " + std::to_string(cidrs.size() - limit) + " more";
  return text;
}

const AddressSet& privateSpace() {
  static const AddressSet space = [] {
    AddressSet set;
    for (const char* cidr : {"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
                             "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7", "fe80::/10"}) {
      set.add(*Cidr::parse(cidr));
    }
    return set;
  }();
  return space;
}

// The security groups of every input, merged by id: a v3 group listing gives names, a rule listing gives
// rules.
struct GroupIndex {
  struct Entry {
    std::shared_ptr<SecurityGroup> group;
    const CloudSecurityGroup* first = nullptr;
  };
  std::map<std::string, Entry> by_id;
  std::map<std::string, std::string> id_by_name;

  explicit GroupIndex(const CloudInventory& cloud) {
    for (const auto& input : cloud.security_groups) {
      auto& entry = by_id[input.group->id];
      if (!entry.group) {
        entry.group = std::make_shared<SecurityGroup>();
        entry.group->id = input.group->id;
        entry.first = &input;
      }
      if (entry.group->name.empty()) entry.group->name = input.group->name;
      std::set<std::string> known;
      for (const auto& rule : entry.group->rules) {
        if (!rule.origin.ruleId.empty()) known.insert(rule.origin.ruleId);
      }
      for (const auto& rule : input.group->rules) {
        if (!rule.origin.ruleId.empty() && known.count(rule.origin.ruleId) > 0) continue;
        entry.group->rules.push_back(rule);
      }
    }
    for (auto& [id, entry] : by_id) {
      for (auto& rule : entry.group->rules) {
        if (rule.origin.groupName.empty()) rule.origin.groupName = entry.group->name;
        if (rule.origin.groupId.empty()) rule.origin.groupId = id;
      }
      if (!entry.group->name.empty()) id_by_name[entry.group->name] = id;
    }
  }

  const Entry* find(const std::string& id) const {
    std::string key = id;
    if (id.starts_with("name:")) {
      const auto it = id_by_name.find(id.substr(5));
      if (it == id_by_name.end()) return nullptr;
      key = it->second;
    }
    const auto it = by_id.find(key);
    return it == by_id.end() ? nullptr : &it->second;
  }

  const SecurityGroupRule* rule(const RuleOrigin& origin) const {
    const Entry* entry = find(origin.groupId);
    if (entry == nullptr) return nullptr;
    for (const auto& rule : entry->group->rules) {
      if (rule.origin == origin) return &rule;
    }
    return nullptr;
  }
};

std::string groupLabel(const RuleOrigin& origin) {
  return origin.groupName.empty() ? origin.groupId : origin.groupName;
}

std::string describeRule(const RuleOrigin& origin) {
  std::string text = "rule " + (origin.ruleId.empty() ? std::string("(no id)") : origin.ruleId);
  if (!origin.description.empty()) text += " \"" + origin.description + "\"";
  return text + " of " + groupLabel(origin);
}

struct NodeFirewall {
  std::string instance_id;
  std::string provider;
  std::vector<std::string> group_ids;
  CompiledFirewall compiled;
  std::string primary_group_id;  // where fixes go
  std::string primary_group_name;
  // The address families the node has addresses in (its instance's and its own): a requirement of a family it
  // has no address in cannot be met by any rule, so it is not asked of its security groups. Empty = unknown.
  AddressSet families;
};

class Auditor {
 public:
  explicit Auditor(const AuditInput& input) : input_(input), groups_(input.cloud), compiler_(resolver_) {}

  AuditResult run() {
    buildResolver();
    mapNodes();
    HostPortOptions options;
    options.node_port_min = input_.policy.node_port_min;
    options.node_port_max = input_.policy.node_port_max;
    model_ = buildHostPortModel(input_.cluster, options);
    checkHostPortReach();
    checkNodepoolConsistency();
    checkSensitivePorts();
    for (auto& finding : checkHostPorts(input_.cluster, options))
      result_.findings.push_back(std::move(finding));
    mergePlans();
    applySuppressions();
    sortFindings(result_.findings);
    return std::move(result_);
  }

 private:
  void buildResolver() {
    for (const auto& group_entry : groups_.by_id) {
      const std::string& id =
          group_entry.first;  // named, not bound: lambdas cannot capture bindings in C++20
      AddressSet members;
      bool any = false;
      for (const auto& instance : input_.cloud.instances) {
        const bool member = std::any_of(instance.security_group_ids.begin(),
                                        instance.security_group_ids.end(), [&](const std::string& g) {
                                          const auto* found = groups_.find(g);
                                          return found != nullptr && found->group->id == id;
                                        });
        if (!member) continue;
        any = true;
        for (const auto& ip : instance.private_ips) {
          if (auto address = IpAddress::parse(ip)) members = members.unite(AddressSet::of(*address));
        }
      }
      // Only groups some listed instance carries resolve; others stay symbolic rather than "nobody".
      if (any) resolver_.securityGroupMembers[id] = members;
    }
    for (const auto& set : input_.cloud.address_sets) {
      // A listing of prefix lists names them without entries: those stay unresolved, never "nobody".
      if (set.entries.empty() && set.addresses.empty()) continue;
      auto& target = (set.kind == "prefix-list" ? resolver_.prefixLists : resolver_.addressGroups)[set.id];
      target = target.unite(set.addresses);
    }
  }

  void mapNodes() {
    const NodeMapping mapping =
        mapNodesToInstances(input_.cluster.nodes, input_.cloud, input_.node_instance_map);
    for (const auto& match : mapping.matched) {
      result_.nodes.push_back({match.node, match.instance->id, toString(match.method)});
      NodeFirewall firewall;
      firewall.instance_id = match.instance->id;
      FirewallLayer layer;
      layer.name = "security groups of " + match.instance->id;
      bool first = true;
      for (const auto& id : match.instance->security_group_ids) {
        const GroupIndex::Entry* entry = groups_.find(id);
        if (entry == nullptr) {
          result_.warnings.push_back("node " + match.node + ": security group " + id + " of instance " +
                                     match.instance->id +
                                     " is not among the inputs; its rules are not counted");
          continue;
        }
        if (first) {
          layer.model = entry->first->model;
          firewall.provider = entry->first->provider;
          first = false;
        }
        layer.groups.push_back(entry->group);
        firewall.group_ids.push_back(entry->group->id);
      }
      if (layer.groups.empty()) {
        result_.warnings.push_back("node " + match.node +
                                   ": none of its security groups is among the inputs");
        continue;
      }
      firewall.primary_group_id = firewall.group_ids.front();
      for (const auto& cluster : input_.cloud.clusters) {
        for (const auto& id : cluster.node_security_group_ids) {
          if (std::find(firewall.group_ids.begin(), firewall.group_ids.end(), id) !=
              firewall.group_ids.end()) {
            firewall.primary_group_id = id;
          }
        }
      }
      firewall.primary_group_name = groups_.find(firewall.primary_group_id)->group->name;
      firewall.compiled = compiler_.compile(Firewall{{layer}});
      std::vector<std::string> addresses = match.instance->private_ips;
      addresses.insert(addresses.end(), match.instance->public_ips.begin(), match.instance->public_ips.end());
      for (const auto& node : input_.cluster.nodes) {
        if (node.name != match.node) continue;
        addresses.insert(addresses.end(), node.internal_ips.begin(), node.internal_ips.end());
        addresses.insert(addresses.end(), node.external_ips.begin(), node.external_ips.end());
      }
      for (const auto& text : addresses) {
        if (auto address = IpAddress::parse(text)) {
          firewall.families = firewall.families.unite(address->family == IpFamily::V6 ? AddressSet::allV6()
                                                                                      : AddressSet::allV4());
        }
      }
      firewalls_.emplace(match.node, std::move(firewall));
    }
    for (const auto& unmatched : mapping.unmatched) {
      result_.nodes.push_back({unmatched.node, "", unmatched.reason});
      if (!input_.cloud.instances.empty() || !input_.cloud.security_groups.empty()) {
        result_.warnings.push_back("node " + unmatched.node +
                                   " is not matched to a cloud instance: " + unmatched.reason);
      }
    }
  }

  // The addresses a source class or literal stands for; empty with a warning when the inputs do not say.
  AddressSet sourceSet(const std::string& source) {
    AddressSet set;
    if (source == "internet") return AddressSet::all();
    if (source == "vpc") {
      std::set<std::string> vpcs;
      for (const auto& cluster : input_.cloud.clusters) {
        if (!cluster.vpc_id.empty()) vpcs.insert(cluster.vpc_id);
      }
      for (const auto& network : input_.cloud.networks) {
        if (network.kind != "vpc" || (!vpcs.empty() && vpcs.count(network.id) == 0)) continue;
        for (const auto& cidr : network.cidrs)
          set.add(*Cidr::parse(cidr));
      }
    } else if (source == "nodes") {
      for (const auto& node : input_.cluster.nodes) {
        for (const auto& ip : node.internal_ips) {
          if (auto address = IpAddress::parse(ip)) set = set.unite(AddressSet::of(*address));
        }
      }
    } else if (source == "pods") {
      for (const auto& cluster : input_.cloud.clusters) {
        for (const auto& cidr : cluster.container_cidrs)
          set.add(*Cidr::parse(cidr));
      }
    } else if (const auto it = input_.policy.named_sources.find(source);
               it != input_.policy.named_sources.end()) {
      for (const auto& cidr : it->second)
        set.add(*Cidr::parse(cidr));
    } else if (auto cidr = Cidr::parse(source)) {
      set.add(*cidr);
    }
    if (set.empty() && warned_sources_.insert(source).second) {
      result_.warnings.push_back("source \"" + source +
                                 "\" stands for no address in these inputs; it is not checked");
    }
    return set;
  }

  struct Requirement {
    AddressSet addresses;
    std::vector<std::string> names;
    std::string why;
  };

  Requirement requirementFor(const WorkloadUnit& unit) {
    Labels labels;
    std::map<std::string, std::string> annotations;
    if (unit.workload != nullptr) {
      labels = unit.workload->template_labels;
      annotations = unit.workload->annotations;
    } else if (!unit.pods.empty()) {
      labels = unit.pods.front()->labels;
    }
    Requirement requirement;
    requirement.names = requiredSourcesFor(input_.policy, unit.identity.kind, unit.identity.namespace_name,
                                           unit.identity.name, labels, annotations, &requirement.why);
    for (const auto& name : requirement.names)
      requirement.addresses = requirement.addresses.unite(sourceSet(name));
    return requirement;
  }

  // "members of cce-demo-cce-control-q8w3 (c31f...)" where the group's name is known.
  std::string describeSource(const UnresolvedSource& unresolved) const {
    const SecurityGroupRule* rule = groups_.rule(unresolved.rule);
    if (rule != nullptr) {
      if (const auto* ref = std::get_if<SecurityGroupRef>(&rule->source)) {
        const GroupIndex::Entry* entry = groups_.find(ref->id);
        if (entry != nullptr && !entry->group->name.empty())
          return "members of " + entry->group->name + " (" + ref->id + ")";
      }
    }
    return unresolved.source;
  }

  // Who is admitted and by which rule, in words: "10.1.0.0/16 by rule ... of group ...; members of sg-x".
  std::string describeAdmitted(const RequirementCheck& check, const PortIntervalAnswer& answer) const {
    // Under the union model one rule is credited with the addresses two rules admit; a CIDR rule is shown
    // with all it admits ("10.0.0.0/8"), not with the pieces left to it (26 CIDRs around a node address).
    std::map<std::string, AddressSet> by_rule;
    for (const auto& piece : answer.pieces) {
      if (piece.verdict != RuleAction::Allow) continue;
      for (const auto& decision : piece.decisions) {
        const std::string rule = decision.rule ? describeRule(*decision.rule) : "no rule";
        AddressSet& set = by_rule[rule];
        set = set.unite(piece.addresses);
        const SecurityGroupRule* found = decision.rule ? groups_.rule(*decision.rule) : nullptr;
        if (found == nullptr) continue;
        if (const auto* cidr = std::get_if<Cidr>(&found->source))
          set = set.unite(AddressSet::of(*cidr).intersect(answer.admitted));
      }
    }
    (void)check;
    std::string text;
    for (const auto& [rule, set] : by_rule) {
      text += (text.empty() ? "" : "; ") + joinCidrs(set.toCidrs()) + " by " + rule;
    }
    for (const auto& unresolved : answer.unresolved) {
      if (unresolved.action != RuleAction::Allow) continue;
      text +=
          (text.empty() ? "" : "; ") + describeSource(unresolved) + " by " + describeRule(unresolved.rule);
    }
    return text.empty() ? "nothing" : text;
  }

  // "0.0.0.0/0 except 10.1.0.0/16, 172.16.0.0/16" reads better than the 30 CIDRs of the difference.
  static std::string describeMissing(const AddressSet& required, const RequirementCheck& check,
                                     const std::vector<Cidr>& missing_cidrs) {
    const AddressSet admitted = required.subtract(check.missing);
    const auto admitted_cidrs = admitted.toCidrs();
    if (admitted.empty() || missing_cidrs.size() <= admitted_cidrs.size() + 1)
      return joinCidrs(missing_cidrs);
    return joinCidrs(required.toCidrs()) + " except " + joinCidrs(admitted_cidrs);
  }

  static std::string describeMissingDecision(const std::vector<AddressPiece>& missing_decided_by) {
    std::set<std::string> reasons;
    for (const auto& piece : missing_decided_by) {
      for (const auto& decision : piece.decisions) {
        reasons.insert(decision.rule ? "denied by " + describeRule(*decision.rule)
                                     : "no rule matched: default deny");
      }
    }
    std::string text;
    for (const auto& reason : reasons)
      text += (text.empty() ? "" : "; ") + reason;
    return text;
  }

  void checkHostPortReach() {
    // (unit, node, protocol, port): the uses that put the port there.
    std::map<std::tuple<std::size_t, std::string, PortProtocol, int>, std::vector<const HostPortUse*>> wanted;
    for (const auto& use : model_.uses) {
      if (!use.node.empty()) {
        wanted[{use.unit, use.node, use.protocol, use.port}].push_back(&use);
        continue;
      }
      // A template without pods: every node its spec allows is where it may land.
      for (const auto& [node_name, firewall] : firewalls_)
        wanted[{use.unit, node_name, use.protocol, use.port}].push_back(&use);
    }
    // Every port's verdict is asked in one batch (verdictEach); only the ports that are not open are asked
    // again in full (reach), for the rules that decided them, which their findings cite.
    struct Asked {
      const std::tuple<std::size_t, std::string, PortProtocol, int>* key;
      const std::vector<const HostPortUse*>* uses;
      AddressSet required;
      PortVerdict verdict;
      const NodeFirewall* firewall = nullptr;  // null: nothing to ask
      Exposure exposure = Exposure::Blocked;
    };
    std::map<std::size_t, Requirement> requirements;
    std::vector<Asked> asked;
    asked.reserve(wanted.size());
    std::vector<KeyQuestion> questions;
    std::vector<std::size_t> askedOf;  // question -> entry of `asked`
    for (const auto& [key, uses] : wanted) {
      const auto& [unit_index, node, protocol, port] = key;
      const WorkloadUnit& unit = model_.units[unit_index];
      if (!requirements.count(unit_index)) requirements.emplace(unit_index, requirementFor(unit));
      const Requirement& requirement = requirements.at(unit_index);
      Asked entry{&key, &uses, {}, PortVerdict{node, protocol, port, unit.identity.key(), "unknown", {}}};
      const auto firewall = firewalls_.find(node);
      // Only the families the node can be reached over (an IPv4-only node is not "blocked" for ::/0); a
      // requirement wholly outside them is kept, so that it is still reported.
      entry.required = requirement.addresses;
      if (firewall != firewalls_.end() && !firewall->second.families.empty() &&
          entry.required.intersects(firewall->second.families)) {
        entry.required = entry.required.intersect(firewall->second.families);
      }
      for (const auto& cidr : entry.required.toCidrs())
        entry.verdict.required.push_back(cidr.toString());
      if (firewall != firewalls_.end() && !entry.required.empty()) {
        entry.firewall = &firewall->second;
        questions.push_back(KeyQuestion{&firewall->second.compiled, firewallProtocol(protocol),
                                        static_cast<std::uint16_t>(port)});
        askedOf.push_back(asked.size());
      }
      asked.push_back(std::move(entry));
    }
    verdictEach(questions, [&](std::size_t question, const ReachVerdict& verdict) {
      Asked& entry = asked[askedOf[question]];
      entry.exposure = exposureOf(verdict.admitted, entry.required);
    });

    for (Asked& entry : asked) {
      const auto& [unit_index, node, protocol, port] = *entry.key;
      const std::vector<const HostPortUse*>& uses = *entry.uses;
      const WorkloadUnit& unit = model_.units[unit_index];
      const Requirement& requirement = requirements.at(unit_index);
      PortVerdict& verdict = entry.verdict;
      const AddressSet& required = entry.required;
      if (entry.firewall == nullptr) {
        result_.matrix.push_back(std::move(verdict));
        continue;
      }
      verdict.status = entry.exposure == Exposure::Open      ? "open"
                       : entry.exposure == Exposure::Blocked ? "blocked"
                                                             : "partial";
      result_.matrix.push_back(verdict);
      if (entry.exposure == Exposure::Open) continue;

      const NodeFirewall& firewall = *entry.firewall;
      const ReachAnswer answer = reach(firewall.compiled, firewallProtocol(protocol),
                                       PortRange::single(static_cast<std::uint16_t>(port)));
      const PortIntervalAnswer& interval = answer.at(static_cast<std::uint16_t>(port));
      const RequirementCheck check = checkRequired(interval, required);

      std::string required_text;
      for (const auto& name : requirement.names)
        required_text += (required_text.empty() ? "" : ", ") + name;
      Finding finding;
      finding.check_id = check::kPortBlocked;
      finding.severity = Severity::High;
      finding.namespace_name = unit.identity.namespace_name;
      finding.node = node;
      finding.protocol = protocol;
      finding.port = port;
      finding.subjects = {unit.identity, {"Node", "", node}};
      for (const auto& id : firewall.group_ids) {
        finding.subjects.push_back(
            {"SecurityGroup", "",
             groups_.find(id)->group->name.empty() ? id : groups_.find(id)->group->name});
      }
      finding.title = portLabel(port, protocol) + " on node " + node + " is " +
                      (check.exposure == Exposure::Blocked ? "blocked" : "partly blocked") + " for " +
                      required_text + ", which " + unit.identity.key() + " requires";
      const std::vector<Cidr> missing_cidrs = check.missingCidrs();
      const std::vector<AddressPiece> missing_decided_by = check.missingDecidedBy(interval);
      finding.detail = std::string(toString(protocol)) + " " + std::to_string(port) +
                       " is admitted only from " + describeAdmitted(check, interval) +
                       ". Not admitted: " + describeMissing(required, check, missing_cidrs) + " (" +
                       describeMissingDecision(missing_decided_by) + "). Required by " + requirement.why +
                       ".";
      for (const HostPortUse* use : uses) {
        for (const auto& evidence : use->evidence)
          finding.evidence.push_back(evidence);
      }
      finding.evidence.push_back({"rule", "admitted: " + describeAdmitted(check, interval), {}});
      finding.evidence.push_back({"rule",
                                  "not admitted: " + joinCidrs(missing_cidrs, 64) + " (" +
                                      describeMissingDecision(missing_decided_by) + ")",
                                  {}});
      if (check.dependsOnUnresolved) {
        finding.evidence.push_back(
            {"rule", "the verdict could change for members of an unresolved security group", {}});
      }
      planOpening(finding, firewall, check, interval, required, protocol, port);
      add(std::move(finding), {unit.identity.key(), node, toString(protocol), std::to_string(port)});
    }
  }

  void planOpening(Finding& finding, const NodeFirewall& firewall, const RequirementCheck& check,
                   const PortIntervalAnswer& interval, const AddressSet& required, PortProtocol protocol,
                   int port) {
    // A deny that decides part of the missing space must go first: an allow cannot outrank it.
    std::set<std::string> narrowed;
    for (const auto& piece : check.missingDecidedBy(interval)) {
      for (const auto& decision : piece.decisions) {
        if (!decision.rule || decision.action != RuleAction::Deny) continue;
        const SecurityGroupRule* rule = groups_.rule(*decision.rule);
        if (rule == nullptr || !narrowed.insert(decision.rule->ruleId).second) continue;
        finding.narrow_plans.push_back({firewall.provider,
                                        decision.rule->groupId,
                                        decision.rule->groupName,
                                        *rule,
                                        {},
                                        "sgaudit: this deny blocks " + portLabel(port, protocol) + " for " +
                                            finding.subjects.front().key()});
      }
    }
    AllowIngressPlan plan;
    plan.provider = firewall.provider;
    plan.group_id = firewall.primary_group_id;
    plan.group_name = firewall.primary_group_name;
    // Into the group whose CIDR rule already admits this port to someone, where the node has one: that is
    // where the port is managed, and it may be narrower than the cluster-wide group (on EKS the cluster
    // security group is also on the control plane's network interfaces and on every managed node).
    const std::vector<AddressPiece> admitted_decided_by = check.admittedDecidedBy(interval);
    for (const auto& id : firewall.group_ids) {
      const bool admits =
          std::any_of(admitted_decided_by.begin(), admitted_decided_by.end(), [&](const AddressPiece& piece) {
            return std::any_of(piece.decisions.begin(), piece.decisions.end(), [&](const LayerDecision& d) {
              if (!d.rule || d.action != RuleAction::Allow || d.rule->groupId != id) return false;
              const SecurityGroupRule* rule = groups_.rule(*d.rule);
              return rule != nullptr && std::holds_alternative<Cidr>(rule->source);
            });
          });
      if (!admits) continue;
      plan.group_id = id;
      plan.group_name = groups_.find(id)->group->name;
      break;
    }
    plan.protocol = firewallProtocol(protocol);
    plan.ports = PortSet::of(PortRange::single(static_cast<std::uint16_t>(port)));
    // The narrowest rule that admits what is required: the required CIDRs of each family something is missing
    // in.
    for (const auto& cidr : required.toCidrs()) {
      if (check.missing.intersects(AddressSet::of(cidr))) plan.sources.push_back(cidr);
    }
    plan.description =
        "sgaudit: " + finding.subjects.front().key() + " needs it from " + joinCidrs(plan.sources, 3);
    if (!plan.sources.empty()) finding.allow_plans.push_back(std::move(plan));
  }

  void checkNodepoolConsistency() {
    std::map<std::tuple<std::string, PortProtocol, int>, std::vector<const PortVerdict*>> by_port;
    for (const auto& verdict : result_.matrix) {
      if (verdict.status != "unknown")
        by_port[{verdict.workload, verdict.protocol, verdict.port}].push_back(&verdict);
    }
    for (const auto& [key, verdicts] : by_port) {
      const auto& [workload, protocol, port] = key;
      std::vector<std::string> open;
      std::vector<std::string> closed;
      for (const PortVerdict* v : verdicts)
        (v->status == "open" ? open : closed).push_back(v->node + " (" + v->status + ")");
      if (open.empty() || closed.empty()) continue;
      Finding finding;
      finding.check_id = check::kNodepoolInconsistent;
      finding.severity = Severity::Medium;
      finding.protocol = protocol;
      finding.port = port;
      const auto first_slash = workload.find('/');
      const auto second_slash = workload.find('/', first_slash + 1);
      finding.subjects = {
          {workload.substr(0, first_slash),
           second_slash == std::string::npos
               ? ""
               : workload.substr(first_slash + 1, second_slash - first_slash - 1),
           workload.substr(second_slash == std::string::npos ? first_slash + 1 : second_slash + 1)}};
      finding.namespace_name = finding.subjects.front().namespace_name;
      auto join = [](const std::vector<std::string>& items) {
        std::string text;
        for (const auto& item : items)
          text += (text.empty() ? "" : ", ") + item;
        return text;
      };
      finding.title = portLabel(port, protocol) + " of " + workload + " is reachable on " +
                      std::to_string(open.size()) + " of its nodes and not on " +
                      std::to_string(closed.size());
      finding.detail =
          "Open on " + join(open) + "; not on " + join(closed) +
          ". Clients see failures depending on where the pod lands: give every node pool the same "
          "security groups, or pin the workload to the nodes that admit it.";
      finding.evidence.push_back({"rule", "open: " + join(open), {}});
      finding.evidence.push_back({"rule", "blocked: " + join(closed), {}});
      add(std::move(finding), {workload, toString(protocol), std::to_string(port)});
    }
  }

  void checkSensitivePorts() {
    for (const auto& [node_name, firewall] : firewalls_) {
      const NodeSockets* sockets = nullptr;
      for (const auto& candidate : input_.cluster.node_sockets) {
        if (candidate.node == node_name) sockets = &candidate;
      }
      // (protocol, ports) to check, with what listens there.
      std::vector<std::tuple<PortProtocol, PortRange, std::string, SourceLocation>> targets;
      if (sockets != nullptr) {
        std::set<std::pair<PortProtocol, int>> seen;
        for (const auto& socket : sockets->sockets) {
          const std::string address = normaliseHostIp(socket.address);
          if (address == "127.0.0.1" || address == "::1" || address.starts_with("127.")) continue;
          if (!input_.policy.sensitive_ports.contains(static_cast<std::uint16_t>(socket.port))) continue;
          if (!seen.insert({socket.protocol, socket.port}).second) continue;
          std::string who = socket.processes.empty() ? "a process" : socket.processes.front().name;
          const bool v6 = socket.address.find(':') != std::string::npos;
          targets.emplace_back(socket.protocol, PortRange::single(static_cast<std::uint16_t>(socket.port)),
                               who + " listens on " + (v6 ? "[" + socket.address + "]" : socket.address) +
                                   ":" + std::to_string(socket.port),
                               SourceLocation{sockets->source.file, socket.line});
        }
      } else {
        for (const auto& range : input_.policy.sensitive_ports.ranges()) {
          targets.emplace_back(PortProtocol::Tcp, range,
                               "no socket data for this node: checked as if something listened",
                               SourceLocation{});
        }
      }
      for (const auto& [protocol, ports, who, where] : targets) {
        const ReachAnswer answer = reach(firewall.compiled, firewallProtocol(protocol), ports);
        for (const auto& interval : answer.intervals) {
          const AddressSet exposed = interval.admitted.subtract(privateSpace());
          if (exposed.empty()) continue;
          reportExposure(node_name, firewall, protocol, interval, exposed, who, where);
        }
      }
    }
  }

  void reportExposure(const std::string& node, const NodeFirewall& firewall, PortProtocol protocol,
                      const PortIntervalAnswer& interval, const AddressSet& exposed, const std::string& who,
                      const SourceLocation& where) {
    const bool whole =
        interval.admitted.contains(AddressSet::allV4()) || interval.admitted.contains(AddressSet::allV6());
    const std::string ports = interval.ports.toString();
    Finding finding;
    finding.check_id = check::kSensitivePortExposed;
    finding.severity = whole ? Severity::Critical : Severity::High;
    finding.node = node;
    finding.protocol = protocol;
    if (interval.ports.first == interval.ports.last) finding.port = interval.ports.first;
    finding.subjects = {{"Node", "", node}};
    std::set<std::string> rules;
    for (const auto& piece : interval.pieces) {
      if (piece.verdict != RuleAction::Allow || !piece.addresses.intersects(exposed)) continue;
      for (const auto& decision : piece.decisions) {
        if (!decision.rule || !rules.insert(describeRule(*decision.rule)).second) continue;
        finding.subjects.push_back({"Rule", "", decision.rule->ruleId});
        const SecurityGroupRule* rule = groups_.rule(*decision.rule);
        if (rule == nullptr) continue;
        NarrowRulePlan plan{
            firewall.provider,
            decision.rule->groupId,
            decision.rule->groupName,
            *rule,
            {},
            "sgaudit: " + std::string(toString(protocol)) + " " + ports + " only from inside the network"};
        for (const auto& cidr : sourceSet("vpc").toCidrs())
          plan.narrower.push_back(cidr);
        finding.narrow_plans.push_back(std::move(plan));
      }
    }
    std::string rule_text;
    for (const auto& rule : rules)
      rule_text += (rule_text.empty() ? "" : "; ") + rule;
    finding.title = std::string(toString(protocol)) + " " + ports + " on node " + node + " is open to " +
                    (whole ? "the whole internet" : joinCidrs(exposed.toCidrs(), 3)) + " through " +
                    rule_text;
    finding.detail = who +
                     ". Sensitive ports (SSH, RDP, the Kubernetes control plane, etcd, databases) should be "
                     "reachable only from inside the network or a bastion. Narrow the rule's source.";
    finding.evidence.push_back({"socket", "node " + node + ": " + who, where});
    finding.evidence.push_back({"rule",
                                "admitted: " + joinCidrs(interval.admitted.toCidrs()) +
                                    " (public: " + joinCidrs(exposed.toCidrs(), 3) + ") by " + rule_text,
                                {}});
    add(std::move(finding), {node, toString(protocol), ports});
  }

  // One rule addition per (group, protocol, sources), with the ports of every finding that needs it.
  void mergePlans() {
    std::map<std::tuple<std::string, int, std::string>, PortSet> merged;
    auto keyOf = [](const AllowIngressPlan& plan) {
      std::string sources;
      for (const auto& cidr : plan.sources)
        sources += cidr.toString() + ",";
      return std::tuple(plan.group_id, plan.protocol.number(), sources);
    };
    for (const auto& finding : result_.findings) {
      for (const auto& plan : finding.allow_plans) {
        auto& ports = merged[keyOf(plan)];
        for (const auto& range : plan.ports.ranges())
          ports.add(range);
      }
    }
    for (auto& finding : result_.findings) {
      for (auto& plan : finding.allow_plans)
        plan.ports = merged.at(keyOf(plan));
    }
  }

  void applySuppressions() {
    for (auto& finding : result_.findings) {
      for (const auto& suppression : input_.policy.suppressions) {
        if (!suppression.expires.empty() && !input_.today.empty() && suppression.expires < input_.today)
          continue;
        if (!suppression.check.empty() && suppression.check != finding.check_id) continue;
        if (!suppression.subject.empty() && suppression.subject != finding.fingerprint &&
            std::none_of(finding.subjects.begin(), finding.subjects.end(),
                         [&](const Subject& s) { return s.key() == suppression.subject; })) {
          continue;
        }
        finding.suppressed = true;
        finding.suppression_reason = suppression.reason;
        break;
      }
    }
  }

  void add(Finding finding, const std::vector<std::string>& identity) {
    finding.fingerprint = fingerprintOf(finding.check_id, identity);
    for (const auto& existing : result_.findings) {
      if (existing.fingerprint == finding.fingerprint) return;
    }
    result_.findings.push_back(std::move(finding));
  }

  const AuditInput& input_;
  GroupIndex groups_;
  SourceResolver resolver_;
  FirewallCompiler compiler_;
  HostPortModel model_;
  std::map<std::string, NodeFirewall> firewalls_;
  std::set<std::string> warned_sources_;
  AuditResult result_;
};

}  // namespace

AuditResult runAudit(const AuditInput& input) {
  return Auditor(input).run();
}

void to_json(nlohmann::json& out, const PortVerdict& verdict) {
  out = {{"node", verdict.node},     {"protocol", toString(verdict.protocol)},
         {"port", verdict.port},     {"workload", verdict.workload},
         {"status", verdict.status}, {"required", verdict.required}};
}

void to_json(nlohmann::json& out, const NodeInstance& node) {
  out = {{"node", node.node}, {"instance", node.instance_id}, {"matched_by", node.method}};
}

void to_json(nlohmann::json& out, const AuditResult& result) {
  std::map<std::string, int> by_severity;
  std::map<std::string, int> by_check;
  for (const auto& finding : result.findings) {
    if (finding.suppressed) continue;
    by_severity[std::string(toString(finding.severity))]++;
    by_check[finding.check_id]++;
  }
  out = {{"summary",
          {{"findings", result.findings.size()}, {"by_severity", by_severity}, {"by_check", by_check}}},
         {"findings", result.findings},
         {"matrix", result.matrix},
         {"nodes", result.nodes},
         {"warnings", result.warnings}};
}

}  // namespace sgaudit::core
