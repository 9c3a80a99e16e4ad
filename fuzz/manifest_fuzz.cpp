// libFuzzer target: YAML manifests. Any input must give objects or an InputError, promptly and without
// touching memory it does not own.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sgaudit/cloud/kubernetes/manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sgaudit::cloud::kubernetes::ReadLimits limits;
  limits.max_yaml_nodes = 100000;  // keeps alias bombs fast; the limit itself is what is tested
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = sgaudit::cloud::kubernetes::readManifests(text, "fuzz.yaml", limits);
  if (!parsed.ok() && parsed.error().source != "fuzz.yaml") __builtin_trap();
  return 0;
}
