// libFuzzer target: kubectl JSON. Besides not crashing, the streaming reader must agree with the in-memory
// conversion of the same document whenever it accepts it (the filter must keep everything the conversion
// reads).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cloud/model_dump.hpp"
#include "sgaudit/cloud/kubernetes/kubectl_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sgaudit::cloud::kubernetes;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto streamed = readKubectlJson(text, "fuzz.json");
  if (!streamed.ok()) return 0;
  // A repeated root "items" is streamed twice but kept once by a DOM; not worth agreeing on.
  if (text.find("\"items\"") != text.rfind("\"items\"")) return 0;
  const auto document = nlohmann::json::parse(text, nullptr, false);
  if (document.is_discarded()) __builtin_trap();  // the streaming reader accepted invalid JSON
  auto in_memory = readKubectlJsonDocument(document, "fuzz.json");
  if (!in_memory.ok()) __builtin_trap();
  if (sgaudit::test::dumpObjects(streamed.value()) != sgaudit::test::dumpObjects(in_memory.value()))
    __builtin_trap();
  return 0;
}
