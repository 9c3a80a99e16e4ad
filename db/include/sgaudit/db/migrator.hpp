#pragma once

#include <string>
#include <vector>

#include "sgaudit/db/database.hpp"

namespace sgaudit::db {

// One numbered schema change, from migrations/NNNN_name.sql.
struct Migration {
  int version = 0;
  std::string name;  // "0001_init"
  std::string sql;
};

// The schema cannot be used by this build (newer than it, or a migration changed after it was applied).
class SchemaError : public DbError {
 public:
  using DbError::DbError;
};

struct MigrationReport {
  int from_version = 0;
  int to_version = 0;
  std::vector<std::string> applied;  // names, in order
};

// Applies numbered migrations in order, each in its own transaction, recording version and checksum
// (Chromium's sql::MetaTable, osquery's versioned upgrades).
class Migrator {
 public:
  // Versions must be unique, positive and contiguous from 1.
  explicit Migrator(std::vector<Migration> migrations);

  // The migrations compiled into this binary from migrations/*.sql.
  static Migrator embedded();

  int latestVersion() const;
  const std::vector<Migration>& migrations() const { return migrations_; }

  // The highest applied version, 0 for an empty database. Reads only.
  static int currentVersion(Database& db);

  // Throws SchemaError when the database is newer than this build or an applied migration's
  // checksum differs from this build's. Reads only, so a refused database is left untouched.
  void checkCompatible(Database& db) const;

  // checkCompatible, then applies what is missing. Idempotent.
  MigrationReport migrate(Database& db) const;

  bool isUpToDate(Database& db) const;

 private:
  std::vector<Migration> migrations_;
};

// Opens the database the service and CLI use: refuses an incompatible schema before writing anything,
// then switches to WAL and migrates.
Database openAndMigrate(const std::filesystem::path& path, MigrationReport* report = nullptr);

std::string sha256Hex(std::string_view bytes);

}  // namespace sgaudit::db
