#include "sgaudit/cloud/inputs/loader.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "sgaudit/cloud/kubernetes/kubectl_json.hpp"
#include "sgaudit/cloud/kubernetes/manifest.hpp"
#include "sgaudit/cloud/node/container_log.hpp"
#include "sgaudit/cloud/node/sockets.hpp"
#include "sgaudit/cloud/providers.hpp"
#include "sgaudit/core/finding.hpp"

namespace sgaudit::cloud::inputs {
namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxJsonDepth = 128;
// Files larger than this that look like kubectl JSON in their first kStreamHead bytes are streamed.
constexpr std::uint64_t kStreamedBytes = 8u << 20;
constexpr std::size_t kStreamHead = 4096;

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
  // The first input of a kind is taken whole: 150,000 pods are not moved one by one into a new vector.
  if (to.empty()) {
    to = std::move(from);
    return;
  }
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

// One loader's inventory after another's, as if it had read their inputs in turn (before Provider::link).
void mergeInventory(Inventory& to, Inventory&& from) {
  append(to.cluster.nodes, std::move(from.cluster.nodes));
  append(to.cluster.pods, std::move(from.cluster.pods));
  append(to.cluster.workloads, std::move(from.cluster.workloads));
  append(to.cluster.node_sockets, std::move(from.cluster.node_sockets));
  append(to.cluster.container_logs, std::move(from.cluster.container_logs));
  append(to.cluster.services, std::move(from.cluster.services));
  append(to.cluster.config_maps, std::move(from.cluster.config_maps));
  mergeCloud(to.cloud, std::move(from.cloud));
  append(to.inputs, std::move(from.inputs));
  append(to.warnings, std::move(from.warnings));
  append(to.skipped, std::move(from.skipped));
}

void mergeKubernetes(core::ClusterState& to, kubernetes::KubernetesObjects&& from) {
  append(to.nodes, std::move(from.nodes));
  append(to.pods, std::move(from.pods));
  append(to.workloads, std::move(from.workloads));
  append(to.services, std::move(from.services));
  append(to.config_maps, std::move(from.config_maps));
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

// A Kubernetes object of any kind (kind and apiVersion strings), or a JSON array of them (sonobuoy's
// resources/ns/<namespace>/Pods.json).
static bool isKubernetesObject(const json& document) {
  if (!document.is_object()) return false;
  const auto kind = document.find("kind");
  const auto api_version = document.find("apiVersion");
  return kind != document.end() && kind->is_string() && api_version != document.end() &&
         api_version->is_string();
}

static bool isArrayOfKubernetesObjects(const json& document) {
  return document.is_array() && !document.empty() &&
         std::all_of(document.begin(), document.end(),
                     [](const json& item) { return isKubernetesObject(item); });
}

std::optional<std::string> recogniseJson(const json& document) {
  if (isPolicy(document)) return "sgaudit.policy";
  if (auto claimed = claim(document); claimed && !claimed->recognition.kind.empty())
    return claimed->recognition.kind;
  if (document.is_object() && document.contains("apiVersion") && document.value("kind", json()).is_string() &&
      isKubernetesKind(document.value("kind", ""))) {
    return "kubectl.json";
  }
  if (document.is_object() && document.contains("apiVersion") && document.contains("items"))
    return "kubectl.json";
  // Any other Kubernetes object (a PodSecurityPolicy, a ConfigMap): read, and counted as a kind not modelled.
  if (isKubernetesObject(document) || isArrayOfKubernetesObjects(document)) return "kubectl.json";
  return std::nullopt;
}

std::optional<std::string> apiErrorMessage(const json& document) {
  if (!document.is_object()) return std::nullopt;
  auto text = [](const json& object, std::initializer_list<const char*> keys) -> std::string {
    for (const char* key : keys) {
      const auto it = object.find(key);
      if (it == object.end()) continue;
      if (it->is_string()) return it->get<std::string>();
      if (it->is_number()) return it->dump();
    }
    return {};
  };
  auto join = [](std::string message, const std::string& code) {
    if (message.empty()) message = "(no message)";
    return code.empty() ? message : message + " (" + code + ")";
  };
  // Huawei Cloud: {"error_code": "VPC.0114", "error_msg": "...", "request_id": "..."}
  if (document.contains("error_code") && document.contains("error_msg"))
    return join(text(document, {"error_msg"}), text(document, {"error_code"}));
  // Neutron: {"NeutronError": {"type": "SecurityGroupNotFound", "message": "...", "detail": ""}}
  if (const auto it = document.find("NeutronError"); it != document.end() && it->is_object())
    return join(text(*it, {"message"}), text(*it, {"type"}));
  // {"error": {"code": ..., "message": ...}} (Keystone, Huawei ECS and IAM), {"Error": {"Code", "Message"}}
  // (an AWS SDK's error response), {"__type": ..., "message": ...} (AWS JSON protocols).
  for (const char* key : {"error", "Error"}) {
    const auto it = document.find(key);
    if (it != document.end() && it->is_object() && document.size() <= 3 &&
        (it->contains("message") || it->contains("Message"))) {
      return join(text(*it, {"message", "Message"}), text(*it, {"code", "Code", "title"}));
    }
  }
  if (document.contains("__type") && (document.contains("message") || document.contains("Message")))
    return join(text(document, {"message", "Message"}), text(document, {"__type"}));
  // Nova: one key naming the fault, {"itemNotFound": {"code": 404, "message": "..."}}.
  if (document.size() == 1) {
    const auto only = document.begin();
    const json& body = only.value();
    if (body.is_object() && body.contains("message") && body.contains("code"))
      return join(text(body, {"message"}), only.key() + " " + text(body, {"code"}));
  }
  return std::nullopt;
}

std::optional<InputError> InputLoader::notAnInput(InputError error, bool walked) {
  if (!walked) return error;
  inventory_.skipped.push_back({error.source, error.message});
  return std::nullopt;
}

std::string InputLoader::documentLimitMessage() const {
  const std::size_t mib = max_document_bytes_ >> 20;
  return "larger than " +
         (mib > 0 && (max_document_bytes_ & ((1u << 20) - 1)) == 0
              ? std::to_string(mib) + " MiB"
              : std::to_string(max_document_bytes_) + " bytes") +
         " (a document read whole; the limit is --max-document-bytes)";
}

kubernetes::ReadLimits InputLoader::limits() const {
  kubernetes::ReadLimits limits;
  limits.max_objects = object_budget_ > objects_read_ ? object_budget_ - objects_read_ : 0;
  return limits;
}

std::optional<InputError> InputLoader::addKubernetes(kubernetes::KubernetesObjects&& objects,
                                                     const std::string& name, std::string kind) {
  const std::size_t count = objects.nodes.size() + objects.pods.size() + objects.workloads.size() +
                            objects.services.size() + objects.config_maps.size();
  if (objects_read_ + count > object_budget_)
    return InputError{name, "",
                      kubernetes::objectBudgetMessage(object_budget_) + " with the inputs before it"};
  objects_read_ += count;
  for (const auto& warning : objects.warnings) {
    inventory_.warnings.push_back(name + (warning.where.empty() ? "" : ": " + warning.where) + ": " +
                                  warning.message);
  }
  mergeKubernetes(inventory_.cluster, std::move(objects));
  inventory_.inputs.push_back({name, std::move(kind)});
  return std::nullopt;
}

std::optional<InputError> InputLoader::addJson(const json& document, const std::string& name, bool walked) {
  if (auto message = apiErrorMessage(document))
    return notAnInput(InputError{name, "", "this is an error response from the API: " + *message}, walked);
  if (isPolicy(document)) {
    // Recognised so that a folder holding its policy can be audited; the policy itself is given apart (the
    // CLI's --policy, the API's "policy"), and one lying here is not applied: said, not silently dropped.
    inventory_.inputs.push_back({name, "sgaudit.policy"});
    inventory_.warnings.push_back(
        name +
        " is an sgaudit policy and was not applied: give it with --policy (over the "
        "API, as the audit's \"policy\")");
    return std::nullopt;
  }
  if (auto claimed = claim(document)) {
    const Provider& provider = *claimed->provider;
    const std::string& kind = claimed->recognition.kind;
    if (kind.empty()) {
      return notAnInput(
          InputError{name, "",
                     std::string(provider.title()) + " output, but none of the shapes sgaudit reads (" +
                         topLevelKeys(document) + ")"},
          walked);
    }
    std::vector<std::string> warnings;
    Parsed<core::CloudInventory> parsed = provider.read(kind, document, ReadContext{name, &warnings});
    if (!parsed) return parsed.error();
    mergeCloud(inventory_.cloud, std::move(parsed).value());
    append(inventory_.warnings, std::move(warnings));
    inventory_.inputs.push_back({name, kind});
    return std::nullopt;
  }
  if (!recogniseJson(document))
    return notAnInput(InputError{name, "", "not a known input (" + topLevelKeys(document) + ")"}, walked);
  const json* list = &document;
  json wrapped;
  if (document.is_array()) {  // an array of objects reads as the List it lists
    wrapped = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", document}};
    list = &wrapped;
  }
  std::istringstream stream(list->dump());
  auto objects = kubernetes::readKubectlJson(stream, name, limits());
  if (!objects) return objects.error();
  return addKubernetes(std::move(objects).value(), name, "kubectl.json");
}

// A log named <namespace>_<pod>_<container>.log, or one in a sonobuoy or must-gather dump's layout; read from
// `file` a block at a time when given (dumps hold logs of hundreds of MB), else from `bytes`.
std::optional<InputError> InputLoader::addContainerLog(std::string_view bytes,
                                                       const std::filesystem::path* file,
                                                       const std::string& name, bool walked) {
  if (auto bad_name = node::parseLogFileName(name); !bad_name) {
    return notAnInput(InputError{name, "", bad_name.error().message}, walked);
  }
  std::ifstream in;
  if (file != nullptr) {
    in.open(*file, std::ios::binary);
    if (!in) return InputError{name, "", "cannot open for reading"};
  }
  Parsed<core::ContainerLog> log =
      file != nullptr ? node::readContainerLog(in, name) : node::readContainerLog(bytes, name);
  if (!log) return InputError{name, log.error().where, log.error().message};
  log.value().source.file = name;
  inventory_.cluster.container_logs.push_back(std::move(log).value());
  inventory_.inputs.push_back({name, "container.log"});
  return std::nullopt;
}

static bool isContainerLogName(const std::string& name) {
  return endsWith(baseName(name), ".log") || node::logNameFromDumpPath(name).has_value();
}

// A YAML file whose top level names a kind (a column-0 "kind:" line): a Kubernetes manifest, or a list of
// them.
static bool hasTopLevelKind(std::string_view text) {
  for (std::size_t at = 0; at < text.size();) {
    const auto eol = std::min(text.find('\n', at), text.size());
    if (text.substr(at, eol - at).starts_with("kind:")) return true;
    at = eol + 1;
  }
  return false;
}

std::optional<InputError> InputLoader::addBytes(std::string_view bytes, const std::string& name) {
  return budgetError(read(bytes, name, false));
}

std::optional<InputError> InputLoader::read(std::string_view bytes, const std::string& name, bool walked) {
  if (bytes.size() > max_document_bytes_) {
    return InputError{name, "", documentLimitMessage()};
  }
  const std::string base = baseName(name);
  const std::string_view start = trimmedStart(bytes);
  if (isContainerLogName(name)) return addContainerLog(bytes, nullptr, name, walked);
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
    return addJson(document, name, walked);
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
    // In a folder, YAML that names no kind at its top level is some other tool's file (a dump's config, a
    // chart's values.yaml), not a manifest.
    if (walked && !hasTopLevelKind(bytes)) {
      return notAnInput(InputError{name, "", "YAML without a top-level kind: (not a Kubernetes manifest)"},
                        true);
    }
    auto objects = kubernetes::readManifests(bytes, name, limits());
    if (!objects) return objects.error();
    return addKubernetes(std::move(objects).value(), name, "kubernetes.manifest");
  }
  return notAnInput(
      InputError{name, "",
                 "not a known input (expected provider or kubectl JSON, a YAML manifest, `ss` or "
                 "`netstat -tulpn` output or a container log named "
                 "<namespace>_<pod>_<container>.log)"},
      walked);
}

bool InputLoader::streamsAsKubectl(std::string_view head, std::uint64_t size, const std::string& name) {
  if (size <= kStreamedBytes || isContainerLogName(name)) return false;
  const std::string_view start = trimmedStart(head.substr(0, kStreamHead));
  return start.starts_with("{") && start.find("\"apiVersion\"") != std::string_view::npos;
}

std::optional<InputError> InputLoader::addKubectlStream(std::istream& in, const std::string& name,
                                                        bool keep) {
  if (keep) {
    auto objects = kubernetes::readKubectlJson(in, name, limits());
    if (!objects) return budgetError(InputError{name, objects.error().where, objects.error().message});
    return budgetError(addKubernetes(std::move(objects).value(), name, "kubectl.json"));
  }
  // Checked as addKubernetes would keep it, without keeping it: the same count against the budget, the same
  // warnings.
  std::size_t count = 0;
  std::vector<std::string> warnings;
  const auto error = kubernetes::streamKubectlJson(
      in, name,
      [&](kubernetes::KubernetesObjects&& objects) {
        count += objects.nodes.size() + objects.pods.size() + objects.workloads.size() +
                 objects.services.size() + objects.config_maps.size();
        for (const auto& warning : objects.warnings)
          warnings.push_back(name + (warning.where.empty() ? "" : ": " + warning.where) + ": " +
                             warning.message);
      },
      limits());
  if (error) return budgetError(InputError{name, error->where, error->message});
  if (objects_read_ + count > object_budget_)
    return InputError{name, "",
                      kubernetes::objectBudgetMessage(object_budget_) + " with the inputs before it"};
  objects_read_ += count;
  append(inventory_.warnings, std::move(warnings));
  inventory_.inputs.push_back({name, "kubectl.json"});
  return std::nullopt;
}

std::optional<InputError> InputLoader::addFile(const std::filesystem::path& file,
                                               const std::string& display_name) {
  return readFile(file, display_name.empty() ? file.string() : display_name, false);
}

std::optional<InputError> InputLoader::readFile(const std::filesystem::path& file, const std::string& name,
                                                bool walked) {
  // A read error deep in a reader (EIO, a file that vanished) is this file's error, never an abort.
  try {
    return budgetError(readFileUnchecked(file, name, walked));
  } catch (const std::exception& error) {
    return InputError{name, "", std::string("cannot read: ") + error.what()};
  }
}

std::optional<InputError> InputLoader::budgetError(std::optional<InputError> error) const {
  // A reader is given what is left of the budget; the message names the whole budget.
  if (error && error->message == kubernetes::objectBudgetMessage(limits().max_objects)) {
    error->message = kubernetes::objectBudgetMessage(object_budget_);
    if (objects_read_ > 0) error->message += " with the inputs before it";
  }
  return error;
}

std::optional<InputError> InputLoader::readFileUnchecked(const std::filesystem::path& file,
                                                         const std::string& name, bool walked) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return InputError{name, "", "cannot read: " + ec.message()};
  if (isContainerLogName(name)) return addContainerLog({}, &file, name, walked);
  std::ifstream in(file, std::ios::binary);
  if (!in) return InputError{name, "", "cannot open for reading"};
  // Large JSON is streamed: only kubectl output grows that big, and its reader never holds it whole.
  if (size > kStreamedBytes) {
    char head[kStreamHead] = {};
    in.read(head, sizeof head);
    const bool streamed =
        streamsAsKubectl(std::string_view(head, static_cast<std::size_t>(in.gcount())), size, name);
    if (streamed) {
      auto objects = kubernetes::readKubectlJsonFile(file, limits());
      if (!objects) return InputError{name, objects.error().where, objects.error().message};
      return addKubernetes(std::move(objects).value(), name, "kubectl.json");
    }
    in.clear();
    in.seekg(0);
  }
  // Read whole only within the bound, checked before and while reading: a file can grow, and /proc and
  // device files report no size.
  const InputError too_large{name, "", documentLimitMessage()};
  if (size > max_document_bytes_) return too_large;
  std::string bytes;
  bytes.reserve(static_cast<std::size_t>(size));
  std::vector<char> chunk(1 << 16);
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())), in.gcount() > 0) {
    const auto got = static_cast<std::size_t>(in.gcount());
    if (bytes.size() + got > max_document_bytes_) return too_large;
    bytes.append(chunk.data(), got);
  }
  if (in.bad()) return InputError{name, "", "cannot read: " + std::string(std::strerror(errno))};
  return read(bytes, name, walked);
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
  std::filesystem::path folder = std::filesystem::absolute(path).lexically_normal();
  if (!folder.has_filename())
    folder = folder.parent_path();  // "cce-seed/" names the same folder as "cce-seed"
  const std::filesystem::path root = folder.parent_path();
  std::vector<std::filesystem::path> files;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       !ec && it != std::filesystem::end(it); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with(".")) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink()) {
      // Links are not followed (a link to its own folder would loop): named among the skipped, not dropped.
      std::error_code target_ec;
      const bool folder = std::filesystem::is_directory(it->path(), target_ec);
      const bool dangling = !std::filesystem::exists(it->path(), target_ec);
      if (folder || dangling) {
        inventory_.skipped.push_back(
            {std::filesystem::absolute(it->path()).lexically_normal().lexically_relative(root).string(),
             dangling ? "a symbolic link to nothing" : "a symbolic link to a folder, not followed"});
        continue;
      }
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
  // Files are read two at a time, largest first, each by a loader of its own given what is left of the
  // budget, and kept in name order: a fleet's cloud JSON and its pods take a second or more each. A file that
  // fails, or whose objects would pass the budget with those kept before it, is read again here, in order,
  // so that what is kept and every error are as a reading in order gives them.
  struct Alone {
    Inventory inventory;
    std::size_t objects = 0;
    bool failed = false;
  };
  auto nameOf = [&root](const std::filesystem::path& file) {
    return std::filesystem::absolute(file).lexically_normal().lexically_relative(root).string();
  };
  const std::size_t budget_left = object_budget_ > objects_read_ ? object_budget_ - objects_read_ : 0;
  std::vector<std::size_t> by_size(files.size());
  std::vector<std::uintmax_t> sizes(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    by_size[i] = i;
    std::error_code size_ec;
    sizes[i] = std::filesystem::file_size(files[i], size_ec);
    if (size_ec) sizes[i] = 0;
  }
  std::stable_sort(by_size.begin(), by_size.end(),
                   [&](std::size_t a, std::size_t b) { return sizes[a] > sizes[b]; });
  std::vector<std::optional<Alone>> done(files.size());
  std::mutex mutex;
  std::condition_variable ready;
  std::size_t taken = 0;
  auto work = [&] {
    for (;;) {
      std::size_t index = 0;
      {
        const std::lock_guard lock(mutex);
        if (taken == by_size.size()) return;
        index = by_size[taken++];
      }
      InputLoader alone;
      alone.object_budget_ = budget_left;
      alone.max_document_bytes_ = max_document_bytes_;
      Alone out;
      out.failed = alone.readFile(files[index], nameOf(files[index]), true).has_value();
      out.objects = alone.objects_read_;
      out.inventory = std::move(alone.inventory_);
      {
        const std::lock_guard lock(mutex);
        done[index] = std::move(out);
      }
      ready.notify_all();
    }
  };
  std::vector<std::jthread> workers;  // joined however this returns
  for (std::size_t t = 0; t < std::min<std::size_t>(2, files.size()); ++t)
    workers.emplace_back(work);
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::filesystem::path& file = files[i];
    Alone alone;
    {
      std::unique_lock lock(mutex);
      ready.wait(lock, [&] { return done[i].has_value(); });
      alone = std::move(*done[i]);
      done[i].reset();
    }
    if (alone.failed || objects_read_ + alone.objects > object_budget_) {
      if (auto error = readFile(file, nameOf(file), true)) errors.push_back(*error);
      continue;
    }
    objects_read_ += alone.objects;
    mergeInventory(inventory_, std::move(alone.inventory));
  }
  return errors;
}

Inventory InputLoader::take() {
  for (const Provider* provider : providers())
    provider->link(inventory_.cloud, inventory_.warnings);
  return std::move(inventory_);
}

namespace {

// The rules of one group a finding narrows or removes are one change to that group: one fix per tool that
// makes them all, in the plans' order, not one fix per rule and tool (a group that opens SSH to the internet
// through ten rules had thirty fixes).
void appendNarrowFixes(std::vector<core::Fix>& fixes, const std::vector<core::NarrowRulePlan>& plans) {
  struct Merged {
    std::string group_key;  // provider and group id
    std::string group;      // as the title names it
    core::Fix fix;
    std::vector<std::string> rules;  // by identity: the parts of one provider rule (Azure's IPv4 and IPv6
                                     // prefixes) are one rule to the reader
    bool removes = false;
    bool narrows = false;
  };
  std::vector<Merged> merged;
  for (const auto& plan : plans) {
    const Provider* provider = findProvider(plan.provider);
    if (provider == nullptr) continue;
    const std::string group_key = plan.provider + "/" + plan.group_id;
    const std::string& rule =
        plan.rule.origin.rule_id.empty() ? plan.rule.origin.key : plan.rule.origin.rule_id;
    for (auto& fix : provider->renderFixes(plan)) {
      auto same = std::find_if(merged.begin(), merged.end(), [&](const Merged& m) {
        return m.group_key == group_key && m.fix.tool == fix.tool;
      });
      if (same == merged.end()) {
        same = merged.insert(merged.end(), Merged{group_key,
                                                  plan.group_name.empty() ? plan.group_id : plan.group_name,
                                                  std::move(fix),
                                                  {},
                                                  false,
                                                  false});
      } else {
        same->fix.content += fix.content;
      }
      if (rule.empty() || std::find(same->rules.begin(), same->rules.end(), rule) == same->rules.end())
        same->rules.push_back(rule);
      (plan.narrower.empty() ? same->removes : same->narrows) = true;
    }
  }
  for (auto& m : merged) {
    // One rule keeps its first part's title, which names it; several are counted. Each provider titles a fix
    // "what it does (tool)".
    if (m.rules.size() > 1) {
      const std::string& title = m.fix.title;
      const auto tool = title.rfind(" (");
      m.fix.title = std::string(m.removes && m.narrows ? "Narrow or remove "
                                : m.narrows            ? "Narrow "
                                                       : "Remove ") +
                    std::to_string(m.rules.size()) + " rules of " + m.group +
                    (tool == std::string::npos ? std::string() : title.substr(tool));
    }
    fixes.push_back(std::move(m.fix));
  }
}

}  // namespace

void renderCloudFixes(std::vector<core::Finding>& findings) {
  for (auto& finding : findings) {
    const std::size_t first = finding.fixes.size();
    auto render = [&](const auto& plan) {
      if (const Provider* provider = findProvider(plan.provider))
        append(finding.fixes, provider->renderFixes(plan));
    };
    appendNarrowFixes(finding.fixes, finding.narrow_plans);
    for (const auto& plan : finding.allow_plans)
      render(plan);
    // Each fix written from the plans carries whether the plans were proven by a re-audit.
    for (std::size_t i = first; i < finding.fixes.size(); ++i) {
      finding.fixes[i].verified = finding.fix_verified;
      finding.fixes[i].verification = finding.fix_verification;
    }
  }
}

}  // namespace sgaudit::cloud::inputs
