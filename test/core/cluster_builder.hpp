#pragma once

// Small builders for hand-made clusters in core tests: the fields a test cares about, defaults elsewhere.

#include <string>
#include <vector>

#include "sgaudit/core/kubernetes.hpp"

namespace sgaudit::test {

inline core::Node node(const std::string& name, core::Labels labels = {}) {
  core::Node n;
  n.name = name;
  n.internal_ips = {name};
  labels["kubernetes.io/hostname"] = name;
  n.labels = std::move(labels);
  return n;
}

inline core::Container container(const std::string& name, std::vector<core::ContainerPort> ports = {}) {
  core::Container c;
  c.name = name;
  c.image = name + ":1";
  c.ports = std::move(ports);
  return c;
}

inline core::ContainerPort port(int container_port, std::optional<int> host_port = std::nullopt,
                                core::PortProtocol protocol = core::PortProtocol::Tcp,
                                std::string host_ip = "") {
  core::ContainerPort p;
  p.container_port = container_port;
  p.host_port = host_port;
  p.protocol = protocol;
  p.host_ip = std::move(host_ip);
  return p;
}

inline core::PodSpec hostNetworkSpec(std::vector<core::Container> containers,
                                     std::string dns = "ClusterFirstWithHostNet") {
  core::PodSpec spec;
  spec.host_network = true;
  spec.dns_policy = std::move(dns);
  spec.containers = std::move(containers);
  return spec;
}

inline core::Workload deployment(const std::string& name, int replicas, core::PodSpec spec,
                                 const std::string& ns = "default") {
  core::Workload w;
  w.kind = core::WorkloadKind::Deployment;
  w.namespace_name = ns;
  w.name = name;
  w.replicas = replicas;
  w.selector = {{"app", name}};
  w.template_labels = {{"app", name}};
  w.template_spec = std::move(spec);
  w.strategy_type = "RollingUpdate";
  return w;
}

// A pod of a Deployment, owned through its ReplicaSet "<name>-abc12" as the API shows it.
inline core::Pod podOf(const core::Workload& owner, const std::string& suffix, const std::string& node_name,
                       const std::string& phase = "Running") {
  core::Pod p;
  p.namespace_name = owner.namespace_name;
  p.name = owner.name + "-abc12-" + suffix;
  p.labels = owner.template_labels;
  p.labels["pod-template-hash"] = "abc12";
  p.owner = core::ObjectRef{"ReplicaSet", owner.namespace_name, owner.name + "-abc12"};
  p.spec = owner.template_spec;
  p.spec.node_name = node_name;
  p.phase = phase;
  for (const auto& c : p.spec.containers)
    p.container_states.push_back({c.name, 0, true, "", "", std::nullopt});
  return p;
}

inline core::Pod barePod(const std::string& name, core::PodSpec spec, const std::string& node_name,
                         const std::string& ns = "default") {
  core::Pod p;
  p.namespace_name = ns;
  p.name = name;
  p.spec = std::move(spec);
  p.spec.node_name = node_name;
  p.phase = "Running";
  return p;
}

inline core::ListeningSocket socket(int port, const std::string& process,
                                    const std::string& address = "0.0.0.0",
                                    core::PortProtocol protocol = core::PortProtocol::Tcp) {
  core::ListeningSocket s;
  s.protocol = protocol;
  s.address = address;
  s.port = port;
  s.processes = {{process, 100 + port}};
  s.line = 1;
  return s;
}

}  // namespace sgaudit::test
