#include "sgaudit/db/migrator.hpp"
#include "sgaudit/core/hex.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <map>

namespace sgaudit::db {

std::vector<Migration> embeddedMigrations();  // generated from migrations/*.sql at build time

namespace {

constexpr std::string_view kCreateBookkeeping = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  checksum   TEXT NOT NULL,
  applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;
)sql";

struct AppliedMigration {
  std::string name;
  std::string checksum;
};

std::map<int, AppliedMigration> readApplied(Database& db) {
  std::map<int, AppliedMigration> applied;
  if (!db.tableExists("schema_migrations")) return applied;
  auto stmt = db.prepare("SELECT version, name, checksum FROM schema_migrations ORDER BY version");
  while (stmt.step()) {
    applied.emplace(static_cast<int>(stmt.getInt64(0)), AppliedMigration{stmt.getText(1), stmt.getText(2)});
  }
  return applied;
}

}  // namespace

std::string sha256Hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw DbError("SHA-256 failed");
  }
  return core::hexLower(digest.data(), length);
}

Migrator::Migrator(std::vector<Migration> migrations) : migrations_(std::move(migrations)) {
  std::sort(migrations_.begin(), migrations_.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (std::size_t i = 0; i < migrations_.size(); ++i) {
    if (migrations_[i].version != static_cast<int>(i) + 1) {
      throw SchemaError("migration versions must run 1, 2, 3... without gaps or repeats; found " +
                        migrations_[i].name + " at position " + std::to_string(i + 1));
    }
  }
}

Migrator Migrator::embedded() {
  return Migrator(embeddedMigrations());
}

int Migrator::latestVersion() const {
  return migrations_.empty() ? 0 : migrations_.back().version;
}

int Migrator::currentVersion(Database& db) {
  if (!db.tableExists("schema_migrations")) return 0;
  auto stmt = db.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
  stmt.step();
  return static_cast<int>(stmt.getInt64(0));
}

void Migrator::checkCompatible(Database& db) const {
  const auto applied = readApplied(db);
  const int current = applied.empty() ? 0 : applied.rbegin()->first;
  if (current > latestVersion()) {
    throw SchemaError("database schema " + std::to_string(current) + " is newer than this build (" +
                      std::to_string(latestVersion()) + "); upgrade sgaudit");
  }
  for (const auto& [version, record] : applied) {
    const Migration& known = migrations_.at(static_cast<std::size_t>(version - 1));
    const std::string checksum = sha256Hex(known.sql);
    if (checksum != record.checksum) {
      throw SchemaError("migration " + known.name + " was changed after it was applied to " +
                        db.path().string() + " (checksum " + record.checksum.substr(0, 12) +
                        " in the database, " + checksum.substr(0, 12) +
                        " in this build); restore it and add a new migration instead");
    }
  }
}

MigrationReport Migrator::migrate(Database& db) const {
  checkCompatible(db);
  MigrationReport report;
  report.from_version = currentVersion(db);
  report.to_version = report.from_version;
  if (report.from_version == latestVersion()) return report;
  db.exec(kCreateBookkeeping);
  for (const Migration& migration : migrations_) {
    if (migration.version <= report.from_version) continue;
    Transaction tx(db);
    // Another process may have migrated between our check and this write lock.
    if (currentVersion(db) >= migration.version) continue;
    try {
      db.exec(migration.sql);
    } catch (const DbError& e) {
      throw DbError("migration " + migration.name + " failed: " + e.what());
    }
    auto record = db.prepare("INSERT INTO schema_migrations (version, name, checksum) VALUES (?1, ?2, ?3)");
    record.bind(1, migration.version).bind(2, migration.name).bind(3, sha256Hex(migration.sql)).run();
    tx.commit();
    report.applied.push_back(migration.name);
    report.to_version = migration.version;
  }
  return report;
}

bool Migrator::isUpToDate(Database& db) const {
  return currentVersion(db) == latestVersion();
}

Database openAndMigrate(const std::filesystem::path& path, MigrationReport* report) {
  Database db = Database::open(path);
  const Migrator migrator = Migrator::embedded();
  migrator.checkCompatible(db);
  db.enableWriteAheadLog();
  MigrationReport done = migrator.migrate(db);
  if (report != nullptr) *report = std::move(done);
  return db;
}

}  // namespace sgaudit::db
