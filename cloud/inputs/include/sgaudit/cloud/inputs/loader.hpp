#pragma once

// Every input sgaudit reads, from a file or an upload, recognised by its shape and read into the inventory:
// provider JSON (Huawei Cloud, AWS, OpenStack), kubectl JSON (streamed), YAML manifests, `ss` or `netstat`
// output (named after its node) and container logs (named <namespace>_<pod>_<container>.log, or by their
// path in a sonobuoy or must-gather dump).

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sgaudit/cloud/input_error.hpp"
#include "sgaudit/cloud/kubernetes/objects.hpp"
#include "sgaudit/core/finding.hpp"
#include "sgaudit/core/inventory.hpp"
#include "sgaudit/core/kubernetes.hpp"

namespace sgaudit::cloud::inputs {

struct LoadedInput {
  std::string name;  // the file's path or upload name
  std::string kind;  // "huawei.vpc.v3.security-group-rules", "kubectl.json", "kubernetes.manifest",
                     // "node.sockets", "container.log"
};

// A file found by walking a folder that is not an input (a cluster dump holds many), and why.
struct SkippedFile {
  std::string name;
  std::string reason;
};

// What is read so far, merged.
struct Inventory {
  core::ClusterState cluster;
  core::CloudInventory cloud;
  std::vector<LoadedInput> inputs;
  // Read, but probably not as meant: "deploy.yaml: line 9: /spec/.../hostport: unknown field ...".
  std::vector<std::string> warnings;
  std::vector<SkippedFile> skipped;
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
  // Reads kubectl JSON from a stream (a body decoded as it is read) as addFile reads a large kubectl file.
  // With `keep` false it is only checked: each object is converted, counted against the object budget and
  // dropped, so memory stays at one item whatever the size; the input, its kind and its warnings are kept.
  std::optional<InputError> addKubectlStream(std::istream& in, const std::string& name, bool keep = true);
  // Whether addFile streams a file named `name` of `size` bytes that begins with `head` as kubectl JSON (what
  // addKubectlStream reads); only the first 4 KiB of `head` are looked at.
  static bool streamsAsKubectl(std::string_view head, std::uint64_t size, const std::string& name);
  // Reads a file, or every input file under a folder (recursively, in name order): .json, .yaml, .yml, .txt,
  // .log and files without an extension; hidden files, other extensions and `skip` are left out. Files under
  // a folder are named relative to the folder's parent ("cce-seed/logs/x.log"). A file found in a folder that
  // is not an input (a cluster dump's other files: unknown JSON, YAML without a top-level kind, text, an API
  // error response) is listed in `skipped` instead; a file named itself must be an input. Returns every
  // error.
  std::vector<InputError> addPath(const std::filesystem::path& path,
                                  const std::vector<std::filesystem::path>& skip = {});

  // The most Kubernetes objects all inputs together may hold (each costs about 1 KB): a document that would
  // pass it is refused ("more than N objects (the object budget, --max-objects)") while it is read.
  void setObjectBudget(std::size_t objects) { object_budget_ = objects; }
  // The largest document read whole (provider JSON, manifests, small kubectl files: parsing takes about ten
  // times its size); kubectl lists over 8 MB are streamed whatever their size.
  void setDocumentLimit(std::size_t bytes) { max_document_bytes_ = bytes; }
  std::size_t objectsRead() const { return objects_read_; }

  // What is read so far, as read.
  const Inventory& inventory() const { return inventory_; }
  // Everything read, with each provider's cross-document joins made (Provider::link): call once, when every
  // input is added.
  Inventory take();

 private:
  // `walked`: found in a folder, so not being an input skips the file rather than failing.
  std::optional<InputError> read(std::string_view bytes, const std::string& name, bool walked);
  std::optional<InputError> readFile(const std::filesystem::path& file, const std::string& name, bool walked);
  // Read limits with what is left of the object budget, and a reader's budget error restated as the whole.
  kubernetes::ReadLimits limits() const;
  std::optional<InputError> budgetError(std::optional<InputError> error) const;
  std::optional<InputError> readFileUnchecked(const std::filesystem::path& file, const std::string& name,
                                              bool walked);
  std::optional<InputError> addJson(const nlohmann::json& document, const std::string& name, bool walked);
  std::optional<InputError> addContainerLog(std::string_view bytes, const std::filesystem::path* file,
                                            const std::string& name, bool walked);
  std::optional<InputError> notAnInput(InputError error, bool walked);
  // Keeps the objects, or refuses them all when they would pass the object budget.
  std::optional<InputError> addKubernetes(kubernetes::KubernetesObjects&& objects, const std::string& name,
                                          std::string kind);
  Inventory inventory_;
  std::size_t object_budget_ = kubernetes::ReadLimits{}.max_objects;
  std::size_t objects_read_ = 0;
  std::size_t max_document_bytes_ = std::size_t{64} << 20;
  std::string documentLimitMessage() const;
};

// The message of a provider's error response ({"error_code": ..., "error_msg": ...} of Huawei Cloud,
// {"NeutronError": {...}} of Neutron, Nova's {"itemNotFound": {"code": 404, "message": ...}}, ...), or
// nullopt when the document is not one.
std::optional<std::string> apiErrorMessage(const nlohmann::json& document);

// Fills each finding's fixes from its security-group plans, with the renderer of the plan's provider.
void renderCloudFixes(std::vector<core::Finding>& findings);

}  // namespace sgaudit::cloud::inputs
