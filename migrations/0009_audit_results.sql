-- sgaudit schema 9: an audit's result document (tens of MB for a fleet) in a table of its own. In `audits` it
-- sat before the columns later schemas added (policy_version, warnings), so every read of an audit's record
-- walked the document's chain of overflow pages to reach them: 40 ms per findings page of a 5,000-node fleet.
-- The server writes the document from its own serialiser, so it is not checked with json_valid here (a 60 MB
-- check per audit).
CREATE TABLE audit_results (
  audit_id INTEGER PRIMARY KEY REFERENCES audits (id) ON DELETE CASCADE,
  result   TEXT NOT NULL
) STRICT;
INSERT INTO audit_results (audit_id, result) SELECT id, result FROM audits WHERE result IS NOT NULL;
ALTER TABLE audits DROP COLUMN result;
