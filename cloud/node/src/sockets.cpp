#include "sgaudit/cloud/node/sockets.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

namespace sgaudit::cloud::node {
namespace {

constexpr std::string_view kSpace = " \t";

std::string quoted(std::string_view text) {
  if (text.size() > 60) return "\"" + std::string(text.substr(0, 60)) + "...\"";
  return "\"" + std::string(text) + "\"";
}

bool isOneOf(std::string_view text, std::initializer_list<std::string_view> words) {
  return std::find(words.begin(), words.end(), text) != words.end();
}

bool isState(std::string_view token) {
  return isOneOf(token, {"UNCONN", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT",
                         "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING", "UNKNOWN", "CLOSED"});
}

// Netids ss prints that are not IP ports: skipped, not errors.
bool isOtherNetid(std::string_view token) {
  return isOneOf(token, {"u_str", "u_dgr", "u_seq", "u_seqpacket", "raw", "nl", "p_raw", "p_dgr", "mptcp",
                         "tipc", "v_str", "v_dgr", "xdp", "icmp6", "???"});
}

// Splits off the next whitespace-separated token.
std::string_view nextToken(std::string_view& rest) {
  const auto start = rest.find_first_not_of(kSpace);
  if (start == std::string_view::npos) {
    rest = {};
    return {};
  }
  rest.remove_prefix(start);
  const auto end = std::min(rest.find_first_of(kSpace), rest.size());
  std::string_view token = rest.substr(0, end);
  rest.remove_prefix(end);
  return token;
}

template <typename Number>
std::optional<Number> parseNumber(std::string_view text) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

struct Endpoint {
  std::string address;
  int port = 0;
};

// "0.0.0.0:80", "*:10250", "[::]:80", "0.0.0.0%eth0:68", "[fe80::1]%eth0:546", ":::22" (old ss).
// The interface scope is dropped.
std::optional<std::string> parseEndpoint(std::string_view token, Endpoint& endpoint) {
  std::string_view address;
  std::string_view port;
  if (token.starts_with('[')) {
    const auto close = token.find(']');
    if (close == std::string_view::npos) return "expected a local address:port, got " + quoted(token);
    address = token.substr(1, close - 1);
    std::string_view rest = token.substr(close + 1);
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos || (colon != 0 && rest[0] != '%')) {
      return "expected a local address:port, got " + quoted(token);
    }
    port = rest.substr(colon + 1);
  } else {
    const auto colon = token.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
      return "expected a local address:port, got " + quoted(token);
    address = token.substr(0, colon);
    port = token.substr(colon + 1);
    address = address.substr(0, address.find('%'));
  }
  if (address.empty()) return "expected a local address:port, got " + quoted(token);
  const auto number = parseNumber<int>(port);
  if (!number || *number < 0 || *number > 65535) {
    return "expected a numeric port 0-65535 (run ss with -n), got " + quoted(port);
  }
  // An IPv6 socket bound to a v4-mapped address ([::ffff:127.0.0.1]:8080, as Java binds) takes that IPv4
  // address's connections only: it holds the port on the IPv4 address.
  constexpr std::string_view kMapped = "::ffff:";
  if (address.size() > kMapped.size() && address.substr(0, kMapped.size()) == kMapped &&
      address.find_first_not_of("0123456789.", kMapped.size()) == std::string_view::npos) {
    address.remove_prefix(kMapped.size());
  }
  endpoint.address = std::string(address);
  endpoint.port = *number;
  return std::nullopt;
}

// users:(("nginx",pid=30211,fd=6),("nginx",pid=30210,fd=6))
std::optional<std::string> parseUsers(std::string_view rest, std::vector<core::SocketProcess>& processes) {
  const auto users = rest.find("users:(");
  if (users == std::string_view::npos) return std::nullopt;  // ss without -p, or another user's socket
  const std::string_view whole = rest.substr(users);
  std::string_view text = whole.substr(7);
  const std::string expected = "expected users:((\"name\",pid=N,fd=N),...), got " + quoted(whole);
  while (true) {
    if (!text.starts_with("(\"")) return expected;
    text.remove_prefix(2);
    // The name is printed unescaped and may hold anything, so look for the end of the whole field.
    const auto name_end = text.find("\",pid=");
    if (name_end == std::string_view::npos) return expected;
    const std::string_view name = text.substr(0, name_end);
    text.remove_prefix(name_end + 6);
    const auto pid_end = text.find_first_not_of("0123456789");
    if (pid_end == std::string_view::npos || pid_end == 0) return expected;
    const auto pid = parseNumber<int>(text.substr(0, pid_end));
    if (!pid) return expected;
    const auto close = text.find(')');
    if (close == std::string_view::npos) return expected;
    text.remove_prefix(close + 1);
    const bool seen = std::any_of(
        processes.begin(), processes.end(),
        [&](const core::SocketProcess& process) { return process.pid == *pid && process.name == name; });
    if (!seen) processes.push_back({std::string(name), *pid});
    if (text.starts_with(",")) {
      text.remove_prefix(1);
      continue;
    }
    if (text.starts_with(")")) return std::nullopt;
    return expected;
  }
}

// netstat's TCP states (and what it prints for a UDP socket connect()ed to a peer).
bool isNetstatState(std::string_view token) {
  return isOneOf(token, {"LISTEN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
                         "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "CLOSING", "UNKNOWN"});
}

// The Proto column of `netstat -tulpn` that only netstat prints (ss says tcp or udp for both families).
bool isNetstatOnlyProto(std::string_view token) {
  return isOneOf(token, {"tcp6", "udp6", "udpl", "udpl6", "raw6"});
}

// netstat's "PID/Program name" column: "812/sshd", "812/sshd: /usr/sbin" (sshd rewrites its command line;
// the name is its first word), "-" when the socket is another user's.
std::optional<std::string> parseNetstatProgram(std::string_view text,
                                               std::vector<core::SocketProcess>& processes) {
  while (!text.empty() && kSpace.find(text.back()) != std::string_view::npos)
    text.remove_suffix(1);
  text.remove_prefix(std::min(text.find_first_not_of(kSpace), text.size()));
  if (text.empty() || text == "-") return std::nullopt;
  const auto slash = text.find('/');
  const auto pid = slash == std::string_view::npos ? std::nullopt : parseNumber<int>(text.substr(0, slash));
  std::string_view name = slash == std::string_view::npos ? std::string_view() : text.substr(slash + 1);
  name = name.substr(0, std::min(name.find_first_of(kSpace), name.size()));
  if (name.ends_with(':')) name.remove_suffix(1);
  if (!pid || name.empty()) return "expected PID/Program name (e.g. 812/sshd) or -, got " + quoted(text);
  processes.push_back({std::string(name), *pid});
  return std::nullopt;
}

// What netstat says on stderr when not run as root, which a pasted terminal holds above the output:
// "(Not all processes could be identified, non-owned process info" / " will not be shown, you would have to
// be root to see it all.)".
bool isNetstatNotice(std::string_view line) {
  line.remove_prefix(std::min(line.find_first_not_of(kSpace), line.size()));
  return line.starts_with("(Not all processes could be identified") || line.starts_with("will not be shown");
}

// The command line pasted above its output: "$ ss -tlnp", "root@node-1:~# sudo netstat -tulpn", "ss -ntl".
bool isCommandLine(std::string_view line) {
  for (std::string_view prompt : {"$ ", "# "}) {
    if (const auto at = line.rfind(prompt); at != std::string_view::npos)
      line.remove_prefix(at + prompt.size());
  }
  line.remove_prefix(std::min(line.find_first_not_of(kSpace), line.size()));
  if (line.starts_with("sudo ")) line.remove_prefix(5);
  return line.starts_with("ss -") || line.starts_with("netstat -") || line == "ss" || line == "netstat";
}

class SocketsReader {
 public:
  SocketsReader(std::string_view source, core::NodeSockets& out) : source_(source), out_(out) {}

  std::optional<InputError> line(std::string_view text, int number) {
    if (text.ends_with('\r')) text.remove_suffix(1);
    std::string_view rest = text;
    const std::string_view first = nextToken(rest);
    if (first.empty()) {
      if (number == first_line_) ++first_line_;
      return std::nullopt;
    }
    if (first == "`-") return extraAddress(rest, number);  // another local address of the SCTP socket above
    last_sctp_ = std::nullopt;
    if (first == "Netid" || first == "State") return std::nullopt;  // header (ss without -H)
    if (isNetstatNotice(text)) return std::nullopt;
    if (number == first_line_ && isCommandLine(text)) {
      ++first_line_;  // the header may follow
      return std::nullopt;
    }
    // netstat: "Active Internet connections (only servers)", then "Proto Recv-Q Send-Q ..."; the UNIX
    // domain sockets' section (netstat without -t/-u) has nothing to read.
    if (first == "Active") {
      unix_section_ = text.find("UNIX") != std::string_view::npos;
      return std::nullopt;
    }
    if (first == "Proto") return std::nullopt;
    if (unix_section_) return std::nullopt;
    if (isNetstatOnlyProto(first) || ((first == "tcp" || first == "udp" || first == "raw") && [&] {
          std::string_view peek = rest;
          return parseNumber<unsigned long long>(nextToken(peek)).has_value();
        }())) {
      return netstatLine(first, rest, number);
    }

    std::string_view netid = first;
    std::string_view state;
    if (isState(first)) {
      // ss with a single protocol option (-t, -u) prints no netid column.
      state = first;
      netid = first == "UNCONN" ? "udp" : "tcp";
    } else {
      state = nextToken(rest);
    }
    core::PortProtocol protocol;
    if (netid == "tcp") {
      protocol = core::PortProtocol::Tcp;
    } else if (netid == "udp") {
      protocol = core::PortProtocol::Udp;
    } else if (netid == "sctp") {
      protocol = core::PortProtocol::Sctp;
    } else if (isOtherNetid(netid)) {
      return std::nullopt;
    } else {
      return error(number, "expected a netid (tcp, udp, sctp) or a socket state, got " + quoted(netid));
    }
    if (!isState(state))
      return error(number, "expected a socket state (LISTEN, UNCONN, ...), got " + quoted(state));
    for (std::string_view column : {"Recv-Q", "Send-Q"}) {
      const std::string_view queue = nextToken(rest);
      if (!parseNumber<unsigned long long>(queue)) {
        return error(number, "expected a number (" + std::string(column) + "), got " + quoted(queue));
      }
    }
    const std::string_view local = nextToken(rest);
    if (local.empty()) return error(number, "expected a local address:port, got the end of the line");
    const std::string_view peer = nextToken(rest);
    if (peer.empty()) return error(number, "expected a peer address:port, got the end of the line");

    const bool listening = (protocol == core::PortProtocol::Udp && state == "UNCONN") ||
                           (protocol != core::PortProtocol::Udp && state == "LISTEN");
    Endpoint endpoint;
    if (auto message = parseEndpoint(local, endpoint)) return error(number, *message);
    core::ListeningSocket socket;
    socket.protocol = protocol;
    socket.address = std::move(endpoint.address);
    socket.port = endpoint.port;
    socket.line = number;
    if (auto message = parseUsers(rest, socket.processes)) return error(number, *message);
    if (!listening) return std::nullopt;
    out_.sockets.push_back(std::move(socket));
    if (protocol == core::PortProtocol::Sctp) last_sctp_ = out_.sockets.size() - 1;
    return std::nullopt;
  }

 private:
  // `netstat -tulpn`: Proto Recv-Q Send-Q Local-Address Foreign-Address [State] [PID/Program name]. UDP
  // sockets have no state; a listening one is one not connected to a peer.
  std::optional<InputError> netstatLine(std::string_view proto, std::string_view rest, int number) {
    core::PortProtocol protocol;
    if (proto.starts_with("tcp")) {
      protocol = core::PortProtocol::Tcp;
    } else if (proto.starts_with("udp")) {
      protocol = core::PortProtocol::Udp;
    } else {
      return std::nullopt;  // raw sockets have no ports
    }
    for (std::string_view column : {"Recv-Q", "Send-Q"}) {
      const std::string_view queue = nextToken(rest);
      if (!parseNumber<unsigned long long>(queue)) {
        return error(number, "expected a number (" + std::string(column) + "), got " + quoted(queue));
      }
    }
    const std::string_view local = nextToken(rest);
    if (local.empty()) return error(number, "expected a local address:port, got the end of the line");
    const std::string_view foreign = nextToken(rest);
    if (foreign.empty()) return error(number, "expected a foreign address:port, got the end of the line");
    std::string_view after_state = rest;
    std::string_view state = nextToken(after_state);
    if (isNetstatState(state)) {
      rest = after_state;
    } else {
      state = {};
    }
    if (protocol == core::PortProtocol::Tcp && state.empty()) {
      std::string_view peek = rest;
      const std::string_view got = nextToken(peek);
      return error(number, "expected a TCP state (LISTEN, ESTABLISHED, ...), got " +
                               (got.empty() ? std::string("the end of the line") : quoted(got)));
    }
    Endpoint endpoint;
    if (auto message = parseEndpoint(local, endpoint)) return error(number, *message);
    core::ListeningSocket socket;
    socket.protocol = protocol;
    socket.address = std::move(endpoint.address);
    socket.port = endpoint.port;
    socket.line = number;
    if (auto message = parseNetstatProgram(rest, socket.processes)) return error(number, *message);
    const bool listening = protocol == core::PortProtocol::Tcp ? state == "LISTEN" : state.empty();
    if (listening) out_.sockets.push_back(std::move(socket));
    return std::nullopt;
  }

  std::optional<InputError> extraAddress(std::string_view rest, int number) {
    const std::string_view local = nextToken(rest);
    Endpoint endpoint;
    if (auto message = parseEndpoint(local, endpoint)) return error(number, *message);
    if (!last_sctp_) return std::nullopt;
    core::ListeningSocket socket = out_.sockets[*last_sctp_];
    socket.address = std::move(endpoint.address);
    socket.port = endpoint.port;
    socket.line = number;
    out_.sockets.push_back(std::move(socket));
    return std::nullopt;
  }

  InputError error(int number, std::string message) const {
    return InputError{std::string(source_), "line " + std::to_string(number), std::move(message)};
  }

  std::string_view source_;
  core::NodeSockets& out_;
  std::optional<std::size_t> last_sctp_;
  bool unix_section_ = false;
  int first_line_ = 1;  // the line a pasted command line may be on (blank lines before it aside)
};

}  // namespace

bool looksLikeSocketListing(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  auto nextLine = [&text]() {  // the next line that is not blank
    while (!text.empty()) {
      const auto eol = text.find('\n');
      const std::string_view line = text.substr(0, eol);
      text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
      if (line.find_first_not_of(" \t\r") != std::string_view::npos) return line;
    }
    return std::string_view();
  };
  std::string_view line = nextLine();
  if (isCommandLine(line)) line = nextLine();  // the output below its pasted command
  if (isNetstatNotice(line)) return true;
  std::string_view rest = line;
  const std::string_view first = nextToken(rest);
  const std::string_view second = nextToken(rest);
  if (line.find("Recv-Q") != std::string_view::npos &&
      (first == "Netid" || first == "State" || first == "Proto")) {
    return true;  // the header of ss (with or without Netid) or of netstat
  }
  if (line.starts_with("Active Internet connections")) return true;  // netstat
  const bool number = parseNumber<unsigned long long>(second).has_value();
  if (first == "tcp" || first == "udp" || first == "sctp" || first == "raw" || isOtherNetid(first))
    return isState(second) || number;
  if (isNetstatOnlyProto(first)) return number;
  return isState(first) && number;  // ss -H with one protocol option: no Netid column
}

std::string nodeNameFromFileName(std::string_view file_name) {
  std::string name = std::filesystem::path(file_name).filename().string();
  if (name.ends_with(".txt")) name.resize(name.size() - 4);
  return name;
}

Parsed<core::NodeSockets> readListeningSockets(std::string_view text, std::string_view file_name) {
  const std::string node = nodeNameFromFileName(file_name);
  if (node.empty()) {
    return InputError{std::string(file_name), "",
                      "expected a file named after its node (<node>.txt, e.g. 10.1.0.55.txt)"};
  }
  return readListeningSocketsOfNode(text, node, file_name);
}

Parsed<core::NodeSockets> readListeningSocketsOfNode(std::string_view text, std::string_view node,
                                                     std::string_view source) {
  if (source.empty()) source = node;
  if (text.starts_with("\xEF\xBB\xBF"))
    text.remove_prefix(3);  // a UTF-8 byte order mark (a Windows editor's)
  core::NodeSockets out;
  out.node = std::string(node);
  out.source = {std::string(source), 0};
  SocketsReader reader(source, out);
  int number = 0;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (auto error = reader.line(line, ++number)) return std::move(*error);
  }
  return out;
}

}  // namespace sgaudit::cloud::node
