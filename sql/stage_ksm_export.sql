-- Stage one day of exported kube-state-metrics series (VictoriaMetrics JSON lines at $path): one row per
-- series line, labels as a map; the insert_* files unnest only what each table needs.
CREATE OR REPLACE TEMP TABLE stage_ksm AS
SELECT metric['__name__'] AS metric_name, metric AS labels, "values", timestamps
FROM read_json(
    $path,
    format = 'newline_delimited',
    columns = {'metric': 'MAP(VARCHAR, VARCHAR)', 'values': 'DOUBLE[]', 'timestamps': 'BIGINT[]'}
);
