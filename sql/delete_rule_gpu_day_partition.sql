DELETE FROM rule_gpu_day WHERE day = $day;
