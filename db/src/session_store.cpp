// Browser sessions in SQLite: opened at sign-in, found while their token lives, removed at sign-out, expiry
// or the token's revocation (TokenStore::revoke).
#include "sgaudit/db/session_store.hpp"

namespace sgaudit::db {

std::int64_t SessionStore::create(std::string_view session_sha256, std::int64_t token_id,
                                  std::string_view now, std::string_view expires_at) {
  auto stmt = db_.prepare(
      "INSERT INTO browser_sessions (session_sha256, token_id, created_at, expires_at) VALUES (?1, ?2, ?3, "
      "?4)");
  stmt.bind(1, session_sha256).bind(2, token_id).bind(3, now).bind(4, expires_at).run();
  return db_.lastInsertRowId();
}

std::optional<SessionRecord> SessionStore::findLive(std::string_view session_sha256, std::string_view now) {
  auto stmt = db_.prepare(
      "SELECT s.id, s.token_id, t.name, t.role, s.created_at, s.expires_at FROM browser_sessions s "
      "JOIN api_tokens t ON t.id = s.token_id "
      "WHERE s.session_sha256 = ?1 AND s.expires_at > ?2 AND t.revoked_at IS NULL");
  stmt.bind(1, session_sha256).bind(2, now);
  if (!stmt.step()) return std::nullopt;
  return SessionRecord{stmt.getInt64(0), stmt.getInt64(1), stmt.getText(2),
                       stmt.getText(3),  stmt.getText(4),  stmt.getText(5)};
}

bool SessionStore::remove(std::string_view session_sha256) {
  auto stmt = db_.prepare("DELETE FROM browser_sessions WHERE session_sha256 = ?1");
  stmt.bind(1, session_sha256).run();
  return db_.changes() > 0;
}

int SessionStore::removeExpired(std::string_view now) {
  auto stmt = db_.prepare("DELETE FROM browser_sessions WHERE expires_at <= ?1");
  stmt.bind(1, now).run();
  return db_.changes();
}

}  // namespace sgaudit::db
