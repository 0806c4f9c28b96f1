-- Stage one day of exported kube-state-metrics series (the lines in stage_export_lines): one row per
-- series line, labels as a map; the insert_* files unnest only what each table needs.
CREATE OR REPLACE TEMP TABLE stage_ksm AS
SELECT metric['__name__'] AS metric_name, metric AS labels, "values", timestamps
FROM stage_export_lines;
