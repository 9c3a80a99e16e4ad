// libFuzzer target: a kubeconfig (YAML) and an exec plugin's ExecCredential (JSON), the two documents
// `sgaudit collect kubernetes` reads from places it does not control. Any input must give an access, a
// credential or an error, promptly and without touching memory it does not own.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sgaudit/collect/exec_credential.hpp"
#include "sgaudit/collect/kubeconfig.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto access = sgaudit::collect::resolveKubeconfig({{"/fuzz/config", text}}, "");
  if (const auto* error = std::get_if<std::string>(&access); error != nullptr && error->empty())
    __builtin_trap();
  const auto credential = sgaudit::collect::parseExecCredential(text, "client.authentication.k8s.io/v1");
  if (const auto* error = std::get_if<std::string>(&credential); error != nullptr && error->empty())
    __builtin_trap();
  return 0;
}
