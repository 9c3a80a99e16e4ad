-- sgaudit schema 5: clusters that are collected, not only uploaded to (issue 19).
-- A cluster scope may name where its state is fetched from: {"kind": "in-cluster"} (the server's own service
-- account) or {"kind": "kubeconfig", "file": "prod.yaml", "context": "prod"} (a file in the server's
-- --kubeconfig-dir). A schedule with collect = 1 fetches it before it audits; what the collection did is kept
-- on the run (a failed or partial one stores nothing, and the run audits the last good snapshot).
ALTER TABLE scopes ADD COLUMN source TEXT CHECK (source IS NULL OR json_valid(source));
ALTER TABLE schedules ADD COLUMN collect INTEGER NOT NULL DEFAULT 0 CHECK (collect IN (0, 1));
ALTER TABLE schedule_runs ADD COLUMN collection TEXT CHECK (collection IS NULL OR json_valid(collection));
