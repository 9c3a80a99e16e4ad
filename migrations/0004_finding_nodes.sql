-- sgaudit schema 4: a finding is one cause and lists every node it reaches (a DaemonSet's port on 5,000
-- nodes is one finding). The finding's JSON body cuts a long list; this table keeps it whole, so that
-- `?node=` finds every finding that touches a node.
CREATE TABLE finding_nodes (
  finding_id INTEGER NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
  node       TEXT NOT NULL,
  PRIMARY KEY (finding_id, node)
) STRICT, WITHOUT ROWID;
CREATE INDEX finding_nodes_by_node ON finding_nodes (node, finding_id);

-- Findings stored before this schema name at most one node, in findings.node.
INSERT INTO finding_nodes (finding_id, node) SELECT id, node FROM findings WHERE node IS NOT NULL;
