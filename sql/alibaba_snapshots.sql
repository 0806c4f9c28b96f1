-- The Alibaba replay (scenarios/alibaba_pipeline.py): fragmentation snapshots taken on the day.
SELECT count(DISTINCT snapshot_ts) FROM cluster_fragmentation WHERE day = $day;
