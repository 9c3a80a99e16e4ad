// A schedule that collects (issue 19, item 4): the real scope-audit runner under a driven clock, a real
// SQLite file, and a loopback TLS API server. A complete collection becomes the audited snapshot; a partial
// one is kept on the run with a warning, stores nothing, and the run audits the last good snapshot.
#include <gtest/gtest.h>

#include <fstream>

#include "../service/schedule/fakes.hpp"
#include "sgaudit/db/migrator.hpp"
#include "sgaudit/db/snapshot_store.hpp"
#include "sgaudit/schedule/schedule_store.hpp"
#include "sgaudit/schedule/scheduler.hpp"
#include "sgaudit/service/scheduled_audits.hpp"
#include "support/fake_apiserver.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/tls_cert.hpp"

namespace sgaudit::service {
namespace {

using nlohmann::json;

schedule::TimePoint at(std::string_view utc) {
  return schedule::parseUtc(utc).value();
}

TEST(CollectScheduleTest, ScheduledRunCollectsThenAuditsAndKeepsTheLastGoodSnapshot) {
  test::TempDir dir;
  const auto seed = test::testDataDir() / "scenarios" / "cce-seed";
  const auto ca = test::writeCertificateAuthority(dir.path(), "ca", "kubernetes");
  test::FakeApiServer cluster(
      test::writeIssuedCertificate(dir.path(), "apiserver", "kube-apiserver", "", ca, true), {});
  auto list = [&](const char* file) { return json::parse(test::readFile(seed / file)); };
  cluster.serveList("/api/v1/nodes", "NodeList", "v1", list("nodes.json"));
  cluster.serveList("/api/v1/pods", "PodList", "v1", list("pods.json"));
  cluster.serveList("/apis/apps/v1/deployments", "DeploymentList", "apps/v1", list("deployments.json"));
  cluster.serveList("/apis/apps/v1/replicasets", "ReplicaSetList", "apps/v1", json::array());
  cluster.serveList("/apis/apps/v1/daemonsets", "DaemonSetList", "apps/v1", json::array());
  cluster.serveList("/apis/apps/v1/statefulsets", "StatefulSetList", "apps/v1", json::array());
  cluster.acceptToken("schedule-token");
  std::filesystem::create_directories(dir / "kubeconfigs");
  std::ofstream(dir / "kubeconfigs" / "prod.yaml")
      << "current-context: p\ncontexts:\n- name: p\n  context: {cluster: p, user: u}\nclusters:\n- name: p\n"
      << "  cluster: {server: 'https://127.0.0.1:" << cluster.port()
      << "', certificate-authority: " << ca.certificate.string()
      << "}\nusers:\n- name: u\n  user: {token: schedule-token}\n";

  Config config;
  config.database_path = dir / "sgaudit.db";
  config.kubeconfig_dir = dir / "kubeconfigs";
  AppContext context(config, db::openAndMigrate(config.database_path));
  context.withDatabase([&](db::Database& db) {
    db::SnapshotStore store(db);
    store.setSource(store.ensureScope(db::ScopeKind::Cluster, "prod", "2026-12-04T00:00:00Z"),
                    R"({"kind":"kubeconfig","file":"prod.yaml"})");
  });

  auto db = db::Database::open(config.database_path);
  schedule::ScheduleSpec spec;
  spec.name = "hourly";
  spec.cron = "0 * * * *";
  spec.cluster = "prod";
  spec.collect = true;
  schedule::ScheduleStore store(db, {});
  const auto created = store.create(spec, at("2026-12-04T00:30:00Z"));
  ASSERT_TRUE(created.ok());
  auto runner = makeScopeAuditRunner(context);
  schedule::test::FakeTransport transport;
  schedule::SchedulerOptions options;
  options.instance_id = "test";
  schedule::Scheduler scheduler(db, *runner, transport, options);

  ASSERT_EQ(scheduler.tick(at("2026-12-04T01:00:00Z")).succeeded, 1);
  auto runs = store.runs(created.value->id, 10);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].state, "succeeded") << runs[0].error.value_or("");
  EXPECT_EQ(runs[0].collection.at("state"), "complete") << runs[0].collection.dump();
  EXPECT_EQ(runs[0].collection.at("lists").at("pods"), 2);
  // As many findings as the CLI finds in the seed's kubectl files alone (no cloud files, sockets or logs).
  std::filesystem::create_directories(dir / "kubectl");
  for (const char* file : {"nodes.json", "pods.json", "deployments.json"})
    std::filesystem::copy_file(seed / file, dir / "kubectl" / file);
  const auto cli = test::runProcess(
      {test::sgauditBinary().string(), "audit", (dir / "kubectl").string(), "--format", "json"});
  const auto expected = static_cast<std::int64_t>(json::parse(cli.out).at("findings").size());
  EXPECT_GT(expected, 0);
  EXPECT_EQ(runs[0].finding_count, std::optional<std::int64_t>(expected));
  const auto first_snapshot = runs[0].collection.at("snapshot_id").get<std::int64_t>();
  ASSERT_FALSE(runs[0].inputs.empty());
  EXPECT_EQ(runs[0].inputs[0].at("snapshot_id"), first_snapshot);

  cluster.forbid("/api/v1/pods", "pods", "");
  ASSERT_EQ(scheduler.tick(at("2026-12-04T02:00:00Z")).succeeded, 1);
  runs = store.runs(created.value->id, 10);
  ASSERT_EQ(runs.size(), 2u);
  const auto& second = runs[0];
  EXPECT_EQ(second.state, "succeeded");
  EXPECT_EQ(second.collection.at("state"), "partial");
  EXPECT_FALSE(second.collection.contains("snapshot_id"));
  EXPECT_EQ(second.finding_count, std::optional<std::int64_t>(expected))
      << "the last good snapshot was audited";
  EXPECT_EQ(second.inputs[0].at("snapshot_id"), first_snapshot);
}

}  // namespace
}  // namespace sgaudit::service
