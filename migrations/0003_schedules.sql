-- sgaudit schema 3: scheduled audits, their runs, and the signed webhook notifications they send.
-- Timestamps are UTC ISO-8601 text ('2026-11-26T00:15:00Z'), so text order is time order.

-- A schedule: when (cron in a time zone), what (cluster, accounts, policy) and whom to tell.
-- next_run_at is the due time the engine waits for; a run claims the schedule by setting lease_owner and
-- lease_until in the same transaction that advances next_run_at, so no two runs of one schedule overlap,
-- whichever process or restart looks at it.
CREATE TABLE schedules (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 128),
  cron        TEXT NOT NULL CHECK (length(cron) BETWEEN 1 AND 256),
  time_zone   TEXT NOT NULL DEFAULT 'UTC' CHECK (length(time_zone) BETWEEN 1 AND 128),
  cluster     TEXT NOT NULL CHECK (length(cluster) BETWEEN 1 AND 128),
  accounts    TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(accounts) AND json_type(accounts) = 'array'),
  policy_name TEXT CHECK (policy_name IS NULL OR length(policy_name) BETWEEN 1 AND 128),
  enabled     INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  catch_up    INTEGER NOT NULL DEFAULT 1 CHECK (catch_up IN (0, 1)),  -- after downtime, run once for what was missed
  next_run_at TEXT,                                                    -- NULL: disabled, or never matches again
  last_run_at TEXT,
  lease_owner TEXT,                                                    -- the scheduler instance running it now
  lease_until TEXT,                                                    -- the claim lapses then (a crash gives it up)
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
) STRICT;
CREATE INDEX schedules_due ON schedules (next_run_at) WHERE enabled = 1;

-- Webhook targets of a schedule, in order. The secret is the HMAC key, so it is kept as given; the API
-- never returns it.
CREATE TABLE schedule_targets (
  schedule_id  INTEGER NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
  position     INTEGER NOT NULL CHECK (position >= 0),
  url          TEXT NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
  secret       TEXT NOT NULL CHECK (length(secret) >= 1),
  min_severity TEXT NOT NULL CHECK (min_severity IN ('info', 'low', 'medium', 'high', 'critical')),
  PRIMARY KEY (schedule_id, position)
) STRICT;

-- One run per due time (UNIQUE), whatever the number of processes. 'skipped' records a missed due time
-- that was not caught up; a 'running' row whose claim lapsed is closed as 'failed' (never run again).
CREATE TABLE schedule_runs (
  id              INTEGER PRIMARY KEY,
  schedule_id     INTEGER NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
  scheduled_for   TEXT NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('scheduled', 'catch-up')),
  state           TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'skipped')),
  runner          TEXT NOT NULL,
  started_at      TEXT NOT NULL,
  finished_at     TEXT,
  audit_id        INTEGER REFERENCES audits (id) ON DELETE SET NULL,
  previous_run_id INTEGER REFERENCES schedule_runs (id) ON DELETE SET NULL,  -- the run this one is diffed against
  finding_count   INTEGER CHECK (finding_count IS NULL OR finding_count >= 0),
  new_count       INTEGER CHECK (new_count IS NULL OR new_count >= 0),
  resolved_count  INTEGER CHECK (resolved_count IS NULL OR resolved_count >= 0),
  fingerprints    TEXT CHECK (fingerprints IS NULL OR json_valid(fingerprints)),  -- every finding, for the next diff
  diff            TEXT CHECK (diff IS NULL OR json_valid(diff)),                  -- {"new": [...], "resolved": [...]}
  inputs          TEXT CHECK (inputs IS NULL OR json_valid(inputs)),              -- snapshots used and their ages
  error           TEXT,
  UNIQUE (schedule_id, scheduled_for)
) STRICT;
CREATE INDEX schedule_runs_by_schedule ON schedule_runs (schedule_id, id DESC);

-- A notification to one target about one run: an outbox row written with the run, retried with backoff
-- until delivered or out of attempts. URL and secret are copied so a queued delivery keeps its target.
CREATE TABLE webhook_deliveries (
  id              INTEGER PRIMARY KEY,
  run_id          INTEGER NOT NULL REFERENCES schedule_runs (id) ON DELETE CASCADE,
  target_position INTEGER NOT NULL CHECK (target_position >= 0),
  url             TEXT NOT NULL,
  secret          TEXT NOT NULL,
  body            TEXT NOT NULL CHECK (json_valid(body)),
  state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at TEXT,
  lease_until     TEXT,
  created_at      TEXT NOT NULL,
  finished_at     TEXT,
  last_error      TEXT
) STRICT;
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_run ON webhook_deliveries (run_id);

-- Every attempt of a delivery and what came of it.
CREATE TABLE webhook_delivery_attempts (
  delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt     INTEGER NOT NULL CHECK (attempt >= 1),
  started_at  TEXT NOT NULL,
  duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
  status      INTEGER,                                                   -- HTTP status; NULL without a response
  outcome     TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
  error       TEXT,
  PRIMARY KEY (delivery_id, attempt)
) STRICT;
