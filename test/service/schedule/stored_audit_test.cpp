#include "sgaudit/schedule/stored_audit.hpp"

#include <gtest/gtest.h>

#include "sgaudit/db/migrator.hpp"
#include "support/temp_dir.hpp"

namespace sgaudit::schedule {
namespace {

// Test that a stored audit yields its unsuppressed findings and its snapshots with their input times.
TEST(StoredAuditTest, ReadsFindingsAndInputAges) {
  sgaudit::test::TempDir dir;
  auto db = db::openAndMigrate(dir / "s.db");
  db.exec(R"sql(
    INSERT INTO scopes (id, kind, name, created_at) VALUES
      (1, 'cluster', 'prod', '2026-11-01T00:00:00Z'), (2, 'account', 'huawei-prod', '2026-11-01T00:00:00Z');
    INSERT INTO snapshots (id, scope_id, state, created_at) VALUES
      (10, 1, 'sealed', '2026-11-20T00:00:00Z'), (20, 2, 'sealed', '2026-11-21T00:00:00Z');
    INSERT INTO inputs (snapshot_id, kind, name, sha256, size_bytes, received_at) VALUES
      (10, 'kubernetes.pods', 'pods.json', 'aa', 1, '2026-11-25T10:00:00Z'),
      (10, 'kubernetes.nodes', 'nodes.json', 'bb', 1, '2026-11-25T11:30:00Z');
    INSERT INTO audits (id, cluster_id, state, started_at) VALUES (5, 1, 'succeeded', '2026-11-26T00:00:00Z');
    INSERT INTO audit_snapshots (audit_id, snapshot_id) VALUES (5, 10), (5, 20);
    INSERT INTO findings (audit_id, check_id, severity, fingerprint, namespace, node, title, body, suppressed) VALUES
      (5, 'sg.port-blocked', 'high', 'fp1', 'default', 'n1', 'blocked', '{}', 0),
      (5, 'sg.sensitive-port-exposed', 'critical', 'fp2', NULL, 'n1', 'ssh open', '{}', 1),
      (5, 'hostport.conflict', 'medium', 'fp3', 'kube-system', NULL, 'conflict', '{}', 0);
  )sql");
  const auto findings = loadAuditFindings(db, 5);
  ASSERT_EQ(findings.size(), 2U);
  EXPECT_EQ(findings[0].fingerprint, "fp1");
  EXPECT_EQ(findings[0].severity, core::Severity::High);
  EXPECT_EQ(findings[0].namespace_name, "default");
  EXPECT_EQ(findings[1].check, "hostport.conflict");
  EXPECT_EQ(findings[1].node, "");
  const auto inputs = loadAuditInputs(db, 5);
  ASSERT_EQ(inputs.size(), 2U);
  EXPECT_EQ(inputs[0].kind, "cluster");
  EXPECT_EQ(formatUtc(*inputs[0].taken_at), "2026-11-25T11:30:00Z");
  EXPECT_EQ(inputs[1].name, "huawei-prod");
  EXPECT_EQ(formatUtc(*inputs[1].taken_at), "2026-11-21T00:00:00Z");  // no inputs: the snapshot's time
  EXPECT_EQ(parseUtc("2026-11-25T11:30:00.250Z"), parseUtc("2026-11-25T11:30:00Z"));
}

}  // namespace
}  // namespace sgaudit::schedule
