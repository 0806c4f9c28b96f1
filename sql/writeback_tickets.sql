-- Write-back series of one day (stage tickets): the open tickets of the evaluation of that day (findings that are
-- neither exempt nor insufficient-data records: what the ticket feed holds as new or ongoing) by rule, severity
-- and Workspace, and their recoverable GPU-hours per week, repeated at every hour of the evaluated day.
WITH hours AS (
    SELECT hour FROM range(CAST($day AS TIMESTAMP), CAST($day AS TIMESTAMP) + INTERVAL 1 DAY, INTERVAL 1 HOUR) AS t(hour)
),
open_tickets AS (
    SELECT
        rule,
        severity,
        workspace,
        CAST(count(*) AS DOUBLE) AS open_tickets,
        exact_sum(coalesce(gpu_hours_recoverable_per_week, 0)) AS recoverable_gpu_hours_per_week
    FROM recommendations
    WHERE evaluated_on = $day
      AND NOT exempt
      AND NOT coalesce(CAST(json_extract(ticket, '$.insufficient_data') AS BOOLEAN), false)
    GROUP BY ALL
),
wide AS (
    SELECT h.hour, t.* FROM open_tickets AS t CROSS JOIN hours AS h
)
SELECT 'gpu_reclaim_' || metric AS metric, hour, value, rule, severity, workspace
FROM (UNPIVOT wide ON open_tickets, recoverable_gpu_hours_per_week INTO NAME metric VALUE value)
ORDER BY metric, rule, severity, workspace, hour;
