DELETE FROM workload_values_day WHERE day = $day;
