// libFuzzer target: `ss` output and container logs, the two line-oriented node readers.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sgaudit/cloud/node/container_log.hpp"
#include "sgaudit/cloud/node/sockets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto sockets = sgaudit::cloud::node::readListeningSockets(text, "10.1.0.55.txt");
  if (sockets.ok()) {
    for (const auto& socket : sockets.value().sockets) {
      if (socket.port < 0 || socket.port > 65535 || socket.address.empty()) __builtin_trap();
    }
  }
  auto log = sgaudit::cloud::node::readContainerLog(text, "ns_pod_container.log");
  if (!log.ok()) __builtin_trap();
  return 0;
}
