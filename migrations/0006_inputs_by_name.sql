-- sgaudit schema 6: an input is known by its name only. Schema 1 kept one input per content in a snapshot, so
-- the same bytes under a second name (two nodes with identical `ss` output, two pods with identical logs)
-- replaced the first input (issue 23). Now they are two inputs sharing one stored blob.
-- SQLite cannot drop a table constraint: the table is rebuilt. (security_groups, schema 1's normalised
-- inventory, is never written; its input_id keeps naming this table.)
CREATE TABLE inputs_v6 (
  id          INTEGER PRIMARY KEY,
  snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
  kind        TEXT NOT NULL,
  name        TEXT,
  sha256      TEXT NOT NULL,
  size_bytes  INTEGER NOT NULL CHECK (size_bytes >= 0),
  encoding    TEXT NOT NULL DEFAULT 'identity' CHECK (encoding IN ('identity', 'gzip')),
  content     BLOB,
  received_at TEXT NOT NULL
) STRICT;
INSERT INTO inputs_v6 (id, snapshot_id, kind, name, sha256, size_bytes, encoding, content, received_at)
  SELECT id, snapshot_id, kind, name, sha256, size_bytes, encoding, content, received_at FROM inputs;
DROP TABLE inputs;
ALTER TABLE inputs_v6 RENAME TO inputs;
CREATE INDEX inputs_by_sha256 ON inputs (sha256);
CREATE UNIQUE INDEX inputs_by_name ON inputs (snapshot_id, name);
