-- Record that this gpu-reclaim version computed a stage's rows of one day (same transaction as those rows).
INSERT OR REPLACE INTO computed_days (stage, day, gpu_reclaim_version, recorded_at, origin)
VALUES ($stage, $day, $gpu_reclaim_version, now() AT TIME ZONE 'UTC', 'computed');
