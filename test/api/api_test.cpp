// The REST API end to end: the real `sgaudit serve` on a loopback port (port 0) with a real SQLite file,
// tokens made by `sgaudit token create`, the cce-seed scenario uploaded file by file, and the same findings
// as the CLI.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <zlib.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <iostream>
#include <regex>
#include <set>
#include <thread>

#include "api/api_server.hpp"
#include "sgaudit/db/database.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/tls_cert.hpp"

namespace sgaudit::test {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

const std::filesystem::path kScenario = testDataDir() / "scenarios" / "cce-seed";

std::string gzip(const std::string& data) {
  z_stream stream{};
  deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, data.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

bool isCloudFile(const std::string& name) {
  for (const char* cloud : {"cce-cluster.json", "ecs-servers.json", "security-groups.json",
                            "security-group-rules.json", "vpc.json"}) {
    if (name == cloud) return true;
  }
  return false;
}

// Uploads every cce-seed input (cloud JSON into account "huawei", the rest into cluster "cce") and the
// policy.
void uploadScenario(ApiServer& server, const std::filesystem::path& root = kScenario) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    const std::string relative = std::filesystem::relative(entry.path(), root).string();
    if (relative == "README.md" || relative == "policy.json") continue;
    const std::string scope = isCloudFile(relative) ? "accounts/huawei" : "clusters/cce";
    const auto response = server.upload(scope, "cce-seed/" + relative, readFile(entry.path()));
    ASSERT_EQ(response.status, 201) << relative << ": " << response.body;
  }
  const auto policy = server.call("PUT", "/api/v1/policies/seed", readFile(root / "policy.json"),
                                  server.admin, "Content-Type: application/json\r\n");
  ASSERT_EQ(policy.status, 201) << policy.body;
}

std::int64_t runAudit(ApiServer& server) {
  const auto response =
      server.call("POST", "/api/v1/audits", R"({"cluster": "cce", "accounts": ["huawei"], "policy": "seed"})",
                  server.ingest, "Content-Type: application/json\r\n");
  EXPECT_EQ(response.status, 201) << response.body;
  return json::parse(response.body).at("id").get<std::int64_t>();
}

json allFindings(ApiServer& server, std::int64_t audit, const std::string& filter = {}) {
  json items = json::array();
  std::string next = "/api/v1/audits/" + std::to_string(audit) + "/findings?limit=2" + filter;
  while (!next.empty()) {
    const auto page = server.call("GET", next, {}, server.reader);
    EXPECT_EQ(page.status, 200) << page.body;
    const json body = json::parse(page.body);
    for (const auto& item : body.at("items"))
      items.push_back(item);
    next = body.value("next", "");
  }
  return items;
}

// Test the whole path: upload every cce-seed file, audit, page through findings, download the report; the
// findings and matrix are exactly the CLI's for the same files.
TEST(ApiTest, CceSeedOverHttpMatchesCli) {
  TempDir dir;
  ApiServer server(dir);
  uploadScenario(server);
  const std::int64_t audit = runAudit(server);

  const json findings = allFindings(server, audit);
  ASSERT_EQ(findings.size(), 6U);
  std::set<std::string> checks;
  for (const auto& finding : findings)
    checks.insert(finding.at("check").get<std::string>());
  EXPECT_EQ(checks,
            (std::set<std::string>{"sg.port-blocked", "sg.sensitive-port-exposed", "hostport.conflict",
                                   "hostport.capacity", "hostport.undeclared", "hostnetwork.dns-policy"}));

  const auto report =
      server.call("GET", "/api/v1/audits/" + std::to_string(audit) + "/report.json", {}, server.reader);
  ASSERT_EQ(report.status, 200);
  EXPECT_EQ(report.headers.at("content-disposition"),
            "inline; filename=\"sgaudit-audit-" + std::to_string(audit) + ".json\"");
  const json document = json::parse(report.body);

  // The CLI on the same files (copied under a folder named cce-seed, so the input names are the same).
  const auto cli = runProcess({sgauditBinary().string(), "audit", kScenario.string(), "--policy",
                               (kScenario / "policy.json").string(), "--format", "json"});
  ASSERT_EQ(cli.exit_code, 1) << cli.err;
  const json expected = json::parse(cli.out);
  EXPECT_EQ(document.at("findings"), expected.at("findings"));
  EXPECT_EQ(document.at("matrix"), expected.at("matrix"));
  EXPECT_EQ(document.at("nodes"), expected.at("nodes"));
  EXPECT_EQ(document.at("summary"), expected.at("summary"));
  // Each finding read through the API is the report's finding plus its id.
  for (json item : findings) {
    ASSERT_TRUE(item.at("id").is_number_integer()) << item.dump();
    item.erase("id");
    EXPECT_NE(std::find(document.at("findings").begin(), document.at("findings").end(), item),
              document.at("findings").end())
        << item.dump();
  }
  // The finding Huawei fix (finding 4) comes with its three tools.
  std::set<std::string> tools;
  for (const auto& finding : document.at("findings")) {
    if (finding.at("check") != "sg.port-blocked") continue;
    for (const auto& fix : finding.at("fixes"))
      tools.insert(fix.at("tool").get<std::string>());
  }
  EXPECT_TRUE(tools.contains("huawei-api") && tools.contains("hcloud") && tools.contains("terraform"));

  // The other report formats, rendered by report/ from the stored document.
  const std::string base = "/api/v1/audits/" + std::to_string(audit);
  const auto html = server.call("GET", base + "/report.html", {}, server.reader);
  ASSERT_EQ(html.status, 200);
  EXPECT_THAT(html.headers.at("content-type"), HasSubstr("text/html"));
  EXPECT_THAT(html.headers.at("content-disposition"), HasSubstr(".html\""));
  EXPECT_THAT(html.body, HasSubstr("Content-Security-Policy"));
  EXPECT_THAT(html.body, HasSubstr("10.1.0.55"));
  const auto sarif = server.call("GET", base + "/report.sarif", {}, server.reader);
  ASSERT_EQ(sarif.status, 200);
  EXPECT_EQ(sarif.headers.at("content-type"), "application/sarif+json");
  const json sarif_doc = json::parse(sarif.body);
  EXPECT_EQ(sarif_doc.at("version"), "2.1.0");
  EXPECT_EQ(sarif_doc.at("runs").at(0).at("results").size(), 6U);
  const auto csv = server.call("GET", base + "/report.csv", {}, server.reader);
  ASSERT_EQ(csv.status, 200);
  EXPECT_THAT(csv.headers.at("content-type"), HasSubstr("text/csv"));
  EXPECT_GE(std::count(csv.body.begin(), csv.body.end(), '\n'), 7);
  expectProblem(server.call("GET", "/api/v1/audits/999/report.html", {}, server.reader), 404);

  // Filters.
  EXPECT_EQ(allFindings(server, audit, "&severity=critical").size(), 1U);
  EXPECT_EQ(allFindings(server, audit, "&check=sg.port-blocked").size(), 1U);
  EXPECT_EQ(allFindings(server, audit, "&node=10.1.0.55").size(),
            static_cast<std::size_t>(std::count_if(findings.begin(), findings.end(), [](const json& f) {
              return f.value("node", "") == "10.1.0.55";
            })));
  expectProblem(server.call("GET", "/api/v1/audits/" + std::to_string(audit) + "/findings?severity=urgent",
                            {}, server.reader),
                400);
}

// Test the AKS scenario through the API: its az files into an account, kubectl's into a cluster, audited with
// its policy; the findings, nodes and matrix are the CLI's, the NSG fixes come as az and Terraform, and the
// HTML report names the subnet NSG's deny.
TEST(ApiTest, AksScenarioOverHttpMatchesCli) {
  TempDir dir;
  ApiServer server(dir);
  const std::filesystem::path root = testDataDir() / "scenarios" / "aks";
  for (const char* file :
       {"nsgs.json", "vmss-nics.json", "vnets.json", "aks-show.json", "nodes.json", "pods.json"}) {
    const bool cloud = std::string(file) != "nodes.json" && std::string(file) != "pods.json";
    const auto response = server.upload(cloud ? "accounts/azure" : "clusters/aks", std::string("aks/") + file,
                                        readFile(root / file));
    ASSERT_EQ(response.status, 201) << file << ": " << response.body;
  }
  ASSERT_EQ(server
                .call("PUT", "/api/v1/policies/aks", readFile(root / "policy.json"), server.admin,
                      "Content-Type: application/json\r\n")
                .status,
            201);
  const auto posted =
      server.call("POST", "/api/v1/audits", R"({"cluster": "aks", "accounts": ["azure"], "policy": "aks"})",
                  server.ingest, "Content-Type: application/json\r\n");
  ASSERT_EQ(posted.status, 201) << posted.body;
  const std::int64_t audit = json::parse(posted.body).at("id").get<std::int64_t>();
  const auto report =
      server.call("GET", "/api/v1/audits/" + std::to_string(audit) + "/report.json", {}, server.reader);
  ASSERT_EQ(report.status, 200);
  const json document = json::parse(report.body);
  const auto cli = runProcess({sgauditBinary().string(), "audit", root.string(), "--policy",
                               (root / "policy.json").string(), "--format", "json"});
  ASSERT_EQ(cli.exit_code, 1) << cli.err;
  const json expected = json::parse(cli.out);
  EXPECT_EQ(document.at("findings"), expected.at("findings"));
  EXPECT_EQ(document.at("nodes"), expected.at("nodes"));
  EXPECT_EQ(document.at("matrix"), expected.at("matrix"));
  ASSERT_EQ(document.at("findings").size(), 4U);
  std::set<std::string> tools;
  for (const auto& finding : document.at("findings")) {
    for (const auto& fix : finding.at("fixes"))
      tools.insert(fix.at("tool").get<std::string>());
  }
  EXPECT_EQ(tools, (std::set<std::string>{"az", "terraform"}));
  const auto html =
      server.call("GET", "/api/v1/audits/" + std::to_string(audit) + "/report.html", {}, server.reader);
  ASSERT_EQ(html.status, 200);
  EXPECT_THAT(html.body, HasSubstr("DenyWebFromInternet"));
  EXPECT_THAT(html.body, HasSubstr("az network nsg rule create"));
}

// Test the GKE scenario through the API: its gcloud files into an account, kubectl's into a cluster, audited
// with its policy; the findings, nodes and matrix are the CLI's, the firewall fixes come as gcloud and
// Terraform, and the HTML report names the deny that hides the allow and the pool's own rule.
TEST(ApiTest, GkeScenarioOverHttpMatchesCli) {
  TempDir dir;
  ApiServer server(dir);
  const std::filesystem::path root = testDataDir() / "scenarios" / "gke";
  for (const char* file :
       {"firewall-rules.json", "instances.json", "subnets.json", "cluster.json", "nodes.json", "pods.json"}) {
    const bool cloud = std::string(file) != "nodes.json" && std::string(file) != "pods.json";
    const auto response = server.upload(cloud ? "accounts/gcp" : "clusters/gke", std::string("gke/") + file,
                                        readFile(root / file));
    ASSERT_EQ(response.status, 201) << file << ": " << response.body;
  }
  ASSERT_EQ(server
                .call("PUT", "/api/v1/policies/gke", readFile(root / "policy.json"), server.admin,
                      "Content-Type: application/json\r\n")
                .status,
            201);
  const auto posted =
      server.call("POST", "/api/v1/audits", R"({"cluster": "gke", "accounts": ["gcp"], "policy": "gke"})",
                  server.ingest, "Content-Type: application/json\r\n");
  ASSERT_EQ(posted.status, 201) << posted.body;
  const std::int64_t audit = json::parse(posted.body).at("id").get<std::int64_t>();
  const auto report =
      server.call("GET", "/api/v1/audits/" + std::to_string(audit) + "/report.json", {}, server.reader);
  ASSERT_EQ(report.status, 200);
  const json document = json::parse(report.body);
  const auto cli = runProcess({sgauditBinary().string(), "audit", root.string(), "--policy",
                               (root / "policy.json").string(), "--format", "json"});
  ASSERT_EQ(cli.exit_code, 1) << cli.err;
  const json expected = json::parse(cli.out);
  EXPECT_EQ(document.at("findings"), expected.at("findings"));
  EXPECT_EQ(document.at("nodes"), expected.at("nodes"));
  EXPECT_EQ(document.at("matrix"), expected.at("matrix"));
  ASSERT_EQ(document.at("findings").size(), 7U);
  std::set<std::string> tools;
  for (const auto& finding : document.at("findings")) {
    for (const auto& fix : finding.at("fixes"))
      tools.insert(fix.at("tool").get<std::string>());
  }
  EXPECT_TRUE(tools.count("gcloud") == 1 && tools.count("terraform") == 1) << json(tools).dump();
  const auto html =
      server.call("GET", "/api/v1/audits/" + std::to_string(audit) + "/report.html", {}, server.reader);
  ASSERT_EQ(html.status, 200);
  EXPECT_THAT(html.body, HasSubstr("deny-web-legacy"));
  EXPECT_THAT(html.body, HasSubstr("allow-metrics-pool-a"));
  EXPECT_THAT(html.body, HasSubstr("gcloud compute firewall-rules create"));
}

// Test that uploads are idempotent by content, that a changed rule set opens a new snapshot, and that the
// Test that what an audit could not judge is in its own record, not only in its report: the answer of
// POST /api/v1/audits and GET /api/v1/audits/{id} list a socket file named after no node, and a cluster
// audited without its account says no firewall check ran.
TEST(ApiTest, AuditRecordsCarryTheirWarnings) {
  TempDir dir;
  ApiServer server(dir);
  uploadScenario(server);
  ASSERT_EQ(server
                .upload("clusters/cce", "cce-seed/node-sockets/ghost.txt",
                        readFile(kScenario / "node-sockets" / "10.1.0.55.txt"))
                .status,
            201);
  const auto created =
      server.call("POST", "/api/v1/audits", R"({"cluster": "cce", "accounts": ["huawei"], "policy": "seed"})",
                  server.ingest, "Content-Type: application/json\r\n");
  ASSERT_EQ(created.status, 201) << created.body;
  const json answer = json::parse(created.body);
  ASSERT_EQ(answer.at("warnings").size(), 1U) << answer.dump();
  EXPECT_THAT(answer.at("warnings")[0].get<std::string>(),
              HasSubstr("cce-seed/node-sockets/ghost.txt: no node is named \"ghost\""));
  const auto read =
      server.call("GET", "/api/v1/audits/" + std::to_string(answer.at("id").get<int>()), {}, server.reader);
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(json::parse(read.body).at("warnings"), answer.at("warnings"));

  const auto alone = server.call("POST", "/api/v1/audits", R"({"cluster": "cce", "policy": "seed"})",
                                 server.ingest, "Content-Type: application/json\r\n");
  ASSERT_EQ(alone.status, 201) << alone.body;
  EXPECT_THAT(json::parse(alone.body).at("warnings").dump(), HasSubstr("no firewall check ran"));
  const auto listed = json::parse(server.call("GET", "/api/v1/audits", {}, server.reader).body);
  ASSERT_EQ(listed.at("items").size(), 2U);
  for (const auto& item : listed.at("items"))
    EXPECT_FALSE(item.at("warnings").empty()) << item.dump();
}

// diff against the earlier audit shows the blocked port resolved and the rest unchanged.
TEST(ApiTest, IdempotentUploadsSnapshotsAndDiff) {
  TempDir dir;
  ApiServer server(dir);
  uploadScenario(server);
  const auto again = server.upload("accounts/huawei", "cce-seed/vpc.json", readFile(kScenario / "vpc.json"));
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json::parse(again.body).at("created"), false);
  const std::int64_t first = runAudit(server);

  // Open TCP 80 to the internet in the node group: the blocked finding goes away.
  json rules = json::parse(readFile(kScenario / "security-group-rules.json"));
  json opened = rules.at("security_group_rules").at(0);
  opened["id"] = "5a0000ff-0c1d-4e2f-8a3b-1c2d3e4f5aff";
  opened["remote_ip_prefix"] = "0.0.0.0/0";
  opened["multiport"] = "80";
  opened["description"] = "HTTP from anywhere";
  rules["security_group_rules"].push_back(opened);
  const auto changed = server.upload("accounts/huawei", "cce-seed/security-group-rules.json", rules.dump());
  ASSERT_EQ(changed.status, 201) << changed.body;
  const auto account = json::parse(server.call("GET", "/api/v1/accounts/huawei", {}, server.reader).body);
  EXPECT_EQ(account.at("latest_snapshot").at("state"), "open");
  EXPECT_EQ(account.at("latest_snapshot").at("inputs").size(), 5U);  // inherited, one replaced

  const std::int64_t second = runAudit(server);
  const auto diff = server.call(
      "GET", "/api/v1/audits/" + std::to_string(second) + "/diff?against=" + std::to_string(first), {},
      server.reader);
  ASSERT_EQ(diff.status, 200) << diff.body;
  const json body = json::parse(diff.body);
  ASSERT_EQ(body.at("resolved").size(), 1U) << body.dump(2);
  EXPECT_EQ(body.at("resolved").at(0).at("check"), "sg.port-blocked");
  EXPECT_EQ(body.at("unchanged").size(), 5U);
  EXPECT_EQ(body.at("counts").at("new"), body.at("new").size());

  const auto list = json::parse(server.call("GET", "/api/v1/audits?limit=1", {}, server.reader).body);
  EXPECT_EQ(list.at("items").at(0).at("id"), second);
  EXPECT_THAT(list.at("next").get<std::string>(), HasSubstr("before=" + std::to_string(second)));
  expectProblem(
      server.call("GET", "/api/v1/audits/" + std::to_string(second) + "/diff?against=999", {}, server.reader),
      404);
}

// Test that a gzip upload is decoded, recognised and stored as its decoded hash (the same bytes plain are
// then known), and that corrupt gzip is a 400.
TEST(ApiTest, GzipUploads) {
  TempDir dir;
  ApiServer server(dir);
  const std::string pods = readFile(kScenario / "pods.json");
  const auto packed = server.upload("clusters/c", "pods.json", gzip(pods),
                                    "Content-Type: application/json\r\nContent-Encoding: gzip\r\n");
  ASSERT_EQ(packed.status, 201) << packed.body;
  const json input = json::parse(packed.body).at("input");
  EXPECT_EQ(input.at("kind"), "kubectl.json");
  EXPECT_EQ(input.at("encoding"), "gzip");
  EXPECT_EQ(input.at("size_bytes"), pods.size());
  EXPECT_EQ(server.upload("clusters/c", "pods.json", pods).status, 200);
  std::string corrupt = gzip(pods);
  corrupt[corrupt.size() / 2] ^= 0x5a;
  corrupt.resize(corrupt.size() - 4);
  expectProblem(server.upload("clusters/c", "pods2.json", corrupt, "Content-Encoding: gzip\r\n"), 400);
  expectProblem(server.upload("clusters/c", "pods3.json", pods, "Content-Encoding: br\r\n"), 415);
}

// Test that a gzip bomb stops decoding at --upload-decoded-limit with a 413 naming the setting, leaves
// nothing in the spool, and that the same bytes under two names are two inputs (issue 23).
TEST(ApiTest, DecodedLimitAndSharedContent) {
  TempDir dir;
  ApiServer server(dir, {"--upload-decoded-limit", "1048576", "--max-objects", "1"});
  const auto pods = server.upload("clusters/c", "pods.json", readFile(kScenario / "pods.json"));
  EXPECT_EQ(pods.status, 413) << pods.body;
  EXPECT_NE(pods.body.find("more than 1 objects (the object budget, --max-objects)"), std::string::npos)
      << pods.body;
  const std::string bomb = gzip(std::string(16u << 20, ' '));
  ASSERT_LT(bomb.size(), 100000u);
  const auto refused = server.upload("clusters/c", "bomb.json", bomb,
                                     "Content-Type: application/json\r\nContent-Encoding: gzip\r\n");
  EXPECT_EQ(refused.status, 413) << refused.body;
  EXPECT_NE(refused.body.find("more than 1048576 bytes (--upload-decoded-limit)"), std::string::npos)
      << refused.body;
  std::error_code ignored;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / "spool", ignored))
    EXPECT_FALSE(entry.is_regular_file()) << entry.path();

  const std::string sockets = readFile(kScenario / "node-sockets" / "10.1.0.55.txt");
  EXPECT_EQ(server.upload("clusters/c", "10.1.0.55.txt", sockets).status, 201);
  EXPECT_EQ(server.upload("clusters/c", "10.1.0.56.txt", sockets).status, 201);
  const json cluster = json::parse(server.call("GET", "/api/v1/clusters/c", {}, server.reader).body);
  EXPECT_EQ(cluster.at("latest_snapshot").at("inputs").size(), 2u) << cluster.dump();
}

// The server's peak resident memory (VmHWM) in MB.
long peakRssMb(pid_t pid) {
  std::istringstream status(readFile("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("VmHWM:")) return std::stol(line.substr(6)) / 1024;
  return -1;
}

// Test the hostile uploads of the hardening probe (issue 23), scaled down: each is refused with its status
// and the limit it hit, and the server's peak memory stays bounded throughout.
TEST(ApiTest, HostileUploadsAreRefusedWithinBoundedMemory) {
  TempDir dir;
  ApiServer server(dir, {"--max-objects", "1000"});
  const std::string json_type = "Content-Type: application/json\r\n";
  const std::string gzipped = json_type + "Content-Encoding: gzip\r\n";
  // 200,000 minimal pods (a 300 KB gzip): refused at the 1,001st, never 200,000 objects.
  std::string pods = R"({"apiVersion":"v1","kind":"PodList","items":[)";
  for (int i = 0; i < 200000; ++i)
    pods += std::string(i > 0 ? "," : "") + R"({"metadata":{"name":"p)" + std::to_string(i) + R"("}})";
  pods += "]}";
  auto response = server.upload("clusters/c", "pods.json", gzip(pods), gzipped);
  expectProblem(response, 413);
  EXPECT_THAT(json::parse(response.body).at("detail").get<std::string>(),
              HasSubstr("more than 1000 objects (the object budget, --max-objects)"));
  // 300 MiB of blanks (a 300 KB gzip): decoded to the spool in chunks, refused by its size before it is read.
  response = server.upload("clusters/c", "blank.json", gzip(std::string(300u << 20, ' ')), gzipped);
  expectProblem(response, 413);
  EXPECT_THAT(json::parse(response.body).at("detail").get<std::string>(),
              HasSubstr("larger than 64 MiB (a document read whole; the limit is --max-document-bytes)"));
  // 60,000 open brackets: 422 at the nesting limit.
  expectProblem(server.upload("clusters/c", "deep.json", std::string(60000, '['), json_type), 422);
  EXPECT_EQ(json::parse(server.call("GET", "/api/v1/clusters", {}, server.reader).body).at("items").size(),
            0u);
  const long peak = peakRssMb(server.process->pid());
  EXPECT_GT(peak, 0);
  EXPECT_LT(peak, 200) << "MB at peak";
  std::cout << "server peak RSS after the hostile uploads: " << peak << " MB\n";
}

// Lower-case hex of bytes, to compare a stored blob with what was sent.
std::string hexOf(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// The findings of an audit without their ids (ids differ between audits).
json findingsWithoutIds(ApiServer& server, std::int64_t audit) {
  json items = allFindings(server, audit);
  for (auto& item : items)
    item.erase("id");
  return items;
}

// Test that a gzip upload is stored as received (two gzip members, as `cat a.gz b.gz` makes, kept as sent)
// and reads back as the same document: a kubectl list over 8 MiB, checked as it is decoded, audits to the
// same findings as the same list uploaded small and read whole.
TEST(ApiTest, GzipUploadIsStoredAsReceivedAndAuditsAlike) {
  TempDir dir;
  ApiServer server(dir);
  uploadScenario(server);
  const std::int64_t small = runAudit(server);

  // The same pods with 9 MiB of trailing blanks: over the size from which a kubectl list is streamed.
  const std::string pods = readFile(kScenario / "pods.json") + std::string(9u << 20, '\n');
  const std::string sent = gzip(pods.substr(0, pods.size() / 2)) + gzip(pods.substr(pods.size() / 2));
  const auto response = server.upload("clusters/cce", "cce-seed/pods.json", sent,
                                      "Content-Type: application/json\r\nContent-Encoding: gzip\r\n");
  ASSERT_EQ(response.status, 201) << response.body;
  const json input = json::parse(response.body).at("input");
  EXPECT_EQ(input.at("kind"), "kubectl.json");
  EXPECT_EQ(input.at("size_bytes"), pods.size());
  const std::int64_t large = runAudit(server);
  EXPECT_EQ(findingsWithoutIds(server, large), findingsWithoutIds(server, small));
  // The same bytes plain are known by their hash: checked (as they are read, packed on the side), not stored.
  const auto again = server.upload("clusters/cce", "cce-seed/pods.json", pods);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json::parse(again.body).at("input").at("sha256"), input.at("sha256"));

  server.stop();
  auto db = db::Database::open(server.database());
  auto blob = db.prepare("SELECT hex(content), size_bytes FROM blobs WHERE sha256 = ?1");
  blob.bind(1, input.at("sha256").get<std::string>());
  ASSERT_TRUE(blob.step());
  EXPECT_EQ(blob.getText(0), hexOf(sent));
  EXPECT_EQ(blob.getInt64(1), static_cast<std::int64_t>(pods.size()));
}

// `count` pods of about 1 KB each in one kubectl List, compact, one item per line.
std::string podList(std::size_t count) {
  std::string out = R"({"apiVersion":"v1","kind":"List","metadata":{},"items":[)";
  out.reserve(count * 1100 + 100);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string n = std::to_string(i);
    if (i > 0) out += ",\n";
    out +=
        R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-)" + n + R"(","namespace":"team-)" +
        std::to_string(i % 40) + R"(","uid":"0c6f1d4e-)" + n +
        R"(","labels":{"app":"web","tier":"frontend","release":"stable","pod-template-hash":"7d9c5b8f4)" + n +
        R"("},"annotations":{"prometheus.io/scrape":"true","prometheus.io/port":"9102"},)" +
        R"("ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7d9c5b8f4","uid":"r-1","controller":true}]},)" +
        R"("spec":{"nodeName":"node-)" + std::to_string(i % 500) +
        R"(","containers":[{"name":"app","image":"registry.example.com/team/web:1.24.3",)" +
        R"("ports":[{"name":"http","containerPort":8080,"protocol":"TCP"},{"name":"metrics","containerPort":9102,"protocol":"TCP"}],)" +
        R"("env":[{"name":"SERVICE_URL","value":"http://api.team.svc.cluster.local:8080"},{"name":"POD_INDEX","value":")" +
        n + R"("}]},{"name":"sidecar","image":"registry.example.com/mesh/proxy:1.19.0",)" +
        R"("ports":[{"containerPort":15090,"protocol":"TCP","name":"http-envoy-prom"}]}]},)" +
        R"("status":{"phase":"Running","hostIP":"10.1.)" + std::to_string(i % 200) + "." +
        std::to_string(i % 250) + R"(","podIP":"10.2.)" + std::to_string(i / 250 % 250) + "." +
        std::to_string(i % 250) + R"("}})";
  }
  out += "]}";
  return out;
}

// Test that a large kubectl upload is checked as it is decoded, each pod converted and dropped: the server's
// peak memory stays near its idle size however many pods the list holds (the audit reads the stored bytes
// again), the answer is the one the whole reader gives, and the object budget still counts every pod.
TEST(ApiTest, LargeUploadIsCheckedInBoundedMemory) {
  TempDir dir;
  ApiServer server(dir, {"--max-objects", "200000"});
  const std::string pods = podList(150000);
  ASSERT_GT(pods.size(), 100u << 20);
  const long idle = peakRssMb(server.process->pid());
  const auto stored = server.upload("clusters/c", "pods.json", gzip(pods),
                                    "Content-Type: application/json\r\nContent-Encoding: gzip\r\n");
  ASSERT_EQ(stored.status, 201) << stored.body;
  EXPECT_EQ(json::parse(stored.body).at("input").at("kind"), "kubectl.json");
  const auto plain = server.upload("clusters/c", "pods-plain.json", pods);
  ASSERT_EQ(plain.status, 201) << plain.body;
  const long peak = peakRssMb(server.process->pid());
  std::cout << "server peak RSS: " << idle << " MB idle, " << peak << " MB after two uploads of "
            << pods.size() / 1000000 << " MB\n";
  EXPECT_LT(peak - idle, 64) << "MB over idle";

  // Over the budget, counted as it is read: refused, and nothing stored.
  TempDir other;
  ApiServer small(other, {"--max-objects", "100000"});
  const auto refused = small.upload("clusters/d", "pods.json", gzip(pods),
                                    "Content-Type: application/json\r\nContent-Encoding: gzip\r\n");
  expectProblem(refused, 413);
  EXPECT_THAT(json::parse(refused.body).at("detail").get<std::string>(),
              HasSubstr("more than 100000 objects (the object budget, --max-objects)"));
  EXPECT_EQ(small.call("GET", "/api/v1/clusters/d", {}, small.reader).status, 404);
}

// Test that an upload as curl sends it (`curl --data-binary @rules.json`, which labels every body
// application/x-www-form-urlencoded) is stored, as is one under any other declared type, while an unknown
// Content-Encoding is still refused.
TEST(ApiTest, UploadsAsCurlSendsThem) {
  TempDir dir;
  ApiServer server(dir);
  const std::string rules = readFile(kScenario / "security-group-rules.json");
  const auto form = server.upload("accounts/prod", "rules.json", rules,
                                  "Content-Type: application/x-www-form-urlencoded\r\n");
  ASSERT_EQ(form.status, 201) << form.body;
  EXPECT_EQ(json::parse(form.body).at("input").at("kind"), "huawei.vpc.v3.security-group-rules");
  const auto pods = server.upload("clusters/c", "pods.json", readFile(kScenario / "pods.json"),
                                  "Content-Type: multipart/x-anything; boundary=x\r\n");
  EXPECT_EQ(pods.status, 201) << pods.body;
  expectProblem(server.upload("accounts/prod", "rules2.json", rules,
                              "Content-Type: application/x-www-form-urlencoded\r\nContent-Encoding: br\r\n"),
                415);
}

// Test that an upload the reader doubts (a manifest's misspelt hostport) is stored and its answer lists the
// warning, and that a provider's error response is refused as one.
TEST(ApiTest, UploadWarningsAndErrorResponses) {
  TempDir dir;
  ApiServer server(dir);
  const auto manifest = server.upload("clusters/c", "ds.yaml",
                                      readFile(testDataDir() / "kubernetes/psp-and-misspelt-hostport.yaml"));
  ASSERT_EQ(manifest.status, 201) << manifest.body;
  const json answer = json::parse(manifest.body);
  ASSERT_EQ(answer.at("warnings").size(), 1U);
  EXPECT_THAT(
      answer.at("warnings").at(0).get<std::string>(),
      HasSubstr("ds.yaml: line 50: /spec/template/spec/containers/0/ports/0/hostport: unknown field"));
  const auto error =
      server.upload("accounts/a", "rules.json", readFile(testDataDir() / "errors/neutron-error.json"));
  expectProblem(error, 422);
  EXPECT_THAT(json::parse(error.body).at("detail").get<std::string>(),
              HasSubstr("this is an error response from the API: Security group"));
  const auto pods = server.upload("clusters/c", "pods.json", readFile(kScenario / "pods.json"));
  EXPECT_FALSE(json::parse(pods.body).contains("warnings"));
}

// Test that bad requests get their status and a problem+json body, and that none of them stores anything.
TEST(ApiTest, BadInputIsRefusedAndNothingIsStored) {
  TempDir dir;
  ApiServer server(dir, {"--upload-limit", "65536"});
  const std::string json_type = "Content-Type: application/json\r\n";
  const auto malformed = server.upload("clusters/bad", "x.json", "{\"items\": [", json_type);
  expectProblem(malformed, 400);
  EXPECT_THAT(json::parse(malformed.body).at("detail").get<std::string>(), HasSubstr("x.json"));
  const auto unknown = server.upload("clusters/bad", "x.json", R"({"hello": "world"})", json_type);
  expectProblem(unknown, 422);
  EXPECT_THAT(json::parse(unknown.body).at("detail").get<std::string>(), HasSubstr("not a known input"));
  // The declared type does not matter, the content does: an unknown body is a 422 whatever its label.
  expectProblem(
      server.upload("clusters/bad", "x.json", "{}", "Content-Type: application/x-www-form-urlencoded\r\n"),
      422);
  const auto bomb = std::string(100000, '[') + std::string(100000, ']');
  // Over the nesting limit: 422, as for a document too deep for the streamed reader (it was 400 read whole).
  expectProblem(server.upload("clusters/bad", "bomb.json", bomb.substr(0, 60000), json_type), 422);
  // YAML that is not UTF-8 is refused, never stored.
  const auto latin1 = server.upload(
      "clusters/bad", "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n", json_type);
  expectProblem(latin1, 422);
  EXPECT_THAT(json::parse(latin1.body).at("detail").get<std::string>(),
              HasSubstr("cm.yaml: line 4: not UTF-8"));
  expectProblem(server.upload("clusters/bad", "big.json", std::string(70000, ' ') + "{}", json_type), 413);
  // A bad field inside a known document names its JSON pointer.
  json rules = json::parse(readFile(kScenario / "security-group-rules.json"));
  rules["security_group_rules"][6]["multiport"] = "80-70";
  const auto bad_rule = server.upload("accounts/bad", "rules.json", rules.dump(), json_type);
  expectProblem(bad_rule, 422);
  EXPECT_THAT(json::parse(bad_rule.body).at("detail").get<std::string>(),
              HasSubstr("/security_group_rules/6/multiport"));
  EXPECT_EQ(json::parse(bad_rule.body).at("errors").at(0).at("pointer"), "/security_group_rules/6/multiport");

  expectProblem(server.call("GET", "/api/v1/clusters"), 401);
  expectProblem(server.call("GET", "/api/v1/clusters", {}, "sga_wrong"), 401);
  expectProblem(server.call("POST", "/api/v1/clusters/bad/inputs", "{}", server.reader, json_type), 403);
  expectProblem(server.call("POST", "/api/v1/audits", "{\"cluster\": \"bad\"}", server.ingest, json_type),
                404);
  expectProblem(
      server.call("POST", "/api/v1/audits", "{\"cluster\": \"bad\", \"extra\": 1}", server.ingest, json_type),
      422);
  expectProblem(server.call("POST", "/api/v1/audits", "{\"cluster\": \"bad\"}", server.ingest,
                            "Content-Type: text/plain\r\n"),
                415);
  expectProblem(
      server.call("PUT", "/api/v1/policies/p", R"({"sensitive_ports": "ssh"})", server.admin, json_type),
      422);

  EXPECT_EQ(json::parse(server.call("GET", "/api/v1/clusters", {}, server.reader).body).at("items").size(),
            0U);
  EXPECT_EQ(json::parse(server.call("GET", "/api/v1/accounts", {}, server.reader).body).at("items").size(),
            0U);
  server.stop();
  auto db = db::Database::open(server.database());
  auto count = db.prepare(
      "SELECT (SELECT count(*) FROM inputs) + (SELECT count(*) FROM blobs) + "
      "(SELECT count(*) FROM snapshots) + (SELECT count(*) FROM policies)");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.getInt64(0), 0);
}

// Test that the server refuses an unauthenticated upload from its headers alone, before reading the body.
TEST(ApiTest, UploadRefusedBeforeBodyIsRead) {
  TempDir dir;
  ApiServer server(dir);
  HttpConnection connection(server.port, 10000);
  connection.send("POST /api/v1/clusters/x/inputs HTTP/1.1\r\nHost: t\r\nContent-Length: 500000000\r\n\r\n");
  const auto response = connection.read();
  expectProblem(response, 401);
  EXPECT_TRUE(connection.waitClosed(5000));
}

// Test that kill -9 in the middle of a large upload leaves a consistent database with no partial snapshot,
// and that the server restarts clean (its stale spool file removed) and serves.
TEST(ApiTest, KillNineDuringUploadLeavesNoTrace) {
  TempDir dir;
  ApiServer server(dir);
  {
    HttpConnection connection(server.port, 10000);
    connection.send(
        "POST /api/v1/clusters/big/inputs?name=pods.json HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
        server.ingest + "\r\nContent-Type: application/json\r\nContent-Length: 200000000\r\n\r\n");
    const std::string chunk(1 << 20, ' ');
    connection.send("{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [");
    for (int i = 0; i < 40; ++i)
      connection.send(chunk);
    const auto spool = dir / "spool";
    bool spooled = false;
    for (int i = 0; i < 100 && !spooled; ++i) {
      for (const auto& entry : std::filesystem::directory_iterator(spool)) {
        spooled = spooled || entry.path().filename().string().starts_with("sgaudit-upload");
      }
      if (!spooled) std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(spooled) << "the upload should be in the spool folder while it arrives";
    server.process->signal(SIGKILL);
    EXPECT_EQ(server.process->wait(10s), std::optional<int>(128 + SIGKILL));
  }
  {
    auto db = db::Database::open(server.database());
    auto check = db.prepare("PRAGMA integrity_check");
    ASSERT_TRUE(check.step());
    EXPECT_EQ(check.getText(0), "ok");
    auto snapshots = db.prepare("SELECT count(*) FROM snapshots");
    ASSERT_TRUE(snapshots.step());
    EXPECT_EQ(snapshots.getInt64(0), 0);
  }
  server.start();
  EXPECT_EQ(server.call("GET", "/readyz").status, 200);
  for (const auto& entry : std::filesystem::directory_iterator(dir / "spool")) {
    ADD_FAILURE() << "stale spool file left: " << entry.path();
  }
  EXPECT_EQ(server.upload("clusters/big", "pods.json", readFile(kScenario / "pods.json")).status, 201);
  server.stop();
}

// Test that /metrics counts requests by route pattern and status, ingest bytes, audits and findings by
// severity.
TEST(ApiTest, MetricsAndIndexPage) {
  TempDir dir;
  ApiServer server(dir);
  uploadScenario(server);
  runAudit(server);
  // Refused before routing: counted by route and status (a brute force shows), and by the server itself.
  for (int i = 0; i < 3; ++i)
    expectProblem(server.call("GET", "/api/v1/audits", {}, "sga_not-a-token"), 401);
  auto raw = server.connect();
  raw->send("GARBAGE\r\n\r\n");
  EXPECT_EQ(raw->read().status, 400);
  // Without a token: no findings, no schedule names (only with one, or --metrics-detail).
  const auto open = server.call("GET", "/metrics");
  EXPECT_THAT(open.body, ::testing::Not(HasSubstr("sgaudit_findings_total")));
  EXPECT_THAT(
      open.body,
      HasSubstr("sgaudit_http_requests_total{method=\"GET\",route=\"/api/v1/audits\",status=\"401\"} 3"));
  EXPECT_THAT(open.body,
              HasSubstr("sgaudit_http_requests_total{method=\"-\",route=\"refused\",status=\"400\"} 1"));
  EXPECT_THAT(open.body, HasSubstr("sgaudit_connections_refused_total 0"));
  const auto metrics = server.call("GET", "/metrics", {}, server.reader);
  ASSERT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.headers.at("content-type"), HasSubstr("text/plain; version=0.0.4"));
  EXPECT_THAT(
      metrics.body,
      HasSubstr("sgaudit_http_requests_total{method=\"POST\",route=\"/api/v1/clusters/{cluster}/inputs\","
                "status=\"201\"} 6"));
  EXPECT_THAT(
      metrics.body,
      HasSubstr("sgaudit_http_request_duration_seconds_bucket{route=\"/api/v1/audits\",le=\"+Inf\"}"));
  EXPECT_THAT(metrics.body, HasSubstr("sgaudit_ingest_bytes_total{scope=\"account\"}"));
  EXPECT_THAT(metrics.body, HasSubstr("sgaudit_audits_total{outcome=\"succeeded\"} 1"));
  EXPECT_THAT(metrics.body, HasSubstr("sgaudit_findings_total{severity=\"critical\"} 1"));
  EXPECT_THAT(metrics.body, HasSubstr("sgaudit_audit_duration_seconds_count 1"));

  expectProblem(server.call("GET", "/"), 401);
  const auto page = server.call("GET", "/", {}, server.reader);
  ASSERT_EQ(page.status, 200);
  EXPECT_THAT(page.headers.at("content-type"), HasSubstr("text/html"));
  EXPECT_THAT(page.headers.at("content-security-policy"), HasSubstr("default-src 'none'"));
  EXPECT_THAT(page.body, HasSubstr("<td>cce</td>"));
  EXPECT_THAT(page.body, HasSubstr("/report.json"));
  EXPECT_THAT(page.body, ::testing::Not(HasSubstr("http://")));
  EXPECT_THAT(page.body, ::testing::Not(HasSubstr("https://")));
}

// Test that `serve --demo` loads the cce-seed scenario on an empty database, audits it, and serves it without
// a token; a second start does not load it again.
TEST(ApiTest, DemoLoadsTheSeedScenario) {
  TempDir dir;
  ApiServer server(dir, {"--demo"});
  const auto audits = server.call("GET", "/api/v1/audits");
  ASSERT_EQ(audits.status, 200) << audits.body;
  const json items = json::parse(audits.body).at("items");
  ASSERT_EQ(items.size(), 1U);
  EXPECT_EQ(items.at(0).at("summary").at("findings"), 6);
  EXPECT_EQ(server.call("GET", "/").status, 200);
  // Reads are public in the demo; writes still need a token with the role (401 without one, 403 for a
  // reader).
  expectProblem(server.call("POST", "/api/v1/audits", R"({"cluster": "cce-demo"})", {},
                            "Content-Type: application/json\r\n"),
                401);
  expectProblem(server.call("POST", "/api/v1/audits", R"({"cluster": "cce-demo"})", server.reader,
                            "Content-Type: application/json\r\n"),
                403);
  server.stop();
  server.start({"--demo"});
  EXPECT_EQ(json::parse(server.call("GET", "/api/v1/audits").body).at("items").size(), 1U);
  // The demo's public reads are for the demo's data only: the first upload of anything else ends them, at
  // once and after a restart.
  ASSERT_EQ(server.upload("clusters/prod", "nodes.json", readFile(kScenario / "nodes.json")).status, 201);
  expectProblem(server.call("GET", "/api/v1/audits"), 401);
  EXPECT_EQ(server.call("GET", "/api/v1/audits", {}, server.reader).status, 200);
  server.stop();
  server.start({"--demo"});
  expectProblem(server.call("GET", "/api/v1/audits"), 401);
  EXPECT_EQ(json::parse(server.call("GET", "/api/v1/audits", {}, server.reader).body).at("items").size(), 1U);
  server.stop();
}

// Test that --demo on a database that already holds other data loads nothing and keeps reads behind tokens.
TEST(ApiTest, DemoLeavesAnExistingDatabaseAlone) {
  TempDir dir;
  ApiServer server(dir);
  uploadScenario(server);
  server.stop();
  server.start({"--demo"});
  expectProblem(server.call("GET", "/api/v1/audits"), 401);
  const auto scopes = server.call("GET", "/api/v1/clusters", {}, server.reader);
  ASSERT_EQ(scopes.status, 200) << scopes.body;
  EXPECT_THAT(scopes.body, ::testing::Not(HasSubstr("cce-demo")));
  server.stop();
  // A clear line says why, naming what the database holds.
  EXPECT_THAT(server.logText(), HasSubstr("demo: not loaded, and reads need a token"));
  EXPECT_THAT(server.logText(), HasSubstr("cce"));
}

// Test that policies are versioned: every PUT is a new version, and older ones stay readable.
TEST(ApiTest, PoliciesAreVersioned) {
  TempDir dir;
  ApiServer server(dir);
  const std::string json_type = "Content-Type: application/json\r\n";
  EXPECT_EQ(server.call("PUT", "/api/v1/policies/p", R"({"sensitive_ports": [22]})", server.admin, json_type)
                .status,
            201);
  const auto second =
      server.call("PUT", "/api/v1/policies/p", R"({"sensitive_ports": [22, 3389]})", server.admin, json_type);
  EXPECT_EQ(json::parse(second.body).at("version"), 2);
  EXPECT_EQ(json::parse(server.call("GET", "/api/v1/policies/p", {}, server.reader).body).at("policy"),
            json::parse(R"({"sensitive_ports": [22, 3389]})"));
  EXPECT_EQ(
      json::parse(server.call("GET", "/api/v1/policies/p?version=1", {}, server.reader).body).at("policy"),
      json::parse(R"({"sensitive_ports": [22]})"));
  expectProblem(server.call("GET", "/api/v1/policies/p?version=3", {}, server.reader), 404);
}

}  // namespace
}  // namespace sgaudit::test

namespace sgaudit::test {
namespace {

// Test the schedules resource: create, read, replace, list runs, delete; validation errors name their JSON
// pointer; metadata-address webhooks are refused; the next run shows in /metrics.
TEST(ApiScheduleTest, SchedulesCrudValidationAndMetrics) {
  TempDir dir;
  ApiServer server(dir);
  const std::string json_type = "Content-Type: application/json\r\n";
  const json spec = {{"name", "nightly"},
                     {"cron", "30 2 * * MON-FRI"},
                     {"time_zone", "Europe/Berlin"},
                     {"cluster", "cce"},
                     {"accounts", {"huawei"}},
                     {"policy", "seed"},
                     {"targets", json::array({{{"url", "https://hooks.example.com/sgaudit"},
                                               {"secret", "0123456789abcdef0123"},
                                               {"min_severity", "high"}}})}};
  // Naming a cluster, account and policy that do not exist yet: 422, each at its pointer.
  const auto early = server.call("POST", "/api/v1/schedules", spec.dump(), server.admin, json_type);
  expectProblem(early, 422);
  const json early_body = json::parse(early.body);
  std::vector<std::string> pointers;
  for (const auto& error : early_body.at("errors"))
    pointers.push_back(error.at("pointer").get<std::string>());
  EXPECT_EQ(pointers, (std::vector<std::string>{"/cluster", "/accounts/0", "/policy"}));
  uploadScenario(server);

  const auto created = server.call("POST", "/api/v1/schedules", spec.dump(), server.admin, json_type);
  ASSERT_EQ(created.status, 201) << created.body;
  const json schedule = json::parse(created.body);
  EXPECT_EQ(schedule.at("policy"), "seed");  // "policy", as audits take it
  const std::string url = "/api/v1/schedules/" + std::to_string(schedule.at("id").get<std::int64_t>());
  EXPECT_EQ(created.headers.at("location"), url);
  EXPECT_TRUE(schedule.contains("next_run_at")) << schedule.dump();
  EXPECT_THAT(created.body,
              ::testing::Not(HasSubstr("0123456789abcdef0123")));  // the secret never comes back

  expectProblem(server.call("POST", "/api/v1/schedules", spec.dump(), server.ingest, json_type), 403);
  expectProblem(server.call("POST", "/api/v1/schedules", spec.dump(), server.admin, json_type), 409);
  json bad = spec;
  bad["name"] = "other";
  bad["cron"] = "61 * * * *";
  const auto invalid = server.call("POST", "/api/v1/schedules", bad.dump(), server.admin, json_type);
  expectProblem(invalid, 422);
  EXPECT_EQ(json::parse(invalid.body).at("errors").at(0).at("pointer"), "/cron");
  bad["cron"] = "* * * * *";
  bad["policy"] = {{"workloads", json::array()}};
  expectProblem(server.call("POST", "/api/v1/schedules", bad.dump(), server.admin, json_type), 422);
  bad["policy"] = "seed";
  bad["policy_name"] = "seed";
  expectProblem(server.call("POST", "/api/v1/schedules", bad.dump(), server.admin, json_type), 422);
  bad.erase("policy_name");
  bad["targets"][0]["url"] = "http://169.254.169.254/latest/meta-data";
  const auto metadata = server.call("POST", "/api/v1/schedules", bad.dump(), server.admin, json_type);
  expectProblem(metadata, 422);
  EXPECT_THAT(json::parse(metadata.body).at("errors").at(0).at("pointer").get<std::string>(),
              HasSubstr("/targets/0"));

  EXPECT_EQ(json::parse(server.call("GET", url, {}, server.reader).body).at("cron"), "30 2 * * MON-FRI");
  json replaced = spec;
  replaced["cron"] = "*/15 * * * *";
  const auto put = server.call("PUT", url, replaced.dump(), server.admin, json_type);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(json::parse(put.body).at("cron"), "*/15 * * * *");
  EXPECT_EQ(json::parse(server.call("GET", "/api/v1/schedules", {}, server.reader).body).at("items").size(),
            1U);
  EXPECT_EQ(json::parse(server.call("GET", url + "/runs", {}, server.reader).body).at("items").size(), 0U);
  EXPECT_THAT(server.call("GET", "/metrics", {}, server.reader).body,
              HasSubstr("sgaudit_schedule_next_run_timestamp_seconds{schedule=\"nightly\"}"));
  EXPECT_THAT(server.call("GET", "/metrics").body, ::testing::Not(HasSubstr("nightly")));

  EXPECT_EQ(server.call("DELETE", url, {}, server.admin).status, 204);
  expectProblem(server.call("GET", url, {}, server.reader), 404);
  expectProblem(server.call("DELETE", url, {}, server.admin), 404);
  server.stop();
}

}  // namespace
}  // namespace sgaudit::test

namespace sgaudit::test {
namespace {

// Test the seed scenario end to end over HTTPS, and what the HTTPS port does with everything else: a
// client that trusts another certificate, plain HTTP, an offer of TLS 1.1 only, and a large upload
// refused before its body.
TEST(ApiTlsTest, CceSeedOverHttps) {
  TempDir dir;
  TlsServer tls(dir);
  ApiServer& server = tls.server;
  EXPECT_THAT(server.logText(), HasSubstr("https://127.0.0.1:"));
  EXPECT_THAT(server.logText(), HasSubstr("CN=sgaudit-first"));
  // Thirty days left: no warning.
  EXPECT_THAT(server.logText(), Not(HasSubstr("the TLS certificate expires soon")));
  EXPECT_THAT(server.logText(), Not(HasSubstr("the TLS certificate has expired")));

  const auto connection = server.connect();
  EXPECT_EQ(connection->peerCommonName(), "sgaudit-first");
  EXPECT_EQ(connection->protocol(), "TLSv1.3");
  EXPECT_EQ(connection->request("GET", "/healthz").status, 200);

  uploadScenario(server);
  const std::int64_t audit = runAudit(server);
  EXPECT_EQ(allFindings(server, audit).size(), 6U);
  const auto html =
      server.call("GET", "/api/v1/audits/" + std::to_string(audit) + "/report.html", {}, server.reader);
  ASSERT_EQ(html.status, 200);
  EXPECT_THAT(html.body, HasSubstr("10.1.0.55"));

  // A client that trusts a different certificate refuses this server.
  const auto stranger = writeSelfSignedCertificate(dir.path(), "stranger", "someone-else");
  EXPECT_THROW(HttpConnection(server.port, TlsClientOptions{stranger.certificate}), std::runtime_error);

  // Plain HTTP on the HTTPS port is told what to do.
  HttpConnection plain(server.port);
  const auto refused = plain.request("GET", "/healthz");
  expectProblem(refused, 400);
  EXPECT_THAT(refused.body, HasSubstr("https://"));

  // TLS 1.1 and older are not spoken.
  EXPECT_THROW(HttpConnection(server.port, TlsClientOptions{tls.files.certificate, TLS1_1_VERSION}),
               std::runtime_error);

  // An unauthenticated 500 MB upload is refused from its headers, over TLS too, and the connection ends.
  const auto upload = server.connect(10000);
  upload->send("POST /api/v1/clusters/x/inputs HTTP/1.1\r\nHost: t\r\nContent-Length: 500000000\r\n\r\n");
  expectProblem(upload->read(), 401);
  EXPECT_TRUE(upload->waitClosed(5000));

  EXPECT_EQ(server.call("GET", "/readyz").status, 200);
  server.stop();
}

// Test that a renewed certificate is served to new connections without a restart, and that a broken
// renewal keeps the previous certificate and says why.
TEST(ApiTlsTest, RenewedCertificateIsPickedUp) {
  TempDir dir;
  TlsServer tls(dir, {"--tls-reload-interval", "1"});
  ApiServer& server = tls.server;
  EXPECT_EQ(server.connect()->peerCommonName(), "sgaudit-first");
  // The client goes on trusting the first certificate, whatever happens to the server's file.
  const auto trusted = dir / "trusted.crt";
  std::filesystem::copy_file(tls.files.certificate, trusted);
  server.tls = TlsClientOptions{trusted};

  // The files are looked at when a connection arrives, at most once a second here.
  const auto connectAfterInterval = [&] {
    std::this_thread::sleep_for(1100ms);
    return server.connect()->peerCommonName();
  };
  writeFile(tls.files.certificate, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
  EXPECT_EQ(connectAfterInterval(), "sgaudit-first");
  EXPECT_THAT(server.logText(), HasSubstr("TLS certificate not reloaded; still serving the previous one"));
  EXPECT_THAT(server.logText(), HasSubstr("expected a PEM certificate chain"));
  EXPECT_EQ(server.call("GET", "/healthz").status, 200);

  // A renewal written beside the old files and moved over them, key first, as cert-manager and certbot do.
  const auto renewed = writeSelfSignedCertificate(dir.path(), "renewed", "sgaudit-second");
  std::filesystem::rename(renewed.private_key, tls.files.private_key);
  std::filesystem::rename(renewed.certificate, tls.files.certificate);
  server.tls = TlsClientOptions{tls.files.certificate};
  EXPECT_EQ(connectAfterInterval(), "sgaudit-second");
  EXPECT_THAT(server.logText(), HasSubstr("TLS certificate reloaded"));
  EXPECT_EQ(server.call("GET", "/healthz").status, 200);
  server.stop();
}

// Test that certificate and key files that cannot serve stop the server at start with a message naming
// the file, and that an expired certificate is served but logged as an error.
TEST(ApiTlsTest, BadCertificateFilesAreNamedAtStart) {
  TempDir dir;
  const auto good = writeSelfSignedCertificate(dir.path(), "good", "good");
  const auto other = writeSelfSignedCertificate(dir.path(), "other", "other");
  const auto garbage = dir / "garbage.crt";
  writeFile(garbage, "this is not a certificate\n");
  const auto serve = [&](const std::filesystem::path& certificate, const std::filesystem::path& key) {
    return runProcess({sgauditBinary().string(), "serve", "--listen", "127.0.0.1:0", "--db",
                       (dir / "tls.db").string(), "--no-scheduler", "--tls-cert", certificate.string(),
                       "--tls-key", key.string()});
  };
  const auto missing = serve(dir / "missing.crt", good.private_key);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr((dir / "missing.crt").string() + ": No such file or directory"));

  const auto not_pem = serve(garbage, good.private_key);
  EXPECT_EQ(not_pem.exit_code, 2);
  EXPECT_THAT(not_pem.err, HasSubstr("cannot use the TLS certificate " + garbage.string()));
  EXPECT_THAT(not_pem.err, HasSubstr("expected a PEM certificate chain"));

  const auto key_as_cert = serve(good.certificate, good.certificate);
  EXPECT_EQ(key_as_cert.exit_code, 2);
  EXPECT_THAT(key_as_cert.err, HasSubstr("cannot use the TLS private key " + good.certificate.string()));

  const auto mismatch = serve(good.certificate, other.private_key);
  EXPECT_EQ(mismatch.exit_code, 2);
  EXPECT_THAT(mismatch.err, HasSubstr("does not belong to the certificate " + good.certificate.string()));

  const auto half = runProcess({sgauditBinary().string(), "serve", "--db", (dir / "tls.db").string(),
                                "--tls-cert", good.certificate.string()});
  EXPECT_EQ(half.exit_code, 2);
  EXPECT_THAT(half.err, HasSubstr("--tls-key"));

  const auto expired = writeSelfSignedCertificate(dir.path(), "expired", "expired", -2);
  ApiServer server(dir,
                   {"--tls-cert", expired.certificate.string(), "--tls-key", expired.private_key.string()});
  EXPECT_THAT(server.logText(), HasSubstr("the TLS certificate has expired"));
  server.stop();

  // Five days left: served, with a warning.
  const auto expiring = writeSelfSignedCertificate(dir.path(), "expiring", "expiring", 5);
  server.start({"--tls-cert", expiring.certificate.string(), "--tls-key", expiring.private_key.string()});
  EXPECT_THAT(server.logText(), HasSubstr("the TLS certificate expires soon"));
  EXPECT_THAT(server.logText(), Not(HasSubstr("the TLS certificate has expired")));
  server.stop();
}

}  // namespace
}  // namespace sgaudit::test
