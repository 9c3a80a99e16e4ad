#pragma once

// Which fields of a Kubernetes object the model needs: the streaming reader keeps these and skips the rest
// (managedFields, most annotations, env, volumes, resources, probes, status conditions of pods, ...).
// One tree for every kind, because `kind` may come after `spec` in the stream; what one kind does not use
// is small. Must cover everything objects.cpp reads (the streamed and the in-memory paths are tested to
// agree on the same files).

#include <span>
#include <string_view>

namespace sgaudit::cloud::kubernetes {

struct KeyFilter;

struct FilterField {
  std::string_view key;
  const KeyFilter* filter;
};

// A filter applies to an object's members; arrays are transparent (their elements get the same filter).
struct KeyFilter {
  bool keep_all = false;                // keep every member, recursively
  std::string_view prefix;              // keep members whose key starts with this (values kept whole)
  std::span<const FilterField> fields;  // and these
  // Strings of any length: text read only for the names it mentions (args, env values, a ConfigMap's data),
  // whose conversion keeps no more than those names.
  bool long_text = false;

  const KeyFilter* lookup(std::string_view key) const;
};

inline constexpr KeyFilter kKeepAll{true, {}, {}};
inline constexpr KeyFilter kLongText{true, {}, {}, true};

namespace filter_detail {

// Our own annotations, and the two that tell a static pod's mirror and where its manifest is.
inline constexpr FilterField kKubeletAnnotationFields[] = {{"kubernetes.io/config.mirror", &kKeepAll},
                                                           {"kubernetes.io/config.source", &kKeepAll}};
inline constexpr KeyFilter kAnnotations{false, "sgaudit.io/", kKubeletAnnotationFields};

inline constexpr FilterField kOwnerReferenceFields[] = {
    {"kind", &kKeepAll}, {"name", &kKeepAll}, {"uid", &kKeepAll}, {"controller", &kKeepAll}};
inline constexpr KeyFilter kOwnerReference{false, {}, kOwnerReferenceFields};

inline constexpr FilterField kMetadataFields[] = {
    {"name", &kKeepAll},   {"namespace", &kKeepAll},       {"uid", &kKeepAll},
    {"labels", &kKeepAll}, {"annotations", &kAnnotations}, {"ownerReferences", &kOwnerReference}};
inline constexpr KeyFilter kMetadata{false, {}, kMetadataFields};

inline constexpr FilterField kPortFields[] = {{"name", &kKeepAll},
                                              {"containerPort", &kKeepAll},
                                              {"hostPort", &kKeepAll},
                                              {"protocol", &kKeepAll},
                                              {"hostIP", &kKeepAll}};
inline constexpr KeyFilter kPort{false, {}, kPortFields};

inline constexpr FilterField kRefNameFields[] = {{"name", &kKeepAll}};
inline constexpr KeyFilter kRefName{false, {}, kRefNameFields};
inline constexpr FilterField kValueFromFields[] = {{"configMapKeyRef", &kRefName}};
inline constexpr KeyFilter kValueFrom{false, {}, kValueFromFields};
inline constexpr FilterField kEnvFields[] = {
    {"name", &kKeepAll}, {"value", &kLongText}, {"valueFrom", &kValueFrom}};
inline constexpr KeyFilter kEnv{false, {}, kEnvFields};
inline constexpr FilterField kEnvFromFields[] = {{"configMapRef", &kRefName}};
inline constexpr KeyFilter kEnvFrom{false, {}, kEnvFromFields};

inline constexpr FilterField kContainerFields[] = {
    {"name", &kKeepAll},     {"image", &kKeepAll}, {"ports", &kPort}, {"restartPolicy", &kKeepAll},
    {"command", &kLongText}, {"args", &kLongText}, {"env", &kEnv},    {"envFrom", &kEnvFrom}};
inline constexpr KeyFilter kContainer{false, {}, kContainerFields};

inline constexpr FilterField kNodeAffinityFields[] = {
    {"requiredDuringSchedulingIgnoredDuringExecution", &kKeepAll}};
inline constexpr KeyFilter kNodeAffinity{false, {}, kNodeAffinityFields};

inline constexpr FilterField kAntiAffinityTermFields[] = {{"topologyKey", &kKeepAll}};
inline constexpr KeyFilter kAntiAffinityTerm{false, {}, kAntiAffinityTermFields};
inline constexpr FilterField kPodAntiAffinityFields[] = {
    {"requiredDuringSchedulingIgnoredDuringExecution", &kAntiAffinityTerm}};
inline constexpr KeyFilter kPodAntiAffinity{false, {}, kPodAntiAffinityFields};

inline constexpr FilterField kAffinityFields[] = {{"nodeAffinity", &kNodeAffinity},
                                                  {"podAntiAffinity", &kPodAntiAffinity}};
inline constexpr KeyFilter kAffinity{false, {}, kAffinityFields};

inline constexpr FilterField kProjectedSourceFields[] = {{"configMap", &kRefName}};
inline constexpr KeyFilter kProjectedSource{false, {}, kProjectedSourceFields};
inline constexpr FilterField kProjectedFields[] = {{"sources", &kProjectedSource}};
inline constexpr KeyFilter kProjected{false, {}, kProjectedFields};
inline constexpr FilterField kVolumeFields[] = {{"configMap", &kRefName}, {"projected", &kProjected}};
inline constexpr KeyFilter kVolume{false, {}, kVolumeFields};

inline constexpr FilterField kPodSpecFields[] = {
    {"hostNetwork", &kKeepAll},  {"dnsPolicy", &kKeepAll},        {"nodeSelector", &kKeepAll},
    {"nodeName", &kKeepAll},     {"affinity", &kAffinity},        {"tolerations", &kKeepAll},
    {"containers", &kContainer}, {"initContainers", &kContainer}, {"volumes", &kVolume}};
inline constexpr KeyFilter kPodSpec{false, {}, kPodSpecFields};

inline constexpr FilterField kTemplateMetadataFields[] = {{"labels", &kKeepAll}};
inline constexpr KeyFilter kTemplateMetadata{false, {}, kTemplateMetadataFields};
inline constexpr FilterField kPodTemplateFields[] = {{"metadata", &kTemplateMetadata}, {"spec", &kPodSpec}};
inline constexpr KeyFilter kPodTemplate{false, {}, kPodTemplateFields};

inline constexpr FilterField kSelectorFields[] = {{"matchLabels", &kKeepAll}};
inline constexpr KeyFilter kSelector{false, {}, kSelectorFields};

inline constexpr FilterField kJobSpecFields[] = {
    {"parallelism", &kKeepAll}, {"selector", &kSelector}, {"template", &kPodTemplate}};
inline constexpr KeyFilter kJobSpec{false, {}, kJobSpecFields};
inline constexpr FilterField kJobTemplateFields[] = {{"spec", &kJobSpec}};
inline constexpr KeyFilter kJobTemplate{false, {}, kJobTemplateFields};

// Pod spec, Node spec and workload spec fields in one.
inline constexpr FilterField kSpecFields[] = {
    // Pod
    {"hostNetwork", &kKeepAll},
    {"dnsPolicy", &kKeepAll},
    {"nodeSelector", &kKeepAll},
    {"nodeName", &kKeepAll},
    {"affinity", &kAffinity},
    {"tolerations", &kKeepAll},
    {"containers", &kContainer},
    {"initContainers", &kContainer},
    {"volumes", &kVolume},
    // Node
    {"providerID", &kKeepAll},
    {"taints", &kKeepAll},
    {"unschedulable", &kKeepAll},
    // workloads
    {"replicas", &kKeepAll},
    {"parallelism", &kKeepAll},
    {"selector", &kSelector},
    {"template", &kPodTemplate},
    {"strategy", &kKeepAll},
    {"updateStrategy", &kKeepAll},
    {"jobTemplate", &kJobTemplate},
};
inline constexpr KeyFilter kSpec{false, {}, kSpecFields};

inline constexpr FilterField kWaitingFields[] = {{"reason", &kKeepAll}};
inline constexpr KeyFilter kWaiting{false, {}, kWaitingFields};
inline constexpr FilterField kStateFields[] = {{"waiting", &kWaiting}};
inline constexpr KeyFilter kState{false, {}, kStateFields};
inline constexpr FilterField kTerminatedFields[] = {{"reason", &kKeepAll}, {"exitCode", &kKeepAll}};
inline constexpr KeyFilter kTerminated{false, {}, kTerminatedFields};
inline constexpr FilterField kLastStateFields[] = {{"terminated", &kTerminated}};
inline constexpr KeyFilter kLastState{false, {}, kLastStateFields};
inline constexpr FilterField kContainerStatusFields[] = {{"name", &kKeepAll},
                                                         {"restartCount", &kKeepAll},
                                                         {"ready", &kKeepAll},
                                                         {"state", &kState},
                                                         {"lastState", &kLastState}};
inline constexpr KeyFilter kContainerStatus{false, {}, kContainerStatusFields};

inline constexpr FilterField kConditionFields[] = {{"type", &kKeepAll}, {"status", &kKeepAll}};
inline constexpr KeyFilter kCondition{false, {}, kConditionFields};

inline constexpr FilterField kStatusFields[] = {
    // Pod
    {"phase", &kKeepAll},
    {"hostIP", &kKeepAll},
    {"containerStatuses", &kContainerStatus},
    {"initContainerStatuses", &kContainerStatus},
    // Node (conditions are cut to type and status; only Ready is read)
    {"addresses", &kKeepAll},
    {"conditions", &kCondition},
    // workloads
    {"readyReplicas", &kKeepAll},
    {"availableReplicas", &kKeepAll},
    {"numberReady", &kKeepAll},
    {"numberAvailable", &kKeepAll},
    {"ready", &kKeepAll},
};
inline constexpr KeyFilter kStatus{false, {}, kStatusFields};

inline constexpr FilterField kObjectFields[] = {
    {"apiVersion", &kKeepAll}, {"kind", &kKeepAll},  {"metadata", &kMetadata},
    {"spec", &kSpec},          {"status", &kStatus}, {"data", &kLongText}};  // a ConfigMap's

}  // namespace filter_detail

// An object (or the root of a List, whose `items` the reader handles itself).
inline constexpr KeyFilter kRootFilter{false, {}, filter_detail::kObjectFields};

inline const KeyFilter* KeyFilter::lookup(std::string_view key) const {
  if (keep_all) return this;
  if (!prefix.empty() && key.starts_with(prefix)) return &kKeepAll;
  for (const auto& field : fields) {
    if (field.key == key) return field.filter;
  }
  return nullptr;
}

}  // namespace sgaudit::cloud::kubernetes
