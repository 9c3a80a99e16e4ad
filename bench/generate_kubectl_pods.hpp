#pragma once

// A deterministic `kubectl get pods -A -o json` body of realistic pods (2-4 KB each: managedFields, env,
// volumes, probes, status), for the kubectl parsing benchmark.

#include <cstddef>
#include <filesystem>
#include <ostream>

namespace sgaudit::bench {

// Writes a List of `count` pods to `out`; the same count always gives the same bytes. Compact JSON, one
// item per line (an API server response), or `pretty` as `kubectl get -o json` indents it.
void writeKubectlPods(std::ostream& out, std::size_t count, bool pretty = false);

// Writes the list to `file` and returns its size in bytes.
std::size_t writeKubectlPodsFile(const std::filesystem::path& file, std::size_t count, bool pretty = false);

}  // namespace sgaudit::bench
