-- Migration cluster_days (issue 13): which clusters each day's ingested data covers, when `labels.cluster_label`
-- is configured (off by default: no rows).
-- One row per (day, stage, cluster): the number of exported series of that stage ('dcgm' or 'kube_state') whose
-- `cluster_label` has that value; series without the label count under cluster ''. An ingest stage replaces its
-- day's rows in the same transaction as its tables, so the rows describe exactly what is stored. The reports say
-- from it which cluster(s) their window covers. No other table carries a cluster (one run and one DuckDB file per
-- cluster, with `victoria_metrics.matchers`, is the supported way to keep clusters apart).
--   cluster_label  the label name the values were read from (the configured labels.cluster_label)
CREATE TABLE cluster_days (
    day DATE NOT NULL,
    stage VARCHAR NOT NULL,
    cluster_label VARCHAR NOT NULL,
    cluster VARCHAR NOT NULL,
    series BIGINT NOT NULL,
    PRIMARY KEY (day, stage, cluster)
);
