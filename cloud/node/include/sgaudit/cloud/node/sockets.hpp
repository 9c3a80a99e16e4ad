#pragma once

// Listening sockets of a node, from `ss -Htulnp` run on it (with or without -H and -p).

#include <string>
#include <string_view>

#include "sgaudit/cloud/input_error.hpp"
#include "sgaudit/core/kubernetes.hpp"

namespace sgaudit::cloud::node {

// The node a socket file describes: its file name without folder and `.txt` ("node-sockets/10.1.0.55.txt"
// -> "10.1.0.55"). Empty when nothing is left.
std::string nodeNameFromFileName(std::string_view file_name);

// Parses `ss` output for the node named after `file_name`; errors name the file: "10.1.0.55.txt: line 3:
// expected a local address:port, got \"0.0.0.0\"". Only LISTEN (tcp, sctp) and UNCONN (udp) sockets are
// kept; other states and netids (unix, raw, ...) are skipped.
Parsed<core::NodeSockets> readListeningSockets(std::string_view text, std::string_view file_name);

// The same for a node named explicitly; `source` names the input in errors (defaults to the node name).
Parsed<core::NodeSockets> readListeningSocketsOfNode(std::string_view text, std::string_view node,
                                                     std::string_view source = {});

}  // namespace sgaudit::cloud::node
