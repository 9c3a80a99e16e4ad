-- sgaudit schema 1: scopes and their snapshots of inputs, the normalised inventory parsed from them,
-- audits and their findings. Timestamps are UTC ISO-8601 text; JSON columns hold the core's own shapes.

-- A named cluster or cloud account. Inputs arrive per scope and are grouped into snapshots.
CREATE TABLE scopes (
  id         INTEGER PRIMARY KEY,
  kind       TEXT NOT NULL CHECK (kind IN ('cluster', 'account')),
  name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
  created_at TEXT NOT NULL,
  UNIQUE (kind, name)
) STRICT;

-- A scope's inventory at one point: 'open' while inputs are added, 'sealed' once an audit has used it.
CREATE TABLE snapshots (
  id         INTEGER PRIMARY KEY,
  scope_id   INTEGER NOT NULL REFERENCES scopes (id) ON DELETE CASCADE,
  state      TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'sealed')),
  created_at TEXT NOT NULL,
  sealed_at  TEXT
) STRICT;
CREATE INDEX snapshots_by_scope ON snapshots (scope_id, id DESC);

-- One uploaded document, as received; the same bytes are stored once per snapshot.
CREATE TABLE inputs (
  id          INTEGER PRIMARY KEY,
  snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
  kind        TEXT NOT NULL,              -- detected kind, e.g. 'huawei.vpc.v3.security-group-rules'
  name        TEXT,                       -- file name or ?name= (node name for ss output, pod for logs)
  sha256      TEXT NOT NULL,
  size_bytes  INTEGER NOT NULL CHECK (size_bytes >= 0),
  encoding    TEXT NOT NULL DEFAULT 'identity' CHECK (encoding IN ('identity', 'gzip')),
  content     BLOB,
  received_at TEXT NOT NULL,
  UNIQUE (snapshot_id, sha256)
) STRICT;

CREATE TABLE security_groups (
  id               INTEGER PRIMARY KEY,
  snapshot_id      INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
  input_id         INTEGER REFERENCES inputs (id) ON DELETE CASCADE,
  provider         TEXT NOT NULL CHECK (provider IN ('huawei', 'aws', 'openstack', 'azure', 'gcp')),
  group_id         TEXT NOT NULL,
  name             TEXT,
  description      TEXT,
  vpc_id           TEXT,
  evaluation_model TEXT NOT NULL CHECK (evaluation_model IN ('union', 'first-match-priority', 'priority-deny-wins')),
  UNIQUE (snapshot_id, provider, group_id)
) STRICT;

CREATE TABLE security_group_rules (
  id                INTEGER PRIMARY KEY,
  security_group_id INTEGER NOT NULL REFERENCES security_groups (id) ON DELETE CASCADE,
  rule_id           TEXT,
  direction         TEXT NOT NULL CHECK (direction IN ('ingress', 'egress')),
  ethertype         TEXT NOT NULL CHECK (ethertype IN ('IPv4', 'IPv6', 'any')),
  protocol          TEXT NOT NULL,        -- 'any', 'tcp', 'udp', 'sctp', 'icmp', 'icmpv6' or a number
  ports             TEXT,                 -- as the provider wrote them, e.g. '22,80,8000-9000'; NULL = all
  source_kind       TEXT NOT NULL CHECK (source_kind IN ('cidr', 'group', 'address-group', 'prefix-list', 'tag')),
  source            TEXT NOT NULL,
  action            TEXT NOT NULL DEFAULT 'allow' CHECK (action IN ('allow', 'deny')),
  priority          INTEGER,
  description       TEXT
) STRICT;
CREATE INDEX security_group_rules_by_group ON security_group_rules (security_group_id);

-- A cloud server (ECS, EC2, Nova) and the security groups on its interfaces, in evaluation order.
CREATE TABLE instances (
  id          INTEGER PRIMARY KEY,
  snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
  provider    TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  name        TEXT,
  UNIQUE (snapshot_id, provider, instance_id)
) STRICT;

CREATE TABLE instance_addresses (
  instance_id INTEGER NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
  address     TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('private', 'public', 'floating')),
  PRIMARY KEY (instance_id, address)
) STRICT;

CREATE TABLE instance_security_groups (
  instance_id INTEGER NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
  position    INTEGER NOT NULL CHECK (position >= 0),
  interface   TEXT NOT NULL DEFAULT '',
  group_id    TEXT NOT NULL,
  PRIMARY KEY (instance_id, interface, position)
) STRICT;

-- Kubernetes nodes and pods as kubectl printed them, with the columns the audit filters on.
CREATE TABLE nodes (
  id            INTEGER PRIMARY KEY,
  snapshot_id   INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  provider_id   TEXT,
  internal_ip   TEXT,
  ready         INTEGER NOT NULL DEFAULT 1 CHECK (ready IN (0, 1)),
  unschedulable INTEGER NOT NULL DEFAULT 0 CHECK (unschedulable IN (0, 1)),
  labels        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(labels)),
  taints        TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(taints)),
  UNIQUE (snapshot_id, name)
) STRICT;

CREATE TABLE pods (
  id           INTEGER PRIMARY KEY,
  snapshot_id  INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
  namespace    TEXT NOT NULL,
  name         TEXT NOT NULL,
  node_name    TEXT,
  phase        TEXT,
  host_network INTEGER NOT NULL DEFAULT 0 CHECK (host_network IN (0, 1)),
  owner_kind   TEXT,
  owner_name   TEXT,
  spec         TEXT NOT NULL CHECK (json_valid(spec)),
  status       TEXT CHECK (status IS NULL OR json_valid(status)),
  UNIQUE (snapshot_id, namespace, name)
) STRICT;
CREATE INDEX pods_by_node ON pods (snapshot_id, node_name);

-- One audit run over a cluster snapshot and account snapshots, under a policy.
CREATE TABLE audits (
  id          INTEGER PRIMARY KEY,
  cluster_id  INTEGER REFERENCES scopes (id) ON DELETE SET NULL,
  state       TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed')),
  policy_name TEXT,
  policy      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(policy)),
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  summary     TEXT CHECK (summary IS NULL OR json_valid(summary)),
  error       TEXT
) STRICT;
CREATE INDEX audits_by_start ON audits (started_at DESC, id DESC);

CREATE TABLE audit_snapshots (
  audit_id    INTEGER NOT NULL REFERENCES audits (id) ON DELETE CASCADE,
  snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE RESTRICT,
  PRIMARY KEY (audit_id, snapshot_id)
) STRICT;

CREATE TABLE findings (
  id          INTEGER PRIMARY KEY,
  audit_id    INTEGER NOT NULL REFERENCES audits (id) ON DELETE CASCADE,
  check_id    TEXT NOT NULL,              -- from the finding catalogue, e.g. 'sg.port-blocked'
  severity    TEXT NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
  fingerprint TEXT NOT NULL,              -- stable across runs and input order
  namespace   TEXT,
  node        TEXT,
  title       TEXT NOT NULL,
  body        TEXT NOT NULL CHECK (json_valid(body)),  -- subjects, evidence, deciding rules, fixes
  suppressed  INTEGER NOT NULL DEFAULT 0 CHECK (suppressed IN (0, 1)),
  UNIQUE (audit_id, fingerprint)
) STRICT;
CREATE INDEX findings_by_check ON findings (audit_id, check_id);
CREATE INDEX findings_by_severity ON findings (audit_id, severity);
