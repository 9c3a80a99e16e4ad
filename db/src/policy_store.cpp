#include "sgaudit/db/policy_store.hpp"

namespace sgaudit::db {
namespace {

PolicyRecord readPolicy(Statement& stmt) {
  return {stmt.getText(0), stmt.getInt64(1), stmt.getText(2), stmt.getText(3)};
}

}  // namespace

PolicyRecord PolicyStore::put(std::string_view name, std::string_view body, std::string_view now) {
  auto stmt = db_.prepare(
      "INSERT INTO policies (name, version, body, created_at) "
      "VALUES (?1, (SELECT coalesce(max(version), 0) + 1 FROM policies WHERE name = ?1), ?2, ?3) "
      "RETURNING name, version, body, created_at");
  stmt.bind(1, name).bind(2, body).bind(3, now);
  stmt.step();
  PolicyRecord record = readPolicy(stmt);
  while (stmt.step()) {
  }
  return record;
}

std::optional<PolicyRecord> PolicyStore::get(std::string_view name, std::optional<std::int64_t> version) {
  auto stmt = db_.prepare(
      "SELECT name, version, body, created_at FROM policies WHERE name = ?1 AND (?2 IS NULL OR version = ?2) "
      "ORDER BY version DESC LIMIT 1");
  stmt.bind(1, name);
  if (version) {
    stmt.bind(2, *version);
  } else {
    stmt.bindNull(2);
  }
  if (!stmt.step()) return std::nullopt;
  return readPolicy(stmt);
}

std::vector<PolicyRecord> PolicyStore::versions(std::string_view name) {
  auto stmt = db_.prepare(
      "SELECT name, version, body, created_at FROM policies WHERE name = ?1 ORDER BY version DESC");
  stmt.bind(1, name);
  std::vector<PolicyRecord> records;
  while (stmt.step())
    records.push_back(readPolicy(stmt));
  return records;
}

}  // namespace sgaudit::db
