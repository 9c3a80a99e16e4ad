// libFuzzer target: InputLoader::addBytes, the entry point every file and upload goes through (detection by
// shape, then any reader). The first byte picks the file name, which steers detection (.log, .yaml, a node's
// `ss` file, no extension); the rest is the document. Any input gives a kind or an InputError naming the
// file.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sgaudit/cloud/inputs/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string kNames[] = {"x.json",       "10.1.0.55.txt", "default_web-1_nginx.log",
                                       "deploy.yaml",  "node-a",        "uploads/rules",
                                       "bad_name.log", "m.yml"};
  if (size == 0) return 0;
  const std::string& name = kNames[data[0] % (sizeof kNames / sizeof kNames[0])];
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  sgaudit::cloud::inputs::InputLoader loader;
  const auto error = loader.addBytes(bytes, name);
  if (error) {
    if (error->source != name || error->message.empty()) __builtin_trap();
    (void)error->toString();
    if (!loader.inventory().inputs.empty()) __builtin_trap();  // nothing of a failed document is kept
  } else if (loader.inventory().inputs.size() != 1) {
    __builtin_trap();
  }
  return 0;
}
