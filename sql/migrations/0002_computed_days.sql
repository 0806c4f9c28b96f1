-- Migration 0002 (gpu-reclaim 0.2.0): which gpu-reclaim version computed each day's derived tables; and
-- ticket_deliveries in every file.
-- One row per (stage, day): the usage tables of a day (stage 'usage'), its fragmentation tables ('fragmentation'),
-- and the findings evaluated on it ('recommendations', day = evaluated_on). A stage writes its row in the same
-- transaction as its tables, so the row always names the code that wrote what is stored. The reports list the days
-- computed by another version than the one running, and `gpu-reclaim rescore --start --end` recomputes them.
--   gpu_reclaim_version  the gpu-reclaim version whose code computed the stored rows of that stage and day
--   recorded_at          when this row was written (UTC): the stage's run, or the time of this migration
--   origin               'computed' (written by the stage) or 'migration 0002' (backfilled below)
CREATE TABLE computed_days (
    stage VARCHAR NOT NULL,
    day DATE NOT NULL,
    gpu_reclaim_version VARCHAR NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    origin VARCHAR NOT NULL,
    PRIMARY KEY (stage, day)
);

-- Backfill. Before this migration only gpu-reclaim 0.1.0 wrote these tables, and its runner ran every daily stage
-- for every day it ingested, so every day a file holds data for is recorded as computed by '0.1.0' in all three
-- stages (origin 'migration 0002'). The value is explicit, never NULL. A new, empty file gets no rows here.
INSERT INTO computed_days (stage, day, gpu_reclaim_version, recorded_at, origin)
SELECT stages.stage, days.day, '0.1.0', now() AT TIME ZONE 'UTC', 'migration 0002'
FROM (VALUES ('usage'), ('fragmentation'), ('recommendations')) AS stages (stage)
CROSS JOIN (
    SELECT day FROM gpu_samples
    UNION SELECT day FROM pod_steps
    UNION SELECT day FROM pod_usage_daily
    UNION SELECT day FROM cluster_fragmentation
    UNION SELECT evaluated_on AS day FROM recommendations
) AS days;

-- ticket_deliveries: gpu-reclaim 0.1.0 created it only when a sink first delivered (sql/tickets_create_deliveries.sql,
-- which scoring/sinks.py still runs), so a v0.1.0 file may or may not have it. From here on every file has it; a
-- v0.1.0 file that has it keeps it as it is (the same definition as below).
CREATE TABLE IF NOT EXISTS ticket_deliveries (
    sink VARCHAR NOT NULL,
    idempotency_key VARCHAR NOT NULL,
    ticket_id VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    attempted_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    remote_ref VARCHAR,
    error VARCHAR,
    PRIMARY KEY (sink, idempotency_key)
);
