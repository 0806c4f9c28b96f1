-- Stage one day of exported DCGM series (VictoriaMetrics JSON lines at $path) as one row per raw sample,
-- with the label variants normalised once. Samples outside [$day_start_ms, $day_end_ms) are left out.
CREATE OR REPLACE TEMP TABLE stage_dcgm AS
WITH series AS (
    SELECT
        metric['__name__'] AS metric_name,
        coalesce(first_label(metric, $node_keys), '') AS node,
        TRY_CAST(first_label(metric, $gpu_index_keys) AS INTEGER) AS gpu_index,
        coalesce(
            first_label(metric, $gpu_uuid_keys),
            coalesce(first_label(metric, $node_keys), '') || '/' || coalesce(first_label(metric, $gpu_index_keys), '?')
        ) AS gpu_uuid,
        first_label(metric, $gpu_model_keys) AS gpu_model,
        first_label(metric, $namespace_keys) AS namespace,
        first_label(metric, $pod_keys) AS pod,
        first_label(metric, $container_keys) AS container,
        "values",
        timestamps
    FROM read_json(
        $path,
        format = 'newline_delimited',
        columns = {'metric': 'MAP(VARCHAR, VARCHAR)', 'values': 'DOUBLE[]', 'timestamps': 'BIGINT[]'}
    )
),
samples AS (
    SELECT
        metric_name, node, gpu_index, gpu_uuid, gpu_model, namespace, pod, container,
        unnest("values") AS value,
        unnest(timestamps) AS ts_ms
    FROM series
)
SELECT * FROM samples
WHERE ts_ms >= $day_start_ms AND ts_ms < $day_end_ms;
