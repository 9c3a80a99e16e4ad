#include "sgaudit/core/scheduling.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

namespace sgaudit::core {
namespace {

std::optional<long long> parseInteger(const std::string& text) {
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

bool contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

bool matchesField(const NodeSelectorRequirement& requirement, const Node& node) {
  // metadata.name is the only field the API accepts here.
  if (requirement.key != "metadata.name") return false;
  if (requirement.op == "In") return contains(requirement.values, node.name);
  if (requirement.op == "NotIn") return !contains(requirement.values, node.name);
  return false;
}

std::string describe(const Taint& taint) {
  return taint.key + (taint.value.empty() ? "" : "=" + taint.value) + ":" + taint.effect;
}

}  // namespace

bool matchesRequirement(const NodeSelectorRequirement& requirement, const Labels& labels) {
  const auto it = labels.find(requirement.key);
  const bool present = it != labels.end();
  const std::string& op = requirement.op;
  if (op == "In") return present && contains(requirement.values, it->second);
  if (op == "NotIn") return !present || !contains(requirement.values, it->second);
  if (op == "Exists") return present;
  if (op == "DoesNotExist") return !present;
  if (op == "Gt" || op == "Lt") {
    if (!present || requirement.values.size() != 1) return false;
    const auto label = parseInteger(it->second);
    const auto bound = parseInteger(requirement.values.front());
    if (!label || !bound) return false;
    return op == "Gt" ? *label > *bound : *label < *bound;
  }
  return false;  // an unknown operator matches nothing, as the API would reject it
}

bool matchesNodeAffinity(const std::vector<NodeSelectorTerm>& terms, const Node& node) {
  if (terms.empty()) return true;
  return std::any_of(terms.begin(), terms.end(), [&](const NodeSelectorTerm& term) {
    if (term.match_expressions.empty() && term.match_fields.empty()) return false;
    return std::all_of(
               term.match_expressions.begin(), term.match_expressions.end(),
               [&](const NodeSelectorRequirement& r) { return matchesRequirement(r, node.labels); }) &&
           std::all_of(term.match_fields.begin(), term.match_fields.end(),
                       [&](const NodeSelectorRequirement& r) { return matchesField(r, node); });
  });
}

bool tolerates(const Toleration& toleration, const Taint& taint) {
  if (!toleration.effect.empty() && toleration.effect != taint.effect) return false;
  if (toleration.op == "Exists") return toleration.key.empty() || toleration.key == taint.key;
  // Operator Equal (the default): key and value must both match.
  return toleration.key == taint.key && toleration.value == taint.value;
}

Eligibility checkEligibility(const PodSpec& spec, const Node& node) {
  if (!node.ready) return {false, "node " + node.name + " is not Ready"};
  if (node.unschedulable) {
    const Taint cordon{"node.kubernetes.io/unschedulable", "", "NoSchedule"};
    const bool tolerated = std::any_of(spec.tolerations.begin(), spec.tolerations.end(),
                                       [&](const Toleration& t) { return tolerates(t, cordon); });
    if (!tolerated) return {false, "node " + node.name + " is cordoned"};
  }
  for (const auto& [key, value] : spec.node_selector) {
    const auto it = node.labels.find(key);
    if (it == node.labels.end() || it->second != value) {
      return {false,
              "node " + node.name + " lacks the label " + key + "=" + value + " the nodeSelector asks for"};
    }
  }
  if (!matchesNodeAffinity(spec.required_node_affinity, node)) {
    return {false, "node " + node.name + " does not match the required node affinity"};
  }
  for (const Taint& taint : node.taints) {
    if (taint.effect != "NoSchedule" && taint.effect != "NoExecute") continue;
    const bool tolerated = std::any_of(spec.tolerations.begin(), spec.tolerations.end(),
                                       [&](const Toleration& t) { return tolerates(t, taint); });
    if (!tolerated)
      return {false, "node " + node.name + " has the taint " + describe(taint) + ", not tolerated"};
  }
  return {};
}

}  // namespace sgaudit::core
