DELETE FROM workload_activity_day WHERE day = $day;
