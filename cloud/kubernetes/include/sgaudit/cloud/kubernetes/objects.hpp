#pragma once

// Kubernetes objects as the cloud readers hand them to the core, and the one conversion from a JSON
// object to the model that every input path (streamed kubectl JSON, a body in memory, YAML manifests)
// shares.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sgaudit/cloud/input_error.hpp"
#include "sgaudit/core/kubernetes.hpp"

namespace sgaudit::cloud::kubernetes {

// Something read that is not an error but probably not what the author meant (a misspelt field, which
// Kubernetes drops): where (a JSON pointer; the manifest reader puts "line N: " before it) and what.
struct ConversionWarning {
  std::string where;
  std::string message;
};

struct KubernetesObjects {
  std::vector<core::Node> nodes;
  std::vector<core::Pod> pods;
  std::vector<core::Workload> workloads;
  std::vector<core::ObjectRef> services;          // their names only
  std::vector<core::ConfigMapNames> config_maps;  // the names in their data that may be cluster DNS names
  std::map<std::string, int>
      skipped_kinds;  // kinds we do not model (Secret, PodSecurityPolicy, ...) and how many
  std::vector<ConversionWarning> warnings;
};

// Bounds against hostile or broken input. Exceeding one is an InputError, never a crash or a hang.
struct ReadLimits {
  std::size_t max_depth = 64;                  // nesting of objects and arrays
  std::size_t max_string_bytes = 64 * 1024;    // any string we keep: names, labels, annotations, ...
  std::size_t max_documents = 10000;           // YAML documents in one manifest stream
  std::size_t max_manifest_bytes = 64u << 20;  // YAML is parsed in memory, so its size is bounded
  std::size_t max_yaml_nodes = 1000000;        // after alias expansion ("billion laughs")
  // Items of one List: each object kept costs about 1 KB, so this bounds memory however small the items are
  // (2,000,000 minimal pods fit in a 557 KB gzip). A 5,000-node cluster lists 150,000 pods.
  std::size_t max_objects = 1000000;
};

// "more than N objects (the object budget, --max-objects)": the message of a document or a set of inputs
// over its budget.
std::string objectBudgetMessage(std::size_t budget);

// A conversion failure: where in the object (a JSON pointer, already prefixed with the caller's base) and
// what was expected.
using ConversionError = FieldError;

// Converts one object (`kind` Pod, Node, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob,
// Service, ConfigMap, or a List of them in `items`) and appends it to `out`; other kinds are counted in
// `out.skipped_kinds`. `pointer` is where `object` sits in its document ("" for the root, "/items/3"),
// `location` is recorded on what is appended. Unknown fields are ignored; a field we read with the wrong type
// is an error. `implied_kind` is the kind an item of a typed list has when it names none ("Pod" in a PodList:
// the API server's lists leave kind and apiVersion out of their items); a List's own items get theirs from
// it.
std::optional<ConversionError> appendObject(const nlohmann::json& object, std::string_view pointer,
                                            const core::SourceLocation& location, KubernetesObjects& out,
                                            const ReadLimits& limits = {},
                                            std::string_view implied_kind = {});

// The kind of the items of a typed list: "PodList" -> "Pod", "DaemonSetList" -> "DaemonSet"; empty for a
// plain "List" or anything else.
std::string itemKindOfList(std::string_view list_kind);

// Appends `from` to `to` (objects in order, skipped kinds summed).
void merge(KubernetesObjects& to, KubernetesObjects&& from);

// JSON pointer escaping of one reference token ("~" -> "~0", "/" -> "~1").
std::string pointerToken(std::string_view key);

}  // namespace sgaudit::cloud::kubernetes
