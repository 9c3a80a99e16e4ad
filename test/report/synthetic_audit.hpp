#pragma once

// A large synthetic audit document for the report's benchmarks and its browser test at scale. Findings look
// like the real ones: three subjects, three pieces of evidence, three fixes each (the fixes of one port are
// the same text on every node, as a security group's rule is); every node has four host ports in the matrix.

#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

namespace sgaudit::report::synthetic {

inline std::string nodeName(int i) {
  return "10." + std::to_string(1 + i / 65536) + "." + std::to_string((i / 256) % 256) + "." +
         std::to_string(i % 256);
}

inline nlohmann::json audit(int node_count, int finding_count) {
  using json = nlohmann::json;
  static constexpr int kPorts[] = {80, 443, 8080, 9100};
  static constexpr const char* kChecks[] = {"sg.port-blocked",           "hostport.conflict",
                                            "hostport.undeclared",       "hostport.capacity",
                                            "sg.sensitive-port-exposed", "hostnetwork.dns-policy",
                                            "hostport.reserved",         "sg.nodepool-inconsistent"};
  static constexpr const char* kSeverities[] = {"critical", "high", "high", "medium",
                                                "medium",   "low",  "info"};
  json findings = json::array();
  for (int i = 0; i < finding_count; ++i) {
    const std::string node = nodeName(i % node_count);
    const std::string ns = "team-" + std::to_string(i % 40);
    const std::string workload = "app-" + std::to_string(i % 700);
    const int port = kPorts[i % 4];
    char fingerprint[33];
    std::snprintf(fingerprint, sizeof fingerprint, "%016llx%016llx",
                  static_cast<unsigned long long>(i) * 0x9E3779B97F4A7C15ULL,
                  static_cast<unsigned long long>(i) + 0x1234);
    json finding = {
        {"check", kChecks[i % 8]},
        {"severity", kSeverities[i % 7]},
        {"title", std::to_string(port) + "/TCP on node " + node +
                      " is partly blocked for 0.0.0.0/0, which Deployment/" + ns + "/" + workload +
                      " requires"},
        {"detail",
         "TCP " + std::to_string(port) +
             " is admitted only from 10.1.0.0/16 by rule 5a000001 \"Allow all TCP from the VPC CIDR\" of "
             "cluster-node-sg. Not admitted: 0.0.0.0/0 except 10.1.0.0/16 (no rule matched: default deny)."},
        {"fingerprint", std::string(fingerprint)},
        {"namespace", ns},
        {"node", node},
        {"port", port},
        {"protocol", "TCP"},
        {"subjects",
         {{{"kind", "Deployment"}, {"namespace", ns}, {"name", workload}},
          {{"kind", "Node"}, {"name", node}},
          {{"kind", "SecurityGroup"}, {"name", "cluster-node-sg"}}}},
        {"evidence",
         {{{"kind", "socket"},
           {"text", "node " + node + ": TCP 0.0.0.0:" + std::to_string(port) + " listening: app (pid 3021)"},
           {"file", "fleet/node-sockets/" + node + ".txt"},
           {"line", 3}},
          {{"kind", "manifest"},
           {"text", "hostPort " + std::to_string(port)},
           {"file", "fleet/" + workload + ".yaml"},
           {"line", 21}},
          {{"kind", "rule"},
           {"text", "not admitted: 0.0.0.0/5, 8.0.0.0/7, 11.0.0.0/8 (no rule matched: default deny)"}}}},
        {"fixes",
         {{{"tool", "huawei-api"},
           {"title", "Allow tcp " + std::to_string(port) + " into security group cluster-node-sg"},
           {"format", "json"},
           {"content",
            "POST /v3/{project_id}/vpc/security-group-rules\n{\"security_group_rule\": {\"direction\": "
            "\"ingress\", \"protocol\": \"tcp\", \"multiport\": \"" +
                std::to_string(port) + "\", \"remote_ip_prefix\": \"0.0.0.0/0\"}}\n"}},
          {{"tool", "hcloud"},
           {"title", "Allow tcp " + std::to_string(port) + " (KooCLI)"},
           {"format", "shell"},
           {"content", "hcloud VPC CreateSecurityGroupRule/v3 --security_group_rule.multiport='" +
                           std::to_string(port) + "' --security_group_rule.remote_ip_prefix='0.0.0.0/0'\n"}},
          {{"tool", "terraform"},
           {"title", "Allow tcp " + std::to_string(port) + " (Terraform)"},
           {"format", "hcl"},
           {"content", "resource \"huaweicloud_networking_secgroup_rule\" \"sgaudit\" {\n  ports = \"" +
                           std::to_string(port) + "\"\n  remote_ip_prefix = \"0.0.0.0/0\"\n}\n"}}}}};
    findings.push_back(std::move(finding));
  }
  json matrix = json::array();
  json nodes = json::array();
  for (int n = 0; n < node_count; ++n) {
    const std::string node = nodeName(n);
    nodes.push_back({{"node", node}, {"instance", "i-" + std::to_string(n)}, {"matched_by", "providerID"}});
    for (int p = 0; p < 4; ++p) {
      matrix.push_back(
          {{"node", node},
           {"port", kPorts[p]},
           {"protocol", "TCP"},
           {"required", p == 0 ? json::array({"0.0.0.0/0"}) : json::array({"10.0.0.0/8"})},
           {"status", (n + p) % 3 == 0   ? "open"
                      : (n + p) % 3 == 1 ? "partial"
                                         : "blocked"},
           {"workload", "Deployment/team-" + std::to_string(n % 40) + "/app-" + std::to_string(n % 700)}});
    }
  }
  return {{"findings", findings},
          {"matrix", matrix},
          {"nodes", nodes},
          {"inputs", json::array()},
          {"warnings", json::array()},
          {"tool", {{"name", "sgaudit"}, {"version", "bench"}}}};
}

}  // namespace sgaudit::report::synthetic
