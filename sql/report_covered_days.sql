-- The UTC days of [$window_start, $window_end) that hold data: a day counts when it has any Project usage, any
-- node or any pod recorded (a day the pipeline never ingested, or whose series were empty, has none of them).
SELECT day FROM project_usage_daily WHERE day >= $window_start AND day < $window_end
UNION
SELECT day FROM nodes WHERE day >= $window_start AND day < $window_end
UNION
SELECT day FROM pods WHERE day >= $window_start AND day < $window_end
ORDER BY day;
