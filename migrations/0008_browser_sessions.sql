-- sgaudit schema 8: browser sessions (issue 22). A person signs in at /signin by pasting an API token; the
-- server answers with a random session cookie and keeps only its SHA-256 here, with the token it stands for.
-- A session acts with its token's role and lives while the token does: a revoked token's sessions are
-- deleted with it, and every lookup joins a live token anyway. `expires_at` bounds a session's life
-- (ISO-8601 UTC, compared as text).
CREATE TABLE browser_sessions (
  id             INTEGER PRIMARY KEY,
  session_sha256 TEXT NOT NULL UNIQUE CHECK (length(session_sha256) = 64),
  token_id       INTEGER NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
  created_at     TEXT NOT NULL,
  expires_at     TEXT NOT NULL
) STRICT;
CREATE INDEX browser_sessions_by_token ON browser_sessions (token_id);
CREATE INDEX browser_sessions_by_expiry ON browser_sessions (expires_at);
