#pragma once

// YAML manifests (what `kubectl apply -f` takes): any number of `---`-separated documents, each an object
// or a List of the kinds objects.hpp models. Scalars are typed as kubectl types them (YAML 1.1: `80` is an
// integer, `"80"` a string, `yes` a boolean), then the JSON conversion shared with kubectl JSON applies.

#include <filesystem>
#include <string_view>
#include <vector>

#include "sgaudit/cloud/input_error.hpp"
#include "sgaudit/cloud/kubernetes/objects.hpp"

namespace sgaudit::cloud::kubernetes {

// Each object's SourceLocation is {source, line of its `kind:`}. Errors: "deploy.yaml: line 12: ..." for
// YAML syntax, "deploy.yaml: line 23: /spec/template/spec/containers/0/ports/0/containerPort: expected an
// integer 1-65535, got \"http\"" for content (the pointer is within the document).
Parsed<KubernetesObjects> readManifests(std::string_view text, std::string_view source,
                                        const ReadLimits& limits = {});
Parsed<KubernetesObjects> readManifestFile(const std::filesystem::path& file, const ReadLimits& limits = {});

// One document of a YAML stream: its text (including its `---` line, if any) and its first line (1-based).
struct ManifestDocument {
  std::string_view text;
  int first_line = 1;
};

// Cuts a YAML stream into documents at column-0 `---` (start) and `...` (end) markers, as the YAML spec
// does: such a line is a marker even inside a block scalar. Comment- and directive-only preambles stay with
// the document that follows them.
std::vector<ManifestDocument> splitManifestDocuments(std::string_view text);

}  // namespace sgaudit::cloud::kubernetes
