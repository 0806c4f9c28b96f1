-- The cleaning counts of one day, per stage, rule and metric.
SELECT stage, rule, metric, affected FROM data_quality WHERE day = $day ORDER BY stage, rule, metric;
