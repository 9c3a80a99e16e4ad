-- sgaudit schema 10: an audit's findings are stored once. The result document held every finding's JSON,
-- which the `findings` rows hold too: 80 MB twice for a 5,000-node fleet. From here on the document is
-- stored with "findings": null at byte `findings_at`, and reading it puts the rows' bodies there, in id
-- order (the order the audit wrote them). Results stored before keep their findings, and findings_at NULL.
ALTER TABLE audit_results ADD COLUMN findings_at INTEGER CHECK (findings_at >= 0);
