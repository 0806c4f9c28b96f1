DELETE FROM gpu_power_day WHERE day = $day;
