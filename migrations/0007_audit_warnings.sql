-- sgaudit schema 7: an audit's warnings (inputs not used, nodes not matched, checks that could not run) are
-- kept beside its summary, so that the audit's own record says what it could not judge (issue 22), not only
-- the whole result document. Audits stored before carry theirs in that document: copied here.
ALTER TABLE audits ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(warnings));
UPDATE audits SET warnings = json_extract(result, '$.warnings')
  WHERE json_valid(result) AND json_type(result, '$.warnings') = 'array';
