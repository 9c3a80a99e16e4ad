#include "sgaudit/cloud/node/sockets.hpp"

#include <gtest/gtest.h>

#include <string>

#include "cloud/fixtures.hpp"

namespace sgaudit::cloud::node {
namespace {

using core::PortProtocol;

std::string readError(std::string_view text, std::string_view file = "10.1.0.55.txt") {
  auto parsed = readListeningSockets(text, file);
  EXPECT_FALSE(parsed.ok());
  return parsed.ok() ? "" : parsed.error().toString();
}

// Test that the cce-seed node's `ss -Htulnp` gives its listening sockets with their processes.
TEST(SocketsTest, CceSeedNode) {
  const auto file = test::testDataDir() / "scenarios/cce-seed/node-sockets/10.1.0.55.txt";
  auto parsed = readListeningSockets(test::readTestData("scenarios/cce-seed/node-sockets/10.1.0.55.txt"),
                                     file.string());
  ASSERT_TRUE(parsed.ok()) << parsed.error().toString();
  const core::NodeSockets& node = parsed.value();
  EXPECT_EQ(node.node, "10.1.0.55");
  EXPECT_EQ(node.source.file, file.string());
  ASSERT_EQ(node.sockets.size(), 11u);
  EXPECT_EQ(node.sockets[0].protocol, PortProtocol::Udp);
  EXPECT_EQ(node.sockets[0].address, "127.0.0.1");
  EXPECT_EQ(node.sockets[0].port, 323);
  EXPECT_EQ(node.sockets[1].address, "::1");
  const core::ListeningSocket& nginx = node.sockets[2];
  EXPECT_EQ(nginx.protocol, PortProtocol::Tcp);
  EXPECT_EQ(nginx.address, "0.0.0.0");
  EXPECT_EQ(nginx.port, 80);
  EXPECT_EQ(nginx.line, 3);
  ASSERT_EQ(nginx.processes.size(), 3u);
  EXPECT_EQ(nginx.processes[0].name, "nginx");
  EXPECT_EQ(nginx.processes[0].pid, 30211);
  EXPECT_EQ(nginx.processes[2].pid, 30174);
  EXPECT_EQ(node.sockets[7].address, "*");
  EXPECT_EQ(node.sockets[7].port, 10250);
  EXPECT_EQ(node.sockets[7].processes[0].name, "kubelet");
  EXPECT_EQ(node.sockets[9].address, "::");
  EXPECT_EQ(node.sockets[9].port, 80);
}

// Test the variants: a header, interface scopes, no process column, other states and netids, SCTP extra
// addresses, blank lines, and duplicate process entries.
TEST(SocketsTest, Variants) {
  auto parsed = readListeningSockets(test::readTestData("node/edge-1.txt"), "/tmp/dump/edge-1.txt");
  ASSERT_TRUE(parsed.ok()) << parsed.error().toString();
  const auto& sockets = parsed.value().sockets;
  EXPECT_EQ(parsed.value().node, "edge-1");
  ASSERT_EQ(sockets.size(), 8u);
  EXPECT_EQ(sockets[0].address, "127.0.0.53");  // %lo dropped
  EXPECT_EQ(sockets[0].port, 53);
  EXPECT_EQ(sockets[0].processes[0].name, "systemd-resolve");
  EXPECT_EQ(sockets[1].address, "0.0.0.0");
  EXPECT_EQ(sockets[1].port, 68);
  EXPECT_EQ(sockets[2].address, "fe80::1");
  EXPECT_EQ(sockets[2].port, 546);
  EXPECT_EQ(sockets[3].port, 10250);  // the ESTAB udp line and the blank line are skipped
  EXPECT_EQ(sockets[3].line, 7);
  ASSERT_EQ(sockets[4].processes.size(), 2u);  // the repeated worker entry counted once
  EXPECT_EQ(sockets[4].processes[0].name, "nginx: master p");
  EXPECT_EQ(sockets[4].processes[1].pid, 4101);
  EXPECT_EQ(sockets[5].address, "::");
  EXPECT_TRUE(sockets[5].processes.empty());  // no users:(...)
  EXPECT_EQ(sockets[6].protocol, PortProtocol::Sctp);
  EXPECT_EQ(sockets[6].address, "10.0.1.17");
  EXPECT_EQ(sockets[7].protocol, PortProtocol::Sctp);
  EXPECT_EQ(sockets[7].address, "10.0.2.17");
  EXPECT_EQ(sockets[7].port, 3868);
  EXPECT_EQ(sockets[7].processes[0].name, "diameter");
  EXPECT_EQ(sockets[7].line, 12);
}

// Test that ss without a netid column (one protocol option) and old-style IPv6 are read.
TEST(SocketsTest, NoNetidColumnAndOldIpv6) {
  auto parsed = readListeningSocketsOfNode(
      "LISTEN 0 128 :::22 :::* users:((\"sshd\",pid=1,fd=3))\nUNCONN 0 0 0.0.0.0:123 0.0.0.0:*\n", "node-a");
  ASSERT_TRUE(parsed.ok()) << parsed.error().toString();
  ASSERT_EQ(parsed.value().sockets.size(), 2u);
  EXPECT_EQ(parsed.value().node, "node-a");
  EXPECT_EQ(parsed.value().source.file, "node-a");
  EXPECT_EQ(parsed.value().sockets[0].protocol, PortProtocol::Tcp);
  EXPECT_EQ(parsed.value().sockets[0].address, "::");
  EXPECT_EQ(parsed.value().sockets[0].port, 22);
  EXPECT_EQ(parsed.value().sockets[1].protocol, PortProtocol::Udp);
}

// Test that `ss -tlnp` as people paste it is read: a header without Netid (its last two columns glued as
// "Peer Address:PortProcess"), the protocol told by the state, scoped, wildcard, IPv6 and v4-mapped
// addresses.
TEST(SocketsTest, SsTlnpWithHeaderAndNoNetid) {
  auto parsed = readListeningSockets(test::readTestData("node/ss/worker-1.txt"), "dump/worker-1.txt");
  ASSERT_TRUE(parsed.ok()) << parsed.error().toString();
  const auto& sockets = parsed.value().sockets;
  EXPECT_EQ(parsed.value().node, "worker-1");
  ASSERT_EQ(sockets.size(), 9u);
  EXPECT_EQ(sockets[0].protocol, PortProtocol::Tcp);
  EXPECT_EQ(sockets[0].address, "127.0.0.53");
  EXPECT_EQ(sockets[0].line, 2);
  EXPECT_EQ(sockets[4].address, "*");
  EXPECT_EQ(sockets[4].port, 9100);
  ASSERT_EQ(sockets[4].processes.size(), 1u);
  EXPECT_EQ(sockets[4].processes[0].name, "node_exporter");
  EXPECT_EQ(sockets[4].processes[0].pid, 2231);
  EXPECT_EQ(sockets[7].address, "::");
  EXPECT_EQ(sockets[8].address, "127.0.0.1");  // v4-mapped: the socket holds the port on 127.0.0.1
  EXPECT_EQ(sockets[8].port, 8080);
}

// Test that `ss -tulpn` (Netid column) keeps listening TCP and unconnected UDP sockets, with every process
// of a socket shared by several, and skips established ones.
TEST(SocketsTest, SsTulpnWithSeveralProcesses) {
  auto parsed = readListeningSockets(test::readTestData("node/ss/worker-2.txt"), "worker-2.txt");
  ASSERT_TRUE(parsed.ok()) << parsed.error().toString();
  const auto& sockets = parsed.value().sockets;
  ASSERT_EQ(sockets.size(), 7u);
  EXPECT_EQ(sockets[1].address, "10.1.0.56");
  EXPECT_EQ(sockets[2].port, 8472);
  EXPECT_TRUE(sockets[2].processes.empty());
  ASSERT_EQ(sockets[3].processes.size(), 3u);
  EXPECT_EQ(sockets[3].processes[2].pid, 30174);
  EXPECT_EQ(sockets[6].port, 22);
  EXPECT_EQ(sockets[6].line, 9);
}

// Test that `ss -ntl` run without root (no process column, trailing blanks) is read.
TEST(SocketsTest, SsWithoutProcessColumn) {
  auto parsed = readListeningSockets(test::readTestData("node/ss/worker-3.txt"), "worker-3.txt");
  ASSERT_TRUE(parsed.ok()) << parsed.error().toString();
  const auto& sockets = parsed.value().sockets;
  ASSERT_EQ(sockets.size(), 4u);
  EXPECT_EQ(sockets[2].port, 9100);
  EXPECT_TRUE(sockets[2].processes.empty());
}

// Test that `netstat -tulpn` is read: its two header lines, tcp6/udp6, UDP without a state, "PID/Program
// name" with a rewritten command line ("812/sshd: /usr/sbin") and "-" for another user's socket.
TEST(SocketsTest, NetstatTulpn) {
  auto parsed = readListeningSockets(test::readTestData("node/ss/worker-4.txt"), "worker-4.txt");
  ASSERT_TRUE(parsed.ok()) << parsed.error().toString();
  const auto& sockets = parsed.value().sockets;
  ASSERT_EQ(sockets.size(), 9u);
  EXPECT_EQ(sockets[0].protocol, PortProtocol::Tcp);
  EXPECT_EQ(sockets[0].address, "127.0.0.53");
  EXPECT_EQ(sockets[0].line, 3);
  EXPECT_EQ(sockets[0].processes[0].name, "systemd-resolve");
  EXPECT_EQ(sockets[0].processes[0].pid, 612);
  EXPECT_EQ(sockets[1].processes[0].name, "sshd");
  EXPECT_EQ(sockets[3].address, "::");
  EXPECT_EQ(sockets[3].port, 9100);
  EXPECT_EQ(sockets[3].processes[0].name, "node_exporter");
  EXPECT_TRUE(sockets[5].processes.empty());
  EXPECT_EQ(sockets[6].protocol, PortProtocol::Udp);
  EXPECT_EQ(sockets[6].port, 53);
  EXPECT_EQ(sockets[8].address, "fe80::f816:3eff:fe1");  // netstat cuts long addresses; the port stays
  EXPECT_EQ(sockets[8].port, 546);

  // Without -t/-u netstat adds the UNIX domain sockets, which have no ports; connected UDP is not listening.
  auto mixed = readListeningSocketsOfNode(
      "Active Internet connections (only servers)\n"
      "Proto Recv-Q Send-Q Local Address Foreign Address State PID/Program name\n"
      "udp 0 0 10.0.0.5:40000 10.0.0.2:53 ESTABLISHED 700/coredns\n"
      "tcp 0 0 0.0.0.0:80 0.0.0.0:* LISTEN 30211/nginx: master\n"
      "Active UNIX domain sockets (only servers)\n"
      "Proto RefCnt Flags       Type       State         I-Node   PID/Program name     Path\n"
      "unix  2      [ ACC ]     STREAM     LISTENING     28881    800/containerd       "
      "/run/containerd.sock\n",
      "node-a");
  ASSERT_TRUE(mixed.ok()) << mixed.error().toString();
  ASSERT_EQ(mixed.value().sockets.size(), 1u);
  EXPECT_EQ(mixed.value().sockets[0].processes[0].name, "nginx");

  EXPECT_EQ(readError("tcp 0 0 0.0.0.0:80 0.0.0.0:* 30211/nginx\n"),
            "10.1.0.55.txt: line 1: expected a TCP state (LISTEN, ESTABLISHED, ...), got \"30211/nginx\"");
  EXPECT_EQ(readError("tcp6 0 0 :::80 :::* LISTEN nginx\n"),
            "10.1.0.55.txt: line 1: expected PID/Program name (e.g. 812/sshd) or -, got \"nginx\"");
  EXPECT_EQ(readError("tcp6 0 0 :::http :::* LISTEN -\n"),
            "10.1.0.55.txt: line 1: expected a numeric port 0-65535 (run ss with -n), got \"http\"");
}

// Test that output pasted with its command line above it ("$ ss -tlnp", "root@node:~# sudo netstat -tulpn")
// is read, and that a command line anywhere else is an error.
TEST(SocketsTest, PastedCommandLine) {
  for (const char* pasted :
       {"$ ss -tlnp\nState Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n"
        "LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:((\"sshd\",pid=812,fd=3))\n",
        "\nroot@worker-1:~# sudo netstat -tulpn\nActive Internet connections (only servers)\n"
        "tcp 0 0 0.0.0.0:22 0.0.0.0:* LISTEN 812/sshd: /usr/sbin\n",
        "\xEF\xBB\xBFss -ntl\nLISTEN 0 128 0.0.0.0:22 0.0.0.0:*\n",
        "$ netstat -tulpn\n(Not all processes could be identified, non-owned process info\n"
        " will not be shown, you would have to be root to see it all.)\n"
        "Active Internet connections (only servers)\n"
        "Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name\n"
        "tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN      -\n"}) {
    EXPECT_TRUE(looksLikeSocketListing(pasted)) << pasted;
    auto parsed = readListeningSocketsOfNode(pasted, "worker-1");
    ASSERT_TRUE(parsed.ok()) << parsed.error().toString();
    ASSERT_EQ(parsed.value().sockets.size(), 1u) << pasted;
    EXPECT_EQ(parsed.value().sockets[0].port, 22);
  }
  EXPECT_FALSE(looksLikeSocketListing("$ ss -tlnp\n$ ss -tlnp\nLISTEN 0 128 0.0.0.0:22 0.0.0.0:*\n"));
  EXPECT_EQ(readError("LISTEN 0 128 0.0.0.0:22 0.0.0.0:*\n$ ss -tlnp\n"),
            "10.1.0.55.txt: line 2: expected a netid (tcp, udp, sctp) or a socket state, got \"$\"");
}

// Test that ss and netstat output are told by content, and that other text is not taken for them.
TEST(SocketsTest, LooksLikeSocketListing) {
  for (const char* file : {"node/ss/worker-1.txt", "node/ss/worker-2.txt", "node/ss/worker-3.txt",
                           "node/ss/worker-4.txt", "node/edge-1.txt"}) {
    EXPECT_TRUE(looksLikeSocketListing(test::readTestData(file))) << file;
  }
  EXPECT_TRUE(looksLikeSocketListing("\n\ntcp   LISTEN 0 511 0.0.0.0:80 0.0.0.0:*\n"));
  EXPECT_TRUE(looksLikeSocketListing("LISTEN 0 128 :::22 :::*\n"));
  EXPECT_TRUE(looksLikeSocketListing("Proto Recv-Q Send-Q Local Address Foreign Address State\n"));
  EXPECT_FALSE(looksLikeSocketListing("State of the cluster: fine\n"));
  EXPECT_FALSE(looksLikeSocketListing("tcp is a protocol\n"));
  EXPECT_FALSE(looksLikeSocketListing("apiVersion: v1\nkind: Pod\n"));
  EXPECT_FALSE(looksLikeSocketListing("2026/11/30 08:12:43 [emerg] 1#1: bind() to 0.0.0.0:80 failed\n"));
  EXPECT_FALSE(looksLikeSocketListing(""));
}

// Test that the node name comes from the file name without folder and `.txt`.
TEST(SocketsTest, NodeNameFromFileName) {
  EXPECT_EQ(nodeNameFromFileName("node-sockets/10.1.0.55.txt"), "10.1.0.55");
  EXPECT_EQ(nodeNameFromFileName("/a/b/ip-10-0-1-17.ec2.internal.txt"), "ip-10-0-1-17.ec2.internal");
  EXPECT_EQ(nodeNameFromFileName("node-b"), "node-b");
  EXPECT_EQ(readError("", "dir/.txt"),
            "dir/.txt: expected a file named after its node (<node>.txt, e.g. 10.1.0.55.txt)");
}

// Test that malformed lines name the line and what was expected.
TEST(SocketsTest, MalformedLines) {
  EXPECT_EQ(readError("tcp LISTEN 0 511 0.0.0.0:80 0.0.0.0:*\nhello world\n"),
            "10.1.0.55.txt: line 2: expected a netid (tcp, udp, sctp) or a socket state, got \"hello\"");
  EXPECT_EQ(readError("tcp LISTENING 0 511 0.0.0.0:80 0.0.0.0:*\n"),
            "10.1.0.55.txt: line 1: expected a socket state (LISTEN, UNCONN, ...), got \"LISTENING\"");
  EXPECT_EQ(readError("tcp LISTEN x 511 0.0.0.0:80 0.0.0.0:*\n"),
            "10.1.0.55.txt: line 1: expected a number (Recv-Q), got \"x\"");
  EXPECT_EQ(readError("tcp LISTEN 0 511 0.0.0.0 0.0.0.0:*\n"),
            "10.1.0.55.txt: line 1: expected a local address:port, got \"0.0.0.0\"");
  EXPECT_EQ(readError("tcp LISTEN 0 511 0.0.0.0:http 0.0.0.0:*\n"),
            "10.1.0.55.txt: line 1: expected a numeric port 0-65535 (run ss with -n), got \"http\"");
  EXPECT_EQ(readError("tcp LISTEN 0 511 0.0.0.0:70000 0.0.0.0:*\n"),
            "10.1.0.55.txt: line 1: expected a numeric port 0-65535 (run ss with -n), got \"70000\"");
  EXPECT_EQ(readError("tcp LISTEN 0 511 [::1:80 [::]:*\n"),
            "10.1.0.55.txt: line 1: expected a local address:port, got \"[::1:80\"");
  EXPECT_EQ(readError("tcp LISTEN 0 511 0.0.0.0:80\n"),
            "10.1.0.55.txt: line 1: expected a peer address:port, got the end of the line");
  EXPECT_EQ(readError("tcp LISTEN 0 511 0.0.0.0:80 0.0.0.0:* users:((nginx,pid=1,fd=6))\n"),
            "10.1.0.55.txt: line 1: expected users:((\"name\",pid=N,fd=N),...), got "
            "\"users:((nginx,pid=1,fd=6))\"");
  EXPECT_EQ(readError("tcp LISTEN 0 511 0.0.0.0:80 0.0.0.0:* users:((\"nginx\",pid=x,fd=6))\n"),
            "10.1.0.55.txt: line 1: expected users:((\"name\",pid=N,fd=N),...), got "
            "\"users:((\"nginx\",pid=x,fd=6))\"");
}

}  // namespace
}  // namespace sgaudit::cloud::node
