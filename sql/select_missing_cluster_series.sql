-- The series of one day and ingest stage that lack labels.cluster_label (counted by insert_cluster_data_quality.sql).
SELECT coalesce(sum(series), 0) AS series FROM cluster_days WHERE day = $day AND stage = $stage AND cluster = '';
