#pragma once

// A node's listening sockets read from the kernel instead of `ss`: the tables /proc/net/tcp, tcp6, udp and
// udp6 of the network namespace the reader runs in (the host's, for a hostNetwork pod), and the process
// owning each socket where /proc/<pid>/fd may be read. `sgaudit agent` writes them as `ss -Htulnp` prints
// them, so that the audit reads an agent's file exactly as a person's `ss` output.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "sgaudit/cloud/input_error.hpp"
#include "sgaudit/core/kubernetes.hpp"

namespace sgaudit::cloud::node {

// One row of a /proc/net table that is a listening socket.
struct KernelSocket {
  core::PortProtocol protocol = core::PortProtocol::Tcp;
  std::string address;  // "0.0.0.0", "::", "127.0.0.1"
  int port = 0;
  unsigned long inode = 0;
};

// The listening sockets of one table's text: TCP rows in state 0A (LISTEN), UDP rows in state 07 (bound,
// unconnected). Addresses are printed by the kernel as native-endian 32-bit words (little-endian on x86 and
// arm64, the only hosts sgaudit runs on). Errors name the table and line.
Parsed<std::vector<KernelSocket>> parseProcNetTable(std::string_view text, std::string_view table,
                                                    core::PortProtocol protocol, bool ipv6);

// The listening sockets under `proc` ("/proc"), each with the processes that hold it (by the fd links
// "socket:[inode]" and /proc/<pid>/comm; processes that may not be read are left out). A missing tcp6 or udp6
// (IPv6 disabled) is no error; a missing tcp is.
Parsed<core::NodeSockets> readKernelSockets(const std::filesystem::path& proc, const std::string& node);

// The sockets as `ss -Htulnp` prints them: one line per socket, users:(("name",pid=N),...) where known (the
// descriptor numbers, which the audit does not use, are left out).
std::string renderSsListing(const core::NodeSockets& sockets);

}  // namespace sgaudit::cloud::node
