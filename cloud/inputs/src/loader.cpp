#include "sgaudit/cloud/inputs/loader.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sgaudit/cloud/aws/inputs.hpp"
#include "sgaudit/cloud/aws/remediation.hpp"
#include "sgaudit/cloud/huawei/reader.hpp"
#include "sgaudit/cloud/huawei/remediation.hpp"
#include "sgaudit/cloud/kubernetes/kubectl_json.hpp"
#include "sgaudit/cloud/kubernetes/manifest.hpp"
#include "sgaudit/cloud/node/container_log.hpp"
#include "sgaudit/cloud/node/sockets.hpp"
#include "sgaudit/cloud/openstack/inputs.hpp"
#include "sgaudit/cloud/openstack/remediation.hpp"
#include "sgaudit/core/finding.hpp"

namespace sgaudit::cloud::inputs {
namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxDocumentBytes = 256u << 20;  // provider JSON, manifests, logs: read whole
constexpr std::size_t kMaxJsonDepth = 128;

std::string_view trimmedStart(std::string_view text) {
  // A UTF-8 byte order mark and leading whitespace say nothing about the format.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  return text;
}

bool endsWith(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string baseName(const std::string& name) {
  return std::filesystem::path(name).filename().string();
}

bool isKubernetesKind(const std::string& kind) {
  static const std::vector<std::string> kKinds = {
      "List",           "PodList",       "NodeList",        "DeploymentList", "Pod",        "Node",
      "Deployment",     "ReplicaSet",    "DaemonSet",       "StatefulSet",    "Job",        "CronJob",
      "ReplicaSetList", "DaemonSetList", "StatefulSetList", "JobList",        "CronJobList"};
  return std::find(kKinds.begin(), kKinds.end(), kind) != kKinds.end();
}

// Depth limit for DOM parsing of untrusted JSON: nlohmann recurses, so a nesting bomb must be stopped first.
bool tooDeep(std::string_view text) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) return true;
    } else if (c == '}' || c == ']') {
      if (depth > 0) --depth;
    }
  }
  return false;
}

std::string topLevelKeys(const json& document) {
  if (!document.is_object()) return document.is_array() ? "a JSON array" : "a JSON scalar";
  std::string keys;
  int shown = 0;
  for (const auto& [key, value] : document.items()) {
    if (shown++ == 8) {
      keys += ", ...";
      break;
    }
    keys += (keys.empty() ? "" : ", ") + key;
  }
  return "top-level keys: " + (keys.empty() ? std::string("none") : keys);
}

template <typename T>
void append(std::vector<T>& to, std::vector<T>&& from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

void mergeCloud(core::CloudInventory& to, core::CloudInventory&& from) {
  append(to.security_groups, std::move(from.security_groups));
  append(to.address_sets, std::move(from.address_sets));
  append(to.instances, std::move(from.instances));
  append(to.interfaces, std::move(from.interfaces));
  append(to.networks, std::move(from.networks));
  append(to.clusters, std::move(from.clusters));
}

void mergeKubernetes(core::ClusterState& to, kubernetes::KubernetesObjects&& from) {
  append(to.nodes, std::move(from.nodes));
  append(to.pods, std::move(from.pods));
  append(to.workloads, std::move(from.workloads));
}

}  // namespace

// An sgaudit policy lying among the inputs (the policy is given with --policy, not read as an input).
static bool isPolicy(const json& document) {
  if (!document.is_object() || document.empty()) return false;
  static const std::vector<std::string> kKeys = {"sources",         "defaults",        "workloads",
                                                 "sensitive_ports", "node_port_range", "suppressions",
                                                 "$schema",         "description"};
  for (const auto& [key, value] : document.items()) {
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) return false;
  }
  return true;
}

std::optional<std::string> recogniseJson(const json& document) {
  if (isPolicy(document)) return "sgaudit.policy";
  if (auto kind = huawei::recognise(document)) return kind;
  if (auto kind = aws::recognise(document)) return kind;
  if (auto kind = openstack::recognise(document)) return kind;
  if (document.is_object() && document.contains("apiVersion") && document.value("kind", json()).is_string() &&
      isKubernetesKind(document.value("kind", ""))) {
    return "kubectl.json";
  }
  if (document.is_object() && document.contains("apiVersion") && document.contains("items"))
    return "kubectl.json";
  return std::nullopt;
}

std::optional<InputError> InputLoader::addJson(const json& document, const std::string& name) {
  const auto kind = recogniseJson(document);
  if (!kind) return InputError{name, "", "not a known input (" + topLevelKeys(document) + ")"};
  if (*kind == "sgaudit.policy") {
    // Recognised so that a folder holding its policy can be audited; the policy itself comes from --policy.
  } else if (*kind == "kubectl.json") {
    std::istringstream stream(document.dump());
    auto objects = kubernetes::readKubectlJson(stream, name);
    if (!objects) return objects.error();
    mergeKubernetes(inventory_.cluster, std::move(objects).value());
  } else {
    Parsed<core::CloudInventory> parsed = kind->starts_with("huawei.") ? huawei::parse(*kind, document, name)
                                          : kind->starts_with("aws.")
                                              ? aws::parse(*kind, document, name)
                                              : openstack::parse(*kind, document, name);
    if (!parsed) return parsed.error();
    mergeCloud(inventory_.cloud, std::move(parsed).value());
  }
  inventory_.inputs.push_back({name, *kind});
  return std::nullopt;
}

std::optional<InputError> InputLoader::addBytes(std::string_view bytes, const std::string& name) {
  if (bytes.size() > kMaxDocumentBytes) {
    return InputError{name, "", "larger than " + std::to_string(kMaxDocumentBytes >> 20) + " MiB"};
  }
  const std::string base = baseName(name);
  const std::string_view start = trimmedStart(bytes);
  if (endsWith(base, ".log")) {
    auto log = node::readContainerLog(bytes, base);
    if (!log) return InputError{name, log.error().where, log.error().message};
    log.value().source.file = name;
    inventory_.cluster.container_logs.push_back(std::move(log).value());
    inventory_.inputs.push_back({name, "container.log"});
    return std::nullopt;
  }
  if (start.starts_with("{") || start.starts_with("[")) {
    if (tooDeep(bytes))
      return InputError{name, "", "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
    json document = json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (document.is_discarded()) {
      // Say where: nlohmann's exception carries the byte offset.
      try {
        const json strict = json::parse(bytes.begin(), bytes.end());
        (void)strict;
      } catch (const json::parse_error& e) {
        return InputError{name, "byte " + std::to_string(e.byte), "not valid JSON"};
      }
      return InputError{name, "", "not valid JSON"};
    }
    return addJson(document, name);
  }
  if (node::looksLikeSocketListing(bytes)) {
    auto sockets = node::readListeningSockets(bytes, base);
    if (!sockets) return InputError{name, sockets.error().where, sockets.error().message};
    sockets.value().source.file = name;
    inventory_.cluster.node_sockets.push_back(std::move(sockets).value());
    inventory_.inputs.push_back({name, "node.sockets"});
    return std::nullopt;
  }
  if (endsWith(base, ".yaml") || endsWith(base, ".yml") ||
      start.find("apiVersion:") != std::string_view::npos || start.starts_with("---")) {
    auto objects = kubernetes::readManifests(bytes, name);
    if (!objects) return objects.error();
    mergeKubernetes(inventory_.cluster, std::move(objects).value());
    inventory_.inputs.push_back({name, "kubernetes.manifest"});
    return std::nullopt;
  }
  return InputError{name, "",
                    "not a known input (expected provider or kubectl JSON, a YAML manifest, `ss` or `netstat "
                    "-tulpn` output or a container log named <namespace>_<pod>_<container>.log)"};
}

std::optional<InputError> InputLoader::addFile(const std::filesystem::path& file,
                                               const std::string& display_name) {
  const std::string name = display_name.empty() ? file.string() : display_name;
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return InputError{name, "", "cannot read: " + ec.message()};
  std::ifstream in(file, std::ios::binary);
  if (!in) return InputError{name, "", "cannot open for reading"};
  // Large JSON is streamed: only kubectl output grows that big, and its reader never holds it whole.
  if (size > (8u << 20)) {
    char head[4096] = {};
    in.read(head, sizeof head);
    const std::string_view start =
        trimmedStart(std::string_view(head, static_cast<std::size_t>(in.gcount())));
    if (start.starts_with("{") && start.find("\"apiVersion\"") != std::string_view::npos) {
      auto objects = kubernetes::readKubectlJsonFile(file);
      if (!objects) return InputError{name, objects.error().where, objects.error().message};
      mergeKubernetes(inventory_.cluster, std::move(objects).value());
      inventory_.inputs.push_back({name, "kubectl.json"});
      return std::nullopt;
    }
    in.clear();
    in.seekg(0);
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return addBytes(bytes, name);
}

std::vector<InputError> InputLoader::addPath(const std::filesystem::path& path,
                                             const std::vector<std::filesystem::path>& skip) {
  std::vector<InputError> errors;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {InputError{path.string(), "", "no such file or folder"}};
  if (!std::filesystem::is_directory(path, ec)) {
    if (auto error = addFile(path)) errors.push_back(*error);
    return errors;
  }
  std::vector<std::filesystem::path> files;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       !ec && it != std::filesystem::end(it); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with(".")) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    const std::string extension = it->path().extension().string();
    static const std::vector<std::string> kInputExtensions = {".json", ".yaml", ".yml", ".txt", ".log", ""};
    if (std::find(kInputExtensions.begin(), kInputExtensions.end(), extension) == kInputExtensions.end())
      continue;
    const bool skipped = std::any_of(skip.begin(), skip.end(), [&](const std::filesystem::path& s) {
      std::error_code same_ec;
      return std::filesystem::equivalent(s, it->path(), same_ec);
    });
    if (!skipped) files.push_back(it->path());
  }
  if (ec) errors.push_back(InputError{path.string(), "", "cannot list: " + ec.message()});
  std::sort(files.begin(), files.end());
  std::filesystem::path folder = std::filesystem::absolute(path).lexically_normal();
  if (!folder.has_filename())
    folder = folder.parent_path();  // "cce-seed/" names the same folder as "cce-seed"
  const std::filesystem::path root = folder.parent_path();
  for (const auto& file : files) {
    const std::string name =
        std::filesystem::absolute(file).lexically_normal().lexically_relative(root).string();
    if (auto error = addFile(file, name)) errors.push_back(*error);
  }
  return errors;
}

void renderCloudFixes(std::vector<core::Finding>& findings) {
  for (auto& finding : findings) {
    for (const auto& plan : finding.narrow_plans) {
      auto fixes = plan.provider == huawei::kProvider ? huawei::renderNarrow(plan)
                   : plan.provider == "aws"           ? aws::renderFixes(plan)
                   : plan.provider == "openstack"     ? openstack::renderFixes(plan)
                                                      : std::vector<core::Fix>{};
      append(finding.fixes, std::move(fixes));
    }
    for (const auto& plan : finding.allow_plans) {
      auto fixes = plan.provider == huawei::kProvider ? huawei::renderAllow(plan)
                   : plan.provider == "aws"           ? aws::renderFixes(plan)
                   : plan.provider == "openstack"     ? openstack::renderFixes(plan)
                                                      : std::vector<core::Fix>{};
      append(finding.fixes, std::move(fixes));
    }
  }
}

}  // namespace sgaudit::cloud::inputs
