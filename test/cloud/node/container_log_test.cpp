#include "sgaudit/cloud/node/container_log.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "cloud/fixtures.hpp"

namespace sgaudit::cloud::node {
namespace {

// Test that the cce-seed log gives nginx's bind failures, every repeat with its own line.
TEST(ContainerLogTest, CceSeedNginxLog) {
  auto parsed = readContainerLogFile(test::testDataDir() /
                                     "scenarios/cce-seed/logs/default_nginx-6fdf99c8b-rglm7_nginx.log");
  ASSERT_TRUE(parsed.ok()) << parsed.error().toString();
  const core::ContainerLog& log = parsed.value();
  EXPECT_EQ(log.namespace_name, "default");
  EXPECT_EQ(log.pod, "nginx-6fdf99c8b-rglm7");
  EXPECT_EQ(log.container, "nginx");
  ASSERT_EQ(log.bind_failures.size(), 20u);
  const core::BindFailure& first = log.bind_failures[0];
  EXPECT_EQ(first.server, "nginx");
  EXPECT_EQ(first.address, "0.0.0.0");
  EXPECT_EQ(first.port, 80);
  EXPECT_EQ(first.line, 9);
  EXPECT_EQ(first.text, "2022/05/11 07:18:11 [emerg] 1#1: bind() to 0.0.0.0:80 failed (98: Address in use)");
  EXPECT_EQ(log.bind_failures[1].text, "nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address in use)");
  EXPECT_EQ(log.bind_failures[2].address, "::");
  EXPECT_EQ(log.bind_failures[2].port, 80);
  EXPECT_EQ(log.bind_failures[19].line, 28);
}

// Test each server's wording, with address and port where the line says them.
TEST(ContainerLogTest, ServersAndAddresses) {
  auto parsed = readContainerLog(test::readTestData("node/logs/web_api-7d8f9c6b5-x2x3c_api.log"),
                                 "logs/web_api-7d8f9c6b5-x2x3c_api.log");
  ASSERT_TRUE(parsed.ok()) << parsed.error().toString();
  struct Expected {
    int line;
    const char* server;
    std::optional<std::string> address;
    std::optional<int> port;
  };
  const std::vector<Expected> expected = {
      {2, "go", std::nullopt, 8080},
      {3, "go", "0.0.0.0", 9090},
      {4, "nodejs", "::", 3000},
      {5, "nodejs", "0.0.0.0", 3001},
      {8, "java", std::nullopt, std::nullopt},
      {9, "java", std::nullopt, std::nullopt},
      {10, "java", std::nullopt, 8443},
      {12, "java", std::nullopt, 8081},
      {13, "java", std::nullopt, std::nullopt},
      {14, "python", std::nullopt, std::nullopt},
      {15, "python", "0.0.0.0", 8000},
      {16, "python", "127.0.0.1", 8001},
      {17, "apache", "::", 80},
      {18, "haproxy", "0.0.0.0", 8404},
      {19, "nginx", std::nullopt, std::nullopt},
      {20, "nginx", "10.0.1.17", 8080},
      {21, "unknown", std::nullopt, std::nullopt},
  };
  const auto& failures = parsed.value().bind_failures;
  ASSERT_EQ(failures.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(failures[i].text);
    EXPECT_EQ(failures[i].line, expected[i].line);
    EXPECT_EQ(failures[i].server, expected[i].server);
    EXPECT_EQ(failures[i].address, expected[i].address);
    EXPECT_EQ(failures[i].port, expected[i].port);
  }
  EXPECT_EQ(parsed.value().namespace_name, "web");
  EXPECT_EQ(parsed.value().source.file, "logs/web_api-7d8f9c6b5-x2x3c_api.log");
}

// Test that the stream reader agrees with the text reader, across buffer boundaries and without a final
// newline.
TEST(ContainerLogTest, StreamAndTextAgree) {
  std::string text;
  for (int i = 0; i < 5000; ++i) {
    text +=
        i % 7 == 0 ? "listen tcp :8080: bind: address already in use\r\n" : "some ordinary line of output\n";
  }
  text += "OSError: [Errno 98] Address already in use";
  std::istringstream in(text);
  auto streamed = readContainerLog(in, "a_b_c.log");
  auto whole = readContainerLog(text, "a_b_c.log");
  ASSERT_TRUE(streamed.ok() && whole.ok());
  ASSERT_EQ(streamed.value().bind_failures.size(), whole.value().bind_failures.size());
  EXPECT_EQ(whole.value().bind_failures.size(), 715u + 1u);
  for (std::size_t i = 0; i < whole.value().bind_failures.size(); ++i) {
    EXPECT_EQ(streamed.value().bind_failures[i].line, whole.value().bind_failures[i].line);
    EXPECT_EQ(streamed.value().bind_failures[i].text, whole.value().bind_failures[i].text);
  }
  EXPECT_EQ(whole.value().bind_failures[0].text, "listen tcp :8080: bind: address already in use");
  EXPECT_EQ(whole.value().bind_failures.back().line, 5001);
}

// Test that only the first 64 KiB of a very long line are looked at and kept.
TEST(ContainerLogTest, LongLinesAreCapped) {
  const std::string text = "listen tcp :80: bind: address already in use " + std::string(200000, 'x') + "\n" +
                           std::string(100000, 'y') + " OSError: [Errno 98] Address already in use\nend\n";
  std::istringstream in(text);
  auto streamed = readContainerLog(in, "a_b_c.log");
  auto whole = readContainerLog(text, "a_b_c.log");
  for (const auto* log : {&streamed, &whole}) {
    ASSERT_TRUE(log->ok());
    ASSERT_EQ(log->value().bind_failures.size(), 1u);  // the second failure is past the cap
    EXPECT_EQ(log->value().bind_failures[0].text.size(), kMaxLogLineBytes);
    EXPECT_EQ(log->value().bind_failures[0].port, 80);
  }
}

// Test that only <namespace>_<pod>_<container>.log names are accepted.
TEST(ContainerLogTest, FileNames) {
  auto name = parseLogFileName("/var/tmp/kube-system_coredns-5d78c9869d-abcde_coredns.log");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name.value().namespace_name, "kube-system");
  EXPECT_EQ(name.value().pod, "coredns-5d78c9869d-abcde");
  EXPECT_EQ(name.value().container, "coredns");
  for (const char* bad :
       {"nginx.log", "a_b.log", "a_b_c_d.log", "a_b_c.txt", "_b_c.log", "a__c.log", "a_b_.log"}) {
    auto parsed = readContainerLog("", bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(
        parsed.error().toString(),
        std::string(bad) + ": expected a file name <namespace>_<pod>_<container>.log, got \"" + bad + "\"");
  }
  auto missing = readContainerLogFile("/nonexistent/a_b_c.log");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().toString(), "/nonexistent/a_b_c.log: cannot open the file");
}

// Test that logs in a cluster dump are named by their path: sonobuoy's
// podlogs/<ns>/<pod>/logs/<container>.txt (and its older podlogs/<ns>/<pod>/<container>.log), must-gather's
// namespaces/<ns>/pods/<pod>/<container>/<container>/logs/current.log; other paths are not.
TEST(ContainerLogTest, DumpLayouts) {
  auto sonobuoy = parseLogFileName("results/podlogs/kube-system/kube-proxy-x7k2p/logs/kube-proxy.txt");
  ASSERT_TRUE(sonobuoy.ok());
  EXPECT_EQ(sonobuoy.value().namespace_name, "kube-system");
  EXPECT_EQ(sonobuoy.value().pod, "kube-proxy-x7k2p");
  EXPECT_EQ(sonobuoy.value().container, "kube-proxy");
  auto older = parseLogFileName("podlogs/monitoring/node-exporter-7xk2p/node-exporter.log");
  ASSERT_TRUE(older.ok());
  EXPECT_EQ(older.value().container, "node-exporter");
  auto must_gather = parseLogFileName(
      "mg/namespaces/monitoring/pods/node-exporter-q9mzt/node-exporter/node-exporter/logs/previous.log");
  ASSERT_TRUE(must_gather.ok());
  EXPECT_EQ(must_gather.value().namespace_name, "monitoring");
  EXPECT_EQ(must_gather.value().pod, "node-exporter-q9mzt");
  EXPECT_EQ(must_gather.value().container, "node-exporter");
  EXPECT_FALSE(logNameFromDumpPath("podlogs/ns/pod/other/c.txt"));
  EXPECT_FALSE(logNameFromDumpPath("podlogs/ns/pod/logs/c.json"));
  EXPECT_FALSE(logNameFromDumpPath("namespaces/ns/pods/pod/a/b/logs/current.log"));
  EXPECT_FALSE(logNameFromDumpPath("kube-system_coredns-5d78c9869d-abcde_coredns.log"));
  auto log = readContainerLog("ts=1 level=error err=\"listen tcp :9100: bind: address already in use\"\n",
                              "podlogs/monitoring/p/logs/node-exporter.txt");
  ASSERT_TRUE(log.ok()) << log.error().toString();
  EXPECT_EQ(log.value().container, "node-exporter");
  ASSERT_EQ(log.value().bind_failures.size(), 1u);
  EXPECT_EQ(log.value().bind_failures[0].port, 9100);
}

// Test that ordinary lines, including ones mentioning ports, are not failures.
TEST(ContainerLogTest, OrdinaryLinesAreNotFailures) {
  for (const char* line : {"listening on 0.0.0.0:80", "the parking lot is in use", "  code: 'EADDRINUSE',",
                           "nginx: [emerg] still could not bind()", ""}) {
    EXPECT_FALSE(recognizeBindFailure(line)) << line;
  }
}

}  // namespace
}  // namespace sgaudit::cloud::node
