#pragma once

// Every input sgaudit reads, from a file or an upload, recognised by its shape and read into the inventory:
// provider JSON (Huawei Cloud, AWS, OpenStack), kubectl JSON (streamed), YAML manifests, `ss -Htulnp`
// output (named after its node) and container logs (named <namespace>_<pod>_<container>.log).

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sgaudit/cloud/input_error.hpp"
#include "sgaudit/core/finding.hpp"
#include "sgaudit/core/inventory.hpp"
#include "sgaudit/core/kubernetes.hpp"

namespace sgaudit::cloud::inputs {

struct LoadedInput {
  std::string name;  // the file's path or upload name
  std::string kind;  // "huawei.vpc.v3.security-group-rules", "kubectl.json", "kubernetes.manifest",
                     // "node.sockets", "container.log"
};

// What is read so far, merged.
struct Inventory {
  core::ClusterState cluster;
  core::CloudInventory cloud;
  std::vector<LoadedInput> inputs;
};

// The kind of a JSON document by its shape, or nullopt.
std::optional<std::string> recogniseJson(const nlohmann::json& document);

class InputLoader {
 public:
  // Reads one document. `name` is its file name, which carries meaning for `ss` output (the node) and logs
  // (namespace, pod, container). On error nothing of the document is kept.
  std::optional<InputError> addBytes(std::string_view bytes, const std::string& name);
  // Reads a file; kubectl JSON is streamed, so files of hundreds of MB stay out of memory.
  std::optional<InputError> addFile(const std::filesystem::path& file, const std::string& display_name = {});
  // Reads a file, or every input file under a folder (recursively, in name order): .json, .yaml, .yml, .txt,
  // .log and files without an extension; hidden files, other extensions and `skip` are left out. Files under
  // a folder are named relative to the folder's parent ("cce-seed/logs/x.log"). Returns every error.
  std::vector<InputError> addPath(const std::filesystem::path& path,
                                  const std::vector<std::filesystem::path>& skip = {});

  const Inventory& inventory() const { return inventory_; }
  Inventory take() { return std::move(inventory_); }

 private:
  std::optional<InputError> addJson(const nlohmann::json& document, const std::string& name);
  Inventory inventory_;
};

// Fills each finding's fixes from its security-group plans, with the renderer of the plan's provider.
void renderCloudFixes(std::vector<core::Finding>& findings);

}  // namespace sgaudit::cloud::inputs
