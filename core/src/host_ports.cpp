#include "sgaudit/core/host_ports.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "sgaudit/core/kubernetes_fixes.hpp"
#include "sgaudit/core/scheduling.hpp"

namespace sgaudit::core {
namespace {

std::string podKey(const Pod& pod) {
  return pod.namespace_name + "/" + pod.name;
}

const ContainerState* stateOf(const Pod& pod, const std::string& container) {
  for (const auto& state : pod.container_states) {
    if (state.name == container) return &state;
  }
  return nullptr;
}

bool isRunning(const Pod& pod, const std::string& container) {
  const ContainerState* state = stateOf(pod, container);
  if (state == nullptr) return pod.phase == "Running" || pod.phase.empty();
  return state->waiting_reason.empty();
}

}  // namespace

std::string staticPodName(const Pod& pod) {
  // The kubelet names the mirror "<manifest's pod name>-<node name>".
  const std::string& node = !pod.spec.node_name.empty()              ? pod.spec.node_name
                            : pod.owner && pod.owner->kind == "Node" ? pod.owner->name
                                                                     : std::string();
  const std::string suffix = "-" + node;
  if (!node.empty() && pod.name.size() > suffix.size() && pod.name.ends_with(suffix))
    return pod.name.substr(0, pod.name.size() - suffix.size());
  return pod.name;
}

std::string staticPodManifest(const WorkloadUnit& unit) {
  std::vector<std::string> nodes;
  std::string source;
  for (const Pod* pod : unit.pods) {
    if (!pod->spec.node_name.empty()) nodes.push_back(pod->spec.node_name);
    if (source.empty()) source = pod->config_source;
  }
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  const std::string where = nodes.empty()       ? "its node"
                            : nodes.size() == 1 ? "node " + nodes.front()
                                                : "each of nodes " + nameList(nodes);
  if (source == "http")
    return "the manifest the kubelet of " + where + " fetches from its --manifest-url (config.source http)";
  return "/etc/kubernetes/manifests/" + unit.identity.name + ".yaml on " + where +
         " (kubeadm's staticPodPath; the kubelet's --pod-manifest-path or staticPodPath may name another "
         "folder)";
}

std::string describePodState(const Pod& pod) {
  std::string text = "pod " + pod.name + (pod.phase.empty() ? "" : " is " + pod.phase);
  for (const auto& state : pod.container_states) {
    if (!state.waiting_reason.empty()) {
      text += ", container " + state.name + " " + state.waiting_reason;
      if (state.restart_count > 0) text += " (" + std::to_string(state.restart_count) + " restarts)";
    }
  }
  if (!pod.spec.node_name.empty()) text += ", on node " + pod.spec.node_name;
  return text;
}

namespace {

class ModelBuilder {
 public:
  ModelBuilder(const ClusterState& cluster, const HostPortOptions& options)
      : cluster_(cluster), options_(options) {}

  HostPortModel build() {
    buildUnits();
    addSpecPorts();
    addSockets();
    addLogs();
    addNodeDefaults();
    return std::move(model_);
  }

 private:
  using Key = std::tuple<std::string, std::string, std::string>;  // kind, namespace, name

  std::size_t unitFor(const std::string& kind, const std::string& ns, const std::string& name,
                      const Workload* workload) {
    const Key key{kind, ns, name};
    if (auto it = unit_index_.find(key); it != unit_index_.end()) {
      const Workload*& known = model_.units[it->second].workload;
      // The same workload from a manifest and from the API server: the live object (with status) wins.
      if (workload != nullptr &&
          (known == nullptr || (!known->ready_replicas && !known->available_replicas &&
                                (workload->ready_replicas || workload->available_replicas)))) {
        known = workload;
      }
      return it->second;
    }
    WorkloadUnit unit;
    unit.identity = {kind, ns, name};
    unit.workload = workload;
    model_.units.push_back(std::move(unit));
    unit_index_.emplace(key, model_.units.size() - 1);
    return model_.units.size() - 1;
  }

  const Workload* findWorkload(const std::string& kind, const std::string& ns,
                               const std::string& name) const {
    for (const auto& workload : cluster_.workloads) {
      if (toString(workload.kind) == kind && workload.namespace_name == ns && workload.name == name)
        return &workload;
    }
    return nullptr;
  }

  // Follows ownership up to the top: a ReplicaSet to its Deployment, a Job to its CronJob.
  const Workload* topOf(const Workload* workload) const {
    for (int depth = 0; workload != nullptr && workload->owner && depth < 4; ++depth) {
      const Workload* parent =
          findWorkload(workload->owner->kind, workload->namespace_name, workload->owner->name);
      if (parent == nullptr) break;
      workload = parent;
    }
    return workload;
  }

  static bool selects(const Labels& selector, const Labels& labels) {
    if (selector.empty()) return false;
    return std::all_of(selector.begin(), selector.end(), [&](const auto& entry) {
      const auto it = labels.find(entry.first);
      return it != labels.end() && it->second == entry.second;
    });
  }

  // Without the ReplicaSet or Job objects, a pod still names its owner: "nginx-6fdf99c8b" belongs to the
  // Deployment "nginx" when the pod-template-hash says so and the selector agrees.
  const Workload* inferParent(const Pod& pod) const {
    const ObjectRef& owner = *pod.owner;
    const std::string parent_kind = owner.kind == "ReplicaSet" ? "Deployment" : "CronJob";
    for (const auto& workload : cluster_.workloads) {
      if (toString(workload.kind) != parent_kind || workload.namespace_name != pod.namespace_name) continue;
      const std::string prefix = workload.name + "-";
      if (!owner.name.starts_with(prefix)) continue;
      if (owner.kind == "ReplicaSet") {
        const auto hash = pod.labels.find("pod-template-hash");
        const bool hash_matches = hash != pod.labels.end() && owner.name == prefix + hash->second;
        if (!hash_matches && !selects(workload.selector, pod.labels)) continue;
      }
      return &workload;
    }
    return nullptr;
  }

  void buildUnits() {
    for (const auto& workload : cluster_.workloads) {
      const Workload* top = topOf(&workload);
      unitFor(toString(top->kind), top->namespace_name, top->name, top);
    }
    for (const auto& pod : cluster_.pods) {
      std::size_t index;
      if (pod.mirror) {
        index = unitFor(kStaticPodKind, pod.namespace_name, staticPodName(pod), nullptr);
      } else if (!pod.owner) {
        index = unitFor("Pod", pod.namespace_name, pod.name, nullptr);
      } else {
        const Workload* owner = findWorkload(pod.owner->kind, pod.namespace_name, pod.owner->name);
        const Workload* top = owner != nullptr ? topOf(owner) : nullptr;
        if (top == nullptr && (pod.owner->kind == "ReplicaSet" || pod.owner->kind == "Job"))
          top = inferParent(pod);
        index = top != nullptr ? unitFor(toString(top->kind), top->namespace_name, top->name, top)
                               : unitFor(pod.owner->kind, pod.namespace_name, pod.owner->name, nullptr);
      }
      model_.units[index].pods.push_back(&pod);
      pod_unit_[&pod] = index;
    }
    for (auto& unit : model_.units) {
      if (unit.workload != nullptr) {
        unit.spec = &unit.workload->template_spec;
        const WorkloadKind kind = unit.workload->kind;
        if (kind == WorkloadKind::Deployment || kind == WorkloadKind::StatefulSet ||
            kind == WorkloadKind::ReplicaSet) {
          unit.replicas = unit.workload->replicas.value_or(1);
        }
      } else if (!unit.pods.empty()) {
        unit.spec = &unit.pods.front()->spec;
      }
      std::sort(unit.pods.begin(), unit.pods.end(),
                [](const Pod* a, const Pod* b) { return podKey(*a) < podKey(*b); });
    }
  }

  HostPortUse& useFor(std::size_t unit, const Pod* pod, const std::string& container, const std::string& node,
                      PortProtocol protocol, int port, const std::string& host_ip) {
    const std::string ip = normaliseHostIp(host_ip);
    // Looked up by its identity: a fleet has tens of thousands of uses.
    std::string key = std::to_string(unit) + '\0' + std::to_string(reinterpret_cast<std::uintptr_t>(pod)) +
                      '\0' + container + '\0' + node + '\0' + std::to_string(static_cast<int>(protocol)) +
                      '\0' + std::to_string(port) + '\0' + ip;
    const auto [it, added] = use_index_.try_emplace(std::move(key), model_.uses.size());
    if (!added) return model_.uses[it->second];
    HostPortUse use;
    use.unit = unit;
    use.pod = pod;
    use.container = container;
    use.node = node;
    use.protocol = protocol;
    use.port = port;
    use.host_ip = ip;
    model_.uses.push_back(std::move(use));
    return model_.uses.back();
  }

  void addSpecPorts(std::size_t unit, const Pod* pod, const PodSpec& spec, const SourceLocation& source) {
    for (const auto& container : spec.containers) {
      if (!holdsPorts(container)) continue;
      for (const auto& port : container.ports) {
        const auto host_port = hostPortOf(spec, port);
        if (!host_port) continue;
        const bool declared = port.host_port.has_value() && *port.host_port > 0;
        HostPortUse& use = useFor(unit, pod, container.name, pod != nullptr ? pod->spec.node_name : "",
                                  port.protocol, *host_port, port.host_ip);
        (declared ? use.declared : use.defaulted) = true;
        use.evidence.push_back(
            {"manifest",
             "container " + container.name + " declares " +
                 (declared ? "hostPort " + std::to_string(*host_port)
                           : "containerPort " + std::to_string(*host_port) + " on the host network") +
                 "/" + toString(port.protocol),
             source});
      }
    }
  }

  void addSpecPorts() {
    for (std::size_t u = 0; u < model_.units.size(); ++u) {
      const WorkloadUnit& unit = model_.units[u];
      for (const Pod* pod : unit.pods)
        addSpecPorts(u, pod, pod->spec, pod->source);
      if (unit.pods.empty() && unit.spec != nullptr) {
        addSpecPorts(u, nullptr, *unit.spec,
                     unit.workload != nullptr ? unit.workload->source : SourceLocation{});
      }
    }
  }

  // A process name as ss or netstat prints it, against a container's name or its image's repository base
  // name: case, '-' and '_' aside (process node_exporter in container node-exporter), and the kernel's cut of
  // process names to 15 characters (kube-controller for kube-controller-manager).
  static bool sameProgram(std::string_view process, std::string_view name) {
    constexpr std::size_t kCommLength = 15;  // TASK_COMM_LEN less its terminating NUL
    if (process.empty() || name.empty()) return false;
    if (process.size() != name.size() && !(process.size() == kCommLength && name.size() > kCommLength))
      return false;
    auto folded = [](char c) {
      return c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    };
    for (std::size_t i = 0; i < process.size(); ++i) {
      if (folded(process[i]) != folded(name[i])) return false;
    }
    return true;
  }

  // Which container of which hostNetwork pod on this node runs the process behind a socket. Only an
  // unambiguous answer counts; otherwise the socket stays the node's own, and `unmatched` says why when a
  // hostNetwork container on the node declares the socket's port (then the port looks taken by the node).
  std::optional<std::pair<const Pod*, std::string>> attribute(const std::string& node,
                                                              const ListeningSocket& socket,
                                                              std::string& unmatched) const {
    std::vector<std::pair<const Pod*, std::string>> candidates;
    std::vector<std::string> seen;  // "namespace/pod/container (image)", for the note
    bool declared = false;          // a hostNetwork container on the node declares the socket's port
    for (const auto& pod : cluster_.pods) {
      if (pod.spec.node_name != node || !pod.spec.host_network) continue;
      for (const auto& container : pod.spec.containers) {
        const std::string image = container.image.empty() ? std::string() : imageBaseName(container.image);
        const bool named =
            std::any_of(socket.processes.begin(), socket.processes.end(), [&](const SocketProcess& p) {
              return sameProgram(p.name, container.name) || sameProgram(p.name, image);
            });
        if (named) candidates.emplace_back(&pod, container.name);
        declared =
            declared || std::any_of(container.ports.begin(), container.ports.end(), [&](const auto& p) {
              return p.container_port == socket.port || p.host_port == socket.port;
            });
        if (seen.size() < 4)
          seen.push_back(podKey(pod) + "/" + container.name + (image.empty() ? "" : " (" + image + ")"));
      }
    }
    if (candidates.empty()) {
      if (!declared) return std::nullopt;
      if (!socket.processes.empty()) {
        std::string listed;
        for (std::size_t i = 0; i < seen.size() && i < 3; ++i)
          listed += (listed.empty() ? "" : ", ") + seen[i];
        if (seen.size() > 3) listed += ", ...";
        unmatched =
            "no hostNetwork container on the node is named like the process, by its name or its "
            "image's (" +
            listed + ")";
      } else {
        unmatched =
            "the listing names no process (ss or netstat without -p, or not run as root), so it "
            "cannot be matched to a hostNetwork container";
      }
      return std::nullopt;
    }
    std::set<std::size_t> units;
    for (const auto& [pod, container] : candidates)
      units.insert(pod_unit_.at(pod));
    if (units.size() > 1) {
      if (declared)
        unmatched = "the process is named like containers of " + std::to_string(units.size()) +
                    " workloads, so it is not attributed to any";
      return std::nullopt;
    }
    // Replicas of one workload: the one whose container is running holds the socket.
    std::stable_sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
      return std::tuple(!isRunning(*a.first, a.second), podKey(*a.first)) <
             std::tuple(!isRunning(*b.first, b.second), podKey(*b.first));
    });
    return candidates.front();
  }

  static std::string socketText(const ListeningSocket& socket) {
    std::string processes;
    for (const auto& process : socket.processes) {
      processes +=
          (processes.empty() ? "" : ", ") + process.name + " (pid " + std::to_string(process.pid) + ")";
    }
    const bool v6 = socket.address.find(':') != std::string::npos;
    return std::string(toString(socket.protocol)) + " " + (v6 ? "[" + socket.address + "]" : socket.address) +
           ":" + std::to_string(socket.port) + " listening" + (processes.empty() ? "" : ": " + processes);
  }

  void addSockets() {
    for (const auto& node_sockets : cluster_.node_sockets) {
      for (const auto& socket : node_sockets.sockets) {
        const SourceLocation where{node_sockets.source.file, socket.line};
        std::string unmatched;
        if (auto owner = attribute(node_sockets.node, socket, unmatched)) {
          const auto& [pod, container] = *owner;
          HostPortUse& use = useFor(pod_unit_.at(pod), pod, container, node_sockets.node, socket.protocol,
                                    socket.port, socket.address);
          use.socket = true;
          use.evidence.push_back({"socket", "node " + node_sockets.node + ": " + socketText(socket), where});
          continue;
        }
        NodeOwnedPort owned;
        owned.node = node_sockets.node;
        owned.protocols = {socket.protocol};
        owned.port_min = owned.port_max = socket.port;
        owned.host_ip = normaliseHostIp(socket.address);
        owned.owner = socket.processes.empty() ? "a host process" : socket.processes.front().name;
        owned.evidence = "node " + node_sockets.node + ": " + socketText(socket) +
                         (unmatched.empty() ? "" : " (not matched to a container: " + unmatched + ")");
        model_.node_owned.push_back(std::move(owned));
      }
    }
  }

  void addLogs() {
    for (const auto& log : cluster_.container_logs) {
      const Pod* pod = nullptr;
      for (const auto& candidate : cluster_.pods) {
        if (candidate.namespace_name == log.namespace_name && candidate.name == log.pod) pod = &candidate;
      }
      if (pod == nullptr) continue;
      for (const auto& failure : log.bind_failures) {
        if (!failure.port) continue;
        HostPortUse& use = useFor(pod_unit_.at(pod), pod, log.container, pod->spec.node_name,
                                  PortProtocol::Tcp, *failure.port, failure.address.value_or(""));
        use.log = true;
        if (std::none_of(use.evidence.begin(), use.evidence.end(),
                         [](const Evidence& e) { return e.kind == "log"; })) {
          use.evidence.push_back({"log", failure.text, {log.source.file, failure.line}});
        }
      }
    }
  }

  void addNodeDefaults() {
    const std::vector<PortProtocol> tcp = {PortProtocol::Tcp};
    model_.node_owned.push_back(
        {"", tcp, 10250, 10250, "", "kubelet", "kubelet's API listens on every address"});
    model_.node_owned.push_back(
        {"", tcp, 10248, 10248, "127.0.0.1", "kubelet", "kubelet's health check (loopback)"});
    model_.node_owned.push_back(
        {"", tcp, 10249, 10249, "127.0.0.1", "kube-proxy", "kube-proxy's metrics (loopback)"});
    model_.node_owned.push_back({"", tcp, 10256, 10256, "", "kube-proxy", "kube-proxy's health check"});
    model_.node_owned.push_back({"",
                                 {PortProtocol::Tcp, PortProtocol::Udp, PortProtocol::Sctp},
                                 options_.node_port_min,
                                 options_.node_port_max,
                                 "",
                                 "the NodePort range",
                                 "Service NodePorts " + std::to_string(options_.node_port_min) + "-" +
                                     std::to_string(options_.node_port_max) +
                                     " are captured by kube-proxy on every node"});
  }

  const ClusterState& cluster_;
  const HostPortOptions& options_;
  HostPortModel model_;
  std::map<Key, std::size_t> unit_index_;
  std::map<const Pod*, std::size_t> pod_unit_;
  std::unordered_map<std::string, std::size_t> use_index_;
};

}  // namespace

std::string normaliseHostIp(const std::string& address) {
  if (address.empty() || address == "0.0.0.0" || address == "::" || address == "*" || address == "[::]")
    return "";
  return address;
}

bool hostIpsOverlap(const std::string& a, const std::string& b) {
  const std::string x = normaliseHostIp(a);
  const std::string y = normaliseHostIp(b);
  return x.empty() || y.empty() || x == y;
}

std::optional<int> hostPortOf(const PodSpec& spec, const ContainerPort& port) {
  const bool declared = port.host_port.has_value() && *port.host_port > 0;
  if (!declared && !spec.host_network) return std::nullopt;
  const int host_port = declared ? *port.host_port : port.container_port;
  if (host_port <= 0 || host_port > 65535) return std::nullopt;
  return host_port;
}

std::string imageBaseName(const std::string& image) {
  std::string name = image.substr(0, image.find('@'));
  const auto slash = name.rfind('/');
  if (slash != std::string::npos) name = name.substr(slash + 1);
  return name.substr(0, name.find(':'));
}

HostPortModel buildHostPortModel(const ClusterState& cluster, const HostPortOptions& options) {
  return ModelBuilder(cluster, options).build();
}

}  // namespace sgaudit::core
