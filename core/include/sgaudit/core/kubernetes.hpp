#pragma once

// The Kubernetes side of the inventory: nodes, pods, workloads, and what the nodes themselves report
// (listening sockets, container logs). Plain data, filled by cloud/kubernetes and cloud/node.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sgaudit::core {

using Labels = std::map<std::string, std::string>;

// Where an object was read: the file (or upload name) and, for YAML manifests and text, the 1-based line.
struct SourceLocation {
  std::string file;
  int line = 0;  // 0 = unknown
};

// Kubernetes port protocols (core/v1 Protocol).
enum class PortProtocol { Tcp, Udp, Sctp };

struct ContainerPort {
  std::string name;
  int container_port = 0;
  std::optional<int> host_port;  // as written; the model applies the hostNetwork default itself
  PortProtocol protocol = PortProtocol::Tcp;
  std::string host_ip;  // empty = all addresses
};

// A name in a pod's configuration that may be a cluster DNS name (see clusterNameCandidates), and where it is
// written: "env PROMETHEUS_URL of container agent", "args of container agent", "ConfigMap monitoring/agent
// key agent.yaml".
struct NameMention {
  std::string name;
  std::string where;
};

// The names in `text` that may be cluster DNS names: host names ending in .svc or .cluster.local (or with
// .svc. inside), and two-label names that may be "<service>.<namespace>" (checked against the Services read).
// Lowercased, at most `limit`. A command-line flag that names a token issuer or audience
// (--service-account-issuer=https://kubernetes.default.svc) is an identity, not an address: none.
std::vector<std::string> clusterNameCandidates(std::string_view text, std::size_t limit = 16);

struct Container {
  std::string name;
  std::string image;  // "nginx:alpine"; its base name helps attribute a node's sockets to the container
  std::vector<ContainerPort> ports;
  // Names in its command, args and env values that may be cluster DNS names (hostnetwork.dns-policy).
  std::vector<NameMention> name_mentions;
  bool init = false;  // from initContainers; restartPolicy Always (sidecar) keeps running
  bool sidecar = false;
};

struct Toleration {
  std::string key;           // empty with operator Exists = tolerates everything
  std::string op = "Equal";  // "Equal" or "Exists"
  std::string value;
  std::string effect;  // empty = every effect
};

struct Taint {
  std::string key;
  std::string value;
  std::string effect;  // NoSchedule, PreferNoSchedule, NoExecute
};

struct NodeSelectorRequirement {
  std::string key;
  std::string op;  // In, NotIn, Exists, DoesNotExist, Gt, Lt
  std::vector<std::string> values;
};

// Requirements of one term are ANDed; the terms of requiredDuringScheduling... are ORed.
struct NodeSelectorTerm {
  std::vector<NodeSelectorRequirement> match_expressions;
  std::vector<NodeSelectorRequirement> match_fields;  // only metadata.name is defined
};

struct PodSpec {
  bool host_network = false;
  std::string dns_policy;  // empty = unset, which the API defaults to ClusterFirst
  Labels node_selector;
  std::vector<NodeSelectorTerm> required_node_affinity;  // empty = no requirement
  std::vector<Toleration> tolerations;
  std::vector<Container> containers;  // init containers too, flagged
  std::string node_name;              // spec.nodeName, set once scheduled
  // A required pod anti-affinity term with topologyKey kubernetes.io/hostname (replicas spread one per node).
  bool hostname_anti_affinity = false;
  // The ConfigMaps of its namespace it mounts (volumes, projected volumes) or reads into env (envFrom,
  // valueFrom): their names, in order, once each.
  std::vector<std::string> config_maps;
};

struct ObjectRef {
  std::string kind;
  std::string namespace_name;
  std::string name;
};

struct ContainerState {
  std::string name;
  int restart_count = 0;
  bool ready = false;
  std::string waiting_reason;          // CrashLoopBackOff, ...
  std::string last_terminated_reason;  // Error, ...
  std::optional<int> last_exit_code;
};

struct Pod {
  std::string namespace_name;
  std::string name;
  std::string uid;
  Labels labels;
  std::optional<ObjectRef> owner;  // the controller ownerReference
  PodSpec spec;
  std::string phase;  // Pending, Running, ...; empty for a manifest
  std::string host_ip;
  std::vector<ContainerState> container_states;
  SourceLocation source;
  // A static pod's mirror (annotation kubernetes.io/config.mirror, or owned by its Node): the kubelet runs it
  // from a manifest of its own, and the API server only shows a read-only copy. kubernetes.io/config.source
  // says where the manifest is ("file": a file in the kubelet's staticPodPath, "http": a URL).
  bool mirror = false;
  std::string config_source;
};

struct Node {
  std::string name;
  std::string provider_id;
  std::vector<std::string> internal_ips;
  std::vector<std::string> external_ips;
  Labels labels;
  std::vector<Taint> taints;
  bool ready = true;
  bool unschedulable = false;
  SourceLocation source;
};

enum class WorkloadKind { Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob };

struct Workload {
  WorkloadKind kind = WorkloadKind::Deployment;
  std::string namespace_name;
  std::string name;
  std::string uid;
  Labels labels;
  std::map<std::string, std::string> annotations;
  std::optional<int> replicas;  // nullopt = unset (the API defaults 1); DaemonSets have none
  Labels selector;              // matchLabels
  Labels template_labels;
  PodSpec template_spec;
  std::optional<ObjectRef> owner;  // a ReplicaSet's Deployment, a Job's CronJob
  std::string strategy_type;       // RollingUpdate, Recreate, OnDelete
  std::string max_surge;           // IntOrString as written ("25%", "1"); empty = default
  std::string max_unavailable;
  std::optional<int> ready_replicas;
  std::optional<int> available_replicas;
  SourceLocation source;
};

struct SocketProcess {
  std::string name;
  int pid = 0;
};

// One line of `ss -Htulnp`.
struct ListeningSocket {
  PortProtocol protocol = PortProtocol::Tcp;
  std::string address;  // as printed, unbracketed: "0.0.0.0", "*", "::", "127.0.0.1", "::1"
  int port = 0;
  std::vector<SocketProcess> processes;
  int line = 0;
};

struct NodeSockets {
  std::string node;  // from the file name
  std::vector<ListeningSocket> sockets;
  SourceLocation source;
};

// An "address already in use" failure recognised in a container log.
struct BindFailure {
  std::string server;  // nginx, go, java, nodejs, python
  std::optional<std::string> address;
  std::optional<int> port;
  int line = 0;
  std::string text;  // the log line, as written
};

struct ContainerLog {
  std::string namespace_name;  // from <namespace>_<pod>_<container>.log
  std::string pod;
  std::string container;
  std::vector<BindFailure> bind_failures;
  SourceLocation source;
};

// A ConfigMap, reduced to the names in its data that may be cluster DNS names.
struct ConfigMapNames {
  std::string namespace_name;
  std::string name;
  std::vector<NameMention> mentions;
  SourceLocation source;
};

// Everything known about one cluster.
struct ClusterState {
  std::vector<Node> nodes;
  std::vector<Pod> pods;
  std::vector<Workload> workloads;
  std::vector<NodeSockets> node_sockets;
  std::vector<ContainerLog> container_logs;
  std::vector<ObjectRef> services;  // kind Service: their DNS names are "<name>.<namespace>[.svc...]"
  std::vector<ConfigMapNames> config_maps;
};

inline const char* toString(PortProtocol protocol) {
  switch (protocol) {
    case PortProtocol::Tcp:
      return "TCP";
    case PortProtocol::Udp:
      return "UDP";
    case PortProtocol::Sctp:
      return "SCTP";
  }
  return "TCP";
}

inline const char* toString(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::Deployment:
      return "Deployment";
    case WorkloadKind::ReplicaSet:
      return "ReplicaSet";
    case WorkloadKind::StatefulSet:
      return "StatefulSet";
    case WorkloadKind::DaemonSet:
      return "DaemonSet";
    case WorkloadKind::Job:
      return "Job";
    case WorkloadKind::CronJob:
      return "CronJob";
  }
  return "Deployment";
}

}  // namespace sgaudit::core
