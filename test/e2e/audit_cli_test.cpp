// `sgaudit audit` as CI runs it: the cce-seed scenario end to end, through the real binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

#include "sgaudit/report/render.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace sgaudit {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

std::filesystem::path seed() {
  return test::testDataDir() / "scenarios/cce-seed";
}

test::ProcessResult audit(std::vector<std::string> args) {
  std::vector<std::string> argv = {test::sgauditBinary().string(), "audit"};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::runProcess(argv);
}

test::ProcessResult auditSeed(std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {seed().string(), "--policy", (seed() / "policy.json").string(),
                                   "--format",      "json",     "--today",
                                   "2026-11-25"};
  args.insert(args.end(), extra.begin(), extra.end());
  return audit(args);
}

const json* findingWith(const json& doc, const std::string& check) {
  for (const auto& finding : doc.at("findings")) {
    if (finding.at("check") == check) return &finding;
  }
  return nullptr;
}

// Test that the cce-seed audit reaches the six findings of the scenario's README with their evidence and
// fixes, and none of its negatives (kubelet and kube-proxy ports, 80/TCP from inside the VPC).
TEST(AuditCliTest, CceSeedSixFindings) {
  const auto result = auditSeed();
  ASSERT_EQ(result.exit_code, 1) << result.err;
  const json doc = json::parse(result.out);
  std::multiset<std::string> checks;
  for (const auto& finding : doc.at("findings"))
    checks.insert(finding.at("check").get<std::string>());
  EXPECT_EQ(checks, (std::multiset<std::string>{"hostport.capacity", "hostport.conflict",
                                                "hostport.undeclared", "sg.port-blocked",
                                                "sg.sensitive-port-exposed", "hostnetwork.dns-policy"}));

  const json* capacity = findingWith(doc, "hostport.capacity");
  ASSERT_NE(capacity, nullptr);
  EXPECT_THAT(capacity->dump(), HasSubstr("CrashLoopBackOff (13 restarts)"));
  EXPECT_THAT(capacity->dump(), HasSubstr("bind() to 0.0.0.0:80 failed (98: Address in use)"));

  const json* conflict = findingWith(doc, "hostport.conflict");
  ASSERT_NE(conflict, nullptr);
  EXPECT_EQ(conflict->at("node"), "10.1.0.55");
  EXPECT_THAT(conflict->at("title").get<std::string>(),
              HasSubstr("bound by pod nginx-6fdf99c8b-6wwft and wanted by pod nginx-6fdf99c8b-rglm7"));

  const json* blocked = findingWith(doc, "sg.port-blocked");
  ASSERT_NE(blocked, nullptr);
  EXPECT_EQ(blocked->at("port"), 80);
  EXPECT_THAT(blocked->at("detail").get<std::string>(), HasSubstr("10.1.0.0/16"));
  EXPECT_THAT(blocked->at("detail").get<std::string>(), HasSubstr("172.16.0.0/16"));
  EXPECT_THAT(blocked->at("detail").get<std::string>(), HasSubstr("members of cce-demo-cce-control-q8w3"));
  std::set<std::string> tools;
  for (const auto& fix : blocked->at("fixes"))
    tools.insert(fix.at("tool").get<std::string>());
  EXPECT_EQ(tools, (std::set<std::string>{"huawei-api", "hcloud", "terraform"}));
  EXPECT_THAT(blocked->at("fixes")[0].at("content").get<std::string>(),
              HasSubstr("\"remote_ip_prefix\": \"0.0.0.0/0\""));

  const json* exposed = findingWith(doc, "sg.sensitive-port-exposed");
  ASSERT_NE(exposed, nullptr);
  EXPECT_EQ(exposed->at("port"), 22);
  EXPECT_THAT(exposed->at("title").get<std::string>(), HasSubstr("Remote login to the node"));

  for (const auto& finding : doc.at("findings")) {
    if (finding.contains("port")) {
      EXPECT_NE(finding.at("port"), 10250);
      EXPECT_NE(finding.at("port"), 10256);
    }
  }
  for (const auto& cell : doc.at("matrix")) {
    if (cell.at("port") == 80) {
      EXPECT_EQ(cell.at("status"), "partial");
    }
  }
}

// Test the JSON output against its golden file (SGAUDIT_UPDATE_GOLDEN=1 rewrites it for review).
// Test that --no-verify-fixes skips the proof: the same findings and fixes, none of them marked, where the
// default run marks every fix it wrote from a plan or a workload change.
TEST(AuditCliTest, NoVerifyFixesLeavesFixesUnmarked) {
  const auto proven = auditSeed();
  const auto unproven = auditSeed({"--no-verify-fixes"});
  ASSERT_EQ(proven.exit_code, 1) << proven.err;
  ASSERT_EQ(unproven.exit_code, 1) << unproven.err;
  const json with = json::parse(proven.out);
  const json without = json::parse(unproven.out);
  ASSERT_EQ(with.at("findings").size(), without.at("findings").size());
  std::size_t marked = 0;
  for (std::size_t i = 0; i < with.at("findings").size(); ++i) {
    EXPECT_EQ(with["findings"][i]["fingerprint"], without["findings"][i]["fingerprint"]);
    for (const auto& fix : with["findings"][i]["fixes"])
      marked += fix.contains("verified") ? 1 : 0;
    for (const auto& fix : without["findings"][i]["fixes"])
      EXPECT_FALSE(fix.contains("verified")) << fix.dump();
  }
  EXPECT_GT(marked, 0U);
}

TEST(AuditCliTest, CceSeedJsonGolden) {
  const auto result = auditSeed();
  ASSERT_EQ(result.exit_code, 1) << result.err;
  const json doc = json::parse(result.out);
  const auto golden = test::testDataDir() / "golden/cce-seed-audit.json";
  const std::string actual = doc.dump(2) + "\n";
  if (std::getenv("SGAUDIT_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden, std::ios::binary) << actual;
    FAIL() << "rewrote " << golden << "; review the diff and run again without SGAUDIT_UPDATE_GOLDEN";
  }
  EXPECT_EQ(actual, test::readFile(golden));
}

// Test that fingerprints and findings do not depend on the order the files are given in.
TEST(AuditCliTest, FingerprintsStableAcrossInputOrder) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(seed())) {
    const auto ext = entry.path().extension();
    if (entry.is_regular_file() && entry.path().filename() != "policy.json" && ext != ".md") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  auto fingerprints = [](std::vector<std::string> args) {
    args.insert(args.end(), {"--policy", (seed() / "policy.json").string(), "--format", "json"});
    const auto result = audit(args);
    EXPECT_EQ(result.exit_code, 1) << result.err;
    std::vector<std::string> out;
    const json doc = json::parse(result.out);
    for (const auto& finding : doc.at("findings"))
      out.push_back(finding.at("fingerprint"));
    return out;
  };
  const auto forward = fingerprints(files);
  std::reverse(files.begin(), files.end());
  EXPECT_EQ(forward, fingerprints(files));
  EXPECT_EQ(forward.size(), 6U);
}

// Test --fail-on and suppressions: suppressing the one critical finding makes --fail-on critical pass.
TEST(AuditCliTest, FailOnAndSuppressions) {
  EXPECT_EQ(auditSeed({"--fail-on", "critical"}).exit_code, 1);
  test::TempDir dir;
  const auto policy = dir / "policy.json";
  std::ofstream(policy) << R"({"workloads": [{"namespace": "default", "kind": "Deployment", "name": "nginx",
    "required_sources": ["0.0.0.0/0"]}], "suppressions": [{"check": "sg.sensitive-port-exposed",
    "subject": "Node/10.1.0.55", "reason": "bastion migration in progress", "expires": "2099-01-01"}]})";
  const auto result =
      audit({seed().string(), "--policy", policy.string(), "--format", "json", "--fail-on", "critical"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json doc = json::parse(result.out);
  const json* exposed = findingWith(doc, "sg.sensitive-port-exposed");
  ASSERT_NE(exposed, nullptr);
  EXPECT_EQ(exposed->at("suppressed").at("reason"), "bastion migration in progress");
}

// Test that bad inputs exit 2 with a message naming the file and what is wrong, and write nothing to stdout.
TEST(AuditCliTest, BadInputExits2) {
  test::TempDir dir;
  std::ofstream(dir / "mystery.json") << R"({"hello": 1, "world": [2]})";
  auto unknown = audit({(dir / "mystery.json").string()});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("mystery.json: not a known input (top-level keys: hello, world)"));
  EXPECT_TRUE(unknown.out.empty());

  std::ofstream(dir / "broken.json") << R"({"security_group_rules": [)";
  EXPECT_THAT(audit({(dir / "broken.json").string()}).err, HasSubstr("broken.json: byte "));

  std::ofstream(dir / "deep.json") << std::string(10000, '[') << std::string(10000, ']');
  EXPECT_THAT(audit({(dir / "deep.json").string()}).err, HasSubstr("nested deeper than"));

  std::ofstream(dir / "bad-policy.json")
      << R"({"workloads": [{"required_sources": ["internet", "nowhere"]}]})";
  const auto policy = audit({seed().string(), "--policy", (dir / "bad-policy.json").string()});
  EXPECT_EQ(policy.exit_code, 2);
  EXPECT_THAT(policy.err, HasSubstr("bad-policy.json: /workloads/0/required_sources/1: \"nowhere\""));

  EXPECT_EQ(audit({(dir / "missing").string()}).exit_code, 2);
}

// Test that nothing given is dropped without a word: a socket file named after no node, the policy lying in
// the audited folder, and a cluster given without any cloud input are each a warning, counted in the summary
// line, listed before the findings in text and in the JSON report; with --output the console still gets the
// summary and the warnings.
TEST(AuditCliTest, InputsNotUsedAreWarnings) {
  test::TempDir dir;
  const auto folder = dir / "cce-seed";
  std::filesystem::copy(seed(), folder, std::filesystem::copy_options::recursive);
  std::filesystem::copy_file(folder / "node-sockets" / "10.1.0.55.txt",
                             folder / "node-sockets" / "ghost.txt");

  const auto text = audit({folder.string(), "--today", "2026-11-25"});
  EXPECT_EQ(text.exit_code, 1) << text.err;
  EXPECT_THAT(text.out, HasSubstr(", 2 warning(s)\n"));
  EXPECT_THAT(text.out,
              HasSubstr("warning: cce-seed/policy.json is an sgaudit policy and was not applied: give "
                        "it with --policy"));
  EXPECT_THAT(text.out, HasSubstr("warning: cce-seed/node-sockets/ghost.txt: no node is named \"ghost\""));
  EXPECT_LT(text.out.find("warning: "), text.out.find("[critical]")) << "warnings come before the findings";

  // The policy given with --policy is applied, and not warned of.
  const auto with_policy =
      audit({folder.string(), "--policy", (folder / "policy.json").string(), "--format", "json"});
  ASSERT_EQ(with_policy.exit_code, 1) << with_policy.err;
  const json doc = json::parse(with_policy.out);
  ASSERT_EQ(doc.at("warnings").size(), 1U) << doc.at("warnings").dump();
  EXPECT_THAT(doc.at("warnings")[0].get<std::string>(), HasSubstr("ghost.txt"));

  // The cluster alone: no firewall check ran, and the summary says so.
  const auto cluster = dir / "cluster";
  std::filesystem::create_directories(cluster);
  for (const char* name : {"nodes.json", "pods.json", "deployments.json"})
    std::filesystem::copy_file(seed() / name, cluster / name);
  const auto written = audit({cluster.string(), "--format", "html", "--output", (dir / "r.html").string()});
  EXPECT_NE(written.exit_code, 2) << written.err;  // a verdict, not a usage error
  EXPECT_THAT(written.out, HasSubstr(", 1 warning(s), written to "));
  EXPECT_THAT(written.out,
              HasSubstr("warning: no cloud input was given (no security groups or instances): no "
                        "firewall check ran"));
  EXPECT_THAT(test::readFile(dir / "r.html"), HasSubstr("no cloud input was given"));
}

// Test that a dump folder (the seed scenario with a sonobuoy-like folder's other files beside it) audits as
// the scenario does, lists the files that are not inputs as skipped in the text summary, the JSON report's
// inputs and its warnings, while the same file named on the command line is still an error.
TEST(AuditCliTest, FolderSkipsFilesThatAreNotInputs) {
  test::TempDir dir;
  const auto dump = dir / "dump";
  std::filesystem::create_directories(dump / "meta");
  std::filesystem::copy(seed(), dump / "cce-seed", std::filesystem::copy_options::recursive);
  std::ofstream(dump / "serverversion.json") << R"({"major": "1", "minor": "28", "gitVersion": "v1.28.3"})";
  std::ofstream(dump / "meta" / "query-time.txt") << "Pods took 12.345ms\n";
  std::ofstream(dump / "sonobuoy_results.yaml") << "name: e2e\nstatus: passed\n";
  const std::vector<std::string> policy = {"--policy", (seed() / "policy.json").string(), "--today",
                                           "2026-11-25"};

  std::vector<std::string> args = {dump.string()};
  args.insert(args.end(), policy.begin(), policy.end());
  const auto text = audit(args);
  EXPECT_EQ(text.exit_code, 1) << text.err;  // the scenario's findings
  EXPECT_THAT(text.out, HasSubstr("sgaudit: 6 finding(s)"));
  EXPECT_THAT(text.out, HasSubstr("warning: skipped dump/serverversion.json: not a known input"));
  EXPECT_THAT(text.out,
              HasSubstr("warning: skipped dump/sonobuoy_results.yaml: YAML without a top-level kind"));
  EXPECT_THAT(text.out, HasSubstr("3 file(s) skipped as not inputs"));

  args.insert(args.end(), {"--format", "json"});
  const auto report = audit(args);
  ASSERT_EQ(report.exit_code, 1) << report.err;
  const json doc = json::parse(report.out);
  std::set<std::string> skipped;
  for (const auto& input : doc.at("inputs")) {
    if (input.at("kind") == "skipped") skipped.insert(input.at("name").get<std::string>());
  }
  EXPECT_EQ(skipped, (std::set<std::string>{"dump/meta/query-time.txt", "dump/serverversion.json",
                                            "dump/sonobuoy_results.yaml"}));

  const auto named = audit({(dump / "serverversion.json").string()});
  EXPECT_EQ(named.exit_code, 2);
  EXPECT_THAT(named.err, HasSubstr("serverversion.json: not a known input"));
}

// Test the API server's pods with a node's `ss -tlnp` end to end: node_exporter's socket belongs to the
// node-exporter container (its image's name), so its declared host port is no collision; a process named
// otherwise is the node's, and the finding says why it was not matched.
TEST(AuditCliTest, SocketsMatchContainersAsNamed) {
  test::TempDir dir;
  std::filesystem::copy(test::testDataDir() / "kubernetes/api/pods.json", dir / "pods.json");
  std::ifstream in(test::testDataDir() / "node/ss/worker-1.txt");
  const std::string listing((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(dir / "10.1.0.55.txt") << listing;
  const auto matched = audit({dir.path().string(), "--format", "json"});
  ASSERT_EQ(matched.exit_code, 0) << matched.err << matched.out;
  EXPECT_TRUE(json::parse(matched.out).at("findings").empty());

  std::string renamed = listing;
  renamed.replace(renamed.find("\"node_exporter\""), 15, "\"exporterd\"");
  std::ofstream(dir / "10.1.0.55.txt", std::ios::trunc) << renamed;
  const auto unmatched = audit({dir.path().string(), "--format", "json"});
  ASSERT_EQ(unmatched.exit_code, 1) << unmatched.err;
  const json report = json::parse(unmatched.out);
  const json* reserved = findingWith(report, "hostport.reserved");
  ASSERT_NE(reserved, nullptr) << unmatched.out;
  EXPECT_THAT(reserved->dump(),
              HasSubstr("not matched to a container: no hostNetwork container on the node is "
                        "named like the process"));
}

test::ProcessResult auditSeedAs(const std::string& format, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {seed().string(), "--policy",   (seed() / "policy.json").string(),
                                   "--today",       "2026-11-25", "--format",
                                   format};
  args.insert(args.end(), extra.begin(), extra.end());
  return audit(args);
}

// Test --format html, sarif and csv: each is the report library's rendering of the audit's own JSON
// document, with the scenario folder as the scope, --today as the time and the policy file as given.
TEST(AuditCliTest, CceSeedReportFormats) {
  const auto json_run = auditSeed();
  ASSERT_EQ(json_run.exit_code, 1) << json_run.err;
  report::ReportMeta meta;
  meta.scope = "cce-seed";
  meta.audited_at = "2026-11-25";
  meta.policy = json::parse(test::readFile(seed() / "policy.json"));
  auto view = report::reportViewFromJson(json::parse(json_run.out), meta);
  ASSERT_TRUE(view) << view.error().message;

  const auto html = auditSeedAs("html");
  EXPECT_EQ(html.exit_code, 1) << html.err;
  EXPECT_EQ(html.out, report::renderHtml(*view));
  EXPECT_THAT(html.out, HasSubstr("<meta http-equiv=\"Content-Security-Policy\""));
  EXPECT_THAT(html.out, HasSubstr("data-node=\"10.1.0.55\" data-port=\"80/TCP\" data-internet=\"blocked\""));

  const auto sarif = auditSeedAs("sarif");
  EXPECT_EQ(sarif.exit_code, 1) << sarif.err;
  EXPECT_EQ(sarif.out, report::renderSarif(*view));
  EXPECT_EQ(json::parse(sarif.out).at("runs")[0].at("results").size(), 6U);

  const auto csv = auditSeedAs("csv");
  EXPECT_EQ(csv.exit_code, 1) << csv.err;
  EXPECT_EQ(csv.out, report::renderCsv(*view));
  EXPECT_EQ(csv.out.rfind("severity,check,title,", 0), 0U);

  test::TempDir dir;
  const auto written = auditSeedAs("html", {"--output", (dir / "report.html").string()});
  EXPECT_EQ(written.exit_code, 1) << written.err;
  // The report went to the file; the console still gets the one-line summary, and no report.
  EXPECT_EQ(written.out, "sgaudit: 6 finding(s) (1 critical, 3 high, 1 medium, 1 info), written to " +
                             (dir / "report.html").string() + "\n");
  EXPECT_EQ(test::readFile(dir / "report.html"), html.out);
}

// Test that an unknown format is bad usage (exit 2) and names the formats there are.
// Test that --timings names each step of the audit, with its seconds, and the peak memory on stderr, and
// leaves the report as it was.
TEST(AuditCliTest, TimingsNameEachStepOnStderr) {
  const auto plain = auditSeed();
  const auto timed = auditSeed({"--timings"});
  ASSERT_EQ(timed.exit_code, 1) << timed.err;
  EXPECT_EQ(json::parse(timed.out).at("findings"), json::parse(plain.out).at("findings"));
  EXPECT_THAT(plain.err, ::testing::Not(HasSubstr("timings:")));
  for (const char* step : {"read inputs ", "map nodes ", "host-port reach ", "sensitive ports ",
                           "prove fixes ", "render fixes ", "write the report "})
    EXPECT_THAT(timed.err, HasSubstr(step)) << step;
  EXPECT_THAT(timed.err,
              ::testing::ContainsRegex("timings: read inputs [0-9]+\\.[0-9]{2} s \\([0-9]+ MB\\), "));
  EXPECT_THAT(timed.err, ::testing::ContainsRegex("total [0-9]+\\.[0-9]{2} s, peak memory [1-9][0-9]* MB"));
  const auto unproven = auditSeed({"--timings", "--no-verify-fixes"});
  EXPECT_THAT(unproven.err, ::testing::Not(HasSubstr("prove fixes")));
}

TEST(AuditCliTest, UnknownFormatExits2) {
  const auto result = auditSeedAs("pdf");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("html"));
  EXPECT_TRUE(result.out.empty());
}

// A node's /proc as `sgaudit agent --proc` reads it: the kernel's socket tables and, for each process, its
// comm and fd links "socket:[inode]".
struct FakeProc {
  explicit FakeProc(const std::filesystem::path& root) : root_(root) {
    std::filesystem::create_directories(root_ / "net");
  }
  void table(const std::string& name, const std::vector<std::string>& rows) const {
    std::ofstream file(root_ / "net" / name);
    file << "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
            "inode\n";
    int sl = 0;
    for (const auto& row : rows)
      file << "   " << sl++ << ": " << row << "\n";
  }
  void process(int pid, const std::string& comm, const std::vector<unsigned long>& inodes) const {
    const auto dir = root_ / std::to_string(pid);
    std::filesystem::create_directories(dir / "fd");
    std::ofstream(dir / "comm") << comm << "\n";
    int fd = 3;
    for (const auto inode : inodes)
      std::filesystem::create_symlink("socket:[" + std::to_string(inode) + "]",
                                      dir / "fd" / std::to_string(fd++));
  }

 private:
  std::filesystem::path root_;
};

// A LISTEN (0A) or bound UDP (07) row of /proc/net/tcp*: local address:port in the kernel's hex, an inode.
std::string row(const std::string& local, const char* state, unsigned long inode) {
  const std::string peer = local.size() > 16 ? std::string(32, '0') + ":0000" : "00000000:0000";
  return local + " " + peer + " " + state + " 00000000:00000000 00:00000000 00000000     0        0 " +
         std::to_string(inode) + " 1 0000000000000000 100 0 0 10 0";
}

// Test issue 19's agent end to end: the seed node's sockets as its kernel holds them, written by
// `sgaudit agent --once` in place of the node's ss file, audit to the same findings as `ss -Htulnp` gave.
TEST(AuditCliTest, AgentOutputAuditsAsTheNodesSs) {
  test::TempDir dir;
  FakeProc proc(dir / "proc");
  const std::string any6(32, '0');
  const std::string loopback6 = "00000000000000000000000001000000";
  proc.table("tcp", {row("00000000:0050", "0A", 101), row("00000000:0016", "0A", 102),
                     row("0100007F:2808", "0A", 103), row("0100007F:2809", "0A", 104),
                     row("0100007F:A113", "0A", 105),
                     // an established connection is no listener
                     row("0A01003F:0016", "01", 120)});
  proc.table("tcp6", {row(any6 + ":280A", "0A", 106), row(any6 + ":2810", "0A", 107),
                      row(any6 + ":0050", "0A", 108), row(any6 + ":0016", "0A", 109)});
  proc.table("udp", {row("0100007F:0143", "07", 110)});
  proc.table("udp6", {row(loopback6 + ":0143", "07", 111)});
  for (const int pid : {30211, 30210, 30174})
    proc.process(pid, "nginx", {101, 108});
  proc.process(1021, "sshd", {102, 109, 120});
  proc.process(1893, "kubelet", {103, 106});
  proc.process(2310, "kube-proxy", {104, 107});
  proc.process(1402, "dockerd", {105});
  proc.process(812, "chronyd", {110, 111});

  const auto copy = dir / "scenario";
  std::filesystem::copy(seed(), copy, std::filesystem::copy_options::recursive);
  std::filesystem::remove(copy / "node-sockets" / "10.1.0.55.txt");
  const auto agent =
      test::runProcess({test::sgauditBinary().string(), "agent", "--once", "--node-name", "10.1.0.55",
                        "--out", (copy / "node-sockets").string(), "--proc", (dir / "proc").string()});
  ASSERT_EQ(agent.exit_code, 0) << agent.err;
  EXPECT_THAT(agent.err, HasSubstr("11 listening sockets of node 10.1.0.55"));
  const std::string written = test::readFile(copy / "node-sockets" / "10.1.0.55.txt");
  EXPECT_THAT(written, HasSubstr("tcp LISTEN 0 0 0.0.0.0:80 0.0.0.0:* users:((\"nginx\",pid="));
  EXPECT_THAT(written, HasSubstr("udp UNCONN 0 0 [::1]:323 [::]:* users:((\"chronyd\",pid=812))"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(copy / "node-sockets"),
                          std::filesystem::directory_iterator()),
            1)
      << "no partial file is left beside the node's";

  auto findings = [](const std::filesystem::path& scenario) {
    const auto result = audit({scenario.string(), "--policy", (scenario / "policy.json").string(), "--format",
                               "json", "--today", "2026-11-25"});
    EXPECT_EQ(result.exit_code, 1) << result.err;
    json doc = json::parse(result.out);
    std::vector<std::string> out;
    for (const auto& finding : doc.at("findings"))
      out.push_back(finding.at("check").get<std::string>() + " " +
                    finding.at("fingerprint").get<std::string>() + " " +
                    finding.at("title").get<std::string>() + " " + finding.at("detail").get<std::string>());
    return out;
  };
  const auto expected = findings(seed());
  EXPECT_EQ(expected.size(), 6U);
  EXPECT_EQ(findings(copy), expected);

  const auto bad = test::runProcess({test::sgauditBinary().string(), "agent", "--once", "--node-name",
                                     "../etc", "--out", (dir / "x").string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("is not a node name"));
}

}  // namespace
}  // namespace sgaudit
