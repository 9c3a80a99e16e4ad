#include "sgaudit/db/token_store.hpp"

namespace sgaudit::db {
namespace {

TokenRecord readToken(Statement& stmt) {
  return {stmt.getInt64(0), stmt.getText(1), stmt.getText(2), stmt.getText(3), stmt.getOptionalText(4)};
}

}  // namespace

std::int64_t TokenStore::create(std::string_view name, std::string_view role, std::string_view token_sha256,
                                std::string_view now) {
  auto stmt =
      db_.prepare("INSERT INTO api_tokens (name, role, token_sha256, created_at) VALUES (?1, ?2, ?3, ?4)");
  stmt.bind(1, name).bind(2, role).bind(3, token_sha256).bind(4, now).run();
  return db_.lastInsertRowId();
}

std::optional<TokenRecord> TokenStore::findLive(std::string_view token_sha256) {
  auto stmt = db_.prepare(
      "SELECT id, name, role, created_at, revoked_at FROM api_tokens "
      "WHERE token_sha256 = ?1 AND revoked_at IS NULL");
  stmt.bind(1, token_sha256);
  if (!stmt.step()) return std::nullopt;
  return readToken(stmt);
}

std::vector<TokenRecord> TokenStore::list() {
  auto stmt = db_.prepare("SELECT id, name, role, created_at, revoked_at FROM api_tokens ORDER BY id");
  std::vector<TokenRecord> tokens;
  while (stmt.step())
    tokens.push_back(readToken(stmt));
  return tokens;
}

bool TokenStore::revoke(std::int64_t id, std::string_view now) {
  Transaction transaction(db_);
  auto stmt = db_.prepare("UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL");
  stmt.bind(1, id).bind(2, now).run();
  const bool revoked = db_.changes() > 0;
  // The token's browser sessions end with it (sign-ins made with it: schema 8).
  auto sessions = db_.prepare("DELETE FROM browser_sessions WHERE token_id = ?1");
  sessions.bind(1, id).run();
  transaction.commit();
  return revoked;
}

}  // namespace sgaudit::db
