#pragma once

// Files compiled into the binary (cmake/EmbedFiles.cmake): the OpenAPI document and the demo scenario.

#include <span>
#include <string_view>

namespace sgaudit::service {

struct EmbeddedFile {
  std::string_view name;  // relative path, e.g. "node-sockets/10.1.0.55.txt"
  std::string_view content;
};

std::span<const EmbeddedFile> openapiFiles();  // docs/openapi.yaml
std::span<const EmbeddedFile> demoScenario();  // test/data/scenarios/cce-seed, without its README

}  // namespace sgaudit::service
