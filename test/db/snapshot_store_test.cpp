// SnapshotStore on a real SQLite file: snapshots inherit their predecessor's inputs, uploads replace by name,
// blobs are stored once, and retention keeps what audits use.
#include "sgaudit/db/snapshot_store.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "sgaudit/db/audit_store.hpp"
#include "sgaudit/db/migrator.hpp"
#include "support/temp_dir.hpp"

namespace sgaudit::db {
namespace {

using sgaudit::test::TempDir;

class SnapshotStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_ / "blob.gz", std::ios::binary) << "not really gzip, the store keeps bytes as given";
  }

  // Stores a blob named `sha` (64 hex characters made from one letter) and adds it under `name`.
  AddedInput add(const Scope& scope, const std::string& name, char sha, const std::string& now) {
    const std::string hash(64, sha);
    if (!store_.hasBlob(hash)) store_.putBlob(hash, 10, dir_ / "blob.gz", now);
    return store_.addInput(scope, "kubectl.json", name, hash, 10, "identity", now);
  }

  TempDir dir_;
  Database db_ = openAndMigrate(dir_ / "store.db");
  SnapshotStore store_{db_};
};

// Test that a new snapshot starts from the sealed one's inputs and an upload replaces the input of its name.
TEST_F(SnapshotStoreTest, SnapshotsInheritAndReplaceByName) {
  const Scope scope = store_.ensureScope(ScopeKind::Cluster, "c", "2026-11-26T00:00:00Z");
  add(scope, "nodes.json", 'a', "t1");
  add(scope, "pods.json", 'b', "t1");
  const auto first = store_.latestSnapshot(scope.id);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->inputs.size(), 2U);
  EXPECT_FALSE(add(scope, "pods.json", 'b', "t2").created);  // same bytes, same name: nothing new
  store_.seal(first->id, "t2");

  EXPECT_TRUE(add(scope, "pods.json", 'c', "t3").created);
  const auto second = store_.latestSnapshot(scope.id);
  ASSERT_TRUE(second);
  EXPECT_NE(second->id, first->id);
  ASSERT_EQ(second->inputs.size(), 2U);
  EXPECT_EQ(second->inputs[0].name, "nodes.json");
  EXPECT_EQ(second->inputs[0].sha256, std::string(64, 'a'));
  EXPECT_EQ(second->inputs[1].sha256, std::string(64, 'c'));
  EXPECT_EQ(store_.snapshot(first->id)->inputs[1].sha256, std::string(64, 'b'));  // the old one is untouched
}

// Test that the same bytes under two names are two inputs sharing one blob (two nodes may print the same
// sockets), and that replacing one by name leaves the other (schema 6; schema 1 dropped the first).
TEST_F(SnapshotStoreTest, SameBytesUnderTwoNamesAreTwoInputs) {
  const Scope scope = store_.ensureScope(ScopeKind::Cluster, "c", "t0");
  EXPECT_TRUE(add(scope, "10.0.0.1.txt", 's', "t1").created);
  EXPECT_TRUE(add(scope, "10.0.0.2.txt", 's', "t1").created);
  auto latest = store_.latestSnapshot(scope.id);
  ASSERT_EQ(latest->inputs.size(), 2U);
  EXPECT_EQ(latest->inputs[0].sha256, latest->inputs[1].sha256);
  EXPECT_TRUE(add(scope, "10.0.0.1.txt", 't', "t2").created);
  latest = store_.latestSnapshot(scope.id);
  ASSERT_EQ(latest->inputs.size(), 2U);
  EXPECT_EQ(latest->inputs[0].sha256, std::string(64, 't'));
  EXPECT_EQ(latest->inputs[1].sha256, std::string(64, 's'));
  // Retention keeps the shared blob while an input names it.
  store_.prune(1);
  EXPECT_TRUE(store_.hasBlob(std::string(64, 's')));
}

// Test that a blob's bytes come back exactly, through incremental blob I/O.
TEST_F(SnapshotStoreTest, BlobRoundTrip) {
  store_.putBlob(std::string(64, 'f'), 99, dir_ / "blob.gz", "t");
  ASSERT_TRUE(store_.readBlob(std::string(64, 'f'), dir_ / "out"));
  EXPECT_EQ(sgaudit::test::readFile(dir_ / "out"), sgaudit::test::readFile(dir_ / "blob.gz"));
  EXPECT_EQ(store_.blobInfo(std::string(64, 'f'))->size_bytes, 99);
  EXPECT_FALSE(store_.readBlob(std::string(64, 'e'), dir_ / "none"));
}

// Test that pruning keeps the newest N snapshots and any an audit uses, and drops blobs nothing refers to.
TEST_F(SnapshotStoreTest, PruneKeepsNewestAndAudited) {
  const Scope scope = store_.ensureScope(ScopeKind::Account, "a", "t0");
  std::vector<std::int64_t> ids;
  for (char c : {'1', '2', '3', '4'}) {
    add(scope, "rules.json", c, "t");
    ids.push_back(store_.latestSnapshot(scope.id)->id);
    store_.seal(ids.back(), "t");
  }
  NewAudit audit;
  audit.snapshot_ids = {ids[0]};
  audit.policy = "{}";
  audit.started_at = audit.finished_at = "2026-11-26T00:00:00Z";
  audit.summary = audit.result = "{}";
  AuditStore(db_).insert(audit);

  EXPECT_EQ(store_.prune(2), 1);  // ids[1] goes; ids[0] is audited, ids[2] and ids[3] are the newest two
  std::vector<std::int64_t> left;
  for (const auto& snapshot : store_.snapshots(scope.id))
    left.push_back(snapshot.id);
  EXPECT_EQ(left, (std::vector<std::int64_t>{ids[3], ids[2], ids[0]}));
  EXPECT_FALSE(store_.hasBlob(std::string(64, '2')));
  EXPECT_TRUE(store_.hasBlob(std::string(64, '1')));
}

// Test that audits older than the cutoff go, except each cluster's newest.
TEST_F(SnapshotStoreTest, AuditRetentionKeepsNewestPerCluster) {
  AuditStore audits(db_);
  NewAudit audit;
  audit.policy = "{}";
  audit.summary = audit.result = "{}";
  for (const char* day : {"2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-11-01T00:00:00Z"}) {
    audit.started_at = audit.finished_at = day;
    audits.insert(audit);
  }
  EXPECT_EQ(audits.pruneBefore("2026-12-01T00:00:00Z"), 2);
  const auto left = audits.list(10);
  ASSERT_EQ(left.size(), 1U);
  EXPECT_EQ(left[0].started_at, "2026-11-01T00:00:00Z");
}

}  // namespace
}  // namespace sgaudit::db
