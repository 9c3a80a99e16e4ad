#include "sgaudit/core/audit.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <set>
#include <span>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "sgaudit/core/firewall.hpp"
#include "sgaudit/core/host_ports.hpp"
#include "sgaudit/core/json.hpp"
#include "sgaudit/core/node_mapping.hpp"
#include "sgaudit/core/parallel.hpp"
#include "sgaudit/core/workload_changes.hpp"

namespace sgaudit::core {
namespace {

// Every address outside the network (nonPublicSpace's complement): what a sensitive port must not admit.
const AddressSet& publicSpace() {
  static const AddressSet space = AddressSet::allV4().unite(AddressSet::allV6()).subtract(nonPublicSpace());
  return space;
}

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

std::vector<std::string> cidrStrings(const std::vector<Cidr>& cidrs) {
  std::vector<std::string> out;
  out.reserve(cidrs.size());
  for (const auto& cidr : cidrs)
    out.push_back(cidr.toString());
  return out;
}

// The security groups of every input, merged by id: a v3 group listing gives names, a rule listing gives
// rules.
struct GroupIndex {
  struct Entry {
    std::shared_ptr<SecurityGroup> group;
    const CloudSecurityGroup* first = nullptr;
  };
  std::map<std::string, Entry> by_id;
  std::map<std::string, std::string, std::less<>> id_by_name;

  explicit GroupIndex(const CloudInventory& cloud) {
    for (const auto& input : cloud.security_groups) {
      auto& entry = by_id[input.group->id];
      if (!entry.group) {
        entry.group = std::make_shared<SecurityGroup>();
        entry.group->id = input.group->id;
        entry.first = &input;
      }
      if (entry.group->name.empty()) entry.group->name = input.group->name;
      // Each rule kept so far, by key; its content is written out only when two rules share a key.
      std::vector<SecurityGroupRule>& kept = entry.group->rules;
      std::unordered_map<std::string, std::size_t> index_by_key;
      for (std::size_t i = 0; i < kept.size(); ++i)
        index_by_key.emplace(kept[i].origin.key, i);
      for (const auto& rule : input.group->rules) {
        SecurityGroupRule copy = rule;
        copy.origin.key = ruleKey(copy, input.group->id);
        if (const auto it = index_by_key.find(copy.origin.key); it != index_by_key.end()) {
          // The same group listed twice (a group listing and a rule listing, or one dump read twice) gives
          // the same rules: each is kept once, by its identity.
          std::string content = contentIdentity(copy);
          if (contentIdentity(kept[it->second]) == content) continue;
          // One provider rule read as several (an Azure rule with several prefixes, or `*` for both
          // families; a GCP rule with several ranges) gives parts sharing its id: each part after the first
          // is keyed by its id and its content.
          copy.origin.key = partKey(copy, input.group->id, content);
          if (const auto part = index_by_key.find(copy.origin.key);
              part != index_by_key.end() && contentIdentity(kept[part->second]) == content)
            continue;
        }
        index_by_key.emplace(copy.origin.key, kept.size());
        kept.push_back(std::move(copy));
      }
    }
    for (auto& [id, entry] : by_id) {
      for (auto& rule : entry.group->rules) {
        if (rule.origin.group_name.empty()) rule.origin.group_name = entry.group->name;
        if (rule.origin.group_id.empty()) rule.origin.group_id = id;
        by_key.emplace(rule.origin.key, &rule);
      }
      if (!entry.group->name.empty()) id_by_name[entry.group->name] = id;
    }
    indexIds();
  }

  // by_id by hash: ids are long (UUIDs) and alike, and every node's firewall looks its groups up.
  void indexIds() {
    index_.reserve(by_id.size());
    for (const auto& [id, entry] : by_id)
      index_.emplace(id, &entry);
  }

  // A rule's provider id, or a digest of its group and content when it has none: two id-less rules of one
  // group are told apart by what they do, and the same rule read twice is one.
  static std::string ruleKey(const SecurityGroupRule& rule, const std::string& group_id) {
    if (!rule.origin.rule_id.empty()) return rule.origin.rule_id;
    return "content:" + fingerprintOf("rule", {group_id, contentIdentity(rule)}).substr(0, 16);
  }

  // A part of a provider rule that several core rules share: its id and a digest of its content.
  static std::string partKey(const SecurityGroupRule& rule, const std::string& group_id,
                             const std::string& content) {
    return rule.origin.rule_id + "#" + fingerprintOf("rule", {group_id, content}).substr(0, 12);
  }

  // The groups of `base` with some of them changed: what a fix would leave (see verifyFixes).
  GroupIndex(const GroupIndex& base, const std::map<std::string, std::shared_ptr<SecurityGroup>>& changed)
      : base_(&base) {
    for (const auto& [id, group] : changed) {
      const Entry* original = base.find(id);
      by_id[id] = Entry{group, original != nullptr ? original->first : nullptr};
      for (const auto& rule : group->rules)
        by_key.emplace(rule.origin.key, &rule);
    }
    indexIds();
  }

  // By id, or by "name:" and its name (a node that names its groups): a changed group under either.
  const Entry* find(const std::string& id) const {
    if (id.starts_with("name:")) {
      const std::string* named = idOfName(std::string_view(id).substr(5));
      return named != nullptr ? find(*named) : nullptr;
    }
    const auto it = index_.find(id);
    if (it != index_.end()) return it->second;
    return base_ != nullptr ? base_->find(id) : nullptr;
  }

  const std::string* idOfName(std::string_view name) const {
    const auto it = id_by_name.find(name);
    if (it != id_by_name.end()) return &it->second;
    return base_ != nullptr ? base_->idOfName(name) : nullptr;
  }

  const SecurityGroupRule* rule(const RuleOrigin& origin) const {
    const auto it = by_key.find(origin.key);
    if (it != by_key.end()) return it->second;
    return base_ != nullptr ? base_->rule(origin) : nullptr;
  }

  // "rule sgr-1 \"ssh\" of web", or "rule (allow TCP 22 from 0.0.0.0/0, no id) of ops".
  std::string describeRule(const RuleOrigin& origin) const {
    std::string text = "rule ";
    if (!origin.rule_id.empty()) {
      text += origin.rule_id;
    } else if (const SecurityGroupRule* found = rule(origin)) {
      text += "(" + describeContent(*found) + ", no id)";
    } else {
      text += "(no id)";
    }
    if (!origin.description.empty()) text += " \"" + origin.description + "\"";
    return text + " of " + (origin.group_name.empty() ? origin.group_id : origin.group_name);
  }

  // How a subject names the rule: its id, or its content.
  std::string ruleName(const RuleOrigin& origin) const {
    if (!origin.rule_id.empty()) return origin.rule_id;
    const SecurityGroupRule* found = rule(origin);
    return found == nullptr ? origin.key : describeContent(*found);
  }

  std::unordered_map<std::string, const SecurityGroupRule*> by_key;
  const GroupIndex* base_ = nullptr;
  std::unordered_map<std::string_view, const Entry*> index_;  // see indexIds
};

struct NodeFirewall {
  std::string instance_id;
  std::string provider;
  std::vector<std::string> group_ids;
  std::string groups_key;        // the layers' groups joined: nodes with the same layers answer alike
  std::size_t groups_index = 0;  // groups_key's number in this audit: a cheap key for caches
  CompiledFirewall compiled;
  // Every layer is evaluated under the union model: a change to the rules of some ports cannot change what
  // the others admit.
  bool union_only = true;
  std::vector<std::vector<std::string>> layer_group_ids;  // each layer's groups, in the compiled order
  std::string primary_group_id;                           // where fixes go
  std::string primary_group_name;
  // The address families the node has addresses in (its instance's and its own): a requirement of a family it
  // has no address in cannot be met by any rule, so it is not asked of its security groups. Empty = unknown.
  AddressSet families;
  // An instance that is no Kubernetes node (a bastion, a database host, every instance of an account given
  // without a cluster): only its sensitive ports are checked. Keyed by its instance id.
  bool instance_only = false;
};

class Auditor {
 public:
  explicit Auditor(const AuditInput& input)
      : input_(input), groups_(input.cloud), compiler_(resolver_), model_(&own_model_) {}

  // A re-audit of `base`'s inputs with some security groups changed, on `nodes` only: it shares what the
  // change cannot touch (group members, the host-port model, the node mapping, resolved sources) and runs the
  // firewall checks alone.
  // `ports`, when given, are the only ones (by protocol number) whose answers the change can alter: nothing
  // else is asked again.
  // `proving` is the fingerprint of the finding whose fix is tried: of the base audit's other findings, the
  // re-audit says only whether they are still there.
  Auditor(const Auditor& base, const std::map<std::string, std::shared_ptr<SecurityGroup>>& changed,
          const std::set<std::string>& nodes, std::optional<std::map<int, PortSet>> ports,
          const std::string& proving)
      : input_(base.input_),
        groups_(base.groups_, changed),
        compiler_(base.resolver_, base.compiler_),
        model_(base.model_),
        base_(&base),
        scope_(&nodes),
        affected_(std::move(ports)),
        proving_(&proving) {}

  void step(std::string_view name) const {
    if (input_.on_step) input_.on_step(name);
  }

  AuditResult run() {
    step("map nodes");
    buildResolver();
    mapping_ = mapNodesToInstances(input_.cluster.nodes, input_.cloud, input_.node_instance_map);
    mapNodes();
    step("host-port model");
    HostPortOptions options;
    options.node_port_min = input_.policy.node_port_min;
    options.node_port_max = input_.policy.node_port_max;
    own_model_ = buildHostPortModel(input_.cluster, options);
    step("host-port reach");
    checkHostPortReach();
    checkNodepoolConsistency();
    step("sensitive ports");
    checkSensitivePorts();
    step("host-port checks");
    std::vector<Finding> host_port_findings = checkHostPorts(input_.cluster, *model_);
    if (input_.verify_fixes) {
      step("prove workload changes");
      verifyWorkloadChanges(input_.cluster, *model_, options, host_port_findings,
                            [this](const std::string& node, const Subject& workload, PortProtocol protocol,
                                   int port) { return blockedOn(node, workload, protocol, port); });
    }
    for (auto& finding : host_port_findings)
      result_.findings.push_back(std::move(finding));
    mergePlans();
    if (input_.verify_fixes) {
      step("prove fixes");
      verifyFixes();
    }
    step("suppressions");
    applySuppressions();
    sortFindings(result_.findings);
    return std::move(result_);
  }

  // Why `port` of `workload` would be blocked on `node` by the node's firewall, for a replica moved there
  // (see verifyWorkloadChanges); nothing when it is open, or the node's firewall or the workload is unknown.
  std::optional<std::string> blockedOn(const std::string& node, const Subject& workload,
                                       PortProtocol protocol, int port) {
    const auto firewall = firewalls_.find(node);
    if (firewall == firewalls_.end()) return std::nullopt;
    const auto unit = std::find_if(model_->units.begin(), model_->units.end(),
                                   [&](const WorkloadUnit& u) { return u.identity == workload; });
    if (unit == model_->units.end()) return std::nullopt;
    const Requirement requirement = requirementFor(*unit);
    const AddressSet required = requiredOn(requirement.addresses, firewall->second);
    if (required.empty()) return std::nullopt;
    const ReachAnswer answer = reach(firewall->second.compiled, firewallProtocol(protocol),
                                     PortRange::single(static_cast<std::uint16_t>(port)));
    const Exposure exposure = exposureOf(answer.at(static_cast<std::uint16_t>(port)).admitted, required);
    if (exposure == Exposure::Open) return std::nullopt;
    return portLabel(port, protocol) + " is " +
           (exposure == Exposure::Blocked ? "blocked" : "partly blocked") + " for " + requirement.text() +
           ", which " + workload.key() + " requires";
  }

  struct UsesByNode {
    std::unordered_map<std::string, std::vector<const HostPortUse*>> scheduled;
    std::vector<const HostPortUse*> unscheduled;  // templates without pods
  };

  // The host-port model's uses by node, built once (before the proofs run side by side) for the re-audits.
  const UsesByNode& usesByNode() const { return uses_by_node_; }
  void indexUses() {
    for (const auto& use : model_->uses) {
      if (use.node.empty()) {
        uses_by_node_.unscheduled.push_back(&use);
      } else {
        uses_by_node_.scheduled[use.node].push_back(&use);
      }
    }
  }

  // A re-audit builds what verification compares (fingerprints, titles, statuses, plans), not the prose.
  bool light() const { return base_ != nullptr; }

  // The firewall checks of a re-audit (see the second constructor).
  AuditResult reaudit() {
    mapNodes();
    checkHostPortReach();
    checkSensitivePorts();
    return std::move(result_);
  }

 private:
  void buildResolver() {
    // Each instance's addresses go to the groups it carries: one pass over the instances, not one per group,
    // and each group's set is built once from its sorted addresses.
    std::unordered_map<std::string, std::vector<IpAddress>> members;
    for (const auto& instance : input_.cloud.instances) {
      for (const auto& id : groupIdsOf(instance)) {
        const GroupIndex::Entry* found = groups_.find(id);
        if (found == nullptr) continue;
        // Only groups some listed instance carries resolve; others stay symbolic rather than "nobody".
        auto& addresses = members[found->group->id];
        for (const auto& ip : instance.private_ips) {
          if (auto address = IpAddress::parse(ip)) addresses.push_back(*address);
        }
      }
    }
    for (auto& [id, addresses] : members) {
      std::sort(addresses.begin(), addresses.end(), [](const IpAddress& a, const IpAddress& b) {
        return std::tuple(a.family, a.value) < std::tuple(b.family, b.value);
      });
      AddressSet& set = resolver_.security_group_members[id];
      for (const auto& address : addresses)
        set.add(address.family, {address.value, address.value});
    }
    for (const auto& [id, set] : resolver_.security_group_members)
      groups_with_members_.emplace_back(&id, &set);
    std::sort(groups_with_members_.begin(), groups_with_members_.end(),
              [](const auto& a, const auto& b) { return *a.first < *b.first; });
    for (const auto& set : input_.cloud.address_sets) {
      // A listing of prefix lists names them without entries: those stay unresolved, never "nobody".
      if (set.entries.empty() && set.addresses.empty()) continue;
      // A service tag is named by its name in rules (Azure's "VirtualNetwork"); lists by their id.
      auto& target = set.kind == "service-tag" ? resolver_.provider_tags[set.name.empty() ? set.id : set.name]
                     : set.kind == "prefix-list" ? resolver_.prefix_lists[set.id]
                                                 : resolver_.address_groups[set.id];
      target = target.unite(set.addresses);
    }
  }

  void mapNodes() {
    const NodeMapping& mapping = base_ != nullptr ? base_->mapping_ : mapping_;
    // Built once: a re-audit (one per proof) finds its few nodes in the base audit's index.
    if (base_ == nullptr) {
      for (const auto& node : input_.cluster.nodes)
        node_by_name_.emplace(node.name, &node);
    }
    const auto& node_by_name = base_ != nullptr ? base_->node_by_name_ : node_by_name_;
    // A re-audit maps only its nodes, found by name, in the mapping's order.
    std::vector<const NodeMatch*> matches;
    if (scope_ != nullptr) {
      std::vector<std::size_t> indices;
      for (const auto& node : *scope_) {
        const auto found = base_->match_by_node_.find(node);
        if (found != base_->match_by_node_.end()) indices.push_back(found->second);
      }
      std::sort(indices.begin(), indices.end());
      for (const std::size_t i : indices)
        matches.push_back(&mapping.matched[i]);
    } else {
      for (std::size_t i = 0; i < mapping.matched.size(); ++i) {
        matches.push_back(&mapping.matched[i]);
        match_by_node_.emplace(mapping.matched[i].node, i);
      }
      for (const auto& sockets : input_.cluster.node_sockets) {
        sockets_by_node_[sockets.node] = &sockets;  // the last file of a node, as read
        // A file is matched to its node by name only: one named otherwise would be dropped without a word.
        if (node_by_name.count(sockets.node) == 0) {
          result_.warnings.push_back(sockets.source.file + ": no node is named \"" + sockets.node +
                                     "\" (a socket file is named after its node, as <node>.txt); its " +
                                     std::to_string(sockets.sockets.size()) +
                                     " listening socket(s) were not used");
        }
      }
    }
    if (scope_ != nullptr) {
      // A re-audit's firewalls are the base audit's, compiled again with the changed groups. Every other
      // instance's groups are checked for sensitive ports too (see below): those of its scope.
      for (const NodeMatch* match : matches)
        addFirewallAgain(match->node);
      for (const auto& host : *scope_) {
        if (base_->instance_hosts_.count(host) > 0) addFirewallAgain(host);
      }
      return;
    }
    for (const NodeMatch* match_pointer : matches) {
      const NodeMatch& match = *match_pointer;
      result_.nodes.push_back({match.node, match.instance->id, toString(match.method)});
      const auto node = node_by_name.find(match.node);
      addFirewall(match.node, *match.instance, node != node_by_name.end() ? node->second : nullptr);
    }
    // Every other instance's groups are checked for sensitive ports too: a bastion beside the cluster, or an
    // account given without one. An instance none of whose groups is among the inputs is left alone.
    std::unordered_set<std::string> nodes_instances;  // by id: an instance may be listed by two inputs
    for (const auto& match : mapping.matched)
      nodes_instances.insert(match.instance->id);
    for (const auto& instance : input_.cloud.instances) {
      if (nodes_instances.count(instance.id) > 0 || firewalls_.count(instance.id) > 0) continue;
      if (!addFirewall(instance.id, instance, nullptr, true)) continue;
      instance_hosts_.emplace(instance.id, &instance);
    }
    const bool no_cluster =
        input_.cluster.nodes.empty() && input_.cluster.pods.empty() && input_.cluster.workloads.empty();
    if (no_cluster && !input_.cloud.instances.empty()) {
      result_.warnings.insert(result_.warnings.begin(),
                              "no cluster input was given (no nodes, pods or workloads): only the security "
                              "groups of the " +
                                  std::to_string(instance_hosts_.size()) +
                                  " instance(s) given were audited, for sensitive ports open to public "
                                  "sources; nothing Kubernetes was checked");
    } else if (no_cluster && !input_.cloud.security_groups.empty()) {
      result_.warnings.insert(result_.warnings.begin(),
                              "no cluster input and no instances were given: security groups are audited on "
                              "the instances they are on, so nothing was checked (add the instances: "
                              "describe-instances, ECS or Nova servers, Azure NICs, GCP instances)");
    }
    const bool no_cloud = input_.cloud.instances.empty() && input_.cloud.security_groups.empty();
    if (!no_cluster && no_cloud) {
      result_.warnings.insert(result_.warnings.begin(),
                              "no cloud input was given (no security groups or instances): no firewall check "
                              "ran, so nothing was judged blocked or exposed; only the Kubernetes side was "
                              "checked");
    }
    for (const auto& unmatched : mapping.unmatched) {
      if (scope_ != nullptr) break;
      result_.nodes.push_back({unmatched.node, "", unmatched.reason});
      if (!input_.cloud.instances.empty() || !input_.cloud.security_groups.empty()) {
        result_.warnings.push_back("node " + unmatched.node +
                                   " is not matched to a cloud instance: " + unmatched.reason);
      }
    }
  }

  // In a re-audit, the base audit's firewall of `host` with its layers' groups as the change leaves them
  // (a changed group keeps its id): what addFirewall would build again, warnings aside.
  void addFirewallAgain(const std::string& host) {
    const auto base = base_->firewalls_.find(host);
    if (base == base_->firewalls_.end()) return;
    NodeFirewall firewall = base->second;
    Firewall layers;
    for (std::size_t i = 0; i < firewall.layer_group_ids.size(); ++i) {
      FirewallLayer& layer = layers.layers.emplace_back();
      layer.model = firewall.compiled.layers.at(i).model;
      for (const auto& id : firewall.layer_group_ids[i])
        layer.groups.push_back(groups_.find(id)->group);
    }
    firewall.compiled = compiler_.compile(layers);
    firewalls_.emplace(host, std::move(firewall));
  }

  // The firewall of `host` (a node, or an instance that is none) from its instance's security groups.
  bool addFirewall(const std::string& host, const Instance& instance, const Node* node,
                   bool instance_only = false) {
    NodeFirewall firewall;
    firewall.instance_id = instance.id;
    firewall.instance_only = instance_only;
    Firewall layers;
    for (const FirewallLayerSpec& spec : firewallLayersOf(instance)) {
      FirewallLayer layer;
      layer.name = spec.name;
      std::optional<EvaluationModel> read_with;  // the model its first group was read with
      for (const auto& id : spec.group_ids) {
        const GroupIndex::Entry* entry = groups_.find(id);
        if (entry == nullptr) {
          if (!instance_only) {
            result_.warnings.push_back("node " + host + ": security group " + id + " of instance " +
                                       instance.id + " is not among the inputs; its rules are not counted");
          }
          continue;
        }
        if (!read_with) {
          read_with = entry->first->model;
        } else if (!spec.model && entry->first->model != *read_with && !instance_only) {
          result_.warnings.push_back("node " + host + ": the security groups of " + spec.name +
                                     " were read under different models (" + toString(*read_with) + " and " +
                                     toString(entry->first->model) + " for " + entry->group->id +
                                     "); the layer is evaluated under the first");
        }
        if (firewall.provider.empty()) firewall.provider = entry->first->provider;
        layer.groups.push_back(entry->group);
        firewall.group_ids.push_back(entry->group->id);
      }
      if (layer.groups.empty()) continue;
      layer.model = spec.model.value_or(read_with.value_or(EvaluationModel::Union));
      firewall.union_only = firewall.union_only && layer.model == EvaluationModel::Union;
      // The key is part of findings' identities: one layer of groups read under their own model keeps the
      // key it always had ("sg-1,sg-2,"); further layers and a model the reader imposes are marked.
      if (!layers.layers.empty()) firewall.groups_key += "|";
      if (layer.model != read_with) firewall.groups_key += std::string(toString(layer.model)) + ":";
      firewall.layer_group_ids.emplace_back();
      for (const auto& group : layer.groups) {
        firewall.groups_key += group->id + ",";
        firewall.layer_group_ids.back().push_back(group->id);
      }
      layers.layers.push_back(std::move(layer));
    }
    if (layers.layers.empty()) {
      if (!instance_only)
        result_.warnings.push_back("node " + host + ": none of its security groups is among the inputs");
      return false;
    }
    firewall.groups_index = groups_keys_.try_emplace(firewall.groups_key, groups_keys_.size()).first->second;
    firewall.primary_group_id = firewall.group_ids.front();
    for (const auto& cluster : input_.cloud.clusters) {
      for (const auto& id : cluster.node_security_group_ids) {
        if (std::find(firewall.group_ids.begin(), firewall.group_ids.end(), id) != firewall.group_ids.end()) {
          firewall.primary_group_id = id;
        }
      }
    }
    firewall.primary_group_name = groups_.find(firewall.primary_group_id)->group->name;
    firewall.compiled = compiler_.compile(layers);
    std::vector<std::string> addresses = instance.private_ips;
    addresses.insert(addresses.end(), instance.public_ips.begin(), instance.public_ips.end());
    if (node != nullptr) {
      addresses.insert(addresses.end(), node->internal_ips.begin(), node->internal_ips.end());
      addresses.insert(addresses.end(), node->external_ips.begin(), node->external_ips.end());
    }
    for (const auto& text : addresses) {
      if (auto address = IpAddress::parse(text)) {
        firewall.families = firewall.families.unite(address->family == IpFamily::V6 ? AddressSet::allV6()
                                                                                    : AddressSet::allV4());
      }
    }
    firewalls_.emplace(host, std::move(firewall));
    return true;
  }

  // The addresses a source class or literal stands for; empty with a warning when the inputs do not say.
  // Cached: every workload asks for the same few sources, and "nodes" is thousands of addresses.
  const AddressSet& sourceSet(const std::string& source) {
    if (const auto found = source_cache_.find(source); found != source_cache_.end()) return found->second;
    if (base_ != nullptr) {
      if (const auto found = base_->source_cache_.find(source); found != base_->source_cache_.end())
        return found->second;
    }
    return source_cache_.emplace(source, resolveSource(source)).first->second;
  }

  AddressSet resolveSource(const std::string& source) {
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
      std::vector<IpAddress> addresses;
      for (const auto& node : input_.cluster.nodes) {
        for (const auto& ip : node.internal_ips) {
          if (auto address = IpAddress::parse(ip)) addresses.push_back(*address);
        }
      }
      std::sort(addresses.begin(), addresses.end(), [](const IpAddress& a, const IpAddress& b) {
        return std::tuple(a.family, a.value) < std::tuple(b.family, b.value);
      });
      for (const auto& address : addresses)
        set.add(address.family, {address.value, address.value});
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
    std::vector<std::pair<std::string, AddressSet>> parts;  // each name with what it stands for
    std::string why;

    std::string text() const {  // "internet", "vpc, nodes"
      std::string joined;
      for (const auto& name : names)
        joined += (joined.empty() ? "" : ", ") + name;
      return joined;
    }
  };

  // What of `required` can reach the node at all: only the families it has addresses in (an IPv4-only node is
  // not "blocked" for ::/0). A requirement wholly outside them is kept, so that it is still reported.
  static AddressSet requiredOn(const AddressSet& required, const NodeFirewall& firewall) {
    if (firewall.families.empty() || !required.intersects(firewall.families)) return required;
    return required.intersect(firewall.families);
  }

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
    for (const auto& name : requirement.names) {
      AddressSet set = sourceSet(name);
      requirement.addresses = requirement.addresses.unite(set);
      requirement.parts.emplace_back(name, std::move(set));
    }
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
  // `limit`: how many rules the text names ("and 14 more rules (see the evidence)" after them).
  std::string describeAdmitted(const RequirementCheck& check, const PortIntervalAnswer& answer,
                               std::size_t limit = std::numeric_limits<std::size_t>::max()) const {
    // Under the union model one rule is credited with the addresses two rules admit; a CIDR rule is shown
    // with all it admits ("10.0.0.0/8"), not with the pieces left to it (26 CIDRs around a node address).
    std::map<std::string, AddressSet> by_rule;
    for (const auto& piece : answer.pieces) {
      if (piece.verdict != RuleAction::Allow) continue;
      for (const auto& decision : piece.decisions) {
        const std::string rule = decision.rule ? groups_.describeRule(*decision.rule) : "no rule";
        AddressSet& set = by_rule[rule];
        set = set.unite(piece.addresses);
        const SecurityGroupRule* found = decision.rule ? groups_.rule(*decision.rule) : nullptr;
        if (found == nullptr) continue;
        if (const auto* cidr = std::get_if<Cidr>(&found->source))
          set = set.unite(AddressSet::of(*cidr).intersect(answer.admitted));
      }
    }
    (void)check;
    std::vector<std::string> parts;
    for (const auto& [rule, set] : by_rule)
      parts.push_back(joinCidrs(set.toCidrs()) + " by " + rule);
    for (const auto& unresolved : answer.unresolved) {
      if (unresolved.action != RuleAction::Allow) continue;
      parts.push_back(describeSource(unresolved) + " by " + groups_.describeRule(unresolved.rule));
    }
    if (parts.empty()) return "nothing";
    std::string text;
    for (std::size_t i = 0; i < parts.size() && i < limit; ++i)
      text += (i == 0 ? "" : "; ") + parts[i];
    if (parts.size() > limit)
      text += "; and " + std::to_string(parts.size() - limit) + " more rules (see the evidence)";
    return text;
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

  std::string describeMissingDecision(const std::vector<AddressPiece>& missing_decided_by) const {
    std::set<std::string> reasons;
    for (const auto& piece : missing_decided_by) {
      for (const auto& decision : piece.decisions) {
        reasons.insert(decision.rule ? "denied by " + groups_.describeRule(*decision.rule)
                                     : "no rule matched: default deny");
      }
    }
    std::string text;
    for (const auto& reason : reasons)
      text += (text.empty() ? "" : "; ") + reason;
    return text;
  }

  static const char* statusName(Exposure exposure) {
    return exposure == Exposure::Open ? "open" : exposure == Exposure::Blocked ? "blocked" : "partial";
  }

  // (unit, node, protocol, port): the uses that put the port there.
  using CellUses =
      std::map<std::tuple<std::size_t, std::string, PortProtocol, int>, std::vector<const HostPortUse*>>;

  // Where each workload wants each host port: its pods' nodes, and every node for a template without pods.
  CellUses wantedCells() const {
    CellUses wanted;
    // A re-audit looks only at the uses on its nodes (and the templates), found by node: a fleet has
    // hundreds of thousands of uses, and thousands of fixes to prove.
    std::vector<const HostPortUse*> uses;
    if (scope_ != nullptr) {
      const UsesByNode& by_node = base_->usesByNode();
      uses = by_node.unscheduled;
      for (const auto& node : *scope_) {
        const auto on = by_node.scheduled.find(node);
        if (on != by_node.scheduled.end()) uses.insert(uses.end(), on->second.begin(), on->second.end());
      }
    } else {
      uses.reserve(model_->uses.size());
      for (const auto& use : model_->uses)
        uses.push_back(&use);
    }
    for (const HostPortUse* use_pointer : uses) {
      const HostPortUse& use = *use_pointer;
      if (!use.node.empty()) {
        wanted[{use.unit, use.node, use.protocol, use.port}].push_back(&use);
        continue;
      }
      // A template without pods: every node its spec allows is where it may land.
      // (In a re-audit, firewalls_ holds only the nodes in scope.)
      for (const auto& [node_name, firewall] : firewalls_) {
        if (!firewall.instance_only) wanted[{use.unit, node_name, use.protocol, use.port}].push_back(&use);
      }
    }
    return wanted;
  }

  struct Asked {
    const CellUses::key_type* key;
    const std::vector<const HostPortUse*>* uses;
    const AddressSet* required;  // in the RequiredCache
    PortVerdict verdict;
    const NodeFirewall* firewall = nullptr;  // null: nothing to ask
    Exposure exposure = Exposure::Blocked;
    const CidrList* required_text = nullptr;  // in a RequiredCache
    CidrList* text_to_write = nullptr;        // a re-audit's own required_text, written when first needed
  };
  // What a workload requires on nodes of one family set, with its text (which its cells share): by unit and
  // family key.
  using RequiredCache = std::map<std::pair<std::size_t, int>, std::pair<AddressSet, CidrList>>;

  // Every cell's verdict, asked in one batch (verdictEach): open, blocked or partly blocked for what the
  // workload requires there; the ports that are not open are asked again in full by reportBlocked.
  std::vector<Asked> askCells(const CellUses& wanted, std::map<std::size_t, const Requirement*>& requirements,
                              RequiredCache& required_cache) {
    std::vector<Asked> asked;
    asked.reserve(wanted.size());
    std::vector<KeyQuestion> questions;
    std::vector<std::size_t> askedOf;  // question -> entry of `asked`
    for (const auto& [key, uses] : wanted) {
      const auto& [unit_index, node, protocol, port] = key;
      if (!covers(affected_, firewallProtocol(protocol), PortRange::single(static_cast<std::uint16_t>(port))))
        continue;
      const WorkloadUnit& unit = model_->units[unit_index];
      if (!requirements.count(unit_index)) {
        // The base audit's are kept for the proofs, which run side by side and must not resolve sources
        // again (see keepPlans); they are what a re-audit would find (a change alters no source).
        const Requirement* known = nullptr;
        if (light()) {
          const auto found = base_->requirement_by_unit_.find(unit_index);
          if (found != base_->requirement_by_unit_.end()) known = &found->second;
        }
        if (known == nullptr) {
          known = &requirement_by_unit_.try_emplace(unit_index, requirementFor(unit)).first->second;
          if (!light()) requirement_by_workload_.emplace(unit.identity.key(), known);
        }
        requirements.emplace(unit_index, known);
      }
      const Requirement& requirement = *requirements.at(unit_index);
      Asked entry{&key, &uses, nullptr,
                  PortVerdict{node, protocol, port, unit.identity.key(), "unknown", {}, {}}};
      const auto firewall = firewalls_.find(node);
      // Only the families the node can be reached over (an IPv4-only node is not "blocked" for ::/0); a
      // requirement wholly outside them is kept, so that it is still reported.
      // Nodes of one family ask the same of a workload: computed once per workload and family.
      const int family_key = firewall == firewalls_.end() || firewall->second.families.empty()
                                 ? 0
                                 : (firewall->second.families.ranges(IpFamily::V4).empty() ? 0 : 1) +
                                       (firewall->second.families.ranges(IpFamily::V6).empty() ? 0 : 2);
      // A re-audit reads the base audit's (written in full) where it has them: a change alters no source.
      const RequiredCache::mapped_type* known = nullptr;
      if (light()) {
        const auto found = base_->required_cache_.find({unit_index, family_key});
        if (found != base_->required_cache_.end()) known = &found->second;
      }
      if (known != nullptr) {
        entry.required = &known->first;
        entry.required_text = &known->second;
      } else {
        auto [cached, fresh] = required_cache.try_emplace({unit_index, family_key});
        if (fresh) {
          cached->second.first = firewall == firewalls_.end()
                                     ? requirement.addresses
                                     : requiredOn(requirement.addresses, firewall->second);
          // A re-audit writes it only for the cells that are not open.
          if (!light()) cached->second.second = cidrStrings(cached->second.first.toCidrs());
        }
        entry.required = &cached->second.first;
        entry.required_text = &cached->second.second;
        entry.text_to_write = light() ? &cached->second.second : nullptr;
      }
      // A re-audit compares statuses, and keeps what a closed cell required (see keepPlans).
      if (!light()) entry.verdict.required = *entry.required_text;
      if (firewall != firewalls_.end() && !entry.required->empty()) {
        entry.firewall = &firewall->second;
        questions.push_back(KeyQuestion{&firewall->second.compiled, firewallProtocol(protocol),
                                        static_cast<std::uint16_t>(port)});
        askedOf.push_back(asked.size());
      }
      asked.push_back(std::move(entry));
    }
    // Cells that miss the same share its text (the nodes of a pool, by one rule): the last few seen.
    std::vector<std::pair<AddressSet, CidrList>> recent_missing;
    verdictEach(questions, [&](std::size_t question, const ReachVerdict& verdict) {
      Asked& entry = asked[askedOf[question]];
      entry.exposure = exposureOf(verdict.admitted, *entry.required);
      if (entry.exposure == Exposure::Open) return;
      if (light()) {
        if (entry.text_to_write != nullptr && entry.text_to_write->empty())
          *entry.text_to_write = cidrStrings(entry.required->toCidrs());
        entry.verdict.required = *entry.required_text;
        return;
      }
      AddressSet missing = entry.required->subtract(verdict.admitted);
      const auto seen = std::find_if(recent_missing.begin(), recent_missing.end(),
                                     [&](const auto& known) { return known.first == missing; });
      if (seen != recent_missing.end()) {
        entry.verdict.missing = seen->second;
        return;
      }
      entry.verdict.missing = cidrStrings(missing.toCidrs());
      if (recent_missing.size() == 8) recent_missing.erase(recent_missing.begin());
      recent_missing.emplace_back(std::move(missing), entry.verdict.missing);
    });
    return asked;
  }

  // One finding per cause: the cells that are not open, grouped by workload, port, the security groups that
  // decide them and status; each cause's first node is asked in full for the rules that decided it.
  void reportBlocked(std::vector<Asked>& asked,
                     const std::map<std::size_t, const Requirement*>& requirements) {
    // One finding per cause: the workload, its port, and the security groups that decide it. Every node where
    // that holds is listed on the one finding, and its fingerprint does not depend on which nodes they are.
    // By workload, port, groups and status (in this order of their names: the order findings are added in).
    std::map<std::tuple<std::string_view, std::string, std::string_view, std::string_view>, BlockedCause>
        causes;
    std::unordered_map<std::size_t, std::string> unit_keys;  // by unit index
    // Each new cause's first node, asked in full once every cell is seen: side by side in the base audit (a
    // fleet has thousands of causes), where nothing else writes the causes any more.
    struct ToDescribe {
      BlockedCause* cause;
      const WorkloadUnit* unit;
      const Requirement* requirement;
      const NodeFirewall* firewall;
      const AddressSet* required;
      PortProtocol protocol;
      int port;
      bool plan;
    };
    std::vector<ToDescribe> to_describe;
    for (Asked& entry : asked) {
      const auto& [unit_index, node, protocol, port] = *entry.key;
      const std::vector<const HostPortUse*>& uses = *entry.uses;
      const WorkloadUnit& unit = model_->units[unit_index];
      PortVerdict& verdict = entry.verdict;
      if (entry.firewall == nullptr) {
        result_.matrix.push_back(std::move(verdict));
        continue;
      }
      verdict.status = statusName(entry.exposure);
      if (entry.exposure == Exposure::Open) {
        result_.matrix.push_back(std::move(verdict));
        continue;
      }
      result_.matrix.push_back(verdict);

      const NodeFirewall& firewall = *entry.firewall;
      auto [unit_key, unit_added] = unit_keys.try_emplace(unit_index);
      if (unit_added) unit_key->second = unit.identity.key();
      auto [it, fresh] = causes.try_emplace(
          {unit_key->second, portLabel(port, protocol), firewall.groups_key, statusName(entry.exposure)});
      BlockedCause& cause = it->second;
      cause.nodes.push_back(node);
      for (const HostPortUse* use : uses) {
        for (const auto& evidence : use->evidence) {
          if (cause.evidence.size() < kEvidenceBudget) {
            cause.evidence.push_back(evidence);
          } else {
            ++cause.evidence_left_out;
          }
        }
      }
      if (!fresh) continue;
      cause.identity = {unit.identity.key(), toString(protocol), std::to_string(port), firewall.groups_key};
      if (addKnown(check::kPortBlocked, cause.identity)) {
        cause.known = true;
        continue;
      }
      // A re-audit plans only the finding under proof: a finding the change would add is named, not fixed.
      const bool plan = !light() || fingerprintOf(check::kPortBlocked, cause.identity) == *proving_;
      to_describe.push_back(
          {&cause, &unit, requirements.at(unit_index), &firewall, entry.required, protocol, port, plan});
    }
    forEach(light() ? 1 : input_.threads, to_describe.size(), [&](std::size_t i) {
      const ToDescribe& what = to_describe[i];
      describeBlocked(*what.cause, *what.unit, *what.requirement, *what.firewall, *what.required,
                      what.protocol, what.port, what.plan);
    });
    for (auto& [key, cause] : causes) {
      if (cause.known) continue;
      Finding& finding = cause.finding;
      setNodes(finding, std::move(cause.nodes));
      finding.title = portLabel(*finding.port, *finding.protocol) + " on " + onNodes(finding.nodes) + " is " +
                      finding.title;
      if (finding.nodes.size() > 1) {
        finding.detail += " The same holds on each of the " + std::to_string(finding.nodes.size()) +
                          " nodes listed (" + nameList(finding.nodes) +
                          "): they share these security groups.";
      }
      std::vector<Evidence> evidence = std::move(cause.evidence);
      if (cause.evidence_left_out > 0) {
        evidence.push_back(
            {"note", "and " + std::to_string(cause.evidence_left_out) + " more items like these", {}});
      }
      evidence.insert(evidence.end(), finding.evidence.begin(), finding.evidence.end());
      finding.evidence = std::move(evidence);
      add(std::move(finding), cause.identity);
    }
  }

  void checkHostPortReach() {
    const CellUses wanted = wantedCells();
    std::map<std::size_t, const Requirement*> requirements;
    RequiredCache own_cache;  // a re-audit's; outlives `asked`, which points into it
    std::vector<Asked> asked = askCells(wanted, requirements, light() ? own_cache : required_cache_);
    reportBlocked(asked, requirements);
  }

  struct BlockedCause {
    Finding finding;
    std::vector<std::string> identity;
    std::vector<std::string> nodes;
    std::vector<Evidence> evidence;  // of the uses, within the budget
    std::size_t evidence_left_out = 0;
    bool known = false;  // a re-audit's finding that the base audit has (see addKnown)
  };

  // The first node of a cause is asked in full (reach), for the rules that decided it: they are the same on
  // every node of the cause, which shares its security groups.
  void describeBlocked(BlockedCause& cause, const WorkloadUnit& unit, const Requirement& requirement,
                       const NodeFirewall& firewall, const AddressSet& required, PortProtocol protocol,
                       int port, bool plan) const {
    const ReachAnswer answer = reach(firewall.compiled, firewallProtocol(protocol),
                                     PortRange::single(static_cast<std::uint16_t>(port)));
    const PortIntervalAnswer& interval = answer.at(static_cast<std::uint16_t>(port));
    const RequirementCheck check = checkRequired(interval, required);

    const std::string required_text = requirement.text();
    Finding& finding = cause.finding;
    finding.check_id = check::kPortBlocked;
    finding.severity = Severity::High;
    finding.namespace_name = unit.identity.namespace_name;
    finding.protocol = protocol;
    finding.port = port;
    finding.subjects = {unit.identity};
    for (const auto& id : firewall.group_ids) {
      const std::string& name = groups_.find(id)->group->name;
      finding.subjects.push_back({"SecurityGroup", "", name.empty() ? id : name});
    }
    // The node count goes in front once every node of the cause is known.
    finding.title = std::string(check.exposure == Exposure::Blocked ? "blocked" : "partly blocked") +
                    " for " + required_text + ", which " + unit.identity.key() + " requires";
    if (light()) {
      if (plan) planOpening(finding, firewall, check, interval, requirement, required, protocol, port);
      return;
    }
    const std::vector<Cidr> missing_cidrs = check.missingCidrs();
    const std::vector<AddressPiece> missing_decided_by = check.missingDecidedBy(interval);
    finding.detail = std::string(toString(protocol)) + " " + std::to_string(port) +
                     // A person reads the first few; the evidence names every rule with what it admits.
                     " is admitted only from " + describeAdmitted(check, interval, 8) +
                     ". Not admitted: " + describeMissing(required, check, missing_cidrs) + " (" +
                     describeMissingDecision(missing_decided_by) + "). Required by " + requirement.why + ".";
    Evidence admitted{"rule", "admitted: " + describeAdmitted(check, interval), {}};
    admitted.addresses = cidrStrings(check.admitted.toCidrs());
    finding.evidence.push_back(std::move(admitted));
    // The text names the first 16 CIDRs; the data lists them all.
    Evidence missing{"rule",
                     "not admitted: " + joinCidrs(missing_cidrs, 16) + " (" +
                         describeMissingDecision(missing_decided_by) + ")",
                     {}};
    missing.missing = cidrStrings(missing_cidrs);
    finding.evidence.push_back(std::move(missing));
    if (check.depends_on_unresolved) {
      finding.evidence.push_back(
          {"rule", "the verdict could change for members of an unresolved security group", {}});
    }
    planOpening(finding, firewall, check, interval, requirement, required, protocol, port);
  }

  // The audited instances that are no node, by id (see mapNodes).
  const std::unordered_map<std::string, const Instance*>& instanceHosts() const {
    return base_ != nullptr ? base_->instance_hosts_ : instance_hosts_;
  }

  // How many of `hosts` are instances that are no node.
  std::size_t instancesAmong(const std::vector<std::string>& hosts) const {
    const auto& instances = instanceHosts();
    return static_cast<std::size_t>(std::count_if(
        hosts.begin(), hosts.end(), [&](const std::string& host) { return instances.count(host) > 0; }));
  }

  // "nodes", "instances" (that are no node), or "nodes and instances".
  std::string hostsNoun(const std::vector<std::string>& nodes) const {
    const std::size_t instances = instancesAmong(nodes);
    return instances == 0 ? "nodes" : instances == nodes.size() ? "instances" : "nodes and instances";
  }

  // "node n1", "3 nodes"; an instance that is no node by its id and name: "instance i-0abc (bastion)",
  // "2 instances", "3 nodes and 1 instance".
  std::string onNodes(const std::vector<std::string>& nodes) const {
    const std::size_t instances = instancesAmong(nodes);
    auto count = [](std::size_t n, const char* what) {
      return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
    };
    if (instances == 0)
      return nodes.size() == 1 ? "node " + nodes.front() : std::to_string(nodes.size()) + " nodes";
    if (instances < nodes.size())
      return count(nodes.size() - instances, "node") + " and " + count(instances, "instance");
    if (nodes.size() > 1) return count(nodes.size(), "instance");
    const std::string& name = instanceHosts().at(nodes.front())->name;
    return "instance " + nodes.front() + (name.empty() || name == nodes.front() ? "" : " (" + name + ")");
  }

  void planOpening(Finding& finding, const NodeFirewall& firewall, const RequirementCheck& check,
                   const PortIntervalAnswer& interval, const Requirement& requirement,
                   const AddressSet& required, PortProtocol protocol, int port) const {
    // A deny that decides part of the missing space goes, unless the allow planned below is weighed before it
    // (see outranks): then it stays, and keeps refusing whatever else it refuses.
    struct Deny {
      const LayerDecision* decision;
      const SecurityGroupRule* rule;
    };
    std::vector<Deny> denies;
    std::set<std::string> narrowed;
    const std::vector<AddressPiece> missing_decided_by = check.missingDecidedBy(interval);
    for (const auto& piece : missing_decided_by) {
      for (const auto& decision : piece.decisions) {
        if (!decision.rule || decision.action != RuleAction::Deny) continue;
        const SecurityGroupRule* rule = groups_.rule(*decision.rule);
        // A rule the provider keeps (Azure's DenyAllInBound) is outranked by the allow below, never narrowed.
        if (rule == nullptr || rule->fixed || !narrowed.insert(decision.rule->key).second) continue;
        denies.push_back({&decision, rule});
      }
    }
    std::vector<AllowIngressPlan> plans;
    auto removeDenies = [&] {
      for (const auto& deny : denies) {
        if (std::any_of(plans.begin(), plans.end(), [&](const AllowIngressPlan& allow) {
              return outranks(firewall, allow, *deny.decision, *deny.rule);
            }))
          continue;
        finding.narrow_plans.push_back({firewall.provider,
                                        deny.decision->rule->group_id,
                                        deny.decision->rule->group_name,
                                        *deny.rule,
                                        {},
                                        "sgaudit: this deny blocks " + portLabel(port, protocol) + " for " +
                                            finding.subjects.front().key()});
      }
    };
    AllowIngressPlan plan;
    plan.provider = firewall.provider;
    plan.group_id = firewall.primary_group_id;
    plan.group_name = firewall.primary_group_name;
    // Into the group whose CIDR rule already admits this port to someone, where the node has one: that is
    // where the port is managed, and it may be narrower than the cluster-wide group (on EKS the cluster
    // security group is also on the control plane's network interfaces and on every managed node).
    const std::vector<AddressPiece> admitted_decided_by = check.admittedDecidedBy(interval);
    // Under PriorityDenyWins a group is the set of instances its rules target (GCP: a network and target
    // tags), not where a port is managed: an admitting rule's group may target the whole network, and the
    // allow goes to the node's own group (its node pool's tags) so that it opens no other instance.
    const bool targets_select = firewall.layer_group_ids.size() == 1 &&
                                firewall.compiled.layers.size() == 1 &&
                                firewall.compiled.layers.front().model == EvaluationModel::PriorityDenyWins;
    for (const auto& id : firewall.group_ids) {
      if (targets_select) break;
      const bool admits =
          std::any_of(admitted_decided_by.begin(), admitted_decided_by.end(), [&](const AddressPiece& piece) {
            return std::any_of(piece.decisions.begin(), piece.decisions.end(), [&](const LayerDecision& d) {
              if (!d.rule || d.action != RuleAction::Allow || d.rule->group_id != id) return false;
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
    const GroupIndex::Entry* target = groups_.find(plan.group_id);
    const bool names_groups = target == nullptr || target->first->rules_name_groups;
    // The narrowest rule that admits what is required, written as the providers' own docs write it: the
    // VPC's CIDR for "vpc", the node security group's members for "nodes", never one rule per address.
    AddressSet by_cidr;
    for (const auto& [name, set] : requirement.parts) {
      const AddressSet wanted = set.intersect(required).intersect(check.missing);
      if (wanted.empty()) continue;
      if (name == "nodes" && names_groups && coverByGroups(wanted, firewall, plan.source_groups)) continue;
      for (const auto& cidr : set.intersect(required).toCidrs()) {
        if (check.missing.intersects(AddressSet::of(cidr))) by_cidr.add(cidr);
      }
    }
    plan.sources = summarise(by_cidr.toCidrs());
    std::string text = joinCidrs(plan.sources, 3);
    for (const auto& group : plan.source_groups)
      text += (text.empty() ? "members of " : ", members of ") + (group.name.empty() ? group.id : group.name);
    plan.description = "sgaudit: " + finding.subjects.front().key() + " needs it from " + text;
    if (plan.sources.empty() && plan.source_groups.empty()) {
      removeDenies();
      return;
    }
    // Every layer that refuses part of the missing space needs the allow in one of its groups: the group of
    // the rule refusing it, or the layer's first group when nothing matched. One layer: the group chosen
    // above.
    std::map<std::size_t, std::pair<std::string, std::optional<int>>>
        refusing;  // layer -> group, lowest deny
    for (const auto& piece : missing_decided_by) {
      for (const auto& decision : piece.decisions) {
        if (decision.action != RuleAction::Deny || decision.layer >= firewall.layer_group_ids.size())
          continue;
        auto& [group, beat] = refusing[decision.layer];
        if (decision.rule) {
          const SecurityGroupRule* rule = groups_.rule(*decision.rule);
          if (group.empty()) group = decision.rule->group_id;
          if (rule != nullptr && (!beat || rule->priority < *beat)) beat = rule->priority;
        } else if (group.empty()) {
          group = firewall.layer_group_ids[decision.layer].front();
        }
      }
    }
    if (firewall.layer_group_ids.size() <= 1) {
      std::optional<int> beat;
      for (const auto& [layer, refused] : refusing) {
        // In a group evaluated by itself (first match, group by group) only its own denies come before the
        // allow; under PriorityDenyWins every rule of the layer is weighed by priority whatever its group,
        // so the allow must outrank the layer's lowest-numbered refusing deny.
        if (refused.first == plan.group_id || targets_select) beat = refused.second;
      }
      if (placeAt(plan, beat)) plans.push_back(std::move(plan));
    } else {
      for (const auto& [layer, refused] : refusing) {
        AllowIngressPlan into = plan;
        into.group_id = refused.first;
        into.group_name = groups_.find(refused.first)->group->name;
        if (placeAt(into, refused.second)) plans.push_back(std::move(into));
      }
    }
    removeDenies();
    for (auto& placed : plans)
      finding.allow_plans.push_back(std::move(placed));
  }

  // Whether the allow `allow` is weighed before the deny deciding `decision` on this node, so that the deny
  // need not go: under PriorityDenyWins by priority alone (a deny wins a tie); under first match group by
  // group, an earlier group of the layer, or the same group at a lower priority. Never under the union model,
  // nor across layers (every layer must admit).
  bool outranks(const NodeFirewall& firewall, const AllowIngressPlan& allow, const LayerDecision& decision,
                const SecurityGroupRule& deny) const {
    if (decision.layer >= firewall.layer_group_ids.size() ||
        decision.layer >= firewall.compiled.layers.size())
      return false;
    const auto& order = firewall.layer_group_ids[decision.layer];
    const auto allow_at = std::find(order.begin(), order.end(), allow.group_id);
    const auto deny_at = std::find(order.begin(), order.end(), decision.rule->group_id);
    if (allow_at == order.end() || deny_at == order.end()) return false;
    // The allow's priority is the one its fix writes (placeAt's, or 1: first, for Huawei Cloud).
    switch (firewall.compiled.layers[decision.layer].model) {
      case EvaluationModel::PriorityDenyWins:
        return allow.priority < deny.priority;
      case EvaluationModel::FirstMatchByPriority:
        if (allow_at != deny_at) return allow_at < deny_at;
        return allow.priority < deny.priority;
      case EvaluationModel::Union:
        break;
    }
    return false;
  }

  // The priority of an allow plan in its group: where the provider bounds priorities, the largest free one
  // that still outranks `beat` (the lowest-numbered rule it must beat; a deny of equal priority wins under
  // PriorityDenyWins, and first match takes the first listed), so the new rule goes as late as it can; else
  // 1. False when the group has no free priority that outranks it.
  bool placeAt(AllowIngressPlan& plan, std::optional<int> beat) const {
    const GroupIndex::Entry* entry = groups_.find(plan.group_id);
    if (entry == nullptr || !entry->first->priority_range) return true;
    const auto [lowest, highest] = *entry->first->priority_range;
    std::set<int> taken;
    for (const auto& rule : entry->group->rules)
      taken.insert(rule.priority);
    for (int priority = beat ? std::min(highest, *beat - 1) : highest; priority >= lowest; --priority) {
      if (taken.count(priority) == 0) {
        plan.priority = priority;
        return true;
      }
    }
    return false;
  }

  // The security groups whose members are `wanted`: the node's own groups first (where fixes go first), then
  // every group whose members the inputs know. Fails when four groups do not cover it.
  bool coverByGroups(const AddressSet& wanted, const NodeFirewall& firewall,
                     std::vector<AllowIngressPlan::GroupSource>& chosen) const {
    // The node's own groups first, then every group with members, by id.
    const SourceResolver& resolver = base_ != nullptr ? base_->resolver_ : resolver_;
    const auto& with_members = base_ != nullptr ? base_->groups_with_members_ : groups_with_members_;
    std::vector<std::pair<const std::string*, const AddressSet*>> candidates;
    candidates.reserve(1 + firewall.group_ids.size() + with_members.size());
    auto own = [&](const std::string& id) {
      const auto members = resolver.security_group_members.find(id);
      if (members != resolver.security_group_members.end())
        candidates.emplace_back(&members->first, &members->second);
    };
    own(firewall.primary_group_id);
    for (const auto& id : firewall.group_ids)
      own(id);
    candidates.insert(candidates.end(), with_members.begin(), with_members.end());
    // One group that holds them all, the way a node pool's node group does.
    for (const auto& [id, members] : candidates) {
      if (!members->contains(wanted)) continue;
      chosen.push_back({*id, groups_.find(*id) ? groups_.find(*id)->group->name : ""});
      return true;
    }
    // Otherwise a few groups together (node pools with a group each).
    AddressSet left = wanted;
    std::vector<AllowIngressPlan::GroupSource> picked;
    std::unordered_set<const std::string*> seen;
    for (const auto& [id, members] : candidates) {
      if (!seen.insert(id).second) continue;
      if (!members->intersects(left)) continue;
      if (!wanted.contains(*members)) continue;  // it would open the port to others than asked
      picked.push_back({*id, groups_.find(*id) ? groups_.find(*id)->group->name : ""});
      left = left.subtract(*members);
      if (left.empty() || picked.size() == 4) break;
    }
    if (!left.empty()) return false;
    chosen.insert(chosen.end(), picked.begin(), picked.end());
    return true;
  }

  // More than a few CIDRs (addresses that no group or network holds together) are written as the subnets or
  // VPCs that hold them, so that a fix stays a handful of rules.
  std::vector<Cidr> summarise(std::vector<Cidr> cidrs) const {
    constexpr std::size_t kMostRules = 8;
    if (cidrs.size() <= kMostRules) return cidrs;
    for (const char* kind : {"subnet", "vpc"}) {
      AddressSet covered;
      AddressSet networks;
      for (const auto& network : input_.cloud.networks) {
        if (network.kind != kind) continue;
        for (const auto& text : network.cidrs) {
          const auto cidr = Cidr::parse(text);
          if (!cidr) continue;
          const AddressSet set = AddressSet::of(*cidr);
          for (const auto& wanted : cidrs) {
            if (!set.intersects(AddressSet::of(wanted))) continue;
            networks.add(*cidr);
            covered = covered.unite(set);
            break;
          }
        }
      }
      AddressSet rest;
      for (const auto& cidr : cidrs) {
        if (!covered.contains(AddressSet::of(cidr))) rest.add(cidr);
      }
      std::vector<Cidr> out = networks.unite(rest).toCidrs();
      if (out.size() <= kMostRules) return out;
    }
    // No network the inputs know holds them: the smallest prefix that does, per family, as a node subnet
    // would be, when it stays inside private space (never a public supernet).
    AddressSet all;
    for (const auto& cidr : cidrs)
      all.add(cidr);
    std::vector<Cidr> out;
    for (IpFamily family : {IpFamily::V4, IpFamily::V6}) {
      const auto& ranges = all.ranges(family);
      if (ranges.empty()) continue;
      const Uint128 first = ranges.front().first;
      const Uint128 last = ranges.back().last;
      const int width = family == IpFamily::V4 ? 32 : 128;
      int prefix = width;
      while (prefix > 0) {
        const Cidr candidate = Cidr::containing({family, first}, prefix);
        if (candidate.range().last >= last) break;
        --prefix;
      }
      const Cidr covering = Cidr::containing({family, first}, prefix);
      if (!nonPublicSpace().contains(AddressSet::of(covering))) return cidrs;
      out.push_back(covering);
    }
    return out;
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
      std::vector<std::string> open_nodes;
      std::vector<std::string> closed_nodes;
      std::vector<std::string> nodes;
      for (const PortVerdict* v : verdicts) {
        (v->status == "open" ? open : closed).push_back(v->node + " (" + v->status + ")");
        (v->status == "open" ? open_nodes : closed_nodes).push_back(v->node);
        nodes.push_back(v->node);
      }
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
      setNodes(finding, std::move(nodes));
      finding.title = portLabel(port, protocol) + " of " + workload + " is reachable on " +
                      std::to_string(open.size()) + " of its nodes and not on " +
                      std::to_string(closed.size());
      finding.detail =
          "Open on " + nameList(open, 20) + "; not on " + nameList(closed, 20) +
          ". Clients see failures depending on where the pod lands: give every node pool the same "
          "security groups, or pin the workload to the nodes that admit it.";
      finding.evidence.push_back(nodeEvidence("rule", "open: " + nameList(open, 50), open_nodes));
      finding.evidence.push_back(nodeEvidence("rule", "blocked: " + nameList(closed, 50), closed_nodes));
      add(std::move(finding), {workload, toString(protocol), std::to_string(port)});
    }
  }

  struct RuleExposure;  // see exposure_by_rule_
  // What a rule exposes: the sensitive ports it opens to public addresses, on which nodes.
  struct ExposureCause {
    RuleOrigin origin;
    std::string provider;
    std::map<PortProtocol, PortSet> ports;
    std::vector<std::string> nodes;
    AddressSet exposed;
    std::vector<Evidence> listeners;  // within the budget
    std::size_t listeners_left_out = 0;
    // In a re-audit, the base audit's exposures of the same rule on nodes not audited again: their nodes
    // are in no list until a finding is written of the cause (see addExposureElsewhere).
    std::vector<const RuleExposure*> elsewhere;
  };

  // The causes of a check of sensitive ports, found by rule key (hashed: a re-audit looks up hundreds of
  // long ids), and taken in key order (the order a group's rules are written in) once all are known.
  struct Causes {
    std::deque<std::pair<std::string, ExposureCause>> all;  // by key; in the order found
    std::unordered_map<std::string_view, ExposureCause*> index;
    // The cause of the rule `key`, and whether it is new.
    std::pair<ExposureCause*, bool> find(const std::string& key) {
      if (const auto known = index.find(key); known != index.end()) return {known->second, false};
      auto& entry = all.emplace_back(key, ExposureCause{});
      index.emplace(entry.first, &entry.second);
      return {&entry.second, true};
    }
    std::vector<std::pair<std::string, ExposureCause>*> byKey() {
      std::vector<std::pair<std::string, ExposureCause>*> sorted;
      sorted.reserve(all.size());
      for (auto& entry : all)
        sorted.push_back(&entry);
      std::sort(sorted.begin(), sorted.end(),
                [](const auto* a, const auto* b) { return a->first < b->first; });
      return sorted;
    }
  };

  struct ExposingRule {
    const SecurityGroupRule* rule = nullptr;
    const SecurityGroup* group = nullptr;
    std::string own_key;  // the rule's identity when it has no RuleOrigin::key
    std::vector<std::pair<PortProtocol, PortSet>> ports;  // the sensitive ports it exposes, of those asked
    AddressSet exposed;                                   // the public sources it admits there
    std::vector<std::uint32_t> targets;                   // where (see nodeExposingRules)
    const std::string& key() const { return rule->origin.key.empty() ? own_key : rule->origin.key; }
  };

  // A sensitive port (or range) asked on a node, with what listens there.
  struct SensitiveTarget {
    PortProtocol protocol = PortProtocol::Tcp;
    PortRange ports;
    std::string who;  // empty: no socket data
    SourceLocation where;
  };

  static constexpr int kMaxKeysAsked = 256;  // see nodeExposingRules

  // The sensitive ports to ask on a node, with what listens there: those of its sockets when they are known,
  // and in a re-audit only those the change can alter.
  std::vector<SensitiveTarget> sensitiveTargets(const std::string& node_name) const {
    const auto& sockets_by_node = base_ != nullptr ? base_->sockets_by_node_ : sockets_by_node_;
    const auto sockets_found = sockets_by_node.find(node_name);
    const NodeSockets* sockets = sockets_found == sockets_by_node.end() ? nullptr : sockets_found->second;
    // The ports to check, with what listens there.
    std::vector<SensitiveTarget> targets;
    if (sockets != nullptr) {
      std::set<std::pair<PortProtocol, int>> seen;
      for (const auto& socket : sockets->sockets) {
        const std::string address = normaliseHostIp(socket.address);
        if (address == "127.0.0.1" || address == "::1" || address.starts_with("127.")) continue;
        if (!input_.policy.sensitive_ports.contains(static_cast<std::uint16_t>(socket.port))) continue;
        if (!seen.insert({socket.protocol, socket.port}).second) continue;
        std::string who = socket.processes.empty() ? "a process" : socket.processes.front().name;
        const bool v6 = socket.address.find(':') != std::string::npos;
        targets.push_back({socket.protocol, PortRange::single(static_cast<std::uint16_t>(socket.port)),
                           who + " listens on " + (v6 ? "[" + socket.address + "]" : socket.address) + ":" +
                               std::to_string(socket.port),
                           SourceLocation{sockets->source.file, socket.line}});
      }
    } else {
      for (const auto& range : input_.policy.sensitive_ports.ranges()) {
        targets.push_back({PortProtocol::Tcp, range, "", SourceLocation{}});
      }
    }
    if (affected_) {
      // A re-audit asks only the ports the change can alter.
      std::vector<SensitiveTarget> narrowed;
      for (const auto& target : targets) {
        const auto it = affected_->find(firewallProtocol(target.protocol).number());
        if (it == affected_->end()) continue;
        const PortSet asked = it->second.intersect(target.ports);
        for (const auto& range : asked.ranges())
          narrowed.push_back({target.protocol, range, target.who, target.where});
      }
      targets = std::move(narrowed);
    }
    return targets;
  }

  // Every allow rule of the node's groups that admits part of what reaches the node from public space on one
  // of `targets`, not only the one that decides: a rule shadowed by another (or by an allow of higher
  // priority) opens the port as soon as the other is narrowed. Each rule once, with every target it exposes
  // (`targets` holds their indices). `changed_only`: only the groups a re-audit changes (see
  // checkSensitivePorts).
  std::vector<ExposingRule> nodeExposingRules(const NodeFirewall& firewall,
                                              const std::vector<SensitiveTarget>& targets,
                                              bool changed_only) const {
    // What reaches the node from public space, by target and run of ports.
    struct Reaching {
      std::uint32_t target;
      Protocol protocol;
      PortRange ports;
      AddressSet exposed;
    };
    // Asked port by port in one batch (verdictEach: who gets through, not who decided), except a range too
    // wide to ask key by key; runs of a target's ports with the same sources are one.
    std::vector<KeyQuestion> questions;
    std::vector<std::pair<std::size_t, std::size_t>> asked(targets.size());  // each target's questions
    for (std::uint32_t index = 0; index < targets.size(); ++index) {
      const SensitiveTarget& target = targets[index];
      asked[index].first = questions.size();
      if (target.ports.last - target.ports.first >= kMaxKeysAsked) continue;
      for (int key = target.ports.first; key <= target.ports.last; ++key)
        questions.push_back(
            {&firewall.compiled, firewallProtocol(target.protocol), static_cast<std::uint16_t>(key)});
      asked[index].second = questions.size();
    }
    std::vector<AddressSet> exposed_at(questions.size());
    verdictEach(questions, [&](std::size_t question, const ReachVerdict& verdict) {
      exposed_at[question] = verdict.admitted.subtract(nonPublicSpace());
    });
    std::vector<Reaching> reaching;
    for (std::uint32_t index = 0; index < targets.size(); ++index) {
      const SensitiveTarget& target = targets[index];
      const Protocol protocol = firewallProtocol(target.protocol);
      const auto [begin, end] = asked[index];
      if (begin == end) {
        for (const auto& interval : reach(firewall.compiled, protocol, target.ports).intervals) {
          AddressSet exposed = interval.admitted.subtract(nonPublicSpace());
          if (!exposed.empty()) reaching.push_back({index, protocol, interval.ports, std::move(exposed)});
        }
        continue;
      }
      for (std::size_t first = begin, last = begin; first < end; first = last) {
        while (last < end && exposed_at[last] == exposed_at[first])
          ++last;
        if (exposed_at[first].empty()) continue;
        reaching.push_back({index, protocol, PortRange{questions[first].key, questions[last - 1].key},
                            std::move(exposed_at[first])});
      }
    }
    std::vector<ExposingRule> found;
    if (reaching.empty()) return found;
    // Runs that admit the same public sources (most of a node's ports do) are taken together: a rule's source
    // is tested against each distinct set once, and what it exposes there found once.
    struct Admitting {
      const AddressSet* exposed;
      std::vector<const Reaching*> runs;  // in target order
    };
    std::vector<Admitting> distinct;
    for (const Reaching& at : reaching) {
      const auto same = std::find_if(distinct.begin(), distinct.end(),
                                     [&](const Admitting& known) { return *known.exposed == at.exposed; });
      if (same == distinct.end()) {
        distinct.push_back({&at.exposed, {&at}});
      } else {
        same->runs.push_back(&at);
      }
    }
    const SourceResolver& resolver = base_ != nullptr ? base_->resolver_ : resolver_;
    AddressSet scratch;
    for (const auto& id : firewall.group_ids) {
      if (changed_only && groups_.by_id.count(id) == 0) continue;
      const GroupIndex::Entry* entry = groups_.find(id);
      if (entry == nullptr) continue;
      for (const auto& rule : entry->group->rules) {
        if (rule.direction != Direction::Ingress || rule.action != RuleAction::Allow) continue;
        const Cidr* cidr = std::get_if<Cidr>(&rule.source);
        // A prefix inside the network (10.0.0.0/8 and the like) exposes nothing on any port.
        if (cidr != nullptr && !publicSpace().intersects(cidr->family(), cidr->range())) continue;
        const AddressSet* source = nullptr;  // resolved when first needed
        bool resolved = false;
        ExposingRule* added = nullptr;
        for (const Admitting& admitting : distinct) {
          const AddressSet& exposed = *admitting.exposed;
          bool asked = false;  // whether the source was tested against `exposed`
          bool exposes = false;
          for (const Reaching* at : admitting.runs) {
            if (!rule.protocol.isAny() && rule.protocol != at->protocol) continue;
            if (rule.protocol.hasKey() && !rule.ports.intersects(at->ports)) continue;
            if (!asked) {
              asked = true;
              // Most sources are one prefix: tested as its interval before a set is made of it.
              if (cidr != nullptr && !exposed.intersects(cidr->family(), cidr->range())) break;
              if (!resolved) {
                resolved = true;
                if (cidr != nullptr) {
                  scratch = AddressSet::of(cidr->family(), cidr->range());
                  source = &scratch;
                } else {
                  source = resolver.find(rule.source, scratch);
                }
              }
              exposes = source != nullptr && source->intersects(exposed);
            }
            if (!exposes) break;
            if (added == nullptr) {
              added = &found.emplace_back();
              added->rule = &rule;
              added->group = entry->group.get();
              if (rule.origin.key.empty()) added->own_key = GroupIndex::ruleKey(rule, entry->group->id);
            }
            const PortProtocol protocol = targets[at->target].protocol;
            auto ports = std::find_if(added->ports.begin(), added->ports.end(),
                                      [&](const auto& entry) { return entry.first == protocol; });
            if (ports == added->ports.end()) ports = added->ports.insert(ports, {protocol, PortSet{}});
            if (rule.protocol.hasKey()) {
              const PortSet exposed_ports = rule.ports.intersect(at->ports);
              for (const auto& range : exposed_ports.ranges())
                ports->second.add(range);
            } else {
              ports->second.add(at->ports);
            }
            added->targets.push_back(at->target);
          }
          if (!exposes || added == nullptr || added->exposed.contains(exposed)) continue;
          AddressSet exposed_here = source->intersect(exposed);
          if (!added->exposed.contains(exposed_here)) added->exposed = added->exposed.unite(exposed_here);
        }
        if (added != nullptr) {
          // In target order, each once, as the runs came.
          std::sort(added->targets.begin(), added->targets.end());
          added->targets.erase(std::unique(added->targets.begin(), added->targets.end()),
                               added->targets.end());
        }
      }
    }
    return found;
  }

  // The allow rules of one group that admit part of `exposed` on `ports`: under one layer of the union model,
  // every one of them opens the port whatever the other rules say.
  void exposingRulesOf(const GroupIndex::Entry& entry, PortProtocol port_protocol, PortRange ports,
                       const AddressSet& exposed, std::vector<ExposingRule>& found) const {
    const Protocol protocol = firewallProtocol(port_protocol);
    const SourceResolver& resolver = base_ != nullptr ? base_->resolver_ : resolver_;
    AddressSet scratch;
    for (const auto& rule : entry.group->rules) {
      if (rule.direction != Direction::Ingress || rule.action != RuleAction::Allow) continue;
      if (!rule.protocol.isAny() && rule.protocol != protocol) continue;
      // Looked at before anything is built: most rules of a group miss the ports or the addresses.
      if (rule.protocol.hasKey() && !rule.ports.intersects(ports)) continue;
      const AddressSet* source = nullptr;
      if (const auto* cidr = std::get_if<Cidr>(&rule.source)) {
        // Most sources are one prefix: tested as its interval before a set is made of it.
        if (!exposed.intersects(cidr->family(), cidr->range())) continue;
        scratch = AddressSet::of(cidr->family(), cidr->range());
        source = &scratch;
      } else {
        source = resolver.find(rule.source, scratch);
        if (source == nullptr || !source->intersects(exposed)) continue;
      }
      ExposingRule& added = found.emplace_back();
      added.rule = &rule;
      added.group = entry.group.get();
      if (rule.origin.key.empty()) added.own_key = GroupIndex::ruleKey(rule, entry.group->id);
      added.ports.emplace_back(port_protocol,
                               rule.protocol.hasKey() ? rule.ports.intersect(ports) : PortSet::of(ports));
      added.exposed = source->intersect(exposed);
    }
  }

  // One finding per rule that opens sensitive ports to the internet (one per group where several of its
  // rules open the same ports on the same nodes), listing every port and every node it reaches.
  void checkSensitivePorts() {
    // The change decides nothing for public sources on sensitive ports (see changesExposure): every
    // exposure on these nodes is the base audit's, still there, and the proof knows it (Trial::exposures).
    if (exposure_unchanged_) return;
    Causes causes;
    // Each rule's cause and kept exposure, once looked up by its key.
    std::unordered_map<const SecurityGroupRule*, std::pair<ExposureCause*, RuleExposure*>> slots_by_rule;
    // By groups and ports (see nodeExposingRules): nodes with the same groups answer alike. Bounded: a fleet
    // of nodes that each mix their own groups would only fill it.
    std::unordered_map<std::string, std::vector<ExposingRule>> by_firewall;
    // Under one layer of the union model a rule exposes what its source admits of public space, whatever
    // the other rules say: the same on every node whose firewall holds its group. Found once per group,
    // protocol and ports, with no firewall asked; each with the cause and kept exposure it adds to, once
    // they are known.
    struct GroupExposure {
      ExposingRule rule;
      ExposureCause* cause = nullptr;
      RuleExposure* kept = nullptr;
    };
    using GroupKey = std::tuple<const SecurityGroup*, PortProtocol, std::uint16_t, std::uint16_t>;
    std::map<GroupKey, std::vector<GroupExposure>> by_group;
    // Under the union model a rule exposes what its source admits of public space whatever the other rules
    // say, so a re-audit asks only the rules of the groups it changes; the others' findings are the base
    // audit's, still there (see addKnown).
    // (Unless the finding under proof is about one of them: its plans found nothing to change.)
    std::set<std::string> unchanged_groups;
    bool skip_unchanged = light() && !input_.exhaustive_proofs;
    if (light()) {
      for (const auto& [node_name, firewall] : firewalls_) {
        if (!firewall.union_only) continue;
        for (const auto& id : firewall.group_ids) {
          if (groups_.by_id.count(id) == 0) unchanged_groups.insert(id);
        }
      }
      for (const auto& id : unchanged_groups) {
        for (const bool whole : {true, false}) {
          if (fingerprintOf(check::kSensitivePortExposed, exposureIdentity(id, whole)) == *proving_)
            skip_unchanged = false;
        }
      }
      if (!skip_unchanged) unchanged_groups.clear();
    }
    // Nodes are taken in chunks: under priorities and denies the base audit first finds each chunk's
    // exposing rules side by side (nodeExposingRules, per distinct groups and ports), then adds them up in
    // node order.
    std::vector<std::pair<const std::string*, const NodeFirewall*>> nodes;
    nodes.reserve(firewalls_.size());
    for (const auto& [name, firewall] : firewalls_)
      nodes.emplace_back(&name, &firewall);
    constexpr std::size_t kChunk = 1024;
    for (std::size_t chunk = 0; chunk < nodes.size(); chunk += kChunk) {
      const std::size_t chunk_end = std::min(nodes.size(), chunk + kChunk);
      std::vector<std::vector<SensitiveTarget>> targets_of(chunk_end - chunk);
      std::vector<const std::vector<ExposingRule>*> exposing_of(chunk_end - chunk, nullptr);
      std::vector<std::pair<std::size_t, std::vector<ExposingRule>*>> to_find;
      if (by_firewall.size() > 1024) by_firewall.clear();
      for (std::size_t i = chunk; i < chunk_end; ++i) {
        const NodeFirewall& firewall = *nodes[i].second;
        targets_of[i - chunk] = sensitiveTargets(*nodes[i].first);
        if (firewall.union_only && firewall.layer_group_ids.size() == 1) continue;  // per group, below
        std::string key = std::to_string(firewall.groups_index);
        for (const auto& target : targets_of[i - chunk]) {
          key += ';';
          key += std::to_string(static_cast<int>(target.protocol)) + ':' + target.ports.toString();
        }
        auto [exposing, fresh] = by_firewall.try_emplace(std::move(key));
        if (fresh) to_find.emplace_back(i, &exposing->second);
        exposing_of[i - chunk] = &exposing->second;
      }
      forEach(light() ? 1 : input_.threads, to_find.size(), [&](std::size_t k) {
        const auto [i, found] = to_find[k];
        const NodeFirewall& firewall = *nodes[i].second;
        *found = nodeExposingRules(firewall, targets_of[i - chunk], skip_unchanged && firewall.union_only);
      });
      for (std::size_t i = chunk; i < chunk_end; ++i) {
        const std::string& node_name = *nodes[i].first;
        const NodeFirewall& firewall = *nodes[i].second;
        const bool changed_only = skip_unchanged && firewall.union_only;
        const std::vector<SensitiveTarget>& targets = targets_of[i - chunk];
        // What one exposing rule adds on this node, listened to at `listening` (indices into targets). With
        // slots (a group's rule, the same on every node that holds it), its cause and kept exposure are
        // looked up once, and once they are known its ports and addresses are already in them.
        auto addRule = [&](const ExposingRule& rule, std::span<const std::uint32_t> listening,
                           ExposureCause** cause_slot, RuleExposure** kept_slot) {
          // A rule the provider keeps is no cause anyone can remove: Azure's AllowAzureLoadBalancerInBound
          // admits only the platform's health probe address.
          if (rule.rule->fixed) return;
          ExposureCause* cause = cause_slot != nullptr ? *cause_slot : nullptr;
          const bool merged = cause != nullptr;
          // Looked up by the rule only when no slot holds them (a slot, once filled, is what it found).
          std::pair<ExposureCause*, RuleExposure*>* known = nullptr;
          if (cause == nullptr) {
            known = &slots_by_rule[rule.rule];
            cause = known->first;
          }
          if (cause == nullptr) {
            const auto [found, added] = causes.find(rule.key());
            cause = found;
            known->first = cause;
            if (added) {
              cause->origin = rule.rule->origin;
              cause->origin.key = rule.key();
              if (cause->origin.group_id.empty()) cause->origin.group_id = rule.group->id;
              if (cause->origin.group_name.empty()) cause->origin.group_name = rule.group->name;
              cause->provider = firewall.provider;
            }
          }
          if (cause_slot != nullptr) *cause_slot = cause;
          if (cause->nodes.empty() || cause->nodes.back() != node_name) cause->nodes.push_back(node_name);
          if (!merged) {
            for (const auto& [protocol, set] : rule.ports) {
              PortSet& cause_ports = cause->ports[protocol];
              for (const auto& range : set.ranges()) {
                if (!cause_ports.contains(range)) cause_ports.add(range);
              }
            }
            if (!cause->exposed.contains(rule.exposed)) cause->exposed = cause->exposed.unite(rule.exposed);
          }
          if (!light() && input_.verify_fixes) {
            RuleExposure* kept = kept_slot != nullptr ? *kept_slot : nullptr;
            if (kept == nullptr) {
              if (known == nullptr) known = &slots_by_rule[rule.rule];
              if (known->second == nullptr) {
                known->second = &exposure_by_rule_[rule.key()];
                if (known->second->by_node.empty()) {
                  known->second->origin = cause->origin;
                  known->second->provider = cause->provider;
                }
              }
              kept = known->second;
              if (kept_slot != nullptr) *kept_slot = kept;
            }
            // A node's rules are all seen before the next node's (firewalls_ is by node).
            if (kept->by_node.empty() || kept->by_node.back().first != node_name) {
              kept->by_node.emplace_back(node_name, nullptr);
              exposing_rules_by_node_[node_name].push_back(kept);
            }
            const AddressSet*& on_node = kept->by_node.back().second;
            if (on_node == nullptr) {
              on_node = kept_sets_.intern(rule.exposed);
            } else if (!on_node->contains(rule.exposed)) {
              on_node = kept_sets_.intern(on_node->unite(rule.exposed));
            }
            if (!merged) {
              for (const auto& [protocol, set] : rule.ports) {
                for (const auto& range : set.ranges())
                  kept->ports[protocol].add(range);
              }
              if (!kept->exposed.contains(rule.exposed)) kept->exposed = kept->exposed.unite(rule.exposed);
            }
          }
          for (const std::uint32_t index : listening) {
            const SensitiveTarget& target = targets[index];
            if (target.who.empty()) continue;
            if (cause->listeners.size() < kEvidenceBudget) {
              cause->listeners.push_back({"socket", "node " + node_name + ": " + target.who, target.where});
            } else {
              ++cause->listeners_left_out;
            }
          }
        };
        if (exposing_of[i - chunk] != nullptr) {
          // What a rule exposes depends on the node's other rules (found above).
          for (const auto& rule : *exposing_of[i - chunk])
            addRule(rule, rule.targets, nullptr, nullptr);
          continue;
        }
        for (std::uint32_t index = 0; index < targets.size(); ++index) {
          const SensitiveTarget& target = targets[index];
          for (const auto& id : firewall.group_ids) {
            if (changed_only && groups_.by_id.count(id) == 0) continue;
            const GroupIndex::Entry* group = groups_.find(id);
            if (group == nullptr) continue;
            auto [exposing, fresh] = by_group.try_emplace(
                GroupKey{group->group.get(), target.protocol, target.ports.first, target.ports.last});
            if (fresh) {
              std::vector<ExposingRule> found;
              exposingRulesOf(*group, target.protocol, target.ports, publicSpace(), found);
              for (auto& rule : found)
                exposing->second.push_back({std::move(rule)});
            }
            for (auto& entry : exposing->second)
              addRule(entry.rule, {&index, 1}, &entry.cause, &entry.kept);
          }
        }
      }
    }
    if (light()) addExposureElsewhere(causes, unchanged_groups);
    // (Known once every node is seen: a re-audit looks at no node's set when they are all the same.)
    for (auto& entry : exposure_by_rule_) {
      RuleExposure& kept = entry.second;  // named plainly: clang before 16 cannot capture a binding
      kept.uniform = std::all_of(kept.by_node.begin(), kept.by_node.end(),
                                 [&](const auto& on_node) { return *on_node.second == kept.exposed; });
    }
    // A group's rules that open sensitive ports to the whole internet are one cause, and those that open them
    // to other public sources another: each is one change to one group (a security group is what a team
    // owns and reviews), however many rules, ports and nodes it spans.
    static const AddressSet public_v4 = publicSpace().only(IpFamily::V4);
    static const AddressSet public_v6 = publicSpace().only(IpFamily::V6);
    std::map<std::pair<std::string, bool>, std::vector<ExposureCause*>> merged;
    for (auto* entry : causes.byKey()) {
      ExposureCause& cause = entry->second;
      std::sort(cause.nodes.begin(), cause.nodes.end());
      cause.nodes.erase(std::unique(cause.nodes.begin(), cause.nodes.end()), cause.nodes.end());
      const bool whole = cause.exposed.contains(public_v4) || cause.exposed.contains(public_v6);
      merged[{cause.origin.group_id, whole}].push_back(&cause);
    }
    if (light()) {
      for (const auto& [key, rules] : merged)
        reportExposure(rules, key.second);
    } else {
      // Written side by side, added in order: a fleet has thousands.
      std::vector<std::pair<const std::vector<ExposureCause*>*, bool>> groups;
      for (const auto& [key, rules] : merged)
        groups.emplace_back(&rules, key.second);
      std::vector<Finding> written(groups.size());
      // (Resolved only when a plan narrows to it: "vpc" with no address is a warning.)
      const AddressSet* vpc = groups.empty() ? nullptr : &sourceSet("vpc");
      forEach(input_.threads, groups.size(),
              [&](std::size_t i) { written[i] = exposureFinding(*groups[i].first, groups[i].second, *vpc); });
      for (std::size_t i = 0; i < groups.size(); ++i) {
        add(std::move(written[i]),
            exposureIdentity(groups[i].first->front()->origin.group_id, groups[i].second));
      }
    }
    for (const auto& id : unchanged_groups) {
      for (const bool whole : {true, false})
        addKnown(check::kSensitivePortExposed, exposureIdentity(id, whole));
    }
  }

  // A re-audit's causes with what their rules expose on the nodes it does not audit again (their groups
  // are unchanged, and so is what they admit there): whether a rule opens a port to the whole internet or
  // to some of it is over every node it reaches. A rule that exposed something on a node audited again and
  // no longer does there may still be a cause elsewhere, with a smaller extent, which a fix must not hide.
  // (The groups of `unchanged`, under the union model, are the base audit's findings as they were.)
  void addExposureElsewhere(Causes& causes, const std::set<std::string>& unchanged) const {
    const std::unordered_set<std::string_view> scope(scope_->begin(), scope_->end());
    const std::unordered_set<std::string_view> unchanged_ids(unchanged.begin(), unchanged.end());
    std::vector<const RuleExposure*> rules;
    for (const auto& node : *scope_) {
      const auto on = base_->exposing_rules_by_node_.find(node);
      if (on != base_->exposing_rules_by_node_.end())
        rules.insert(rules.end(), on->second.begin(), on->second.end());
    }
    std::sort(rules.begin(), rules.end());
    rules.erase(std::unique(rules.begin(), rules.end()), rules.end());
    for (const RuleExposure* exposure : rules) {
      if (unchanged_ids.count(exposure->origin.group_id) > 0) continue;
      // A changed group's nodes are all audited again (they are the scope).
      if (groups_.by_id.count(exposure->origin.group_id) > 0) continue;
      if (exposure->by_node.size() <= scope.size() &&
          std::all_of(exposure->by_node.begin(), exposure->by_node.end(),
                      [&](const auto& on_node) { return scope.count(on_node.first) > 0; }))
        continue;  // every node it reaches is audited again
      auto [cause_pointer, added] = causes.find(exposure->origin.key);
      ExposureCause& cause = *cause_pointer;
      if (added) {
        cause.origin = exposure->origin;
        cause.provider = exposure->provider;
      }
      // Its ports are written as on every node (they name the rule in a plan), when a finding is written of
      // it (see reportExposure); only the extent of what it admits on the nodes not audited again decides
      // whether it is still a cause of the same finding.
      cause.elsewhere.push_back(exposure);
      if (exposure->uniform && cause.exposed.empty()) {  // the same on every node, some not audited again
        cause.exposed = exposure->exposed;
        continue;
      }
      if (cause.exposed.contains(exposure->exposed)) continue;
      if (exposure->uniform) {
        cause.exposed = cause.exposed.unite(exposure->exposed);
        continue;
      }
      for (const auto& [node, on_node] : exposure->by_node) {
        if (scope.count(node) == 0 && !cause.exposed.contains(*on_node))
          cause.exposed = cause.exposed.unite(*on_node);
      }
    }
  }

  // The nodes of a re-audit's cause: those it audited again, and those of the base audit's exposures of
  // the same rule that it did not.
  std::vector<std::string> causeNodes(const ExposureCause& cause) const {
    std::vector<std::string> nodes = cause.nodes;
    for (const RuleExposure* exposure : cause.elsewhere) {
      for (const auto& on_node : exposure->by_node) {
        if (scope_->count(on_node.first) == 0) nodes.push_back(on_node.first);
      }
    }
    return nodes;
  }

  static std::string portsText(const std::map<PortProtocol, PortSet>& ports, std::size_t* count = nullptr) {
    std::string text;
    std::size_t n = 0;
    for (const auto& [protocol, set] : ports) {
      for (const auto& range : set.ranges()) {
        text += (text.empty() ? "" : ", ") + range.toString() + "/" + toString(protocol);
        n += range.first == range.last ? 1 : 2;
      }
    }
    if (count != nullptr) *count = n;
    return text;
  }

  void reportExposure(const std::vector<ExposureCause*>& rules, bool whole) {
    const std::vector<std::string> identity = exposureIdentity(rules.front()->origin.group_id, whole);
    if (addKnown(check::kSensitivePortExposed, identity)) return;
    add(exposureFinding(rules, whole, sourceSet("vpc")), identity);
  }

  // The finding of a group's causes that open sensitive ports to the whole internet (`whole`) or to some of
  // it; `vpc` is what its plans narrow them to. Reads the audit only (the base audit writes its findings side
  // by side); a re-audit's, only what verification compares.
  Finding exposureFinding(const std::vector<ExposureCause*>& rules, bool whole, const AddressSet& vpc) const {
    const ExposureCause& first = *rules.front();
    for (ExposureCause* cause : rules) {
      for (const RuleExposure* exposure : cause->elsewhere) {
        for (const auto& [protocol, set] : exposure->ports) {
          for (const auto& range : set.ranges())
            cause->ports[protocol].add(range);
        }
      }
    }
    AddressSet exposed;
    std::map<PortProtocol, PortSet> all_ports;
    std::vector<std::string> nodes;
    for (const ExposureCause* cause : rules) {
      exposed = exposed.unite(cause->exposed);
      for (const auto& [protocol, set] : cause->ports) {
        for (const auto& range : set.ranges())
          all_ports[protocol].add(range);
      }
      if (cause->elsewhere.empty()) {
        nodes.insert(nodes.end(), cause->nodes.begin(), cause->nodes.end());
      } else {
        std::vector<std::string> all = causeNodes(*cause);
        nodes.insert(nodes.end(), std::make_move_iterator(all.begin()), std::make_move_iterator(all.end()));
      }
    }
    std::size_t port_count = 0;
    const std::string ports = portsText(all_ports, &port_count);
    Finding finding;
    finding.check_id = check::kSensitivePortExposed;
    finding.severity = whole ? Severity::Critical : Severity::High;
    if (all_ports.size() == 1) {
      finding.protocol = all_ports.begin()->first;
      const auto& ranges = all_ports.begin()->second.ranges();
      if (ranges.size() == 1 && ranges.front().first == ranges.front().last)
        finding.port = ranges.front().first;
    }
    const std::string group =
        first.origin.group_name.empty() ? first.origin.group_id : first.origin.group_name;
    finding.subjects = {{"SecurityGroup", "", group}};
    // Parts of one provider rule (an Azure rule's prefixes, `*` as IPv4 and IPv6) are one rule to the reader.
    std::vector<std::string> rule_names;
    for (const ExposureCause* cause : rules) {
      std::string name = groups_.ruleName(cause->origin);
      if (std::find(rule_names.begin(), rule_names.end(), name) == rule_names.end())
        rule_names.push_back(std::move(name));
    }
    std::string rule_text = rule_names.size() == 1 ? groups_.describeRule(first.origin)
                                                   : std::to_string(rule_names.size()) + " rules of " + group;
    for (const auto& name : rule_names)
      finding.subjects.push_back({"Rule", "", name});
    for (const ExposureCause* cause : rules) {
      const SecurityGroupRule* rule = groups_.rule(cause->origin);
      if (rule == nullptr) continue;
      NarrowRulePlan plan{cause->provider,
                          cause->origin.group_id,
                          cause->origin.group_name,
                          *rule,
                          {},
                          "sgaudit: " + portsText(cause->ports) + " only from inside the network"};
      for (const auto& cidr : vpc.toCidrs())
        plan.narrower.push_back(cidr);
      finding.narrow_plans.push_back(std::move(plan));
    }
    setNodes(finding, std::move(nodes));
    finding.title = ports + (port_count == 1 ? " is" : " are") + " open to " +
                    (whole ? "the whole internet" : joinCidrs(exposed.toCidrs(), 3)) + " on " +
                    onNodes(finding.nodes) + " through " + rule_text;
    if (light()) return finding;
    std::size_t listeners = 0;
    std::string who;
    for (const ExposureCause* cause : rules) {
      listeners += cause->listeners.size() + cause->listeners_left_out;
      if (!cause->listeners.empty()) who = cause->listeners.front().text;
    }
    // One listener is named ("sshd listens on 0.0.0.0:22"); several are in the evidence.
    if (const auto colon = who.find(": "); listeners == 1 && colon != std::string::npos)
      who = who.substr(colon + 2);
    finding.detail =
        (listeners == 1  ? who + "."
         : listeners > 1 ? std::string("Something listens there on each node (see the evidence).")
                         : "No socket data for these " + hostsNoun(finding.nodes) +
                               ": checked as if something listened.") +
        " Sensitive ports (SSH, RDP, the Kubernetes control plane, etcd, databases) should be reachable only "
        "from inside the network or a bastion. Narrow the rule's source" +
        (finding.nodes.size() > 1
             ? ": one change to " + group + " closes it on all " + std::to_string(finding.nodes.size()) +
                   " " + hostsNoun(finding.nodes) + "."
             : ".");
    std::size_t left_out = 0;
    std::set<std::string> seen;
    for (const ExposureCause* cause : rules) {
      for (const auto& evidence : cause->listeners) {
        if (!seen.insert(evidence.text).second) continue;
        if (finding.evidence.size() < kEvidenceBudget) {
          finding.evidence.push_back(evidence);
        } else {
          ++left_out;
        }
      }
      left_out += cause->listeners_left_out;
    }
    if (left_out > 0)
      finding.evidence.push_back(
          {"note", "and " + std::to_string(left_out) + " more listeners like these", {}});
    for (std::size_t i = 0; i < rules.size() && i < kEvidenceBudget; ++i) {
      const ExposureCause& cause = *rules[i];
      Evidence evidence =
          nodeEvidence("rule",
                       "public sources admitted: " + joinCidrs(cause.exposed.toCidrs(), 3) + " to " +
                           portsText(cause.ports) + " by " + groups_.describeRule(cause.origin) +
                           (rules.size() > 1 ? " on " + onNodes(cause.nodes) : std::string()),
                       cause.nodes);
      evidence.rule = ruleRefOf(cause.origin, groups_.rule(cause.origin));
      evidence.addresses = cidrStrings(cause.exposed.toCidrs());
      finding.evidence.push_back(std::move(evidence));
    }
    if (rules.size() > kEvidenceBudget) {
      finding.evidence.push_back(
          {"note", "and " + std::to_string(rules.size() - kEvidenceBudget) + " more rules like these", {}});
    }
    finding.evidence.push_back(nodeEvidence(
        "rule", "on " + hostsNoun(finding.nodes) + ": " + nameList(finding.nodes, 50), finding.nodes));
    return finding;
  }

  // One rule addition per (group, protocol, sources), with the ports of every finding that needs it.
  void mergePlans() {
    std::map<std::tuple<std::string, int, std::string>, PortSet> merged;
    auto keyOf = [](const AllowIngressPlan& plan) {
      std::string sources;
      for (const auto& cidr : plan.sources)
        sources += cidr.toString() + ",";
      for (const auto& group : plan.source_groups)
        sources += "group:" + group.id + ",";
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

  // A cell of the matrix: node, protocol, port and workload, viewed in the cell.
  using CellKey = std::tuple<std::string_view, PortProtocol, int, std::string_view>;
  struct CellKeyHash {
    std::size_t operator()(const CellKey& key) const {
      const auto& [node, protocol, port, workload] = key;
      return std::hash<std::string_view>()(node) * 31 + std::hash<std::string_view>()(workload) * 7 +
             static_cast<std::size_t>(port) * 3 + static_cast<std::size_t>(protocol);
    }
  };
  using CellsByKey = std::unordered_map<CellKey, const PortVerdict*, CellKeyHash>;

  // One trial of a finding's plans: applied to copies of the groups they change and audited again on the
  // nodes those groups are on.
  struct Trial {
    std::vector<std::string> problems;  // why the plans do not pass; empty when they do
    bool only_closes = true;            // every problem is a required port closed (and so newly blocked)
    // The narrowings of exposures the change leaves or uncovers: in an allow-only union every rule that
    // admits the internet is a cause, and one shadowed by another shows once the other is gone.
    std::vector<NarrowRulePlan> uncovered;
    std::vector<AllowIngressPlan> uncovered_allow;
    std::vector<PortVerdict> closed;                         // those cells, as the change leaves them
    std::map<std::string, std::vector<std::string>> opened;  // "80/TCP for W" -> nodes
    std::unordered_set<std::string> after_fingerprints;      // of the findings the re-audit wrote
    std::vector<std::size_t> after_known;  // the base audit's findings still there, by index, in order
    // Whether the re-audit looked at exposures again: when the change alters none (changesExposure), every
    // exposure finding is still there, and none is among after_fingerprints.
    bool exposures = true;
    std::optional<std::map<int, PortSet>> ports;  // what was asked again (see affectedPorts); none: all
    std::map<std::string, std::shared_ptr<SecurityGroup>> changed;
    std::set<std::string> nodes;
  };

  // The ports whose answers the plans can change, by protocol number; none when a rule of any protocol
  // changes.
  static std::optional<std::map<int, PortSet>> affectedPorts(const std::vector<AllowIngressPlan>& allow,
                                                             const std::vector<NarrowRulePlan>& narrow) {
    std::map<int, PortSet> ports;
    auto add = [&](Protocol protocol, const PortSet& set) {
      if (protocol.isAny()) return false;
      if (!protocol.hasPorts()) return true;  // ICMP and others: no TCP, UDP or SCTP port answers differently
      for (const auto& range : set.ranges())
        ports[protocol.number()].add(range);
      return true;
    };
    for (const auto& plan : allow) {
      if (!add(plan.protocol, plan.ports)) return std::nullopt;
    }
    for (const auto& plan : narrow) {
      if (!add(plan.rule.protocol, plan.rule.ports)) return std::nullopt;
    }
    return ports;
  }

  static bool covers(const std::optional<std::map<int, PortSet>>& ports, Protocol protocol, PortRange range) {
    if (!ports) return true;
    const auto it = ports->find(protocol.number());
    return it != ports->end() && it->second.contains(range);
  }

  // Whether every port a finding is about was asked again: only then does its absence mean it is resolved.
  static bool askedAgain(const Finding& finding, const std::optional<std::map<int, PortSet>>& ports) {
    if (!ports) return true;
    if (finding.check_id == check::kPortBlocked) {
      return finding.port && finding.protocol &&
             covers(ports, firewallProtocol(*finding.protocol),
                    PortRange::single(static_cast<std::uint16_t>(*finding.port)));
    }
    if (finding.narrow_plans.empty()) return false;
    return std::all_of(
        finding.narrow_plans.begin(), finding.narrow_plans.end(), [&](const NarrowRulePlan& plan) {
          if (plan.rule.protocol.isAny()) return false;
          return std::all_of(
              plan.rule.ports.ranges().begin(), plan.rule.ports.ranges().end(),
              [&](const PortRange& range) { return covers(ports, plan.rule.protocol, range); });
        });
  }

  // Whether the plans can change what a sensitive port admits from public space, on any node under any
  // model: a rule decides only for the addresses of its source, on the ports of its protocol, so a change
  // whose every rule is about addresses inside the network (the nodes, the VPC) or about other ports leaves
  // every exposure as it was. The part of a rule a change touches is what its source gains or loses.
  bool changesExposure(const std::vector<AllowIngressPlan>& allow,
                       const std::vector<NarrowRulePlan>& narrow) const {
    const PortSet& sensitive = input_.policy.sensitive_ports;
    auto onSensitivePorts = [&](Protocol protocol, const PortSet& ports) {
      if (protocol.isAny()) return true;
      if (!protocol.hasPorts()) return false;  // ICMP and others: no sensitive port is theirs
      return std::any_of(sensitive.ranges().begin(), sensitive.ranges().end(),
                         [&](const PortRange& range) { return ports.intersects(range); });
    };
    auto isPublic = [](const AddressSet& set) { return !nonPublicSpace().contains(set); };
    for (const auto& plan : allow) {
      if (!onSensitivePorts(plan.protocol, plan.ports)) continue;
      for (const auto& cidr : plan.sources) {
        if (isPublic(AddressSet::of(cidr))) return true;
      }
      for (const auto& group : plan.source_groups) {
        const auto members = resolver_.security_group_members.find(group.id);
        if (members == resolver_.security_group_members.end() || isPublic(members->second)) return true;
      }
    }
    for (const auto& plan : narrow) {
      if (!onSensitivePorts(plan.rule.protocol, plan.rule.ports)) continue;
      AddressSet scratch;
      const AddressSet* source = resolver_.find(plan.rule.source, scratch);
      if (source == nullptr) return true;  // unresolved: it may stand for anyone
      AddressSet kept;
      for (const auto& cidr : plan.narrower)
        kept = kept.unite(AddressSet::of(cidr));
      if (isPublic(source->subtract(kept)) || isPublic(kept.subtract(*source))) return true;
    }
    return false;
  }

  Trial tryPlans(const Finding& finding, const std::vector<AllowIngressPlan>& allow,
                 const std::vector<NarrowRulePlan>& narrow, const CellsByKey& before,
                 const std::map<std::string, std::vector<std::string>>& nodes_of_group) const {
    Trial trial;
    std::set<std::string> group_ids;
    for (const auto& plan : allow)
      group_ids.insert(plan.group_id);
    for (const auto& plan : narrow)
      group_ids.insert(plan.group_id);
    for (const auto& id : group_ids) {
      const GroupIndex::Entry* entry = groups_.find(id);
      if (entry == nullptr) continue;
      trial.changed[entry->group->id] =
          std::make_shared<SecurityGroup>(applyPlans(*entry->group, allow, narrow));
      if (const auto members = nodes_of_group.find(entry->group->id); members != nodes_of_group.end())
        trial.nodes.insert(members->second.begin(), members->second.end());
    }
    // Only the ports of the rules the plans change can answer differently, and only they are asked again: a
    // host port's verdict depends on the rules of that port alone under every model, and under the union
    // model so does what a rule exposes. Priorities and denies make an exposure's extent depend on the other
    // ports: there every port is asked, unless the change alters no exposure (changesExposure) and none is.
    const bool exposure_unchanged = !input_.exhaustive_proofs &&
                                    finding.check_id != check::kSensitivePortExposed &&
                                    !changesExposure(allow, narrow);
    trial.ports = affectedPorts(allow, narrow);
    const bool every_port =
        input_.exhaustive_proofs ||
        (!exposure_unchanged &&
         std::any_of(trial.nodes.begin(), trial.nodes.end(), [&](const std::string& node) {
           const auto firewall = firewalls_.find(node);
           return firewall == firewalls_.end() || !firewall->second.union_only;
         }));
    if (every_port) trial.ports.reset();
    Auditor again(*this, trial.changed, trial.nodes, trial.ports, finding.fingerprint);
    again.exposure_unchanged_ = exposure_unchanged;
    trial.exposures = !exposure_unchanged;
    const AuditResult after = again.reaudit();
    trial.after_known = std::move(again.known_);
    std::sort(trial.after_known.begin(), trial.after_known.end());
    for (const auto& other : after.findings) {
      trial.after_fingerprints.insert(other.fingerprint);
      if (other.fingerprint == finding.fingerprint) {
        trial.problems.push_back("audited again with the change, it is still there on " +
                                 onNodes(other.nodes));
        trial.only_closes = false;
        // What is left to do, seen from the changed groups: a deny the narrowed one shadowed, a rule that
        // now decides.
        trial.uncovered.insert(trial.uncovered.end(), other.narrow_plans.begin(), other.narrow_plans.end());
        trial.uncovered_allow.insert(trial.uncovered_allow.end(), other.allow_plans.begin(),
                                     other.allow_plans.end());
      } else if (fingerprints_.count(other.fingerprint) == 0) {
        trial.problems.push_back("it would add: " + other.title);
        // A port newly blocked is a required port closed, which a keeping rule may mend (see keepPlans).
        if (other.check_id != check::kPortBlocked) trial.only_closes = false;
        if (other.check_id == check::kSensitivePortExposed)
          trial.uncovered.insert(trial.uncovered.end(), other.narrow_plans.begin(), other.narrow_plans.end());
      }
    }
    std::map<std::string, std::vector<std::string>> closed;  // "80/TCP for W" -> nodes
    for (const auto& cell : after.matrix) {
      const auto it = before.find(CellKey{cell.node, cell.protocol, cell.port, cell.workload});
      if (it == before.end()) continue;
      const bool was_open = it->second->status == "open";
      const bool is_open = cell.status == "open";
      if (was_open == is_open) continue;
      const std::string what = portLabel(cell.port, cell.protocol) + " for " + cell.workload;
      if (was_open) {
        closed[what].push_back(cell.node);
        trial.closed.push_back(cell);
        continue;
      }
      const bool own = finding.port && *finding.port == cell.port && finding.protocol == cell.protocol &&
                       !finding.subjects.empty() && finding.subjects.front().key() == cell.workload;
      if (!own) trial.opened[what].push_back(cell.node);
    }
    for (const auto& [what, where] : closed)
      trial.problems.push_back("it closes " + what + " on " + onNodes(where));
    return trial;
  }

  // When narrowing a rule would close a port a workload needs (a fix that closes 0.0.0.0/0 must not cut off
  // a workload that needs the internet on another port of the same rule), the same narrowing with a rule
  // that keeps exactly that port open from exactly what the workload needs, in the narrowed group.
  // Each comes with what it keeps, in words, for the fix's reach.
  struct KeepPlan {
    AllowIngressPlan plan;
    PortProtocol protocol = PortProtocol::Tcp;
    std::string text;
    int beat = 0;  // the narrowed rule's priority: the keeping rule goes just before it
  };
  std::vector<KeepPlan> keepPlans(const std::vector<NarrowRulePlan>& narrow_plans,
                                  const std::vector<PortVerdict>& closed) const {
    const auto& base_requirements =
        base_ != nullptr ? base_->requirement_by_workload_ : requirement_by_workload_;
    std::map<std::tuple<std::string, int, std::string>, KeepPlan> plans;
    for (const auto& cell : closed) {
      const auto firewall = firewalls_.find(cell.node);
      if (firewall == firewalls_.end()) continue;
      const NarrowRulePlan* narrowed = nullptr;
      for (const auto& plan : narrow_plans) {
        if (std::find(firewall->second.group_ids.begin(), firewall->second.group_ids.end(), plan.group_id) !=
            firewall->second.group_ids.end()) {
          narrowed = &plan;
          break;
        }
      }
      if (narrowed == nullptr) continue;
      AddressSet required;
      for (const auto& text : cell.required) {
        if (auto cidr = Cidr::parse(text)) required.add(*cidr);
      }
      if (required.empty()) continue;
      // What the workload needs, written as the opening of a blocked port writes it (see planOpening): the
      // node group's members for "nodes", the VPC's CIDR for "vpc", never one rule per address.
      std::vector<AllowIngressPlan::GroupSource> source_groups;
      AddressSet by_cidr = required;
      const auto requirement = base_requirements.find(cell.workload);
      const GroupIndex::Entry* target = groups_.find(narrowed->group_id);
      const bool names_groups = target == nullptr || target->first->rules_name_groups;
      if (requirement != base_requirements.end()) {
        by_cidr = {};
        for (const auto& [name, set] : requirement->second->parts) {
          const AddressSet wanted = set.intersect(required);
          if (wanted.empty()) continue;
          if (name == "nodes" && names_groups && coverByGroups(wanted, firewall->second, source_groups))
            continue;
          by_cidr = by_cidr.unite(wanted);
        }
      }
      std::vector<Cidr> sources = summarise(by_cidr.toCidrs());
      std::string joined;
      for (const auto& cidr : sources)
        joined += cidr.toString() + ",";
      for (const auto& group : source_groups)
        joined += "group:" + group.id + ",";
      const Protocol protocol = firewallProtocol(cell.protocol);
      auto [it, added] = plans.try_emplace({narrowed->group_id, protocol.number(), joined});
      AllowIngressPlan& plan = it->second.plan;
      if (added) {
        it->second.protocol = cell.protocol;
        plan.provider = narrowed->provider;
        plan.group_id = narrowed->group_id;
        plan.group_name = narrowed->group_name;
        plan.protocol = protocol;
        plan.sources = std::move(sources);
        plan.source_groups = std::move(source_groups);
        plan.description = "sgaudit: keeps what " + cell.workload + " needs";
        it->second.beat = narrowed->rule.priority;
      }
      plan.ports.add(PortRange::single(static_cast<std::uint16_t>(cell.port)));
    }
    std::vector<KeepPlan> keep;
    for (auto& [key, kept] : plans) {
      // Where the narrowed rule admitted the port nothing before it refused it: just before it, the keeping
      // rule admits what it did, at a priority the provider takes (Azure 100-4096, not the default 1). None
      // free: no keeping rule, and the proof says what the narrowing closes.
      if (!placeAt(kept.plan, kept.beat)) continue;
      std::string sources = joinCidrs(kept.plan.sources, 8);
      for (const auto& group : kept.plan.source_groups)
        sources += (sources.empty() ? "members of " : ", members of ") +
                   (group.name.empty() ? group.id : group.name);
      kept.text = "keeps " + kept.plan.ports.toString() + "/" + toString(kept.protocol) + " open from " +
                  sources + " (" + kept.plan.description.substr(std::string("sgaudit: ").size()) + ")";
      keep.push_back(std::move(kept));
    }
    return keep;
  }

  // Every finding's security-group plans, applied to a copy of the groups they change and audited again on
  // the nodes those groups are on. Verified when the finding is gone, nothing new appears, and no port that
  // was open for a workload closes; a narrowing that would close such a port is replaced by one that keeps
  // it open, when that passes. The reach says what else the change does.
  void verifyFixes() {
    indexUses();
    CellsByKey before;
    for (const auto& cell : result_.matrix)
      before.emplace(CellKey{cell.node, cell.protocol, cell.port, cell.workload}, &cell);
    std::map<std::string, std::vector<std::string>> nodes_of_group;
    for (const auto& [node, firewall] : firewalls_) {
      for (const auto& id : firewall.group_ids)
        nodes_of_group[id].push_back(node);
    }
    // The firewall findings on each node: what a change to the node's groups can resolve.
    std::unordered_map<std::string, std::vector<std::size_t>> findings_on_node;
    for (std::size_t i = 0; i < result_.findings.size(); ++i) {
      const Finding& finding = result_.findings[i];
      if (finding.check_id != check::kPortBlocked && finding.check_id != check::kSensitivePortExposed)
        continue;
      for (const auto& node : finding.nodes)
        findings_on_node[node].push_back(i);
    }

    // Each finding is proven on its own copy of what it changes, reading only what this audit has built: the
    // proofs run side by side, one thread per core, each writing only its own finding.
    std::vector<Finding*> pending;
    for (auto& finding : result_.findings) {
      if (!finding.allow_plans.empty() || !finding.narrow_plans.empty()) pending.push_back(&finding);
    }
    for (std::size_t i = 0; i < result_.findings.size(); ++i) {
      if (fingerprints_.count(result_.findings[i].fingerprint) > 0)
        finding_index_.emplace(result_.findings[i].fingerprint, i);
    }
    forEach(input_.threads, pending.size(),
            [&](std::size_t i) { verifyOne(*pending[i], before, nodes_of_group, findings_on_node); });
    finding_index_.clear();  // (it views the findings, which are sorted next)
  }

  void verifyOne(Finding& finding, const CellsByKey& before,
                 const std::map<std::string, std::vector<std::string>>& nodes_of_group,
                 const std::unordered_map<std::string, std::vector<std::size_t>>& findings_on_node) const {
    // Extended until it passes, or for a few rounds: by the rules the change uncovers that expose the same
    // ports, then by rules keeping open what a workload needs.
    std::vector<AllowIngressPlan> allow = finding.allow_plans;
    std::vector<NarrowRulePlan> narrow = finding.narrow_plans;
    const Trial first = tryPlans(finding, allow, narrow, before, nodes_of_group);
    std::optional<Trial> extended_trial;  // the last trial of extended plans
    const Trial* current = &first;
    std::vector<std::string> kept;
    for (int round = 0; round < 4 && !current->problems.empty(); ++round) {
      bool extended = false;
      for (const auto& plan : current->uncovered) {
        const bool known = std::any_of(narrow.begin(), narrow.end(), [&](const NarrowRulePlan& n) {
          return n.group_id == plan.group_id && n.rule.origin.key == plan.rule.origin.key;
        });
        if (known) continue;
        narrow.push_back(plan);
        extended = true;
      }
      for (const auto& plan : current->uncovered_allow) {
        const bool known = std::any_of(allow.begin(), allow.end(), [&](const AllowIngressPlan& a) {
          return a.group_id == plan.group_id && a.protocol == plan.protocol && a.ports == plan.ports &&
                 a.sources == plan.sources && a.source_groups == plan.source_groups;
        });
        if (known) continue;
        allow.push_back(plan);
        extended = true;
      }
      if (!extended && current->only_closes && !narrow.empty()) {
        for (auto& keep : keepPlans(narrow, current->closed)) {
          kept.push_back(std::move(keep.text));
          allow.push_back(std::move(keep.plan));
          extended = true;
        }
      }
      if (!extended) break;
      extended_trial = tryPlans(finding, allow, narrow, before, nodes_of_group);
      current = &*extended_trial;
    }
    if (current->problems.empty()) {
      finding.allow_plans = std::move(allow);
      finding.narrow_plans = std::move(narrow);
    } else {
      current = &first;  // the plans as first written, with why they do not pass
      kept.clear();
    }
    const Trial& trial = *current;
    finding.fix_verified = trial.problems.empty();
    std::string because;
    for (std::size_t i = 0; i < trial.problems.size() && i < 3; ++i)
      because += (i == 0 ? "" : "; ") + trial.problems[i];
    if (trial.problems.size() > 3) because += "; and " + std::to_string(trial.problems.size() - 3) + " more";
    finding.fix_verification = because;

    // What else the change does, so that nobody applies it blind.
    finding.fix_reach = std::move(kept);
    std::vector<std::size_t> touched;
    for (const auto& node : trial.nodes) {
      const auto on = findings_on_node.find(node);
      if (on != findings_on_node.end()) touched.insert(touched.end(), on->second.begin(), on->second.end());
    }
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    std::size_t resolved = 0;
    for (const std::size_t index : touched) {
      const Finding& other = result_.findings[index];
      if (&other == &finding ||
          std::binary_search(trial.after_known.begin(), trial.after_known.end(), index) ||
          trial.after_fingerprints.count(other.fingerprint) > 0)
        continue;
      if (!trial.exposures && other.check_id == check::kSensitivePortExposed) continue;  // still there
      if (!askedAgain(other, trial.ports)) continue;
      if (++resolved <= 5) finding.fix_reach.push_back("also resolves: " + other.title);
    }
    if (resolved > 5)
      finding.fix_reach.push_back("and resolves " + std::to_string(resolved - 5) + " more findings");
    std::size_t shown = 0;
    for (const auto& [what, where] : trial.opened) {
      if (++shown > 5) break;
      finding.fix_reach.push_back("also opens " + what + " on " + onNodes(where));
    }
    if (!trial.changed.empty()) {
      std::string groups;
      for (const auto& [id, group] : trial.changed)
        groups += (groups.empty() ? "" : ", ") + (group->name.empty() ? id : group->name);
      finding.fix_reach.push_back("changes " + groups + ", on " +
                                  onNodes({trial.nodes.begin(), trial.nodes.end()}));
    }
  }

  bool active(const Suppression& suppression) const {
    return suppression.expires.empty() || input_.today.empty() || suppression.expires >= input_.today;
  }

  // A suppression names a finding (its fingerprint or a subject) or a node: a finding about several nodes
  // is suppressed when every one of them is, and otherwise says which of its nodes are.
  void applySuppressions() {
    for (auto& finding : result_.findings) {
      std::map<std::string, const Suppression*> nodes_suppressed;
      for (const auto& suppression : input_.policy.suppressions) {
        if (!active(suppression)) continue;
        if (!suppression.check.empty() && suppression.check != finding.check_id) continue;
        const bool matches = suppression.subject.empty() || suppression.subject == finding.fingerprint ||
                             std::any_of(finding.subjects.begin(), finding.subjects.end(),
                                         [&](const Subject& s) { return s.key() == suppression.subject; });
        if (matches) {
          finding.suppressed = true;
          finding.suppression_reason = suppression.reason;
          break;
        }
        if (suppression.subject.starts_with("Node/")) {
          const std::string node = suppression.subject.substr(5);
          if (std::binary_search(finding.nodes.begin(), finding.nodes.end(), node))
            nodes_suppressed.emplace(node, &suppression);
        }
      }
      if (finding.suppressed || nodes_suppressed.empty()) continue;
      if (nodes_suppressed.size() == finding.nodes.size()) {
        finding.suppressed = true;
        finding.suppression_reason = nodes_suppressed.begin()->second->reason;
        continue;
      }
      for (const auto& [node, suppression] : nodes_suppressed) {
        finding.evidence.push_back(
            {"note",
             "accepted on node " + node + " (" + suppression->reason + "), but not on the other nodes listed",
             {}});
      }
    }
  }

  void add(Finding finding, const std::vector<std::string>& identity) {
    finding.fingerprint = fingerprintOf(finding.check_id, identity);
    if (!fingerprints_.insert(finding.fingerprint).second) return;
    result_.findings.push_back(std::move(finding));
  }

  // In a re-audit, a finding the base audit has that is not the one being proven matters to the proof only by
  // being there (see tryPlans): it is added by its identity alone, and nothing of it is written. True when
  // that was done.
  // (Kept by its index among the base audit's findings, in known_: nothing of it is copied.)
  bool addKnown(std::string_view check_id, const std::vector<std::string>& identity) {
    if (!light()) return false;
    const std::string fingerprint = fingerprintOf(check_id, identity);
    if (fingerprint == *proving_) return false;
    const auto found = base_->finding_index_.find(fingerprint);
    if (found == base_->finding_index_.end()) return false;
    known_.push_back(found->second);
    return true;
  }

  // An exposure finding's identity: its group, and whether what it opens is the whole internet.
  static std::vector<std::string> exposureIdentity(const std::string& group_id, bool whole) {
    return {group_id, whole ? "internet" : "public"};
  }

  const AuditInput& input_;
  GroupIndex groups_;
  SourceResolver resolver_;
  FirewallCompiler compiler_;
  HostPortModel own_model_;
  const HostPortModel* model_;
  NodeMapping mapping_;
  const Auditor* base_ = nullptr;                   // set in a re-audit
  const std::set<std::string>* scope_ = nullptr;    // a re-audit's nodes
  std::optional<std::map<int, PortSet>> affected_;  // a re-audit's ports by protocol number; none: every port
  const std::string* proving_ = nullptr;            // a re-audit's finding under proof
  bool exposure_unchanged_ = false;  // a re-audit's change alters no exposure (changesExposure)
  std::map<std::string, NodeFirewall> firewalls_;
  std::unordered_map<std::string, const Instance*> instance_hosts_;  // audited instances that are no node
  std::set<std::string> warned_sources_;
  std::map<std::string, AddressSet> source_cache_;
  std::unordered_set<std::string> fingerprints_;
  // The base audit's findings by fingerprint, while fixes are proven (see verifyFixes), and a re-audit's
  // findings of those that are still there, by index (see addKnown).
  std::unordered_map<std::string_view, std::size_t> finding_index_;
  std::vector<std::size_t> known_;
  // The groups with members (resolver_.security_group_members), by id: where a fix looks for a group that
  // holds the addresses it must admit.
  std::vector<std::pair<const std::string*, const AddressSet*>> groups_with_members_;
  // What each rule exposes on each node, kept by the base audit when fixes are proven: the extent of a
  // rule's exposure (the whole internet or some of it) is over every node it reaches, and a re-audit
  // audits only some of them again (see checkSensitivePorts).
  struct RuleExposure {
    RuleOrigin origin;
    std::string provider;
    // What it exposes there, in node order (in kept_sets_: most nodes' sets are one of a few).
    std::vector<std::pair<std::string, const AddressSet*>> by_node;
    std::map<PortProtocol, PortSet> ports;  // on every node
    AddressSet exposed;                     // on every node
    bool uniform = false;                   // every node's is `exposed`
  };
  // Address sets kept once each, however many hold them.
  class SetPool {
   public:
    const AddressSet* intern(AddressSet set) {
      auto& bucket = buckets_[hashOf(set)];
      for (const auto& known : bucket) {
        if (*known == set) return known.get();
      }
      return bucket.emplace_back(std::make_unique<AddressSet>(std::move(set))).get();
    }

   private:
    static std::size_t hashOf(const AddressSet& set) {
      std::size_t hash = 0;
      for (const IpFamily family : {IpFamily::V4, IpFamily::V6}) {
        const auto& ranges = set.ranges(family);
        hash = hash * 31 +
               std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(ranges.data()),
                                                              ranges.size() * sizeof(AddressRange)));
      }
      return hash;
    }
    std::unordered_map<std::size_t, std::vector<std::unique_ptr<AddressSet>>> buckets_;
  };
  SetPool kept_sets_;
  std::unordered_map<std::string, RuleExposure> exposure_by_rule_;  // by rule key
  std::unordered_map<std::string, std::vector<const RuleExposure*>> exposing_rules_by_node_;
  UsesByNode uses_by_node_;                                     // see usesByNode
  std::unordered_map<std::string, std::size_t> match_by_node_;  // index into mapping_.matched
  std::unordered_map<std::string, const NodeSockets*> sockets_by_node_;
  std::unordered_map<std::string_view, const Node*> node_by_name_;     // the cluster's nodes by name
  std::unordered_map<std::size_t, Requirement> requirement_by_unit_;   // what each workload needs (askCells)
  std::map<std::string, const Requirement*> requirement_by_workload_;  // the same by the workload's key
  RequiredCache required_cache_;  // the base audit's, which its re-audits read (see askCells)
  std::unordered_map<std::string, std::size_t> groups_keys_;  // see NodeFirewall::groups_index
  AuditResult result_;
};

}  // namespace

AuditResult runAudit(const AuditInput& input) {
  return Auditor(input).run();
}

void to_json(nlohmann::json& out, const PortVerdict& verdict) {
  out = {{"node", verdict.node},     {"protocol", toString(verdict.protocol)},
         {"port", verdict.port},     {"workload", verdict.workload},
         {"status", verdict.status}, {"required", verdict.required.items()}};
  if (!verdict.missing.empty()) out["missing"] = verdict.missing.items();
}

nlohmann::json matrixToJson(const std::vector<PortVerdict>& matrix, nlohmann::json& address_sets) {
  // Cells share their lists (CidrList): each list object is looked at once, and equal lists that are not
  // the same object are found by their text.
  std::unordered_map<const void*, std::size_t> by_identity;
  std::unordered_map<std::string, std::size_t> index;
  auto setOf = [&](const CidrList& cidrs) {
    if (const auto known = by_identity.find(cidrs.identity()); known != by_identity.end())
      return known->second;
    std::string key;
    for (const auto& cidr : cidrs)
      key += cidr + ",";
    const auto [it, added] = index.try_emplace(key, address_sets.size());
    if (added) address_sets.push_back(cidrs.items());
    by_identity.emplace(cidrs.identity(), it->second);
    return it->second;
  };
  nlohmann::json cells = nlohmann::json::array();
  for (const auto& verdict : matrix) {
    nlohmann::json cell = {{"node", verdict.node},     {"protocol", toString(verdict.protocol)},
                           {"port", verdict.port},     {"workload", verdict.workload},
                           {"status", verdict.status}, {"required_set", setOf(verdict.required)}};
    if (!verdict.missing.empty()) cell["missing_set"] = setOf(verdict.missing);
    cells.push_back(std::move(cell));
  }
  return cells;
}

void to_json(nlohmann::json& out, const NodeInstance& node) {
  out = {{"node", node.node}, {"instance", node.instance_id}, {"matched_by", node.method}};
}

nlohmann::json resultJson(const AuditResult& result, bool with_findings) {
  std::map<std::string, int> by_severity;
  std::map<std::string, int> by_check;
  for (const auto& finding : result.findings) {
    if (finding.suppressed) continue;
    by_severity[std::string(toString(finding.severity))]++;
    by_check[finding.check_id]++;
  }
  nlohmann::json out = {
      {"summary",
       {{"findings", result.findings.size()}, {"by_severity", by_severity}, {"by_check", by_check}}},
      {"findings", with_findings ? nlohmann::json(result.findings) : nlohmann::json()},
      {"matrix", nlohmann::json()},
      {"nodes", result.nodes},
      {"warnings", result.warnings}};
  nlohmann::json address_sets = nlohmann::json::array();
  out["matrix"] = matrixToJson(result.matrix, address_sets);
  out["address_sets"] = std::move(address_sets);
  return out;
}

void to_json(nlohmann::json& out, const AuditResult& result) {
  out = resultJson(result, true);
}

}  // namespace sgaudit::core
