-- Count one day's series of one ingest stage that lack labels.cluster_label (README "Several clusters in one
-- VictoriaMetrics"): their rows carry cluster ''. Stage 'cluster_<stage>' (replaced with that stage's day).
INSERT INTO data_quality (day, stage, rule, metric, affected, cluster)
SELECT day, 'cluster_' || stage, 'missing_cluster_label', cluster_label, series, ''
FROM cluster_days
WHERE day = $day AND stage = $stage AND cluster = '' AND series > 0;
