#pragma once

// Listening sockets of a node, from `ss` run on it as people run it (`ss -Htulnp`, `ss -tlnp`, `ss -ntlp`,
// ...: with or without the header, the Netid column and the Process column), or from `netstat -tulpn`.

#include <string>
#include <string_view>

#include "sgaudit/cloud/input_error.hpp"
#include "sgaudit/core/kubernetes.hpp"

namespace sgaudit::cloud::node {

// Whether a text is `ss` or `netstat` output, by its first line that is not blank: a header of either, or a
// socket line (a netid or a state followed by its columns).
bool looksLikeSocketListing(std::string_view text);

// The node a socket file describes: its file name without folder and `.txt` ("node-sockets/10.1.0.55.txt"
// -> "10.1.0.55"). Empty when nothing is left.
std::string nodeNameFromFileName(std::string_view file_name);

// Parses `ss` or `netstat` output for the node named after `file_name`; errors name the file: "10.1.0.55.txt:
// line 3: expected a local address:port, got \"0.0.0.0\"". Only LISTEN (tcp, sctp) and UNCONN (udp) sockets
// are kept; other states and netids (unix, raw, ...) are skipped.
Parsed<core::NodeSockets> readListeningSockets(std::string_view text, std::string_view file_name);

// The same for a node named explicitly; `source` names the input in errors (defaults to the node name).
Parsed<core::NodeSockets> readListeningSocketsOfNode(std::string_view text, std::string_view node,
                                                     std::string_view source = {});

}  // namespace sgaudit::cloud::node
