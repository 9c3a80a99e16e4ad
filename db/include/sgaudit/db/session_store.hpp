#pragma once

// Browser sessions (migrations/0008_browser_sessions.sql). Only a session cookie's SHA-256 is stored; a
// session stands for the API token it was opened with and is found only while that token is live and the
// session has not expired.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sgaudit/db/database.hpp"

namespace sgaudit::db {

struct SessionRecord {
  std::int64_t id = 0;
  std::int64_t token_id = 0;
  std::string token_name;
  std::string role;  // the token's: reader, ingest or admin
  std::string created_at;
  std::string expires_at;
};

class SessionStore {
 public:
  explicit SessionStore(Database& db) : db_(db) {}

  // Times are ISO-8601 UTC ("2026-11-26T00:18:13Z").
  std::int64_t create(std::string_view session_sha256, std::int64_t token_id, std::string_view now,
                      std::string_view expires_at);
  // The session with this hash, when it expires after `now` and its token is not revoked.
  std::optional<SessionRecord> findLive(std::string_view session_sha256, std::string_view now);
  // Ends one session; false when there was none.
  bool remove(std::string_view session_sha256);
  // Deletes sessions that expired at or before `now`; returns how many.
  int removeExpired(std::string_view now);

 private:
  Database& db_;
};

}  // namespace sgaudit::db
