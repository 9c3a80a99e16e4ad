// The report renderers on a large synthetic audit: 5,000 nodes and 50,000 findings (the target:
// HTML in under 2 s). Findings look like the real ones: three subjects, three pieces of evidence, three
// fixes each; every node has four host ports in the matrix.
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>

#include "sgaudit/report/render.hpp"

namespace {

using json = nlohmann::json;

constexpr int kNodes = 5000;
constexpr int kFindings = 50000;
constexpr int kPorts[] = {80, 443, 8080, 9100};
constexpr const char* kChecks[] = {"sg.port-blocked",   "hostport.conflict",         "hostport.undeclared",
                                   "hostport.capacity", "sg.sensitive-port-exposed", "hostnetwork.dns-policy",
                                   "hostport.reserved", "sg.nodepool-inconsistent"};
constexpr const char* kSeverities[] = {"critical", "high", "high", "medium", "medium", "low", "info"};

std::string nodeName(int i) {
  return "10." + std::to_string(1 + i / 65536) + "." + std::to_string((i / 256) % 256) + "." +
         std::to_string(i % 256);
}

json syntheticAudit() {
  json findings = json::array();
  for (int i = 0; i < kFindings; ++i) {
    const std::string node = nodeName(i % kNodes);
    const std::string ns = "team-" + std::to_string(i % 40);
    const std::string workload = "app-" + std::to_string(i % 700);
    const int port = kPorts[i % 4];
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
        {"fingerprint",
         [&] {
           char hex[33];
           std::snprintf(hex, sizeof hex, "%016llx%016llx",
                         static_cast<unsigned long long>(i) * 0x9E3779B97F4A7C15ULL,
                         static_cast<unsigned long long>(i) + 0x1234);
           return std::string(hex);
         }()},
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
  for (int n = 0; n < kNodes; ++n) {
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

const json& audit() {
  static const json document = syntheticAudit();
  return document;
}

const sgaudit::report::ReportView& view() {
  static const sgaudit::report::ReportView built = [] {
    auto result =
        sgaudit::report::reportViewFromJson(audit(), {"bench-fleet", "2026-11-25T10:00:00Z", nullptr, {}});
    if (!result) throw std::runtime_error(result.error().message);
    return std::move(result).value();
  }();
  return built;
}

void BM_ReportViewFromJson(benchmark::State& state) {
  for (auto _ : state) {
    auto result =
        sgaudit::report::reportViewFromJson(audit(), {"bench-fleet", "2026-11-25T10:00:00Z", nullptr, {}});
    benchmark::DoNotOptimize(result);
  }
  state.counters["findings"] = kFindings;
}

template <std::string (*Render)(const sgaudit::report::ReportView&)>
void BM_Render(benchmark::State& state) {
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string out = Render(view());
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["MiB"] = static_cast<double>(bytes) / (1024.0 * 1024.0);
  state.counters["nodes"] = kNodes;
  state.counters["findings"] = kFindings;
}

}  // namespace

BENCHMARK(BM_ReportViewFromJson)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_Render<sgaudit::report::renderHtml>)
    ->Name("BM_RenderHtml")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5);
BENCHMARK(BM_Render<sgaudit::report::renderSarif>)
    ->Name("BM_RenderSarif")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK(BM_Render<sgaudit::report::renderCsv>)
    ->Name("BM_RenderCsv")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK(BM_Render<sgaudit::report::renderJson>)
    ->Name("BM_RenderJson")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

BENCHMARK_MAIN();
