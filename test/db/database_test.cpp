#include "sgaudit/db/database.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace sgaudit::db {
namespace {

using sgaudit::test::TempDir;

// Test that opening creates the file and its missing parent folders, with foreign keys enforced.
TEST(DatabaseTest, OpenCreatesFileAndEnforcesForeignKeys) {
  TempDir dir;
  const auto path = dir / "nested/deeper/store.db";
  auto db = Database::open(path);
  EXPECT_TRUE(std::filesystem::exists(path));
  db.exec(
      "CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (parent_id INTEGER REFERENCES "
      "parent(id))");
  auto insert = db.prepare("INSERT INTO child (parent_id) VALUES (?1)");
  insert.bind(1, 42);
  EXPECT_THROW(insert.run(), DbError);
}

// Test that WAL mode is switched on explicitly and reported by SQLite.
TEST(DatabaseTest, EnableWriteAheadLog) {
  TempDir dir;
  auto db = Database::open(dir / "wal.db");
  db.enableWriteAheadLog();
  auto mode = db.prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.getText(0), "wal");
}

// Test that bound parameters carry text verbatim, quotes and SQL included, never as SQL.
TEST(DatabaseTest, BoundParametersAreNeverSql) {
  TempDir dir;
  auto db = Database::open(dir / "bind.db");
  db.exec("CREATE TABLE t (name TEXT)");
  const std::string hostile = "x'); DROP TABLE t; --";
  db.prepare("INSERT INTO t (name) VALUES (?1)").bind(1, hostile).run();
  auto select = db.prepare("SELECT name FROM t");
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.getText(0), hostile);
  EXPECT_TRUE(db.tableExists("t"));
}

// Test that a transaction rolls back when it goes out of scope without commit, and keeps work on commit.
TEST(DatabaseTest, TransactionRollsBackUnlessCommitted) {
  TempDir dir;
  auto db = Database::open(dir / "tx.db");
  db.exec("CREATE TABLE t (v INTEGER)");
  {
    Transaction tx(db);
    db.prepare("INSERT INTO t VALUES (1)").run();
  }
  {
    Transaction tx(db);
    db.prepare("INSERT INTO t VALUES (2)").run();
    tx.commit();
  }
  auto count = db.prepare("SELECT group_concat(v) FROM t");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.getText(0), "2");
}

// Test that a path that cannot be created gives an error naming the path.
TEST(DatabaseTest, UnwritablePathNamesThePath) {
  TempDir dir;
  const auto blocker = dir / "file";
  { std::ofstream(blocker) << "x"; }
  try {
    Database::open(blocker / "sub/store.db");
    FAIL() << "expected DbError";
  } catch (const DbError& e) {
    EXPECT_NE(std::string(e.what()).find((blocker / "sub").string()), std::string::npos) << e.what();
  }
}

// Test that a file that is not a database is refused at open, with the path in the message.
TEST(DatabaseTest, NotADatabaseIsRefusedAtOpen) {
  TempDir dir;
  const auto path = dir / "text.db";
  { std::ofstream(path) << std::string(4096, 'x'); }
  try {
    Database::open(path);
    FAIL() << "expected DbError";
  } catch (const DbError& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sgaudit::db
