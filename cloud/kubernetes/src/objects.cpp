#include "sgaudit/cloud/kubernetes/objects.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <utility>

#include <nlohmann/json.hpp>

namespace sgaudit::cloud::kubernetes {
namespace {

using nlohmann::json;

// Thrown inside this file only and returned by appendObject: the conversion reads like the object it walks
// instead of threading an error through every field.
using Failure = FieldError;

// The value as JSON text for "got ..." (YAML strings may hold bytes that are not UTF-8: replaced).
std::string describe(const json& value) {
  constexpr auto kReplace = json::error_handler_t::replace;
  switch (value.type()) {
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::null:
      return "null";
    case json::value_t::string: {
      const auto& text = value.get_ref<const std::string&>();
      if (text.size() > 40) return json(text.substr(0, 40)).dump(-1, ' ', false, kReplace) + "...";
      return value.dump(-1, ' ', false, kReplace);
    }
    default:
      return value.dump(-1, ' ', false, kReplace);
  }
}

// A plain `List` (kubectl's, or `kind: List` in a manifest) does not say what its items are.
constexpr const char* kMissingKind =
    "expected a string naming the object's kind (only the items of a typed list such as PodList may leave "
    "it out)";

[[noreturn]] void fail(std::string pointer, std::string message) {
  throw Failure{std::move(pointer), std::move(message)};
}

[[noreturn]] void expected(const std::string& pointer, std::string_view what, const json& got) {
  fail(pointer, "expected " + std::string(what) + ", got " + describe(got));
}

std::string child(const std::string& pointer, std::string_view key) {
  return pointer + "/" + pointerToken(key);
}
std::string child(const std::string& pointer, std::size_t index) {
  return pointer + "/" + std::to_string(index);
}

class Converter {
 public:
  Converter(const ReadLimits& limits, const core::SourceLocation& location)
      : limits_(limits), location_(location) {}

  std::vector<ConversionWarning> takeWarnings() { return std::move(warnings_); }

  // `implied_kind` is the kind of an item of a typed list (PodList -> Pod), whose items the API server
  // prints without kind or apiVersion.
  void append(const json& object, const std::string& pointer, KubernetesObjects& out,
              std::string_view implied_kind = {}) {
    if (!object.is_object()) expected(pointer, "a Kubernetes object", object);
    std::string kind = string(object, pointer, "kind");
    // Anything with `items` is a list, as the streaming reader sees it before it may know the kind.
    if (const json* items = member(object, "items");
        items != nullptr || kind == "List" || kind.ends_with("List")) {
      if (items == nullptr) return;
      const std::string items_pointer = child(pointer, "items");
      if (!items->is_array()) expected(items_pointer, "an array of objects", *items);
      const std::string item_kind = itemKindOfList(kind);
      for (std::size_t i = 0; i < items->size(); ++i)
        append((*items)[i], child(items_pointer, i), out, item_kind);
      return;
    }
    if (kind.empty()) kind = implied_kind;
    if (kind.empty()) fail(child(pointer, "kind"), kMissingKind);
    if (kind == "Pod") {
      out.pods.push_back(pod(object, pointer));
    } else if (kind == "Node") {
      out.nodes.push_back(node(object, pointer));
    } else if (auto workload_kind = workloadKind(kind)) {
      out.workloads.push_back(workload(*workload_kind, object, pointer));
    } else if (kind == "Service") {
      Metadata meta = metadata(object, pointer);
      out.services.push_back({"Service", std::move(meta.namespace_name), std::move(meta.name)});
    } else if (kind == "ConfigMap") {
      out.config_maps.push_back(configMap(object, pointer));
    } else {
      ++out.skipped_kinds[kind];
    }
  }

 private:
  static std::optional<core::WorkloadKind> workloadKind(std::string_view kind) {
    using core::WorkloadKind;
    for (auto candidate : {WorkloadKind::Deployment, WorkloadKind::ReplicaSet, WorkloadKind::StatefulSet,
                           WorkloadKind::DaemonSet, WorkloadKind::Job, WorkloadKind::CronJob}) {
      if (kind == core::toString(candidate)) return candidate;
    }
    return std::nullopt;
  }

  // A member of an object, or nullptr when absent or null (Go's decoder treats null as the zero value).
  static const json* member(const json& object, std::string_view key) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return nullptr;
    return &*it;
  }

  const json* objectMember(const json& object, const std::string& pointer, std::string_view key) const {
    const json* value = member(object, key);
    if (value != nullptr && !value->is_object()) expected(child(pointer, key), "an object", *value);
    return value;
  }

  const json* arrayMember(const json& object, const std::string& pointer, std::string_view key) const {
    const json* value = member(object, key);
    if (value != nullptr && !value->is_array()) expected(child(pointer, key), "an array", *value);
    return value;
  }

  void checkLength(const std::string& text, const std::string& pointer) const {
    if (text.size() > limits_.max_string_bytes) {
      fail(pointer, "string of " + std::to_string(text.size()) + " bytes is longer than the limit of " +
                        std::to_string(limits_.max_string_bytes));
    }
  }

  std::string string(const json& object, const std::string& pointer, std::string_view key) const {
    const json* value = member(object, key);
    if (value == nullptr) return {};
    const std::string value_pointer = child(pointer, key);
    if (!value->is_string()) expected(value_pointer, "a string", *value);
    checkLength(value->get_ref<const std::string&>(), value_pointer);
    return value->get<std::string>();
  }

  bool boolean(const json& object, const std::string& pointer, std::string_view key) const {
    const json* value = member(object, key);
    if (value == nullptr) return false;
    if (!value->is_boolean()) expected(child(pointer, key), "true or false", *value);
    return value->get<bool>();
  }

  static std::optional<std::int64_t> integerValue(const json& value) {
    if (value.is_number_unsigned()) {
      const auto number = value.get<std::uint64_t>();
      if (number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
      return static_cast<std::int64_t>(number);
    }
    if (value.is_number_integer()) return value.get<std::int64_t>();
    return std::nullopt;
  }

  std::optional<int> integer(const json& object, const std::string& pointer, std::string_view key,
                             std::int64_t min, std::int64_t max, std::string_view what) const {
    const json* value = member(object, key);
    if (value == nullptr) return std::nullopt;
    const auto number = integerValue(*value);
    if (!number || *number < min || *number > max) expected(child(pointer, key), what, *value);
    return static_cast<int>(*number);
  }

  std::optional<int> portNumber(const json& object, const std::string& pointer, std::string_view key) const {
    return integer(object, pointer, key, 1, 65535, "an integer 1-65535");
  }

  std::optional<int> count(const json& object, const std::string& pointer, std::string_view key) const {
    return integer(object, pointer, key, 0, std::numeric_limits<std::int32_t>::max(), "an integer >= 0");
  }

  // IntOrString (maxSurge, maxUnavailable) as text: 1 -> "1", "25%" -> "25%".
  std::string intOrString(const json& object, const std::string& pointer, std::string_view key) const {
    const json* value = member(object, key);
    if (value == nullptr) return {};
    if (value->is_string()) {
      // What the API server accepts: "25%" (and a plain count); anything else would silently become the
      // default, and the rollout check would judge a strategy the cluster refuses.
      std::string text = string(object, pointer, key);
      const std::string_view digits =
          std::string_view(text).substr(0, text.ends_with('%') ? text.size() - 1 : text.size());
      if (digits.empty() || digits.size() > 9 ||
          digits.find_first_not_of("0123456789") != std::string_view::npos)
        expected(child(pointer, key), "an integer or a percentage string like \"25%\"", *value);
      return text;
    }
    if (const auto number = integerValue(*value)) return std::to_string(*number);
    expected(child(pointer, key), "an integer or a percentage string", *value);
  }

  core::Labels stringMap(const json& object, const std::string& pointer, std::string_view key,
                         std::string_view prefix = {}) const {
    core::Labels result;
    const json* map = objectMember(object, pointer, key);
    if (map == nullptr) return result;
    const std::string map_pointer = child(pointer, key);
    for (const auto& [name, value] : map->items()) {
      if (!name.starts_with(prefix)) continue;
      const std::string value_pointer = child(map_pointer, name);
      checkLength(name, value_pointer);
      if (value.is_null()) {
        result.emplace(name, std::string());
        continue;
      }
      if (!value.is_string()) expected(value_pointer, "a string", value);
      checkLength(value.get_ref<const std::string&>(), value_pointer);
      result.emplace(name, value.get<std::string>());
    }
    return result;
  }

  std::vector<std::string> stringList(const json& object, const std::string& pointer,
                                      std::string_view key) const {
    std::vector<std::string> result;
    const json* list = arrayMember(object, pointer, key);
    if (list == nullptr) return result;
    const std::string list_pointer = child(pointer, key);
    for (std::size_t i = 0; i < list->size(); ++i) {
      const json& value = (*list)[i];
      if (!value.is_string()) expected(child(list_pointer, i), "a string", value);
      checkLength(value.get_ref<const std::string&>(), child(list_pointer, i));
      result.push_back(value.get<std::string>());
    }
    return result;
  }

  // Calls `each(element, element_pointer)` for every object of an array member.
  template <typename Each>
  void forEachObject(const json& object, const std::string& pointer, std::string_view key, Each each) const {
    const json* list = arrayMember(object, pointer, key);
    if (list == nullptr) return;
    const std::string list_pointer = child(pointer, key);
    for (std::size_t i = 0; i < list->size(); ++i) {
      const json& element = (*list)[i];
      const std::string element_pointer = child(list_pointer, i);
      if (!element.is_object()) expected(element_pointer, "an object", element);
      each(element, element_pointer);
    }
  }

  // --- metadata -----------------------------------------------------------------------------------------

  struct Metadata {
    std::string name;
    std::string namespace_name;
    std::string uid;
    core::Labels labels;
    core::Labels annotations;
    std::optional<core::ObjectRef> owner;
    bool mirror = false;        // kubernetes.io/config.mirror: a static pod's mirror
    std::string config_source;  // kubernetes.io/config.source
  };

  Metadata metadata(const json& object, const std::string& pointer) const {
    Metadata result;
    const json* meta = objectMember(object, pointer, "metadata");
    if (meta == nullptr) return result;
    const std::string meta_pointer = child(pointer, "metadata");
    result.name = string(*meta, meta_pointer, "name");
    result.namespace_name = string(*meta, meta_pointer, "namespace");
    result.uid = string(*meta, meta_pointer, "uid");
    result.labels = stringMap(*meta, meta_pointer, "labels");
    // Only our own annotations: they carry audit hints, the rest is noise (and can be huge).
    result.annotations = stringMap(*meta, meta_pointer, "annotations", "sgaudit.io/");
    // And the kubelet's, which tell a static pod's mirror from other pods.
    const core::Labels kubelet = stringMap(*meta, meta_pointer, "annotations", "kubernetes.io/config.");
    result.mirror = kubelet.count("kubernetes.io/config.mirror") > 0;
    if (const auto source = kubelet.find("kubernetes.io/config.source"); source != kubelet.end())
      result.config_source = source->second;
    forEachObject(*meta, meta_pointer, "ownerReferences",
                  [&](const json& ref, const std::string& ref_pointer) {
                    if (!boolean(ref, ref_pointer, "controller") || result.owner) return;
                    result.owner = core::ObjectRef{string(ref, ref_pointer, "kind"), result.namespace_name,
                                                   string(ref, ref_pointer, "name")};
                  });
    return result;
  }

  // --- pod spec -----------------------------------------------------------------------------------------

  core::PortProtocol protocol(const json& port, const std::string& pointer) const {
    const json* value = member(port, "protocol");
    if (value == nullptr) return core::PortProtocol::Tcp;
    if (value->is_string()) {
      const auto& text = value->get_ref<const std::string&>();
      if (text == "TCP") return core::PortProtocol::Tcp;
      if (text == "UDP") return core::PortProtocol::Udp;
      if (text == "SCTP") return core::PortProtocol::Sctp;
    }
    expected(child(pointer, "protocol"), "\"TCP\", \"UDP\" or \"SCTP\"", *value);
  }

  // --- names that may be cluster DNS names (hostnetwork.dns-policy) ---------------------------------------

  static constexpr std::size_t kMostMentions = 32;  // per container or ConfigMap

  static void mention(std::vector<core::NameMention>& out, const std::string& text,
                      const std::string& where) {
    for (auto& name : core::clusterNameCandidates(text)) {
      if (out.size() >= kMostMentions) return;
      const bool known =
          std::any_of(out.begin(), out.end(), [&](const core::NameMention& m) { return m.name == name; });
      if (!known) out.push_back({std::move(name), where});
    }
  }

  // A string read only for the names it mentions: any length (a shell script in args, a config file in a
  // ConfigMap), since only the names are kept.
  static const std::string& text(const json& value, const std::string& pointer) {
    if (!value.is_string()) expected(pointer, "a string", value);
    return value.get_ref<const std::string&>();
  }

  void mentionsInList(const json& object, const std::string& pointer, std::string_view key,
                      const std::string& where, std::vector<core::NameMention>& out) const {
    const json* list = arrayMember(object, pointer, key);
    if (list == nullptr) return;
    const std::string list_pointer = child(pointer, key);
    for (std::size_t i = 0; i < list->size(); ++i)
      mention(out, text((*list)[i], child(list_pointer, i)), where);
  }

  static void addConfigMap(std::vector<std::string>& names, std::string name) {
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end())
      names.push_back(std::move(name));
  }

  // The ConfigMap a {name: ...} reference (configMapRef, configMapKeyRef, a configMap volume) names.
  void configMapRef(const json& object, const std::string& pointer, std::string_view key,
                    std::vector<std::string>& names) const {
    if (const json* ref = objectMember(object, pointer, key))
      addConfigMap(names, string(*ref, child(pointer, key), "name"));
  }

  core::ConfigMapNames configMap(const json& object, const std::string& pointer) const {
    core::ConfigMapNames result;
    Metadata meta = metadata(object, pointer);
    result.namespace_name = std::move(meta.namespace_name);
    result.name = std::move(meta.name);
    result.source = location_;
    const json* data = objectMember(object, pointer, "data");
    if (data == nullptr) return result;
    const std::string data_pointer = child(pointer, "data");
    for (const auto& [key, value] : data->items()) {
      mention(result.mentions, text(value, child(data_pointer, key)),
              "ConfigMap " + result.namespace_name + "/" + result.name + " key " + key);
    }
    return result;
  }

  core::Container container(const json& object, const std::string& pointer, bool init,
                            std::vector<std::string>& config_maps) const {
    core::Container result;
    result.name = string(object, pointer, "name");
    result.image = string(object, pointer, "image");
    const std::string of = " of container " + result.name;
    mentionsInList(object, pointer, "command", "command" + of, result.name_mentions);
    mentionsInList(object, pointer, "args", "args" + of, result.name_mentions);
    forEachObject(object, pointer, "env", [&](const json& env, const std::string& env_pointer) {
      const std::string name = string(env, env_pointer, "name");
      if (const json* value = member(env, "value"))
        mention(result.name_mentions, text(*value, child(env_pointer, "value")), "env " + name + of);
      if (const json* from = objectMember(env, env_pointer, "valueFrom"))
        configMapRef(*from, child(env_pointer, "valueFrom"), "configMapKeyRef", config_maps);
    });
    forEachObject(object, pointer, "envFrom", [&](const json& from, const std::string& from_pointer) {
      configMapRef(from, from_pointer, "configMapRef", config_maps);
    });
    result.init = init;
    // An init container with restartPolicy Always is a sidecar: it keeps running beside the others.
    result.sidecar = init && string(object, pointer, "restartPolicy") == "Always";
    forEachObject(object, pointer, "ports", [&](const json& port, const std::string& port_pointer) {
      core::ContainerPort entry;
      entry.name = string(port, port_pointer, "name");
      const auto container_port = portNumber(port, port_pointer, "containerPort");
      if (!container_port)
        fail(child(port_pointer, "containerPort"), "expected an integer 1-65535, got nothing");
      entry.container_port = *container_port;
      // The API cannot tell hostPort 0 from an absent one (int32, omitempty): both mean "not set".
      if (const json* host_port = member(port, "hostPort"); host_port != nullptr && *host_port != 0) {
        entry.host_port = portNumber(port, port_pointer, "hostPort");
      }
      entry.protocol = protocol(port, port_pointer);
      entry.host_ip = string(port, port_pointer, "hostIP");
      misspeltFields(port, port_pointer, {"name", "containerPort", "hostPort", "protocol", "hostIP"});
      result.ports.push_back(std::move(entry));
    });
    return result;
  }

  // Fields that differ from one we read only in case ("hostport" for "hostPort"): Kubernetes drops unknown
  // fields (or refuses them under strict validation), so the author's intent is lost; say so.
  void misspeltFields(const json& object, const std::string& pointer,
                      std::initializer_list<std::string_view> known) const {
    auto lower = [](std::string_view text) {
      std::string out(text);
      for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return out;
    };
    for (const auto& [key, value] : object.items()) {
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      for (std::string_view field : known) {
        if (lower(key) != lower(field)) continue;
        std::string message = "unknown field \"" + key + "\", did you mean \"" + std::string(field) + "\"?";
        if (field == "hostPort") message += " Kubernetes drops it, so the port gets no host port";
        warnings_.push_back({child(pointer, key), std::move(message)});
      }
    }
  }

  std::vector<core::NodeSelectorRequirement> requirements(const json& term, const std::string& pointer,
                                                          std::string_view key) const {
    std::vector<core::NodeSelectorRequirement> result;
    forEachObject(term, pointer, key, [&](const json& requirement, const std::string& requirement_pointer) {
      result.push_back({string(requirement, requirement_pointer, "key"),
                        string(requirement, requirement_pointer, "operator"),
                        stringList(requirement, requirement_pointer, "values")});
    });
    return result;
  }

  void affinity(const json& spec, const std::string& pointer, core::PodSpec& result) const {
    const json* affinity = objectMember(spec, pointer, "affinity");
    if (affinity == nullptr) return;
    const std::string affinity_pointer = child(pointer, "affinity");
    if (const json* node = objectMember(*affinity, affinity_pointer, "nodeAffinity")) {
      const std::string node_pointer = child(affinity_pointer, "nodeAffinity");
      constexpr std::string_view kRequired = "requiredDuringSchedulingIgnoredDuringExecution";
      if (const json* required = objectMember(*node, node_pointer, kRequired)) {
        const std::string required_pointer = child(node_pointer, kRequired);
        forEachObject(
            *required, required_pointer, "nodeSelectorTerms",
            [&](const json& term, const std::string& term_pointer) {
              result.required_node_affinity.push_back({requirements(term, term_pointer, "matchExpressions"),
                                                       requirements(term, term_pointer, "matchFields")});
            });
      }
    }
    if (const json* anti = objectMember(*affinity, affinity_pointer, "podAntiAffinity")) {
      const std::string anti_pointer = child(affinity_pointer, "podAntiAffinity");
      forEachObject(*anti, anti_pointer, "requiredDuringSchedulingIgnoredDuringExecution",
                    [&](const json& term, const std::string& term_pointer) {
                      if (string(term, term_pointer, "topologyKey") == "kubernetes.io/hostname") {
                        result.hostname_anti_affinity = true;
                      }
                    });
    }
  }

  core::PodSpec podSpec(const json* spec, const std::string& pointer) const {
    core::PodSpec result;
    if (spec == nullptr) return result;
    result.host_network = boolean(*spec, pointer, "hostNetwork");
    result.dns_policy = string(*spec, pointer, "dnsPolicy");
    result.node_selector = stringMap(*spec, pointer, "nodeSelector");
    result.node_name = string(*spec, pointer, "nodeName");
    affinity(*spec, pointer, result);
    forEachObject(*spec, pointer, "tolerations", [&](const json& toleration, const std::string& t_pointer) {
      core::Toleration entry;
      entry.key = string(toleration, t_pointer, "key");
      if (auto op = string(toleration, t_pointer, "operator"); !op.empty()) entry.op = std::move(op);
      entry.value = string(toleration, t_pointer, "value");
      entry.effect = string(toleration, t_pointer, "effect");
      result.tolerations.push_back(std::move(entry));
    });
    forEachObject(*spec, pointer, "containers", [&](const json& object, const std::string& c_pointer) {
      result.containers.push_back(container(object, c_pointer, false, result.config_maps));
    });
    forEachObject(*spec, pointer, "initContainers", [&](const json& object, const std::string& c_pointer) {
      result.containers.push_back(container(object, c_pointer, true, result.config_maps));
    });
    forEachObject(*spec, pointer, "volumes", [&](const json& volume, const std::string& v_pointer) {
      configMapRef(volume, v_pointer, "configMap", result.config_maps);
      if (const json* projected = objectMember(volume, v_pointer, "projected")) {
        forEachObject(*projected, child(v_pointer, "projected"), "sources",
                      [&](const json& source, const std::string& s_pointer) {
                        configMapRef(source, s_pointer, "configMap", result.config_maps);
                      });
      }
    });
    return result;
  }

  // --- kinds --------------------------------------------------------------------------------------------

  core::Pod pod(const json& object, const std::string& pointer) const {
    core::Pod result;
    Metadata meta = metadata(object, pointer);
    result.namespace_name = std::move(meta.namespace_name);
    result.name = std::move(meta.name);
    result.uid = std::move(meta.uid);
    result.labels = std::move(meta.labels);
    result.owner = std::move(meta.owner);
    result.mirror = meta.mirror || (result.owner && result.owner->kind == "Node");
    result.config_source = std::move(meta.config_source);
    result.spec = podSpec(objectMember(object, pointer, "spec"), child(pointer, "spec"));
    if (const json* status = objectMember(object, pointer, "status")) {
      const std::string status_pointer = child(pointer, "status");
      result.phase = string(*status, status_pointer, "phase");
      result.host_ip = string(*status, status_pointer, "hostIP");
      for (std::string_view key : {"containerStatuses", "initContainerStatuses"}) {
        forEachObject(*status, status_pointer, key, [&](const json& state, const std::string& s_pointer) {
          result.container_states.push_back(containerState(state, s_pointer));
        });
      }
    }
    result.source = location_;
    return result;
  }

  core::ContainerState containerState(const json& state, const std::string& pointer) const {
    core::ContainerState result;
    result.name = string(state, pointer, "name");
    result.restart_count = count(state, pointer, "restartCount").value_or(0);
    result.ready = boolean(state, pointer, "ready");
    if (const json* current = objectMember(state, pointer, "state")) {
      const std::string current_pointer = child(pointer, "state");
      if (const json* waiting = objectMember(*current, current_pointer, "waiting")) {
        result.waiting_reason = string(*waiting, child(current_pointer, "waiting"), "reason");
      }
    }
    if (const json* last = objectMember(state, pointer, "lastState")) {
      const std::string last_pointer = child(pointer, "lastState");
      if (const json* terminated = objectMember(*last, last_pointer, "terminated")) {
        const std::string terminated_pointer = child(last_pointer, "terminated");
        result.last_terminated_reason = string(*terminated, terminated_pointer, "reason");
        result.last_exit_code =
            integer(*terminated, terminated_pointer, "exitCode", std::numeric_limits<std::int32_t>::min(),
                    std::numeric_limits<std::int32_t>::max(), "a 32-bit integer");
      }
    }
    return result;
  }

  core::Node node(const json& object, const std::string& pointer) const {
    core::Node result;
    Metadata meta = metadata(object, pointer);
    result.name = std::move(meta.name);
    result.labels = std::move(meta.labels);
    if (const json* spec = objectMember(object, pointer, "spec")) {
      const std::string spec_pointer = child(pointer, "spec");
      result.provider_id = string(*spec, spec_pointer, "providerID");
      result.unschedulable = boolean(*spec, spec_pointer, "unschedulable");
      forEachObject(*spec, spec_pointer, "taints", [&](const json& taint, const std::string& t_pointer) {
        result.taints.push_back({string(taint, t_pointer, "key"), string(taint, t_pointer, "value"),
                                 string(taint, t_pointer, "effect")});
      });
    }
    if (const json* status = objectMember(object, pointer, "status")) {
      const std::string status_pointer = child(pointer, "status");
      forEachObject(*status, status_pointer, "addresses",
                    [&](const json& address, const std::string& a_pointer) {
                      const std::string type = string(address, a_pointer, "type");
                      if (type == "InternalIP")
                        result.internal_ips.push_back(string(address, a_pointer, "address"));
                      if (type == "ExternalIP")
                        result.external_ips.push_back(string(address, a_pointer, "address"));
                    });
      forEachObject(*status, status_pointer, "conditions",
                    [&](const json& condition, const std::string& c_pointer) {
                      if (string(condition, c_pointer, "type") == "Ready") {
                        result.ready = string(condition, c_pointer, "status") == "True";
                      }
                    });
    }
    result.source = location_;
    return result;
  }

  // A pod template ({metadata: {labels}, spec}) into the workload.
  void podTemplate(const json& owner, const std::string& pointer, core::Workload& result) const {
    const json* pod_template = objectMember(owner, pointer, "template");
    if (pod_template == nullptr) return;
    const std::string template_pointer = child(pointer, "template");
    if (const json* meta = objectMember(*pod_template, template_pointer, "metadata")) {
      result.template_labels = stringMap(*meta, child(template_pointer, "metadata"), "labels");
    }
    result.template_spec =
        podSpec(objectMember(*pod_template, template_pointer, "spec"), child(template_pointer, "spec"));
  }

  void selector(const json& spec, const std::string& pointer, core::Workload& result) const {
    if (const json* selector = objectMember(spec, pointer, "selector")) {
      result.selector = stringMap(*selector, child(pointer, "selector"), "matchLabels");
    }
  }

  void strategy(const json& spec, const std::string& pointer, std::string_view key,
                core::Workload& result) const {
    const json* strategy = objectMember(spec, pointer, key);
    if (strategy == nullptr) return;
    const std::string strategy_pointer = child(pointer, key);
    result.strategy_type = string(*strategy, strategy_pointer, "type");
    if (const json* rolling = objectMember(*strategy, strategy_pointer, "rollingUpdate")) {
      const std::string rolling_pointer = child(strategy_pointer, "rollingUpdate");
      result.max_surge = intOrString(*rolling, rolling_pointer, "maxSurge");
      result.max_unavailable = intOrString(*rolling, rolling_pointer, "maxUnavailable");
    }
  }

  core::Workload workload(core::WorkloadKind kind, const json& object, const std::string& pointer) const {
    using core::WorkloadKind;
    core::Workload result;
    result.kind = kind;
    Metadata meta = metadata(object, pointer);
    result.namespace_name = std::move(meta.namespace_name);
    result.name = std::move(meta.name);
    result.uid = std::move(meta.uid);
    result.labels = std::move(meta.labels);
    result.annotations = std::move(meta.annotations);
    result.owner = std::move(meta.owner);

    if (const json* spec = objectMember(object, pointer, "spec")) {
      const std::string spec_pointer = child(pointer, "spec");
      switch (kind) {
        case WorkloadKind::Deployment:
        case WorkloadKind::ReplicaSet:
        case WorkloadKind::StatefulSet:
          result.replicas = count(*spec, spec_pointer, "replicas");
          selector(*spec, spec_pointer, result);
          podTemplate(*spec, spec_pointer, result);
          strategy(*spec, spec_pointer, kind == WorkloadKind::Deployment ? "strategy" : "updateStrategy",
                   result);
          break;
        case WorkloadKind::DaemonSet:
          selector(*spec, spec_pointer, result);
          podTemplate(*spec, spec_pointer, result);
          strategy(*spec, spec_pointer, "updateStrategy", result);
          break;
        case WorkloadKind::Job:
          // A Job's parallelism is how many of its pods run at once, the closest thing to replicas.
          result.replicas = count(*spec, spec_pointer, "parallelism");
          selector(*spec, spec_pointer, result);
          podTemplate(*spec, spec_pointer, result);
          break;
        case WorkloadKind::CronJob:
          if (const json* job = objectMember(*spec, spec_pointer, "jobTemplate")) {
            const std::string job_pointer = child(spec_pointer, "jobTemplate");
            if (const json* job_spec = objectMember(*job, job_pointer, "spec")) {
              const std::string job_spec_pointer = child(job_pointer, "spec");
              result.replicas = count(*job_spec, job_spec_pointer, "parallelism");
              selector(*job_spec, job_spec_pointer, result);
              podTemplate(*job_spec, job_spec_pointer, result);
            }
          }
          break;
      }
    }
    if (const json* status = objectMember(object, pointer, "status")) {
      const std::string status_pointer = child(pointer, "status");
      if (kind == WorkloadKind::DaemonSet) {
        result.ready_replicas = count(*status, status_pointer, "numberReady");
        result.available_replicas = count(*status, status_pointer, "numberAvailable");
      } else if (kind == WorkloadKind::Job) {
        result.ready_replicas = count(*status, status_pointer, "ready");
      } else if (kind != WorkloadKind::CronJob) {
        result.ready_replicas = count(*status, status_pointer, "readyReplicas");
        result.available_replicas = count(*status, status_pointer, "availableReplicas");
      }
    }
    result.source = location_;
    return result;
  }

  const ReadLimits& limits_;
  const core::SourceLocation& location_;
  mutable std::vector<ConversionWarning> warnings_;  // collected by the const conversions
};

}  // namespace

std::string pointerToken(std::string_view key) {
  std::string result;
  result.reserve(key.size());
  for (char c : key) {
    if (c == '~') {
      result += "~0";
    } else if (c == '/') {
      result += "~1";
    } else {
      result += c;
    }
  }
  return result;
}

std::string objectBudgetMessage(std::size_t budget) {
  return "more than " + std::to_string(budget) + " objects (the object budget, --max-objects)";
}

std::string itemKindOfList(std::string_view list_kind) {
  if (list_kind.size() <= 4 || !list_kind.ends_with("List")) return {};
  return std::string(list_kind.substr(0, list_kind.size() - 4));
}

std::optional<ConversionError> appendObject(const nlohmann::json& object, std::string_view pointer,
                                            const core::SourceLocation& location, KubernetesObjects& out,
                                            const ReadLimits& limits, std::string_view implied_kind) {
  // Convert into a scratch value so that a failure leaves `out` as it was.
  KubernetesObjects converted;
  try {
    Converter converter(limits, location);
    converter.append(object, std::string(pointer), converted, implied_kind);
    converted.warnings = converter.takeWarnings();
  } catch (Failure& failure) {
    return std::move(failure);
  }
  merge(out, std::move(converted));
  return std::nullopt;
}

void merge(KubernetesObjects& to, KubernetesObjects&& from) {
  auto move_all = [](auto& destination, auto& source) {
    if (destination.empty()) {
      destination = std::move(source);
      return;
    }
    destination.insert(destination.end(), std::make_move_iterator(source.begin()),
                       std::make_move_iterator(source.end()));
  };
  move_all(to.nodes, from.nodes);
  move_all(to.pods, from.pods);
  move_all(to.workloads, from.workloads);
  move_all(to.services, from.services);
  move_all(to.config_maps, from.config_maps);
  for (const auto& [kind, count] : from.skipped_kinds)
    to.skipped_kinds[kind] += count;
  move_all(to.warnings, from.warnings);
}

}  // namespace sgaudit::cloud::kubernetes
