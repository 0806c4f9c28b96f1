-- One row per (namespace, resourcequota) with a GPU hard limit in the window: the latest hard limit and the
-- $percentile and peak of the Project's GPU demand per quota step (sql/stage_quota_demand_day.sql says what the
-- demand is). quantile_disc keeps it an observed value.
-- Merged from the window's per-day aggregates (quota_demand_day for the days [$full_first, $full_last],
-- partial_quota_demand_day for a part of a day at its edges): the days' demand histograms are summed and expanded
-- back to their steps for quantile_disc (so the percentile is the same as over the window's steps), the peak is
-- the largest value, the mean the exact sum over the steps, the hard limit the latest day's.
WITH days AS (
    SELECT * FROM quota_demand_day WHERE day BETWEEN $full_first AND $full_last
    UNION ALL BY NAME
    SELECT * FROM partial_quota_demand_day
),
histogram AS (
    SELECT cluster, namespace, resourcequota, h.value.gpus AS gpus, sum(h.value.steps) AS steps
    FROM days
    CROSS JOIN unnest(demand) AS h(value)
    GROUP BY cluster, namespace, resourcequota, h.value.gpus
),
percentiles AS (
    SELECT cluster, namespace, resourcequota, quantile_disc(gpus, $percentile) AS percentile_gpus, max(gpus) AS peak_gpus
    FROM histogram
    CROSS JOIN range(CAST(steps AS BIGINT)) AS r(i)
    GROUP BY cluster, namespace, resourcequota
),
labels AS (
    SELECT cluster, namespace, arg_max(workspace, day) AS workspace, arg_max(project, day) AS project
    FROM namespaces
    WHERE day BETWEEN CAST($window_start AS DATE) AND CAST($window_end AS DATE)
    GROUP BY cluster, namespace
)
SELECT
    d.cluster,
    d.namespace,
    d.resourcequota,
    coalesce(any_value(l.workspace), 'unassigned') AS workspace,
    coalesce(any_value(l.project), d.namespace) AS project,
    arg_max(d.gpu_hard, d.last_ts) AS gpu_hard,
    any_value(p.percentile_gpus) AS percentile_gpus,
    any_value(p.peak_gpus) AS peak_gpus,
    CAST(sum(d.demand_sum) / sum(d.steps) AS DOUBLE) AS mean_gpus,
    max(d.peak_running_gpus) AS peak_running_gpus,
    sum(d.steps) * $step_seconds / 3600.0 AS observed_hours
FROM days AS d
JOIN percentiles AS p ON p.cluster = d.cluster AND p.namespace = d.namespace AND p.resourcequota = d.resourcequota
LEFT JOIN labels AS l ON l.cluster = d.cluster AND l.namespace = d.namespace
GROUP BY d.cluster, d.namespace, d.resourcequota
ORDER BY d.cluster, d.namespace, d.resourcequota;
