#pragma once

// `kubectl get <kind> [-A] -o json`: one object, a List of one kind, or the mixed List of `kubectl get all`.
// The input is streamed: each item is cut down to the fields the model needs while it is read, converted,
// and dropped, so memory stays proportional to one object, not to the body (which can be hundreds of MB).

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "sgaudit/cloud/input_error.hpp"
#include "sgaudit/cloud/kubernetes/objects.hpp"

namespace sgaudit::cloud::kubernetes {

// `source` names the input in errors and in each object's SourceLocation ("pods.json", an upload name).
// Errors: "pods.json: /items/3/spec/containers/0/ports/0/containerPort: expected an integer 1-65535, got
// \"http\"", or "pods.json: line 7, column 3: invalid JSON: ..." for syntax errors.
Parsed<KubernetesObjects> readKubectlJson(std::istream& in, std::string_view source,
                                          const ReadLimits& limits = {});
Parsed<KubernetesObjects> readKubectlJson(std::string_view text, std::string_view source,
                                          const ReadLimits& limits = {});
// Reads a file; errors and locations name it as given.
Parsed<KubernetesObjects> readKubectlJsonFile(const std::filesystem::path& file,
                                              const ReadLimits& limits = {});
// An object or List already parsed (a request body someone else decoded).
Parsed<KubernetesObjects> readKubectlJsonDocument(const nlohmann::json& document, std::string_view source,
                                                  const ReadLimits& limits = {});

// Hands each converted object (one per call, in `objects`) to `sink` as soon as it is read instead of
// gathering them, for callers that aggregate as they go; memory then stays at one item. Returns the error
// that stopped the read, if any (objects already handed over stay handed over).
using ObjectSink = std::function<void(KubernetesObjects&& objects)>;
std::optional<InputError> streamKubectlJson(std::istream& in, std::string_view source, const ObjectSink& sink,
                                            const ReadLimits& limits = {});

}  // namespace sgaudit::cloud::kubernetes
