// The sgaudit binary as a user runs it: exit codes, messages, and `serve` under SIGTERM.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "sgaudit/db/migrator.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace sgaudit {
namespace {

using test::ProcessResult;
using test::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

ProcessResult sgaudit(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env = {},
                      const std::filesystem::path& cwd = {}) {
  std::vector<std::string> argv = {test::sgauditBinary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::runProcess(argv, env, cwd);
}

std::size_t lineCount(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Test that the top-level help names every command and how configuration works.
TEST(CliTest, HelpReadsClearly) {
  const auto result = sgaudit({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  for (const char* word : {"serve", "migrate", "version", "SGAUDIT_"})
    EXPECT_THAT(result.out, HasSubstr(word));
}

// Test that `serve --help` documents each setting with its environment variable and default.
TEST(CliTest, ServeHelpNamesEnvironment) {
  const auto result = sgaudit({"serve", "--help"});
  EXPECT_EQ(result.exit_code, 0);
  for (const char* word : {"SGAUDIT_LISTEN", "127.0.0.1:8080", "SGAUDIT_DB", "./var/sgaudit.db",
                           "SGAUDIT_LOG_LEVEL", "SGAUDIT_LOG_FORMAT", "--workers"}) {
    EXPECT_THAT(result.out, HasSubstr(word));
  }
}

// Test that an unknown flag exits 2 with one line that names it.
TEST(CliTest, UnknownFlagExits2WithOneLine) {
  const auto result = sgaudit({"serve", "--bogus"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(lineCount(result.err), 1U) << result.err;
  EXPECT_THAT(result.err, HasSubstr("--bogus"));
}

// Test that bad configuration from the environment exits 2 with one line naming the setting.
TEST(CliTest, BadEnvironmentConfigExits2) {
  TempDir dir;
  const std::map<std::string, std::string> db = {{"SGAUDIT_DB", (dir / "x.db").string()}};
  for (const auto& [key, value, expect] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"SGAUDIT_LISTEN", "localhost", "--listen"},
           {"SGAUDIT_LOG_FORMAT", "xml", "--log-format"},
           {"SGAUDIT_LOG_LEVEL", "loud", "--log-level"},
           {"SGAUDIT_WORKERS", "0", "--workers"}}) {
    auto env = db;
    env[key] = value;
    const auto result = sgaudit({"serve"}, env);
    EXPECT_EQ(result.exit_code, 2) << key;
    EXPECT_EQ(lineCount(result.err), 1U) << result.err;
    EXPECT_THAT(result.err, HasSubstr(expect));
  }
}

// Test that a database path that cannot be written exits 2 with one line naming it.
TEST(CliTest, UnwritableDatabaseExits2) {
  TempDir dir;
  const auto blocker = dir / "not-a-folder";
  { std::ofstream(blocker) << "x"; }
  const auto result = sgaudit({"migrate", "--db", (blocker / "sgaudit.db").string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(lineCount(result.err), 1U) << result.err;
  EXPECT_THAT(result.err, HasSubstr(blocker.string()));
}

// Test that `migrate` creates the default ./var/sgaudit.db, and says so; a second run says it is up to date.
TEST(CliTest, MigrateCreatesDefaultDatabase) {
  TempDir dir;
  const auto first = sgaudit({"migrate"}, {}, dir.path());
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("applied 0001_init"));
  EXPECT_TRUE(std::filesystem::exists(dir / "var/sgaudit.db"));
  const auto second = sgaudit({"migrate"}, {}, dir.path());
  EXPECT_EQ(second.exit_code, 0);
  EXPECT_THAT(second.out, HasSubstr("up to date"));
}

// Test that a database from a newer sgaudit is refused by the binary (exit 2) and left unchanged.
TEST(CliTest, NewerSchemaRefusedByBinary) {
  TempDir dir;
  const auto path = dir / "newer.db";
  {
    auto db = db::Database::open(path);
    db::Migrator::embedded().migrate(db);
    db.prepare("INSERT INTO schema_migrations (version, name, checksum) VALUES (99, 'future', 'x')").run();
  }
  const std::string before = test::readFile(path);
  const auto result = sgaudit({"serve", "--listen", "127.0.0.1:0", "--db", path.string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("database schema 99 is newer than this build"));
  EXPECT_EQ(test::readFile(path), before);
}

// Test that `version --json` prints the build and schema version.
TEST(CliTest, VersionJson) {
  const auto result = sgaudit({"version", "--json"});
  ASSERT_EQ(result.exit_code, 0);
  const auto doc = nlohmann::json::parse(result.out);
  EXPECT_EQ(doc.at("schema_version"), db::Migrator::embedded().latestVersion());
}

struct RunningServer {
  std::unique_ptr<test::ChildProcess> process;
  std::uint16_t port = 0;
  std::filesystem::path log;
};

RunningServer startServe(const TempDir& dir, const std::map<std::string, std::string>& extra = {}) {
  RunningServer server;
  server.log = dir / "serve.log";
  std::map<std::string, std::string> env = {{"SGAUDIT_LISTEN", "127.0.0.1:0"},
                                            {"SGAUDIT_DB", (dir / "serve.db").string()}};
  env.insert(extra.begin(), extra.end());
  server.process = std::make_unique<test::ChildProcess>(
      std::vector<std::string>{test::sgauditBinary().string(), "serve"}, env, dir.path(), server.log);
  const std::string text = test::waitForText(server.log, "127.0.0.1:", 10s);
  std::smatch match;
  if (std::regex_search(text, match, std::regex(R"(http://127\.0\.0\.1:(\d+))"))) {
    server.port = static_cast<std::uint16_t>(std::stoi(match[1]));
  }
  return server;
}

// Test that `sgaudit serve` answers /healthz, logs access without query strings, and exits 0 on SIGTERM.
TEST(CliTest, ServeAnswersAndExitsZeroOnSigterm) {
  TempDir dir;
  auto server = startServe(dir);
  ASSERT_NE(server.port, 0) << test::readFile(server.log);
  const auto health = test::httpGet(server.port, "/healthz?token=s3cret");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(nlohmann::json::parse(health.body).at("status"), "ok");
  test::HttpConnection idle(server.port);
  EXPECT_EQ(idle.request("GET", "/readyz").status, 200);

  server.process->signal(SIGTERM);
  EXPECT_EQ(server.process->wait(10s), std::optional<int>(0));
  const std::string log = test::readFile(server.log);
  EXPECT_THAT(log, HasSubstr("method=GET path=/healthz status=200"));
  EXPECT_THAT(log, Not(HasSubstr("s3cret")));
  EXPECT_THAT(log, HasSubstr("stopped clean=true"));
}

// Test that JSON logging writes one JSON object per line.
TEST(CliTest, JsonLogFormat) {
  TempDir dir;
  auto server = startServe(dir, {{"SGAUDIT_LOG_FORMAT", "json"}});
  ASSERT_NE(server.port, 0) << test::readFile(server.log);
  EXPECT_EQ(test::httpGet(server.port, "/nope").status, 404);
  server.process->signal(SIGINT);
  EXPECT_EQ(server.process->wait(10s), std::optional<int>(0));
  std::istringstream lines(test::readFile(server.log));
  int access = 0;
  for (std::string line; std::getline(lines, line);) {
    const auto doc = nlohmann::json::parse(line);
    if (doc.at("msg") == "http") {
      ++access;
      EXPECT_EQ(doc.at("status"), 404);
      EXPECT_EQ(doc.at("path"), "/nope");
    }
  }
  EXPECT_EQ(access, 1);
}

// Test that a port already in use fails with a message naming the address.
TEST(CliTest, PortInUseIsAClearError) {
  TempDir dir;
  auto first = startServe(dir);
  ASSERT_NE(first.port, 0);
  TempDir other;
  const auto result = sgaudit(
      {"serve", "--listen", "127.0.0.1:" + std::to_string(first.port), "--db", (other / "x.db").string()});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.err, HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(first.port)));
  first.process->signal(SIGTERM);
  EXPECT_EQ(first.process->wait(10s), std::optional<int>(0));
}

// A /proc with one node's socket tables and the processes holding them (the agent reads --proc).
void writeFakeProc(const std::filesystem::path& root, const std::string& tcp_port_hex) {
  std::filesystem::create_directories(root / "net");
  const std::string header =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
  std::ofstream(root / "net" / "tcp")
      << header << "   0: 00000000:" << tcp_port_hex
      << " 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
         "4711 1 0000000000000000 100 0 0 10 0\n";
  std::ofstream(root / "net" / "udp") << header;
  std::filesystem::create_directories(root / "812" / "fd");
  std::ofstream(root / "812" / "comm") << "nginx\n";
  std::error_code ignored;
  std::filesystem::remove(root / "812" / "fd" / "3", ignored);
  std::filesystem::create_symlink("socket:[4711]", root / "812" / "fd" / "3");
}

std::string createToken(const std::filesystem::path& db, const std::string& role) {
  const auto result = sgaudit({"token", "create", "--role", role, "--db", db.string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.out.substr(0, result.out.find('\n'));
}

// Test that the agent pushes the node's sockets into the cluster's snapshot as <node>.txt with an ingest
// token, that the same sockets again change nothing, that a reader token is refused with what it lacks, and
// that the agent's loop stops clean on SIGTERM.
TEST(CliTest, AgentPushesTheNodesSocketsToTheServer) {
  TempDir dir;
  auto server = startServe(dir);
  ASSERT_NE(server.port, 0) << test::readFile(server.log);
  const auto db = dir / "serve.db";
  std::ofstream(dir / "ingest.token") << createToken(db, "ingest") << "\n";
  const std::string reader = createToken(db, "reader");
  std::ofstream(dir / "reader.token") << reader;
  writeFakeProc(dir / "proc", "0050");
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port);
  const std::vector<std::string> push = {"agent",     "--server", url,
                                         "--cluster", "prod",     "--node-name",
                                         "10.1.0.55", "--proc",   (dir / "proc").string()};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = push;
    args.insert(args.end(), extra.begin(), extra.end());
    return sgaudit(args);
  };

  auto result = with({"--once", "--token-file", (dir / "ingest.token").string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err,
            "sgaudit: 1 listening sockets of node 10.1.0.55 pushed to cluster prod on " + url + "\n");
  result = with({"--once", "--token-file", (dir / "ingest.token").string()});
  EXPECT_THAT(result.err, HasSubstr("(unchanged)"));

  test::HttpConnection api(server.port);
  const auto cluster =
      api.request("GET", "/api/v1/clusters/prod", "", "Authorization: Bearer " + reader + "\r\n");
  ASSERT_EQ(cluster.status, 200) << cluster.body;
  const auto inputs = nlohmann::json::parse(cluster.body).at("latest_snapshot").at("inputs");
  ASSERT_EQ(inputs.size(), 1u);
  EXPECT_EQ(inputs[0].at("name"), "10.1.0.55.txt");
  EXPECT_EQ(inputs[0].at("kind"), "node.sockets");

  result = with({"--once", "--token-file", (dir / "reader.token").string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("HTTP 403"));
  EXPECT_THAT(result.err, HasSubstr("(the token needs the ingest role)"));
  EXPECT_THAT(result.err, Not(HasSubstr(reader)));

  // Every second until SIGTERM; a new listener on the node reaches the server.
  test::ChildProcess agent({test::sgauditBinary().string(), "agent", "--server", url, "--cluster", "prod",
                            "--node-name", "10.1.0.55", "--proc", (dir / "proc").string(), "--token-file",
                            (dir / "ingest.token").string(), "--interval", "1s"},
                           {}, dir.path(), dir / "agent.log");
  EXPECT_FALSE(test::waitForText(dir / "agent.log", "(unchanged)", 10s).empty());
  writeFakeProc(dir / "proc", "1F90");
  EXPECT_FALSE(test::waitForText(dir / "agent.log", "pushed to cluster prod on " + url + "\n", 10s).empty())
      << test::readFile(dir / "agent.log");
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait(10s), std::optional<int>(0));
  EXPECT_THAT(test::readFile(dir / "agent.log"), HasSubstr("agent stopped"));
  server.process->signal(SIGTERM);
  EXPECT_EQ(server.process->wait(10s), std::optional<int>(0));
}

// Test that the agent, on the real /proc, finds a listener this test opens, with this process's name.
TEST(CliTest, AgentFindsAListenerThisTestOpens) {
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  socklen_t length = sizeof address;
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  const int port = ntohs(address.sin_port);

  TempDir dir;
  const auto result = sgaudit({"agent", "--once", "--node-name", "self", "--out", dir.path().string()});
  close(listener);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string listing = test::readFile(dir / "self.txt");
  std::string comm = test::readFile("/proc/self/comm");
  comm.erase(comm.find_last_not_of('\n') + 1);
  EXPECT_THAT(listing,
              HasSubstr("tcp LISTEN 0 0 127.0.0.1:" + std::to_string(port) + " 0.0.0.0:* users:((\"" + comm +
                        "\",pid=" + std::to_string(getpid()) + "))"));
}

// Test that unreadable inputs end in one line and exit 2, never an abort: a read error (EIO from
// /proc/self/mem, which reports no size) and a folder holding a symlink to itself.
TEST(CliTest, UnreadableInputsAreOneLineNotAnAbort) {
  auto result =
      sgaudit({"audit", (test::testDataDir() / "scenarios" / "cce-seed").string(), "--max-objects", "2"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("more than 2 objects (the object budget, --max-objects)"));
  result = sgaudit({"audit", "/proc/self/mem"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "sgaudit: error: /proc/self/mem: cannot read: Input/output error\n");

  TempDir dir;
  std::filesystem::create_directories(dir / "cluster");
  std::filesystem::copy_file(test::testDataDir() / "scenarios" / "cce-seed" / "nodes.json",
                             dir / "cluster" / "nodes.json");
  std::filesystem::create_directory_symlink(dir / "cluster", dir / "cluster" / "loop");
  std::filesystem::create_symlink(dir / "nowhere.json", dir / "cluster" / "dangling.json");
  result = sgaudit({"audit", (dir / "cluster").string(), "--format", "json"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const auto inputs = nlohmann::json::parse(result.out).at("inputs");
  ASSERT_EQ(inputs.size(), 3u) << inputs.dump();  // nodes.json, and the two links listed as skipped
  EXPECT_EQ(inputs.at(0).at("kind"), "kubectl.json");
  std::set<std::string> reasons;
  for (std::size_t i = 1; i < inputs.size(); ++i)
    reasons.insert(inputs.at(i).value("reason", ""));
  EXPECT_EQ(reasons, (std::set<std::string>{"a symbolic link to nothing",
                                            "a symbolic link to a folder, not followed"}));
}

// Test that a server out of file descriptors backs off instead of spinning: with `ulimit -n 64` and 100
// connections waiting, it uses little CPU and logs "accept failed" at most once a second, and serves again
// once they close (issue 23; it burned a core and wrote 776 MB of log in 10 s).
TEST(CliTest, OutOfDescriptorsBacksOffInsteadOfSpinning) {
  TempDir dir;
  const auto log = dir / "serve.log";
  test::ChildProcess server(
      {"/bin/sh", "-c", "ulimit -n 64 && exec \"$0\" serve --no-scheduler", test::sgauditBinary().string()},
      {{"SGAUDIT_LISTEN", "127.0.0.1:0"}, {"SGAUDIT_DB", (dir / "serve.db").string()}}, dir.path(), log);
  const std::string text = test::waitForText(log, "127.0.0.1:", 10s);
  std::smatch match;
  ASSERT_TRUE(std::regex_search(text, match, std::regex(R"(http://127\.0\.0\.1:(\d+))"))) << text;
  const auto port = static_cast<std::uint16_t>(std::stoi(match[1]));

  std::vector<int> clients;
  for (int i = 0; i < 100; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    clients.push_back(fd);
  }
  auto cpu_ticks = [&] {
    std::istringstream stat(test::readFile("/proc/" + std::to_string(server.pid()) + "/stat"));
    std::string field;
    long ticks = 0;
    for (int i = 1; i <= 15 && stat >> field; ++i)
      if (i == 14 || i == 15) ticks += std::stol(field);
    return ticks;
  };
  std::this_thread::sleep_for(500ms);
  const long before = cpu_ticks();
  std::this_thread::sleep_for(2s);
  const long used = cpu_ticks() - before;
  EXPECT_LT(used, sysconf(_SC_CLK_TCK) / 2) << "ticks in 2 s";
  const std::string logged = test::readFile(log);
  std::size_t failures = 0;
  for (std::size_t at = logged.find("accept failed"); at != std::string::npos;
       at = logged.find("accept failed", at + 1))
    ++failures;
  EXPECT_GE(failures, 1u);
  EXPECT_LE(failures, 4u) << logged;
  for (const int fd : clients)
    close(fd);
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(test::httpGet(port, "/healthz").status, 200);
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(10s), std::optional<int>(0));
}

// Test that mistakes get what was probably meant (issue 22, item 5): a misspelt command or option its
// suggestion, a bad value from an environment variable the variable's name, a date that is none exit 2, and a
// TLS file that does not exist exit 2 before anything starts.
TEST(CliTest, MistakesAreNamedWithWhatWasMeant) {
  auto result = sgaudit({"audti"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(
      result.err,
      "sgaudit: error: unknown command \"audti\"; did you mean `sgaudit audit`? (see sgaudit --help)\n");
  result = sgaudit({"audit", "--polcy", "p.json", "x"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("did you mean --policy?"));
  result = sgaudit({"bogus"});
  EXPECT_THAT(result.err,
              HasSubstr("the commands are serve, migrate, audit, collect, agent, token, version"));
  TempDir dir;
  result = sgaudit({"serve", "--db", (dir / "x.db").string()}, {{"SGAUDIT_WORKERS", "abc"}});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("SGAUDIT_WORKERS (for --workers): Value abc"));
  const auto seed = (test::testDataDir() / "scenarios" / "cce-seed").string();
  for (const char* date : {"garbage", "2028-13-01", "2027-02-29"}) {
    result = sgaudit({"audit", seed, "--today", date});
    EXPECT_EQ(result.exit_code, 2) << date;
    EXPECT_EQ(result.err,
              "sgaudit: error: --today \"" + std::string(date) + "\": expected a date YYYY-MM-DD\n");
  }
  EXPECT_EQ(sgaudit({"audit", seed, "--today", "2028-02-29"}).exit_code,
            1);  // a leap day; the seed has findings
  result = sgaudit({"serve", "--db", (dir / "x.db").string(), "--tls-cert", (dir / "none.crt").string(),
                    "--tls-key", (dir / "none.key").string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err,
              HasSubstr("--tls-cert " + (dir / "none.crt").string() + ": No such file or directory"));
}

}  // namespace
}  // namespace sgaudit
