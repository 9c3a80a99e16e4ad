-- sgaudit schema 2: what the REST API keeps beside schema 1.
-- Uploaded documents are stored once by content (gzip), and a snapshot's inputs point at them, so that a
-- new snapshot can start from its predecessor's inputs without copying bytes.

CREATE TABLE blobs (
  sha256       TEXT PRIMARY KEY CHECK (length(sha256) = 64),
  size_bytes   INTEGER NOT NULL CHECK (size_bytes >= 0),    -- decoded size
  stored_bytes INTEGER NOT NULL CHECK (stored_bytes >= 0),  -- gzip size
  content      BLOB NOT NULL,                               -- the document, gzip
  created_at   TEXT NOT NULL
) STRICT;

-- inputs.content (schema 1) stays NULL from now on; inputs.sha256 names the blob. An input's name
-- identifies it within its scope: uploading the same name again replaces it in the next snapshot.
CREATE INDEX inputs_by_sha256 ON inputs (sha256);
CREATE UNIQUE INDEX inputs_by_name ON inputs (snapshot_id, name);

-- Bearer tokens: only their SHA-256 is kept (they are 256-bit random, so a slow hash adds nothing).
CREATE TABLE api_tokens (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
  role         TEXT NOT NULL CHECK (role IN ('reader', 'ingest', 'admin')),
  token_sha256 TEXT NOT NULL UNIQUE CHECK (length(token_sha256) = 64),
  created_at   TEXT NOT NULL,
  revoked_at   TEXT
) STRICT;

-- Policies by name, every PUT a new version; audits record which version they used.
CREATE TABLE policies (
  name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
  version    INTEGER NOT NULL CHECK (version >= 1),
  body       TEXT NOT NULL CHECK (json_valid(body)),
  created_at TEXT NOT NULL,
  PRIMARY KEY (name, version)
) STRICT;

-- The audit's whole result document (the shape of `sgaudit audit --format json`), for reports and diffs.
ALTER TABLE audits ADD COLUMN result TEXT CHECK (result IS NULL OR json_valid(result));
ALTER TABLE audits ADD COLUMN policy_version INTEGER;
CREATE INDEX findings_by_audit ON findings (audit_id, id);
