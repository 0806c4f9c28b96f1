DELETE FROM workload_day WHERE day = $day;
