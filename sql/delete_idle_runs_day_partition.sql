DELETE FROM idle_runs_day WHERE day = $day;
