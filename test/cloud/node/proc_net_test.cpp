// The kernel's socket tables read without `ss`: their text as /proc/net prints it, and this machine's own
// /proc with a socket the test opens.
#include "sgaudit/cloud/node/proc_net.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include <gtest/gtest.h>

#include "sgaudit/cloud/node/sockets.hpp"

namespace sgaudit::cloud::node {
namespace {

// As /proc/net/tcp prints it (x86): a LISTEN socket on 0.0.0.0:80, one on 127.0.0.1:60421, an established
// connection (01) that is no listener.
constexpr const char* kTcp =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41234 1 "
    "0000000000000000 100 0 0 10 0\n"
    "   1: 0100007F:EC05 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 763591 1 "
    "00000000d6b3e39d 100 0 0 10 0\n"
    "   2: 0100007F:EC05 0100007F:9526 01 00000000:00000000 00:00000000 00000000     0        0 763748 1 "
    "000000002a433732 20 4 1 11 -1\n";

// /proc/net/tcp6: [::]:22 listening, and ::1:8080.
constexpr const char* kTcp6 =
    "  sl  local_address                         remote_address                        st tx_queue rx_queue "
    "tr "
    "tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 "
    "00:00000000 00000000     0        0 2201 1 0000000000000000 100 0 0 10 0\n"
    "   1: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 "
    "00:00000000 00000000     0        0 2202 1 0000000000000000 100 0 0 10 0\n";

// /proc/net/udp: 0.0.0.0:8472 (VXLAN) bound, and a connected socket (01) that is left out.
constexpr const char* kUdp =
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref "
    "pointer drops\n"
    "  101: 00000000:2118 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3301 2 "
    "0000000000000000 0\n"
    "  102: 0A01000A:8A3C 08080808:0035 01 00000000:00000000 00:00000000 00000000     0        0 3302 2 "
    "0000000000000000 0\n";

// Test that each table gives its listening sockets with their addresses decoded from the kernel's
// native-endian words, and nothing else.
TEST(ProcNet, TablesGiveTheirListeners) {
  auto tcp = parseProcNetTable(kTcp, "/proc/net/tcp", core::PortProtocol::Tcp, false);
  ASSERT_TRUE(tcp.ok()) << tcp.error().toString();
  ASSERT_EQ(tcp.value().size(), 2u);
  EXPECT_EQ(tcp.value()[0].address, "0.0.0.0");
  EXPECT_EQ(tcp.value()[0].port, 80);
  EXPECT_EQ(tcp.value()[0].inode, 41234u);
  EXPECT_EQ(tcp.value()[1].address, "127.0.0.1");
  EXPECT_EQ(tcp.value()[1].port, 60421);
  auto tcp6 = parseProcNetTable(kTcp6, "/proc/net/tcp6", core::PortProtocol::Tcp, true);
  ASSERT_TRUE(tcp6.ok()) << tcp6.error().toString();
  ASSERT_EQ(tcp6.value().size(), 2u);
  EXPECT_EQ(tcp6.value()[0].address, "::");
  EXPECT_EQ(tcp6.value()[0].port, 22);
  EXPECT_EQ(tcp6.value()[1].address, "::1");
  EXPECT_EQ(tcp6.value()[1].port, 8080);
  auto udp = parseProcNetTable(kUdp, "/proc/net/udp", core::PortProtocol::Udp, false);
  ASSERT_TRUE(udp.ok()) << udp.error().toString();
  ASSERT_EQ(udp.value().size(), 1u);
  EXPECT_EQ(udp.value()[0].port, 8472);
  EXPECT_EQ(udp.value()[0].protocol, core::PortProtocol::Udp);
}

// Test that a malformed row is named by its table and line.
TEST(ProcNet, MalformedRowNamed) {
  const std::string text = std::string(kTcp) + "   3: 0100007G:0050 00000000:0000 0A 0 0 0 0 0 99\n";
  const auto parsed = parseProcNetTable(text, "/proc/net/tcp", core::PortProtocol::Tcp, false);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().toString(), "/proc/net/tcp: line 5: expected a local address:port in hex");
  EXPECT_FALSE(parseProcNetTable("h\n 0: 00000000:0050\n", "t", core::PortProtocol::Tcp, false).ok());
}

// Test on this machine's own /proc: a socket the test listens on (127.0.0.1, port chosen by the kernel) is
// found with this process as its holder, and the `ss` text written for it reads back, through the reader of
// people's `ss` output, as the same sockets.
TEST(ProcNet, ThisMachinesSocketsRoundTripThroughSsText) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in bound{};
  bound.sin_family = AF_INET;
  bound.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&bound), sizeof bound), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t length = sizeof bound;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length), 0);
  const int port = ntohs(bound.sin_port);

  const auto read = readKernelSockets("/proc", "node-a");
  ::close(fd);
  ASSERT_TRUE(read.ok()) << read.error().toString();
  const auto& sockets = read.value().sockets;
  const auto mine = std::find_if(sockets.begin(), sockets.end(), [&](const core::ListeningSocket& s) {
    return s.protocol == core::PortProtocol::Tcp && s.address == "127.0.0.1" && s.port == port;
  });
  ASSERT_NE(mine, sockets.end()) << "port " << port;
  ASSERT_EQ(mine->processes.size(), 1u);
  EXPECT_EQ(mine->processes[0].pid, ::getpid());
  std::ifstream comm("/proc/self/comm");
  std::string name;
  std::getline(comm, name);
  EXPECT_EQ(mine->processes[0].name, name);

  const std::string text = renderSsListing(read.value());
  EXPECT_TRUE(looksLikeSocketListing(text)) << text;
  const auto again = readListeningSocketsOfNode(text, "node-a");
  ASSERT_TRUE(again.ok()) << again.error().toString() << "\n" << text;
  ASSERT_EQ(again.value().sockets.size(), sockets.size());
  for (std::size_t i = 0; i < sockets.size(); ++i) {
    EXPECT_EQ(again.value().sockets[i].protocol, sockets[i].protocol) << i;
    EXPECT_EQ(again.value().sockets[i].address, sockets[i].address) << i;
    EXPECT_EQ(again.value().sockets[i].port, sockets[i].port) << i;
    EXPECT_EQ(again.value().sockets[i].processes.size(), sockets[i].processes.size()) << i;
  }
}

// Test that a /proc without the tables is one clear error.
TEST(ProcNet, MissingTablesAreAnError) {
  const auto read = readKernelSockets("/nonexistent-proc", "node-a");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().toString(), "/nonexistent-proc/net/tcp: cannot be read (is /proc mounted?)");
}

}  // namespace
}  // namespace sgaudit::cloud::node
