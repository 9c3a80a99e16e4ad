#include "sgaudit/db/migrator.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace sgaudit::db {
namespace {

using sgaudit::test::readFile;
using sgaudit::test::TempDir;
using ::testing::HasSubstr;

std::vector<std::string> tables(Database& db) {
  std::vector<std::string> names;
  auto stmt = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
  while (stmt.step())
    names.push_back(stmt.getText(0));
  return names;
}

// Test that the embedded migrations start at 1 and create the schema the later issues build on.
TEST(MigratorTest, MigratesEmptyDatabaseToLatest) {
  TempDir dir;
  MigrationReport report;
  auto db = openAndMigrate(dir / "fresh.db", &report);
  const Migrator migrator = Migrator::embedded();
  EXPECT_EQ(report.from_version, 0);
  EXPECT_EQ(report.to_version, migrator.latestVersion());
  ASSERT_FALSE(report.applied.empty());
  EXPECT_EQ(report.applied.front(), "0001_init");
  EXPECT_EQ(Migrator::currentVersion(db), migrator.latestVersion());
  EXPECT_THAT(tables(db), ::testing::IsSupersetOf({"scopes", "snapshots", "inputs", "security_groups",
                                                   "security_group_rules", "instances", "nodes", "pods",
                                                   "audits", "findings", "schema_migrations"}));
  auto checksum = db.prepare("SELECT checksum FROM schema_migrations WHERE version = 1");
  ASSERT_TRUE(checksum.step());
  EXPECT_EQ(checksum.getText(0), sha256Hex(migrator.migrations().front().sql));
}

// Test that migrating an up-to-date database changes nothing and applies nothing.
TEST(MigratorTest, ReapplyIsNoOp) {
  TempDir dir;
  const auto path = dir / "again.db";
  { openAndMigrate(path); }
  const std::string before = readFile(path);
  MigrationReport report;
  { openAndMigrate(path, &report); }
  EXPECT_TRUE(report.applied.empty());
  EXPECT_EQ(report.from_version, report.to_version);
  EXPECT_EQ(readFile(path), before);
}

// Test that a database from a newer build is refused with the agreed message and left byte-for-byte as it
// was.
TEST(MigratorTest, NewerSchemaRefusedAndUntouched) {
  TempDir dir;
  const auto path = dir / "newer.db";
  {
    auto db = Database::open(path);  // rollback journal: everything lands in the main file on close
    Migrator::embedded().migrate(db);
    db.prepare("INSERT INTO schema_migrations (version, name, checksum) VALUES (?1, 'future', 'x')")
        .bind(1, Migrator::embedded().latestVersion() + 1)
        .run();
  }
  const std::string before = readFile(path);
  const int latest = Migrator::embedded().latestVersion();
  const int future = latest + 1;
  try {
    openAndMigrate(path);
    FAIL() << "expected SchemaError";
  } catch (const SchemaError& e) {
    EXPECT_EQ(std::string(e.what()), "database schema " + std::to_string(future) +
                                         " is newer than this build (" + std::to_string(latest) +
                                         "); upgrade sgaudit");
  }
  EXPECT_EQ(readFile(path), before);
  EXPECT_FALSE(std::filesystem::exists(path.string() + "-wal"));
}

// Test that a migration edited after it was applied is refused, naming the migration.
TEST(MigratorTest, TamperedMigrationRefused) {
  TempDir dir;
  auto db = Database::open(dir / "tampered.db");
  const std::vector<Migration> original = {{1, "0001_first", "CREATE TABLE a (x INTEGER);"}};
  Migrator(original).migrate(db);
  const std::vector<Migration> edited = {{1, "0001_first", "CREATE TABLE a (x INTEGER, y TEXT);"}};
  try {
    Migrator(edited).migrate(db);
    FAIL() << "expected SchemaError";
  } catch (const SchemaError& e) {
    EXPECT_THAT(e.what(), HasSubstr("migration 0001_first was changed after it was applied"));
  }
}

// Test that a failing migration leaves the schema at the last good version with none of its changes.
TEST(MigratorTest, FailedMigrationLeavesNoTrace) {
  TempDir dir;
  auto db = Database::open(dir / "partial.db");
  const std::vector<Migration> migrations = {
      {1, "0001_first", "CREATE TABLE a (x INTEGER);"},
      {2, "0002_broken", "CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);"},
  };
  try {
    Migrator(migrations).migrate(db);
    FAIL() << "expected DbError";
  } catch (const DbError& e) {
    EXPECT_THAT(e.what(), HasSubstr("migration 0002_broken failed"));
  }
  EXPECT_EQ(Migrator::currentVersion(db), 1);
  EXPECT_TRUE(db.tableExists("a"));
  EXPECT_FALSE(db.tableExists("b"));
}

// Test that migrations apply in version order whatever order they are given in, and only once.
TEST(MigratorTest, AppliesInOrderAndOnlyMissingOnes) {
  TempDir dir;
  auto db = Database::open(dir / "order.db");
  std::vector<Migration> first = {
      {1, "0001_a", "CREATE TABLE log (step INTEGER); INSERT INTO log VALUES (1);"}};
  Migrator(first).migrate(db);
  std::vector<Migration> both = {{2, "0002_b", "INSERT INTO log VALUES (2);"}, first.front()};
  const auto report = Migrator(both).migrate(db);
  EXPECT_EQ(report.applied, std::vector<std::string>{"0002_b"});
  auto steps = db.prepare("SELECT group_concat(step) FROM log");
  ASSERT_TRUE(steps.step());
  EXPECT_EQ(steps.getText(0), "1,2");
}

// Test that a migration list with a gap is rejected when the migrator is built.
TEST(MigratorTest, GapInVersionsRejected) {
  const std::vector<Migration> gap = {{1, "0001_a", ""}, {3, "0003_c", ""}};
  EXPECT_THROW(Migrator{gap}, SchemaError);
}

// Test that the schema's constraints hold: a finding must belong to an audit and carry a known severity.
TEST(MigratorTest, InitSchemaEnforcesConstraints) {
  TempDir dir;
  auto db = openAndMigrate(dir / "constraints.db");
  auto orphan = db.prepare(
      "INSERT INTO findings (audit_id, check_id, severity, fingerprint, title, body) "
      "VALUES (99, 'sg.port-blocked', 'high', 'f', 't', '{}')");
  EXPECT_THROW(orphan.run(), DbError);
  db.prepare("INSERT INTO audits (state, started_at) VALUES ('running', '2026-01-01T00:00:00Z')").run();
  auto bad_severity = db.prepare(
      "INSERT INTO findings (audit_id, check_id, severity, fingerprint, title, body) "
      "VALUES (?1, 'sg.port-blocked', 'urgent', 'f', 't', '{}')");
  bad_severity.bind(1, db.lastInsertRowId());
  EXPECT_THROW(bad_severity.run(), DbError);
}

// Test that schema 6 rebuilds inputs without losing a row, and then takes the same bytes under a second name
// (a database of schema 5, with inputs, upgraded by the embedded migrations).
TEST(MigratorTest, Schema6KeepsInputsAndAllowsSharedContent) {
  TempDir dir;
  auto db = Database::open(dir / "v5.db");
  std::vector<Migration> up_to_5;
  const Migrator all = Migrator::embedded();
  for (const auto& migration : all.migrations())
    if (migration.version <= 5) up_to_5.push_back(migration);
  Migrator(up_to_5).migrate(db);
  db.exec("INSERT INTO scopes (id, kind, name, created_at) VALUES (1, 'cluster', 'c', 't')");
  db.exec("INSERT INTO snapshots (id, scope_id, state, created_at) VALUES (1, 1, 'open', 't')");
  db.exec(
      "INSERT INTO inputs (snapshot_id, kind, name, sha256, size_bytes, received_at) VALUES "
      "(1, 'node.sockets', 'a.txt', 'h1', 10, 't'), (1, 'kubectl.json', 'pods.json', 'h2', 20, 't')");
  EXPECT_THROW(db.exec("INSERT INTO inputs (snapshot_id, kind, name, sha256, size_bytes, received_at) VALUES "
                       "(1, 'node.sockets', 'b.txt', 'h1', 10, 't')"),
               DbError);
  all.migrate(db);
  auto count = db.prepare("SELECT count(*), group_concat(name) FROM inputs ORDER BY name");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.getInt64(0), 2);
  db.exec(
      "INSERT INTO inputs (snapshot_id, kind, name, sha256, size_bytes, received_at) VALUES "
      "(1, 'node.sockets', 'b.txt', 'h1', 10, 't')");
  EXPECT_THROW(db.exec("INSERT INTO inputs (snapshot_id, kind, name, sha256, size_bytes, received_at) VALUES "
                       "(1, 'node.sockets', 'b.txt', 'h3', 10, 't')"),
               DbError);  // a name is still one input per snapshot
  db.exec("DELETE FROM snapshots WHERE id = 1");
  auto left = db.prepare("SELECT count(*) FROM inputs");
  ASSERT_TRUE(left.step());
  EXPECT_EQ(left.getInt64(0), 0) << "inputs still go with their snapshot";
}

// Test that schema 7 gives audits stored before it the warnings of their result document, an empty list to
// those without, and refuses warnings that are not JSON.
TEST(MigratorTest, Schema7CopiesAuditWarningsFromTheirResult) {
  TempDir dir;
  auto db = Database::open(dir / "v6.db");
  std::vector<Migration> up_to_6;
  const Migrator all = Migrator::embedded();
  for (const auto& migration : all.migrations())
    if (migration.version <= 6) up_to_6.push_back(migration);
  Migrator(up_to_6).migrate(db);
  db.exec(
      "INSERT INTO audits (id, state, started_at, result) VALUES "
      "(1, 'succeeded', 't', '{\"findings\": [], \"warnings\": [\"node n1 is not matched\"]}'), "
      "(2, 'succeeded', 't', '{\"findings\": []}'), (3, 'failed', 't', NULL)");
  all.migrate(db);
  auto rows = db.prepare("SELECT id, warnings FROM audits ORDER BY id");
  std::vector<std::string> warnings;
  while (rows.step())
    warnings.push_back(rows.getText(1));
  EXPECT_EQ(warnings, (std::vector<std::string>{"[\"node n1 is not matched\"]", "[]", "[]"}));
  EXPECT_THROW(db.exec("UPDATE audits SET warnings = 'not json' WHERE id = 2"), DbError);
}

}  // namespace
}  // namespace sgaudit::db
