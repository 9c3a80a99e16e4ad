#include "sgaudit/cloud/node/proc_net.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>

#include "sgaudit/core/address.hpp"

namespace sgaudit::cloud::node {
namespace {

// A table is a few thousand lines on a busy node; a bound keeps a strange /proc from growing without end.
constexpr std::size_t kMaxTableBytes = 64u << 20;

std::optional<std::uint64_t> hex(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// One 32-bit word of an address as the kernel prints it (native-endian) into its four bytes in network order.
void wordBytes(std::uint32_t word, std::uint8_t* out) {
  out[0] = static_cast<std::uint8_t>(word & 0xff);
  out[1] = static_cast<std::uint8_t>((word >> 8) & 0xff);
  out[2] = static_cast<std::uint8_t>((word >> 16) & 0xff);
  out[3] = static_cast<std::uint8_t>(word >> 24);
}

std::optional<std::string> address(std::string_view text, bool ipv6) {
  if (text.size() != (ipv6 ? 32u : 8u)) return std::nullopt;
  std::uint8_t bytes[16] = {};
  for (std::size_t word = 0; word < text.size() / 8; ++word) {
    const auto value = hex(text.substr(word * 8, 8));
    if (!value) return std::nullopt;
    wordBytes(static_cast<std::uint32_t>(*value), bytes + word * 4);
  }
  if (!ipv6) {
    return std::to_string(bytes[0]) + "." + std::to_string(bytes[1]) + "." + std::to_string(bytes[2]) + "." +
           std::to_string(bytes[3]);
  }
  core::Uint128 value = 0;
  for (std::uint8_t byte : bytes)
    value = (value << 8) | byte;
  return core::IpAddress::v6(value).toString();
}

std::string readText(const std::filesystem::path& file, bool& found) {
  std::ifstream in(file, std::ios::binary);
  found = static_cast<bool>(in);
  std::string text;
  if (!found) return text;
  // /proc files report no size: read in chunks, up to the bound (a 64 MB buffer per file cost the agent 2 s
  // of page zeroing on a node with 70 processes).
  char chunk[16384];
  while (text.size() < kMaxTableBytes && in.read(chunk, sizeof chunk).gcount() > 0) {
    text.append(chunk,
                std::min<std::size_t>(static_cast<std::size_t>(in.gcount()), kMaxTableBytes - text.size()));
    if (!in) break;
  }
  return text;
}

const char* protocolName(core::PortProtocol protocol) {
  switch (protocol) {
    case core::PortProtocol::Udp:
      return "udp";
    case core::PortProtocol::Sctp:
      return "sctp";
    default:
      return "tcp";
  }
}

}  // namespace

Parsed<std::vector<KernelSocket>> parseProcNetTable(std::string_view text, std::string_view table,
                                                    core::PortProtocol protocol, bool ipv6) {
  std::vector<KernelSocket> out;
  const std::string_view listening = protocol == core::PortProtocol::Udp ? "07" : "0A";
  std::size_t line_number = 0;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t eol = std::min(text.find('\n', at), text.size());
    const std::string_view line = text.substr(at, eol - at);
    at = eol + 1;
    ++line_number;
    if (line_number == 1) continue;  // the header
    std::vector<std::string_view> fields;
    for (std::size_t i = 0; i < line.size();) {
      while (i < line.size() && line[i] == ' ')
        ++i;
      const std::size_t start = i;
      while (i < line.size() && line[i] != ' ')
        ++i;
      if (i > start) fields.push_back(line.substr(start, i - start));
    }
    if (fields.empty()) continue;
    auto fail = [&](const std::string& message) {
      return InputError{std::string(table), "line " + std::to_string(line_number), message};
    };
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
    if (fields.size() < 10) return fail("expected at least 10 columns, got " + std::to_string(fields.size()));
    const auto colon = fields[1].find(':');
    if (colon == std::string_view::npos) return fail("expected a local address:port in hex");
    const auto local = address(fields[1].substr(0, colon), ipv6);
    const auto port = hex(fields[1].substr(colon + 1));
    if (!local || !port || *port > 65535) return fail("expected a local address:port in hex");
    if (fields[3] != listening) continue;
    const auto inode =
        std::from_chars(fields[9].data(), fields[9].data() + fields[9].size(), out.emplace_back().inode);
    if (inode.ec != std::errc()) return fail("expected an inode number");
    out.back().protocol = protocol;
    out.back().address = *local;
    out.back().port = static_cast<int>(*port);
  }
  return out;
}

Parsed<core::NodeSockets> readKernelSockets(const std::filesystem::path& proc, const std::string& node) {
  core::NodeSockets result;
  result.node = node;
  result.source.file = (proc / "net").string();
  std::vector<KernelSocket> sockets;
  const struct {
    const char* name;
    core::PortProtocol protocol;
    bool ipv6;
  } tables[] = {{"tcp", core::PortProtocol::Tcp, false},
                {"tcp6", core::PortProtocol::Tcp, true},
                {"udp", core::PortProtocol::Udp, false},
                {"udp6", core::PortProtocol::Udp, true}};
  for (const auto& table : tables) {
    bool found = false;
    const std::filesystem::path file = proc / "net" / table.name;
    const std::string text = readText(file, found);
    if (!found) {
      if (!table.ipv6) return InputError{file.string(), "", "cannot be read (is /proc mounted?)"};
      continue;  // IPv6 disabled
    }
    auto parsed = parseProcNetTable(text, file.string(), table.protocol, table.ipv6);
    if (!parsed) return parsed.error();
    for (auto& socket : parsed.value())
      sockets.push_back(std::move(socket));
  }
  // Who holds each socket: every fd link "socket:[inode]" of every process this reader may look into.
  std::map<unsigned long, std::vector<core::SocketProcess>> holders;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(proc, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string pid_text = it->path().filename().string();
    if (pid_text.empty() ||
        !std::all_of(pid_text.begin(), pid_text.end(), [](unsigned char c) { return std::isdigit(c); }))
      continue;
    bool found = false;
    std::string name = readText(it->path() / "comm", found);
    if (!found) continue;
    while (!name.empty() && (name.back() == '\n' || name.back() == '\r'))
      name.pop_back();
    std::error_code fd_ec;
    for (auto fd = std::filesystem::directory_iterator(it->path() / "fd", fd_ec);
         !fd_ec && fd != std::filesystem::directory_iterator(); fd.increment(fd_ec)) {
      std::error_code link_ec;
      const std::string target = std::filesystem::read_symlink(fd->path(), link_ec).string();
      if (link_ec || !target.starts_with("socket:[")) continue;
      unsigned long inode = 0;
      const auto parsed = std::from_chars(target.data() + 8, target.data() + target.size() - 1, inode);
      if (parsed.ec != std::errc()) continue;
      core::SocketProcess process{name, std::stoi(pid_text)};
      auto& list = holders[inode];
      if (std::none_of(list.begin(), list.end(),
                       [&](const core::SocketProcess& p) { return p.pid == process.pid; }))
        list.push_back(std::move(process));
    }
  }
  for (const auto& socket : sockets) {
    core::ListeningSocket listening;
    listening.protocol = socket.protocol;
    listening.address = socket.address;
    listening.port = socket.port;
    if (const auto found = holders.find(socket.inode); found != holders.end())
      listening.processes = found->second;
    result.sockets.push_back(std::move(listening));
  }
  return result;
}

std::string renderSsListing(const core::NodeSockets& sockets) {
  std::ostringstream out;
  for (const auto& socket : sockets.sockets) {
    const bool v6 = socket.address.find(':') != std::string::npos;
    const std::string local =
        (v6 ? "[" + socket.address + "]" : socket.address) + ":" + std::to_string(socket.port);
    const std::string peer = v6 ? "[::]:*" : "0.0.0.0:*";
    out << protocolName(socket.protocol) << " "
        << (socket.protocol == core::PortProtocol::Udp ? "UNCONN" : "LISTEN") << " 0 0 " << local << " "
        << peer;
    if (!socket.processes.empty()) {
      out << " users:(";
      for (std::size_t i = 0; i < socket.processes.size(); ++i) {
        std::string name = socket.processes[i].name;
        std::replace(name.begin(), name.end(), '"', '\'');
        out << (i == 0 ? "" : ",") << "(\"" << name << "\",pid=" << socket.processes[i].pid << ")";
      }
      out << ")";
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace sgaudit::cloud::node
