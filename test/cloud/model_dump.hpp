#pragma once

// A canonical text of the model, for comparing what two input paths produced.

#include <string>

#include <nlohmann/json.hpp>

#include "sgaudit/cloud/kubernetes/objects.hpp"

namespace sgaudit::test {

inline nlohmann::json dumpSpec(const core::PodSpec& spec) {
  nlohmann::json out;
  out["hostNetwork"] = spec.host_network;
  out["dnsPolicy"] = spec.dns_policy;
  out["nodeSelector"] = spec.node_selector;
  out["nodeName"] = spec.node_name;
  out["antiAffinity"] = spec.hostname_anti_affinity;
  auto& terms = out["affinity"] = nlohmann::json::array();
  for (const auto& term : spec.required_node_affinity) {
    nlohmann::json entry = nlohmann::json::array();
    for (const auto* list : {&term.match_expressions, &term.match_fields}) {
      for (const auto& requirement : *list)
        entry.push_back({requirement.key, requirement.op, requirement.values});
      entry.push_back("|");
    }
    terms.push_back(entry);
  }
  out["configMaps"] = spec.config_maps;
  auto& tolerations = out["tolerations"] = nlohmann::json::array();
  for (const auto& t : spec.tolerations)
    tolerations.push_back({t.key, t.op, t.value, t.effect});
  auto& containers = out["containers"] = nlohmann::json::array();
  for (const auto& c : spec.containers) {
    nlohmann::json ports = nlohmann::json::array();
    for (const auto& p : c.ports) {
      ports.push_back(
          {p.name, p.container_port, p.host_port ? *p.host_port : -1, core::toString(p.protocol), p.host_ip});
    }
    nlohmann::json mentions = nlohmann::json::array();
    for (const auto& m : c.name_mentions)
      mentions.push_back({m.name, m.where});
    containers.push_back({c.name, c.image, c.init, c.sidecar, ports, mentions});
  }
  return out;
}

inline nlohmann::json dumpOwner(const std::optional<core::ObjectRef>& owner) {
  if (!owner) return nullptr;
  return {owner->kind, owner->namespace_name, owner->name};
}

inline std::string dumpObjects(const cloud::kubernetes::KubernetesObjects& objects) {
  nlohmann::json out;
  for (const auto& node : objects.nodes) {
    nlohmann::json taints = nlohmann::json::array();
    for (const auto& t : node.taints)
      taints.push_back({t.key, t.value, t.effect});
    out["nodes"].push_back({node.name, node.provider_id, node.internal_ips, node.external_ips, node.labels,
                            taints, node.ready, node.unschedulable, node.source.file, node.source.line});
  }
  for (const auto& pod : objects.pods) {
    nlohmann::json states = nlohmann::json::array();
    for (const auto& s : pod.container_states) {
      states.push_back({s.name, s.restart_count, s.ready, s.waiting_reason, s.last_terminated_reason,
                        s.last_exit_code ? *s.last_exit_code : -999});
    }
    out["pods"].push_back({pod.namespace_name, pod.name, pod.uid, pod.labels, dumpOwner(pod.owner),
                           dumpSpec(pod.spec), pod.phase, pod.host_ip, states, pod.source.file,
                           pod.source.line, pod.mirror, pod.config_source});
  }
  for (const auto& w : objects.workloads) {
    auto opt = [](const std::optional<int>& value) {
      return value ? nlohmann::json(*value) : nlohmann::json();
    };
    out["workloads"].push_back({core::toString(w.kind), w.namespace_name, w.name, w.uid, w.labels,
                                w.annotations, opt(w.replicas), w.selector, w.template_labels,
                                dumpSpec(w.template_spec), dumpOwner(w.owner), w.strategy_type, w.max_surge,
                                w.max_unavailable, opt(w.ready_replicas), opt(w.available_replicas),
                                w.source.file, w.source.line});
  }
  for (const auto& s : objects.services)
    out["services"].push_back({s.kind, s.namespace_name, s.name});
  for (const auto& c : objects.config_maps) {
    nlohmann::json mentions = nlohmann::json::array();
    for (const auto& m : c.mentions)
      mentions.push_back({m.name, m.where});
    out["configMaps"].push_back({c.namespace_name, c.name, mentions, c.source.file, c.source.line});
  }
  out["skipped"] = objects.skipped_kinds;
  return out.dump();
}

}  // namespace sgaudit::test
