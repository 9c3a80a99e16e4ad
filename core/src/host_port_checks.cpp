// The host-port checks over the model of host_ports.cpp.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_set>

#include "sgaudit/core/host_ports.hpp"
#include "sgaudit/core/kubernetes_fixes.hpp"
#include "sgaudit/core/scheduling.hpp"

namespace sgaudit::core {
namespace {

std::string portLabel(int port, PortProtocol protocol) {
  return std::to_string(port) + "/" + toString(protocol);
}

Subject podSubject(const Pod& pod) {
  return {"Pod", pod.namespace_name, pod.name};
}

bool protocolIn(PortProtocol protocol, const std::vector<PortProtocol>& protocols) {
  return std::find(protocols.begin(), protocols.end(), protocol) != protocols.end();
}

bool appliesTo(const NodeOwnedPort& owned, const std::string& node) {
  return owned.node.empty() || owned.node == node;
}

bool collides(const NodeOwnedPort& owned, const HostPortUse& use) {
  return protocolIn(use.protocol, owned.protocols) && use.port >= owned.port_min &&
         use.port <= owned.port_max && hostIpsOverlap(owned.host_ip, use.host_ip);
}

std::string describeUse(const HostPortUse& use) {
  if (use.pod == nullptr) return "the template";
  return "pod " + use.pod->name;
}

std::string verbOf(const HostPortUse& use) {
  return use.holds() ? "bound by" : "wanted by";
}

// Parses an IntOrString like "25%" or "1" against a replica count, rounding as the Deployment controller
// does.
int resolveIntOrPercent(const std::string& text, int replicas, bool round_up, int fallback) {
  if (text.empty()) return fallback;
  try {
    if (text.back() == '%') {
      const double percent = std::stod(text.substr(0, text.size() - 1));
      const double value = replicas * percent / 100.0;
      return static_cast<int>(round_up ? std::ceil(value) : std::floor(value));
    }
    return std::stoi(text);
  } catch (const std::exception&) {
    return fallback;
  }
}

class Checker {
 public:
  Checker(const ClusterState& cluster, const HostPortModel& model) : cluster_(cluster), model_(model) {}

  std::vector<Finding> run() {
    checkConflicts();
    checkTemplateConflicts();
    checkUndeclared();
    checkReserved();
    checkCapacity();
    checkDnsPolicy();
    sortFindings(findings_);
    return std::move(findings_);
  }

  // Records `change` as one of the finding's alternative fixes, and renders it.
  static void offer(Finding& finding, const WorkloadUnit& unit, WorkloadChange change) {
    change.workload = unit.identity;
    const int index = static_cast<int>(finding.workload_changes.size());
    for (auto& fix : renderWorkloadChange(unit, change, index))
      finding.fixes.push_back(std::move(fix));
    finding.workload_changes.push_back(std::move(change));
  }

 private:
  const WorkloadUnit& unitOf(const HostPortUse& use) const { return model_.units[use.unit]; }

  void add(Finding finding, std::vector<std::string> identity) {
    // A static pod is not changed through the API server: say where the kubelet reads it from.
    for (const auto& subject : finding.subjects) {
      if (subject.kind != kStaticPodKind) continue;
      for (const auto& unit : model_.units) {
        if (unit.identity != subject) continue;
        finding.evidence.push_back({"manifest",
                                    subject.key() + " is a static pod: the kubelet runs it from " +
                                        staticPodManifest(unit) +
                                        ", and the API server shows only its mirror",
                                    {}});
        break;
      }
    }
    finding.fingerprint = fingerprintOf(finding.check_id, identity);
    if (!fingerprints_.insert(finding.fingerprint).second) return;
    findings_.push_back(std::move(finding));
  }

  // One finding per cause: the workloads whose pods collide on a port, with every node where they do.
  void checkConflicts() {
    std::map<std::tuple<std::string, PortProtocol, int>, std::vector<const HostPortUse*>> by_port;
    for (const auto& use : model_.uses) {
      if (use.node.empty() || use.pod == nullptr) continue;
      by_port[{use.node, use.protocol, use.port}].push_back(&use);
    }
    struct Cause {
      std::vector<std::vector<const HostPortUse*>> collisions;  // per node, holders first
      std::vector<std::string> nodes;
      std::set<std::string> owners;
    };
    std::map<std::tuple<std::string, PortProtocol, int>, Cause> causes;
    for (const auto& [key, uses] : by_port) {
      const auto& [node, protocol, port] = key;
      std::set<const HostPortUse*> involved;
      for (std::size_t i = 0; i < uses.size(); ++i) {
        for (std::size_t j = i + 1; j < uses.size(); ++j) {
          if (uses[i]->pod != uses[j]->pod && hostIpsOverlap(uses[i]->host_ip, uses[j]->host_ip)) {
            involved.insert(uses[i]);
            involved.insert(uses[j]);
          }
        }
      }
      if (involved.empty()) continue;
      std::vector<const HostPortUse*> ordered(involved.begin(), involved.end());
      std::sort(ordered.begin(), ordered.end(), [](const HostPortUse* a, const HostPortUse* b) {
        return std::tuple(!a->holds(), a->pod->name) < std::tuple(!b->holds(), b->pod->name);
      });
      std::set<std::string> owners;
      for (const HostPortUse* use : ordered)
        owners.insert(unitOf(*use).identity.key());
      std::string joined;
      for (const auto& owner : owners)
        joined += owner + ";";
      Cause& cause = causes[{joined, protocol, port}];
      cause.owners = owners;
      cause.nodes.push_back(node);
      cause.collisions.push_back(std::move(ordered));
    }
    for (const auto& [key, cause] : causes) {
      const auto& [joined, protocol, port] = key;
      Finding finding;
      finding.check_id = check::kHostPortConflict;
      finding.severity = Severity::High;
      finding.protocol = protocol;
      finding.port = port;
      setNodes(finding, cause.nodes);
      std::set<std::string> namespaces;
      std::size_t left_out = 0;
      for (const auto& ordered : cause.collisions) {
        for (const HostPortUse* use : ordered) {
          namespaces.insert(use->pod->namespace_name);
          if (finding.evidence.size() >= kEvidenceBudget) {
            ++left_out;
            continue;
          }
          finding.subjects.push_back(podSubject(*use->pod));
          for (const auto& evidence : use->evidence)
            finding.evidence.push_back(evidence);
          finding.evidence.push_back({"pod-status", describePodState(*use->pod), use->pod->source});
        }
      }
      if (left_out > 0)
        finding.evidence.push_back({"note", "and " + std::to_string(left_out) + " more pods like these", {}});
      if (namespaces.size() == 1) finding.namespace_name = *namespaces.begin();
      const auto& first = cause.collisions.front();
      const std::string& node = cause.nodes.front();
      if (cause.nodes.size() == 1) {
        std::string parts;
        for (const HostPortUse* use : first)
          parts += (parts.empty() ? "" : " and ") + verbOf(*use) + " " + describeUse(*use);
        finding.subjects.push_back({"Node", "", node});
        finding.title = portLabel(port, protocol) + " on node " + node + " is " + parts;
        finding.detail =
            "Two pods on node " + node + " want " + portLabel(port, protocol) +
            " on overlapping host addresses; the second cannot bind it (\"address in use\") and fails.";
      } else {
        std::string owners;
        for (const auto& owner : cause.owners)
          owners += (owners.empty() ? "" : " and ") + owner;
        finding.title = portLabel(port, protocol) + " is wanted twice on " +
                        std::to_string(cause.nodes.size()) + " nodes, by pods of " + owners;
        finding.detail = "On each node listed, two pods want " + portLabel(port, protocol) +
                         " on overlapping host addresses; the second cannot bind it (\"address in use\") "
                         "and fails.";
      }
      if (cause.owners.size() == 1) {
        const WorkloadUnit& unit = unitOf(*first.front());
        finding.detail += " Both belong to " + unit.identity.key() +
                          ": when the port is declared, the scheduler places at most one replica per node.";
        offer(finding, unit, {.container = first.front()->container, .declare_ports = {{port, protocol}}});
        if (unit.identity.kind != kStaticPodKind) offer(finding, unit, {.anti_affinity = true});
      } else {
        finding.detail += " Move one workload to another port, or keep them on different nodes.";
      }
      add(std::move(finding), {toString(protocol), std::to_string(port), joined});
    }
  }

  static bool declaresPort(const PodSpec& spec, const std::string& container, PortProtocol protocol,
                           int port) {
    for (const auto& c : spec.containers) {
      if (c.name != container) continue;
      for (const auto& p : c.ports) {
        if (p.protocol == protocol && (hostPortOf(spec, p) == port || p.container_port == port)) return true;
      }
    }
    return false;
  }

  void checkUndeclared() {
    // (unit, container, protocol, port) -> the observing uses
    std::map<std::tuple<std::size_t, std::string, PortProtocol, int>, std::vector<const HostPortUse*>>
        observed;
    for (const auto& use : model_.uses) {
      if (!use.observedOnly()) continue;
      const WorkloadUnit& unit = unitOf(use);
      const PodSpec* spec =
          unit.spec != nullptr ? unit.spec : (use.pod != nullptr ? &use.pod->spec : nullptr);
      if (spec == nullptr || !spec->host_network) continue;
      if (declaresPort(*spec, use.container, use.protocol, use.port)) continue;
      observed[{use.unit, use.container, use.protocol, use.port}].push_back(&use);
    }
    for (const auto& [key, uses] : observed) {
      const auto& [unit_index, container, protocol, port] = key;
      const WorkloadUnit& unit = model_.units[unit_index];
      Finding finding;
      finding.check_id = check::kHostPortUndeclared;
      finding.severity = Severity::Medium;
      finding.namespace_name = unit.identity.namespace_name;
      finding.protocol = protocol;
      finding.port = port;
      finding.subjects = {unit.identity, {"Container", unit.identity.namespace_name, container}};
      std::set<std::string> seen;
      std::set<std::string> nodes;
      for (const HostPortUse* use : uses) {
        if (!use->node.empty()) nodes.insert(use->node);
        for (const auto& evidence : use->evidence) {
          if (seen.insert(evidence.kind + evidence.text).second) finding.evidence.push_back(evidence);
        }
      }
      setNodes(finding, {nodes.begin(), nodes.end()});
      finding.title = "Container " + container + " of " + unit.identity.key() + " listens on " +
                      portLabel(port, protocol) + " on the host network but does not declare it";
      finding.detail =
          "The scheduler only knows the ports a pod declares. An undeclared host port lets it place two "
          "replicas "
          "on one node, where the second fails to bind. Declare the port so that a replica without a free "
          "node "
          "waits in Pending instead of crash-looping.";
      offer(finding, unit, {.container = container, .declare_ports = {{port, protocol}}});
      add(std::move(finding), {unit.identity.key(), container, toString(protocol), std::to_string(port)});
    }
  }

  // One finding per workload, container, port and what the node needs there, listing the nodes.
  void addReserved(const HostPortUse& use, const NodeOwnedPort& owned, const std::vector<std::string>& nodes,
                   bool every_node) {
    const WorkloadUnit& unit = unitOf(use);
    Finding finding;
    finding.check_id = check::kHostPortReserved;
    finding.severity = Severity::High;
    finding.namespace_name = unit.identity.namespace_name;
    finding.protocol = use.protocol;
    finding.port = use.port;
    finding.subjects = {unit.identity, {"Container", unit.identity.namespace_name, use.container}};
    if (use.pod != nullptr && nodes.size() <= 1) finding.subjects.push_back(podSubject(*use.pod));
    setNodes(finding, nodes);
    if (finding.nodes.size() == 1) finding.subjects.push_back({"Node", "", finding.node});
    finding.evidence = use.evidence;
    finding.evidence.push_back(nodeEvidence("node", owned.evidence, nodes));
    finding.title = "Host port " + portLabel(use.port, use.protocol) + " of " + unit.identity.key() +
                    " collides with " + owned.owner +
                    (every_node                  ? " on every node"
                     : finding.nodes.size() == 1 ? " on node " + finding.node
                                                 : " on " + std::to_string(finding.nodes.size()) + " nodes");
    finding.detail = "The node itself needs " +
                     (owned.port_min == owned.port_max
                          ? portLabel(owned.port_min, use.protocol)
                          : std::to_string(owned.port_min) + "-" + std::to_string(owned.port_max)) +
                     " (" + owned.owner + "). Give container " + use.container + " a port outside it.";
    add(std::move(finding), {unit.identity.key(), use.container, toString(use.protocol),
                             std::to_string(use.port), owned.owner, every_node ? "every node" : ""});
  }

  void checkReserved() {
    struct Cause {
      const HostPortUse* use = nullptr;
      const NodeOwnedPort* owned = nullptr;
      std::vector<std::string> nodes;
      bool every_node = false;
    };
    std::map<std::tuple<std::size_t, std::string, PortProtocol, int, std::string, bool>, Cause> causes;
    for (const auto& use : model_.uses) {
      if (use.socket && !use.log && use.observedOnly())
        continue;  // it is listening: nothing else holds the port
      for (const auto& owned : model_.node_owned) {
        // A template not yet scheduled collides with what every node needs.
        const bool every_node = use.node.empty();
        if (every_node ? !(owned.node.empty() && collides(owned, use))
                       : !(appliesTo(owned, use.node) && collides(owned, use))) {
          continue;
        }
        Cause& cause = causes[{use.unit, use.container, use.protocol, use.port, owned.owner, every_node}];
        if (cause.use == nullptr) {
          cause.use = &use;
          cause.owned = &owned;
          cause.every_node = every_node;
        }
        if (!every_node) cause.nodes.push_back(use.node);
      }
    }
    for (const auto& [key, cause] : causes)
      addReserved(*cause.use, *cause.owned, cause.nodes, cause.every_node);
  }

  // The host ports a unit needs on any node it runs on: declared, defaulted, and those its pods were seen
  // using.
  std::vector<const HostPortUse*> portsOf(std::size_t unit_index) const {
    std::vector<const HostPortUse*> ports;
    for (const auto& use : model_.uses) {
      if (use.unit != unit_index) continue;
      const bool known = std::any_of(ports.begin(), ports.end(), [&](const HostPortUse* p) {
        return p->protocol == use.protocol && p->port == use.port && p->host_ip == use.host_ip;
      });
      if (!known) ports.push_back(&use);
    }
    return ports;
  }

  // Why `node` cannot host a replica of the unit, or empty when it can.
  std::string blockerOn(std::size_t unit_index, const Node& node,
                        const std::vector<const HostPortUse*>& ports) const {
    const WorkloadUnit& unit = model_.units[unit_index];
    if (unit.spec != nullptr) {
      const Eligibility eligibility = checkEligibility(*unit.spec, node);
      if (!eligibility.eligible) return eligibility.reason;
    }
    for (const HostPortUse* want : ports) {
      for (const auto& use : model_.uses) {
        if (use.unit == unit_index || use.node != node.name || use.protocol != want->protocol ||
            use.port != want->port || !hostIpsOverlap(use.host_ip, want->host_ip)) {
          continue;
        }
        return portLabel(want->port, want->protocol) + " is held by " + model_.units[use.unit].identity.key();
      }
      for (const auto& owned : model_.node_owned) {
        if (appliesTo(owned, node.name) && collides(owned, *want)) {
          return portLabel(want->port, want->protocol) + " is needed by " + owned.owner;
        }
      }
    }
    return {};
  }

  void checkCapacity() {
    for (std::size_t u = 0; u < model_.units.size(); ++u) {
      const WorkloadUnit& unit = model_.units[u];
      if (!unit.replicas || *unit.replicas <= 0) continue;
      const auto ports = portsOf(u);
      if (ports.empty()) continue;
      if (cluster_.nodes.empty()) {
        if (unit.pods.empty() && *unit.replicas > 1) reportNeeds(unit, ports);
        continue;
      }
      int capacity = 0;
      std::vector<Evidence> evidence;
      std::vector<const Node*> hosts;
      std::size_t left_out = 0;
      for (const auto& node : cluster_.nodes) {
        const std::string blocker = blockerOn(u, node, ports);
        if (blocker.empty()) {
          ++capacity;
          hosts.push_back(&node);
        } else if (evidence.size() < kEvidenceBudget) {
          Evidence cannot =
              nodeEvidence("scheduling", "node " + node.name + " cannot: " + blocker, {node.name});
          cannot.source = node.source;
          evidence.push_back(std::move(cannot));
        } else {
          ++left_out;
        }
      }
      if (left_out > 0) {
        evidence.push_back(
            {"scheduling", "and " + std::to_string(left_out) + " more nodes that cannot host one", {}});
      }
      if (!hosts.empty()) {
        std::vector<std::string> names;
        for (const Node* host : hosts)
          names.push_back(host->name);
        Evidence can =
            nodeEvidence("scheduling",
                         (hosts.size() == 1 ? "node " : "nodes ") + nameList(names, 20) +
                             (hosts.size() == 1 ? " can host one replica" : " can host one replica each"),
                         names);
        if (hosts.size() == 1) can.source = hosts.front()->source;
        evidence.insert(evidence.begin(), std::move(can));
      }
      std::string port_list;
      for (const HostPortUse* port : ports)
        port_list += (port_list.empty() ? "" : ", ") + portLabel(port->port, port->protocol);
      const int replicas = *unit.replicas;
      if (replicas > capacity) {
        Finding finding;
        finding.check_id = check::kHostPortCapacity;
        finding.severity = Severity::High;
        finding.namespace_name = unit.identity.namespace_name;
        finding.subjects = {unit.identity};
        finding.evidence = std::move(evidence);
        addPodEvidence(unit, finding);
        finding.title = unit.identity.key() + " wants " + std::to_string(replicas) +
                        " replicas on host port" + (ports.size() > 1 ? "s " : " ") + port_list +
                        ", but only " + std::to_string(capacity) + " node" + (capacity == 1 ? "" : "s") +
                        " can host one, so at most " + std::to_string(capacity) + " can run";
        finding.detail = "Each replica needs a node of its own where " + port_list +
                         " is free. The others crash-loop on \"address in use\" or wait in Pending.";
        if (capacity > 0) offer(finding, unit, {.replicas = capacity});
        if (unit.spec != nullptr && !unit.spec->hostname_anti_affinity)
          offer(finding, unit, {.anti_affinity = true});
        finding.fixes.push_back({"advice",
                                 "Or add eligible nodes, or run it as a DaemonSet (one pod per node)", "text",
                                 "Add " + std::to_string(replicas - capacity) +
                                     " eligible node(s), or convert the workload to a DaemonSet."});
        add(std::move(finding), {unit.identity.key(), "replicas"});
        continue;
      }
      checkRollout(unit, capacity, port_list);
    }
  }

  static std::string portList(const std::vector<const HostPortUse*>& ports) {
    std::string text;
    for (const HostPortUse* port : ports)
      text += (text.empty() ? "" : ", ") + portLabel(port->port, port->protocol);
    return text;
  }

  // Manifests audited before any cluster exists (no nodes among the inputs): what the workload will need of
  // the cluster, a node of its own per replica with its host ports free, said before it is deployed.
  void reportNeeds(const WorkloadUnit& unit, const std::vector<const HostPortUse*>& ports) {
    const int replicas = *unit.replicas;
    const std::string port_list = portList(ports);
    Finding finding;
    finding.check_id = check::kHostPortCapacity;
    finding.severity = Severity::Info;
    finding.namespace_name = unit.identity.namespace_name;
    finding.subjects = {unit.identity};
    for (const HostPortUse* port : ports)
      finding.evidence.insert(finding.evidence.end(), port->evidence.begin(), port->evidence.end());
    std::string selector;
    if (unit.spec != nullptr) {
      for (const auto& [key, value] : unit.spec->node_selector)
        selector += (selector.empty() ? "" : ", ") + key + "=" + value;
    }
    finding.title = unit.identity.key() + " needs " + std::to_string(replicas) + " schedulable nodes" +
                    (selector.empty() ? "" : " labelled " + selector) + " with " + port_list +
                    " free; replicas beyond that stay Pending";
    finding.detail =
        "Checked from the manifest, before the cluster exists (no nodes among the inputs): each replica "
        "binds " +
        port_list +
        " on its node's network, so the scheduler places at most one per node. With fewer eligible nodes "
        "where the port is free, the rest wait in Pending.";
    if (unit.workload != nullptr && unit.workload->kind == WorkloadKind::Deployment &&
        (unit.workload->strategy_type.empty() || unit.workload->strategy_type == "RollingUpdate")) {
      const int surge =
          resolveIntOrPercent(unit.workload->max_surge, replicas, true, (replicas * 25 + 99) / 100);
      const int unavailable =
          resolveIntOrPercent(unit.workload->max_unavailable, replicas, false, replicas * 25 / 100);
      if (surge > 0 && unavailable <= 0) {
        finding.detail += " A rolling update (maxSurge " + std::to_string(surge) +
                          ", maxUnavailable 0) needs " + std::to_string(replicas + surge) + ".";
      }
    }
    finding.fixes.push_back({"advice", "Have the nodes before deploying, or run it as a DaemonSet", "text",
                             "Make sure at least " + std::to_string(replicas) + " schedulable node(s)" +
                                 (selector.empty() ? "" : " labelled " + selector) + " have " + port_list +
                                 " free, or convert the workload to a DaemonSet (one pod per node)."});
    add(std::move(finding), {unit.identity.key(), "needs"});
  }

  // Whether two pod specs' nodeSelectors let them land on one node (the same key wanting different values
  // never does; node affinity is not weighed).
  static bool mayShareNode(const PodSpec* a, const PodSpec* b) {
    if (a == nullptr || b == nullptr) return true;
    return std::none_of(a->node_selector.begin(), a->node_selector.end(), [&](const auto& entry) {
      const auto other = b->node_selector.find(entry.first);
      return other != b->node_selector.end() && other->second != entry.second;
    });
  }

  // Workloads that take the same host port, read from manifests before their pods exist: they collide on
  // any node where both are scheduled. One finding per set of workloads and port.
  void checkTemplateConflicts() {
    std::map<std::pair<PortProtocol, int>, std::vector<const HostPortUse*>> by_port;
    for (const auto& use : model_.uses) {
      if (use.pod == nullptr) by_port[{use.protocol, use.port}].push_back(&use);  // a template's
    }
    for (const auto& [key, uses] : by_port) {
      const auto& [protocol, port] = key;
      std::map<std::string, const HostPortUse*> involved;  // by unit key
      for (std::size_t i = 0; i < uses.size(); ++i) {
        for (std::size_t j = i + 1; j < uses.size(); ++j) {
          const WorkloadUnit& a = unitOf(*uses[i]);
          const WorkloadUnit& b = unitOf(*uses[j]);
          if (uses[i]->unit == uses[j]->unit || !hostIpsOverlap(uses[i]->host_ip, uses[j]->host_ip) ||
              !mayShareNode(a.spec, b.spec)) {
            continue;
          }
          involved.emplace(a.identity.key(), uses[i]);
          involved.emplace(b.identity.key(), uses[j]);
        }
      }
      if (involved.size() < 2) continue;
      Finding finding;
      finding.check_id = check::kHostPortConflict;
      finding.severity = Severity::Medium;
      finding.protocol = protocol;
      finding.port = port;
      std::string owners;
      std::string joined;
      std::set<std::string> namespaces;
      bool daemon = false;
      for (const auto& [owner, use] : involved) {
        const WorkloadUnit& unit = unitOf(*use);
        owners += (owners.empty() ? "" : " and ") + owner;
        joined += owner + ";";
        namespaces.insert(unit.identity.namespace_name);
        daemon = daemon || unit.identity.kind == "DaemonSet";
        finding.subjects.push_back(unit.identity);
        finding.evidence.insert(finding.evidence.end(), use->evidence.begin(), use->evidence.end());
      }
      if (namespaces.size() == 1) finding.namespace_name = *namespaces.begin();
      finding.title = owners + " take host port " + portLabel(port, protocol) +
                      ": they collide on any node where both are scheduled";
      finding.detail =
          "Checked from the manifests, before their pods exist: each binds " + portLabel(port, protocol) +
          " on overlapping host addresses, so the scheduler puts at most one of them on a node, and the "
          "others' pods wait in Pending where no node is left" +
          (daemon ? " (a DaemonSet takes the port on every node it runs on)" : std::string()) +
          ". Give one of them another port, or keep them on different nodes (nodeSelector).";
      add(std::move(finding), {toString(protocol), std::to_string(port), joined, "before scheduling"});
    }
  }

  void addPodEvidence(const WorkloadUnit& unit, Finding& finding) const {
    for (const Pod* pod : unit.pods) {
      const bool troubled = pod->phase == "Pending" ||
                            std::any_of(pod->container_states.begin(), pod->container_states.end(),
                                        [](const ContainerState& s) { return !s.waiting_reason.empty(); });
      if (!troubled) continue;
      finding.evidence.push_back({"pod-status", describePodState(*pod), pod->source});
      finding.subjects.push_back(podSubject(*pod));
      for (const auto& log : cluster_.container_logs) {
        if (log.namespace_name != pod->namespace_name || log.pod != pod->name || log.bind_failures.empty())
          continue;
        const BindFailure& first = log.bind_failures.front();
        finding.evidence.push_back({"log", first.text, {log.source.file, first.line}});
      }
    }
  }

  // A Deployment that fits today can still stall on its next rollout: a surge pod needs a free node.
  void checkRollout(const WorkloadUnit& unit, int capacity, const std::string& port_list) {
    if (unit.workload == nullptr || unit.workload->kind != WorkloadKind::Deployment) return;
    const Workload& deployment = *unit.workload;
    if (!deployment.strategy_type.empty() && deployment.strategy_type != "RollingUpdate") return;
    const int replicas = *unit.replicas;
    const int surge = resolveIntOrPercent(deployment.max_surge, replicas, true, (replicas * 25 + 99) / 100);
    const int unavailable =
        resolveIntOrPercent(deployment.max_unavailable, replicas, false, replicas * 25 / 100);
    if (surge <= 0 || unavailable > 0 || replicas + 1 <= capacity) return;
    Finding finding;
    finding.check_id = check::kHostPortCapacity;
    finding.severity = Severity::Medium;
    finding.namespace_name = unit.identity.namespace_name;
    finding.subjects = {unit.identity};
    finding.title = "A rolling update of " + unit.identity.key() +
                    " will stall: its surge pod needs a node with " + port_list + " free, and none is left";
    finding.detail = "maxSurge " + std::to_string(surge) +
                     " and maxUnavailable 0 mean a new pod must start before an "
                     "old one stops, but all " +
                     std::to_string(capacity) + " eligible nodes already hold the port.";
    offer(finding, unit, {.roll_in_place = true});
    add(std::move(finding), {unit.identity.key(), "rollout"});
  }

  // Whether `name` is a cluster DNS name: a .svc or .cluster.local name, or "<service>.<namespace>" of a
  // Service read.
  bool clusterName(const std::string& name) const {
    if (name.ends_with(".svc") || name.find(".svc.") != std::string::npos || name.ends_with(".cluster.local"))
      return true;
    const auto dot = name.find('.');
    if (dot == std::string::npos || name.find('.', dot + 1) != std::string::npos) return false;
    const std::string service = name.substr(0, dot);
    const std::string ns = name.substr(dot + 1);
    return std::any_of(cluster_.services.begin(), cluster_.services.end(),
                       [&](const ObjectRef& s) { return s.name == service && s.namespace_name == ns; });
  }

  // The cluster names a unit's pods are configured with (command, args, env values, and the ConfigMaps of
  // its namespace given among the inputs that it mounts or reads into env), and the ConfigMaps it uses that
  // were not given.
  void clusterNamesOf(const WorkloadUnit& unit, std::vector<const NameMention*>& found,
                      std::vector<std::string>& not_given) const {
    const PodSpec& spec = *unit.spec;
    for (const auto& container : spec.containers) {
      for (const auto& mention : container.name_mentions) {
        if (clusterName(mention.name)) found.push_back(&mention);
      }
    }
    for (const auto& name : spec.config_maps) {
      const auto config_map = std::find_if(
          cluster_.config_maps.begin(), cluster_.config_maps.end(), [&](const ConfigMapNames& c) {
            return c.name == name && c.namespace_name == unit.identity.namespace_name;
          });
      if (config_map == cluster_.config_maps.end()) {
        not_given.push_back(name);
        continue;
      }
      for (const auto& mention : config_map->mentions) {
        if (clusterName(mention.name)) found.push_back(&mention);
      }
    }
  }

  // Medium when the pods are configured with a cluster name, which ClusterFirst on the host network cannot
  // resolve; otherwise (node agents that reach the API server by its address) a risk, at info.
  void checkDnsPolicy() {
    for (const auto& unit : model_.units) {
      if (unit.spec == nullptr || !unit.spec->host_network) continue;
      const std::string& policy = unit.spec->dns_policy;
      if (!policy.empty() && policy != "ClusterFirst") continue;
      std::vector<const NameMention*> names;
      std::vector<std::string> not_given;
      clusterNamesOf(unit, names, not_given);
      Finding finding;
      finding.check_id = check::kDnsPolicy;
      finding.severity = names.empty() ? Severity::Info : Severity::Medium;
      finding.namespace_name = unit.identity.namespace_name;
      finding.subjects = {unit.identity};
      const SourceLocation where = unit.workload != nullptr ? unit.workload->source
                                   : unit.pods.empty()      ? SourceLocation{}
                                                            : unit.pods.front()->source;
      finding.evidence.push_back(
          {"manifest",
           "hostNetwork: true with dnsPolicy " + (policy.empty() ? "unset (ClusterFirst)" : policy), where});
      for (std::size_t i = 0; i < names.size() && i < kEvidenceBudget; ++i) {
        const bool from_config_map = names[i]->where.starts_with("ConfigMap ");
        SourceLocation source = where;
        if (from_config_map) {
          for (const auto& config_map : cluster_.config_maps) {
            for (const auto& mention : config_map.mentions) {
              if (&mention == names[i]) source = config_map.source;
            }
          }
        }
        finding.evidence.push_back(
            {"manifest", "names the cluster name " + names[i]->name + " in " + names[i]->where, source});
      }
      const std::string policy_text = policy.empty() ? "unset" : policy;
      const std::string why =
          "With hostNetwork, dnsPolicy ClusterFirst falls back to the node's resolver, so Service names do "
          "not "
          "resolve. ClusterFirstWithHostNet sends queries to the cluster DNS.";
      if (!names.empty()) {
        finding.title = unit.identity.key() + " uses the host network with dnsPolicy " + policy_text +
                        ": cluster names will not resolve, and it is configured with " + names.front()->name;
        finding.detail = why + " Its pods are configured with " + std::to_string(names.size()) +
                         " cluster name" + (names.size() == 1 ? "" : "s") + " (see the evidence).";
      } else {
        finding.title = unit.identity.key() + " uses the host network with dnsPolicy " + policy_text +
                        ": it would not resolve cluster names if it ever needs to";
        finding.detail =
            why +
            " No cluster name (a .svc or .cluster.local name, or a Service's <name>.<namespace>) was found "
            "in "
            "its command, args, env values or the ConfigMaps given that it uses, so nothing fails today: "
            "node agents usually reach the API server by its address.";
        if (!not_given.empty()) {
          finding.detail += " Not searched, as they are not among the inputs: ConfigMap" +
                            std::string(not_given.size() == 1 ? " " : "s ") + nameList(not_given) + ".";
        }
      }
      offer(finding, unit, {.dns_cluster_first = true});
      add(std::move(finding), {unit.identity.key()});
    }
  }

  const ClusterState& cluster_;
  const HostPortModel& model_;
  std::vector<Finding> findings_;
  std::unordered_set<std::string> fingerprints_;
};

}  // namespace

std::vector<Finding> checkHostPorts(const ClusterState& cluster, const HostPortModel& model) {
  return Checker(cluster, model).run();
}

std::vector<Finding> checkHostPorts(const ClusterState& cluster, const HostPortOptions& options) {
  const HostPortModel model = buildHostPortModel(cluster, options);
  return Checker(cluster, model).run();
}

}  // namespace sgaudit::core
