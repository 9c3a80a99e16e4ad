#include "sgaudit/core/kubernetes_fixes.hpp"

#include <cctype>

namespace sgaudit::core {
namespace {

using json = nlohmann::json;

std::string lower(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Wraps a pod-spec fragment in the path of the unit's kind: spec for a Pod, spec.template.spec for
// workloads, spec.jobTemplate.spec.template.spec for a CronJob.
json wrapPodSpec(const WorkloadUnit& unit, json pod_spec) {
  if (unit.identity.kind == "Pod" || unit.identity.kind == kStaticPodKind)
    return json{{"spec", std::move(pod_spec)}};
  json template_spec = {{"template", {{"spec", std::move(pod_spec)}}}};
  if (unit.identity.kind == "CronJob")
    return json{{"spec", {{"jobTemplate", {{"spec", std::move(template_spec)}}}}}};
  return json{{"spec", std::move(template_spec)}};
}

std::string kubectlTarget(const WorkloadUnit& unit) {
  std::string target = "kubectl";
  if (!unit.identity.namespace_name.empty()) target += " -n " + shellQuote(unit.identity.namespace_name);
  return target;
}

std::vector<Fix> patchFixes(const WorkloadUnit& unit, const json& patch, const std::string& title) {
  std::vector<Fix> fixes;
  if (unit.identity.kind == kStaticPodKind) {
    // The API server refuses changes to a mirror pod: the manifest the kubelet runs is the thing to edit,
    // and the kubelet restarts the pod when the file changes.
    const std::string manifest = staticPodManifest(unit);
    fixes.push_back(
        {"static-pod-manifest", title + ": edit " + manifest.substr(0, manifest.find(" (")), "yaml",
         "# In " + manifest + ";\n# the kubelet restarts the static pod when the file changes.\n" +
             toYaml(patch)});
    return fixes;
  }
  fixes.push_back({"kubernetes-patch", title, "yaml", toYaml(patch)});
  if (unit.identity.kind == "Pod") {
    // Most of a pod's spec cannot change in place: the pod has to be recreated from a fixed manifest.
    fixes.push_back({"kubectl", "Recreate the pod from its manifest with the change above", "shell",
                     kubectlTarget(unit) + " replace --force -f pod.yaml"});
  } else {
    fixes.push_back({"kubectl", title, "shell",
                     kubectlTarget(unit) + " patch " + lower(unit.identity.kind) + " " +
                         shellQuote(unit.identity.name) + " --type strategic -p " +
                         shellQuote(patch.dump())});
  }
  return fixes;
}

bool needsQuotes(const std::string& text) {
  if (text.empty()) return true;
  static const char* kSpecial = ":#{}[],&*!|>'\"%@`";
  if (std::isspace(static_cast<unsigned char>(text.front())) ||
      std::isspace(static_cast<unsigned char>(text.back())))
    return true;
  if (text.find_first_of(kSpecial) != std::string::npos || text.front() == '-' || text.front() == '?')
    return true;
  for (const char* word : {"true", "false", "yes", "no", "on", "off", "null", "~", "True", "False", "Yes",
                           "No", "ON", "OFF", "Null", "NULL", "TRUE", "FALSE"}) {
    if (text == word) return true;
  }
  const bool numeric = text.find_first_not_of("0123456789.+-eE") == std::string::npos &&
                       text.find_first_of("0123456789") != std::string::npos;
  for (unsigned char c : text) {
    if (c < 0x20) return true;
  }
  return numeric;
}

std::string scalar(const json& value) {
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    return needsQuotes(text) ? json(text).dump() : text;
  }
  return value.dump();
}

void emit(const json& value, int indent, std::string& out);

void emitEntry(const json& value, int indent, std::string& out) {
  if (value.is_object() && !value.empty()) {
    out += '\n';
    emit(value, indent + 2, out);
  } else if (value.is_array() && !value.empty()) {
    out += '\n';
    emit(value, indent, out);
  } else if (value.is_object()) {
    out += " {}\n";
  } else if (value.is_array()) {
    out += " []\n";
  } else {
    out += ' ' + scalar(value) + '\n';
  }
}

void emit(const json& value, int indent, std::string& out) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      out += pad + (needsQuotes(key) ? json(key).dump() : key) + ':';
      emitEntry(item, indent, out);
    }
  } else if (value.is_array()) {
    for (const auto& item : value) {
      if (item.is_object() && !item.empty()) {
        // "- first: x" then the other keys aligned under it.
        std::string nested;
        emit(item, indent + 2, nested);
        nested.replace(static_cast<std::size_t>(indent), 2, "- ");
        out += nested;
      } else {
        out += pad + "-";
        emitEntry(item, indent, out);
      }
    }
  } else {
    out += pad + scalar(value) + '\n';
  }
}

}  // namespace

std::string toYaml(const json& value) {
  std::string out;
  emit(value, 0, out);
  return out;
}

std::string shellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

std::vector<Fix> declarePortsFixes(const WorkloadUnit& unit, const std::string& container,
                                   const std::vector<PortToDeclare>& ports) {
  json declared = json::array();
  for (const auto& port : ports) {
    declared.push_back({{"containerPort", port.port}, {"protocol", toString(port.protocol)}});
  }
  const json patch =
      wrapPodSpec(unit, {{"containers", json::array({{{"name", container}, {"ports", declared}}})}});
  return patchFixes(unit, patch,
                    "Declare the port" + std::string(ports.size() > 1 ? "s" : "") + " of container " +
                        container + ", so the scheduler never puts two replicas on one node");
}

std::vector<Fix> scaleFixes(const WorkloadUnit& unit, int replicas) {
  const std::string title = "Scale " + unit.identity.key() + " to " + std::to_string(replicas) + " replica" +
                            (replicas == 1 ? "" : "s") + ", one per eligible node";
  return {{"kubernetes-patch", title, "yaml", toYaml(json{{"spec", {{"replicas", replicas}}}})},
          {"kubectl", title, "shell",
           kubectlTarget(unit) + " scale " + lower(unit.identity.kind) + " " +
               shellQuote(unit.identity.name) + " --replicas=" + std::to_string(replicas)}};
}

std::vector<Fix> antiAffinityFixes(const WorkloadUnit& unit) {
  json match_labels = json::object();
  if (unit.workload != nullptr) {
    for (const auto& [key, value] : unit.workload->selector)
      match_labels[key] = value;
  }
  const json term = {{"topologyKey", "kubernetes.io/hostname"},
                     {"labelSelector", {{"matchLabels", match_labels}}}};
  const json patch = wrapPodSpec(
      unit,
      {{"affinity", {{"podAntiAffinity", {{"requiredDuringSchedulingIgnoredDuringExecution", {term}}}}}}});
  return patchFixes(unit, patch,
                    "Spread replicas one per node with a required pod anti-affinity on the hostname");
}

std::vector<Fix> dnsPolicyFixes(const WorkloadUnit& unit) {
  return patchFixes(unit, wrapPodSpec(unit, {{"dnsPolicy", "ClusterFirstWithHostNet"}}),
                    "Resolve cluster names from the host network with dnsPolicy ClusterFirstWithHostNet");
}

std::vector<Fix> rollingUpdateFixes(const WorkloadUnit& unit) {
  const json patch = {
      {"spec",
       {{"strategy",
         {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxSurge", 0}, {"maxUnavailable", 1}}}}}}}};
  return patchFixes(unit, patch, "Roll out by replacing one pod at a time (maxSurge 0, maxUnavailable 1)");
}

std::vector<Fix> renderWorkloadChange(const WorkloadUnit& unit, const WorkloadChange& change, int index) {
  std::vector<Fix> fixes;
  auto append = [&](std::vector<Fix> more) {
    for (auto& fix : more) {
      fix.change = index;
      fixes.push_back(std::move(fix));
    }
  };
  if (!change.declare_ports.empty()) append(declarePortsFixes(unit, change.container, change.declare_ports));
  if (change.replicas) append(scaleFixes(unit, *change.replicas));
  if (change.anti_affinity) append(antiAffinityFixes(unit));
  if (change.dns_cluster_first) append(dnsPolicyFixes(unit));
  if (change.roll_in_place) append(rollingUpdateFixes(unit));
  return fixes;
}

}  // namespace sgaudit::core
