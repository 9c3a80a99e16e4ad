#include "sgaudit/core/workload_changes.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <unordered_set>

#include "sgaudit/core/kubernetes_fixes.hpp"
#include "sgaudit/core/scheduling.hpp"

namespace sgaudit::core {
namespace {

using PortKey = std::pair<PortProtocol, int>;

std::optional<std::size_t> unitIndex(const HostPortModel& model, const Subject& workload) {
  for (std::size_t u = 0; u < model.units.size(); ++u) {
    if (model.units[u].identity == workload) return u;
  }
  return std::nullopt;
}

// The host ports a spec declares (hostPort, or a hostNetwork containerPort), as the host-port model counts
// them: what the scheduler's NodePorts filter keeps apart.
std::vector<PortKey> declaredPorts(const PodSpec& spec) {
  std::vector<PortKey> ports;
  for (const auto& container : spec.containers) {
    if (!holdsPorts(container)) continue;
    for (const auto& port : container.ports) {
      if (const auto host_port = hostPortOf(spec, port)) ports.emplace_back(port.protocol, *host_port);
    }
  }
  return ports;
}

void applyToSpec(PodSpec& spec, const WorkloadChange& change) {
  if (!change.declare_ports.empty()) {
    for (auto& container : spec.containers) {
      if (container.name != change.container) continue;
      for (const auto& wanted : change.declare_ports) {
        const bool known =
            std::any_of(container.ports.begin(), container.ports.end(), [&](const ContainerPort& p) {
              return p.protocol == wanted.protocol && p.container_port == wanted.port;
            });
        if (known) continue;
        ContainerPort port;
        port.container_port = wanted.port;
        port.protocol = wanted.protocol;
        container.ports.push_back(port);
      }
    }
  }
  if (change.anti_affinity) spec.hostname_anti_affinity = true;
  if (change.dns_cluster_first) spec.dns_policy = "ClusterFirstWithHostNet";
}

bool movesPods(const WorkloadChange& change) {
  return !change.declare_ports.empty() || change.replicas || change.anti_affinity;
}

// The workload and every workload sharing one of its host ports, with their pods, objects, sockets on those
// ports and logs: all that the host-port checks of these workloads read.
ClusterState scopeOf(const ClusterState& cluster, const HostPortModel& model, std::size_t unit) {
  std::set<PortKey> ports;
  for (const auto& use : model.uses) {
    if (use.unit == unit) ports.emplace(use.protocol, use.port);
  }
  std::set<std::size_t> units = {unit};
  for (const auto& use : model.uses) {
    if (ports.count({use.protocol, use.port}) > 0) units.insert(use.unit);
  }
  ClusterState scoped;
  scoped.nodes = cluster.nodes;
  std::set<std::string> keys;
  std::set<const Workload*> objects;
  std::set<std::pair<std::string, std::string>> pod_names;
  for (const std::size_t u : units) {
    const WorkloadUnit& member = model.units[u];
    keys.insert(member.identity.key());
    if (member.workload != nullptr) objects.insert(member.workload);
    for (const Pod* pod : member.pods) {
      scoped.pods.push_back(*pod);
      pod_names.emplace(pod->namespace_name, pod->name);
    }
  }
  for (const auto& workload : cluster.workloads) {
    const bool owned =
        workload.owner &&
        keys.count(Subject{workload.owner->kind, workload.namespace_name, workload.owner->name}.key()) > 0;
    if (owned || objects.count(&workload) > 0) scoped.workloads.push_back(workload);
  }
  for (const auto& node : cluster.node_sockets) {
    NodeSockets copy{node.node, {}, node.source};
    for (const auto& socket : node.sockets) {
      if (ports.count({socket.protocol, socket.port}) > 0) copy.sockets.push_back(socket);
    }
    scoped.node_sockets.push_back(std::move(copy));
  }
  for (const auto& log : cluster.container_logs) {
    if (pod_names.count({log.namespace_name, log.pod}) > 0) scoped.container_logs.push_back(log);
  }
  return scoped;
}

}  // namespace

ClusterState applyWorkloadChange(const ClusterState& cluster, const HostPortModel& model,
                                 const WorkloadChange& change) {
  ClusterState changed = cluster;
  const auto unit_index = unitIndex(model, change.workload);
  if (!unit_index) return changed;
  const WorkloadUnit& unit = model.units[*unit_index];

  Workload* object = nullptr;
  if (unit.workload != nullptr) {
    for (auto& workload : changed.workloads) {
      if (workload.kind == unit.workload->kind && workload.namespace_name == unit.workload->namespace_name &&
          workload.name == unit.workload->name) {
        object = &workload;
      }
    }
  }
  if (object != nullptr) {
    applyToSpec(object->template_spec, change);
    if (change.replicas) object->replicas = *change.replicas;
    if (change.roll_in_place) {
      object->strategy_type = "RollingUpdate";
      object->max_surge = "0";
      object->max_unavailable = "1";
    }
  }

  std::set<std::pair<std::string, std::string>> own_names;
  for (const Pod* pod : unit.pods)
    own_names.emplace(pod->namespace_name, pod->name);
  auto own = [&](const Pod& pod) { return own_names.count({pod.namespace_name, pod.name}) > 0; };

  // A static pod stays on its node whatever its manifest says.
  if (!movesPods(change) || unit.pods.empty() || unit.identity.kind == "Pod" ||
      unit.identity.kind == kStaticPodKind || unit.identity.kind == "CronJob" ||
      unit.identity.kind == "Job") {
    for (auto& pod : changed.pods) {
      if (own(pod)) applyToSpec(pod.spec, change);
    }
    return changed;
  }

  // The new spec, and what the old pods' processes listened on, to follow the new pods.
  PodSpec spec = object != nullptr ? object->template_spec : unit.pods.front()->spec;
  if (object == nullptr) applyToSpec(spec, change);
  std::set<std::tuple<std::string, PortProtocol, int>> own_sockets;  // (node, protocol, port)
  for (const auto& use : model.uses) {
    if (use.unit == *unit_index && use.socket && !use.node.empty())
      own_sockets.emplace(use.node, use.protocol, use.port);
  }
  std::map<PortKey, ListeningSocket> follow;
  std::set<std::string> old_nodes;
  for (auto& node : changed.node_sockets) {
    std::vector<ListeningSocket> kept;
    for (auto& socket : node.sockets) {
      if (own_sockets.count({node.node, socket.protocol, socket.port}) > 0) {
        follow.emplace(PortKey{socket.protocol, socket.port}, socket);
      } else {
        kept.push_back(std::move(socket));
      }
    }
    node.sockets = std::move(kept);
  }
  for (const Pod* pod : unit.pods)
    old_nodes.insert(pod->spec.node_name);

  // The nodes' host ports held by other pods, as the scheduler's NodePorts filter sees them.
  std::map<std::string, std::set<PortKey>> held;
  for (const auto& pod : changed.pods) {
    if (own(pod) || pod.spec.node_name.empty()) continue;
    for (const auto& port : declaredPorts(pod.spec))
      held[pod.spec.node_name].insert(port);
  }
  const Pod first = *unit.pods.front();
  std::erase_if(changed.pods, own);
  std::erase_if(changed.container_logs, [&](const ContainerLog& log) {
    return own_names.count({log.namespace_name, log.pod}) > 0;
  });

  const std::vector<PortKey> ports = declaredPorts(spec);
  std::vector<bool> eligible(changed.nodes.size());
  std::size_t eligible_count = 0;
  for (std::size_t n = 0; n < changed.nodes.size(); ++n) {
    eligible[n] = checkEligibility(spec, changed.nodes[n]).eligible;
    eligible_count += eligible[n] ? 1 : 0;
  }
  const bool daemon = unit.identity.kind == "DaemonSet";
  const int replicas =
      daemon ? static_cast<int>(eligible_count)
             : change.replicas.value_or(unit.replicas.value_or(static_cast<int>(unit.pods.size())));
  std::vector<int> placed(changed.nodes.size(), 0);
  for (int r = 0; r < replicas; ++r) {
    std::optional<std::size_t> best;
    auto better = [&](std::size_t n) {
      if (!best) return true;
      const auto key = [&](std::size_t i) {
        return std::tuple(placed[i], old_nodes.count(changed.nodes[i].name) == 0, i);
      };
      return key(n) < key(*best);
    };
    for (std::size_t n = 0; n < changed.nodes.size(); ++n) {
      if (!eligible[n]) continue;
      if (daemon && placed[n] > 0) continue;
      if (spec.hostname_anti_affinity && placed[n] > 0) continue;
      if (!ports.empty()) {
        if (placed[n] > 0) continue;  // its own replica holds the declared ports
        const auto it = held.find(changed.nodes[n].name);
        if (it != held.end() && std::any_of(ports.begin(), ports.end(),
                                            [&](const PortKey& p) { return it->second.count(p) > 0; })) {
          continue;
        }
      }
      if (better(n)) best = n;
    }
    Pod pod = first;
    pod.name = first.name + "-sgaudit-" + std::to_string(r);
    pod.uid.clear();
    pod.spec = spec;
    pod.container_states.clear();
    if (best) {
      ++placed[*best];
      pod.spec.node_name = changed.nodes[*best].name;
      pod.phase = "Running";
      for (const auto& container : spec.containers)
        pod.container_states.push_back({container.name, 0, true, "", "", std::nullopt});
    } else {
      pod.spec.node_name.clear();
      pod.phase = "Pending";
    }
    changed.pods.push_back(std::move(pod));
  }
  // The processes listen wherever their pods now run.
  for (auto& node : changed.node_sockets) {
    const auto at = std::find_if(changed.nodes.begin(), changed.nodes.end(),
                                 [&](const Node& n) { return n.name == node.node; });
    if (at == changed.nodes.end() || placed[static_cast<std::size_t>(at - changed.nodes.begin())] == 0)
      continue;
    for (const auto& [key, socket] : follow)
      node.sockets.push_back(socket);
  }
  return changed;
}

void verifyWorkloadChanges(const ClusterState& cluster, const HostPortModel& model,
                           const HostPortOptions& options, std::vector<Finding>& findings,
                           const PortReachCheck& reach) {
  // By unit: the copy of the cluster its changes are tried on, its host-port model (pointing into the copy,
  // which a map node keeps in place) and the fingerprints of its findings unchanged.
  struct Scope {
    ClusterState cluster;
    HostPortModel model;
    std::unordered_set<std::string> before;
  };
  std::map<std::size_t, Scope> scopes;
  for (auto& finding : findings) {
    for (std::size_t c = 0; c < finding.workload_changes.size(); ++c) {
      WorkloadChange& change = finding.workload_changes[c];
      const auto unit = unitIndex(model, change.workload);
      if (!unit) {
        change.verified = false;
        change.verification = change.workload.key() + " is not among the workloads read";
        continue;
      }
      auto [found, fresh] = scopes.try_emplace(*unit);
      Scope& scope = found->second;
      if (fresh) {
        scope.cluster = scopeOf(cluster, model, *unit);
        scope.model = buildHostPortModel(scope.cluster, options);
        for (const auto& other : checkHostPorts(scope.cluster, scope.model))
          scope.before.insert(other.fingerprint);
      }
      const ClusterState& scoped = scope.cluster;
      const HostPortModel& scoped_model = scope.model;
      const std::unordered_set<std::string>& before = scope.before;
      if (before.count(finding.fingerprint) == 0) {
        change.verified = false;
        change.verification =
            "the finding could not be reproduced on a copy of the cluster to check the change";
        continue;
      }
      auto attempt = [&](const WorkloadChange& candidate, std::vector<const Finding*>* added_by_same,
                         std::vector<Finding>& after) {
        const ClusterState changed = applyWorkloadChange(scoped, scoped_model, candidate);
        after = checkHostPorts(changed, options);
        std::vector<std::string> problems;
        if (reach) {
          // A replica on a node the workload did not run on must be reachable there as it was where it ran.
          std::set<std::string> ran_on;
          for (const Pod* pod : model.units[*unit].pods)
            ran_on.insert(pod->spec.node_name);
          std::set<std::pair<std::string, std::string>> old_pods;  // every pod of the copy: the rest are new
          for (const auto& pod : scoped.pods)
            old_pods.emplace(pod.namespace_name, pod.name);
          std::set<std::string> reported;
          for (const auto& pod : changed.pods) {
            if (pod.spec.node_name.empty() || ran_on.count(pod.spec.node_name) > 0 ||
                old_pods.count({pod.namespace_name, pod.name}) > 0) {
              continue;
            }
            for (const auto& [protocol, port] : declaredPorts(pod.spec)) {
              const auto why = reach(pod.spec.node_name, candidate.workload, protocol, port);
              if (why && reported.insert(pod.spec.node_name).second)
                problems.push_back("it moves a replica to node " + pod.spec.node_name + ", where " + *why);
            }
          }
        }
        for (const auto& other : after) {
          if (other.fingerprint == finding.fingerprint) {
            problems.push_back("with the change applied and the pods placed again, it is still there: " +
                               other.title);
          } else if (before.count(other.fingerprint) == 0) {
            problems.push_back("it would add: " + other.title);
            if (added_by_same != nullptr && !other.workload_changes.empty() &&
                other.workload_changes.front().workload == candidate.workload) {
              added_by_same->push_back(&other);
            }
          }
        }
        return problems;
      };
      std::vector<const Finding*> added;
      std::vector<Finding> after;
      std::vector<std::string> problems = attempt(change, &added, after);
      if (!problems.empty() && added.size() == problems.size()) {
        // Each new finding is about this workload and offers a change of it: try them together.
        WorkloadChange extended = change;
        for (const Finding* other : added) {
          const WorkloadChange& more = other->workload_changes.front();
          if (!more.declare_ports.empty() && extended.declare_ports.empty()) {
            extended.container = more.container;
            extended.declare_ports = more.declare_ports;
          }
          if (more.replicas && !extended.replicas) extended.replicas = more.replicas;
          extended.anti_affinity = extended.anti_affinity || more.anti_affinity;
          extended.dns_cluster_first = extended.dns_cluster_first || more.dns_cluster_first;
          extended.roll_in_place = extended.roll_in_place || more.roll_in_place;
        }
        std::vector<Finding> after_extended;
        if (attempt(extended, nullptr, after_extended).empty()) {
          extended.verified = true;
          change = std::move(extended);
          const WorkloadUnit& rendered_unit = model.units[*unit];
          std::vector<Fix> rerendered = renderWorkloadChange(rendered_unit, change, static_cast<int>(c));
          const auto at = std::find_if(finding.fixes.begin(), finding.fixes.end(),
                                       [&](const Fix& fix) { return fix.change == static_cast<int>(c); });
          const auto position = at - finding.fixes.begin();
          std::erase_if(finding.fixes, [&](const Fix& fix) { return fix.change == static_cast<int>(c); });
          finding.fixes.insert(
              finding.fixes.begin() +
                  std::min<std::ptrdiff_t>(position, static_cast<std::ptrdiff_t>(finding.fixes.size())),
              rerendered.begin(), rerendered.end());
          continue;
        }
      }
      change.verified = problems.empty();
      std::string because;
      for (std::size_t i = 0; i < problems.size() && i < 3; ++i)
        because += (i == 0 ? "" : "; ") + problems[i];
      if (problems.size() > 3) because += "; and " + std::to_string(problems.size() - 3) + " more";
      change.verification = because;
    }
    // An alternative that fails is not offered beside one that passes (the anti-affinity for a workload with
    // more replicas than free nodes leaves the rest Pending; scaling down resolves it).
    const bool any_verified = std::any_of(finding.workload_changes.begin(), finding.workload_changes.end(),
                                          [](const WorkloadChange& c) { return c.verified.value_or(false); });
    if (any_verified) {
      std::vector<WorkloadChange> kept;
      std::vector<int> renumbered(finding.workload_changes.size(), -1);
      for (std::size_t c = 0; c < finding.workload_changes.size(); ++c) {
        if (!finding.workload_changes[c].verified.value_or(false)) continue;
        renumbered[c] = static_cast<int>(kept.size());
        kept.push_back(std::move(finding.workload_changes[c]));
      }
      std::erase_if(finding.fixes, [&](const Fix& fix) {
        return fix.change >= 0 && renumbered[static_cast<std::size_t>(fix.change)] < 0;
      });
      for (auto& fix : finding.fixes) {
        if (fix.change >= 0) fix.change = renumbered[static_cast<std::size_t>(fix.change)];
      }
      finding.workload_changes = std::move(kept);
    }
    for (auto& fix : finding.fixes) {
      if (fix.change < 0 || static_cast<std::size_t>(fix.change) >= finding.workload_changes.size()) continue;
      fix.verified = finding.workload_changes[static_cast<std::size_t>(fix.change)].verified;
      fix.verification = finding.workload_changes[static_cast<std::size_t>(fix.change)].verification;
    }
  }
}

}  // namespace sgaudit::core
