-- Stage one day of exported kube-state-metrics series (the lines in stage_export_lines): one row per
-- series line, labels as a map; the insert_* files unnest only what each table needs. cluster: the series'
-- $cluster_label ('' when labels.cluster_label is off or the series lacks it); every row keyed by namespace, pod
-- or node is keyed by it too.
CREATE OR REPLACE TEMP TABLE stage_ksm AS
SELECT
    metric['__name__'] AS metric_name, metric AS labels, "values", timestamps,
    coalesce(metric[$cluster_label], '') AS cluster
FROM stage_export_lines;
