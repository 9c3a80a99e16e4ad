#pragma once

// Who binds which port on which node, and what collides: the host-port model and its checks
// (hostport.conflict, hostport.capacity, hostport.undeclared, hostport.reserved, hostnetwork.dns-policy).

#include <optional>
#include <string>
#include <vector>

#include "sgaudit/core/finding.hpp"
#include "sgaudit/core/kubernetes.hpp"

namespace sgaudit::core {

// The kind of a static pod's unit: the kubelet runs it from a manifest on its node, and only its mirror pod
// ("<name>-<node>", owned by the Node) is in the API server.
inline constexpr const char* kStaticPodKind = "StaticPod";

// A top-level workload (Deployment, StatefulSet, DaemonSet, a ReplicaSet or Job without a known owner,
// a CronJob) or a bare pod, with the pods that belong to it.
struct WorkloadUnit {
  Subject identity;                    // kind/namespace/name
  const Workload* workload = nullptr;  // null when only pods were given
  std::vector<const Pod*> pods;
  const PodSpec* spec = nullptr;  // the template, else the first pod's spec
  std::optional<int> replicas;    // wanted replicas of Deployments, StatefulSets, ReplicaSets
};

// One pod's (or template's) use of a port on its node's network.
struct HostPortUse {
  std::size_t unit = 0;      // index into HostPortModel::units
  const Pod* pod = nullptr;  // null for a template that has no pods yet
  std::string container;
  std::string node;  // empty: not scheduled
  PortProtocol protocol = PortProtocol::Tcp;
  int port = 0;
  std::string host_ip;     // empty = every address (0.0.0.0, ::, * and "" all mean that)
  bool declared = false;   // hostPort written in the spec
  bool defaulted = false;  // hostNetwork containerPort: hostPort defaults to it
  bool socket = false;     // the node's sockets show the container's process listening
  bool log = false;        // the container's log says the bind failed: it wants the port
  std::vector<Evidence> evidence;

  bool observedOnly() const { return !declared && !defaulted; }
  // Holding the port now (declared on a scheduled pod, or listening), as opposed to only wanting it.
  bool holds() const { return socket || ((declared || defaulted) && !log); }
};

// A port the node itself needs.
struct NodeOwnedPort {
  std::string node;  // empty = every node
  std::vector<PortProtocol> protocols;
  int port_min = 0;
  int port_max = 0;
  std::string host_ip;  // empty = every address
  std::string owner;    // "kubelet", "kube-proxy", "the NodePort range", "sshd", ...
  std::string evidence;
};

struct HostPortOptions {
  int node_port_min = 30000;
  int node_port_max = 32767;
};

struct HostPortModel {
  std::vector<WorkloadUnit> units;
  std::vector<HostPortUse> uses;
  std::vector<NodeOwnedPort> node_owned;
};

// True when two host IPs can receive the same packets (the scheduler's NodePorts rule: a wildcard
// overlaps every address).
bool hostIpsOverlap(const std::string& a, const std::string& b);
std::string normaliseHostIp(const std::string& address);

// A static pod's name in its manifest: the mirror pod's name without the "-<node>" the kubelet appends.
std::string staticPodName(const Pod& pod);
// Where a static pod's manifest is: "/etc/kubernetes/manifests/etcd.yaml on node cp-1 (...)".
std::string staticPodManifest(const WorkloadUnit& unit);

// "pod nginx-1 is Running, container nginx CrashLoopBackOff (13 restarts), on node 10.1.0.55"
std::string describePodState(const Pod& pod);

// The base name of an image: "registry.example.com/team/nginx:1.25@sha256:..." -> "nginx".
std::string imageBaseName(const std::string& image);

// Whether a container's ports are held while the pod runs: an ordinary init container exits before the
// others start (a sidecar, restartPolicy Always, keeps running).
inline bool holdsPorts(const Container& container) {
  return !container.init || container.sidecar;
}

// The port a container port takes on its node's network: its hostPort, or under hostNetwork its
// containerPort (the API defaults hostPort to it); nothing when it takes none.
std::optional<int> hostPortOf(const PodSpec& spec, const ContainerPort& port);

// The model keeps pointers into `cluster`, which must outlive it.
HostPortModel buildHostPortModel(const ClusterState& cluster, const HostPortOptions& options = {});

std::vector<Finding> checkHostPorts(const ClusterState& cluster, const HostPortOptions& options = {});
// The same over a model already built from `cluster`.
std::vector<Finding> checkHostPorts(const ClusterState& cluster, const HostPortModel& model);

}  // namespace sgaudit::core
