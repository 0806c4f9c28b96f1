DELETE FROM gang_work_day WHERE day = $day;
