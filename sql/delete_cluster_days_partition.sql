-- Remove one day of one ingest stage's cluster_days rows before they are written again (same transaction as the
-- stage's tables; also when labels.cluster_label is off, so that turning it off leaves no stale rows).
DELETE FROM cluster_days WHERE day = $day AND stage = $stage;
